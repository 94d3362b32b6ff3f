"""The Prüfbericht: golden snapshots, escaping of hostile input, determinism, content.

Snapshots (tests/snapshots/report/) are rendered from the real catalogue and real cases with a
fixed RunInfo and check date. When the catalogue or a case changes on purpose, rewrite them with

    UPDATE_SNAPSHOTS=1 python -m pytest tests/test_report.py

and read the diff before committing it.
"""

from __future__ import annotations

import copy
import difflib
import os
import random
import re
import subprocess
import sys
import textwrap
import unicodedata

import pytest
import yaml

from checker.check import check_file, evaluate
from checker.model import Agreement
from checker.report import FORMATS, clean, format_date, format_number, md_escape, render_report
from checker.rules import load_catalogue
from checker.verdicts import AppliedWaiver, RunInfo, WaiverNote
from tests.conftest import CHECK_DATE, ROOT

SNAPSHOTS = ROOT / "tests" / "snapshots" / "report"
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"
CASES = {
    "hamburg": "cases/source/hamburg-jugendhilfe-eckpunkte.yaml",
    "d01": "cases/defective/d01-keine-nachfinanzierung.yaml",
    "stuttgart": "cases/source/issab-3-01-stuttgart.yaml",
}
EXTENSION = {"text": "txt", "markdown": "md", "html": "html"}
# (name, cases, format, language)
SNAPSHOT_SET = [(case, (case,), fmt, "de") for case in CASES for fmt in FORMATS] + [
    ("d01", ("d01",), "html", "en"),
    ("all", tuple(CASES), "markdown", "de"),
    ("all", tuple(CASES), "text", "de"),
]
RUN = RunInfo(checker_version="0.1.0", catalogue_version="snapshot", catalogue_digest="0" * 64,
              rule_count=0, check_date=CHECK_DATE.isoformat())

HOSTILE = "<script>alert(1)</script> **x** | [l](javascript:x) \x1b[31m rot \x07 \u202e ende"
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def real():
    """Results of the real cases (paths relative to the repository, as a user would type them)."""
    catalogue = load_catalogue()
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        results = {name: check_file(path, catalogue, check_date=CHECK_DATE) for name, path in CASES.items()}
    run = RunInfo(RUN.checker_version, RUN.catalogue_version, RUN.catalogue_digest, len(catalogue.rules),
                  RUN.check_date)
    return catalogue, results, run


