"""Synthetic question banks that read like interview Q&A, at any size (for bench/scale.py and the
resumable-ingest test). Writes JSON Lines files the tutor ingests like a user's export.

    .venv/bin/python bench/synth_bank.py --records 10000 --out DIR [--seed 0] [--uk-share 0.2]
                                         [--dup-share 0.05] [--per-file 5000]

Records are built from combinable parts written here (no seed text): a concept, a question form
(definition, comparison, "how would you…", pitfalls), a setting and a level, in English or Ukrainian,
under a section. Answers are built from the concept's own sentences plus the setting's, so two records
about one concept share words the way a real bank's neighbours do. `--dup-share` of the records are
near-duplicates of an earlier one (the question reworded, the answer's sentences reordered), as
banks merged from several exports hold. Every record is distinct text; the same arguments always
write the same files.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
from pathlib import Path

# concept -> (English name, Ukrainian name, section, three sentences about it in English, in Ukrainian)
CONCEPTS = [
    ("gradient descent", "градієнтний спуск", "Optimization",
     ["It moves the parameters a small step against the gradient of the loss.",
      "The step size is the learning rate, and too large a rate makes the loss diverge.",
      "Mini-batches trade noisy gradients for many more updates per epoch."],
     ["Він зсуває параметри на малий крок проти градієнта функції втрат.",
      "Розмір кроку задає швидкість навчання; завелика швидкість розхитує втрати.",
      "Міні-батчі дають шумніший градієнт, але набагато більше оновлень за епоху."]),
    ("momentum", "момент (momentum)", "Optimization",
     ["It keeps a running average of past gradients and steps along it.",
      "Oscillations across narrow valleys cancel while progress along the valley adds up.",
      "A coefficient near 0.9 is the usual starting point."],
     ["Він зберігає ковзне середнє минулих градієнтів і крокує вздовж нього.",
      "Коливання поперек вузької долини гасяться, а рух уздовж неї накопичується.",
      "Коефіцієнт близько 0.9 — звична відправна точка."]),
    ("the Adam optimizer", "оптимізатор Adam", "Optimization",
     ["It combines momentum with a per-parameter step scaled by recent squared gradients.",
      "Bias correction matters in the first steps, when the averages start at zero.",
      "Decoupled weight decay (AdamW) regularizes better than an L2 term in the loss."],
     ["Він поєднує момент із кроком для кожного параметра, масштабованим квадратами градієнтів.",
      "Поправка зміщення важлива на перших кроках, коли середні починаються з нуля.",
      "Відокремлене згасання ваг (AdamW) регуляризує краще, ніж L2 у функції втрат."]),
    ("dropout", "дропаут (dropout)", "Deep learning",
     ["It zeroes a random share of activations during training so units cannot co-adapt.",
      "At inference every unit is kept and activations are scaled to match the training average.",
      "It acts like averaging many thinned networks."],
     ["Він обнуляє випадкову частку активацій під час навчання, щоб нейрони не підлаштовувалися один під одного.",
      "Під час передбачення залишають усі нейрони й масштабують активації.",
      "Це схоже на усереднення багатьох проріджених мереж."]),
    ("batch normalization", "пакетна нормалізація", "Deep learning",
     ["It normalizes each feature over the mini-batch and then applies a learned scale and shift.",
      "It allows higher learning rates and makes training less sensitive to initialization.",
      "At inference it uses running statistics gathered during training."],
     ["Вона нормалізує кожну ознаку в межах міні-батча, а потім застосовує вивчені масштаб і зсув.",
      "Вона дозволяє більші швидкості навчання й зменшує чутливість до ініціалізації.",
      "Під час передбачення використовує ковзні статистики, зібрані під час навчання."]),
    ("residual connections", "залишкові з'єднання", "Deep learning",
     ["A block adds its input to its output, so it only has to learn a correction.",
      "Gradients flow through the identity path, which makes very deep networks trainable.",
      "They are why networks with hundreds of layers converge at all."],
     ["Блок додає свій вхід до виходу, тож йому треба вивчити лише поправку.",
      "Градієнти проходять тотожним шляхом, і дуже глибокі мережі стають навчуваними.",
      "Саме завдяки їм мережі із сотнями шарів узагалі збігаються."]),
    ("the attention mechanism", "механізм уваги", "NLP",
     ["Each token builds a query and compares it with every token's key to weight their values.",
      "Scaling the scores by the square root of the key size keeps the softmax from saturating.",
      "Its cost grows with the square of the sequence length."],
     ["Кожен токен будує запит і порівнює його з ключами всіх токенів, щоб зважити їхні значення.",
      "Ділення оцінок на корінь із розміру ключа не дає softmax насичуватися.",
      "Його вартість зростає квадратично з довжиною послідовності."]),
    ("tokenization", "токенізація", "NLP",
     ["Text is split into units from a fixed vocabulary, often subwords learned from data.",
      "Subword schemes such as byte-pair encoding keep rare words representable.",
      "The tokenizer must be the same at training and at inference."],
     ["Текст розбивають на одиниці з фіксованого словника, часто підслова, вивчені з даних.",
      "Підсловні схеми на кшталт byte-pair encoding дозволяють представити рідкісні слова.",
      "Токенізатор має бути однаковим під час навчання й передбачення."]),
    ("word embeddings", "векторні представлення слів", "NLP",
     ["Each word maps to a dense vector learned so that words in similar contexts lie close.",
      "Static embeddings give one vector per word whatever the sentence.",
      "Contextual models give a different vector for each use of a word."],
     ["Кожне слово відображається в щільний вектор, і слова зі схожими контекстами лежать поруч.",
      "Статичні представлення дають один вектор на слово незалежно від речення.",
      "Контекстні моделі дають різний вектор для кожного вжитку слова."]),
    ("overfitting", "перенавчання", "Fundamentals",
     ["The model fits noise in the training data and does worse on new data.",
      "A growing gap between training and validation error is the usual sign.",
      "More data, regularization and simpler models all reduce it."],
     ["Модель підганяється під шум у навчальних даних і гірше працює на нових.",
      "Звична ознака — зростання розриву між помилкою на навчанні й на валідації.",
      "Більше даних, регуляризація та простіші моделі його зменшують."]),
    ("the bias-variance trade-off", "компроміс зміщення й дисперсії", "Fundamentals",
     ["Error splits into bias from wrong assumptions and variance from sensitivity to the sample.",
      "Flexible models lower bias and raise variance.",
      "The best model balances the two for the amount of data at hand."],
     ["Помилка складається зі зміщення через хибні припущення та дисперсії через чутливість до вибірки.",
      "Гнучкі моделі зменшують зміщення й збільшують дисперсію.",
      "Найкраща модель урівноважує обидва складники для наявного обсягу даних."]),
    ("cross-validation", "крос-валідація", "Fundamentals",
     ["The data is split into folds and each fold serves once as the validation set.",
      "Averaging over folds gives a steadier estimate than one split.",
      "Time series need splits that never train on the future."],
     ["Дані ділять на частини, і кожна по черзі слугує валідаційною.",
      "Усереднення за частинами дає стабільнішу оцінку, ніж один поділ.",
      "Для часових рядів потрібні поділи, що ніколи не навчаються на майбутньому."]),
    ("L1 regularization", "L1-регуляризація", "Fundamentals",
     ["It adds the sum of absolute weights to the loss.",
      "It drives many weights to exactly zero, which selects features.",
      "Among correlated features it tends to keep one and drop the others."],
     ["Вона додає до функції втрат суму модулів ваг.",
      "Вона зводить багато ваг точно до нуля, тобто відбирає ознаки.",
      "Серед корельованих ознак вона зазвичай залишає одну."]),
    ("L2 regularization", "L2-регуляризація", "Fundamentals",
     ["It adds the sum of squared weights to the loss.",
      "It shrinks all weights smoothly without making them zero.",
      "It spreads weight across correlated features."],
     ["Вона додає до функції втрат суму квадратів ваг.",
      "Вона плавно зменшує всі ваги, не обнуляючи їх.",
      "Вона розподіляє вагу між корельованими ознаками."]),
    ("decision trees", "дерева рішень", "Classical ML",
     ["A tree splits the data on one feature at a time to make the leaves purer.",
      "Impurity is measured with Gini or entropy for classes and variance for regression.",
      "A deep tree overfits, so depth or leaf size is limited."],
     ["Дерево ділить дані за однією ознакою за раз, щоб листки стали чистішими.",
      "Нечистоту міряють індексом Джині чи ентропією для класів і дисперсією для регресії.",
      "Глибоке дерево перенавчається, тому обмежують глибину чи розмір листка."]),
    ("random forests", "випадковий ліс", "Classical ML",
     ["Many trees are trained on bootstrap samples with a random subset of features at each split.",
      "Averaging their votes lowers variance without raising bias much.",
      "Out-of-bag samples give a validation estimate for free."],
     ["Багато дерев навчають на бутстреп-вибірках із випадковою підмножиною ознак на кожному поділі.",
      "Усереднення їхніх голосів зменшує дисперсію майже без росту зміщення.",
      "Out-of-bag приклади дають валідаційну оцінку безкоштовно."]),
    ("gradient boosting", "градієнтний бустинг", "Classical ML",
     ["Trees are added one after another, each fitted to the errors of the ensemble so far.",
      "A small learning rate with many trees usually generalizes best.",
      "It lowers bias, and early stopping keeps variance in check."],
     ["Дерева додають одне за одним, і кожне навчається на помилках уже наявного ансамблю.",
      "Мала швидкість навчання з великою кількістю дерев зазвичай узагальнює найкраще.",
      "Він зменшує зміщення, а рання зупинка стримує дисперсію."]),
    ("logistic regression", "логістична регресія", "Classical ML",
     ["It models the log-odds of the positive class as a linear function of the features.",
      "It is trained by minimizing cross-entropy, which is convex here.",
      "Its coefficients read as changes in log-odds per unit of a feature."],
     ["Вона моделює логарифм шансів позитивного класу як лінійну функцію ознак.",
      "Її навчають мінімізацією крос-ентропії, яка тут опукла.",
      "Її коефіцієнти читаються як зміна логарифма шансів на одиницю ознаки."]),
    ("support vector machines", "метод опорних векторів", "Classical ML",
     ["It finds the boundary with the widest margin between the classes.",
      "Only the points on or inside the margin, the support vectors, define it.",
      "Kernels let it draw non-linear boundaries without computing the features."],
     ["Він шукає межу з найширшим проміжком між класами.",
      "Її визначають лише точки на межі проміжку чи всередині нього — опорні вектори.",
      "Ядра дозволяють будувати нелінійні межі без явного обчислення ознак."]),
    ("k-means clustering", "кластеризація k-середніх", "Unsupervised",
     ["It alternates between assigning points to the nearest centre and moving each centre to its points' mean.",
      "The result depends on the starting centres, so k-means++ seeding is used.",
      "The number of clusters is chosen with the elbow or silhouette."],
     ["Він по черзі приписує точки до найближчого центру й переносить центр у середнє його точок.",
      "Результат залежить від початкових центрів, тому використовують k-means++.",
      "Кількість кластерів обирають методом ліктя чи силуетом."]),
    ("principal component analysis", "метод головних компонент", "Unsupervised",
     ["It projects the data onto the directions of largest variance.",
      "The directions are eigenvectors of the covariance matrix.",
      "Features must be scaled first, or the largest unit dominates."],
     ["Він проєктує дані на напрями найбільшої дисперсії.",
      "Ці напрями — власні вектори матриці коваріації.",
      "Ознаки треба спершу масштабувати, інакше домінує найбільша одиниця."]),
    ("precision and recall", "точність і повнота", "Evaluation",
     ["Precision is the share of predicted positives that are right.",
      "Recall is the share of real positives that are found.",
      "Moving the threshold trades one for the other."],
     ["Точність — частка правильних серед передбачених позитивних.",
      "Повнота — частка знайдених серед справжніх позитивних.",
      "Зсув порогу обмінює одне на інше."]),
    ("the ROC curve", "ROC-крива", "Evaluation",
     ["It plots the true positive rate against the false positive rate at every threshold.",
      "The area under it is the chance that a random positive outranks a random negative.",
      "On rare positives the precision-recall curve says more."],
     ["Вона показує частку істинно позитивних проти хибно позитивних на кожному порозі.",
      "Площа під нею — ймовірність, що випадковий позитивний приклад стоїть вище за негативний.",
      "Для рідкісних позитивних більше каже крива точності й повноти."]),
    ("class imbalance", "дисбаланс класів", "Evaluation",
     ["Accuracy misleads when one class is rare.",
      "Resampling, class weights and threshold tuning all help.",
      "Metrics such as recall at a fixed precision fit the business question better."],
     ["Точність передбачень вводить в оману, коли один клас рідкісний.",
      "Допомагають перевибірка, ваги класів і підбір порогу.",
      "Метрики на кшталт повноти за фіксованої точності краще відповідають задачі."]),
    ("convolutional networks", "згорткові мережі", "Computer vision",
     ["Small filters slide over the image and share their weights across positions.",
      "Pooling and strides grow the receptive field layer by layer.",
      "Weight sharing makes them far smaller than dense networks on images."],
     ["Малі фільтри ковзають зображенням і мають спільні ваги для всіх позицій.",
      "Пулінг і кроки збільшують рецептивне поле від шару до шару.",
      "Спільні ваги роблять їх значно меншими за повнозв'язні мережі."]),
    ("transfer learning", "трансферне навчання", "Computer vision",
     ["A model trained on a large dataset is reused as the start for a smaller task.",
      "Early layers are often frozen and later layers fine-tuned.",
      "It works best when the source and target data look alike."],
     ["Модель, навчену на великому наборі, беруть як початок для меншої задачі.",
      "Ранні шари часто заморожують, а пізніші донавчають.",
      "Воно працює найкраще, коли вихідні й цільові дані схожі."]),
    ("data drift", "дрейф даних", "MLOps",
     ["The distribution of inputs in production moves away from the training data.",
      "It is caught by comparing feature distributions over time.",
      "Retraining on recent data or alerting on the shift are the usual responses."],
     ["Розподіл вхідних даних у продакшні відходить від навчального.",
      "Його помічають, порівнюючи розподіли ознак у часі.",
      "Звичні відповіді — перенавчання на свіжих даних або сповіщення про зсув."]),
    ("feature stores", "сховища ознак", "MLOps",
     ["They compute and serve the same feature definitions for training and for serving.",
      "That removes the skew between offline and online features.",
      "Point-in-time joins keep future values out of training rows."],
     ["Вони обчислюють і віддають однакові визначення ознак для навчання й обслуговування.",
      "Це прибирає розбіжність між офлайн- і онлайн-ознаками.",
      "З'єднання на момент часу не пускають майбутні значення в навчальні рядки."]),
    ("A/B testing", "A/B-тестування", "MLOps",
     ["Users are split at random between the old and the new model.",
      "The sample size is fixed in advance from the effect worth detecting.",
      "Peeking at results early inflates false positives."],
     ["Користувачів випадково ділять між старою й новою моделлю.",
      "Розмір вибірки фіксують заздалегідь за ефектом, який варто помітити.",
      "Передчасне підглядання в результати збільшує хибні спрацювання."]),
    ("recommender systems", "рекомендаційні системи", "Applied ML",
     ["Collaborative filtering learns from which users liked which items.",
      "Content features solve the cold start for new items.",
      "Candidate generation narrows millions of items before a ranker orders a few hundred."],
     ["Колаборативна фільтрація вчиться з того, кому що сподобалося.",
      "Ознаки вмісту розв'язують холодний старт для нових об'єктів.",
      "Генерація кандидатів звужує мільйони об'єктів, перш ніж ранжувальник упорядкує сотні."]),
]

SETTINGS_EN = [
    ("", ""),
    (" for tabular data", "On tabular data, check it against a tuned gradient-boosted baseline first."),
    (" in a production system", "In production, log its inputs and outputs so problems can be traced."),
    (" with very little data", "With little data, prefer strong priors, simple models and careful validation."),
    (" on a large dataset", "On a large dataset, the cost per step and the memory footprint decide the choice."),
    (" for text classification", "For text, the tokenizer and the vocabulary size matter as much as the model."),
    (" in a ranking problem", "In ranking, judge it with a metric over the ordered list, such as NDCG."),
    (" for image data", "For images, augmentation often matters as much as the architecture."),
    (" under a strict latency budget", "Under a latency budget, measure the p95, not the mean."),
    (" in an online learning setup", "Online, the model updates as data arrives, so watch for feedback loops."),
]
SETTINGS_UK = [
    ("", ""),
    (" для табличних даних", "На табличних даних спершу порівняйте з налаштованим бустингом."),
    (" у продакшн-системі", "У продакшні журналюйте входи й виходи, щоб відстежувати проблеми."),
    (" на дуже малих даних", "На малих даних обирайте простіші моделі й ретельну валідацію."),
    (" на великому наборі даних", "На великому наборі вирішують вартість кроку й пам'ять."),
    (" для класифікації текстів", "Для текстів токенізатор і розмір словника важать не менше за модель."),
]

FORMS_EN = [
    ("definition", "What is {c}{s}?"),
    ("definition", "Explain {c}{s} in simple terms."),
    ("how", "How would you apply {c}{s}?"),
    ("how", "Walk me through how {c} works{s}."),
    ("pitfalls", "What can go wrong with {c}{s}?"),
    ("why", "Why does {c} help{s}?"),
]
FORMS_UK = [
    ("definition", "Що таке {c}{s}?"),
    ("definition", "Поясніть {c}{s} простими словами."),
    ("how", "Як би ви застосували {c}{s}?"),
    ("pitfalls", "Що може піти не так із {c}{s}?"),
]
# A last clause some interviewers add, with the answer sentence it asks for.
TAILS_EN = [
    ("", ""),
    (" Keep it short.", ""),
    (" Give an example.", "For example, a model that scores well offline may still need this checked on fresh data."),
    (" How would you explain it to a product manager?", "To a product manager: it is a way to make the model's results more reliable."),
    (" What would you monitor?", "Monitor the validation metric and the training loss side by side."),
    (" What are the trade-offs?", "The trade-off is extra computation and one more setting to tune."),
    (" How would you test it?", "Test it with an ablation: the same run with and without it."),
    (" When would you avoid it?", "Avoid it when a simpler method already meets the target."),
    (" What is a common mistake?", "A common mistake is tuning it on the test set."),
    (" How does it scale?", "It scales roughly linearly with the number of examples."),
    (" What would a senior engineer add?", "A senior engineer would add how it fails and how that is detected."),
    (" Name one alternative.", "One alternative is a simpler baseline with stronger regularization."),
]
TAILS_UK = [
    ("", ""),
    (" Коротко.", ""),
    (" Наведіть приклад.", "Наприклад, модель, що добре працює офлайн, треба перевірити на свіжих даних."),
    (" Що б ви моніторили?", "Моніторте метрику валідації й втрати на навчанні поруч."),
    (" Які компроміси?", "Компроміс — додаткові обчислення й ще один параметр для налаштування."),
    (" Як би ви це перевірили?", "Перевірте абляцією: той самий запуск із цим і без цього."),
]
COMPARE_EN = "What is the difference between {a} and {b}{s}?"
COMPARE_UK = "Чим відрізняється {a} від {b}{s}?"
REWORD_EN = ["Briefly, ", "In an interview, ", "Quick one: ", "Can you say "]
REWORD_UK = ["Коротко: ", "На співбесіді: ", "Швидке питання: "]
LEVELS = ["junior", "middle", "senior"]


def _record(rng: random.Random, lang: str) -> dict:
    concept = rng.choice(CONCEPTS)
    name_en, name_uk, section, facts_en, facts_uk = concept
    settings = SETTINGS_UK if lang == "uk" else SETTINGS_EN
    setting, setting_sentence = rng.choice(settings)
    facts = list(facts_uk if lang == "uk" else facts_en)
    name = name_uk if lang == "uk" else name_en
    if rng.random() < 0.2:
        other = rng.choice([c for c in CONCEPTS if c[2] == section and c is not concept] or CONCEPTS)
        other_name = other[1] if lang == "uk" else other[0]
        question = (COMPARE_UK if lang == "uk" else COMPARE_EN).format(a=name, b=other_name, s=setting)
        kind = "comparison"
        facts = facts[:2] + list(other[4] if lang == "uk" else other[3])[:2]
    else:
        kind, form = rng.choice(FORMS_UK if lang == "uk" else FORMS_EN)
        question = form.format(c=name, s=setting)
    tail, tail_sentence = rng.choice(TAILS_UK if lang == "uk" else TAILS_EN)
    question = question[0].upper() + question[1:] + tail
    answer = " ".join(facts + [x for x in (setting_sentence, tail_sentence) if x])
    return {"question": question, "answer": answer, "level": rng.choice(LEVELS), "topic": section,
            "kind": kind, "lang": lang}


def _near_duplicate(rng: random.Random, original: dict) -> dict:
    words = REWORD_UK if original["lang"] == "uk" else REWORD_EN
    question = rng.choice(words) + original["question"][0].lower() + original["question"][1:]
    sentences = original["answer"].split(". ")
    rng.shuffle(sentences)
    answer = ". ".join(s.rstrip(".") for s in sentences) + "."
    return {**original, "question": question, "answer": answer, "near_duplicate_of": original["question"]}


def records(n: int, seed: int = 0, uk_share: float = 0.2, dup_share: float = 0.05):
    """n distinct synthetic records (dicts), streamed: the same arguments give the same records."""
    rng = random.Random(seed)
    seen: set[str] = set()
    made: list[dict] = []
    counter = itertools.count(1)
    while len(seen) < n:
        if made and rng.random() < dup_share:
            record = _near_duplicate(rng, rng.choice(made[-1000:]))
        else:
            record = _record(rng, "uk" if rng.random() < uk_share else "en")
        if record["question"] in seen:
            # Combinations run out before 100k: a case number keeps every question distinct text,
            # the way a large bank repeats a topic across its own numbered cases.
            record["question"] = f"{record['question'].rstrip('?.')} (case {next(counter)})?"
            if record["question"] in seen:
                continue
        seen.add(record["question"])
        made.append(record)
        if len(made) > 2000:
            del made[:1000]
        yield record


def write(n: int, out: Path, seed: int = 0, uk_share: float = 0.2, dup_share: float = 0.05,
          per_file: int = 5000) -> list[Path]:
    """The bank as JSON Lines files of at most per_file records each, under out/."""
    out.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    handle = None
    for i, record in enumerate(records(n, seed, uk_share, dup_share)):
        if i % per_file == 0:
            if handle:
                handle.close()
            paths.append(out / f"synthetic-{len(paths) + 1:03d}.jsonl")
            handle = paths[-1].open("w", encoding="utf-8")
        row = {k: record[k] for k in ("question", "answer", "level", "topic")}
        handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    if handle:
        handle.close()
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--uk-share", type=float, default=0.2)
    parser.add_argument("--dup-share", type=float, default=0.05)
    parser.add_argument("--per-file", type=int, default=5000)
    args = parser.parse_args()
    paths = write(args.records, args.out, args.seed, args.uk_share, args.dup_share, args.per_file)
    print(json.dumps({"records": args.records, "files": [str(p) for p in paths]}))


if __name__ == "__main__":
    main()
