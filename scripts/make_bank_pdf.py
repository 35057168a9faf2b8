"""Build bank/ml_ukrainian.pdf, the Ukrainian part of the default question bank.

About the default bank (bank/): it lets a fresh clone ingest, index and quiz without the real,
private question bank. All of its text is original writing for this project. It holds four
documents, one per shape the ingest parsers recognize:

* bank/ml_fundamentals.md     - 14 English questions: "# Title", level lines ("Beginner Level",
                                 "Intermediate Level", "Expert Level"), numbered questions in column 0
                                 restarting at 1 per level, answers as "  • Label: text" bullets and prose.
* bank/practice_quiz.txt       - 8 English questions: a question line followed directly by
                                 "Label: text" answer lines (one question has no answer lines).
* bank/deep_learning_blog.html - 5 English questions: a blog page (nav, script, cookie banner,
                                 footer) whose <article> has <h2> sections and <h3>Qn. ...?</h3>
                                 questions answered by <p> and <ul> blocks, then <h2>Conclusion</h2>.
* bank/ml_ukrainian.pdf        - 11 Ukrainian questions, rendered by this script from SOURCE below:
                                 title, level lines "Junior"/"Middle"/"Senior", topic lines, bold
                                 questions "1. **...?**" (markers kept literally, as in a markdown
                                 export), answer paragraphs and "- **Label:** text" bullets, a running
                                 header on every page and "Page N" at the bottom.

Do not put a README or any other .md/.txt/.html/.pdf in bank/: every such file is ingested as a
question document. The source text lives here, not in bank/, so it is not ingested twice.

Run:  .venv/bin/python scripts/make_bank_pdf.py   (needs reportlab; output is byte-for-byte
deterministic for a given reportlab version and font file).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bank" / "ml_ukrainian.pdf"
RUNNING_HEADER = "Співбесіда з ML: питання та відповіді"

# Markup of SOURCE: "# " title, "## " level, "### " topic; the hashes are not rendered.
# Lines starting "N. **" are questions, "- " bullets, anything else an answer paragraph.
SOURCE = """\
# Співбесіда з Machine Learning: короткий збірник питань для Junior, Middle та Senior
Питання згруповані за рівнем і темою. Після кожного питання — відповідь і ключові тези, які варто назвати на співбесіді.
## Junior
### Machine Learning
1. **Що таке перенавчання (overfitting)?**
Перенавчання — це ситуація, коли модель запам'ятовує шум і випадкові особливості тренувальних даних замість загальних закономірностей. Через це помилка на тренувальних даних низька, а на нових даних — значно вища.
- **Ознака:** великий розрив між якістю на тренувальному та валідаційному наборах.
- **Причини:** надто складна модель, замало даних, забагато ознак.
- **Як боротися:** більше даних або аугментація, простіша модель, регуляризація (L1/L2, dropout), рання зупинка (early stopping), крос-валідація.
2. **Чим відрізняється класифікація від регресії?**
Обидві задачі належать до навчання з учителем, але відрізняються типом цільової змінної.
- **Класифікація:** передбачає дискретний клас, наприклад «спам / не спам»; метрики — accuracy, precision, recall, F1.
- **Регресія:** передбачає неперервне число, наприклад ціну квартири; метрики — MAE, MSE, RMSE, R².
- **Зауваження:** логістична регресія, попри назву, є моделлю класифікації.
3. **Навіщо масштабувати ознаки (feature scaling)?**
Багато алгоритмів чутливі до масштабу ознак: ознака з великими значеннями домінує у відстанях або в градієнтах.
- **Кому потрібно:** k-NN, k-means, SVM, PCA, лінійні моделі з регуляризацією, нейронні мережі.
- **Кому не потрібно:** дерева рішень та ансамблі на їх основі, бо вони працюють з порогами.
- **Способи:** стандартизація (віднімаємо середнє й ділимо на стандартне відхилення) або min-max нормалізація до [0, 1].
- **Важливо:** параметри масштабування обчислюють лише на тренувальних даних, інакше виникає витік даних (data leakage).
### Статистика
4. **Чим медіана відрізняється від середнього значення?**
Середнє — це сума значень, поділена на їх кількість; медіана — значення посередині впорядкованого ряду.
- **Стійкість до викидів:** один дуже великий викид сильно зсуває середнє, але майже не змінює медіану.
- **Приклад:** для зарплат зазвичай наводять медіану, бо кілька дуже високих зарплат завищують середнє.
- **Симетричний розподіл:** для нормального розподілу середнє і медіана збігаються.
5. **Чому кореляція не означає причинності (causation)?**
Коефіцієнт кореляції Пірсона вимірює силу лінійного зв'язку між двома змінними і лежить у межах від -1 до 1.
- **Прихована змінна:** обидві величини можуть залежати від третьої (продаж морозива і кількість утоплень зростають улітку).
- **Нелінійність:** нульова кореляція не означає відсутності залежності — зв'язок може бути нелінійним.
- **Причинність:** щоб довести причинний вплив, потрібен контрольований експеримент, наприклад A/B-тест.
## Middle
### Deep Learning
1. **Що таке dropout і як він працює?**
Dropout — це метод регуляризації нейронних мереж: під час навчання кожен нейрон шару випадково вимикається з імовірністю p.
- **Ефект:** мережа не може покладатися на окремі нейрони, тому вчить надлишкові, стійкіші ознаки; це схоже на усереднення багатьох підмереж.
- **Інференс:** під час передбачення dropout вимикають, а активації масштабують (у сучасних реалізаціях масштабування робиться ще під час навчання — inverted dropout).
- **Типові значення:** p від 0.1 до 0.5.
2. **Як працює зворотне поширення помилки (backpropagation)?**
Backpropagation обчислює градієнт функції втрат за всіма вагами мережі за правилом ланцюжка (chain rule).
- **Прямий прохід:** обчислюємо виходи всіх шарів і значення функції втрат, зберігаючи проміжні активації.
- **Зворотний прохід:** від виходу до входу множимо локальні похідні кожного шару і отримуємо градієнти.
- **Оновлення:** оптимізатор (SGD, Adam) змінює ваги в напрямку, протилежному градієнту.
### MLOps
3. **Як забезпечити відтворюваність ML-експериментів?**
Відтворюваність означає, що інша людина (або ви через пів року) отримає ту саму модель і ті самі метрики.
- **Код і середовище:** код у Git, зафіксовані версії бібліотек, Docker-образ.
- **Дані:** версіонування даних (наприклад, DVC) або незмінні знімки з ідентифікатором.
- **Експерименти:** трекінг параметрів, метрик і артефактів (MLflow, Weights & Biases).
- **Випадковість:** фіксований seed для всіх генераторів випадкових чисел.
## Senior
### Deep Learning
1. **Чому трансформери (transformers) витіснили RNN у більшості задач NLP?**
Рекурентна мережа обробляє токени послідовно, тому навчання погано паралелізується, а інформація з далеких токенів затухає. Трансформер використовує самоувагу (self-attention), у якій кожен токен напряму звертається до всіх інших.
- **Паралельність:** усі позиції обробляються одночасно, що добре масштабується на GPU.
- **Довгі залежності:** шлях між будь-якими двома токенами має довжину один крок.
- **Ціна:** складність уваги квадратична за довжиною послідовності, а порядок токенів задається позиційними кодуваннями.
### LLM
2. **Як оцінювати якість RAG-системи (retrieval-augmented generation)?**
RAG-систему оцінюють окремо за двома етапами — пошуком і генерацією, — а також наскрізно.
- **Пошук:** recall@k, MRR або nDCG на наборі запитів з відомими релевантними документами.
- **Генерація:** обґрунтованість відповіді знайденим контекстом (faithfulness), повнота й релевантність відповіді питанню.
- **Інструменти:** ручна розмітка невеликого «золотого» набору, а також LLM-as-a-judge з перевіркою на узгодженість з людськими оцінками.
- **Продакшн:** моніторинг відгуків користувачів, частки відповідей «не знаю» та затримки.
### MLOps
3. **Як безпечно вивести нову версію моделі в продакшн?**
Нову модель не варто одразу відкривати всім користувачам: офлайн-метрики не гарантують кращих бізнес-результатів.
- **Shadow deployment:** нова модель отримує реальний трафік, але її відповіді не показуються — лише порівнюються зі старою.
- **Canary та A/B-тест:** невелика частка трафіку йде на нову модель, а рішення приймають за заздалегідь визначеною метрикою зі статистичною перевіркою.
- **Відкат:** стара версія лишається доступною, щоб швидко повернутися до неї при деградації.
"""

LEVELS = ("Junior", "Middle", "Senior")


def _find_fonts() -> tuple[Path, Path]:
    """DejaVu Sans (regular, bold): it covers Cyrillic. System fonts first, then matplotlib's copy."""
    candidates = [Path("/usr/share/fonts/truetype/dejavu")]
    try:
        import matplotlib

        candidates.append(Path(matplotlib.get_data_path()) / "fonts" / "ttf")
    except ImportError:
        pass
    for folder in candidates:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    sys.exit("DejaVuSans.ttf / DejaVuSans-Bold.ttf not found (install fonts-dejavu-core or matplotlib)")


