"""`tutor transcribe FILE` and `tutor grade --record ID --audio FILE` (tutor/cli/speech.py, grade.py).

The fast tier runs the CLI in-process with the speech packages hidden (it must say what to install,
and everything else must still work); `slow` runs real subprocesses on our espeak-ng clips.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import CACHE, ROOT
from test_speech import hide_speech_packages

from tutor.cli import main

CLI = [sys.executable, "-m", "tutor.cli"]


def test_transcribe_without_the_packages_says_what_to_install(monkeypatch, tmp_path, capsys):
    hide_speech_packages(monkeypatch)
    monkeypatch.delenv("TUTOR_SPEECH_API_BASE", raising=False)
    clip = tmp_path / "answer.wav"
    clip.write_bytes(b"RIFF0000WAVE")
    assert main(["transcribe", str(clip)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("tutor transcribe: ") and "pip install faster-whisper==1.2.1" in err
    assert err.count("\n") == 1


def test_transcribe_names_a_missing_file(capsys, tmp_path):
    assert main(["transcribe", str(tmp_path / "gone.wav")]) == 1
    assert "gone.wav" in capsys.readouterr().err


def test_ukrainian_offline_is_refused_with_the_reason(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("TUTOR_SPEECH_API_BASE", raising=False)
    clip = tmp_path / "answer.wav"
    clip.write_bytes(b"RIFF0000WAVE")
    assert main(["transcribe", str(clip), "--lang", "uk"]) == 1
    assert "Ukrainian" in capsys.readouterr().err


def test_grade_audio_usage_errors(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["grade", "--record", "x", "--audio", "a.wav", "--answer", "typed"])
    assert exit_.value.code == 2 and "not both" in capsys.readouterr().err


def test_the_rest_of_the_cli_works_without_the_speech_packages(monkeypatch, capsys):
    hide_speech_packages(monkeypatch)
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0 and "transcribe" in capsys.readouterr().out


# -- real subprocesses (slow) ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def env():
    return {**os.environ, "TUTOR_CACHE": str(CACHE), "TUTOR_THREADS": "2", "TUTOR_LLM": "none",
            "TUTOR_SPEECH_API_BASE": "", "PYTHONPATH": str(ROOT)}


def run(*args, env):
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=600, env=env)


@pytest.mark.slow
def test_transcribe_prints_the_text_and_json(speech_clips, env):
    clip = speech_clips[0]
    out = run("transcribe", clip.wav, env=env)
    assert out.returncode == 0, out.stderr
    assert "overfitting" in out.stdout.lower() and out.stdout.count("\n") == 1
    data = json.loads(run("transcribe", clip.wav, "--json", env=env).stdout)
    assert {"text", "segments", "duration", "speech_share", "lang", "delivery"} <= set(data)
    assert data["lang"] == "en" and data["segments"][0]["end"] > data["segments"][0]["start"]
    assert data["delivery"]["words"] > 30 and data["delivery"]["wpm"] > 80


@pytest.mark.slow
def test_transcribe_an_answer_to_a_record(speech_clips, speech_records, seed_index, env):
    i = next(i for i, c in enumerate(speech_clips) if "Brier" in c.text)
    out = run("transcribe", speech_clips[i].wav, "--index", seed_index, "--record", speech_records[i].id, env=env)
    assert out.returncode == 0, out.stderr
    assert "brier" in out.stdout.lower()  # the record's terms guide the spelling
    bad = run("transcribe", speech_clips[i].wav, "--index", seed_index, "--record", "nope", env=env)
    assert bad.returncode == 1 and "unknown record id" in bad.stderr


@pytest.mark.slow
def test_grade_a_recorded_answer(speech_clips, speech_records, seed_index, env):
    clip, record_id = speech_clips[0], speech_records[0].id
    out = run("grade", "--index", seed_index, "--record", record_id, "--audio", clip.wav, "--json", "--llm", "none",
              env=env)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["score"] >= 60 and "overfitting" in data["transcript"].lower()
    assert data["delivery"]["filler_count"] >= 0 and data["delivery"]["wpm"] > 80
    text = run("grade", "--index", seed_index, "--record", record_id, "--audio", clip.wav, env=env)
    assert text.returncode == 0 and "Transcript:" in text.stdout and "Delivery (not scored)" in text.stdout
