"""Which records a user asked for: the one meaning of the level, language, source and section filters.

Search (tutor.retrieve), question choice (tutor.interview) and the app's library all filter with it:
level and language match exactly; source and section are case-insensitive substrings (a part of a
file name or of a heading path is enough).
"""

from __future__ import annotations

from dataclasses import dataclass

from tutor.store import Record


def _contains(needle: str, haystack: str) -> bool:
    return needle.casefold() in haystack.casefold()


@dataclass
class Filters:
    level: str | None = None
    lang: str | None = None
    source: str | None = None  # a substring of the source file name
    section: str | None = None  # a substring of the heading path

    def matches(self, record: Record) -> bool:
        if self.level and record.level != self.level:
            return False
        if self.lang and record.lang != self.lang:
            return False
        if self.source and not _contains(self.source, record.source):
            return False
        return not (self.section and not _contains(self.section, record.section))

    def any(self) -> bool:
        return any((self.level, self.lang, self.source, self.section))