RULES = """\
rules:
  - id: T-NACHFINANZIERUNG
    title: {de: "Nachfinanzierung vereinbart", en: "Additional funding agreed"}
    group: vertragsgestaltung
    severity: blocker
    source:
      - file: 001_dde54a99f7067d07.txt
        section: "6.2 Umgang mit Budgetüberschreitungen"
        bullet: 2
        passage: "Überzieht der Träger das Budget, bedarf es klarer Nachfinanzierungsklauseln."
    legal_basis:
      - {law: SGB VIII, ref: "§ 27 Abs. 2 S. 2"}
    rationale: {de: "Ohne Nachfinanzierung wirkt das Budget als Deckel.", en: "Without it the budget is a cap."}
    recommendation: {de: "Nachfinanzierung mit Anspruch vereinbaren.", en: "Agree binding additional funding."}
    require: {path: clauses.overspending.status, eq: vereinbart}
  - id: T-SCHIEDSSTELLE
    title: {de: "Schiedsstelle bleibt", en: "Arbitration board remains"}
    group: strukturelles_pruefkriterium
    severity: major
    source:
      - file: 000_cfe332d5febb39fc.txt
        section: Strukturelle Prüfkriterien
        passage: "Die Schiedsstellenfähigkeit muss auch bei Budgetvereinbarungen erhalten bleiben."
    rationale: {de: "Begründung S", en: "Rationale S"}
    recommendation: {de: "Empfehlung S", en: "Recommendation S"}
    require: {path: clauses.schiedsstelle.status, eq: vereinbart}
    conclude: schiedsstelle_ok
  - id: T-AUFBAUEND
    title: {de: "Aufbauend auf der Schiedsstelle", en: "Building on the arbitration board"}
    group: konsistenz
    severity: minor
    source:
      - file: 000_cfe332d5febb39fc.txt
        section: Strukturelle Prüfkriterien
        passage: "Die Schiedsstellenfähigkeit muss auch bei Budgetvereinbarungen erhalten bleiben."
    rationale: {de: "Begründung A", en: "Rationale A"}
    recommendation: {de: "Empfehlung A", en: "Recommendation A"}
    require: {conclusion: schiedsstelle_ok, is: true}
  - id: T-OFFEN
    title: {de: "Nachverhandlung geregelt", en: "Renegotiation settled"}
    group: vertragsgestaltung
    severity: blocker
    source:
      - file: 001_dde54a99f7067d07.txt
        section: "6.2 Nachverhandlung"
        passage: "Möglichkeiten der Nachverhandlung müssen vereinbart werden."
    rationale: {de: "Begründung O", en: "Rationale O"}
    recommendation: {de: "Empfehlung O", en: "Recommendation O"}
    require: {path: clauses.renegotiation.status, eq: vereinbart}
  - id: T-FRAGE
    title: {de: "Kündigung geregelt", en: "Termination settled"}
    group: vertragsgestaltung
    severity: hinweis
    source:
      - file: 001_dde54a99f7067d07.txt
        section: "6.2 Kündigung"
        passage: "Die Kündigung der Vereinbarung ist zu regeln."
    rationale: {de: "Begründung K", en: "Rationale K"}
    recommendation: {de: "Empfehlung K", en: "Recommendation K"}
    question: {de: "Mit welcher Frist kann gekündigt werden?", en: "With what notice can it be terminated?"}
    require: {path: clauses.termination.notice_months, gte: 3}
  - id: T-AUSGENOMMEN
    title: {de: "Überschüsse verbleiben", en: "Surplus stays"}
    group: vertragsgestaltung
    severity: major
    source:
      - file: 001_dde54a99f7067d07.txt
        section: "6.2 Umgang mit Überschüssen"
        passage: "Das Budget wird behandelt wie ein Mindestbetrag."
    rationale: {de: "Begründung U", en: "Rationale U"}
    recommendation: {de: "Empfehlung U", en: "Recommendation U"}
    require: {path: clauses.surplus.status, eq: vereinbart}
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A small, stable catalogue: a violated blocker, a chain, an open rule with and without question,
    a waived rule; with a hostile title, so catalogue texts are tested for escaping as well."""
    directory = tmp_path_factory.mktemp("rules")
    (directory / "parameters.yaml").write_text((ROOT / "rules" / "parameters.yaml").read_text(encoding="utf-8"),
                                               encoding="utf-8")
    hostile_title = HOSTILE.replace("\\", "\\\\").replace('"', '\\"').replace("\x1b", "\\e").replace(
        "\x07", "\\a").replace("\u202e", "\\u202E")
    body = RULES.replace('"Nachverhandlung geregelt"', f'"Nachverhandlung {hostile_title}"')
    (directory / "test.yaml").write_text(body, encoding="utf-8")
    return load_catalogue(directory, check_tests=False)


def small_agreement(text: str = "harmlos") -> dict:
    return {
        "meta": {"title": f"Vereinbarung {text}", "identifier": text, "status": "entwurf", "version": text,
                 "draft_date": "2026-11-02", "municipality": text, "district": text,
                 "period": {"start": "2027-01-01", "end": "2029-12-31"}},
        "parties": {"giver": {"name": text, "unit_with_regiekompetenz": text},
                    "takers": [{"name": f"Träger {text}"}, {"name": "Zweiter Träger"}]},
        "clauses": {
            "overspending": {"status": "ausgeschlossen", "section": f"§ 9 {text}", "wording": f"Wortlaut {text}",
                             "note": f"Anmerkung {text}"},
            "schiedsstelle": {"status": "vereinbart", "section": "§ 12"},
            "surplus": {"status": "ausgeschlossen", "section": "§ 10"},
        },
        "waivers": [
            {"rule": "T-AUSGENOMMEN", "reason": f"Begründung {text}", "granted_by": f"Vorstand {text}",
             "expires": "2027-06-30"},
            {"rule": "T-UNBEKANNT", "reason": f"Tippfehler {text}"},
            {"rule": "T-OFFEN", "reason": "abgelaufen", "expires": "2025-12-31"},
        ],
    }


