"""ingest/load/delimited.py: CSV and TSV banks, with a header (English or Ukrainian names) or
without one (columns told by their content); quoted fields with commas and line breaks."""

from __future__ import annotations

import pytest
from bank_records import BANKS, assert_records, parse_bank

from ingest.document import LoadError
from ingest.load import load
from ingest.parse import parse_document


def test_csv_with_english_header():
    records = parse_bank("bank_en.csv")
    assert_records(records, [
        ("What is overfitting?", "The model memorises noise in the training data, so it", "junior", "en"),
        ("Explain the bias-variance trade-off.", "Bias is error from overly simple assumptions;", "middle", "en"),
        ("Name two ways to handle class imbalance, and say when each fails.",
         "Resample the data (oversample the minority or undersample the majority), or weight", "middle", "en"),
        ("How does dropout work, and why does it help?", "During training each unit is zeroed", "senior", "en"),
        ("Walk me through how you would debug a model whose validation loss suddenly jumps.",
         "First check the data pipeline", "senior", "en"),
    ])
    # quoted fields: the commas stay inside, the line break is the answer's own
    assert records[1].answer == ("Bias is error from overly simple assumptions; variance is error from sensitivity to "
                                 "the training sample.\nReducing one usually raises the other, so you pick the model "
                                 "complexity that minimises their sum.")
    assert [r.section for r in records] == ["Basics", "Basics", "Data", "Deep learning", "Practice"]
    assert [r.tags for r in records] == [["generalization", "regularization"], ["theory"], ["imbalance", "sampling"],
                                         ["regularization"], []]
    assert [r.locator for r in records] == ["2", "3", "5", "7", "8"]  # the line each row starts on
    assert all(r.source == "bank_en.csv" for r in records)


def test_tsv_with_ukrainian_header():
    records = parse_bank("bank_uk.tsv")
    assert_records(records, [
        ("Що таке градієнтний спуск?", "Ітеративний метод: параметри зсуваються", "junior", "uk"),
        ("Поясніть, навіщо потрібна нормалізація ознак.", "Ознаки в різних масштабах", "junior", "uk"),
        ("Порівняйте L1 та L2 регуляризацію.", "L1 обнуляє частину ваг і відбирає ознаки;\nL2 рівномірно", "middle",
         "uk"),
        ("Опишіть, як працює механізм уваги.", "Кожен токен зважує інші токени", "senior", "uk"),
    ])
    assert [r.section for r in records] == ["Оптимізація", "Дані", "Регуляризація", "Глибоке навчання"]
    assert load(BANKS / "bank_uk.tsv").kind == "tsv"


def test_csv_without_header_columns_told_by_content():
    # the answer comes first here; the question column is the one whose cells end with "?", the
    # third column holds only level words; the dialect (";") is sniffed
    records = parse_bank("noheader.csv")
    assert_records(records, [
        ("What is a confusion matrix?", "A table of predicted versus actual classes", "junior", "en"),
        ("What is the difference between precision and recall?", "Precision is the share", "junior", "en"),
        ("How does k-fold cross-validation work?", "Hold out k folds in turn;", "middle", "en"),
        ("Why is gradient boosting sequential?", "Gradient boosting fits each new tree", "senior", "en"),
    ])


def test_without_header_and_without_question_marks_the_shorter_column_is_the_question(tmp_path):
    p = tmp_path / "cards.csv"
    p.write_text("Gradient descent,An iterative method that moves the parameters against the gradient of the loss\n"
                 "Dropout,Randomly zeroing units during training so that they cannot co-adapt\n"
                 "Epoch,One full pass of the training algorithm over the whole training set\n", encoding="utf-8")
    records = parse_document(load(p))
    assert [(r.question, r.answer[:20]) for r in records] == [
        ("Gradient descent", "An iterative method "), ("Dropout", "Randomly zeroing uni"), ("Epoch", "One full pass of the")]


def test_unknown_header_row_is_skipped_by_content(tmp_path):
    p = tmp_path / "faq.csv"
    p.write_text("Prompt text,Model solution\nWhat is bias?,Error from wrong assumptions.\n"
                 "What is variance?,Error from sensitivity to the sample.\nWhat is noise?,Error nobody can remove.\n",
                 encoding="utf-8")
    # "Prompt text" is a known name (prompt …): a header
    assert [r.question for r in parse_document(load(p))] == ["What is bias?", "What is variance?", "What is noise?"]
    q = tmp_path / "faq2.csv"
    q.write_text("Ask,Reply\nWhat is bias?,Error from wrong assumptions.\nWhat is variance?,Error from the sample.\n"
                 "What is noise?,Error nobody can remove.\n", encoding="utf-8")
    # names nobody knows: the first row is no question where every other row is one
    assert [r.question for r in parse_document(load(q))] == ["What is bias?", "What is variance?", "What is noise?"]


def test_header_names_are_matched_loosely(tmp_path):
    p = tmp_path / "anki_like.csv"
    p.write_text("front,back,deck,difficulty\nWhat is a tensor?,A multi-dimensional array.,Math,Hard\n",
                 encoding="utf-8")
    (r,) = parse_document(load(p))
    assert (r.question, r.answer, r.section, r.level) == ("What is a tensor?", "A multi-dimensional array.", "Math",
                                                          "senior")


@pytest.mark.parametrize("name,data,fragment", [
    ("notes.csv", "Topic,Answer\nBasics,Some answer text here.\n", "no question column: the header names topic, answer"),
    ("levels.csv", "easy,hard\nmedium,easy\n", "no question column"),
    ("blank.csv", ",,\n , \n", "no rows"),
    ("same.csv", "alpha beta gamma,delta epsilon zeta\neta theta iota,kappa lambda mu\n", "no column reads as questions"),
])
def test_no_recognisable_question_column(tmp_path, name, data, fragment):
    p = tmp_path / name
    p.write_text(data, encoding="utf-8")
    with pytest.raises(LoadError) as info:
        load(p)
    assert name in str(info.value)
    assert fragment in info.value.reason.casefold(), info.value.reason


def test_a_key_points_column_gives_the_rubric(tmp_path):
    bank = tmp_path / "points.csv"
    bank.write_text('question,answer,key_points\n'
                    '"What is a p-value?","The chance of data this extreme if the null hypothesis holds.",'
                    '"probability under the null | not the chance the null is true; small means surprising"\n',
                    encoding="utf-8")
    records = parse_document(load(bank))
    assert [r.key_points for r in records] == [["probability under the null", "not the chance the null is true",
                                               "small means surprising"]]
