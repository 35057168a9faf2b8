"""ingest.clean: mojibake repair, boilerplate removal, Ukrainian left untouched."""

from __future__ import annotations

from conftest import seed_path

from ingest.clean import clean_lines, fix_text
from ingest.document import numbered_lines
from ingest.load import load


def _clean(texts):
    return [line.text for line in clean_lines(numbered_lines(texts))]


def test_double_decode_repaired():
    assert fix_text("Ξ»") == "λ"
    assert fix_text("O(nΒ²)") == "O(n²)"
    assert fix_text("z = ΞΌ + Ο * Ξ΅") == "z = μ + Ο * ε"  # σ lost a byte: left as is


def test_unrecoverable_garbage_removed():
    out = _clean(["Difficulty: π‘ Medium | Tags: X", "High bias β underfitting.", "- β Accuracy",
                  "pools: 32β16β8", "Tune Ξ» and Β²."])
    assert out == ["Difficulty: Medium | Tags: X", "High bias underfitting.", "- Accuracy",
                   "pools: 32 16 8", "Tune λ and ²."]


def test_real_greek_and_symbols_untouched():
    for text in ["Αλφα βήτα γάμμα", "σ² and λ and β-VAE", "High bias β underfitting", "Σ over i"]:
        assert fix_text(text) == text


def test_seed_002_repaired():
    lines = [line.text for line in clean_lines(load(seed_path("002")).lines)]
    joined = "\n".join(lines)
    assert "λ" in joined and "²" in joined
    for garbage in ("π‘", "π΄", "π’", "Ξ»", "Β²", " β "):
        assert garbage not in joined
    assert "View Answer" not in lines


def test_ukrainian_untouched():
    doc = load(seed_path("004"))
    cleaned = clean_lines(doc.lines)
    assert len(cleaned) == len(doc.lines)
    for before, after in zip(doc.lines, cleaned, strict=True):
        assert after.locator == before.locator
        assert after.text == before.text.replace("\u200b", "").replace("\ufeff", "").rstrip()


def test_quiz_ui_removed_content_kept():
    out = _clean(["What is ML?", "Definition: learning from data", "📊 Total Score", "0%",
                  "Start checking answers!", "📄 Generate Report", "🔄 Reset All", "📥 Stiahnuť PDF",
                  "Skip to content", "View Answer", "Powered By", "Show details"])
    assert out == ["What is ML?", "Definition: learning from data"]


def test_cookie_block_removed():
    out = _clean(["Conclusion: practice a lot.", "We use cookies essential for this site to function well.",
                  "Show details", "Cookies", "csrftoken", "This cookie is used to prevent CSRF attacks",
                  "_ga", "Used by Google Analytics, to store and count pageviews.", "MUID",
                  "Used by Microsoft Clarity, to store and track visits across websites.",
                  "visit", "allow for the Linkedin follow feature.",
                  "We do not use cookies of this type.", "", "Q6. What is bagging?"])
    assert out == ["Conclusion: practice a lot.", "", "Q6. What is bagging?"]


def test_seed_003_cookie_tail_gone():
    lines = [line.text for line in clean_lines(load(seed_path("003")).lines)]
    assert not any("cookie" in t.lower() or t in ("_ga", "MUID", "csrftoken") for t in lines)
    assert sum(t.startswith("Q") and t[1].isdigit() for t in lines) == 5


def test_whitespace_and_zero_width():
    assert _clean(["a\u200bb  ", "", "\ufeffc\t"]) == ["ab", "", "c"]
