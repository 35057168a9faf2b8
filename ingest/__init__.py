"""Ingestion: documents in, an index folder out. Knows nothing of chat or grading."""
