"""Session reports a candidate can keep: Markdown and PDF (reportlab, with an embedded Cyrillic font).

Each question with the candidate's answer, score with its band (tutor.bands; the scale is stated once
at the top), covered and missed points, follow-ups, and the reference answer with its source. Bank
text is escaped (Markdown special characters are left as they are; PDF paragraphs get XML-escaped
text, never markup from the bank).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape

from tutor.bands import band_for, describe_bands

# The report's own words (headings, labels) are English, so its band labels are too.
REPORT_LANG = "en"

_FONT_CANDIDATES = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
]


class ReportError(RuntimeError):
    pass


def report_data(session) -> dict:
    """A plain dict of everything a report shows (from an InterviewSession)."""
    summary = session.summary()
    items = []
    for turn in session.turns:
        r = turn.record
        res = turn.result
        items.append({
            "record_id": r.id,
            "question": r.question,
            "level": r.level,
            "section": r.section,
            "lang": r.lang,
            "source": f"{r.source}:{r.locator}" if r.locator else r.source,
            "answer": turn.answer,
            # A spoken answer's delivery notes (speaking time, pace, fillers), never part of the score.
            "delivery": turn.spoken.delivery.describe(REPORT_LANG) if getattr(turn, "spoken", None) else None,
            "skipped": turn.skipped,
            "score": turn.score,
            "band": None if turn.score is None else band_for(turn.score).name,
            "covered": list(res.covered) if res else [],
            "missed": list(res.missed) if res else [],
            "feedback": res.feedback if res else "",
            "reference": r.answer,
            "follow_ups": [
                {"question": fu.text, "answer": ans, "score": fr.score if fr else None,
                 "band": band_for(fr.score).name if fr else None,
                 "covered": list(fr.covered) if fr else [], "missed": list(fr.missed) if fr else []}
                for fu, ans, fr in turn.follow_ups
            ],
        })
    return {
        "title": "Mock interview report",
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "summary": summary,
        "scale": describe_bands(REPORT_LANG),
        "items": items,
    }


def _score_text(score, lang: str = REPORT_LANG) -> str:
    """The score and its band's label ("72/100 (adequate)"), or "skipped" when there is none."""
    return "skipped" if score is None else f"{score}/100 ({band_for(score).label(lang)})"


def _scale(data: dict) -> str:
    return "Scale: " + (data.get("scale") or describe_bands(REPORT_LANG))


def to_markdown(data: dict) -> str:
    s = data["summary"]
    lines = [f"# {data['title']}", "", f"Session `{s['session_id']}` · {data['date']}", ""]
    mean = "—" if s["mean_score"] is None else _score_text(s["mean_score"])
    lines += [(f"**Questions:** {s['asked']} (answered {s['answered']}, skipped {s['skipped']}) · "
              f"**Mean score:** {mean}"), "", f"*{_scale(data)}*", ""]
    if s.get("weak_topics"):
        lines.append("**Weak topics:** " + ", ".join(f"{w['name']} ({w['mean_score']})" for w in s["weak_topics"]))
        lines.append("")
    for n, item in enumerate(data["items"], 1):
        lines += [f"## {n}. {item['question']}", ""]
        meta = " · ".join(x for x in (item["level"], item["section"], item["source"]) if x)
        lines += [f"*{meta}* — **Score: {_score_text(item['score'])}**", ""]
        lines += ["**Your answer:**", "", _quote(item["answer"] or "(no answer)"), ""]
        if item.get("delivery"):
            lines += [f"**Said aloud** (not scored): {item['delivery']}", ""]
        if item["covered"]:
            lines += ["**Covered:**", ""] + [f"- ✓ {p}" for p in item["covered"]] + [""]
        if item["missed"]:
            lines += ["**Missed:**", ""] + [f"- ✗ {p}" for p in item["missed"]] + [""]
        if item["feedback"]:
            lines += [f"**Feedback:** {item['feedback']}", ""]
        for fu in item["follow_ups"]:
            lines += [f"**Follow-up:** {fu['question']} — **{_score_text(fu['score'])}**", "",
                      _quote(fu["answer"] or "(no answer)"), ""]
        lines += ["**Reference answer** (source: " + item["source"] + "):", "", _quote(item["reference"]), ""]
    return "\n".join(lines).rstrip() + "\n"


