"""ingest/load/text.py: text decoding. UTF-8 (a BOM honoured), else a legacy encoding told with
confidence (Windows-1251, KOI8-U, Latin-1/Windows-1252) and named on the Document; bytes no
encoding reads cleanly, or two read equally well, are refused with the reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from bank_records import BANKS, assert_records, parse_bank

from ingest.document import LoadError
from ingest.load import load
from ingest.load.text import decode, plausibility

CP1251 = [
    ("Що таке навчальна вибірка?", "Це приклади, на яких модель підбирає", "junior", "uk"),
    ("Поясніть, що таке валідаційна вибірка.", "Окремі приклади, за якими обирають", "junior", "uk"),
    ("Чим відрізняється класифікація від регресії?", "Класифікація передбачає клас", "middle", "uk"),
    ("Назвіть дві метрики для регресії.", "Середня квадратична помилка", "middle", "uk"),
]
KOI8U = [
    ("Що таке функція активації?", "Нелінійна функція, яку застосовують", "senior", "uk"),
    ("Опишіть, як працює зворотне поширення помилки.", "Градієнт втрат обчислюють", "senior", "uk"),
    ("Порівняйте ReLU та сигмоїду.", "ReLU швидка і не насичується", "senior", "uk"),
    ("Навіщо потрібна пакетна нормалізація?", "Вона стабілізує розподіл активацій", "senior", "uk"),
]
UTF16 = [
    ("What is a hyperparameter?", "A setting chosen before training", "unknown", "en"),
    ("Explain why we shuffle training data.", "Shuffling stops the model", "unknown", "en"),
    ("What is the curse of dimensionality?", "As features are added", "unknown", "en"),
    ("Compare accuracy and balanced accuracy.", "Balanced accuracy averages the recall", "unknown", "en"),
]
LATIN1 = [
    ("Why is naïve Bayes called naïve?", "It assumes every feature is independent", "junior", "en"),
    ("What does a decision tree's café-style menu of splits mean for its depth?", "Each split is a yes/no question;",
     "junior", "en"),
    ("Explain the déjà vu problem of data leakage.", "Information from the test set reaches training", "senior", "en"),
    ("Describe a résumé-screening model that stays fair.", "Remove protected attributes", "senior", "en"),
]


@pytest.mark.parametrize("name,encoding,expected", [
    ("legacy_cp1251.txt", "windows-1251", CP1251),
    ("legacy_koi8u.md", "koi8-u", KOI8U),
    ("utf16_bom.txt", "utf-16", UTF16),
    ("latin1_western.md", "latin-1", LATIN1),
])
def test_legacy_banks_are_read_and_the_encoding_named(name, encoding, expected):
    assert not (BANKS / name).read_bytes().isascii()
    with pytest.raises(UnicodeDecodeError):
        (BANKS / name).read_bytes().decode("utf-8")  # the fixture really is not UTF-8
    assert load(BANKS / name).encoding == encoding
    assert_records(parse_bank(name), expected)


@pytest.mark.parametrize("text,codec,name", [
    ("Що таке перенавчання моделі?", "cp1251", "windows-1251"),
    ("Що таке перенавчання моделі?", "koi8_u", "koi8-u"),
    ("перенавчання", "koi8_u", "koi8-u"),  # one word: the other reading is all capitals
    ("Was ist Überanpassung? Das Modell lernt das Rauschen auswendig.", "latin_1", "latin-1"),
    ("It’s the “bias–variance” trade-off.", "cp1252", "windows-1252"),  # 0x80-0x9F: Windows-1252's own
    ("Café résumé naïve", "latin_1", "latin-1"),
])
def test_short_legacy_texts(text, codec, name):
    assert decode(Path("x.txt"), text.encode(codec)) == (text, name)


def test_utf8_and_boms():
    assert decode(Path("a.txt"), "Що? ✓".encode()) == ("Що? ✓", "utf-8")
    assert decode(Path("a.txt"), "\ufeffЩо?".encode()) == ("Що?", "utf-8")
    assert decode(Path("a.txt"), b"\xfe\xff" + "Що?".encode("utf-16-be")) == ("Що?", "utf-16")
    assert decode(Path("a.txt"), "Що?".encode("utf-32")) == ("Що?", "utf-32")


@pytest.mark.parametrize("data,fragment", [
    (bytes(range(0x80, 0x100)) * 4, "no known encoding"),
    ("Привіт, світе! ".encode("cp1251") + "Café та перенавчання".encode(), "no known encoding"),  # two encodings mixed
    ("Що таке перенавчання моделі?".encode()[:-2] + b"\xd0", "not utf-8"),  # UTF-8 cut mid-character
])
def test_undecidable_bytes_are_refused_with_the_reason(tmp_path, data, fragment):
    p = tmp_path / "odd.txt"
    p.write_bytes(data)
    with pytest.raises(LoadError) as info:
        load(p)
    assert "odd.txt" in str(info.value)
    assert fragment in info.value.reason.casefold() and "convert it to utf-8" in info.value.reason.casefold()


def test_structured_formats_decode_the_same_way(tmp_path):
    p = tmp_path / "bank.csv"
    p.write_bytes("питання,відповідь\nЩо таке ознака?,Вимірювана властивість прикладу.\n".encode("cp1251"))
    doc = load(p)
    assert doc.encoding == "windows-1251"
    assert [(e.question, e.answer) for e in doc.entries] == [("Що таке ознака?", "Вимірювана властивість прикладу.")]


def test_plausibility_prefers_natural_letter_case():
    assert plausibility("Що таке перенавчання") == 1.0
    assert plausibility("ыН РЮЙЕ ОЕПЕМЮБВЮММЪ") <= 0.5  # Windows-1251 bytes read as KOI8-U
    assert plausibility("Ьberanpassung") == 0.0  # two scripts in one word
    assert plausibility("plain ascii only") == 1.0