def small_result(catalogue, text: str = "harmlos", path: str = "vereinbarung.yaml"):
    agreement = Agreement.model_validate(small_agreement(text))
    return evaluate(agreement, catalogue, path=path, sha256="ab" * 32, check_date=CHECK_DATE)


# --------------------------------------------------------------------------- snapshots


def _snapshot_name(name: str, fmt: str, lang: str) -> str:
    return f"{name}.{lang}.{EXTENSION[fmt]}"


def _inputs_stamp(catalogue, results) -> str:
    """What the snapshots were rendered from: catalogue version and digest, and each case's hash."""
    lines = [f"catalogue {catalogue.version} {catalogue.digest}"]
    lines += [f"{results[name].sha256} {CASES[name]}" for name in CASES]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("name,cases,fmt,lang", SNAPSHOT_SET,
                         ids=[_snapshot_name(n, f, lang) for n, _, f, lang in SNAPSHOT_SET])
def test_snapshot(real, name, cases, fmt, lang):
    catalogue, results, run = real
    out = render_report([results[c] for c in cases], fmt, lang=lang, run=run)
    path = SNAPSHOTS / _snapshot_name(name, fmt, lang)
    stamp = SNAPSHOTS / "INPUTS"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(out, encoding="utf-8", newline="\n")
        stamp.write_text(_inputs_stamp(catalogue, results), encoding="utf-8", newline="\n")
        return
    assert path.exists(), f"{path.name} fehlt: mit UPDATE_SNAPSHOTS=1 erzeugen"
    expected = path.read_text(encoding="utf-8")
    if out != expected:
        note = ""
        if stamp.exists() and stamp.read_text(encoding="utf-8") != _inputs_stamp(catalogue, results):
            note = "Regelkatalog oder Fälle haben sich seit den Snapshots geändert (siehe INPUTS). "
        diff = "".join(list(difflib.unified_diff(expected.splitlines(True), out.splitlines(True),
                                                 "snapshot", "jetzt", n=2))[:80])
        pytest.fail(f"{path.name} weicht ab. {note}Nach Prüfung des Diffs mit UPDATE_SNAPSHOTS=1 neu "
                    f"schreiben.\n{diff}")


# --------------------------------------------------------------------------- hostile input


@pytest.fixture(scope="module")
def hostile(small):
    result = small_result(small, HOSTILE, path=f"eingabe/{HOSTILE}.yaml")
    return {(fmt, lang): render_report([result], fmt, lang=lang, run=RUN) for fmt in FORMATS for lang in ("de", "en")}


def test_hostile_input_reaches_every_part_of_the_report(hostile):
    """The hostile string sits in title, taker, clause section/wording/note, waiver reason and rule title:
    each of those must be in the report (else the escaping tests would prove nothing)."""
    html = hostile[("html", "de")]
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert html.count(escaped) >= 10
    for marker in ("Träger " + escaped, "§ 9 " + escaped, "Wortlaut " + escaped, "Anmerkung " + escaped,
                   "Begründung " + escaped, "Vorstand " + escaped, "Tippfehler " + escaped,
                   "Nachverhandlung " + escaped):
        assert marker in html, marker


@pytest.mark.parametrize("lang", ["de", "en"])
def test_hostile_input_is_escaped_in_html(hostile, lang):
    html = hostile[("html", lang)]
    assert "<script" not in html.lower()
    assert "javascript:" not in re.sub(r">[^<]*<", "><", html)  # only ever in text, never in markup
    assert 'href="javascript' not in html
    assert not CONTROL.search(html)
    assert "⟨U+001B⟩[31m" in html and "⟨U+0007⟩" in html and "⟨U+202E⟩" in html


def _unescaped_pipes(line: str) -> int:
    return len(re.findall(r"(?<!\\)\|", line))


