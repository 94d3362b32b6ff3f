"""End-to-end tests of the workbench in a real Chromium (Debian's ``chromium``, driven by Playwright).

A new review is created from scratch through the interview, the verdict changes when a
protective clause is answered, the report is downloaded and compared with what the CLI writes,
the file is saved, reopened, changed again and the two rounds are compared.

Browser: ``/usr/bin/chromium`` (``apt-get install chromium``) or ``BUDGETCHECK_CHROMIUM``. In CI
(``CI`` set) a missing browser is an error; elsewhere these tests are skipped with the reason.
Screenshots go to a temporary folder, or to ``BUDGETCHECK_SCREENSHOTS`` (docs/screenshots for the
README: ``BUDGETCHECK_SCREENSHOTS=docs/screenshots python3 dev.py test tests/test_browser.py``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.conftest import CHECK_DATE, ROOT

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
HOW_TO_GET = ("no Chromium found: install Debian's browser with 'sudo apt-get install chromium' "
              "(or set BUDGETCHECK_CHROMIUM to a Chromium/Chrome binary); .ci/run installs it in CI")


def _chromium() -> str | None:
    given = os.environ.get("BUDGETCHECK_CHROMIUM")
    if given:
        return given
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _need(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    if executable is None:
        _need(HOW_TO_GET)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need("the Python package playwright is not installed (python3 dev.py test installs it)")
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS[1:], headless=True)
        yield instance
        instance.close()


@pytest.fixture()
def server(tmp_path):
    """The workbench on a free port over an empty workspace; yields (base URL, app, workspace)."""
    from werkzeug.serving import make_server

    from checker.web.server import create_app

    workspace = tmp_path / "arbeitsordner"
    workspace.mkdir()
    app = create_app(workspace, check_date=CHECK_DATE)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}", app, workspace
    finally:
        httpd.shutdown()
        httpd.server_close()


# counts htmx requests in flight (an answer that changes the questions starts a second one)
PENDING = """
window.__pending = 0;
document.addEventListener('htmx:beforeRequest', () => { window.__pending++; });
document.addEventListener('htmx:afterRequest', () => { window.__pending--; });
"""


def new_context(browser, **options):
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="de-DE", **options)
    context.add_init_script(PENDING)
    return context


@pytest.fixture()
def page(browser):
    context = new_context(browser, accept_downloads=True)
    page = context.new_page()
    yield page
    context.close()


def shots() -> Path:
    folder = Path(os.environ.get("BUDGETCHECK_SCREENSHOTS") or (Path(os.environ.get("TMPDIR", "/tmp")) /
                                                                  "budgetcheck-screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def settle(page) -> None:
    """Wait until htmx has no request in flight (and nothing left to swap)."""
    page.wait_for_function("() => window.__pending === 0 && !document.querySelector('.htmx-request, .htmx-settling')")


def answer_clause(page, key: str, status: str, section: str = "") -> None:
    anchor = "q-" + re.sub(r"[^a-z0-9]+", "-", key.lower()).strip("-")
    with page.expect_response(re.compile(r"/answer$")):
        page.locator(f"#{anchor}-{status}").check()
    settle(page)
    if section:
        with page.expect_response(re.compile(r"/answer$")):
            page.locator(f"#{anchor}-section").fill(section)
            page.locator(f"#{anchor}-section").press("Tab")
        settle(page)


def change(page, selector: str, action: str, *args) -> None:
    with page.expect_response(re.compile(r"/(answer|item)$")):
        getattr(page.locator(selector), action)(*args)
    settle(page)


def type_in(page, selector: str, text: str) -> None:
    with page.expect_response(re.compile(r"/answer$")):
        page.locator(selector).fill(text)
        page.locator(selector).press("Tab")
    settle(page)


def test_new_review_end_to_end(server, page):
    base, app, workspace = server
    bench = app.extensions["budgetcheck"]
    page.goto(base + "/")
    page.fill("#new-title", "Trägerbudget Jugendhilfe Musterbezirk 2027")
    page.click("#new-submit")
    page.wait_for_url(re.compile(r"/r/traegerbudget-jugendhilfe-musterbezirk-2027\.yaml"))
    name = "traegerbudget-jugendhilfe-musterbezirk-2027.yaml"
    assert (workspace / name).is_file()

    # basics first: nothing else is asked before the field of work is known
    assert page.locator("#next-hint").is_visible()
    assert page.locator("#q-clauses-overspending").count() == 0
    change(page, "#f-meta-status", "select_option", "entwurf")
    type_in(page, "#f-meta-draft-date", "15.11.2026")
    # a value the model refuses gets the loader's own message at the field (unless accepted as written)
    date_error = page.locator("#f-meta-draft-date-error")
    if date_error.count():
        assert "15.11.2026" in date_error.inner_text()
        type_in(page, "#f-meta-draft-date", "2026-11-15")
        assert page.locator("#f-meta-draft-date-error").count() == 0
    type_in(page, "#f-meta-period-start", "2027-01-01")
    type_in(page, "#f-meta-period-end", "2029-12-31")
    change(page, "#f-meta-land", "select_option", "hamburg")
    change(page, "#f-model-budget-form", "select_option", "traegerbudget")
    change(page, "#f-field-of-work-kinder_jugendhilfe", "check")
    assert page.locator("#next-hint").count() == 0
    change(page, "#q-services-add", "click")
    change(page, "#f-services-0-category", "select_option", "hilfen_zur_erziehung")
    change(page, "#f-services-0-claim", "select_option", "subjektbezogen")
    change(page, "#f-services-0-setting", "select_option", "ambulant")

    # only questions of rules that apply: no Eingliederungshilfe-only clause for youth welfare
    assert page.locator("#q-clauses-beneficiary-participation").count() == 0
    assert page.locator("#q-clauses-overspending").count() == 1

    for key in ("clauses.legal_claims_preserved", "clauses.framework_agreements", "clauses.demand_adjustment",
                "clauses.choice_of_provider", "clauses.cost_increases"):
        answer_clause(page, key, "vereinbart")
    # the Schiedsstelle criterion of youth welfare concerns residential services only
    assert page.locator("#q-clauses-schiedsstelle").count() == 0
    answer_clause(page, "clauses.overspending", "vereinbart", "§ 9 Abs. 2")
    change(page, "#f-clauses-overspending-mode", "select_option", "anspruch")
    before = page.locator("#overall").inner_text()
    assert "ISSAB-VR-NACHFINANZIERUNG" not in page.locator("#verdict").inner_text()
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(shots() / "workbench-interview.png"), full_page=False)

    # the protective clause is missing from the draft: the verdict changes at once
    statuses = [v for v, _ in bench.plan.by_key["clauses.overspending"].options]
    missing = "fehlt" if "fehlt" in statuses else "ausgeschlossen"
    answer_clause(page, "clauses.overspending", missing)
    violated = page.locator("#violated")
    violated.wait_for()
    assert violated.locator("[data-rule=ISSAB-VR-NACHFINANZIERUNG]").count() == 1
    assert "Was zu ändern ist" in violated.inner_text()
    # each finding links to the question that changes it
    link = violated.locator("[data-rule=ISSAB-VR-NACHFINANZIERUNG] a[href='#q-clauses-overspending']")
    assert link.count() == 1
    after = page.locator("#overall").inner_text()
    timing = float(page.locator("#timing").inner_text())
    assert timing >= 0
    page.locator("#q-clauses-overspending").scroll_into_view_if_needed()
    page.evaluate("document.getElementById('q-clauses-overspending').scrollIntoView({block: 'start'})")
    page.screenshot(path=str(shots() / "workbench-verdict.png"), full_page=False)
    assert before and after

    # save: the file checks with the CLI to the same verdicts
    change_save(page)
    assert "Gespeichert" in page.locator("#message").inner_text()
    draft = next(iter(bench.drafts.values()))
    from checker.check import check_file

    saved = check_file(str(workspace / name), bench.catalogue, check_date=CHECK_DATE)
    assert {f.id: f.verdict for f in saved.findings} == {f.id: f.verdict for f in draft.result.findings}
    assert page.locator("#overall").inner_text() == label_of(saved.overall)

    # the report: viewable, downloadable, the same file the CLI writes
    with page.expect_download() as download_info:
        page.click("#report-download")
    downloaded = Path(download_info.value.path()).read_text(encoding="utf-8")
    cli = subprocess.run([sys.executable, "-m", "checker", "check", "--no-config", "--date", CHECK_DATE.isoformat(),
                          "-f", "html", "-q", name], cwd=workspace, capture_output=True, text=True)
    assert cli.returncode in (0, 1), cli.stderr
    assert downloaded == cli.stdout
    report = page.context.new_page()
    report.goto(base + f"/r/{name}/report")
    assert "Prüfbericht" in report.title() or "Prüfbericht" in report.content()
    report.screenshot(path=str(shots() / "report.png"), full_page=False)
    report.close()

    # reopen: the answers are in the file
    page.goto(base + "/")
    page.click(f"text={name}")
    page.wait_for_selector(f"#q-clauses-overspending-{missing}")
    assert page.locator(f"#q-clauses-overspending-{missing}").is_checked()

    # next negotiation round: the clause is agreed again; compare the two rounds
    answer_clause(page, "clauses.overspending", "vereinbart", "§ 9 Abs. 3")
    change(page, "#f-clauses-overspending-mode", "select_option", "anspruch")
    change_save(page)
    assert "Version 2" in page.locator("#message").inner_text()
    page.click("#versions-link")
    page.check(f"input[name=old][value='{name}@2']")
    page.check(f"input[name=new][value='{name}']")
    page.click("#compare-submit")
    fixed = page.locator("#cat-fixed")
    assert "ISSAB-VR-NACHFINANZIERUNG" in fixed.inner_text()
    page.screenshot(path=str(shots() / "compare.png"), full_page=False)


def change_save(page) -> None:
    with page.expect_response(re.compile(r"/save$")):
        page.click("#save")
    settle(page)


def label_of(overall: str) -> str:
    from checker.labels import OVERALL, label

    return label(OVERALL, overall)


def test_open_shipped_case_and_conflict_between_tabs(server, browser):
    """Two tabs on one draft file: the second save is detected and asks what to do."""
    base, app, workspace = server
    shutil.copy(ROOT / "cases/source/hamburg-jugendhilfe-eckpunkte.yaml", workspace / "hamburg.yaml")
    original = (workspace / "hamburg.yaml").read_text(encoding="utf-8")
    context = new_context(browser)
    one, two = context.new_page(), context.new_page()
    one.goto(base + "/r/hamburg.yaml")
    two.goto(base + "/r/hamburg.yaml")
    answer_clause(one, "clauses.schiedsstelle", "ausgeschlossen")
    change_save(one)
    answer_clause(two, "clauses.surplus", "ausgeschlossen")
    change_save(two)
    conflict = two.locator("#conflict")
    assert conflict.is_visible()
    two.screenshot(path=str(shots() / "conflict.png"), full_page=False)
    # nothing of tab one was lost
    assert "status: ausgeschlossen" in (workspace / "hamburg.yaml").read_text(encoding="utf-8")
    with two.expect_response(re.compile(r"/save$")):
        two.click("#overwrite")
    settle(two)
    assert "Gespeichert" in two.locator("#message").inner_text()
    kept = sorted((workspace / ".budgetcheck/versions/hamburg.yaml").iterdir())
    assert [p.name for p in kept] == ["0001.yaml", "0002.yaml"]
    assert kept[0].read_text(encoding="utf-8") == original  # the shipped text, comments and all
    context.close()
