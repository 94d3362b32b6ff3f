"""The workbench in a real Chromium, for the advisor (review findings 20, 21, 24): keyboard focus
survives the swap after each answer, leaving the tab with unsaved answers asks first, a reload
keeps the draft, the report downloads as PDF. Screenshots as in tests/test_browser.py."""

from __future__ import annotations

import re
import shutil

from tests.conftest import ROOT
from tests.test_browser import browser, change, new_context, server, settle, shots  # noqa: F401 - fixtures


def open_hamburg(server, browser):
    base, app, workspace = server
    shutil.copy(ROOT / "cases/source/hamburg-jugendhilfe-eckpunkte.yaml", workspace / "hamburg.yaml")
    context = new_context(browser, accept_downloads=True)
    page = context.new_page()
    page.goto(base + "/r/hamburg.yaml")
    return page, workspace


def active_id(page) -> str:
    return page.evaluate("document.activeElement ? document.activeElement.id || "
                         "document.activeElement.tagName : ''")


def test_keyboard_focus_survives_the_swap(server, browser):
    page, _ = open_hamburg(server, browser)
    # arrow keys move through a clause's answers: each one is sent, the question swapped, focus kept
    page.focus("#q-clauses-overspending-vereinbart")
    with page.expect_response(re.compile(r"/answer$")):
        page.keyboard.press("ArrowRight")
    settle(page)
    assert page.locator("#q-clauses-overspending-ausgeschlossen").is_checked()
    assert active_id(page) == "q-clauses-overspending-ausgeschlossen"
    # Tab from the section to the wording: the change is sent on leaving, focus is where Tab put it
    page.focus("#q-clauses-overspending-section")
    page.keyboard.type(" Satz 2")
    with page.expect_response(re.compile(r"/answer$")):
        page.keyboard.press("Tab")
    settle(page)
    assert active_id(page) == "q-clauses-overspending-wording"
    # an element without an id of its own ("Warum gefragt?") keeps the focus too
    page.focus("#f-budget-amount-per-year")
    page.keyboard.press("End")
    page.keyboard.type("1")
    with page.expect_response(re.compile(r"/answer$")):
        page.keyboard.press("Tab")
    settle(page)
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"
    assert page.evaluate("document.activeElement.parentElement.id") == "q-budget-amount-per-year-why"
    # an answer that changes which questions are asked swaps the whole interview: focus stays
    page.focus("#f-field-of-work-eingliederungshilfe")
    with page.expect_response(re.compile(r"/interview")):
        page.keyboard.press("Space")
    settle(page)
    assert active_id(page) == "f-field-of-work-eingliederungshilfe"
    page.context.close()


def test_leaving_with_unsaved_answers_asks_and_reload_keeps_the_draft(server, browser):
    page, workspace = open_hamburg(server, browser)
    original = (workspace / "hamburg.yaml").read_text(encoding="utf-8")
    dialogs: list[str] = []

    def on_dialog(dialog):
        dialogs.append(dialog.type)
        dialog.accept()

    page.on("dialog", on_dialog)
    change(page, "#q-clauses-overspending-fehlt", "check")
    assert page.locator("#save-state").inner_text() == "ungespeicherte Änderungen"
    assert "d=" in page.url  # the draft is in the address
    page.reload()
    page.wait_for_selector("#q-clauses-overspending-fehlt")
    assert dialogs == ["beforeunload"]
    # the reload reopened the same draft: the answer is still there, the file is unchanged
    assert page.locator("#q-clauses-overspending-fehlt").is_checked()
    assert page.locator("#save-state").inner_text() == "ungespeicherte Änderungen"
    assert (workspace / "hamburg.yaml").read_text(encoding="utf-8") == original
    # after saving, leaving asks nothing
    with page.expect_response(re.compile(r"/save$")):
        page.click("#save")
    settle(page)
    page.goto(page.url.split("/r/")[0] + "/")
    assert dialogs == ["beforeunload"]
    page.context.close()


def test_report_downloads_as_pdf(server, browser):
    page, _ = open_hamburg(server, browser)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(shots() / "workbench-report-buttons.png"), clip={"x": 0, "y": 0, "width": 1360,
                                                                             "height": 220})
    assert page.locator("#report-pdf").inner_text() == "Prüfbericht als PDF"
    assert page.locator("#report-download").inner_text() == "als HTML"
    with page.expect_download() as info:
        page.click("#report-pdf")
    download = info.value
    assert download.suggested_filename == "hamburg-pruefbericht.pdf"
    data = open(download.path(), "rb").read()
    if data.startswith(b"%PDF"):
        (shots() / "workbench-report.pdf").write_bytes(data)
    else:  # no Pango here: the page says why instead of a broken file
        assert b"PDF nicht verf" in data
    with page.expect_download() as info:
        page.click("#report-full-pdf")
    assert info.value.suggested_filename == "hamburg-nachweis-pruefbericht.pdf"
    # the record section and a clause with its note field
    page.evaluate("document.querySelector('.s-record').scrollIntoView()")
    page.screenshot(path=str(shots() / "workbench-record.png"), full_page=False)
    page.context.close()
