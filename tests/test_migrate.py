"""Format 2 (clause status ``fehlt`` apart from ``unbekannt``): reading format 1, ``budgetcheck migrate``.

Format 1 had one status ``nicht_geregelt`` ("not stated"); it meant *not known* to
every rule, so it becomes ``unbekannt``, never ``fehlt`` (the migration must not
claim that a draft is silent).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from checker.check import evaluate
from checker.cli import main
from checker.loader import InputError, load_agreement
from checker.migrate import migrate_text
from checker.model import FORMAT_VERSION, ClauseStatus
from checker.rules import Verdict

ROOT = Path(__file__).resolve().parent.parent
D14 = ROOT / "cases/defective/d14-tarifklausel-fehlt.yaml"

V1 = """\
# yaml-language-server: $schema=budgetcheck-schema.json
# Kopfkommentar bleibt
format_version: 1
meta:
  title: "Alt"  # Titel
field_of_work: [kinder_jugendhilfe]
clauses:
  schiedsstelle:
    status: nicht_geregelt   # noch offen
    note: "nicht_geregelt im Text bleibt Text"
  cost_increases: {status: 'nicht_geregelt', covers_tariff: true}
  choice_of_provider:
    status: vereinbart
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_format_version_is_2():
    assert FORMAT_VERSION == 2
    assert [s.value for s in ClauseStatus] == ["vereinbart", "ausgeschlossen", "fehlt", "unbekannt"]


def test_v1_file_is_read_as_v2_with_a_note(tmp_path):
    loaded = load_agreement(write(tmp_path, "alt.yaml", V1))
    clauses = loaded.agreement.clauses
    assert clauses.schiedsstelle.status == ClauseStatus.unbekannt
    assert clauses.cost_increases.status == ClauseStatus.unbekannt
    assert clauses.choice_of_provider.status == ClauseStatus.vereinbart
    assert loaded.agreement.format_version == 1
    assert len(loaded.notes) == 1 and "Format 1 ist veraltet" in loaded.notes[0]
    assert "budgetcheck migrate --write" in loaded.notes[0]
    assert loaded.agreement.input_notes == list(loaded.notes)


def test_v1_without_version_but_with_old_status_is_read_with_a_note(tmp_path):
    text = "meta:\n  title: x\nclauses:\n  schiedsstelle: {status: nicht_geregelt}\n"
    loaded = load_agreement(write(tmp_path, "ohne.yaml", text))
    assert loaded.agreement.clauses.schiedsstelle.status == ClauseStatus.unbekannt
    assert loaded.notes


def test_v2_file_has_no_note_and_refuses_the_old_status(tmp_path):
    assert load_agreement(D14).notes == ()
    bad = write(tmp_path, "neu.yaml", "format_version: 2\nmeta:\n  title: x\nclauses:\n"
                                      "  schiedsstelle: {status: nicht_geregelt}\n")
    with pytest.raises(InputError) as err:
        load_agreement(bad)
    (item,) = err.value.errors
    assert (item.line, item.path) == (5, "clauses.schiedsstelle.status")
    assert "fehlt" in item.message and "unbekannt" in item.message


def test_migrate_keeps_comments_and_reads_the_same(tmp_path):
    new = migrate_text(V1)
    assert new.splitlines()[:3] == ["# yaml-language-server: $schema=budgetcheck-schema.json",
                                    "# Kopfkommentar bleibt", "format_version: 2"]
    assert "    status: unbekannt   # noch offen" in new
    assert "{status: 'unbekannt', covers_tariff: true}" in new
    assert 'note: "nicht_geregelt im Text bleibt Text"' in new  # free text is not touched
    old = load_agreement(write(tmp_path, "alt.yaml", V1)).agreement
    migrated = load_agreement(write(tmp_path, "neu.yaml", new))
    assert migrated.notes == ()
    assert migrated.agreement.model_dump(exclude={"format_version"}) == old.model_dump(exclude={"format_version"})


