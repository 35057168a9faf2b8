"""Parse the seed files and compare the records with ../shared/eval/inventory.jsonl.

usage: python scripts/check_inventory.py [SEED_PREFIX ...] [--show-missing] [--show-extra]
"""

import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from eval.gold import load_inventory, match_inventory  # noqa: E402
from ingest.clean import clean_lines  # noqa: E402
from ingest.load import load  # noqa: E402
from ingest.parse import best_strategy, parse_document  # noqa: E402

SHARED = ROOT.parent / "shared"


def main(argv):
    prefixes = [a for a in argv if not a.startswith("--")]
    inventory = load_inventory(SHARED / "eval" / "inventory.jsonl")
    for seed in sorted((SHARED / "seeds").iterdir()):
        prefix = seed.name.split("_")[0]
        if prefixes and prefix not in prefixes:
            continue
        doc = load(seed)
        strategy, fit = best_strategy(clean_lines(doc.lines))
        records = parse_document(doc)
        inv = [i for i in inventory if i["source"] == seed.name]
        m = match_inventory(inv, records)
        by_id = {r.id: r for r in records}
        found = [i for i in inv if m[i["id"]]]
        level_ok = sum(by_id[m[i["id"]]].level == i["level"] for i in found)
        lang_ok = sum(by_id[m[i["id"]]].lang == i["lang"] for i in found)
        ans_ok = sum(bool(by_id[m[i["id"]]].answer) == i["has_answer"] for i in found)
        sec_ok = sum(by_id[m[i["id"]]].section == i["section"] for i in found)
        print(f"{seed.name}: strategy={strategy.name} fit={fit:.2f} records={len(records)} "
              f"inventory={len(inv)} found={len(found)} level_ok={level_ok} lang_ok={lang_ok} "
              f"has_answer_ok={ans_ok} section_ok={sec_ok}")
        if "--show-missing" in argv:
            for i in inv:
                if not m[i["id"]]:
                    print("  MISSING", i["id"], i["line"], i["question"][:100])
        if "--show-wrong" in argv:
            for i in found:
                r = by_id[m[i["id"]]]
                if r.level != i["level"] or r.section != i["section"] or bool(r.answer) != i["has_answer"]:
                    print("  WRONG", i["id"], i["level"], r.level, repr(i["section"]), repr(r.section),
                          i["has_answer"], bool(r.answer))
        if "--show-extra" in argv:
            used = {v for v in m.values() if v}
            for r in records:
                if r.id not in used:
                    print("  EXTRA", r.locator, r.question[:100])
        print("  levels:", Counter(r.level for r in records))


if __name__ == "__main__":
    main(sys.argv[1:])
