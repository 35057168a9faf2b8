"""What reads as an interview question, and the labels that mark questions and answers.

One definition for every parser (and for the structured loaders, which only strip labels):

* A question has a '?', or a sentence that opens with a question or task word: "How …", "Explain …",
  "Walk me through …", "Name two …", "Поясніть …", "Опишіть …", "Порівняйте …". `strict` asks for
  a task word (an imperative prompt): an interrogative word without a '?' ("What we cover") is a
  heading, not a question, where a parser reads headings and bold lines.
* Labels: `Q:`, `Q1.`, `Question 3:`, `Питання:`, `Питання 1.`, `**Q:**` before a question; `A:`,
  `Answer:`, `Відповідь:` before an answer. They say what a line is and never stay in a record's text.
"""

from __future__ import annotations

import re

from ingest.parse.text import split_sentences, strip_markup

# Task words that make a prompt a question without a '?' ("Explain …", "Поясніть …").
IMPERATIVE_OPENERS = frozenset(
    """explain describe compare contrast define discuss list name give tell walk design implement write
    outline summarize summarise derive prove show state suppose imagine consider build propose estimate
    evaluate identify differentiate distinguish elaborate illustrate calculate compute sketch justify
    поясніть поясни опишіть опиши порівняйте порівняй назвіть назви наведіть наведи розкажіть розкажи
    визначте визнач дайте дай запропонуйте запропонуй спроєктуйте спроектуйте спроєктуй реалізуйте
    реалізуй напишіть напиши обґрунтуйте обґрунтуй перелічіть перелічи перерахуйте уявіть уяви
    розгляньте розглянь оцініть оціни доведіть доведи покажіть покажи продемонструйте сформулюйте
    проаналізуйте охарактеризуйте розрахуйте обчисліть виведіть побудуйте побудуй розробіть розроби
    поділіться розкрийте проілюструйте зясуйте""".split()
)
# Words that open a question or an interview task ("What …", "Explain …").
QUESTION_OPENERS = IMPERATIVE_OPENERS | frozenset(
    """what what's whats how why when where which who whom whose can could would should will do does did
    is are was were have has if""".split()
)

_STARTS_WORD = re.compile(r"^[\"'“(\[]?[A-Za-z0-9À-ɏЀ-ӿ]")
_WORD = re.compile(r"[A-Za-zЀ-ӿ'’ʼ]+")