@pytest.mark.parametrize("lang", ["de", "en"])
def test_hostile_input_is_escaped_in_markdown(hostile, lang):
    md = hostile[("markdown", lang)]
    assert "<script>" not in md and "\\<script\\>alert" in md
    assert "\\*\\*x\\*\\*" in md and "\\[l\\](javascript:x)" in md and " \\| " in md
    assert not re.search(r"(?<!\\)\]\(javascript", md)  # no link can form
    assert not CONTROL.search(md)
    # every table keeps its shape: each row has as many cell borders as its header
    header = None
    for line in md.split("\n"):
        if line.startswith("|"):
            header = header if header is not None else _unescaped_pipes(line)
            assert _unescaped_pipes(line) == header, line
        else:
            header = None
    # the only raw HTML is the anchors and line breaks the template writes itself
    raw = set(re.findall(r"(?<!\\)<[^>]*>", md))
    assert all(re.fullmatch(r'<a id="[a-z0-9-]+"></a>|<a id="[a-z0-9-]+">|</a>|<br>', tag) for tag in raw), raw


def test_markdown_line_breaks_in_input_cannot_start_blocks(small):
    text = "eins\n# Überschrift\n| a | b |\n- Liste\n1. Nummer\n    Code"
    md = render_report([small_result(small, text)], "markdown", run=RUN)
    for line in md.split("\n"):
        assert not line.startswith(("# Überschrift", "| a |", "- Liste", "1. Nummer", "    Code")), line
    assert "eins \\# Überschrift \\| a \\| b \\| - Liste 1. Nummer Code" in md


@pytest.mark.parametrize("lang", ["de", "en"])
def test_hostile_input_has_no_control_characters_in_text(hostile, lang):
    text = hostile[("text", lang)]
    assert not CONTROL.search(text)
    assert all(ch == "\n" or unicodedata.category(ch) != "Cc" for ch in text)
    assert "⟨U+001B⟩[31m" in text


def test_colour_is_only_added_on_request(small):
    result = small_result(small)
    plain = render_report([result], "text", run=RUN)
    coloured = render_report([result], "text", run=RUN, color=True)
    assert "\x1b[" not in plain and "\x1b[31m" in coloured
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain
    assert render_report([result], "html", run=RUN, color=True) == render_report([result], "html", run=RUN)


def test_escaping_helpers():
    assert md_escape("a*b_c`d[e](f)") == "a\\*b\\_c\\`d\\[e\\](f)"
    assert md_escape("- x") == "\\- x" and md_escape("1. x") == "1\\. x" and md_escape("---") == "\\---"
    assert md_escape("02.11.2026") == "02.11.2026" and md_escape("a\nb\r\nc") == "a b c"
    assert md_escape("&lt; $x$ ~y~") == "\\&lt; \\$x\\$ \\~y\\~"
    assert clean("a\x1bb\tc\u202ed\ne") == "a⟨U+001B⟩b c⟨U+202E⟩d e"
    assert clean("a\nb", keep_newlines=True) == "a\nb"


def test_clean_shows_every_control_and_bidi_character_and_nothing_else():
    """clean() copies a string without such characters at once: over every code point, what it
    shows is exactly category Cc and the bidi controls (line breaks and tabs become spaces)."""
    bidi = {0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}
    breaks = {"\r", "\n", "\x85", "\u2028", "\u2029", "\v", "\f", "\t"}
    for code in range(0x110000):
        ch = chr(code)
        if ch in breaks:
            assert clean(f"a{ch}b") == "a b"
        elif code in bidi or unicodedata.category(ch) == "Cc":
            assert clean(f"a{ch}b") == f"a⟨U+{code:04X}⟩b", hex(code)
        else:
            assert clean(f"a{ch}b") == f"a{ch}b", hex(code)
    assert clean("x\ny\u202ez", keep_newlines=True) == "x\ny⟨U+202E⟩z"


# --------------------------------------------------------------------------- determinism


@pytest.mark.parametrize("fmt", FORMATS)
def test_same_input_same_bytes_whatever_the_order(small, fmt):
    result = small_result(small)
    first = render_report([result], fmt, run=RUN)
    shuffled = copy.copy(result)
    rng = random.Random(7)
    shuffled.findings = [copy.copy(f) for f in result.findings]
    for f in shuffled.findings:
        f.evidence = rng.sample(f.evidence, len(f.evidence))
    rng.shuffle(shuffled.findings)
    shuffled.waiver_notes = rng.sample(result.waiver_notes, len(result.waiver_notes))
    assert render_report([shuffled], fmt, run=RUN) == first
    assert render_report([result], fmt, run=RUN) == first


