"""ingest/chunk.py: the question alone, and question + answer pieces with the question at the head."""

from ingest.chunk import MAX_PIECES, PIECE_CHARS, chunk_record
from tutor.store import Record


def _record(answer: str) -> Record:
    return Record("r1", "s.md", "1", "", "unknown", "en", "What is dropout?", answer)


def test_short_answer_gives_question_and_one_qa_chunk():
    chunks = chunk_record(_record("Dropout zeroes random activations during training."))
    assert [c.kind for c in chunks] == ["question", "qa"]
    assert chunks[0].text == "What is dropout?"
    assert chunks[1].text.startswith("What is dropout?\nDropout zeroes")
    assert all(c.record_id == "r1" for c in chunks)


def test_long_answer_is_split_with_the_question_repeated():
    answer = "\n\n".join(f"Paragraph {i}: " + "word " * 60 for i in range(12))
    chunks = chunk_record(_record(answer))
    qa = [c for c in chunks if c.kind == "qa"]
    assert 1 < len(qa) <= MAX_PIECES
    assert all(c.text.startswith("What is dropout?\n") for c in qa)
    assert all(len(c.text) <= PIECE_CHARS + len("What is dropout?\n") for c in qa)


def test_unanswered_question_is_one_chunk():
    assert [c.kind for c in chunk_record(_record(""))] == ["question"]
