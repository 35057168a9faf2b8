"""One settings object, read once from TUTOR_* environment variables; CLI flags and the app override it.

Typed with pydantic-settings: a bad value (TUTOR_LLM=gpt, TUTOR_THREADS=0) is a SettingsError naming the
variable, not a silent default. The API key is a SecretStr, so it never shows in a repr, a log or a
traceback; `.get_secret_value()` is called only where the HTTP client is built. Tuning numbers are not
settings: they live in tutor/tuning.py.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Backend = Literal["local", "api", "none"]


class SettingsError(ValueError):
    """A TUTOR_* variable (or an override) has a value the tutor cannot use."""


def _user_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "interview-tutor"


def _user_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "interview-tutor"


# Whose progress a Progress opens when nobody says (the CLI, one person on a laptop); what was saved
# before users existed belongs to this user.
DEFAULT_USER = "local"


# What each count setting counts, for its error message.
_COUNTED = {"threads": "threads", "api_max_concurrent": "requests", "max_upload_mb": "megabytes"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TUTOR_", frozen=True, extra="ignore")

    bank: Path = Path("bank")  # folder (or file) to ingest
    index: Path = Path("index")  # index folder
    llm: Backend = "local"  # the answer/grading backend
    api_base: str | None = None  # the OpenAI-compatible endpoint
    api_model: str | None = None
    api_key: SecretStr | None = None
    # Requests this process (one app replica) sends to the api server at once; more wait for a slot.
    # Size it to the server's parallel slots divided by the replicas (docs/served-model.md).
    api_max_concurrent: int = 4
    # How long a request waits for one of those slots before it gives up (LLMError "saturated") and the
    # caller answers from the bank instead. 5 s: the extractive answer is instant, and a user who has
    # waited seconds with no first word is better served by it than by a queue that can grow without
    # bound under a burst; an answer slot frees in a few seconds on a healthy server.
    api_queue_timeout_s: float = 5.0
    # An OpenAI-compatible speech endpoint (/v1/audio/transcriptions) for spoken answers in both
    # languages; unset: the bundled Whisper base model, English only (tutor/speech.py).
    speech_api_base: str | None = None
    speech_api_model: str | None = None
    speech_api_key: SecretStr | None = None
    local_model: str = ""  # qwen1.5b | qwen0.5b | smollm2; empty: tutor.models' default
    # Progress database: a SQLite file path, or a postgresql:// URL for replicas sharing one database;
    # empty: a file in the per-user data folder (see the validator). A string: a URL is not a path.
    db: str = ""
    # Whose progress, cards and reports: the CLI's user, and the app's default user name.
    user: str = DEFAULT_USER
    # Behind a proxy that authenticates people: the request header holding the user's identity (e.g.
    # X-Forwarded-User). Set, the app takes the user from it and refuses requests without it.
    user_header: str | None = None
    cache: Path = Path()  # embedding cache; empty: a per-user cache folder
    threads: int = 0  # CPU threads for models; 0: all cores
    # The app's upload (Library page): a file larger than this many megabytes is refused unread.
    max_upload_mb: int = 50
    # Chat replies: a model's sentence no source supports is left out (False) or shown marked [?] (True).
    show_unsupported: bool = False
    # The shared evaluation data (seeds, inventory, query sets) and the seed bank inside it.
    shared: Path = Path("../shared")
    seeds: Path | None = None  # None: shared / "seeds"

    @field_validator("llm", mode="before")
    @classmethod
    def _backend_lowercase(cls, value):
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("api_base", "api_model", "api_key", "speech_api_base", "speech_api_model", "speech_api_key",
                     "user_header", mode="before")
    @classmethod
    def _empty_is_unset(cls, value):
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("threads", mode="before")
    @classmethod
    def _threads(cls, value):
        if value in (None, "", 0, "0"):
            return os.cpu_count() or 1
        return value

    @field_validator("threads", "api_max_concurrent", "max_upload_mb")
    @classmethod
    def _counts_positive(cls, value: int, info) -> int:
        if value < 1:
            raise ValueError(f"must be a positive number of {_COUNTED[info.field_name]}")
        return value

    @field_validator("api_queue_timeout_s")
    @classmethod
    def _queue_timeout_not_negative(cls, value: float) -> float:
        if value < 0:
            raise ValueError("must be zero or more seconds")
        return value

    @field_validator("db", mode="before")
    @classmethod
    def _db_default(cls, value):
        if value is None or str(value).strip() in ("", "."):
            return str(_user_data_dir() / "progress.sqlite")
        return str(value).strip()

    @field_validator("user", mode="before")
    @classmethod
    def _user_default(cls, value):
        return DEFAULT_USER if value is None or not str(value).strip() else str(value).strip()

    @field_validator("cache", mode="before")
    @classmethod
    def _cache_default(cls, value):
        return _user_cache_dir() if value in (None, "", Path()) else value

    @property
    def seed_bank(self) -> Path:
        """The seed question bank: $TUTOR_SEEDS, else $TUTOR_SHARED/seeds (../shared/seeds)."""
        return self.seeds if self.seeds is not None else self.shared / "seeds"

    def key(self) -> str | None:
        """The API key in clear, for the one place that builds the HTTP client."""
        return self.api_key.get_secret_value() if self.api_key is not None else None

    def speech_key(self) -> str | None:
        """The speech endpoint's key in clear, for the one place that calls it. Never the chat API's key:
        the two endpoints may belong to different parties."""
        return self.speech_api_key.get_secret_value() if self.speech_api_key is not None else None

    def with_(self, **changes) -> Settings:
        """A copy with the given (non-None) fields replaced, validated like the environment's values."""
        data = {**self.model_dump(), **{k: v for k, v in changes.items() if v is not None}}
        return _validated(lambda: type(self)(**data))


def _validated(build) -> Settings:
    try:
        return build()
    except ValidationError as exc:
        problems = "; ".join(
            f"TUTOR_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}" for err in exc.errors()
        )
        raise SettingsError(problems) from None


def get_settings(**overrides) -> Settings:
    return _validated(Settings).with_(**overrides)