def test_real_case_renders_identically_in_another_process(real):
    """No dependence on hash seeds or process state: a fresh interpreter gives the same bytes."""
    catalogue, results, run = real
    here = render_report([results["d01"]], "html", run=run)
    script = textwrap.dedent(f"""
        import sys
        from checker.check import check_file
        from checker.report import render_report
        from checker.rules import load_catalogue
        from checker.verdicts import AppliedWaiver, RunInfo, WaiverNote
        from tests.conftest import CHECK_DATE
        cat = load_catalogue()
        r = check_file({CASES['d01']!r}, cat, check_date=CHECK_DATE)
        run = RunInfo(*{tuple(run.__dict__.values())!r})
        sys.stdout.buffer.write(render_report([r], "html", run=run).encode("utf-8"))
    """)
    env = dict(os.environ, PYTHONHASHSEED="12345", PYTHONPATH=str(ROOT))
    there = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, check=True)
    assert there.stdout.decode("utf-8") == here


@pytest.mark.parametrize("case", list(CASES))
def test_html_is_self_contained(real, case):
    _, results, run = real
    html = render_report([results[case]], "html", run=run)
    for forbidden in ("http://", "https://", "<script", "<link", "src=", "@import", "url("):
        assert forbidden not in html, forbidden
    assert html.startswith("<!DOCTYPE html>\n<html lang=\"de\">")
    assert "@page { size: A4;" in html
    assert render_report([results[case]], "html", lang="en", run=run).startswith('<!DOCTYPE html>\n<html lang="en">')


# --------------------------------------------------------------------------- content


def test_html_structure(small):
    html = render_report([small_result(small)], "html", run=RUN)
    assert html.count("<h1 ") == 2  # the agreement and the appendix
    assert re.search(r"<h2 id=\"a1-overall\">1 Gesamturteil</h2>", html)
    assert '<article class="finding f-verletzt" id="a1-t-nachfinanzierung">' in html
    assert "<h3><span class=\"fid\">T-NACHFINANZIERUNG</span> Nachfinanzierung vereinbart</h3>" in html
    assert '<th scope="col">' in html and '<th scope="row">' in html
    # every internal link has its target
    targets = set(re.findall(r'id="([^"]+)"', html))
    assert set(re.findall(r'href="#([^"]+)"', html)) <= targets


def test_overall_verdict_and_reason(small):
    result = small_result(small)
    assert result.overall == "nicht_zeichnungsreif"
    html = render_report([result], "html", run=RUN)
    assert "Gesamturteil: nicht zeichnungsreif" in html
    assert "1 Blocker verletzt und 1 Blocker ungeklärt." in html
    assert "1 Kriterium ausgenommen." in html
    text = render_report([result], "text", lang="en", run=RUN)
    assert "Overall verdict: NOT FIT TO SIGN" in text
    assert "1 blocker violated and 1 blocker unresolved." in text


def test_finding_shows_evidence_source_legal_basis_and_recommendation(small):
    md = render_report([small_result(small)], "markdown", run=RUN)
    block = md.split("### T-NACHFINANZIERUNG", 1)[1].split("\n### ", 1)[0]
    assert "Die Angaben der Vereinbarung widersprechen dem Kriterium:" in block
    assert "| `clauses.overspending.status` – Umgang mit Budgetüberschreitungen (Nachfinanzierung): Regelung " \
           "(vereinbart / ausgeschlossen / fehlt) | **ausgeschlossen** | § 9 harmlos |" in block
    assert "„Wortlaut harmlos“" in block and "*Anmerkung der prüfenden Person:* Anmerkung harmlos" in block
    assert "> Überzieht der Träger das Budget, bedarf es klarer Nachfinanzierungsklauseln." in block
    assert "ISSAB 2002, Expertise sozialräumliche Budgetfinanzierung (`001_dde54a99f7067d07.txt`), " \
           "Abschnitt 6.2 Umgang mit Budgetüberschreitungen, Punkt 2" in block
    assert "**Rechtsgrundlage:** § 27 Abs. 2 S. 2 SGB VIII" in block
    assert "**Begründung:** Ohne Nachfinanzierung wirkt das Budget als Deckel." in block
    assert "**Was zu ändern ist:** Nachfinanzierung mit Anspruch vereinbaren." in block


