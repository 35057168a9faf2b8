"""ingest/load/json_rows.py: JSON (a list of objects, or an object holding them) and JSON Lines banks,
keys found by name in English and Ukrainian."""

from __future__ import annotations

import json

import pytest
from bank_records import assert_records, parse_bank

from ingest.document import LoadError
from ingest.load import load
from ingest.parse import parse_document


def test_json_object_holding_one_list():
    records = parse_bank("bank.json")
    assert_records(records, [
        ("What is a ROC curve?", "A plot of the true positive rate against the false positive rate", "junior", "en"),
        ("Describe how a random forest decorrelates its trees.",
         "- Each tree sees a bootstrap sample of the rows.\n- Each split considers a random subset", "middle", "en"),
        ("Design a system that detects fraudulent card payments in real time.", "Stream features from recent",
         "senior", "en"),
        ("Що таке вектор ознак?", "Набір чисел, які описують один приклад", "junior", "uk"),
        ("Explain what the **kwargs parameter means in Python.", "It collects any keyword arguments", "junior", "en"),
    ])
    assert [r.section for r in records] == ["Metrics", "Ensembles", "System design", "Основи", "Python"]
    assert records[0].tags == ["evaluation", "classification"] and records[1].tags == ["trees", "bagging"]
    # an answer given as a list: each item is a point
    assert records[1].key_points == ["Each tree sees a bootstrap sample of the rows.",
                                     "Each split considers a random subset of the features."]
    assert [r.locator for r in records] == ["5", "12", "19", "25", "31"]  # the line of each question


def test_jsonl_with_ukrainian_keys():
    records = parse_bank("bank_uk.jsonl")
    assert_records(records, [
        ("Що таке перенавчання?", "Модель запам'ятовує шум", "junior", "uk"),
        ("Поясніть різницю між bagging та boosting.", "Bagging навчає моделі незалежно", "middle", "uk"),
        ("Опишіть, як вибрати метрику для незбалансованих класів.", "Замість точності беруть F1", "middle", "uk"),
        ("Назвіть два способи прискорити інференс великої моделі.", "Квантизація ваг", "senior", "uk"),
    ])
    assert records[3].tags == ["інференс", "оптимізація"]
    assert [r.locator for r in records] == ["1", "2", "4", "5"]  # the blank line 3 is skipped


def test_sections_from_keys_and_level_from_the_container(tmp_path):
    p = tmp_path / "nested.json"
    p.write_text(json.dumps({"data": {
        "Computer vision": {"level": "Senior", "items": [{"prompt": "What is a receptive field?", "answer": "The input "
                                                                                                             "region a unit sees."}]},
        "NLP": [{"question": "What is a token?", "answer": "A unit of text.", "difficulty": "easy"},
                {"question": "What is perplexity?"}],
    }}, ensure_ascii=False), encoding="utf-8")
    records = parse_document(load(p))
    assert [(r.question, r.section, r.level, r.answer) for r in records] == [
        ("What is a receptive field?", "Computer vision", "senior", "The input region a unit sees."),
        ("What is a token?", "NLP", "junior", "A unit of text."),
        ("What is perplexity?", "NLP", "unknown", ""),
    ]


def test_a_plain_list_of_objects(tmp_path):
    p = tmp_path / "list.json"
    p.write_text('[{"Front": "What is an epoch?", "Back": "One pass over the data."}]', encoding="utf-8")
    (r,) = parse_document(load(p))
    assert (r.question, r.answer, r.locator) == ("What is an epoch?", "One pass over the data.", "1")


@pytest.mark.parametrize("name,data,fragment", [
    ("broken.json", '[{"question": "What is X?",}]', "invalid json at line 1"),
    ("broken.jsonl", '{"question": "What is X?"}\n{"question": oops}\n', "invalid json on line 2"),
    ("nokeys.json", '{"items": [{"title": "What is X?", "body": "..."}]}', "no question objects"),
    ("scalar.json", '"just a string"', "no question objects"),
])
def test_bad_json(tmp_path, name, data, fragment):
    p = tmp_path / name
    p.write_text(data, encoding="utf-8")
    with pytest.raises(LoadError) as info:
        load(p)
    assert name in str(info.value)
    assert fragment in info.value.reason.casefold(), info.value.reason
