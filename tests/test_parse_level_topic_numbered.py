"""The level/topic/numbered-question strategy: the Ukrainian seed 004 and a made-up document."""

from __future__ import annotations

from collections import Counter

import pytest
from conftest import SEEDS, seed_path

from ingest.clean import clean_lines
from ingest.document import Line, numbered_lines
from ingest.load import load
from ingest.parse import best_strategy, finalize, parse_document
from ingest.parse.level_topic_numbered import LevelTopicNumbered, split_question

needs_seeds = pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds is missing")


@pytest.fixture(scope="module")
def seed004():
    path = seed_path("004")
    doc = load(path)
    return path, doc, parse_document(doc)


@needs_seeds
def test_seed_004_is_recognized_by_this_strategy(seed004):
    _, doc, _ = seed004
    strategy, fit = best_strategy(clean_lines(doc.lines))
    assert strategy.name == "level_topic_numbered"
    assert fit >= 0.9


@needs_seeds
@pytest.mark.parametrize("prefix", ["000", "001", "002", "003"])
def test_other_seeds_do_not_fit_well(prefix):
    lines = clean_lines(load(seed_path(prefix)).lines)
    assert LevelTopicNumbered().fit(lines) <= 0.5


@needs_seeds
def test_seed_004_matches_inventory(seed004, inventory):
    from eval.gold import match_inventory

    path, _, records = seed004
    inv = [i for i in inventory if i["source"] == path.name]
    assert len(inv) == 271
    # exact question matches first (similarity 1.0, what match_inventory would pair anyway), then the
    # fuzzy matcher on the rest: the full fuzzy pass over 271 x 271 pairs is slow
    matched, used = {}, set()
    by_question = {}
    for r in records:
        by_question.setdefault(r.question, r.id)
    for i in inv:
        rid = by_question.get(i["question"])
        matched[i["id"]] = rid if rid not in used else None
        used.add(rid)
    rest = [i for i in inv if not matched[i["id"]]]
    matched.update(match_inventory(rest, [r for r in records if r.id not in used]))
    by_id = {r.id: r for r in records}
    found = [i for i in inv if matched[i["id"]]]
    assert len(found) >= 0.99 * len(inv)
    level_ok = sum(by_id[matched[i["id"]]].level == i["level"] for i in found)
    section_ok = sum(by_id[matched[i["id"]]].section == i["section"] for i in found)
    answer_ok = sum(bool(by_id[matched[i["id"]]].answer) == i["has_answer"] for i in found)
    assert level_ok >= 0.95 * len(inv)
    assert section_ok >= 0.95 * len(inv)
    assert answer_ok >= 0.98 * len(inv)
    assert len(records) <= len(inv) + 3  # next to nothing extra


@needs_seeds
def test_seed_004_records(seed004):
    _, _, records = seed004
    assert {r.lang for r in records} == {"uk"}
    questions = [r.question for r in records]
    # table-of-contents and topic headings are not records
    assert not any(q in {"Junior", "Middle", "Senior", "Machine Learning", "Статистика"} for q in questions)
    assert not any(q.startswith("Теми питань") for q in questions)
    # sub-headings inside answers are not records, they stay in the answer
    assert "Як працює K-means?" not in questions
    assert "Коли використовувати рекурсію?" not in questions
    kmeans = next(r for r in records if r.question.startswith("Які алгоритми використовують для кластеризації"))
    assert "Як працює K-means?" in kmeans.answer
    # levels and the HR block
    levels = Counter(r.level for r in records)
    assert levels == {"junior": 105, "middle": 103, "senior": 53, "unknown": 10}
    hr = [r for r in records if r.level == "unknown"]
    assert {r.section for r in hr} == {"HR питання / На прояснення наявного досвіду"}
    # answers keep display LaTeX and code; key points come from bullets
    assert any("$$" in r.answer for r in records)
    assert any("```" in r.answer and "import pickle" in r.answer for r in records)
    assert sum(bool(r.key_points) for r in records if r.answer) >= 0.95 * sum(bool(r.answer) for r in records)


