"""ingest/load/: every format (text, HTML, PDF), and every bad file reported by name and reason."""

from __future__ import annotations

import io
import re

import pytest
from conftest import FIXTURES

from ingest.document import LoadError
from ingest.load import load
from ingest.load.pdf_paragraphs import PdfLine, join_wrapped


def _bad(path, fragment):
    with pytest.raises(LoadError) as info:
        load(path)
    assert path.name in str(info.value)
    assert fragment in info.value.reason.lower()


def test_txt_lines_with_line_numbers_and_bom(tmp_path):
    p = tmp_path / "a.md"
    p.write_bytes("\ufeff# Title\n\n1. What is ML?\n".encode())
    doc = load(p)
    assert doc.kind == "md" and doc.name == "a.md"
    assert [(line.text, line.locator) for line in doc.lines] == [("# Title", "1"), ("", "2"), ("1. What is ML?", "3")]


@pytest.mark.parametrize(
    "name,data,fragment",
    [
        ("notes.odt", b"PK\x03\x04", "unsupported"),
        ("notes.docx", b"PK\x03\x04", "not a word document"),
        ("empty.txt", b"", "empty"),
        ("blank.md", b"  \n\n ", "empty"),
        ("bin.txt", b"\x00\x01\x02binary\x00" * 20, "binary"),
        ("undecidable.txt", bytes(range(0x80, 0x100)) * 4, "no known encoding"),
        ("empty.pdf", b"", "empty"),
        ("fake.pdf", b"hello, not a pdf at all\n", "not a pdf"),
        ("pdf.txt", b"%PDF-1.4\n%\xe2\xe3\n1 0 obj\n", "a pdf with a text extension"),
        ("chrome.html", b"<html><head><title>T</title></head><body><nav>Home</nav></body></html>", "no visible text"),
        ("blank.html", b"\n \t\n", "empty"),
    ],
)
def test_bad_files(tmp_path, name, data, fragment):
    p = tmp_path / name
    p.write_bytes(data)
    _bad(p, fragment)


def test_suffix_picks_the_loader(tmp_path):
    for name, kind in [("a.markdown", "md"), ("b.TXT", "txt"), ("c.htm", "html")]:
        (tmp_path / name).write_text("<p>What is <b>ML</b>?</p>\n", encoding="utf-8")
        doc = load(tmp_path / name)
        assert doc.kind == kind
        assert doc.texts == (["What is ML?"] if kind == "html" else ["<p>What is <b>ML</b>?</p>"])


def test_utf16_with_bom_is_decoded(tmp_path):
    p = tmp_path / "u16.txt"
    p.write_bytes("Q1. What is a tensor?\n".encode("utf-16"))
    assert load(p).lines[0].text == "Q1. What is a tensor?"


def _pdf_bytes(pages: list[list[str]], header: str | None = None) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate

    buf = io.BytesIO()
    styles = getSampleStyleSheet()

    def on_page(canvas, doc):
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        if header:
            canvas.drawString(40, A4[1] - 30, header)
        canvas.drawRightString(A4[0] - 40, 25, f"Page {doc.page}")
        canvas.restoreState()

    story = []
    for i, paras in enumerate(pages):
        if i:
            story.append(PageBreak())
        for text in paras:
            style = styles["Heading3"] if text.startswith(("1.", "2.", "Section")) else styles["BodyText"]
            story.append(Paragraph(text, style))
    SimpleDocTemplate(buf, pagesize=A4).build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buf.getvalue()


LONG = ("Regularization adds a penalty on the size of the weights to the loss function, which keeps the "
        "model simple and reduces overfitting on small or noisy training sets; L1 drives some weights to "
        "exactly zero while L2 shrinks all of them smoothly towards zero.")
QUESTION = "1. What is regularization and why does it help a model generalize to data it has never seen before in training?"


def test_pdf_running_header_page_numbers_and_rejoined_lines(tmp_path):
    p = tmp_path / "bank.pdf"
    p.write_bytes(_pdf_bytes([["Section One", QUESTION, LONG], ["2. What is dropout?", LONG]], header="My Bank"))
    doc = load(p)
    texts = [t for t in doc.texts if t]
    assert doc.kind == "pdf"
    assert not any(t == "My Bank" or t.startswith("Page ") for t in texts)
    assert QUESTION in texts  # the wrapped bold question is one line again
    assert texts.count(LONG) == 2  # the wrapped paragraph is one line again
    assert "Section One" in texts and "2. What is dropout?" in texts
    loc = {line.text: line.locator for line in doc.lines}
    assert loc[QUESTION] == "p1" and loc["2. What is dropout?"] == "p2"


def test_pdf_paragraph_rejoined_across_page_break(tmp_path):
    filler = [f"Filler paragraph number {i} that takes some room on the page." for i in range(40)]
    p = tmp_path / "long.pdf"
    p.write_bytes(_pdf_bytes([filler + [LONG * 2]]))
    texts = load(p).texts
    assert LONG * 2 in [t.replace("zero. Regularization", "zero.Regularization") for t in texts] or \
        " ".join([LONG, LONG]) in texts


