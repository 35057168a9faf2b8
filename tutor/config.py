"""One settings object, read from TUTOR_* environment variables; CLI flags and the app override it."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path


def _user_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "interview-tutor"


def _user_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "interview-tutor"


def _threads() -> int:
    value = os.environ.get("TUTOR_THREADS", "")
    return int(value) if value.isdigit() and int(value) > 0 else (os.cpu_count() or 1)


@dataclass(frozen=True)
class Settings:
    bank: Path = field(default_factory=lambda: Path(os.environ.get("TUTOR_BANK", "bank")))
    index: Path = field(default_factory=lambda: Path(os.environ.get("TUTOR_INDEX", "index")))
    llm: str = field(default_factory=lambda: os.environ.get("TUTOR_LLM", "local"))
    api_base: str | None = field(default_factory=lambda: os.environ.get("TUTOR_API_BASE"))
    api_model: str | None = field(default_factory=lambda: os.environ.get("TUTOR_API_MODEL"))
    api_key: str | None = field(default_factory=lambda: os.environ.get("TUTOR_API_KEY"), repr=False)
    db: Path = field(default_factory=lambda: Path(os.environ.get("TUTOR_DB", _user_data_dir() / "progress.sqlite")))
    cache: Path = field(default_factory=lambda: Path(os.environ.get("TUTOR_CACHE", _user_cache_dir())))
    threads: int = field(default_factory=_threads)
    # The shared evaluation data (seeds, inventory, query sets): $TUTOR_SHARED, else ../shared.
    shared: Path = field(default_factory=lambda: Path(os.environ.get("TUTOR_SHARED", "../shared")))

    def with_(self, **changes) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def get_settings(**overrides) -> Settings:
    return Settings().with_(**overrides)