@needs_seeds
def test_seed_004_answer_on_question_line_is_cut(seed004):
    _, _, records = seed004
    mlops = next(r for r in records if r.question.startswith("Що таке MLOps"))
    assert mlops.question.endswith("навчання?")
    assert mlops.answer.startswith("MLOps (Machine Learning Operations) — це")
    kd = next(r for r in records if "Knowledge Distillation" in r.question)
    assert kd.question.endswith("NoisyStudent Networks?")
    assert kd.answer.startswith("Knowledge Distillation — це")


SYNTHETIC = """\
Interview questions for data engineers

Contents

Warm-up

Beginner

Basics

Tooling

Advanced

Basics

Scaling

▼ **Warm-up**

- 1. Tell us about your last project?**
 - Describe the data, the pipeline and your role.

Basics

1. What is a database index?

An index is a data structure that speeds up lookups.

- **B-tree:** the default, good for ranges.
- **Hash:** equality only.

How is an index stored?

On disk, next to the table.

2. **Why not index every column?** Every index slows down writes and takes space.

▼ Tooling

1. **What does `git rebase` do?**

It replays commits on top of another base.

```
1. git fetch
2. git rebase origin/main
```

2. Which shell do you use, and why

would you pick another one?

Any answer that shows reasons is fine.

Advanced

▼ Basics

1. Explain ACID. Atomicity — a transaction happens completely or not at all.

▼ Scaling

1. How do you shard a table?

Split it by a key, for example the user id.

2. What is a hot partition?

A shard that gets far more traffic than the others.
"""


def _synthetic_records():
    lines = numbered_lines(SYNTHETIC.splitlines())
    strategy = LevelTopicNumbered()
    return strategy.fit(lines), finalize(strategy.parse(lines), "synthetic.md")


def test_synthetic_document_generalizes():
    fit, records = _synthetic_records()
    assert fit >= 0.9
    got = [(r.section, r.level, r.question) for r in records]
    assert got == [
        ("Warm-up", "unknown", "Tell us about your last project?"),
        ("Beginner / Basics", "junior", "What is a database index?"),
        ("Beginner / Basics", "junior", "Why not index every column?"),
        ("Beginner / Tooling", "junior", "What does `git rebase` do?"),
        ("Beginner / Tooling", "junior", "Which shell do you use, and why would you pick another one?"),
        ("Advanced / Basics", "senior", "Explain ACID."),
        ("Advanced / Scaling", "senior", "How do you shard a table?"),
        ("Advanced / Scaling", "senior", "What is a hot partition?"),
    ]
    by_q = {r.question: r for r in records}
    index = by_q["What is a database index?"]
    assert "How is an index stored?" in index.answer  # a sub-heading inside the answer
    assert any(p.startswith("B-tree:") for p in index.key_points)
    assert by_q["Why not index every column?"].answer.startswith("Every index slows down writes")
    assert "git rebase origin/main" in by_q["What does `git rebase` do?"].answer  # numbered code lines stay
    assert by_q["Explain ACID."].answer.startswith("Atomicity — a transaction")
    assert all(r.lang == "en" for r in records)


@pytest.mark.parametrize(
    ("text", "question", "tail"),
    [
        ("**What is X?** X is a thing.", "What is X?", "X is a thing."),
        ("What is X? Give an example.", "What is X? Give an example.", None),
        ("**What is X? Why Y? X** — a thing.", "What is X? Why Y?", "X — a thing."),
        ("What is X? (asked for seniors)", "What is X? (asked for seniors)", None),
        ("Discuss the options. Option A:", "Discuss the options.", "Option A:"),
    ],
)
def test_split_question(text, question, tail):
    q, t = split_question(text)
    assert q.replace("**", "") == question
    assert t == tail