def build(out: Path = OUT) -> Path:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    regular, bold = _find_fonts()
    pdfmetrics.registerFont(TTFont("DejaVu", str(regular)))
    pdfmetrics.registerFont(TTFont("DejaVu-Bold", str(bold)))
    pdfmetrics.registerFontFamily(
        "DejaVu", normal="DejaVu", bold="DejaVu-Bold", italic="DejaVu", boldItalic="DejaVu-Bold"
    )

    body = ParagraphStyle("body", fontName="DejaVu", fontSize=10, leading=14, spaceAfter=4)
    styles = {
        "title": ParagraphStyle(
            "title", parent=body, fontName="DejaVu-Bold", fontSize=16, leading=21, spaceAfter=10
        ),
        "level": ParagraphStyle(
            "level",
            parent=body,
            fontName="DejaVu-Bold",
            fontSize=14,
            leading=18,
            spaceBefore=12,
            spaceAfter=6,
        ),
        "topic": ParagraphStyle(
            "topic", parent=body, fontName="DejaVu-Bold", fontSize=12, leading=16, spaceBefore=6, spaceAfter=4
        ),
        "question": ParagraphStyle("question", parent=body, fontName="DejaVu-Bold", spaceBefore=6),
        "bullet": ParagraphStyle("bullet", parent=body, leftIndent=12),
        "body": body,
    }

    story = []
    for raw in SOURCE.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("# "):
            kind, text = "title", line[2:]
        elif line.startswith("## "):
            kind, text = "level", line[3:]
        elif line.startswith("### "):
            kind, text = "topic", line[4:]
        elif re.match(r"\d+\. \*\*", line):
            kind, text = "question", line
        elif line.startswith("- "):
            kind, text = "bullet", line
        else:
            kind, text = "body", line
        story.append(Paragraph(escape(text), styles[kind]))
    story.append(Spacer(1, 4 * mm))

    def decorate(canvas, doc):
        canvas.saveState()
        width, height = A4
        canvas.setFont("DejaVu", 8)
        canvas.drawString(20 * mm, height - 12 * mm, RUNNING_HEADER)
        canvas.drawCentredString(width / 2, 10 * mm, f"Page {doc.page}")
        canvas.restoreState()

    out.parent.mkdir(parents=True, exist_ok=True)
    doc = SimpleDocTemplate(
        str(out),
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title="Співбесіда з Machine Learning",
        author="Interview Tutor",
        invariant=1,
    )
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return out


if __name__ == "__main__":
    path = build(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
    print(f"wrote {path} ({path.stat().st_size} bytes)")
