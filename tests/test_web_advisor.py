"""The workbench for the advisor who does not write YAML (review findings 19-24): every field of
the report can be entered, the report downloads as PDF too, choices and hints are German, every
answer input has an accessible name. Browser behaviour (focus, leaving with unsaved answers) is
tested in tests/test_browser.py."""

from __future__ import annotations

import datetime as dt
import re
from enum import Enum
from html.parser import HTMLParser

import pytest

from checker import interview as iv
from checker.labels import ENUM
from tests.conftest import CHECK_DATE
from tests.test_web import app, bench_of, client, headers, open_draft, workspace  # noqa: F401 - fixtures


def answer(client, app, d, path, kind, name="hamburg.yaml", **form):
    response = client.post(f"/r/{name}/answer", headers=headers(app), data={"d": d, "path": path, "kind": kind, **form})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


# --------------------------------------------------------------------------- 19: report fields


RECORD_PATHS = ("meta.identifier", "meta.version", "parties.giver.name", "meta.municipality", "meta.district",
                "sozialraeume", "meta.note")


def test_every_report_field_is_asked(catalogue):
    plan = iv.build_plan(catalogue)
    for path in RECORD_PATHS:
        question = plan.question_for_path(path)
        assert question is not None, path
    record = [q for q in plan.questions if q.section == "record"]
    assert record and plan.questions[-len(record):] == record  # a section of its own, at the end
    sozialraeume = plan.by_key["sozialraeume"]
    assert {"name", "inhabitants", "note"} <= {q.key for q in sozialraeume.items}
    # the record section is asked once the field of work is known, but never counted as a question
    assert not [q for q in iv.asked(plan, None, {"meta": {"title": "x"}}) if q.section == "record"]


def test_report_fields_and_notes_entered_in_the_browser_reach_the_report(client, app, workspace):
    response = client.post("/new", data={"title": "Sozialraumbudget Musterbezirk", "csrf": bench_of(app).csrf})
    name = response.headers["Location"].rsplit("/", 1)[1]
    d = open_draft(client, name)
    answer(client, app, d, "field_of_work", "enums", name, value="kinder_jugendhilfe")
    page = client.get(f"/r/{name}?d={d}").get_data(as_text=True)
    assert "Vertragsdaten / Anmerkungen" in page
    for path, value in (("meta.identifier", "JA-4711/2027"), ("meta.version", "Runde 2"),
                        ("parties.giver.name", "Bezirksamt Musterbezirk"), ("meta.municipality", "Musterstadt"),
                        ("meta.district", "Nord"), ("meta.note", "Anlage 3 lag nicht vor.")):
        answer(client, app, d, path, "text", name, value=value)
    client.post(f"/r/{name}/item", headers=headers(app), data={"d": d, "path": "sozialraeume", "op": "add"})
    answer(client, app, d, "sozialraeume[0].name", "text", name, value="Lurup")
    answer(client, app, d, "sozialraeume[0].inhabitants", "number", name, value="11.500.000")
    answer(client, app, d, "clauses.overspending", "clause", name, status="fehlt", section="", wording="",
           note="Im Gespräch mündlich zugesagt, nicht im Text.")
    saved = client.post(f"/r/{name}/save", headers=headers(app), data={"d": d}).get_data(as_text=True)
    assert "Gespeichert" in saved
    text = (workspace / name).read_text(encoding="utf-8")
    for value in ("JA-4711/2027", "Bezirksamt Musterbezirk", "Lurup", "11500000", "mündlich zugesagt"):
        assert value in text
    report = client.get(f"/r/{name}/report").get_data(as_text=True)  # the saved file, as the CLI reports it
    for value in ("JA-4711/2027", "Runde 2", "Bezirksamt Musterbezirk", "Musterstadt", "Anlage 3 lag nicht vor.",
                  "Im Gespräch mündlich zugesagt"):
        assert value in report, value
    assert "Anmerkung der prüfenden Person" in report


# --------------------------------------------------------------------------- 20: PDF and full report