def test_wrapped_lines_rejoined_hard_breaks_kept():
    texts = [
        "Gradient descent moves the weights against the gradient of the loss and",
        "repeats until the loss stops improving.",
        "- A bullet after a finished sentence stays its own line.",
        "Weight decay is one form of the family of methods called regular-",
        "ization, which keeps the weights small.",
        "Regularization helps.",
    ]
    plines = [PdfLine(t, 1, 50.0, 800.0 - 12 * i, 10.0, "Helvetica", gap=12.0 if i else 0.0)
              for i, t in enumerate(texts)]
    assert [(line.text, line.locator) for line in join_wrapped(plines)] == [
        (("Gradient descent moves the weights against the gradient of the loss and repeats until the loss "
         "stops improving."), "p1"),
        ("- A bullet after a finished sentence stays its own line.", "p1"),
        # "regularization" is a word of the document: the hyphen only split it
        (("Weight decay is one form of the family of methods called regularization, which keeps the weights "
         "small."), "p1"),
        ("Regularization helps.", "p1"),
    ]


def test_encrypted_pdf(tmp_path):
    from pypdf import PdfReader, PdfWriter

    src = tmp_path / "plain.pdf"
    src.write_bytes(_pdf_bytes([[QUESTION, LONG]]))
    writer = PdfWriter()
    for page in PdfReader(src).pages:
        writer.add_page(page)
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    p = tmp_path / "locked.pdf"
    with open(p, "wb") as fh:
        writer.write(fh)
    _bad(p, "encrypted")


def test_truncated_pdf(tmp_path):
    data = _pdf_bytes([[QUESTION, LONG]])
    p = tmp_path / "cut.pdf"
    p.write_bytes(data[: len(data) // 2])
    _bad(p, "truncated")


def test_pdf_without_text(tmp_path):
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.rect(100, 100, 200, 200, fill=1)
    c.showPage()
    c.save()
    p = tmp_path / "scan.pdf"
    p.write_bytes(buf.getvalue())
    _bad(p, "no extractable text")


HTML = """<!doctype html><html><head><title>T</title><script>var tracking = 1;</script>
<style>body{color:red}</style></head><body>
<nav><a href="/">Home</a> <a href="/blog">Blog</a></nav>
<header>Site header</header>
<main><h1>Interview Questions</h1><p>Intro   text
 spread over lines.</p>
<h3>Q1. What is <em>overfitting</em>?</h3>
<ul><li>Too <strong>complex</strong> a model</li><li>Memorizes noise</li></ul>
<pre><code>def f(x):
    return x
</code></pre>
<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>
</main>
<div class="cookie-banner"><p>We use cookies to improve your experience.</p><p>_ga</p></div>
<div id="site-menu">Menu item</div>
<footer>Copyright</footer><script>console.log("x")</script></body></html>"""


def test_html_rendering(tmp_path):
    p = tmp_path / "page.html"
    p.write_text(HTML, encoding="utf-8")
    doc = load(p)
    texts = doc.texts
    assert doc.kind == "html"
    assert texts[:3] == ["# Interview Questions", "Intro text spread over lines.", "### Q1. What is overfitting?"]
    assert "- Too complex a model" in texts and "- Memorizes noise" in texts
    assert "def f(x):" in texts and "    return x" in texts
    assert "| a | b |" in texts and "| 1 | 2 |" in texts
    joined = "\n".join(texts)
    for junk in ("tracking", "color:red", "Home", "Site header", "cookies", "_ga", "Menu item", "Copyright", "console"):
        assert junk not in joined
    assert [line.locator for line in doc.lines] == [str(i) for i in range(1, len(texts) + 1)]


def test_html_fixture():
    doc = load(FIXTURES / "ml_interview_blog.html")
    questions = [t for t in doc.texts if t.startswith("### Q")]
    assert [q[4:7] for q in questions] == ["Q1.", "Q2.", "Q3.", "Q4.", "Q5."]
    joined = "\n".join(doc.texts)
    assert "cookie" not in joined.lower() and "dataLayer" not in joined and "Login" not in joined
    assert "## Some Challenging Machine Learning Interview Questions" in doc.texts


def test_pdf_fixture_001(inventory):
    doc = load(FIXTURES / "ai_ml_interview_questions.pdf")
    texts = doc.texts
    # The fixture is seed 001 as a PDF: its first question (from the inventory) is one whole line.
    first = next(item["question"] for item in inventory if item["id"] == "001-1")
    assert f"1. {first}" in texts
    assert "Beginner Level" in texts and "Intermediate Level" in texts
    assert not any(t.startswith("Page ") for t in texts)
    assert texts.count("AI/ML Interview Questions and Answers") == 0  # the running header
    numbered = [t for t in texts if re.match(r"\d{1,2}\. \S", t)]
    assert len(numbered) >= 50


def test_pdf_fixture_004_ukrainian():
    doc = load(FIXTURES / "ml_engineer_uk_part1.pdf")
    texts = doc.texts
    assert "Співбесіда з ML Engineer" not in texts  # running header
    assert any(t.startswith("- 1. Який з ваших останніх проектів був найбільш челенджовим") and t.endswith("?**")
               for t in texts)
    assert all(line.locator.startswith("p") for line in doc.lines)