@needs_seeds
def test_pdf_rendering_of_004(inventory):
    """The PDF fixture (first part of 004: page headers, wrapped lines) parses the same way."""
    from conftest import FIXTURES

    from eval.gold import match_inventory

    pdf = FIXTURES / "ml_engineer_uk_part1.pdf"
    if not pdf.is_file():
        pytest.skip("fixture missing")
    lines = clean_lines(load(pdf).lines)
    strategy, _ = best_strategy(lines)
    assert strategy.name == "level_topic_numbered"
    source = seed_path("004").name
    records = finalize(strategy.parse(lines), source)
    assert len(records) >= 45
    inv = [i for i in inventory if i["source"] == source][: len(records) + 5]
    matched = match_inventory(inv, records)
    by_id = {r.id: r for r in records}
    found = [i for i in inv if matched[i["id"]]]
    assert len(found) >= 0.95 * len(records)
    assert sum(by_id[matched[i["id"]]].section == i["section"] for i in found) >= 0.9 * len(found)


# Level lines in the body, topic headings under them, bold numbered questions whose numbering runs
# on across the topics of a level and restarts at the next level; no table of contents.
RUN_ON = """\
Study notes: short questions by level

Junior

Networking

1. **What does DNS do?**

It turns a host name into an address.
- **Cache:** answers are kept for their TTL.

2. **What is a port?**

A number that tells the services on one host apart.

Storage

3. **What is a file system journal?**

A log of pending changes that makes recovery after a crash fast.

4. **Why back up to another site?**

One site can be lost as a whole.

Middle

Networking

1. **How does TCP recover a lost segment?**

The receiver acknowledges what arrived; the sender retransmits the rest.

Security

2. **What is a salted hash?**

A password hash computed with random data stored beside it.

Senior

Storage

1. **How would you shard a key-value store?**

By a hash of the key, with consistent hashing to ease rebalancing.
"""


def _lines(text: str) -> list[Line]:
    return numbered_lines(text.splitlines())


def test_level_lines_and_run_on_numbering_without_contents():
    lines = _lines(RUN_ON)
    strategy, fit = best_strategy(lines)
    assert strategy.name == "level_topic_numbered"
    assert fit > 0.95
    records = finalize(strategy.parse(lines), "run_on.md")
    got = [(r.level, r.section, r.question) for r in records]
    assert got == [
        ("junior", "Junior / Networking", "What does DNS do?"),
        ("junior", "Junior / Networking", "What is a port?"),
        ("junior", "Junior / Storage", "What is a file system journal?"),
        ("junior", "Junior / Storage", "Why back up to another site?"),
        ("middle", "Middle / Networking", "How does TCP recover a lost segment?"),
        ("middle", "Middle / Security", "What is a salted hash?"),
        ("senior", "Senior / Storage", "How would you shard a key-value store?"),
    ]
    by_q = {r.question: r for r in records}
    assert by_q["What is a port?"].answer == "A number that tells the services on one host apart."  # no "Storage"
    assert "Cache:" in by_q["What does DNS do?"].answer


def test_bank_ukrainian_pdf():
    from pathlib import Path

    pdf = Path(__file__).resolve().parents[1] / "bank" / "ml_ukrainian.pdf"
    doc = load(pdf)
    strategy, _ = best_strategy(clean_lines(doc.lines))
    assert strategy.name == "level_topic_numbered"
    records = parse_document(doc)
    assert len(records) == 11
    assert all(r.level != "unknown" and r.answer for r in records)
    assert Counter(r.level for r in records) == {"junior": 5, "middle": 3, "senior": 3}
    for r in records:
        assert r.section.startswith(f"{r.level.capitalize()} / ")
    assert [r.section for r in records if r.level == "junior"] == ["Junior / Machine Learning"] * 3 + [
        "Junior / Статистика"] * 2
    assert {r.section for r in records} == {
        "Junior / Machine Learning", "Junior / Статистика", "Middle / Deep Learning", "Middle / MLOps",
        "Senior / Deep Learning", "Senior / LLM", "Senior / MLOps"}
    assert all(r.lang == "uk" for r in records)
