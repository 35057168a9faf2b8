"""tutor.report: Markdown and PDF a candidate keeps; PDF text (Ukrainian included) checked with pypdf."""

from __future__ import annotations

import pytest
from pypdf import PdfReader

from tutor.bands import describe_bands
from tutor.grade import GradeResult, PointResult
from tutor.interview import FollowUp, InterviewSession
from tutor.report import ReportError, report_data, to_markdown, write_report
from tutor.store import Record

UK = Record("u1", "004_uk.txt", "860", "Junior / Статистика", "junior", "uk", "Що таке кореляція?",
            answer="Кореляція – це міра лінійного зв'язку між двома змінними.",
            key_points=["Позитивна кореляція", "Негативна кореляція"])
EN = Record("e1", "001_en.txt", "42", "Beginner Level", "junior", "en", "What is <b>overfitting</b>?",
            answer="The model memorizes noise & fails to generalize.", key_points=["memorizes noise", "regularize"])


class StubGrader:
    """Returns a fixed result (the report only formats what grading produced)."""

    def grade(self, record, answer, related=None, points=None, judge=None):
        pts = points or record.key_points
        covered = pts[:1] if answer else []
        missed = [p for p in pts if p not in covered]
        return GradeResult(record.id, 50 if answer else 0, covered, missed, "Частково." if record.lang == "uk"
                           else "Partly there.", "", record.lang,
                           [PointResult(p, 1.0 if p in covered else 0.0, 0.0, 0.0) for p in pts])


def session():
    s = InterviewSession([UK, EN], StubGrader(), session_id="abc123")
    t = s.answer(UK, "Це зв'язок між змінними, позитивна кореляція — коли обидві ростуть.")
    s.answer_follow_up(t, FollowUp("Ви не згадали: «Негативна кореляція»", ["Негативна кореляція"], UK, "missed"),
                       "Коли одна росте, інша спадає.")
    s.skip(EN)
    return s


def test_markdown_report():
    md = to_markdown(report_data(session()))
    assert "# Mock interview report" in md and "abc123" in md
    assert "## 1. Що таке кореляція?" in md and "**Score: 50/100 (weak)**" in md  # the score's band
    assert md.count(describe_bands()) == 1  # the scale, stated once
    assert "**Mean score:** 50.0/100 (weak)" in md
    assert "- ✓ Позитивна кореляція" in md and "- ✗ Негативна кореляція" in md
    assert "**Follow-up:** Ви не згадали" in md and "— **50/100 (weak)**" in md
    assert "source: 004_uk.txt:860" in md and "> Кореляція – це міра" in md
    assert "## 2. What is <b>overfitting</b>?" in md and "skipped" in md


def test_every_score_carries_its_band():
    data = report_data(session())
    assert data["scale"] == describe_bands()
    uk, en = data["items"]
    assert (uk["score"], uk["band"], uk["follow_ups"][0]["band"]) == (50, "weak", "weak")
    assert (en["score"], en["band"]) == (None, None)  # skipped: no score, no band
    md = to_markdown(data)
    assert "**Score: skipped**" in md and "/100 (" not in md.split("## 2.")[1]
    for score, label in ((0, "wrong or empty"), (39, "wrong or empty"), (40, "weak"), (60, "adequate"),
                         (84, "adequate"), (85, "strong"), (100, "strong")):
        data["items"][0]["score"] = score
        assert f"**Score: {score}/100 ({label})**" in to_markdown(data)


def test_pdf_report_text_with_cyrillic(tmp_path):
    path = write_report(session(), tmp_path / "out" / "report.pdf")
    text = "\n".join(page.extract_text() for page in PdfReader(path).pages)
    squashed = " ".join(text.split())
    for needle in ("Mock interview report", "Що таке кореляція?", "Позитивна кореляція", "Негативна кореляція",
                   "004_uk.txt:860", "50/100 (weak)", "What is <b>overfitting</b>?", "memorizes noise & fails",
                   "Scale: " + describe_bands()):
        assert needle in squashed, needle
    fonts = {str(f.get_object()["/BaseFont"]) for page in PdfReader(path).pages
             for f in page["/Resources"]["/Font"].values()}
    assert any("DejaVu" in f for f in fonts), fonts  # embedded TrueType with Cyrillic, not a base-14 font


def test_unknown_report_format(tmp_path):
    with pytest.raises(ReportError):
        write_report(session(), tmp_path / "r.docx")


def test_a_spoken_answer_shows_its_delivery_notes_unscored(tmp_path):
    from tutor.progress import Progress
    from tutor.speech import DeliveryNotes, SpokenAnswer

    with Progress(tmp_path / "p.sqlite") as progress:
        s = InterviewSession([EN], StubGrader(), session_id="voice1", progress=progress)
        spoken = SpokenAnswer("It memorises noise, um, so regularize.", DeliveryNotes(21.0, 50, 142.9, {"um": 1}))
        turn = s.answer(EN, "It memorises noise, so regularize.", spoken=spoken)
        (saved,) = progress.attempts(session_id="voice1")
        data = report_data(s)
    assert turn.score == 50  # the stub's score: delivery never changes it
    assert saved.transcript == spoken.transcript and saved.delivery["fillers"] == {"um": 1}
    md = to_markdown(data)
    assert "**Said aloud** (not scored): spoke 21 s · 143 words/min · fillers: “um” ×1" in md
    assert "Said aloud" not in to_markdown(report_data(session()))  # typed answers have none
    path = write_report(data, tmp_path / "r.pdf")
    assert "143 words/min" in "".join(page.extract_text() for page in PdfReader(path).pages)