def test_pdf_download_is_what_check_o_pdf_writes(client, workspace, monkeypatch):
    pytest.importorskip("weasyprint")
    from checker.cli import main

    response = client.get("/r/hamburg.yaml/report?fmt=pdf&download=1")
    if response.status_code == 503:
        pytest.skip("WeasyPrint cannot load Pango here")
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="hamburg-pruefbericht.pdf"'
    monkeypatch.chdir(workspace)
    assert main(["check", "--no-config", "--date", CHECK_DATE.isoformat(), "-q", "hamburg.yaml",
                 "-o", "pdf:cli.pdf"]) in (0, 1)
    assert response.get_data() == (workspace / "cli.pdf").read_bytes()
    full = client.get("/r/hamburg.yaml/report?fmt=pdf&detail=full&download=1")
    assert full.get_data().startswith(b"%PDF")
    assert full.headers["Content-Disposition"] == 'attachment; filename="hamburg-nachweis-pruefbericht.pdf"'
    assert len(full.get_data()) > len(response.get_data())


def test_report_buttons_say_what_they_deliver(client):
    page = client.get("/r/hamburg.yaml").get_data(as_text=True)
    pdf = re.search(r'<a [^>]*id="report-pdf"[^>]*>([^<]*)</a>', page)
    assert pdf and pdf.group(1) == "Prüfbericht als PDF" and "fmt=pdf" in pdf.group(0) and " download" in pdf.group(0)
    html = re.search(r'<a [^>]*id="report-download"[^>]*>([^<]*)</a>', page)
    assert html and html.group(1) == "als HTML"
    assert "Vollständiger Nachweis" in page
    full = re.search(r'<a [^>]*id="report-full"[^>]*>', page)
    assert full and "detail=full" in full.group(0)
    assert "herunterladen<" not in page


# --------------------------------------------------------------------------- 22: enum labels


def _enums(model, seen=None):
    from pydantic import BaseModel

    from checker.facts import _unwrap

    seen = set() if seen is None else seen
    for info in model.model_fields.values():
        try:
            kind, inner = _unwrap(info.annotation)
            if kind == "list":
                kind, inner = _unwrap(inner)
        except TypeError:
            continue
        if kind == "enum" and inner not in seen:
            seen.add(inner)
        elif kind == "model" and isinstance(inner, type) and issubclass(inner, BaseModel):
            _enums(inner, seen)
    return seen


def test_every_choice_has_a_german_and_an_english_label():
    from checker.model import Agreement

    for enum in _enums(Agreement):
        table = ENUM.get(enum.__name__)
        assert table is not None, f"{enum.__name__}: no labels in checker.labels.ENUM"
        for member in enum:
            if enum.__name__ == "ClauseStatus" and member.value == "nicht_geregelt":
                continue
            assert member.value in table, (enum.__name__, member.value)
            de, en = table[member.value]
            assert de and en and "_" not in de and "_" not in en, (enum.__name__, member.value)
        assert set(table) <= {m.value for m in enum}, enum.__name__


def test_choices_are_shown_with_their_labels(client, catalogue):
    plan = iv.build_plan(catalogue)
    options = dict(plan.by_key["field_of_work"].options)
    assert options["kinder_jugendhilfe"] == "Kinder- und Jugendhilfe (SGB VIII)"
    assert dict(plan.by_key["meta.status"].options)["entwurf"] == "Entwurf"
    assert dict(plan.by_key["model.budget_form"].options)["traegerbudget"] == "Trägerbudget"
    page = client.get("/r/hamburg.yaml").get_data(as_text=True)
    for raw in (">kinder jugendhilfe<", "> kinder jugendhilfe", ">entwurf<", ">trägerbudget<", ">vorjahr ist<",
                " sajf sha<"):
        assert raw not in page, raw
    assert iv.enum_label(Enum("FieldOfWork", {"x": "x"}), "kinder_jugendhilfe", "en") == \
        "child and youth welfare (SGB VIII)"


# --------------------------------------------------------------------------- 23: hints and wording