def _quote(text: str) -> str:
    return "\n".join("> " + line if line.strip() else ">" for line in text.strip().splitlines()) or ">"


def find_font() -> Path:
    for candidate in _FONT_CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    try:
        import matplotlib

        path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
        if path.is_file():
            return path
    except ImportError:
        pass
    raise ReportError("no DejaVuSans.ttf found (install fonts-dejavu or matplotlib) to write a PDF")


def write_pdf(data: dict, path: Path) -> Path:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    font = "TutorDejaVu"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(font, str(find_font())))
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontName=font, fontSize=9.5, leading=13)
    small = ParagraphStyle("small", parent=body, fontSize=8.5, textColor=colors.grey)
    h1 = ParagraphStyle("h1", parent=base["Heading1"], fontName=font)
    h2 = ParagraphStyle("h2", parent=base["Heading2"], fontName=font, fontSize=12.5, leading=16)
    quote = ParagraphStyle("quote", parent=body, leftIndent=8 * mm, textColor=colors.HexColor("#333333"))
    good = ParagraphStyle("good", parent=body, leftIndent=4 * mm, textColor=colors.HexColor("#1b7f3b"))
    bad = ParagraphStyle("bad", parent=body, leftIndent=4 * mm, textColor=colors.HexColor("#b3261e"))

    def para(text: str, style) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    s = data["summary"]
    mean = "—" if s["mean_score"] is None else _score_text(s["mean_score"])
    story = [para(data["title"], h1),
             para(f"Session {s['session_id']} · {data['date']}", small),
             para(f"Questions: {s['asked']} (answered {s['answered']}, skipped {s['skipped']}) · Mean score: {mean}",
                  body),
             para(_scale(data), small)]
    if s.get("weak_topics"):
        story.append(para("Weak topics: " + ", ".join(f"{w['name']} ({w['mean_score']})" for w in s["weak_topics"]),
                          body))
    for n, item in enumerate(data["items"], 1):
        story += [Spacer(1, 4 * mm), para(f"{n}. {item['question']}", h2)]
        meta = " · ".join(x for x in (item["level"], item["section"], item["source"]) if x)
        story.append(para(f"{meta} — Score: {_score_text(item['score'])}", small))
        story += [para("Your answer:", body), para(item["answer"] or "(no answer)", quote)]
        if item.get("delivery"):
            story.append(para(f"Said aloud (not scored): {item['delivery']}", small))
        if item["covered"]:
            story.append(para("Covered:", body))
            story += [para(f"✓ {p}", good) for p in item["covered"]]
        if item["missed"]:
            story.append(para("Missed:", body))
            story += [para(f"✗ {p}", bad) for p in item["missed"]]
        if item["feedback"]:
            story.append(para(f"Feedback: {item['feedback']}", body))
        for fu in item["follow_ups"]:
            story += [para(f"Follow-up: {fu['question']} — {_score_text(fu['score'])}", body),
                      para(fu["answer"] or "(no answer)", quote)]
        story += [para(f"Reference answer (source: {item['source']}):", body), para(item["reference"], quote)]

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = SimpleDocTemplate(str(path), pagesize=A4, title=data["title"], leftMargin=18 * mm,
                            rightMargin=18 * mm, topMargin=16 * mm, bottomMargin=16 * mm)
    doc.build(story)
    return path


def write_report(session_or_data, path: Path | str) -> Path:
    """Write a .md or .pdf report (chosen by the file's suffix)."""
    data = session_or_data if isinstance(session_or_data, dict) else report_data(session_or_data)
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return write_pdf(data, path)
    if suffix in (".md", ".markdown", ".txt"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(to_markdown(data), encoding="utf-8")
        return path
    raise ReportError(f"unknown report format {path.suffix or '(none)'}: use .md or .pdf")