def test_chain_links_to_the_finding_it_rests_on(small):
    result = small_result(small)
    assert result.finding("T-AUFBAUEND").chain == ["T-SCHIEDSSTELLE"]
    html = render_report([result], "html", run=RUN)
    assert 'Beruht auf: <a href="#a1-t-schiedsstelle">T-SCHIEDSSTELLE</a> Schiedsstelle bleibt (erfüllt)' in html
    assert 'id="a1-t-schiedsstelle"' in html
    md = render_report([result], "markdown", lang="en", run=RUN)
    assert "Based on: [`T-SCHIEDSSTELLE`](#a1-t-schiedsstelle) (fulfilled)" in md


def test_questions_from_rule_or_generated_from_title(small):
    result = small_result(small)
    md = render_report([result], "markdown", run=RUN)
    section = md.split("## 5 Klärungsbedarf", 1)[1].split("## 6 ", 1)[0]
    assert "**Frage 1:** Was regelt der Entwurf zu „Nachverhandlung" in section
    assert "**Frage 2:** Mit welcher Frist kann gekündigt werden?" in section
    assert "- `clauses.renegotiation.status` – Nachverhandlung bei unvorhergesehener Veränderung: Regelung" in section
    assert "- `clauses.termination.notice_months` – Kündigungsfrist in Monaten" in section
    text = render_report([result], "text", lang="en", run=RUN)
    assert "2. With what notice can it be terminated?" in text
    assert "clauses.termination.notice_months" in text


def test_waivers_and_waiver_notes(small):
    result = small_result(small)
    waived = result.finding("T-AUSGENOMMEN")
    assert waived.verdict.value == "ausgenommen" and waived.underlying.value == "verletzt"
    md = render_report([result], "markdown", run=RUN)
    section = md.split("## 6 Ausnahmen", 1)[1].split("## 7 ", 1)[0]
    assert "- **Begründung der Ausnahme:** Begründung harmlos" in section
    assert "- **Erteilt von:** Vorstand harmlos" in section
    assert "- **Gültig bis:** 30.06.2027" in section
    assert "- **Ausgesetztes Urteil:** **verletzt**" in section
    assert "`T-UNBEKANNT`: unbekannte Regel" in section
    assert "[`T-OFFEN`](#a1-t-offen): abgelaufen" in section
    text = render_report([result], "text", run=RUN)
    assert "T-AUSGENOMMEN" in text.split("Ausnahmen:", 1)[1]


def test_run_notes_of_a_waiver_file_come_first_and_escaped(small):
    notes = [WaiverNote("unused", AppliedWaiver("T-FRAGE", HOSTILE, "Vorstand", None, "waivers.yaml", 4)),
             WaiverNote("expired", AppliedWaiver("T-OFFEN", "alt", None, "2025-01-31", "waivers.yaml", 9))]
    result = small_result(small)
    html = render_report([result], "html", run=RUN, run_notes=notes)
    assert html.index("Hinweise zur Ausnahmedatei") < html.index('<section class="agreement')
    assert "<strong>T-OFFEN</strong>: abgelaufen" in html and "<code>waivers.yaml:9</code>" in html
    assert "<script" not in html
    md = render_report([result], "markdown", run=RUN, run_notes=notes)
    assert "- `T-FRAGE`: ohne Wirkung" in md and "\\<script\\>" in md
    text = render_report([result], "text", lang="en", run=RUN, run_notes=list(reversed(notes)))
    assert "Notes on the waiver file:\n  - T-OFFEN: expired" in text and not CONTROL.search(text)
    assert render_report([result], "text", run=RUN, run_notes=notes) == \
        render_report([result], "text", run=RUN, run_notes=list(reversed(notes)))


def test_counts_by_group_and_severity(small):
    md = render_report([small_result(small)], "markdown", run=RUN)
    assert "**6 Kriterien geprüft:** 1 verletzt · 2 ungeklärt · 1 ausgenommen · 2 erfüllt · 0 nicht anwendbar" in md
    assert "| Blocker | 1 | 1 | 0 | 0 | 0 | 2 |" in md
    assert "| Vertragsgestaltung | 1 | 2 | 1 | 0 | 0 | 4 |" in md
    assert "| **Summe** | **1** | **2** | **1** | **2** | **0** | **6** |" in md


