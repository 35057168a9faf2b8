"""Many candidates at once, through the real app: two `streamlit run app.py` replicas sharing one real
PostgreSQL and one index folder (an attempt saved through replica A shows on replica B's Progress page),
progress kept per user (a name typed in the sidebar, or a proxy's identity header), and one user never
seeing another's answers. Headless Chromium through Playwright, as in tests/test_app_browser.py."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

import pytest
from test_app_browser import ANSWER_TIMEOUT_MS, bank_index, grade_one_answer, launch, open_app, serve  # noqa: F401 (fixture)

pytestmark = pytest.mark.slow  # real servers, a browser, the retrieval models
VIEWPORT = {"width": 1280, "height": 900}


def tree_digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def shared_db(pg_url):
    """A database of its own on the test server, for this module's replicas."""
    import psycopg

    from tutor.progress_store import close_pools

    name = f"replicas_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield pg_url.rsplit("/", 1)[0] + "/" + name
    finally:
        close_pools()
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="module")
def replicas(bank_index, shared_db, tmp_path_factory):  # noqa: F811 (the imported fixture)
    """Two servers over the same index folder and the same PostgreSQL database."""
    before = tree_digest(bank_index)
    a = serve(bank_index, tmp_path_factory, db=shared_db)
    b = serve(bank_index, tmp_path_factory, db=shared_db)
    try:
        yield next(a), next(b)
    finally:
        a.close()
        b.close()
    assert tree_digest(bank_index) == before  # the replicas only read the index


def sign_in(page, name: str) -> None:
    from playwright.sync_api import expect

    box = page.get_by_test_id("stSidebar").get_by_label("Your name", exact=True)
    box.fill(name)
    box.press("Enter")
    expect(box).to_have_value(name)


def go_to(page, name: str) -> None:
    page.get_by_test_id("stSidebar").get_by_text(name, exact=True).click()


def answer_one_question(page) -> None:
    grade_one_answer(page, "Something I typed on replica A about training, validation and the bias-variance "
                           "trade-off.")


def answers_graded(page) -> str:
    """The Progress page's count of graded answers, or 'none' when it says there are none yet."""
    from playwright.sync_api import expect

    go_to(page, "Progress")
    metric = page.get_by_test_id("stMetric").filter(has_text="Answers graded")
    empty = page.get_by_text("No answers yet")
    expect(metric.or_(empty)).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    if empty.count():
        return "none"
    return metric.get_by_test_id("stMetricValue").inner_text().strip()


def test_an_attempt_saved_on_replica_a_shows_on_replica_b_for_its_user_only(replicas):
    from playwright.sync_api import sync_playwright

    url_a, url_b = replicas
    with sync_playwright() as p:
        browser = launch(p)
        try:
            ann_a, _ = open_app(browser, url_a)
            sign_in(ann_a, "ann")
            answer_one_question(ann_a)

            ann_b, _ = open_app(browser, url_b)  # another browser session, on the other replica
            sign_in(ann_b, "ann")
            assert answers_graded(ann_b) == "1"

            bob_b, _ = open_app(browser, url_b)
            sign_in(bob_b, "bob")
            assert answers_graded(bob_b) == "none"  # ann's answer is hers alone
            for page in (ann_a, ann_b, bob_b):
                assert page.get_by_test_id("stException").count() == 0
        finally:
            browser.close()


@pytest.fixture(scope="module")
def proxied(bank_index, tmp_path_factory):  # noqa: F811 (the imported fixture)
    """A replica behind an authenticating proxy: the user comes from the X-Forwarded-User header."""
    db = tmp_path_factory.mktemp("proxied-db") / "progress.sqlite"
    yield from serve(bank_index, tmp_path_factory, db=db, extra_env={"TUTOR_USER_HEADER": "X-Forwarded-User"})


def test_the_identity_header_selects_the_user_and_its_absence_shows_nothing(proxied):
    from urllib.parse import urlsplit

    from identity_proxy import identity_proxy
    from playwright.sync_api import expect, sync_playwright

    port = urlsplit(proxied).port
    with sync_playwright() as p, identity_proxy("127.0.0.1", port, "X-Forwarded-User", "carol") as as_carol, \
            identity_proxy("127.0.0.1", port, "X-Forwarded-User", "dave") as as_dave:
        browser = launch(p)
        try:
            # The browser's own copy of the header is dropped by the proxy: carol can't claim to be dave.
            carol_ctx = browser.new_context(extra_http_headers={"X-Forwarded-User": "dave"}, viewport=VIEWPORT)
            carol, _ = open_app(carol_ctx, as_carol)
            side = carol.get_by_test_id("stSidebar")
            expect(side).to_contain_text("Signed in as carol")
            assert side.get_by_label("Your name", exact=True).count() == 0  # not editable behind the proxy
            answer_one_question(carol)
            assert answers_graded(carol) == "1"

            dave, _ = open_app(browser, as_dave)
            expect(dave.get_by_test_id("stSidebar")).to_contain_text("Signed in as dave")
            assert answers_graded(dave) == "none"

            anonymous = browser.new_page()  # straight to the app, around the proxy
            anonymous.goto(proxied, wait_until="domcontentloaded")
            expect(anonymous.get_by_text("needs the X-Forwarded-User header")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
            assert anonymous.get_by_test_id("stChatInputTextArea").count() == 0
        finally:
            browser.close()