def test_migrate_inserts_a_missing_version_after_the_header():
    new = migrate_text("# Kopf\n\nmeta:\n  title: x\nclauses:\n  schiedsstelle: {status: nicht_geregelt}\n")
    assert new == "# Kopf\n\nformat_version: 2\nmeta:\n  title: x\nclauses:\n  schiedsstelle: {status: unbekannt}\n"


def test_migrate_json(tmp_path):
    text = json.dumps({"format_version": 1, "meta": {"title": "x"},
                       "clauses": {"schiedsstelle": {"status": "nicht_geregelt"}}}, indent=2)
    path = write(tmp_path, "alt.json", text)
    assert main(["migrate", "--write", str(path)]) == 0
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format_version"] == 2 and data["clauses"]["schiedsstelle"]["status"] == "unbekannt"


def test_migrate_command(tmp_path, capsys):
    old = write(tmp_path, "alt.yaml", V1)
    current = write(tmp_path, "neu.yaml", "format_version: 2\nmeta:\n  title: x\n")
    assert main(["migrate", str(old)]) == 0  # to stdout; the file is not changed
    assert capsys.readouterr().out == migrate_text(V1)
    assert old.read_text(encoding="utf-8") == V1
    assert main(["migrate", "--check", str(old), str(current)]) == 1
    assert "alt.yaml: Format 1, umzustellen" in capsys.readouterr().err
    assert main(["migrate", "--write", str(old), str(current)]) == 0
    err = capsys.readouterr().err
    assert "alt.yaml: auf Format 2 umgestellt" in err and "neu.yaml: bereits Format 2" in err
    assert old.read_text(encoding="utf-8") == migrate_text(V1)
    assert main(["migrate", "--check", str(old), str(current)]) == 0
    assert main(["migrate", str(old), str(current)]) == 2  # stdout takes one file only


def test_migrate_refuses_a_broken_file_and_writes_nothing(tmp_path, capsys):
    bad = write(tmp_path, "kaputt.yaml", "format_version: 1\nmeta:\n  titel: x\n")
    assert main(["migrate", "--write", str(bad)]) == 2
    assert "meta.titel" in capsys.readouterr().err
    assert bad.read_text(encoding="utf-8") == "format_version: 1\nmeta:\n  titel: x\n"


def test_check_prints_the_deprecation_note(tmp_path, capsys, monkeypatch, catalogue):
    monkeypatch.setattr("checker.rules.load_catalogue", lambda *a, **k: catalogue)
    old = write(tmp_path, "alt.yaml", V1)
    main(["check", "--no-config", "--date", "2026-01-01", "-f", "json", str(old)])
    captured = capsys.readouterr()
    assert "Format 1 ist veraltet" in captured.err
    assert json.loads(captured.out)["agreements"][0]["file"] == str(old)


def test_shipped_cases_and_template_are_format_2():
    from checker.schema import init_template

    assert "\nformat_version: 2  # " in init_template()
    for path in sorted((ROOT / "cases").rglob("*.yaml")):
        if path.name.endswith(".expected.yaml"):
            continue
        assert load_agreement(path).notes == (), path


def test_absent_tariff_clause_in_a_full_draft_is_a_violation(catalogue):
    """The draft is silent on cost increases (``fehlt``): verletzt, not ungeklärt."""
    loaded = load_agreement(D14)
    result = evaluate(loaded.agreement, catalogue, locations=loaded.locations, check_date=dt.date(2026, 1, 1))
    finding = result.finding("DWH-SK-KOSTENSTEIGERUNG")
    assert finding.verdict == Verdict.verletzt
    assert [(e.path, e.value, e.line) for e in finding.evidence] == [("clauses.cost_increases.status", "fehlt", 255)]
    unknown = loaded.agreement.model_copy(deep=True)
    unknown.clauses.cost_increases.status = ClauseStatus.unbekannt
    assert evaluate(unknown, catalogue, check_date=dt.date(2026, 1, 1)).finding(
        "DWH-SK-KOSTENSTEIGERUNG").verdict == Verdict.ungeklaert
