"""Spoken answers: how fast and how well the bundled Whisper base model transcribes. Prints one JSON object.

    .venv/bin/python bench/speech.py [--index DIR] [--threads 2] [--llm none|local]

Our clips (eval/speech/clips.jsonl, spoken by espeak-ng): the model's assembly and load time, the
real-time factor (transcription time over audio time) on the given threads, the word error rate
against the texts, the process's peak memory. With --index (the seed index) each clip is transcribed
with its record's terms as context (tutor.speech.speech_context, as the app does), also without
context and with another record's, and the grade of each transcript is compared with the grade of
the text it was spoken from (the issue's bound: 10 points).
Run it alone: other work on the cores changes the times.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eval.speech import load_clips, make_clips, word_error_rate  # noqa: E402
from tutor.config import get_settings  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def clip_records(index, clips, settings) -> list:
    from eval.gold import load_inventory, match_inventory

    inventory = [i for i in load_inventory(settings.shared / "eval" / "inventory.jsonl")
                 if i["id"] in {c.inventory_id for c in clips}]
    mapping = match_inventory(inventory, index.records)
    return [index.by_id[mapping[c.inventory_id]] for c in clips]


def grading_deltas(index, records, clips, transcripts, settings, backend: str) -> dict:
    from tutor.grade import get_grader
    from tutor.judge import judge_for

    grader = get_grader(settings, index)
    llm = None
    if backend != "none":
        from tutor.llm import get_llm

        llm = get_llm(backend, settings)
    judge = judge_for(llm)
    rows = []
    for clip, record, transcript in zip(clips, records, transcripts, strict=True):
        spoken_from = grader.grade(record, clip.text, judge=judge).score
        heard = grader.grade(record, transcript, judge=judge).score
        rows.append({"id": clip.id, "text_score": spoken_from, "transcript_score": heard,
                     "delta": heard - spoken_from})
    deltas = [abs(r["delta"]) for r in rows]
    return {"backend": backend, "max_abs_delta": max(deltas), "mean_abs_delta": round(statistics.mean(deltas), 1),
            "within_10": round(sum(d <= 10 for d in deltas) / len(deltas), 3), "per_clip": rows}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, help="the seed index, to compare grades of transcripts and texts")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--llm", choices=("none", "local"), default="none", help="the grading mode for --index")
    args = ap.parse_args()
    settings = get_settings(threads=args.threads, speech_api_base=None)
    import tutor.speech as speech

    clips = make_clips(settings.cache / "speech-clips", load_clips())
    t0 = time.perf_counter()
    folder = speech.whisper_dir(settings.cache)
    assemble_s = time.perf_counter() - t0
    rss_before = peak_mb()
    t0 = time.perf_counter()
    speech.whisper_model(args.threads, settings.cache)
    load_s = time.perf_counter() - t0
    index = records = None
    if args.index:
        from tutor.index import open_index

        index = open_index(args.index)
        records = clip_records(index, clips, settings)
    contexts = [speech.speech_context(r) for r in records] if records else [None] * len(clips)
    transcripts, per_clip = [], []
    for clip, context in zip(clips, contexts, strict=True):
        t0 = time.perf_counter()
        t = speech.transcribe(clip.wav, clip.lang, settings, context=context)
        elapsed = time.perf_counter() - t0
        transcripts.append(t)
        per_clip.append({"id": clip.id, "audio_s": t.duration, "transcribe_s": round(elapsed, 2),
                         "rtf": round(elapsed / t.duration, 3), "wer": round(word_error_rate([clip.text], [t.text]), 3),
                         "fillers_said": speech.count_fillers(clip.text, clip.lang),
                         "fillers_heard": speech.delivery_notes(t).fillers})
    peak_transcribing = peak_mb()  # before the grader's models load
    audio_s = sum(c["audio_s"] for c in per_clip)
    busy_s = sum(c["transcribe_s"] for c in per_clip)
    said = sum(sum(c["fillers_said"].values()) for c in per_clip)
    heard = sum(min(c["fillers_heard"].get(w, 0), n) for c in per_clip for w, n in c["fillers_said"].items())
    out = {
        "model": speech.WHISPER.title, "folder": str(folder.relative_to(settings.cache)), "threads": args.threads,
        "clips": len(clips), "audio_s": round(audio_s, 1), "context": "record terms" if records else "none",
        "assemble_s": round(assemble_s, 2), "load_s": round(load_s, 2),
        "rtf": round(busy_s / audio_s, 3), "rtf_p50": statistics.median(c["rtf"] for c in per_clip),
        "rtf_max": max(c["rtf"] for c in per_clip),
        "wer": round(word_error_rate([c.text for c in clips], [t.text for t in transcripts]), 4),
        "fillers_said": said, "fillers_heard": heard,
        "peak_rss_mb_before_load": rss_before, "peak_rss_mb": peak_transcribing,
    }
    if records:
        # The same clips with no context, and with the context of another clip's record: what the
        # terms fix, and that they add no term that was not said.
        plain = [speech.transcribe(c.wav, c.lang, settings).text for c in clips]
        shifted = contexts[1:] + contexts[:1]
        other = [speech.transcribe(c.wav, c.lang, settings, context=x).text for c, x in zip(clips, shifted, strict=True)]
        out["wer_no_context"] = round(word_error_rate([c.text for c in clips], plain), 4)
        out["wer_other_record_context"] = round(word_error_rate([c.text for c in clips], other), 4)
        out["grading"] = grading_deltas(index, records, clips, [t.text for t in transcripts], settings, args.llm)
        out["grading_no_context"] = {k: v for k, v in grading_deltas(index, records, clips, plain, settings,
                                                                       args.llm).items() if k != "per_clip"}
    out["per_clip"] = per_clip
    print(json.dumps(out, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