def test_findings_sorted_violated_first_then_severity_then_id(small):
    text = render_report([small_result(small)], "text", run=RUN)
    ids = re.findall(r"^   (T-[A-Z]+) ", text.split("Verletzt und ungeklärt:", 1)[1], flags=re.M)
    assert ids[:3] == ["T-NACHFINANZIERUNG", "T-OFFEN", "T-FRAGE"]


def test_text_lines_stay_within_100_characters(real):
    _, results, run = real
    text = render_report(list(results.values()), "text", run=run)
    long = [line for line in text.split("\n") if len(line) > 100]
    assert not long, long


def test_several_agreements_get_a_summary_and_unique_anchors(real, small):
    _, results, run = real
    html = render_report(list(results.values()), "html", run=run)
    assert html.index('<h1 id="summary-h">Übersicht</h1>') < html.index('<section class="agreement break" id="a1"')
    ids = re.findall(r' id="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    assert set(re.findall(r'href="#([^"]+)"', html)) <= set(ids)


def test_english_report_uses_english_rule_texts_and_labels(small):
    html = render_report([small_result(small)], "html", lang="en", run=RUN)
    assert "Overall verdict: not fit to sign" in html
    assert "Additional funding agreed" in html and "Agree binding additional funding." in html
    assert "Nachfinanzierung vereinbart" not in html
    assert "nicht zeichnungsreif" in html  # the German term, explained in the glossary


def test_value_formatting():
    assert format_number(3000000.0, "de") == "3.000.000" and format_number(3000000.0, "en") == "3,000,000"
    assert format_number(94.3396, "de") == "94,3396" and format_number(1e-05, "en") == "0.00001"
    assert format_date("2026-11-02", "de") == "02.11.2026" and format_date(20261102, "en") == "2026-11-02"


def test_unknown_format_or_language_is_refused(small):
    result = small_result(small)
    with pytest.raises(ValueError, match="format"):
        render_report([result], "pdf", run=RUN)
    with pytest.raises(ValueError, match="language"):
        render_report([result], "text", lang="fr", run=RUN)


def test_templates_hold_no_rule_logic():
    """Templates lay out a prepared view: they never look at rule internals or compute verdicts."""
    for template in (ROOT / "templates").glob("report.*.j2"):
        source = template.read_text(encoding="utf-8")
        for word in ("require", "applies_to", "overall_verdict", "SEVERITY_ORDER", ".rule.rule", "|sort", "sort("):
            assert word not in source, (template.name, word)


def test_agreement_yaml_with_hostile_strings_loads_and_renders(tmp_path, small):
    """End to end through the loader: YAML escapes become the characters the report must neutralise."""
    data = small_agreement("x")
    data["meta"]["title"] = HOSTILE
    path = tmp_path / "hostile.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=False), encoding="utf-8")
    result = check_file(str(path), small, check_date=CHECK_DATE)
    assert result.agreement.meta.title == HOSTILE
    for fmt in FORMATS:
        out = render_report([result], fmt, run=RUN)
        assert not CONTROL.search(out)
        assert "<script>" not in out or fmt == "text"  # plain text has no markup to escape


# --------------------------------------------------------------------------- compiled template cache


@pytest.mark.parametrize("fmt", ["markdown", "html"])  # text is rendered without a template
def test_compiled_templates_are_cached_privately_and_change_nothing(real, tmp_path, monkeypatch, fmt):
    from checker import report

    catalogue, results, run = real
    result = [next(iter(results.values()))]
    cache = tmp_path / "cache"
    monkeypatch.setenv("BUDGETCHECK_CACHE_DIR", str(cache))

    def render() -> str:
        report._environment.cache_clear()  # a new process: nothing compiled yet
        return render_report(result, fmt, lang="de", run=run)

    first = render()
    files = sorted(cache.glob(f"jinja-{fmt}-*.bytecode"))
    # one file per template compiled (text of one agreement: the report and its included section)
    assert len(files) == (2 if fmt == "text" else 1) and not list(cache.glob(".*"))  # no temporary file left
    assert render() == first  # from the cache
    files[0].write_bytes(b"not bytecode")  # corrupt: compiled again, same report, file rewritten
    assert render() == first and files[0].read_bytes() != b"not bytecode"
    target = tmp_path / "elsewhere.bytecode"
    target.write_bytes(files[0].read_bytes())
    files[0].unlink()
    files[0].symlink_to(target)  # a symlink is not followed
    assert render() == first
    report._environment.cache_clear()
    cache.chmod(0o777)  # a directory others may write to is not used at all
    for path in cache.glob("jinja-*"):
        path.unlink()
    assert render() == first and not list(cache.glob("jinja-*"))
    report._environment.cache_clear()


