"""Records → chunks: the question alone, and question + answer pieces (question repeated at the head)."""

from __future__ import annotations

from langchain_text_splitters import RecursiveCharacterTextSplitter

from tutor.store import Chunk, Record

PIECE_CHARS = 900
PIECE_OVERLAP = 120
MAX_PIECES = 4  # the head of an answer carries its substance; tails are code listings and tables

_splitter = RecursiveCharacterTextSplitter(
    chunk_size=PIECE_CHARS, chunk_overlap=PIECE_OVERLAP, separators=["\n\n", "\n", ". ", " ", ""]
)


def chunk_record(record: Record) -> list[Chunk]:
    chunks = [Chunk(record.id, "question", record.question, record.lang)]
    if record.answer.strip():
        pieces = _splitter.split_text(record.answer)[:MAX_PIECES]
        for piece in pieces:
            chunks.append(Chunk(record.id, "qa", f"{record.question}\n{piece}", record.lang))
    return chunks


def chunk_records(records: list[Record]) -> list[Chunk]:
    return [chunk for record in records for chunk in chunk_record(record)]
