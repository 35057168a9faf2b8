"""tutor/repetition.py: the guard that stops a looping model and leaves the copy out."""

from __future__ import annotations

import pytest

from tutor.repetition import RepetitionGuard, words

SENTENCE = "Bagging trains many models in parallel on bootstrap samples and averages their predictions [1]."


def run(text: str, step: int = 3) -> tuple[str, RepetitionGuard]:
    guard = RepetitionGuard()
    out = ""
    for i in range(0, len(text), step):
        out += guard.feed(text[i : i + step])
        if guard.stopped:
            break
    return out + guard.finish(), guard


@pytest.mark.parametrize("step", [1, 3, 17])
def test_a_sentence_said_again_is_left_out_and_stops_the_stream(step):
    loop = " ".join([SENTENCE] * 6)
    out, guard = run(loop, step)
    assert guard.stopped
    assert out.strip() == SENTENCE
    assert guard.dropped and words(guard.dropped[0]) == words(SENTENCE)


def test_two_sentences_looping_keep_one_round():
    second = "Boosting trains them one after another, each fixing the errors of the last."
    out, guard = run(" ".join([SENTENCE, second] * 3))
    assert guard.stopped and out.strip() == f"{SENTENCE} {second}"


def test_a_sentence_that_starts_like_an_earlier_one_is_released_when_it_diverges():
    text = (f"{SENTENCE} Bagging trains many models in parallel, but boosting trains them in sequence. "
            "That is the main difference.")
    out, guard = run(text)
    assert not guard.stopped and out == text


def test_short_lines_may_come_twice():
    text = "For example: L1 zeroes weights. For example: L2 shrinks them."
    out, guard = run(text)
    assert not guard.stopped and out == text


def test_a_sentence_looping_inside_itself_is_stopped():
    text = "Regularization helps because " + "the model and the weights get smaller and " * 8 + "so on."
    out, guard = run(text)
    assert guard.stopped
    assert out.count("the model and the weights get smaller and") <= 3


def test_a_parallel_construction_is_not_a_loop():
    text = ("Bagging is an ensemble learning technique that trains models independently, while boosting is an "
            "ensemble learning technique that trains models in sequence.")
    out, guard = run(text)
    assert not guard.stopped and out == text


def test_repetition_after_citation_markers_or_case_still_counts():
    text = f"{SENTENCE} {SENTENCE.upper().replace(' [1]', ' [2]')}"
    out, guard = run(text)
    assert guard.stopped and out.strip() == SENTENCE
