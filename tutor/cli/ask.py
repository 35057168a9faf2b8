"""`tutor ask QUESTION [--llm local|api|none] [--json]` and `tutor ask --queries FILE.jsonl`.

One question: the answer streams to the terminal as it arrives (with --json, one object at the end).
Batch: one {"qid", "answer", "citations", "grounded"} per line; a bad line gets {"qid", "error"};
models load once. A backend that cannot be set up falls back to extractive answers with a notice.
"""

from __future__ import annotations

import sys

from tutor.cli.common import Failure, jsonl_lines, print_json, settings_for, usage_error


def _setup(args):
    from tutor.llm import LLMError, get_llm
    from tutor.retrieve import Retriever

    settings = settings_for(args, llm=args.llm)
    retriever = Retriever(settings.index, settings)
    notice = None
    try:
        llm = get_llm(settings.llm, settings)
    except LLMError as exc:
        llm = None
        notice = f"LLM backend {settings.llm!r} unavailable ({exc}); answering from the bank's text."
    return retriever, llm, notice, settings


def cmd_ask(args) -> int:
    from tutor.answer import Answer, Conversation, stream_answer

    if not args.question and not args.queries:
        raise SystemExit(usage_error("ask", "give a QUESTION or --queries FILE"))
    if args.question and args.queries:
        raise SystemExit(usage_error("ask", "give a QUESTION or --queries FILE, not both"))
    if args.question is not None and not args.question.strip():
        raise SystemExit(usage_error("ask", "the question is empty"))
    retriever, llm, notice, settings = _setup(args)

    if args.queries:
        lines = list(jsonl_lines(args.queries))  # an unreadable file fails before any output
        for n, obj, error in lines:
            qid = str(obj.get("qid", n)) if isinstance(obj, dict) else str(n)
            if error:
                print_json({"qid": qid, "error": error})
                continue
            try:
                final = None
                for item in stream_answer(obj["query"], retriever=retriever, llm=llm, notice=notice,
                                          show_unsupported=settings.show_unsupported):
                    if isinstance(item, Answer):
                        final = item
                print_json({"qid": qid, **final.to_json()})
            except Exception as exc:  # one bad line must not stop the batch
                print_json({"qid": qid, "error": str(exc) or type(exc).__name__})
        return 0

    conversation = Conversation(retriever, llm, notice=notice, show_unsupported=settings.show_unsupported)
    if args.json:
        print_json(conversation.ask(args.question).to_json())
        return 0
    streamed = ""
    final = None
    try:
        for item in conversation.stream(args.question):
            if isinstance(item, Answer):
                final = item
            else:
                streamed += item
                sys.stdout.write(item)
                sys.stdout.flush()
    except Exception as exc:
        raise Failure(str(exc) or type(exc).__name__) from exc
    if final is None:
        raise Failure("no answer")
    if final.text != streamed:  # the model failed mid-way: the fallback replaces what was shown
        sys.stdout.write(("\n\n" if streamed else "") + final.text)
    sys.stdout.write("\n")
    if final.citations and final.mode == "llm":
        sys.stdout.write("\nRead more:\n")
        for c in final.citations:
            sys.stdout.write(f"[{c.n}] {c.question} ({c.source}, {c.record_id})\n")
    elif final.citations:
        sys.stdout.write("\nSources: " + ", ".join(f"[{c.n}] {c.source} ({c.record_id})" for c in final.citations)
                         + "\n")
    if final.notice:
        sys.stdout.write(f"\nNote: {final.notice}\n")
    if final.searched_query.strip() != args.question.strip():
        sys.stdout.write(f"(searched for: {final.searched_query})\n")
    sys.stdout.flush()
    return 0


def register(sub, with_index) -> None:
    p = with_index(sub.add_parser("ask", help="ask the tutor; answers cite the bank's records"))
    p.add_argument("question", nargs="?", metavar="QUESTION")
    p.add_argument("--queries", metavar="FILE.jsonl", help="batch: one {qid, query} per line")
    p.add_argument("--llm", choices=("local", "api", "none"),
                   help="language model backend (default: $TUTOR_LLM or local)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_ask)
