"""Forgiving, still exact input: what German users type is read where it is unambiguous; anything
ambiguous is refused with file:line:column and the accepted form; YAML syntax errors in German."""

from __future__ import annotations

import datetime as dt

import pytest

from checker.loader import InputError, load_agreement

FORGIVING = """\
format_version: 2
meta:
  title: Entwurf
  status: Entwurf
  draft_date: 15.11.2026
  land: Hamburg
field_of_work: [Kinder Jugendhilfe]
model:
  budget_form: Trägerbudget
  temporary_step: nein
  flat_rate_per_client: JA
budget:
  amount_per_year: "1.850.000,50"
  previous_year_actual_costs: 1.850.000
  amount_total: 5.551.501 €
  period_months: "36"
  payout:
    unconditional_share_percent: "92,5 %"
clauses:
  schiedsstelle: {status: Vereinbart}
  cost_increases: {status: FEHLT}
"""


def write(tmp_path, text, name="entwurf.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_german_forms_are_read(tmp_path):
    path = write(tmp_path, FORGIVING)
    before = path.read_bytes()
    loaded = load_agreement(path)
    a = loaded.agreement
    assert (a.meta.status.value, a.meta.draft_date, a.meta.land.value) == ("entwurf", dt.date(2026, 11, 15), "hamburg")
    assert [f.value for f in a.field_of_work] == ["kinder_jugendhilfe"]
    assert (a.model.budget_form.value, a.model.temporary_step, a.model.flat_rate_per_client) == (
        "traegerbudget", False, True)
    assert a.budget.amount_per_year == 1850000.5
    assert a.budget.previous_year_actual_costs == 1850000
    assert a.budget.amount_total == 5551501
    assert a.budget.period_months == 36 and isinstance(a.budget.period_months, int)
    assert a.budget.payout.unconditional_share_percent == 92.5
    assert (a.clauses.schiedsstelle.status.value, a.clauses.cost_increases.status.value) == ("vereinbart", "fehlt")
    assert loaded.raw["meta"]["status"] == "Entwurf"  # the data as read is kept; the file is untouched
    assert path.read_bytes() == before


@pytest.mark.parametrize("value, message", [
    ('"1.850"', "mehrdeutige Zahl 1.850: 1850 oder 1,85? Eindeutig schreiben, z. B. 1850"),
    ('"1,850"', "mehrdeutige Zahl 1,850: 1850 oder 1,85?"),
    ('"1,850,000.50"', "Zahl 1,850,000.50 mit englischen Trennzeichen; bitte 1.850.000,50 schreiben"),
])
def test_ambiguous_numbers_are_refused_with_the_accepted_form(tmp_path, value, message):
    path = write(tmp_path, f"meta:\n  title: x\nbudget:\n  amount_per_year: {value}\n")
    with pytest.raises(InputError) as err:
        load_agreement(path)
    (item,) = err.value.errors
    assert (item.line, item.column, item.path) == (4, 3, "budget.amount_per_year")
    assert message in item.message


def test_impossible_date_and_unknown_words_are_refused(tmp_path):
    path = write(tmp_path, "meta:\n  title: x\n  draft_date: 31.02.2026\n  status: Endfassung\n")
    with pytest.raises(InputError) as err:
        load_agreement(path)
    messages = {e.path: (e.line, e.message) for e in err.value.errors}
    assert messages["meta.draft_date"][0] == 3 and "TT.MM.JJJJ (z. B. 15.11.2026)" in messages["meta.draft_date"][1]
    assert messages["meta.status"][0] == 4 and "entwurf" in messages["meta.status"][1]


def test_english_messages(tmp_path):
    path = write(tmp_path, 'meta:\n  title: x\nbudget:\n  amount_per_year: "1.850"\n')
    with pytest.raises(InputError) as err:
        load_agreement(path, lang="en")
    assert "ambiguous number 1.850: 1850 or 1,85?" in err.value.errors[0].message


@pytest.mark.parametrize("text, where, words", [
    ("meta:\n\ttitle: x\n", (2, 1), "Tabulatorzeichen"),
    ("meta:\n  title x\n  status: entwurf\n", (3, 9), "Einrückung prüfen"),
    ('meta:\n  title: "x\n', None, "Anführungszeichen"),
])
def test_yaml_syntax_errors_are_explained_in_german(tmp_path, text, where, words):
    with pytest.raises(InputError) as err:
        load_agreement(write(tmp_path, text))
    (item,) = err.value.errors
    assert item.message.startswith("YAML-Syntaxfehler") and words in item.message
    if where:
        assert (item.line, item.column) == where
    assert item.format().startswith(f"{tmp_path / 'entwurf.yaml'}:")
