"""`tutor transcribe FILE [--lang en|uk] [--record ID] [--json]`: a spoken answer as text (tutor.speech).

Plain output is the transcript; --json adds its segments with times, the duration, the share of the
audio that was speech and the delivery notes (speaking time, words per minute, fillers). With
--record, the answer is to that record's question: its language, and its terms as the model's context.
"""

from __future__ import annotations

from tutor.cli.common import LANG_CHOICES, Failure, print_json, settings_for


def transcribe_file(path: str, lang: str, settings, record=None):
    """(transcript, delivery notes) for an audio file (an answer to `record`, when given), or a
    one-line Failure naming the file."""
    from tutor.speech import SpeechError, delivery_notes, speech_context, transcribe

    try:
        transcript = transcribe(path, record.lang if record else lang, settings, name=path,
                                context=speech_context(record) if record else None)
    except SpeechError as exc:
        raise Failure(str(exc)) from exc
    return transcript, delivery_notes(transcript)


def cmd_transcribe(args) -> int:
    settings, record = settings_for(args), None
    if args.record:
        from tutor.index import open_index

        record = open_index(settings.index).by_id.get(args.record)
        if record is None:
            raise Failure(f"unknown record id {args.record!r}")
        if args.lang and args.lang != record.lang:
            raise Failure(f"record {args.record} is in {record.lang!r}, not {args.lang!r}")
    transcript, notes = transcribe_file(args.file, args.lang or "en", settings, record)
    if args.json:
        print_json({**transcript.to_json(), "delivery": notes.to_json()})
    else:
        print(transcript.text)
    return 0


def register(sub, with_index) -> None:
    p = with_index(sub.add_parser("transcribe", help="transcribe a spoken answer (WAV or any audio PyAV reads)"))
    p.add_argument("file", metavar="FILE", help="the recording")
    p.add_argument("--lang", choices=LANG_CHOICES,
                   help="the answer's language (default: the record's, else en; offline, only English is offered)")
    p.add_argument("--record", metavar="ID", help="the record whose question was answered (its terms guide the model)")
    p.add_argument("--json", action="store_true", help="print segments, timings and delivery notes as JSON")
    p.set_defaults(func=cmd_transcribe)