def test_hints_fit_the_field(catalogue):
    plan = iv.build_plan(catalogue)
    months = plan.by_key["meta.period.duration_months"]
    assert months.hint.startswith("ganze Zahl") and "." not in months.hint.split("z. B.")[1].strip(" .")
    amount = plan.by_key["budget.amount_per_year"]
    assert "12,5" in amount.hint and "12.5" not in amount.hint
    assert plan.by_key["meta.draft_date"].hint.startswith("TT.MM.JJJJ")
    # what the hint shows is read (and shown back) in that form
    assert iv.parse_input("date", "02.11.2026") == dt.date(2026, 11, 2)
    assert iv.show("date", dt.date(2026, 11, 2)) == "02.11.2026"
    assert iv.parse_input("number", "12,5", "float") == 12.5
    assert iv.parse_input("number", "1.850.000", "float") == 1850000
    assert iv.show("number", 12.5) == "12,5"
    assert iv.parse_input("number", "36", "int") == 36
    # ambiguous or not whole: left as text for the loader's own message
    assert iv.parse_input("number", "1.850", "float") == "1.850"
    assert iv.parse_input("number", "12,5", "int") == "12,5"


def test_labels_are_german_wording_not_developer_notes(catalogue):
    plan = iv.build_plan(catalogue)

    def every(questions):
        for q in questions:
            yield q
            yield from q.details
            yield from q.items

    for q in every(plan.questions):
        assert "true" not in q.label and "false" not in q.label, q.key
        assert not re.search(r"\b[a-z]+_[a-z_]+\b|\(\w+: ", q.label), (q.key, q.label)
    services = {q.key: q.label for q in plan.by_key["services"].items}
    assert services["category"] == "Leistungsbereich"
    assert "Setting" not in plan.by_key["services"].label


def test_a_fact_that_only_decides_applicability_does_not_borrow_another_question(client, app):
    response = client.post("/new", data={"title": "Budget Eingliederungshilfe", "csrf": bench_of(app).csrf})
    name = response.headers["Location"].rsplit("/", 1)[1]
    d = open_draft(client, name)
    answer(client, app, d, "field_of_work", "enums", name, value="eingliederungshilfe")
    interview = client.get(f"/r/{name}/interview?d={d}").get_data(as_text=True)
    match = re.search(r'<article[^>]*id="q-model-flat-rate-per-client".*?</article>', interview, re.S)
    assert match, "the flat-rate question is asked for Eingliederungshilfe"
    asked = match.group(0).split("</header>")[1].split('class="answer"')[0]
    # it decides only whether the high-need rule applies: no borrowed question about that clause
    assert "Wie ist sichergestellt" not in asked
    assert "ob diese Kriterien gelten" in asked


# --------------------------------------------------------------------------- 24: accessible names


class _Inputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.label_for, self.controls, self.groups, self.open_labels = set(), set(), [], [], 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "label":
            self.open_labels += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        if tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit", "file"):
            self.controls.append((tag, a, self.open_labels > 0))
        if a.get("role") in ("radiogroup", "group"):
            self.groups.append(a)

    def handle_endtag(self, tag):
        if tag == "label":
            self.open_labels -= 1


def test_every_answer_input_has_an_accessible_name(client, app):
    d = open_draft(client)
    page = client.get(f"/r/hamburg.yaml?d={d}").get_data(as_text=True)
    parsed = _Inputs()
    parsed.feed(page)
    assert len(parsed.controls) > 100
    for tag, a, wrapped in parsed.controls:
        named = wrapped or a.get("id") in parsed.label_for or a.get("aria-label") or (
            a.get("aria-labelledby") and all(i in parsed.ids for i in a["aria-labelledby"].split()))
        assert named, (tag, a)
    names = []
    for a in parsed.groups:
        assert a.get("aria-label") or all(i in parsed.ids for i in a.get("aria-labelledby", "?").split()), a
        names.append(a.get("aria-label") or a.get("aria-labelledby"))
    assert len(names) == len(set(names)), "two groups with the same label"
    assert "Regelt der Entwurf das?" not in page
