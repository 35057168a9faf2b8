"""The tutor: reads an index (never writes it), retrieves, answers, grades, keeps progress."""
