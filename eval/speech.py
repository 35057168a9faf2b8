"""The spoken-answer set (eval/speech/clips.jsonl): texts we wrote, spoken by espeak-ng into WAV clips
on demand, and the word error rate of a transcript against the text it was spoken from.

Clips are made, not stored: `make_clips` writes `<folder>/<id>.wav` once per text (a changed text gets
a new file, named by the text's hash). Word error rate is jiwer's, after both sides are lowercased and
stripped of punctuation, so "L2-regularization," and "l2 regularization" are the same words.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SPEECH_DIR = Path(__file__).resolve().parent / "speech"
CLIPS = SPEECH_DIR / "clips.jsonl"
ESPEAK_VOICES = {"en": "en-us", "uk": "uk"}
ESPEAK_WPM = 160  # a calm interview pace


@dataclass(frozen=True)
class Clip:
    id: str
    inventory_id: str
    lang: str
    text: str
    wav: Path | None = None


def load_clips(path: Path = CLIPS) -> list[Clip]:
    clips = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                obj = json.loads(line)
                try:
                    clips.append(Clip(obj["id"], obj["inventory_id"], obj["lang"], obj["text"]))
                except KeyError as exc:
                    raise ValueError(f"{path}:{n}: missing {exc.args[0]}") from None
    return clips


def espeak() -> str:
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise RuntimeError("espeak-ng is not installed (apt-get install espeak-ng; .ci/run installs it)")
    return exe


def speak(text: str, lang: str, wav: Path, wpm: int = ESPEAK_WPM) -> Path:
    """Say `text` with espeak-ng into a WAV file (22.05 kHz mono, 16-bit)."""
    wav.parent.mkdir(parents=True, exist_ok=True)
    tmp = wav.with_name(f".{wav.name}.part")
    subprocess.run([espeak(), "-v", ESPEAK_VOICES.get(lang, lang), "-s", str(wpm), "-w", str(tmp), text],
                   check=True, capture_output=True, timeout=120)
    tmp.replace(wav)
    return wav


def make_clips(folder: Path, clips: list[Clip] | None = None) -> list[Clip]:
    """Every clip with its WAV under `folder` (spoken now unless a file for the same text is there)."""
    made = []
    for clip in clips if clips is not None else load_clips():
        digest = hashlib.sha256(f"{clip.lang}\n{ESPEAK_WPM}\n{clip.text}".encode()).hexdigest()[:12]
        wav = Path(folder) / f"{clip.id}-{digest}.wav"
        if not wav.is_file():
            speak(clip.text, clip.lang, wav)
        made.append(Clip(clip.id, clip.inventory_id, clip.lang, clip.text, wav))
    return made


def word_error_rate(references: list[str], hypotheses: list[str]) -> float:
    """Corpus word error rate (errors over all reference words), punctuation and case ignored."""
    import jiwer

    normalize = jiwer.Compose([
        jiwer.ToLowerCase(), jiwer.SubstituteRegexes({r"[-–—/]": " "}), jiwer.RemovePunctuation(),
        jiwer.RemoveMultipleSpaces(), jiwer.Strip(), jiwer.ReduceToListOfListOfWords(),
    ])
    return float(jiwer.wer(references, hypotheses, reference_transform=normalize, hypothesis_transform=normalize))
