"""The short Prüfbericht (default for Markdown, HTML and PDF): what an advisor hands over."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from checker.cli import main

ROOT = Path(__file__).resolve().parent.parent
D01 = "cases/defective/d01-keine-nachfinanzierung.yaml"
BREMEN = "cases/source/issab-3-03-bremen.yaml"
D14 = "cases/defective/d14-tarifklausel-fehlt.yaml"


@pytest.fixture(autouse=True)
def _setup(monkeypatch, catalogue):
    monkeypatch.setattr("checker.rules.load_catalogue", lambda *a, **k: catalogue)
    monkeypatch.chdir(ROOT)


def report(tmp_path: Path, case: str, fmt: str = "html", *args: str) -> str:
    out = tmp_path / f"r.{fmt}"
    assert main(["check", "--no-config", "-q", "--date", "2026-01-01", case, "-o", f"{fmt}:{out}", *args]) in (0, 1)
    return out.read_text(encoding="utf-8")


def test_short_is_the_default_and_full_on_request(tmp_path):
    short = report(tmp_path, BREMEN)
    full = report(tmp_path, BREMEN, "html", "--detail", "full")
    assert "Prüfbericht (Kurzfassung)" in short and "Prüfbericht (Kurzfassung)" not in full
    assert len(short) < len(full) / 3


@pytest.mark.parametrize("fmt", ["html", "markdown"])
def test_no_yaml_paths_file_lines_or_internal_file_names(tmp_path, fmt):
    text = report(tmp_path, BREMEN, fmt)
    assert "000_cfe332d5febb39fc.txt" not in text and "001_dde54a99f7067d07.txt" not in text
    assert not re.search(r"\b(clauses|budget|parties|meta)\.[a-z_]+", text)
    assert "Zeile " not in text


@pytest.mark.parametrize("fmt", ["html", "markdown"])
def test_sources_named_as_a_reader_cites_them(tmp_path, fmt):
    text = report(tmp_path, BREMEN, fmt)
    assert "Diakonisches Werk Hamburg 2018, Eckpunkte zu Trägerbudgets, Strukturelle Prüfkriterien, Punkt 2" in text
    assert "ISSAB 2002, Kap. 6.2 Voraussetzungen: Kooperationsstrukturen" in text


def test_each_violation_once_with_what_to_change(tmp_path):
    html = report(tmp_path, BREMEN)
    # ISSAB-VS-KOOPERATION-AUFNAHME is judged by DWH-JH-TRAEGERZUGANG in youth welfare (issue 14b)
    for rule_id in ("DWH-SK-TRAEGERZUGANG", "DWH-JH-TRAEGERZUGANG"):
        assert html.count(f'<section class="violation" id="a1-{rule_id.lower()}">') == 1
    assert html.count('<section class="violation" id="a1-issab-vs-kooperation-aufnahme">') == 0
    assert html.count("<h4>Was zu ändern ist</h4>") == 2
    assert html.count("<h4>Was der Entwurf sagt</h4>") == 2
    # "ausgeschlossen" reads as the contrary of the requirement, never as "excludes exclusivity"
    assert "Das geplante Modell regelt das Gegenteil dessen, was das Kriterium verlangt (Thema: Zugang weiterer Träger" in html
    assert "schließt das ausdrücklich aus" not in html


def test_questions_once_grouped_by_topic(tmp_path):
    html = report(tmp_path, BREMEN)
    questions = re.findall(r'<li><span class="qn">(\d+)\.</span> (.*?)(?: <span class="decides">.*?)?</li>', html)
    assert questions
    texts = [q for _n, q in questions]
    assert len(texts) == len(set(texts))  # each question once
    numbers = [int(n) for n, _q in questions]
    assert numbers == list(range(1, len(questions) + 1))  # numbered as printed, each once
    topics = re.findall(r'<section class="topic">\s*<h3>(.*?)</h3>', html)
    assert len(topics) == len(set(topics)) >= 3
    assert "entscheidet das Gesamturteil" in html


def test_reviewer_notes_appear(tmp_path):
    data = yaml.safe_load((ROOT / D01).read_text(encoding="utf-8"))
    data["meta"]["note"] = "Entwurf vom Träger am 3. November erhalten; Anlage 2 fehlt noch."
    data["clauses"]["overspending"]["note"] = "Der Träger will darüber nicht verhandeln."
    draft = tmp_path / "entwurf.yaml"
    draft.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    for fmt in ("html", "markdown"):
        text = report(tmp_path, str(draft), fmt)
        assert "Entwurf vom Träger am 3. November erhalten; Anlage 2 fehlt noch." in text
        assert "Der Träger will darüber nicht verhandeln." in text


def test_rule_ids_never_break_inside_a_word(tmp_path):
    html = report(tmp_path, BREMEN)
    assert re.search(r"\.rid \{[^}]*white-space: nowrap", html)
    body = html.split("<body>", 1)[1]
    ids = set(re.findall(r"\b(?:DWH|ISSAB|KON|RS)-[A-Z0-9]+(?:-[A-Z0-9]+)+\b", body))
    assert ids
    for rule_id in ids:  # every id in the text sits in a non-breaking span
        outside = re.sub(r'<span class="rid">[^<]*</span>', "", body)
        assert rule_id not in re.sub(r'(id|href|title)="[^"]*"', "", outside), rule_id


def test_english_short_report(tmp_path):
    html = report(tmp_path, BREMEN, "html", "--lang", "en")
    assert "Audit report (short version)" in html and "What to change" in html
    assert "ISSAB 2002, ch. 6.2" in html


def test_unreadable_file_is_named_in_the_report(tmp_path):
    bad = tmp_path / "kaputt.yaml"
    bad.write_text("meta: [\n", encoding="utf-8")
    out = tmp_path / "r.html"
    assert main(["check", "--no-config", "-q", D01, str(bad), "-o", f"html:{out}"]) == 2
    html = out.read_text(encoding="utf-8")
    assert "Nicht lesbare Eingaben" in html and "kaputt.yaml" in html


def test_legal_basis_and_wording_follow_the_legal_regime(tmp_path):
    """A pure SGB VIII draft cites no SGB IX paragraph in the short report either (issue 14)."""
    for fmt in ("html", "markdown"):
        text = report(tmp_path, D14, fmt)
        assert "§ 78c Abs. 2 SGB VIII" in text
        assert "SGB IX" not in text and "SGB XII" not in text


def test_each_violation_says_why_it_matters(tmp_path):
    html = report(tmp_path, D14)
    assert "<h4>Warum das wichtig ist</h4>" in html
    assert "verliert mit jeder Tariferhöhung an Wert" in html


def test_footer_names_the_file_without_its_directory(tmp_path):
    html = report(tmp_path, D14)
    assert "d14-tarifklausel-fehlt.yaml" in html and "cases/defective/" not in html
    assert "--detail full" not in html