# The words of a question label; `QUESTION_WORDS` is a regex alternation for parsers that number them.
QUESTION_WORDS = r"Q(?:uestion)?|Питання|Запитання|Вопрос"
_QUESTION_WORD = r"Question|Питання|Запитання|Вопрос"
_ANSWER_WORDS = r"Ans(?:wer)?|Відповідь|Ответ"
_BOLD = r"(?:\*\*|__)?"
# `Q:` / `Q.` / `Q1.` / `Question 3:` / `Питання 1.` / `Питання №2)` / `**Q:**` / `Q - …`, then the
# question itself (a letter, digit, quote or bracket: `Q: [batch, d_k]` is a tensor shape, not a label)
_QUESTION_LABEL = re.compile(
    rf"^\s*(?:#{{1,6}}\s+)?(?:[-*+•]\s+)?{_BOLD}\s*(?:(?P<word>{_QUESTION_WORD})|Q)"
    rf"(?:\s*(?:№|#)?\s*(?P<n>\d{{1,4}}))?\s*{_BOLD}\s*"
    rf"(?:[:.)]|[-–—](?=\s)|(?(word)(?(n)(?=\s)|(?!))|(?!)))\s*{_BOLD}\s*(?=[\"'“«(]?[^\W_])",
    re.IGNORECASE,
)
# `A:` / `A1.` / `Answer:` / `Ans.` / `Відповідь —` / `**A:**`; a word label may stand alone on its line.
_ANSWER_LABEL = re.compile(
    rf"^\s*(?:[-*+•]\s+)?{_BOLD}\s*(?:(?P<word>{_ANSWER_WORDS})|A)(?:\s*(?P<n>\d{{1,4}}))?\s*{_BOLD}\s*"
    rf"(?:[:：]|[-–—](?=\s|$)|(?(n)[.)]|(?(word)\.|(?!))))\s*{_BOLD}\s*",
    re.IGNORECASE,
)
_ANSWER_ONLY = re.compile(rf"^\s*{_BOLD}\s*(?:{_ANSWER_WORDS})\s*{_BOLD}\s*[:：]?\s*{_BOLD}\s*$", re.IGNORECASE)
# a line holding only a question label ("Question 3:", "**Питання 1.**", "Q:"; a bare "Питання" is a
# title): the question is on the next line
_QUESTION_ONLY = re.compile(
    rf"^\s*(?:#{{1,6}}\s+)?{_BOLD}\s*(?:{QUESTION_WORDS})\s*(?:(?:№|#)?\s*(?P<n>\d{{1,4}}))?\s*{_BOLD}\s*"
    rf"(?(n)[:.)]?|[:.)])\s*{_BOLD}\s*$",
    re.IGNORECASE,
)
# an answer label after the question on the same line: "What is X? A: It is …"
_INLINE_ANSWER = re.compile(
    rf"(?<=[?.!)*])\s+{_BOLD}\s*(?:{_ANSWER_WORDS}|A)\s*{_BOLD}\s*[:：]\s*{_BOLD}\s*(?=\S)", re.IGNORECASE
)


_OPTION_B = re.compile(r"(?:^|[\s,;(])B\s*[:)]\s")


def has_question_label(text: str) -> bool:
    return bool(_QUESTION_LABEL.match(text))


def is_question_label_only(text: str) -> bool:
    return bool(_QUESTION_ONLY.match(text))


def strip_question_label(text: str) -> str:
    """The question without its `Q:` / `Question 3:` / `Питання 1.` label (also `Q: Q1. …`)."""
    for _ in range(2):
        m = _QUESTION_LABEL.match(text)
        if not m:
            break
        text = text[m.end():]
    return text


def answer_label(text: str, words_only: bool = False) -> re.Match | None:
    """The answer label at the start of the line (`A:` and `A1.` too unless words_only), or None."""
    m = _ANSWER_LABEL.match(text)
    if m is None or (words_only and not m.group("word")):
        return _ANSWER_ONLY.match(text)
    return m


def strip_answer_label(text: str, words_only: bool = False) -> str:
    m = answer_label(text, words_only)
    return text[m.end():] if m else text


def split_inline_answer(question: str) -> tuple[str, str | None]:
    """(question, answer) where the answer follows on the question's line after an answer label."""
    m = _INLINE_ANSWER.search(question)
    if m is None or _OPTION_B.search(question, m.end()):
        return question, None  # "… ? A: 1, B: 2": the options of a multiple-choice question
    return question[:m.start()].rstrip(), question[m.end():].strip()


def _opens_with(sentence: str, words: frozenset[str]) -> bool:
    found = _WORD.findall(sentence[:40])
    return bool(found) and re.sub(r"['’ʼ]", "", found[0].casefold()) in words


def looks_like_question(text: str, strict: bool = False) -> bool:
    """A question or an interview task: labelled as one, has a '?', or a sentence opens with a
    question/task word (strict: with a task word, an imperative prompt such as "Explain …")."""
    if has_question_label(text):
        return True
    text = strip_markup(text)
    if not _STARTS_WORD.match(text) or len(text.split()) < 2:
        return False
    if "?" in text:
        return True
    # ";" too: "Train a model; explain its errors." sets a task after it. (No "?": a text with one
    # is a question already.)
    words = IMPERATIVE_OPENERS if strict else QUESTION_OPENERS
    return any(_opens_with(sentence, words) for sentence in split_sentences(text, ends=".!;"))