def test_rule_resting_on_the_law_cites_the_law_text(real):
    """A rule with a source of kind gesetz shows the wording read as its source (Markdown and HTML; the text
    format lists findings without sources)."""
    data = yaml.safe_load((ROOT / "cases" / "source" / "hamburg-jugendhilfe-eckpunkte.yaml").read_text(encoding="utf-8"))
    data["clauses"]["child_protection"] = {"status": "fehlt"}
    result = evaluate(Agreement.model_validate(data), real[0], path="kinderschutz.yaml", check_date=CHECK_DATE)
    assert result.finding("GS-KINDERSCHUTZ-8A").verdict.value == "verletzt"
    assert result.overall == "nicht_zeichnungsreif"
    passage = "In Vereinbarungen mit den Trägern von Einrichtungen und Diensten, die Leistungen nach diesem Buch"
    for fmt, lang, label in (("markdown", "de", "Gesetzeswortlaut"), ("html", "de", "Gesetzeswortlaut"),
                             ("markdown", "en", "Statute text")):
        out = render_report([result], fmt, lang=lang, run=RUN)
        assert passage in out and label in out and "§ 8a Abs. 4 S. 1" in out, fmt
        assert "000_cfe332d5febb39fc.txt" not in out.split("GS-KINDERSCHUTZ-8A", 1)[1].split("Was zu ändern", 1)[0]


# --------------------------------------------------------------------------- text report without Jinja2


def _text_by_template(results, lang, run, run_notes=(), color=False) -> str:
    """The text report as templates/report.txt.j2 renders it from the full view: the reference."""
    from checker import report

    view = report.build_view(list(results), lang=lang, run=run, run_notes=run_notes)
    out = report._render_template(view, "text", color)
    return "\n".join(line.rstrip() for line in out.split("\n"))


@pytest.fixture(scope="module")
def every_case():
    catalogue = load_catalogue()
    paths = sorted((ROOT / "cases").glob("*/*.yaml"))
    paths = [p for p in paths if not p.name.endswith(".expected.yaml")]
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        return [check_file(str(p.relative_to(ROOT)), catalogue, check_date=CHECK_DATE) for p in paths]


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize("color", [False, True])
def test_text_report_is_its_template_byte_for_byte(every_case, small, lang, color):
    """render_report's text (brief view, no Jinja2) equals the Jinja2 template on the full view: every
    reference case alone and all together, and the small catalogue's agreement with a hostile input,
    waivers, waiver notes and notes of a waiver file."""
    assert len(every_case) >= 20
    for result in every_case:
        assert render_report([result], "text", lang=lang, run=RUN, color=color) == \
            _text_by_template([result], lang, RUN, color=color), result.path
    assert render_report(every_case, "text", lang=lang, run=RUN, color=color) == \
        _text_by_template(every_case, lang, RUN, color=color)
    notes = [WaiverNote("unused", AppliedWaiver("T-FRAGE", HOSTILE, "Vorstand", None, "waivers.yaml", 4)),
             WaiverNote("expired", AppliedWaiver("T-OFFEN", "alt", None, "2025-01-31", "waivers.yaml", 9))]
    results = [small_result(small, HOSTILE, path=f"eingabe/{HOSTILE}.yaml"), small_result(small)]
    for chosen in (results[:1], results):
        assert render_report(chosen, "text", lang=lang, run=RUN, color=color, run_notes=notes) == \
            _text_by_template(chosen, lang, RUN, notes, color=color)

