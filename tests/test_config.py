"""tutor/config.py: one typed settings object from TUTOR_* variables, overrides validated the same way."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor.config import Settings, SettingsError, get_settings


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("TUTOR_BANK", "TUTOR_INDEX", "TUTOR_LLM", "TUTOR_API_BASE", "TUTOR_API_MODEL", "TUTOR_API_KEY",
                 "TUTOR_DB", "TUTOR_CACHE", "TUTOR_THREADS", "TUTOR_SHARED", "TUTOR_SEEDS", "TUTOR_LOCAL_MODEL",
                 "TUTOR_MAX_UPLOAD_MB"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults_and_environment(clean_env, tmp_path):
    s = get_settings()
    assert (s.bank, s.index, s.llm, s.api_key, s.shared) == (Path("bank"), Path("index"), "local", None,
                                                            Path("../shared"))
    assert s.threads >= 1 and Path(s.db).name == "progress.sqlite" and s.seed_bank == Path("../shared/seeds")
    clean_env.setenv("TUTOR_INDEX", str(tmp_path / "i"))
    clean_env.setenv("TUTOR_LLM", " NONE ")
    clean_env.setenv("TUTOR_THREADS", "3")
    clean_env.setenv("TUTOR_SEEDS", str(tmp_path / "seeds"))
    s = get_settings()
    assert (s.index, s.llm, s.threads, s.seed_bank) == (tmp_path / "i", "none", 3, tmp_path / "seeds")


def test_upload_limit(clean_env):
    assert get_settings().max_upload_mb == 50
    clean_env.setenv("TUTOR_MAX_UPLOAD_MB", "5")
    assert get_settings().max_upload_mb == 5


@pytest.mark.parametrize(("name", "value"), [
    ("TUTOR_LLM", "gpt"), ("TUTOR_THREADS", "lots"), ("TUTOR_THREADS", "-2"), ("TUTOR_MAX_UPLOAD_MB", "0"),
    ("TUTOR_MAX_UPLOAD_MB", "big")])
def test_a_bad_value_names_the_variable(clean_env, name, value):
    clean_env.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        get_settings()


def test_the_key_is_secret_and_overrides_are_validated(clean_env):
    clean_env.setenv("TUTOR_API_KEY", "sk-from-env-123")
    s = get_settings()
    assert "sk-from-env-123" not in repr(s) and "sk-from-env-123" not in str(s.model_dump())
    assert s.key() == "sk-from-env-123"
    changed = s.with_(api_key="sk-typed-456", index="elsewhere", llm=None)
    assert changed.key() == "sk-typed-456" and changed.index == Path("elsewhere") and changed.llm == "local"
    assert s.key() == "sk-from-env-123"  # frozen: the original is untouched
    with pytest.raises(SettingsError, match="TUTOR_LLM"):
        s.with_(llm="gpt")
    with pytest.raises(Exception):  # noqa: B017  (pydantic's frozen-instance error)
        s.index = Path("x")


def test_empty_api_values_mean_unset(clean_env):
    clean_env.setenv("TUTOR_API_KEY", "  ")
    clean_env.setenv("TUTOR_API_BASE", "")
    s = Settings()
    assert s.api_key is None and s.key() is None and s.api_base is None
