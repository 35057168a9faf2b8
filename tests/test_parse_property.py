"""Property-style: Q/A banks generated in several shapes (markdown with labels, plain numbered
questions, CSV, JSON), in English and Ukrainian, with random labels, column names and orders. In
every one, every question is found, nothing extra, each answer is its own, no label survives."""

from __future__ import annotations

import csv
import io
import json
import random

import pytest
from bank_records import labels_left

from ingest.load import load
from ingest.parse import parse_document

POOL = {
    "en": [
        ("What is overfitting?", "The model fits noise in the training data and fails on new data."),
        ("Explain the bias-variance trade-off.", "Simple models err by bias, flexible ones by variance."),
        ("Describe how k-means assigns points to clusters.", "Each point joins the nearest centroid, then centroids move."),
        ("Compare bagging and boosting.", "Bagging trains models in parallel, boosting trains them in sequence."),
        ("Walk me through evaluating a recommender.", "Hold out later interactions and measure ranking metrics on them."),
        ("Name two ways to reduce variance.", "Add training data, or add regularization such as weight decay."),
        ("Why do we normalize input features?", "Features on one scale make gradient descent converge faster."),
        ("How does dropout prevent co-adaptation?", "Units cannot rely on one another when any may be switched off."),
        ("Design a spam filter for a small company.", "Start with a linear model on word counts and a feedback loop."),
        ("What is a confusion matrix?", "A table of predicted classes against actual classes."),
    ],
    "uk": [
        ("Що таке перенавчання?", "Модель запам'ятовує шум і погано працює на нових даних."),
        ("Поясніть компроміс між зсувом і дисперсією.", "Прості моделі помиляються через зсув, гнучкі через дисперсію."),
        ("Опишіть, як працює метод k-середніх.", "Кожна точка приєднується до найближчого центроїда, потім центроїди зсуваються."),
        ("Порівняйте bagging та boosting.", "Bagging навчає моделі паралельно, boosting навчає їх послідовно."),
        ("Назвіть два способи зменшити дисперсію.", "Більше тренувальних даних або сильніша регуляризація."),
        ("Навіщо нормалізувати ознаки?", "Ознаки в одному масштабі пришвидшують градієнтний спуск."),
        ("Як dropout запобігає коадаптації?", "Нейрони не можуть покладатися один на одного, бо будь-який може вимкнутися."),
        ("Наведіть приклад витоку даних.", "Ознака, обчислена з майбутніх подій, потрапила в тренування."),
        ("Розкажіть, як оцінити рекомендаційну систему.", "Відкладіть пізніші взаємодії й виміряйте на них метрики ранжування."),
        ("Що таке матриця помилок?", "Таблиця передбачених класів проти справжніх."),
    ],
}
LEVELS = {"en": ["Junior", "Middle", "Senior"], "uk": ["Джуніор", "Мідл", "Сеньйор"]}
Q_LABELS = {"en": ["Q: {q}", "**Q:** {q}", "Question {n}: {q}", "Q{n}. {q}", "**Question {n}:** {q}"],
            "uk": ["Питання {n}. {q}", "Питання: {q}", "**Питання {n}:** {q}", "Q: {q}"]}
A_LABELS = {"en": ["A: {a}", "**A:** {a}", "Answer: {a}", "**Answer:** {a}"],
            "uk": ["Відповідь: {a}", "**Відповідь:** {a}", "A: {a}"]}
COLUMNS = {"question": ["question", "Question", "q", "Front", "prompt", "Питання", "питання"],
           "answer": ["answer", "Answer", "a", "Back", "definition", "Відповідь"]}


def _markdown_labels(rng, lang, pairs):
    out = [f"# {rng.choice(['Bank', 'Питання'])}", "", f"## {LEVELS[lang][0]}", ""]
    for n, (q, a) in enumerate(pairs, 1):
        out += [rng.choice(Q_LABELS[lang]).format(n=n, q=q), rng.choice(A_LABELS[lang]).format(a=a), ""]
    return "labels.md", "\n".join(out)


def _plain_numbered(rng, lang, pairs):
    out = [LEVELS[lang][0], ""]
    for n, (q, a) in enumerate(pairs, 1):
        out += [f"{n}. {q}", a, ""]
    return "numbered.txt", "\n".join(out)


def _csv(rng, lang, pairs):
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=rng.choice([",", ";", "\t"]))
    names = [rng.choice(COLUMNS["question"]), rng.choice(COLUMNS["answer"]), "level"]
    order = rng.sample(range(3), 3)
    writer.writerow([names[i] for i in order])
    for q, a in pairs:
        a = a.replace(", ", ",\n", 1) if rng.random() < 0.5 else a  # a line break inside a quoted field
        writer.writerow([[q, a, LEVELS[lang][1]][i] for i in order])
    return "bank.csv", buf.getvalue()


def _json(rng, lang, pairs):
    qk, ak = rng.choice(COLUMNS["question"]), rng.choice(COLUMNS["answer"])
    items = [{qk: q, ak: a, "difficulty": LEVELS[lang][2]} for q, a in pairs]
    data = items if rng.random() < 0.5 else {"questions": items}
    return "bank.json", json.dumps(data, ensure_ascii=rng.random() < 0.5, indent=rng.choice([None, 2]))


SHAPES = [_markdown_labels, _plain_numbered, _csv, _json]
LEVEL_OF = {_markdown_labels: "junior", _plain_numbered: "junior", _csv: "middle", _json: "senior"}


@pytest.mark.parametrize("seed", range(48))
def test_generated_banks(tmp_path, seed):
    rng = random.Random(seed)
    lang = ("en", "uk")[seed % 2]
    shape = SHAPES[(seed // 2) % len(SHAPES)]
    pairs = rng.sample(POOL[lang], rng.randint(3, 7))
    name, text = shape(rng, lang, pairs)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    records = parse_document(load(path))
    assert [r.question for r in records] == [q for q, _ in pairs], text
    for r, (_, answer) in zip(records, pairs, strict=True):
        assert r.answer.replace(",\n", ", ") == answer, text
        assert not labels_left(r), (labels_left(r), text)
        assert (r.lang, r.level) == (lang, LEVEL_OF[shape]), text


def test_the_label_check_can_fail():
    from tutor.store import Record

    left = Record("x", "s", "1", "", "unknown", "en", "Q: What is X?", answer="Answer: It is Y.")
    assert labels_left(left) == ["Q:", "Answer:"]
    inline = Record("x", "s", "1", "", "unknown", "en", "What is X? A: It is Y.")
    assert labels_left(inline) == ["? A:"]
