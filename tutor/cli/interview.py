"""`tutor interview [--level L] [--topic T] [--lang L] [--source S] [--due] [--n 5] [--report PATH]`.

A mock interview in the terminal. Answers may span several lines and end with an empty line (or
end of input); "skip" skips a question or follow-up, "quit" ends the session. Works with stdin
that is not a terminal (answers read line by line). Progress goes to $TUTOR_DB.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tutor.bands import band_for, describe_bands
from tutor.cli.common import Failure, settings_for, usage_error

COMMANDS_SKIP = {"skip", "/skip", "пропустити"}
COMMANDS_QUIT = {"quit", "/quit", "exit", "q", "вийти"}


class _Quit(Exception):
    pass


def read_answer(console, stream=None) -> str | None:
    """Lines until an empty line or end of input. None: skip. Raises _Quit on quit / EOF at start."""
    stream = stream or sys.stdin
    lines: list[str] = []
    while True:
        line = stream.readline()
        if not line:  # end of input
            if not lines:
                raise _Quit
            break
        line = line.rstrip("\r\n")
        if not line.strip():
            if lines:
                break
            continue
        if not lines and line.strip().casefold() in COMMANDS_QUIT:
            raise _Quit
        if not lines and line.strip().casefold() in COMMANDS_SKIP:
            return None
        lines.append(line)
    return "\n".join(lines).strip()


# Band colours are Streamlit names; rich has no plain "orange".
_RICH_COLORS = {"orange": "orange3"}  # yellow on 16-colour terminals, not a second red


def _color(score: int) -> str:
    """The rich colour of a score's band (tutor.bands)."""
    color = band_for(score).color
    return _RICH_COLORS.get(color, color)


def _show_result(console, result, escape) -> None:
    c = _color(result.score)
    label = band_for(result.score).label(getattr(result, "lang", "") or "en")
    console.print(f"Score: [bold {c}]{result.score}/100[/bold {c}] [{c}]{escape(label)}[/{c}]")
    for point in result.covered:
        console.print(f"  [green]✓[/green] {escape(point)}")
    for c in getattr(result, "contradicted", []):
        console.print(f"  [red]≠[/red] {escape(c.point)}\n      [red]you said:[/red] {escape(c.said)}")
    for point in result.missed:
        console.print(f"  [red]✗[/red] {escape(point)}")
    console.print(f"[dim]{escape(result.feedback)}[/dim]")


