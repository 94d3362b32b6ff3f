"""budgetcheck diff: two versions of one agreement compared (negotiation rounds)."""

from __future__ import annotations

import json

import pytest

from checker.cli import main
from checker.diff import category, compare, to_document
from checker.rules import Verdict

from tests.conftest import ROOT

GOOD = str(ROOT / "cases/source/hamburg-jugendhilfe-eckpunkte.yaml")
NO_SCHIEDSSTELLE = str(ROOT / "cases/defective/d05-schiedsstelle-ausgeschlossen.yaml")

V = Verdict


@pytest.mark.parametrize("before, after, expected", [
    (V.erfuellt, V.verletzt, "new_violation"),
    (V.ungeklaert, V.verletzt, "new_violation"),
    (V.verletzt, V.verletzt, "still_violated"),
    (V.verletzt, V.erfuellt, "fixed"),
    (V.verletzt, V.nicht_anwendbar, "fixed"),
    (V.verletzt, V.ausgenommen, "fixed"),
    (V.verletzt, V.ungeklaert, "newly_open"),
    (V.erfuellt, V.ungeklaert, "newly_open"),
    (V.ungeklaert, V.ungeklaert, "still_open"),
    (V.ungeklaert, V.erfuellt, "resolved"),
    (V.erfuellt, V.nicht_anwendbar, "other"),
    (V.erfuellt, V.erfuellt, None),
    (None, V.verletzt, "new_violation"),
])
def test_category(before, after, expected):
    assert category(before, after) == expected


def test_compare_pairs_rules(catalogue):
    from checker.check import check_file
    from tests.conftest import CHECK_DATE

    old = check_file(GOOD, catalogue, check_date=CHECK_DATE)
    new = check_file(NO_SCHIEDSSTELLE, catalogue, check_date=CHECK_DATE)
    comparison = compare(old, new)
    assert [c.rule for c in comparison.changes["new_violation"]] == ["DWH-SK-SCHIEDSSTELLE-JH"]
    back = compare(new, old)
    assert [c.rule for c in back.changes["fixed"]] == ["DWH-SK-SCHIEDSSTELLE-JH"]
    doc = to_document(comparison)
    assert doc["overall"] == {"before": old.overall, "after": new.overall, "changed": old.overall != new.overall}
    listed = sum(doc["counts"].values())
    assert listed == len(catalogue.rules)


def test_cli_diff_text_and_exit_codes(capsys):
    assert main(["diff", "--date", "2026-01-01", GOOD, NO_SCHIEDSSTELLE]) == 0
    out = capsys.readouterr().out
    assert "Neu verletzt (1)" in out and "DWH-SK-SCHIEDSSTELLE-JH" in out
    assert main(["diff", "--date", "2026-01-01", "--fail-on-new", "blocker", GOOD, NO_SCHIEDSSTELLE]) == 1
    # the other way round the criterion is fixed: nothing new fails
    assert main(["diff", "--date", "2026-01-01", "--fail-on-new", "hinweis", NO_SCHIEDSSTELLE, GOOD]) == 0
    assert "Behoben (1)" in capsys.readouterr().out


def test_cli_diff_json(capsys):
    assert main(["diff", "--date", "2026-01-01", "-f", "json", GOOD, NO_SCHIEDSSTELLE]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema"] == "budgetcheck-diff/1"
    assert doc["changes"]["new_violation"][0]["rule"] == "DWH-SK-SCHIEDSSTELLE-JH"
    assert doc["changes"]["new_violation"][0]["before"] == "erfuellt"
    assert doc["old"]["file"] == GOOD and doc["new"]["file"] == NO_SCHIEDSSTELLE
    from checker.fingerprints import _digest

    change = doc["changes"]["new_violation"][0]
    assert change["fingerprint_after"] == _digest("DWH-SK-SCHIEDSSTELLE-JH", "verletzt")
    assert change["fingerprint_before"] == _digest("DWH-SK-SCHIEDSSTELLE-JH", "erfuellt")


def test_cli_diff_bad_input(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("meta: {title: x}\nunknown: 1\n", encoding="utf-8")
    assert main(["diff", GOOD, str(bad)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"{bad}:2:1" in captured.err
