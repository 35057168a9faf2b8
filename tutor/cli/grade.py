"""`tutor grade --record ID --answer TEXT [--json]`, `tutor grade --record ID --audio FILE` and
`tutor grade --answers FILE.jsonl`.

The score, covered, contradicted and missed points come from the grader (tutor.grade): coverage
and the no-model contradiction checks always; with a model (--llm local|api; default: `auto`, the
local model when it is installed, else none) the model also judges each sentence of the answer and
phrases the follow-up (validated, retried once, else the rules' wording). Batch: {"record_id",
"answer"} per line in, one result per line out; a bad line gets {"record_id"?, "error"}; models load once.
--audio grades a recorded answer: it is transcribed in the record's language (tutor.speech), the
transcript is graded like typed text, and the delivery notes (speaking time, pace, fillers) are shown
beside the score without changing it.
"""

from __future__ import annotations

from tutor.cli.common import Failure, jsonl_lines, print_json, settings_for, usage_error


def _setup(args):
    from tutor.grade import get_grader
    from tutor.index import open_index

    settings = settings_for(args)
    index = open_index(settings.index)
    grader = get_grader(settings, index)
    llm, notice = None, None
    backend = args.llm or "auto"
    if backend == "auto":
        from tutor.models import local_model_available

        backend = "local" if local_model_available(settings) else "none"
    if backend != "none":
        from tutor.llm import LLMError, get_llm

        try:
            llm = get_llm(backend, settings)
        except LLMError as exc:
            notice = f"LLM backend {backend!r} unavailable ({exc}); grading without a model."
    return index, grader, llm, notice


def _grade(index, grader, llm, record_id: str, answer: str):
    from tutor.judge import judge_for
    from tutor.wording import word_with_llm

    record = index.by_id.get(record_id)
    if record is None:
        raise Failure(f"unknown record id {record_id!r}")
    try:
        result = grader.grade(record, answer, judge=judge_for(llm))
    except ValueError as exc:
        raise Failure(str(exc)) from exc
    if llm is not None:
        result = word_with_llm(llm, record, answer, result)
    return record, result


def cmd_grade(args) -> int:
    import sys

    if args.answers and (args.record or args.answer is not None):
        raise SystemExit(usage_error("grade", "give --record ID --answer TEXT or --answers FILE, not both"))
    if args.audio and (args.answers or args.answer is not None):
        raise SystemExit(usage_error("grade", "give --audio FILE or --answer TEXT, not both"))
    if not args.answers and (not args.record or (args.answer is None and not args.audio)):
        raise SystemExit(usage_error("grade", "give --record ID --answer TEXT (or --audio FILE), or --answers FILE.jsonl"))
    if args.answers:
        lines = list(jsonl_lines(args.answers, required=("record_id",)))  # unreadable file: fail first
        index, grader, llm, notice = _setup(args)
        if notice:
            print(notice, file=sys.stderr)
        grader.warm([index.by_id[o["record_id"]] for _, o, e in lines if not e and o["record_id"] in index.by_id])
        for _n, obj, error in lines:
            rid = obj.get("record_id") if isinstance(obj, dict) else None
            head = {"record_id": rid} if isinstance(rid, str) else {}
            if not error and not isinstance(obj.get("answer"), str):
                error = f"line {_n}: missing answer (a string)"
            if error:
                print_json({**head, "error": error})
                continue
            try:
                _, result = _grade(index, grader, llm, rid, obj["answer"])
                print_json(result.to_json())
            except Exception as exc:  # one bad line must not stop the batch
                print_json({**head, "error": str(exc) or type(exc).__name__})
        return 0

    index, grader, llm, notice = _setup(args)
    if notice:
        print(notice, file=sys.stderr)
    answer, spoken = args.answer, None
    if args.audio:
        from tutor.cli.speech import transcribe_file

        if args.record not in index.by_id:
            raise Failure(f"unknown record id {args.record!r}")
        record = index.by_id[args.record]
        spoken = transcribe_file(args.audio, record.lang, settings_for(args), record)
        answer = spoken[0].text
    record, result = _grade(index, grader, llm, args.record, answer)
    if args.json:
        out = result.to_json()
        if spoken:
            out["transcript"], out["delivery"] = spoken[0].text, spoken[1].to_json()
        print_json(out)
        return 0
    from rich.console import Console
    from rich.markup import escape

    console = Console(highlight=False)
    from tutor.bands import band_for, describe_bands

    band = band_for(result.score)
    color = {"orange": "orange3"}.get(band.color, band.color)  # rich has no plain "orange"
    console.print(f"[bold]{escape(record.question)}[/bold]")
    if spoken:
        console.print(f"[dim]Transcript:[/dim] {escape(spoken[0].text)}")
        console.print(f"[dim]Delivery (not scored): {escape(spoken[1].describe(record.lang))}[/dim]")
    console.print(f"Score: [bold {color}]{result.score}/100 ({band.label(record.lang)})[/bold {color}]"
                  f"  [dim]{escape(describe_bands(record.lang))}[/dim]")
    for point in result.covered:
        console.print(f"  [green]✓[/green] {escape(point)}")
    for c in result.contradicted:
        console.print(f"  [red]≠[/red] {escape(c.point)}\n      [red]you said:[/red] {escape(c.said)}")
    for point in result.missed:
        console.print(f"  [red]✗[/red] {escape(point)}")
    console.print(escape(result.feedback))
    if result.follow_up:
        console.print(f"[cyan]Follow-up:[/cyan] {escape(result.follow_up)}")
    return 0


def register(sub, with_index) -> None:
    p = with_index(sub.add_parser("grade", help="grade an answer against a bank record"))
    p.add_argument("--record", metavar="ID", help="the record id (see `tutor records` / `tutor search --json`)")
    p.add_argument("--answer", metavar="TEXT", help="the candidate's answer")
    p.add_argument("--audio", metavar="FILE", help="a recorded answer (WAV or any audio PyAV reads), transcribed "
                   "in the record's language and graded; the delivery notes do not change the score")
    p.add_argument("--answers", metavar="FILE.jsonl", help="batch: one {record_id, answer} per line")
    p.add_argument("--llm", choices=("auto", "local", "api", "none"), default="auto",
                   help="a model that judges the answer's claims and phrases the follow-up "
                        "(default auto: the local model when installed, else none)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_grade)
