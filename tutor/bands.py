"""The one score scale: what a 0..100 grade means, everywhere (feedback, FSRS, colours, weak topics, report).

    ≥ 85   strong     the answer an interviewer wants
    60–85  adequate   correct, with gaps
    40–60  weak       parts right, important parts missing or wrong
    < 40   wrong      wrong, off topic or empty

The cut points are the ones the grader is calibrated to (bench/grading.py on eval/grading/: good
answers land in "strong"/"adequate", confident wrong answers and bluffs below 40 or in "weak").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Band:
    name: str  # "strong" | "adequate" | "weak" | "wrong"
    low: int  # the lowest score in the band
    color: str  # rich / Streamlit colour name
    labels: dict  # lang → the band's name for people

    def label(self, lang: str = "en") -> str:
        return self.labels.get(lang, self.labels["en"])


STRONG = Band("strong", 85, "green", {"en": "strong", "uk": "сильна"})
ADEQUATE = Band("adequate", 60, "blue", {"en": "adequate", "uk": "достатня"})
WEAK = Band("weak", 40, "orange", {"en": "weak", "uk": "слабка"})
WRONG = Band("wrong", 0, "red", {"en": "wrong or empty", "uk": "неправильна або порожня"})
BANDS = (STRONG, ADEQUATE, WEAK, WRONG)  # best first

# A topic is "weak" when its recent mean score falls below the adequate band.
WEAK_TOPIC_BELOW = ADEQUATE.low


def band_for(score: float) -> Band:
    for band in BANDS:
        if score >= band.low:
            return band
    return WRONG


def describe_bands(lang: str = "en") -> str:
    """One line stating the scale, for the README, the UI and reports."""
    parts = []
    upper = 100
    for band in BANDS:
        span = f"≥ {band.low}" if band is STRONG else (f"< {upper}" if band is WRONG else f"{band.low}–{upper}")
        parts.append(f"{span} {band.label(lang)}")
        upper = band.low
    return " · ".join(parts)
