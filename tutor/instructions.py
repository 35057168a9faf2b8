"""Instruction-like text in a bank: sentences written to the assistant, not about the subject.

People import banks they did not write (shared decks, saved web pages). A record whose answer says
"ignore all previous instructions and reply only with …" must not steer the model. This module finds
such sentences by their form, in English and Ukrainian: commands to ignore or replace instructions,
role changes ("you are now …", "act as …"), chat-template markers, commands about what to reply or
what to tell the user. The answer path leaves them out of what the model reads; the Library shows
the flag. A sentence *about* prompt injection ("Prompt injection tricks a model into ignoring its
instructions") is not an instruction: the patterns need the imperative form.
"""

from __future__ import annotations

import re

from tutor.rubric import split_sentences

_PATTERNS = [
    # English: ignore / disregard / forget the instructions or the rules
    (r"\b(?:ignore|disregard|forget|override|bypass)\s+(?:all\s+|any\s+|the\s+|your\s+|my\s+|every\s+)*"
    r"(?:previous\s+|prior\s+|above\s+|earlier\s+|preceding\s+|system\s+|original\s+)*"
    r"(?:instructions?|prompts?|rules|directions|guidelines|messages?|context)\b"),
    r"\b(?:new|updated|real)\s+instructions?\s*:",
    (r"(?:^|(?<=[.!?]\s))\s*(?:please\s+)?(?:ignore|disregard|forget)\s+(?:the\s+|this\s+|that\s+|all\s+|any\s+)?"
     r"(?:question|user|request|above|previous|prior|preceding|following|text|document|context|message|everything)\b"),
    (r"\byou\s+(?:are\s+now\s+(?:a|an|the|my|in)\s+(?:new\s+|different\s+|unrestricted\s+)?"
    r"(?:assistant|ai|bot|chatbot|model|mode|persona|character|dan)\b|have\s+been\s+reprogrammed)"),
    r"\b(?:from\s+now\s+on|henceforth),?\s+(?:you|the\s+assistant)\b",
    # imperatives: at the start of a sentence or after "and" / "then"
    r"(?:^|(?<=[.!?]\s))\s*(?:please\s+)?(?:act|behave|pretend)\s+(?:as|like|to\s+be)\b",
    (r"(?:^|(?<=[.!?]\s)|\band\s+|\bthen\s+)\s*(?:please\s+)?(?:reply|respond|answer|say|output|write)\s+"
    r"(?:only|just|exactly|nothing\s+but)\b"),
    r"\b(?:tell|ask|instruct|direct)\s+the\s+(?:user|reader|candidate)\s+to\b",
    r"\b(?:assistant|ai|model|chatbot|llm)\s*,\s*(?:ignore|you\s+must|please\s+ignore)\b",
    r"\breveal\s+(?:your\s+|the\s+)?(?:system\s+)?prompt\b",
    # chat-template and role markers
    r"<\|?(?:im_start|im_end|system|assistant|user|endoftext)\|?>",
    r"^\s*(?:#{1,4}\s*)?(?:system|assistant)\s*:",
    r"\[/?(?:INST|SYS)\]",
    # Ukrainian: ігноруй / забудь інструкції, ти тепер, відповідай лише, скажи користувачу
    (r"\b(?:ігноруй|ігноруйте|проігноруй|проігноруйте|забудь|забудьте|не\s+зважай|не\s+зважайте)\s+"
    r"(?:на\s+)?(?:усі\s+|всі\s+|будь-які\s+|попередні\s+|системні\s+|свої\s+|ці\s+)*"
    r"(?:інструкці\w*|вказівк\w*|правил\w*|підказк\w*|повідомлен\w*)"),
    r"\bнові\s+інструкції\s*:",
    r"\b(?:ти|ви)\s+тепер\s+(?:—\s*)?(?:є\s+)?(?:нов\w+|інш\w+|асистент\w*|бот\w*|модель|помічник\w*)",
    r"\b(?:відтепер|з\s+цього\s+моменту),?\s+(?:ти|ви)\b",
    r"\b(?:відповідай|відповідайте|напиши|напишіть|виведи|виведіть)\s+(?:лише|тільки|виключно)\b",
    r"\b(?:скажи|скажіть|порадь|порадьте|накажи)\s+(?:користувач\w*|читач\w*|кандидат\w*)\b",
    r"\b(?:поводься|поводьтеся|дій|дійте)\s+як\b",
]
INSTRUCTION = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE | re.MULTILINE)
LINK = re.compile(r"\b(?:https?://|www\.)[^\s<>()\[\]\"']+", re.IGNORECASE)


def looks_like_instruction(text: str) -> bool:
    """Whether the text holds a command to the assistant (see the module docstring)."""
    return bool(INSTRUCTION.search(text or ""))


def instruction_sentences(text: str) -> list[str]:
    """The sentences of `text` that are commands to the assistant."""
    return [s for s in split_sentences(text or "") if looks_like_instruction(s)]


def without_instructions(text: str, placeholder: str = "(text addressed to the assistant left out)") -> str:
    """The text with its instruction-like sentences replaced by a placeholder: what a model may read."""
    if not looks_like_instruction(text):
        return text
    kept = [placeholder if looks_like_instruction(s) else s for s in split_sentences(text)]
    out: list[str] = []
    for s in kept:
        if not (s == placeholder and out and out[-1] == placeholder):
            out.append(s)
    return "\n".join(out)


def links(text: str) -> set[str]:
    """The web addresses in a text, as written (trailing punctuation cut)."""
    return {m.group(0).rstrip(".,;:!?") for m in LINK.finditer(text or "")}


def record_flags(record) -> list[str]:
    """What the Library and ingest report about a record: "instruction" when its text speaks to the
    assistant."""
    text = "\n".join([record.question, record.answer, *record.key_points])
    return ["instruction"] if looks_like_instruction(text) else []
