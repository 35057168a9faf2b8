"""Reply layout (tutor/reply_shape.py) through tutor.citations.CitingStream: a direct answer, at most five
points, nothing unsupported, restated or empty. No models: word-overlap attribution only."""

from tutor.citations import UNSUPPORTED, Attributor, CitingStream, SourceText
from tutor.reply_shape import ReplyLayout


def _sources():
    return [
        SourceText(1, "r1", "What is overfitting?\nOverfitting happens when a model memorizes noise in the "
                   "training data and fails to generalize to new data."),
        SourceText(2, "r2", "What is regularization?\nAn L2 penalty reduces model complexity and variance."),
    ]


FACTS = ["Bagging trains models in parallel on bootstrap samples", "Boosting trains learners sequentially",
         "Each boosted learner corrects earlier errors", "Random forests are a bagging method",
         "Gradient boosting fits residuals of the ensemble", "Bagging mainly lowers variance",
         "Boosting mainly lowers bias"]


def _shaped(reply: str) -> tuple[str, CitingStream]:
    sources = [*_sources(), SourceText(3, "r3", ". ".join(FACTS) + ".")]
    citer = CitingStream(Attributor(sources), 3, ReplyLayout(max_points=5, lead_words=20))
    shown = "".join(citer.feed(reply[i : i + 3]) for i in range(0, len(reply), 3)) + citer.finish()
    assert shown == citer.text
    return shown, citer


def test_unsupported_sentences_are_left_out_not_marked():
    reply = ("Overfitting is when a model memorizes noise in the training data [2]. "
             "The moon is made of green cheese and rocks. An L2 penalty reduces variance [7].")
    shown, citer = _shaped(reply)
    assert UNSUPPORTED not in shown and "moon" not in shown
    assert [s.text for s in citer.layout.dropped] == ["The moon is made of green cheese and rocks."]
    assert "memorizes noise" in shown and "L2 penalty reduces variance. [2]" in shown


def test_a_one_paragraph_reply_becomes_a_direct_answer_and_at_most_five_points():
    reply = ("Overfitting happens when a model memorizes the noise in its training data and then fails to "
             "generalize to new data it has never seen before. "
             + ". ".join(FACTS) + ".")
    shown, citer = _shaped(reply)
    lead, _, points = shown.partition("\n\n")
    assert lead.startswith("Overfitting happens") and lead.endswith("[1]")  # a long first sentence: alone
    lines = points.splitlines()
    assert len(lines) == 5 and all(line.startswith("- ") for line in lines), shown
    assert lines[0].startswith("- Bagging trains models") and len(citer.layout.extra_points) == 2
    # a short first sentence takes the second with it
    shown, _ = _shaped("Overfitting is memorizing noise in training data. " + ". ".join(FACTS) + ".")
    assert shown.partition("\n\n")[0].endswith("Bagging trains models in parallel on bootstrap samples. [3]")
    # the model's own list is kept as it wrote it, and capped too
    listed = "Overfitting is memorizing noise in training data.\n" + "\n".join(f"- {f}." for f in FACTS)
    shown, _ = _shaped(listed)
    assert shown.count("\n- ") == 5 and "\n\n" not in shown, shown


def test_a_sentence_that_says_an_earlier_one_again_is_left_out():
    reply = ("An L2 penalty reduces model complexity and variance. "
             "Overfitting happens when a model memorizes noise. "
             "L2 penalty: it reduces variance and model complexity.")
    shown, citer = _shaped(reply)
    assert shown.count("L2") == 1 and len(citer.layout.restated) == 1, shown


def test_lists_lose_their_numbers_filler_goes_and_a_lead_in_waits_for_its_items():
    reply = ("Overfitting happens when a model memorizes noise in the training data and then fails to "
             "generalize to new data it has never seen before.\nThe steps:\n- 1. The moon is cheese and rock.\n"
             f"- 2. {FACTS[0]}.\n3. {FACTS[1]}.\nThe source of this information is.\nOther steps:\n"
             "- 4. Bananas are yellow tropical fruits.")
    shown, citer = _shaped(reply)
    assert shown.splitlines()[1:] == ["The steps:", f"- {FACTS[0]}. [3]", f"- {FACTS[1]}. [3]"], shown
    assert [s.text for s in citer.layout.dropped] == ["- 1. The moon is cheese and rock.", "The source of this information is.",
                                               "- 4. Bananas are yellow tropical fruits."]


def test_a_reply_that_opens_with_a_list_takes_its_first_item_as_the_answer():
    shown, _ = _shaped("\n".join(f"- {f}." for f in FACTS[:3]))
    assert shown.splitlines() == [f"{FACTS[0]}. [3]", f"- {FACTS[1]}. [3]", f"- {FACTS[2]}. [3]"], shown


def test_a_list_item_whose_first_sentence_goes_keeps_its_line_and_marker():
    reply = (f"{FACTS[0]}.\n- The moon is made of cheese and rock. {FACTS[1]}.\n- {FACTS[2]}.")
    shown, citer = _shaped(reply)
    assert shown.splitlines() == [f"{FACTS[0]}. [3]", f"- {FACTS[1]}. [3]", f"- {FACTS[2]}. [3]"], shown


def test_a_lead_in_then_a_list_keeps_the_list():
    reply = "I would follow these steps:\n" + "\n".join(f"{n}. {f}." for n, f in enumerate(FACTS[:3], 1))
    shown, _ = _shaped(reply)
    assert shown.splitlines() == ["I would follow these steps:", *(f"- {f}. [3]" for f in FACTS[:3])], shown


def test_an_eight_word_run_said_a_third_time_is_left_out():
    run = "to predict the next token from the previous ones"
    reply = (f"Bagging trains models in parallel, {run}. Boosting trains learners sequentially, {run}. "
             f"Each boosted learner corrects earlier errors, {run}. Random forests are a bagging method.")
    src = SourceText(1, "r", f"Bagging trains models in parallel. Boosting trains learners sequentially. Each boosted "
                     f"learner corrects earlier errors. Random forests are a bagging method. {run}.")
    citer = CitingStream(Attributor([src]), 1, ReplyLayout())
    shown = "".join(citer.feed(reply[i : i + 5]) for i in range(0, len(reply), 5)) + citer.finish()
    assert shown.count(run) == 2 and "Random forests" in shown and len(citer.layout.restated) == 1, shown