def cmd_interview(args) -> int:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from tutor.grade import get_grader
    from tutor.index import open_index
    from tutor.interview import InterviewSession, QuestionFilters, pick_questions, related_finder
    from tutor.progress import Progress, ProgressError

    if args.n < 1:
        raise SystemExit(usage_error("interview", "--n must be at least 1"))
    if args.report and Path(args.report).suffix.lower() not in (".md", ".pdf"):
        raise SystemExit(usage_error("interview", "--report must end in .md or .pdf"))
    settings = settings_for(args, llm=args.llm, user=args.user)
    index = open_index(settings.index)
    console = Console(highlight=False)
    try:
        progress = Progress(settings.db, user=settings.user)
    except ProgressError as exc:
        raise Failure(str(exc)) from exc
    try:
        filters = QuestionFilters(level=args.level, topic=args.topic, lang=args.lang, source=args.source)
        questions = pick_questions(index.records, n=args.n, filters=filters, progress=progress,
                                   due_first=args.due, seed=args.seed)
        if not questions:
            raise Failure("no questions with a reference answer match these filters")
        llm = None
        if settings.llm != "none":
            from tutor.llm import LLMError, get_llm

            try:
                llm = get_llm(settings.llm, settings)
            except LLMError as exc:
                console.print(f"[dim]LLM {settings.llm!r} unavailable ({escape(str(exc))}); "
                              "feedback from the rules.[/dim]")
        grader = get_grader(settings, index)
        session = InterviewSession(
            questions, grader, progress=progress, llm=llm, related=related_finder(index, settings),
            max_follow_ups=args.follow_ups, filters=filters,
        )
        console.print(f"[bold]Mock interview[/bold] — {len(questions)} question(s). Answer over one or more "
                      "lines and finish with an empty line; type [bold]skip[/bold] or [bold]quit[/bold].")
        console.print(f"[dim]Scores: {escape(describe_bands())}[/dim]")
        try:
            for n, record in enumerate(questions, 1):
                meta = " · ".join(x for x in (record.level, record.section, record.source) if x)
                console.rule(f"Question {n}/{len(questions)}")
                console.print(f"[dim]{escape(meta)}[/dim]")
                console.print(f"[bold cyan]{escape(record.question)}[/bold cyan]")
                console.print("[dim]Your answer:[/dim]")
                text = read_answer(console)
                if text is None:
                    session.skip(record)
                    console.print("[yellow]Skipped.[/yellow]")
                    continue
                turn = session.answer(record, text)
                _show_result(console, turn.result, escape)
                while (follow := session.follow_up(turn)) is not None:
                    console.print(f"[bold magenta]Follow-up:[/bold magenta] {escape(follow.text)}")
                    console.print("[dim]Your answer:[/dim]")
                    text = read_answer(console)
                    if text is None:
                        session.skip_follow_up(turn, follow)
                        console.print("[yellow]Skipped.[/yellow]")
                        continue
                    _show_result(console, session.answer_follow_up(turn, follow, text), escape)
        except (_Quit, KeyboardInterrupt):  # Ctrl-C ends the session like "quit": the summary still shows
            console.print("[yellow]Session ended.[/yellow]")

        summary = session.summary()
        console.rule("Summary")
        table = Table(show_lines=False)
        for col in ("#", "score", "question"):
            table.add_column(col, overflow="fold")
        for n, q in enumerate(summary["questions"], 1):
            if q["skipped"] or q["score"] is None:
                score = "skipped"
            else:
                c = _color(q["score"])
                score = f"[{c}]{q['score']} {band_for(q['score']).label()}[/{c}]"
            table.add_row(str(n), score, escape(q["question"]))
        console.print(table)
        mean = "—" if summary["mean_score"] is None else f"{summary['mean_score']}/100"
        console.print(f"Answered {summary['answered']} of {summary['asked']} · mean score {mean} · "
                      f"follow-ups {summary['follow_ups']}")
        if summary["weak_topics"]:
            console.print("Weak topics: " + ", ".join(
                f"{escape(w['name'])} ({w['mean_score']})" for w in summary["weak_topics"]))
        console.print(f"[dim]Progress saved to {escape(progress.where)} (session {session.session_id}).[/dim]")
        if args.report and session.turns:
            from tutor.report import ReportError, write_report

            try:
                path = write_report(session, args.report)
            except (ReportError, OSError) as exc:
                raise Failure(f"report not written: {exc}") from exc
            console.print(f"Report written to {escape(str(path))}")
    finally:
        progress.close()
    return 0


def register(sub, with_index) -> None:
    p = with_index(sub.add_parser("interview", help="a mock interview in the terminal"))
    p.add_argument("--level", choices=("junior", "middle", "senior", "unknown"))
    p.add_argument("--topic", help="only questions whose section or a tag contains this")
    p.add_argument("--lang", choices=("en", "uk"))
    p.add_argument("--source", help="only records whose source file name contains this")
    p.add_argument("--due", action="store_true", help="due and weak questions first (spaced repetition)")
    p.add_argument("--n", type=int, default=5, help="number of questions (default 5)")
    p.add_argument("--follow-ups", type=int, default=1, choices=(0, 1, 2), help="follow-ups per question")
    p.add_argument("--llm", choices=("local", "api", "none"),
                   help="a model to word feedback and follow-ups (default: $TUTOR_LLM or local)")
    p.add_argument("--seed", type=int, help="fix the question order (for repeatable sessions)")
    p.add_argument("--report", metavar="PATH.md|.pdf", help="write a session report")
    p.add_argument("--user", help="whose progress (default: $TUTOR_USER, else the local user)")
    p.set_defaults(func=cmd_interview)
