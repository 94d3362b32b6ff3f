"""Honest overall verdicts: an empty or thin description is *nicht prüfbar*, an open blocker is
*nicht zeichnungsreif ohne Klärung*; exit codes and every output format carry them.

Exit codes (see README.md, docs/ci.md): nicht_zeichnungsreif 1 (a blocker verletzt, default
--fail-on blocker); nicht_pruefbar 1 always; nicht_zeichnungsreif_ohne_klaerung 0, 1 with
--fail-on-unresolved; zeichnungsreif_mit_auflagen 0, 1 with --fail-on major; zeichnungsreif 0.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from checker.cli import main
from checker.schema import init_template

ROOT = Path(__file__).resolve().parent.parent
EXEMPLARY = ROOT / "cases/source/hamburg-jugendhilfe-eckpunkte.yaml"
D01 = ROOT / "cases/defective/d01-keine-nachfinanzierung.yaml"
D04 = ROOT / "cases/defective/d04-exklusive-fallzuweisungsquote.yaml"


@pytest.fixture(autouse=True)
def _setup(monkeypatch, catalogue):
    monkeypatch.setattr("checker.rules.load_catalogue", lambda *a, **k: catalogue)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)


def run(capsys, path: Path, *args: str, fmt: str = "json") -> tuple[int, str, str]:
    code = main(["check", "--no-config", "--date", "2026-01-01", "-f", fmt, *args, str(path)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def overall(capsys, path: Path, *args: str) -> tuple[int, str, bool]:
    code, out, _err = run(capsys, path, *args)
    agreement = json.loads(out)["agreements"][0]
    return code, agreement["overall"], agreement["passed"]


@pytest.fixture
def template(tmp_path) -> Path:
    path = tmp_path / "vorlage.yaml"
    path.write_text(init_template(), encoding="utf-8")
    return path


@pytest.fixture
def title_only(tmp_path) -> Path:
    path = tmp_path / "titel.yaml"
    path.write_text("format_version: 2\nmeta:\n  title: Entwurf\nfield_of_work: [kinder_jugendhilfe]\n",
                    encoding="utf-8")
    return path


@pytest.fixture
def one_blocker_open(tmp_path) -> Path:
    """The exemplary case with the Schiedsstelle clause not yet looked at."""
    text = EXEMPLARY.read_text(encoding="utf-8")
    start = text.index("\n  schiedsstelle:\n")
    status = text.index("status: vereinbart", start)
    path = tmp_path / "offen.yaml"
    path.write_text(text[:status] + "status: unbekannt" + text[status + len("status: vereinbart"):], encoding="utf-8")
    return path


def test_untouched_template_is_not_judgeable_and_fails(capsys, template):
    assert overall(capsys, template) == (1, "nicht_pruefbar", False)


def test_title_only_file_is_not_judgeable_and_fails(capsys, title_only):
    assert overall(capsys, title_only) == (1, "nicht_pruefbar", False)


def test_open_blocker_is_not_fit_without_clarification(capsys, one_blocker_open):
    assert overall(capsys, one_blocker_open) == (0, "nicht_zeichnungsreif_ohne_klaerung", True)
    assert overall(capsys, one_blocker_open, "--fail-on-unresolved") == (
        1, "nicht_zeichnungsreif_ohne_klaerung", False)


def test_the_other_verdicts_and_their_exit_codes(capsys):
    assert overall(capsys, EXEMPLARY) == (0, "zeichnungsreif", True)
    assert overall(capsys, D01) == (0, "zeichnungsreif_mit_auflagen", True)
    assert overall(capsys, D01, "--fail-on", "major") == (1, "zeichnungsreif_mit_auflagen", False)
    assert overall(capsys, D04) == (1, "nicht_zeichnungsreif", False)


def test_human_formats_name_and_explain_the_verdict(capsys, template, one_blocker_open):
    code, text, err = run(capsys, template, fmt="text")
    assert code == 1 and "NICHT PRÜFBAR" in text.upper()
    assert "Blockern, die anwendbar sein können, sind ungeklärt" in text
    code, md, _ = run(capsys, template, fmt="markdown")
    assert "nicht prüfbar" in md and "Die Beschreibung reicht für ein Urteil nicht aus" in md
    code, html, _ = run(capsys, one_blocker_open, fmt="html")
    assert 'class="overall o-nicht_zeichnungsreif_ohne_klaerung"' in html
    assert "nicht zeichnungsreif ohne Klärung" in html and "DWH-SK-SCHIEDSSTELLE-JH" in html
    _code, en, _ = run(capsys, template, "--lang", "en", fmt="text")
    assert "cannot be judged" in en.lower()


def test_stderr_summary_says_why_a_thin_file_fails(capsys, template):
    _code, _out, err = run(capsys, template)
    assert "nicht prüfbar" in err and "von" in err and "Blockern" in err


def test_junit_and_sarif_carry_the_verdict(capsys, template):
    _code, xml, _ = run(capsys, template, fmt="junit")
    suite = ET.fromstring(xml.encode()).find("testsuite")
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert props["overall"] == "nicht prüfbar"
    failing = [c for c in suite.findall("testcase") if c.find("failure") is not None]
    assert [c.get("name") for c in failing] == ["nicht prüfbar"]
    assert failing[0].find("failure").get("type") == "nicht_pruefbar"
    _code, sarif, _ = run(capsys, template, fmt="sarif")
    artifact = json.loads(sarif)["runs"][0]["artifacts"][0]
    assert artifact["properties"] == {"overall": "nicht_pruefbar", "overallLabel": "nicht prüfbar"}


def test_one_line_ci_formats_name_a_thin_file(capsys, template):
    code, concise, _ = run(capsys, template, fmt="concise")
    assert code == 1 and concise.startswith(f"{template}:1:1: nicht prüfbar: 11 von 11 Blockern")  # 16 before the merges of issue 14b (-6), + GS-KINDERSCHUTZ-8A (issue 14a)
    _code, github, _ = run(capsys, template, fmt="github")
    assert github.startswith("::error file=") and "title=nicht prüfbar::nicht prüfbar" in github
    _code, gitlab, _ = run(capsys, template, fmt="gitlab")
    (entry,) = [e for e in json.loads(gitlab) if e["check_name"] == "nicht_pruefbar"]
    assert entry["severity"] == "blocker" and entry["location"]["lines"]["begin"] == 1
