"""tutor.claims: the no-model contradiction checks, on hand-made sentence pairs in both languages.

Every positive pair names the rule that must catch it, so removing or breaking that rule fails its
test; the negative pairs (paraphrases, contrasts, double negations) keep the rules from firing on
correct answers.
"""

from __future__ import annotations

import pytest

from tutor.claims import conflict, conflicts, tokens

CONTRADICTIONS = [
    # (rule, reference, candidate)
    ("flip", "Bagging mainly reduces the variance of the model.", "Bagging mainly reduces the bias of the model."),
    ("flip", "Boosting trains the weak learners sequentially, each fixing the previous errors.",
     "Boosting trains the weak learners in parallel, each fixing the previous errors."),
    ("flip", "Precision is the share of predicted positives that are correct.",
     "Recall is the share of predicted positives that are correct."),
    ("flip", "Dropout reduces overfitting of large networks.", "Dropout increases overfitting of large networks."),
    ("flip", "Беггінг зменшує дисперсію ансамблю моделей.", "Беггінг зменшує зміщення ансамблю моделей."),
    ("flip", "Dropout зменшує перенавчання великих нейронних мереж.",
     "Dropout збільшує перенавчання великих нейронних мереж."),
    ("flip", "Бустинг навчає слабкі моделі послідовно, кожна виправляє помилки попередньої.",
     "Бустинг навчає слабкі моделі паралельно, кожна виправляє помилки попередньої."),
    ("negation", "L1 regularization can set some weights exactly to zero.",
     "L1 regularization never sets weights exactly to zero."),
    ("negation", "Під час інференсу dropout вимикають повністю.", "Під час інференсу dropout не вимикають повністю."),
    ("formula", "The F1 score is the harmonic mean: F1 = 2PR/(P+R).", "The F1 score combines them: F1 = (P+R)/2."),
    ("formula", "For a convolution the output size = (W - K + 2P)/S + 1.",
     "For a convolution the output size = (W - K)/S."),
    ("number", "The default learning rate of Adam is 0.001 in most libraries.",
     "The default learning rate of Adam is 0.1 in most libraries."),
    ("number", "Зазвичай кількість фолдів k дорівнює 5 або 10.", "Зазвичай кількість фолдів k дорівнює 2."),
    # "non-linear" is one word, not "linear" (a table cell checked as "column: value").
    ("flip", "Kernel SVM: Non-linear", "Kernel SVM is a linear classifier, so it needs separable data."),
    ("flip", "Logistic regression: Linear", "Logistic regression is a non-linear model of the features."),
    ("flip", "Ядрова SVM: нелінійна", "Ядрова SVM — лінійний класифікатор, тому потрібні лінійно роздільні дані."),
    # Something the reference prescribes, called optional or unneeded.
    ("dismissal", "A trained model should be monitored in production for drift.",
     "Once it passed validation, monitoring the model in production isn't really necessary."),
    ("dismissal", "Knows to standardize features before k-means", "You don't need to standardize features for k-means."),
    ("dismissal", "Backups of the feature store are essential.", "Feature store backups are optional."),
    ("dismissal", "Перед кластеризацією ознаки потрібно нормалізувати.",
     "Нормалізувати ознаки перед кластеризацією не треба."),
    ("dismissal", "Спостереження повинні бути незалежними.", "Незалежність спостережень не обов'язкова."),
]

AGREEMENTS = [
    # A dismissal the reference agrees with, or about something else than what it prescribes.
    ("Autoencoders learn from unlabeled data.", "Labels are not needed: the network reconstructs its input."),
    ("Tree models do not need feature scaling.", "You don't need to scale features for a random forest."),
    ("The model should be monitored in production.", "A second GPU is optional for serving."),
    ("Bagging reduces variance by averaging many trees.", "Averaging many bootstrapped trees reduces the variance."),
    ("Stateful RNN: the hidden state is not reset at the beginning of each batch.",
     "A stateless RNN resets its hidden state at the start of each batch."),
    ("CI/CD tools automate the deployment of models and dependencies.",
     "CI/CD runs the deployment of models and dependencies automatically, not by hand."),
    ("Оновлення залежностей і моделей автоматизують інструменти CI/CD.",
     "CI/CD оновлює залежності і моделі автоматично, а не вручну."),
    ("Bagging and boosting are both ensemble methods.", "Bagging trains models in parallel on bootstrap samples."),
    ("Precision = TP / (TP + FP); recall = TP / (TP + FN).", "Precision = TP/(TP+FP), and recall is TP/(TP+FN)."),
    ("class MyClass(metaclass=Singleton): pass", "Then declare class MyClass(metaclass=Singleton)."),
    ("nn.ReLU(), nn.Linear(64, 1)  # binary head", "nn.Linear(256, 128), nn.ReLU(),"),  # code is no claim
    ("rf = RandomForestRegressor(n_estimators=500, max_depth=None)", "rf = RandomForestRegressor(n_estimators=100)"),
    ("output, weights = attention(Q, K, V)", "output, weights = attention(K, Q, V)"),
    ("self.scale = d_k ** 0.5", "self.scale = 1 / d_k"),
    ("Gradient descent updates the weights against the gradient.", "The learning rate sets the step size."),
    # A direction word about something else than the reference's is no flip: "grows" is about trees.
    ("Random Forest: Reduces variance.",
     "Random Forest grows many deep trees independently and averages them, which mainly reduces variance."),
    ("Випадковий ліс зменшує дисперсію.",
     "Випадковий ліс збільшує кількість незалежних дерев і усереднює їх, що зменшує дисперсію."),
]


@pytest.mark.parametrize(("rule", "reference", "candidate"), CONTRADICTIONS)
def test_rule_catches_its_contradiction(rule, reference, candidate):
    found = conflicts(candidate, reference)
    assert rule in {f.rule for f in found}, f"{rule} missed: {candidate!r} ({found})"
    assert conflict(reference, reference) is None  # the reference agrees with itself


@pytest.mark.parametrize(("reference", "candidate"), AGREEMENTS)
def test_correct_sentences_are_not_contradictions(reference, candidate):
    assert conflict(candidate, reference) is None


def test_swapped_formula_terms_are_caught_by_some_rule():
    found = conflict("Precision = TP / (TP + FN) tells how many flagged items are right.",
                     "Precision = TP / (TP + FP) tells how many flagged items are right.")
    assert found is not None and found.rule in {"flip", "formula"}


def test_across_languages_a_flip_needs_more_evidence():
    reference = "Cross-validation gives a more robust estimate than a single train/test split."
    candidate = "Крос-валідація дає надійнішу оцінку, і ми менше залежимо від одного train/test split."
    assert conflict(candidate, reference, cross=True) is None


def test_concepts_are_shared_by_both_languages():
    en, uk = tokens("Bagging reduces variance."), tokens("Беггінг зменшує дисперсію.")
    assert en.seq == uk.seq == ("+bagging", "+dec", "+variance")
    assert tokens("It does not overfit.").negated and not tokens("It overfits.").negated
