"""Checks that need no model: does a candidate's sentence say the opposite of a reference sentence?

Each sentence is turned into a sequence of *concept tokens*: content words cut to a stem, numbers,
formula atoms, and, for the words that carry a claim's direction, a canonical concept shared by
English and Ukrainian ("increases", "збільшує" → `+inc`; "never", "ніколи" → `+never`). Then three
rules, each a general fact about how misconceptions are worded:

- **Flip**: swapping one side of an opposite pair in the candidate's sentence (increase/decrease,
  higher/lower, always/never, bias/variance, precision/recall, FP/FN, L1/L2, training/inference,
  parallel/sequential, …) makes it match the aligned reference sentence clearly better, in words and
  word order. "Bagging reduces bias" against "bagging reduces variance" flips; a sentence that names
  both sides in the same roles as the reference does not.
- **Negation**: the two sentences share most of their content but exactly one of them is negated
  ("L1 never sets weights to zero" against "L1 sets some weights exactly to zero").
- **Dismissal**: the candidate calls something optional or unneeded ("monitoring isn't necessary",
  "you don't need to scale the features", "маски не потрібні") that the aligned reference sentence
  prescribes ("the model should be monitored", "features need to be standardized").
- **Numbers and formulas**: the same quantity is given a different formula (`F1 = (P+R)/2` against
  `F1 = 2PR/(P+R)`) or different numbers in otherwise matching sentences.

Whether two sentences are about the same thing at all is decided by the caller (centered e5
similarity, see tutor.grade); these functions only judge a pair.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tutor.lexical import STOPWORDS, stem
from tutor.tuning import GRADING

# Opposite pairs: concept → its opposite. Words map to concepts below (both languages).
OPPOSITES: dict[str, str] = {}
for _a, _b in [
    ("+inc", "+dec"), ("+high", "+low"), ("+always", "+never"), ("+max", "+min"),
    ("+bias", "+variance"), ("+precision", "+recall"), ("+fp", "+fn"), ("+tp", "+tn"),
    ("+l1", "+l2"), ("+train", "+infer"), ("+parallel", "+sequential"), ("+bagging", "+boosting"),
    ("+overfit", "+underfit"), ("+supervised", "+unsupervised"), ("+harmonic", "+arithmetic"),
    ("+before", "+after"), ("+encoder", "+decoder"), ("+linear", "+nonlinear"), ("+on", "+off"),
    ("+row", "+column"), ("+global", "+local"), ("+slow", "+fast"), ("+stateful", "+stateless"),
]:
    OPPOSITES[_a], OPPOSITES[_b] = _b, _a

# Word → concept. Keys are casefolded stems: a token maps when it starts with the key (longest key
# wins), so inflected forms in both languages are covered by one entry.
_CONCEPT_PREFIXES: dict[str, str] = {}
for _concept, _words in {
    "+inc": "increas raise rais grow grew boost збільш зроста зрост підвищ підвищу посилю",
    "+dec": "decreas reduc lower shrink shrank drop cut зменш знижу зниж скороч спада змен",
    "+high": "high higher larger bigger greater more вищ більш більше високий висока високе високі",
    "+low": "low lower smaller fewer less нижч менш менше низький низька низьке низькі",
    "+always": "always завжди",
    "+never": "never ніколи",
    "+max": "maximi maximum максиміз максимал",
    "+min": "minimi minimum мінімізу мінімал",
    "+bias": "bias зміщен",
    "+variance": "varianc дисперс",
    "+precision": "precision",
    "+recall": "recall повнот",
    "+l1": "l1 lasso",
    "+l2": "l2 ridge",
    "+train": "training trained trains train навчанн тренуван",
    "+infer": "inferenc test-time інференс",
    "+parallel": "parallel independen паралельн незалежн",
    "+sequential": "sequential sequentially successive послідовн",
    "+bagging": "bagging беггінг бегінг",
    "+boosting": "boosting бустинг",
    "+overfit": "overfit перенавч",
    "+underfit": "underfit недонавч",
    "+supervised": "supervised",
    "+unsupervised": "unsupervised",
    "+harmonic": "harmonic гармонійн гармонічн",
    "+arithmetic": "arithmetic арифметичн",
    "+before": "before",
    "+after": "after після",
    "+encoder": "encoder енкодер кодувальн",
    "+decoder": "decoder декодер декодувальн",
    "+linear": "linear лінійн",
    "+nonlinear": "nonlinear non-linear нелінійн",
    "+stateful": "stateful",
    "+stateless": "stateless",
    "+slow": "slower slow повільн",
    "+fast": "faster fast швидш швидк",
}.items():
    for _w in _words.split():
        _CONCEPT_PREFIXES[_w] = _concept
# Some words are too short to match by prefix safely: these map only when the token equals the key.
_EXACT_ONLY = {"high", "low", "cut", "drop", "more", "less", "fast", "slow", "train", "l1", "l2", "bias", "lower"}
_PREFIX_KEYS = sorted((k for k in _CONCEPT_PREFIXES if k not in _EXACT_ONLY), key=len, reverse=True)

# "Not needed" and "needed" as one token each, before negators are read: a dismissal is its own
# claim (tutor.claims Dismissal rule), not a negation of the sentence.
_DISMISS = re.compile(
    r"\b(?:do(?:es)?n['’]?t|do(?:es)?\s+not|never)\s+(?:really\s+|even\s+)?need(?:s)?(?:\s+to)?\b"
    r"|\bno\s+need\s+(?:to|for)\b|\bneedn['’]?t\b|\b(?:should|must)\s*n['’]?o?t\b"
    r"|\b(?:(?:is|are|was|were)n['’]?t|not)\s+(?:really\s+|strictly\s+|even\s+)?"
    r"(?:necessary|needed|required|important|essential)\b"
    r"|\b(?:optional|unnecessary|unneeded)\b"
    r"|(?<!\w)не\s+(?:дуже\s+)?(?:потрібн\w*|треба|обов['’]язков\w*|варто|слід|мусить|мусять|важлив\w*|необхідн\w*)"
    r"|(?<!\w)(?:необов['’]язков\w*|непотрібн\w*|зайв\w*)", re.I)
_REQUIRE = re.compile(
    r"\bneed(?:s|ed)?\b|\b(?:necessary|required|requires?|must|should|important|essential|crucial)\b"
    r"|\b(?:knows?|remember|make\s+sure)\s+to\b|\bensure\b"
    r"|(?<!\w)(?:потрібн\w*|треба|необхідн\w*|слід|варто|важлив\w*|обов['’]язков\w*|мусить|мусять|повинн\w*"
    r"|мають\s+бути|має\s+бути)", re.I)

_MULTIWORD = [
    (_DISMISS, " DISMISSTOKEN "),
    (_REQUIRE, " NEEDTOKEN "),
    (re.compile(r"\bfalse[\s-]+positives?\b|хибно[\s-]*позитивн\w*", re.I), " FPTOKEN "),
    (re.compile(r"\bfalse[\s-]+negatives?\b|хибно[\s-]*негативн\w*", re.I), " FNTOKEN "),
    (re.compile(r"\btrue[\s-]+positives?\b|істинно[\s-]*позитивн\w*", re.I), " TPTOKEN "),
    (re.compile(r"\btrue[\s-]+negatives?\b|істинно[\s-]*негативн\w*", re.I), " TNTOKEN "),
    (re.compile(r"\bat\s+(?:test|inference|prediction)\s+time\b", re.I), " inference "),
    # Contrast is not negation: "automatically, not by hand", "автоматично, а не вручну".
    (re.compile(r",?\s*\bа\s+не\b|,\s*not\b|\brather\s+than\b|\binstead\s+of\b|\bзамість\b", re.I), " ; "),
    (re.compile(r"\bnon[\s-]+linear(?:ly|ity)?\b|\bне[\s-]?лінійн\w*", re.I), " nonlinear "),
    (re.compile(r"\bone\s+after\s+(?:another|the\s+other)\b", re.I), " sequentially "),
    (re.compile(r"\bin\s+parallel\b", re.I), " parallel "),
    (re.compile(r"\bturn(?:s|ed)?\s+off\b|\bswitch(?:es|ed)?\s+off\b|\bdisabled?\b|вимкн\w*|вимика\w*", re.I), " OFFTOKEN "),
    (re.compile(r"\bturn(?:s|ed)?\s+on\b|\benabled?\b|увімкн\w*", re.I), " ONTOKEN "),
]
_TOKEN_CONCEPTS = {"fptoken": "+fp", "fntoken": "+fn", "tptoken": "+tp", "tntoken": "+tn", "fp": "+fp",
                   "fn": "+fn", "tp": "+tp", "tn": "+tn", "offtoken": "+off", "ontoken": "+on",
                   "dismisstoken": "+dismiss", "needtoken": "+need"}

NEGATORS = frozenset(
    "not no never cannot cant can't don't doesn't isn't aren't won't wasn't weren't didn't shouldn't "
    "without none nothing neither nor не ні ніколи без немає нема жоден жодна жодного жодних".split()
)
_TOKEN = re.compile(r"[a-zа-яіїєґ0-9]+(?:['’][a-z]+)?", re.IGNORECASE)
_FORMULA = re.compile(r"([A-Za-z][\w\- ]{0,24}?)\s*=\s*([^=;,.]*[\d\w)]\)?)")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)?%?")
# Stems shared by too many sentences to show that two sentences are about the same thing.
_WEAK = frozenset("model data use used using uses make makes help helps work works way ways also often".split())

def concept_of(token: str) -> str | None:
    token = token.casefold()
    if token in _TOKEN_CONCEPTS:
        return _TOKEN_CONCEPTS[token]
    if token in _CONCEPT_PREFIXES:
        return _CONCEPT_PREFIXES[token]
    for key in _PREFIX_KEYS:
        if token.startswith(key):
            return _CONCEPT_PREFIXES[key]
    return None


@dataclass(frozen=True)
class Tokens:
    seq: tuple[str, ...]  # concept tokens in order (negators dropped)
    negated: bool
    numbers: frozenset[str]
    formulas: dict  # left-hand side stem → normalized right-hand side


def tokens(sentence: str) -> Tokens:
    text = sentence
    for pattern, repl in _MULTIWORD:
        text = pattern.sub(repl, text)
    seq: list[str] = []
    negated = False
    for raw in _TOKEN.findall(text.casefold()):
        raw = raw.replace("’", "'")
        if raw in NEGATORS or raw.endswith("n't"):
            negated = True
        concept = concept_of(raw)
        if concept:
            seq.append(concept)
            continue
        if negated and (raw in NEGATORS or raw.endswith("n't")):
            continue
        if raw in STOPWORDS or len(raw) < 2 and not raw.isdigit():
            continue
        seq.append(stem(raw))
    formulas = {}
    for lhs, rhs in _FORMULA.findall(sentence):
        key = " ".join(stem(w) for w in _TOKEN.findall(lhs.casefold())[-2:])
        norm = re.sub(r"\s+", "", rhs.casefold())
        if key and re.search(r"[+\-*/^]", norm) and not re.search(r"[:\[\]{}]|\bclass\b", norm):
            formulas[key] = norm
    numbers = frozenset(n.replace(",", ".").rstrip("%") for n in _NUMBER.findall(sentence))
    return Tokens(tuple(seq), negated, numbers, formulas)


def _pairs(seq: tuple[str, ...], window: int = 3) -> set[tuple[str, str]]:
    out = set()
    for i, a in enumerate(seq):
        for b in seq[i + 1 : i + 1 + window]:
            out.add((a, b))
    return out


def _anchored(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    """Ordered word pairs (window 3) that sentence a shares with b, except pairs of two direction words."""
    shared = _pairs(a) & _pairs(b)
    return sum(1 for x, y in shared if not (x in DIRECTIONS and y in DIRECTIONS))


@dataclass(frozen=True)
class Conflict:
    rule: str  # "flip" | "negation" | "formula" | "number"
    detail: str  # e.g. "+inc ↔ +dec", "F1: (p+r)/2 ≠ 2pr/(p+r)"
    strength: float  # 0..1: how sure the rule is


def _content(seq: tuple[str, ...]) -> set[str]:
    return {t for t in seq if not t.startswith("+") and t not in _WEAK and not t.isdigit()}


# A swap has to add at least flip_min_gain matched word pairs and the flipped concept's opposite must
# stand in the reference (the numbers: tutor/tuning.py).
FLIP_MIN_GAIN = GRADING.flip_min_gain
NEGATION_MIN_SHARED = GRADING.negation_min_shared
DISMISS_WINDOW = GRADING.dismiss_window


def conflict(candidate: str, reference: str, cross: bool = False) -> Conflict | None:
    """The strongest rule-based contradiction between two sentences about the same thing, or None.

    cross: the sentences are in different languages; only the concepts and Latin terms can be
    compared, so a flip needs twice the evidence.
    """
    found = conflicts(candidate, reference, cross)
    return max(found, key=lambda f: f.strength) if found else None


_CLAUSE = re.compile(r"\s*(?:;|,\s*(?:so|while|whereas|but|which|and|тому|тож|а|але|проте|хоча|і|та)\b|"
                     r"\s(?:while|whereas|but|але|проте)\s)\s*", re.I)


def clauses(sentence: str) -> list[str]:
    """A sentence cut where a new claim starts ("…, so …", "…; …", "…, while …", "…, а …")."""
    parts = [p for p in _CLAUSE.split(sentence) if p and len(p.split()) >= 2]
    return parts or [sentence]


_CODE = re.compile(r"\w+\.\w+\(|\b\w+_\w+\s*=|\w=\w|^\s*#|\b(?:import|def|return|lambda)\b|[{}\[\]]|\)\s*,\s*$"
                   r"|\bself\.\w|\bsuper\(\)|\bclass\s+\w+\s*[(:]|^[\w\s,.]+\s=\s*[\w.]+\(")


def looks_like_code(sentence: str) -> bool:
    """Source code says nothing the rules can read as a claim (`nn.Linear(256, 128)`, `n_estimators=100`)."""
    return bool(_CODE.search(sentence))


def conflicts(candidate: str, reference: str, cross: bool = False) -> list[Conflict]:
    """Every rule-based contradiction between the two sentences, clause by clause (see conflict())."""
    found: list[Conflict] = []
    if looks_like_code(candidate) or looks_like_code(reference):
        return found
    named = {t for t in tokens(candidate).seq if t.startswith("+")}  # concepts anywhere in the sentence
    for c_part in clauses(candidate):
        for r_part in clauses(reference):
            found.extend(_clause_conflicts(c_part, r_part, cross, named))
    return found


# Direction words say which way a claim goes but not what it is about: a pair of two of them
# ("+inc → +high") is no evidence that two sentences make the same claim.
DIRECTIONS = frozenset("+inc +dec +high +low +always +never +max +min +before +after +on +off +slow +fast".split())


def _clause_conflicts(candidate: str, reference: str, cross: bool, named: set[str]) -> list[Conflict]:
    c, r = tokens(candidate), tokens(reference)
    found: list[Conflict] = []

    # Formulas for the same quantity.
    for key, rhs in c.formulas.items():
        other = r.formulas.get(key)
        if other and other != rhs and _formula_atoms(other) and _formula_atoms(rhs):
            found.append(Conflict("formula", f"{key}: {rhs} ≠ {other}", 0.9))

    # Flips of an opposite pair.
    cc, rc = _content(c.seq), _content(r.seq)
    base = _anchored(c.seq, r.seq)
    r_concepts = {t for t in r.seq if t.startswith("+")}
    c_concepts = {t for t in c.seq if t.startswith("+")}
    # An opposite plus a negation on one side agree ("stateless resets" = "stateful is not reset"), and
    # so do two opposites ("bagging trains in parallel" = "boosting trains sequentially" read in reverse:
    # the sentences are about different things). Only a single flip is a contradiction.
    flippable = [t for t in c_concepts if OPPOSITES.get(t) in r_concepts and t not in r_concepts]
    single = len(flippable) == 1 or (len(flippable) == 2 and OPPOSITES[flippable[0]] == flippable[1])
    for concept in c_concepts if c.negated == r.negated and single else ():
        opposite = OPPOSITES.get(concept)
        if opposite is None or opposite not in r_concepts:
            continue
        if opposite in c_concepts and concept not in r_concepts:
            continue  # the candidate names both sides, the reference one: a swap only reorders
        swapped = tuple(opposite if t == concept else concept if t == opposite else t for t in c.seq)
        gain = _anchored(swapped, r.seq) - base
        # Both sides named in the candidate's sentence (one per clause: "FP is …, and FN is …"), or
        # sentences in two languages: only the roles (word order) decide, so demand more.
        need = FLIP_MIN_GAIN * (2 if opposite in named or cross else 1)
        anchors = (set(c.seq) & set(r.seq)) - {concept, opposite} - _WEAK
        # Two shared words tie the sentences to one claim; a short point ("Reduces overfitting") has one.
        enough = min(2, len(set(r.seq) - {concept, opposite}))
        if concept in DIRECTIONS and not _governs(opposite, r.seq, c.seq):
            continue
        if gain >= need and enough and len(anchors) >= enough:
            found.append(Conflict("flip", f"{concept[1:]} ↔ {opposite[1:]}", min(1.0, 0.5 + 0.2 * gain)))

    # Negation of a shared claim.
    if c.negated != r.negated and cc and rc:
        shared = len(cc & rc) / min(len(cc), len(rc))
        if shared >= NEGATION_MIN_SHARED and len(cc & rc) >= 3:
            found.append(Conflict("negation", "negated" if c.negated else "reference negated", 0.4 + 0.4 * shared))

    # Something the reference prescribes, called optional or unneeded.
    if "+dismiss" in c.seq and "+need" in r.seq and "+dismiss" not in r.seq:
        said = _near(c.seq, "+dismiss", DISMISS_WINDOW)
        needed = _near(r.seq, "+need", DISMISS_WINDOW)
        if said & needed:
            found.append(Conflict("dismissal", f"{'/'.join(sorted(said & needed))}: optional ↔ needed", 0.7))

    # Numbers given for the same statement.
    if c.numbers and r.numbers and not (c.numbers & r.numbers) and cc and rc:
        shared = len(cc & rc) / min(len(cc), len(rc))
        if shared >= NEGATION_MIN_SHARED and len(cc & rc) >= 2:
            found.append(Conflict("number", f"{sorted(c.numbers)} vs {sorted(r.numbers)}", 0.6))

    return found


_MARKERS = frozenset({"+dismiss", "+need"})


def _near(seq: tuple[str, ...], marker: str, window: int) -> set[str]:
    """The content words within `window` tokens of every occurrence of a marker concept: what a
    dismissal or a requirement is about ("monitoring +dismiss", "+need standardize features")."""
    out: set[str] = set()
    for i, t in enumerate(seq):
        if t == marker:
            out |= {w for w in seq[max(0, i - window) : i + window + 1]
                    if w not in DIRECTIONS and w not in _MARKERS and w not in _WEAK and not w.isdigit()}
    return out


def _governs(direction: str, ref: tuple[str, ...], cand: tuple[str, ...]) -> bool:
    """A direction word is about what follows it in the reference ("reduces variance"), or what comes
    before it when it ends the sentence ("Training: fast"): the candidate must name that too, or its
    own direction word is about something else ("grows many trees" is no flip of "reduces variance")."""
    i = ref.index(direction)
    objects = [t for t in ref[i + 1 : i + 3] if t not in DIRECTIONS] or [t for t in ref[max(0, i - 2) : i]
                                                                          if t not in DIRECTIONS]
    return not objects or bool(set(objects) & set(cand))


def _formula_atoms(rhs: str) -> set[str]:
    return set(re.findall(r"[a-zа-я]+|\d+", rhs))
