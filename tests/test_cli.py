"""The ``check`` and ``rules`` commands: exit codes, outputs, waivers, configuration, robustness.

Exit codes: 0 passed, 1 a finding fails the run (``--fail-on``, ``--fail-on-unresolved``),
2 input or usage error -- and then nothing but messages on stderr is written.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from checker.cli import build_parser, expand_paths, main
from checker.engine import EvaluationError
from checker.rules import load_catalogue as real_load_catalogue

ROOT = Path(__file__).resolve().parent.parent
EXEMPLARY = "cases/source/hamburg-jugendhilfe-eckpunkte.yaml"
D01 = "cases/defective/d01-keine-nachfinanzierung.yaml"  # violates ISSAB-VR-NACHFINANZIERUNG (major)
D04 = "cases/defective/d04-exklusive-fallzuweisungsquote.yaml"  # violates blocker rules
NACHFINANZIERUNG = "ISSAB-VR-NACHFINANZIERUNG"


@pytest.fixture(autouse=True)
def _setup(monkeypatch, catalogue):
    """Run from the project root with the session's catalogue; no config file, no SOURCE_DATE_EPOCH."""
    monkeypatch.setattr("checker.rules.load_catalogue", lambda *a, **k: catalogue)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.chdir(ROOT)


def check(*args: str) -> int:
    return main(["check", "--no-config", "--date", "2026-01-01", *args])


def report_of(capsys, *args: str) -> tuple[int, dict]:
    code = check(*args, "-o", "json")
    return code, json.loads(capsys.readouterr().out)


def finding(report: dict, rule_id: str, index: int = 0) -> dict:
    return next(f for f in report["agreements"][index]["findings"] if f["id"] == rule_id)


def test_d01_precondition(capsys):
    """The cases these tests lean on still behave as described above."""
    _code, report = report_of(capsys, D01, EXEMPLARY, D04)
    violated = finding(report, NACHFINANZIERUNG)
    assert (violated["verdict"], violated["severity"]) == ("verletzt", "major")
    assert finding(report, NACHFINANZIERUNG, 1)["verdict"] == "erfuellt"
    assert any(f["verdict"] == "verletzt" and f["severity"] == "blocker" for f in report["agreements"][2]["findings"])


# --------------------------------------------------------------------------- exit codes


def test_exit_0_for_the_exemplary_case(capsys):
    assert check(EXEMPLARY, "-o", "json") == 0
    assert "1 ohne und 0 mit Befunden" in capsys.readouterr().err


def test_exit_1_for_a_blocker_violation(capsys):
    assert check(D04, "-o", "json") == 1
    err = capsys.readouterr().err
    assert D04 in err and "nicht zeichnungsreif" in err


def test_fail_on_major_turns_a_major_violation_into_exit_1(capsys):
    assert check(D01, "--select", NACHFINANZIERUNG, "-o", "json") == 0
    capsys.readouterr()
    code, report = report_of(capsys, D01, "--select", NACHFINANZIERUNG, "--fail-on", "major")
    assert code == 1
    assert finding(report, NACHFINANZIERUNG)["fails"] is True
    assert report["summary"] == {"agreements": 1, "failed": 1, "passed": False,
                                 "counts": {"ausgenommen": 0, "erfuellt": 0, "nicht_anwendbar": 0,
                                            "ungeklaert": 0, "verletzt": 1}}


def test_fail_on_unresolved(tmp_path, capsys):
    draft = tmp_path / "entwurf.yaml"
    draft.write_text("meta: {title: Entwurf ohne Angaben}\n", encoding="utf-8")
    assert check(str(draft), "--select", NACHFINANZIERUNG, "--fail-on", "major", "-o", "json") == 0
    capsys.readouterr()
    code, report = report_of(capsys, str(draft), "--select", NACHFINANZIERUNG, "--fail-on", "major",
                             "--fail-on-unresolved")
    assert code == 1
    assert finding(report, NACHFINANZIERUNG)["verdict"] == "ungeklaert"
    assert check(str(draft), "--select", NACHFINANZIERUNG, "--fail-on-unresolved", "-o", "json") == 0  # below


def test_bad_file_is_exit_2_and_nothing_is_written(tmp_path, capsys):
    bad = tmp_path / "kaputt.yaml"
    bad.write_text("meta:\n  title: x\n  unbekannt: 1\n", encoding="utf-8")
    out_json, out_sarif = tmp_path / "out.json", tmp_path / "out.sarif"
    before = sorted(p.name for p in tmp_path.iterdir())
    code = check(str(bad), "-o", f"json:{out_json}", "-o", f"sarif:{out_sarif}", "-o", "junit")
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert f"{bad}:3:3: meta.unbekannt: unbekannter Schlüssel" in captured.err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no report, no temporary file


def test_bad_file_among_good_ones_is_exit_2_and_reported_in_every_format(tmp_path, capsys):
    """Like Ruff: an unreadable file does not stop the check of the others; the run still exits 2."""
    bad = tmp_path / "kaputt.yaml"
    bad.write_text("meta:\n  title: x\n  unbekannt: 1\n", encoding="utf-8")
    out_json, out_sarif = tmp_path / "out.json", tmp_path / "out.sarif"
    code = check(EXEMPLARY, str(bad), "-o", f"json:{out_json}", "-o", f"sarif:{out_sarif}", "-o", "junit")
    captured = capsys.readouterr()
    assert code == 2
    assert f"{bad}:3:3: meta.unbekannt: unbekannter Schlüssel" in captured.err
    assert "<error" in captured.out and "kaputt.yaml" in captured.out and EXEMPLARY in captured.out
    report = json.loads(out_json.read_text(encoding="utf-8"))
    assert [a["file"] for a in report["agreements"]] == [EXEMPLARY]
    assert report["errors"][0]["file"] == str(bad) and report["errors"][0]["line"] == 3
    sarif = json.loads(out_sarif.read_text(encoding="utf-8"))
    assert sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"][0]["level"] == "error"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kaputt.yaml", "out.json", "out.sarif"]


def test_all_bad_files_are_reported_at_once(tmp_path, capsys):
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text("meta: {}\n", encoding="utf-8")
    assert check(str(tmp_path), "-o", "json") == 2
    err = capsys.readouterr().err
    assert "a.yaml" in err and "b.yaml" in err


def test_unknown_rule_in_select_is_exit_2(capsys):
    assert check(D01, "--select", "ISSAB-VR-NACHFINANZIERUN", "-o", "json") == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "--select ISSAB-VR-NACHFINANZIERUN" in captured.err and f"'{NACHFINANZIERUNG}'" in captured.err
    assert check(D01, "--ignore", "keine-gruppe", "-o", "json") == 2


def test_select_by_prefix_and_group_and_ignore(capsys):
    _code, report = report_of(capsys, D01, "--select", "ISSAB-VR,konsistenz", "--ignore", NACHFINANZIERUNG)
    ids = [f["id"] for f in report["agreements"][0]["findings"]]
    assert ids and NACHFINANZIERUNG not in ids
    assert all(i.startswith("ISSAB-VR-") or f["group"] == "konsistenz"
               for i, f in zip(ids, report["agreements"][0]["findings"]))
    assert report["run"]["rule_count"] == len(ids)


def test_bad_rule_catalogue_is_exit_2(tmp_path, monkeypatch, capsys):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "kaputt.yaml").write_text("rules:\n  - id: nicht-gross\n", encoding="utf-8")
    monkeypatch.setattr("checker.rules.load_catalogue", lambda *a, **k: real_load_catalogue(rules))
    out = tmp_path / "out.json"
    assert check(D01, "-o", f"json:{out}") == 2
    err = capsys.readouterr().err
    assert "Regelkatalog fehlerhaft" in err and "kaputt.yaml" in err
    assert not out.exists()


def test_empty_rule_catalogue_is_exit_2(tmp_path, monkeypatch, capsys):
    """An installation without rules/ must not pass every agreement."""
    monkeypatch.setattr("checker.rules.load_catalogue", lambda *a, **k: real_load_catalogue(tmp_path / "fehlt"))
    assert check(D04, "-o", "json") == 2
    assert "Regelkatalog leer" in capsys.readouterr().err
    assert main(["rules"]) == 2


def test_engine_error_names_the_agreement(tmp_path, monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise EvaluationError(["Aktion fehlgeschlagen"])

    monkeypatch.setattr("checker.check.evaluate", broken)
    out = tmp_path / "out.sarif"
    assert check(D01, "-o", f"sarif:{out}") == 2
    err = capsys.readouterr().err
    assert f"{D01}: Fehler der Regel-Engine: Aktion fehlgeschlagen" in err
    assert list(tmp_path.iterdir()) == []


def test_keyboard_interrupt_is_exit_130_without_leftovers(tmp_path, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("checker.check.evaluate", interrupted)
    assert check(D01, "-o", f"json:{tmp_path / 'out.json'}") == 130
    assert capsys.readouterr().err == ""
    assert list(tmp_path.iterdir()) == []


def test_usage_errors_are_exit_2(tmp_path, capsys):
    assert check(D01, "-o", "json", "-o", "sarif") == 2  # two formats on stdout
    assert "höchstens ein Format" in capsys.readouterr().err
    assert check(D01, "-o", "pdf") == 2
    assert check(D01, "-o", f"json:{tmp_path / 'x'}", "-o", f"sarif:{tmp_path / 'x'}") == 2
    assert check(D01, "-o", f"json:{D01}") == 2  # never overwrite an input
    assert "Eingabedatei" in capsys.readouterr().err
    assert check(D01, "-o", f"json:{tmp_path / 'fehlt' / 'out.json'}") == 2  # directory missing
    assert main(["check", "--date", "2026-13-01", D01]) == 2
    assert check("cases/*.nichts") == 2
    assert "keine Datei passt" in capsys.readouterr().err


def test_missing_agreement_file_is_exit_2(capsys):
    assert check("cases/fehlt.yaml", "-o", "json") == 2
    assert "cases/fehlt.yaml: Datei nicht gefunden" in capsys.readouterr().err


# --------------------------------------------------------------------------- outputs


def test_several_formats_in_one_run(tmp_path, capsys):
    files = {fmt: tmp_path / f"bericht.{fmt}" for fmt in ("json", "junit", "sarif")}
    code = check(D01, EXEMPLARY, *(arg for fmt, path in files.items() for arg in ("-o", f"{fmt}:{path}")))
    captured = capsys.readouterr()
    assert code == 0 and captured.out == ""
    for fmt, path in files.items():
        assert path.exists() and f"{path}: {fmt}-Bericht geschrieben" in captured.err
    assert json.loads(files["json"].read_text(encoding="utf-8"))["summary"]["agreements"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in files.values())
    if os.name == "posix":  # the usual mode, not mkstemp's 0600
        mask = os.umask(0)
        os.umask(mask)
        assert all(p.stat().st_mode & 0o777 == 0o666 & ~mask for p in files.values())


def test_one_format_on_stdout_and_one_in_a_file(tmp_path, capsys):
    sarif = tmp_path / "out.sarif"
    assert check(D01, "-o", "json", "-o", f"sarif:{sarif}") == 0
    assert json.loads(capsys.readouterr().out)["format"] == "budgetcheck-report"
    assert json.loads(sarif.read_text(encoding="utf-8"))["version"] == "2.1.0"


def test_output_replaces_an_existing_report(tmp_path, capsys):
    out = tmp_path / "out.json"
    out.write_text("alt", encoding="utf-8")
    assert check(D01, "-o", f"json:{out}", "-q") == 0
    assert json.loads(out.read_text(encoding="utf-8"))["format"] == "budgetcheck-report"
    assert capsys.readouterr().err == ""  # -q


def test_inputs_unchanged_and_runs_byte_identical(tmp_path, capsys):
    inputs = [ROOT / EXEMPLARY, ROOT / D01]
    before = [hashlib.sha256(p.read_bytes()).hexdigest() for p in inputs]
    outputs = []
    for run in ("a", "b"):
        directory = tmp_path / run
        directory.mkdir()
        assert check(EXEMPLARY, D01, *(arg for fmt in ("json", "junit", "sarif")
                                       for arg in ("-o", f"{fmt}:{directory / fmt}"))) == 0
        outputs.append({fmt: (directory / fmt).read_bytes() for fmt in ("json", "junit", "sarif")})
    assert outputs[0] == outputs[1]
    assert [hashlib.sha256(p.read_bytes()).hexdigest() for p in inputs] == before


def test_check_date_from_source_date_epoch(monkeypatch, capsys):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01T00:00:00Z
    assert main(["check", "--no-config", D01, "-o", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["run"]["check_date"] == "2026-01-01"
    assert main(["check", "--no-config", "--date", "2027-05-01", D01, "-o", "json"]) == 0  # --date wins
    assert json.loads(capsys.readouterr().out)["run"]["check_date"] == "2027-05-01"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "gestern")
    assert main(["check", "--no-config", D01, "-o", "json"]) == 2
    assert "SOURCE_DATE_EPOCH=gestern" in capsys.readouterr().err


def test_directories_and_globs_are_expanded(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / ".git").mkdir()
    for name in ("b/z.yaml", "a.yml", "c.json", "notiz.txt", ".git/x.yaml", "b/ausnahmen.yaml"):
        (tmp_path / name).write_text("", encoding="utf-8")
    found = expand_paths([str(tmp_path)], exclude=[str(tmp_path / "b" / "ausnahmen.yaml")])
    assert [Path(p).relative_to(tmp_path).as_posix() for p in found] == ["a.yml", "b/z.yaml", "c.json"]
    assert expand_paths([f"{tmp_path}/*.y*ml", str(tmp_path / "a.yml")]) == [(tmp_path / "a.yml").as_posix()]
    assert expand_paths(["cases/defective"]) == sorted(p.as_posix() for p in Path("cases/defective").glob("*.yaml"))


# --------------------------------------------------------------------------- human formats


def test_text_is_the_default_and_comes_from_the_report_module(capsys):
    """The terminal report is streamed agreement by agreement (checker.report.TextParts), the
    same text render_report gives."""
    from checker import report

    assert check(D01, "--lang", "en") == 0
    default = capsys.readouterr().out
    assert check(D01, "--lang", "en", "-f", "text") == 0
    assert capsys.readouterr().out == default
    assert default.startswith(report._w("report", "en")) and "== " + D01 in default


def test_missing_report_module_is_a_clear_exit_2(tmp_path, monkeypatch, capsys):
    def missing():
        raise ImportError("No module named 'checker.report'")

    monkeypatch.setattr("checker.cli._render_human", missing)
    out = tmp_path / "out.json"
    assert check(D01, "-o", "html:bericht.html", "-o", f"json:{out}") == 2
    assert "Format 'html' ist nicht verfügbar" in capsys.readouterr().err
    assert not out.exists() and not Path("bericht.html").exists()


# --------------------------------------------------------------------------- waivers


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_waived_violation_passes(tmp_path, capsys):
    waivers = write(tmp_path / "ausnahmen.yaml", f"""waivers:
  - rule: {NACHFINANZIERUNG}
    reason: Nachfinanzierung regelt die Rahmenvereinbarung
    granted_by: Fachamt Jugend
    expires: 2026-06-30
""")
    code, report = report_of(capsys, D01, "--select", NACHFINANZIERUNG, "--fail-on", "major",
                             "--waivers", str(waivers))
    assert code == 0
    waived = finding(report, NACHFINANZIERUNG)
    assert (waived["verdict"], waived["underlying_verdict"], waived["fails"]) == ("ausgenommen", "verletzt", False)
    assert waived["waiver"] == {"rule": NACHFINANZIERUNG, "reason": "Nachfinanzierung regelt die Rahmenvereinbarung",
                                "granted_by": "Fachamt Jugend", "expires": "2026-06-30", "origin": str(waivers),
                                "line": 2}
    assert report["waiver_notes"] == []


def test_expired_waiver_fails_again_and_is_reported(tmp_path, capsys):
    waivers = write(tmp_path / "ausnahmen.yaml", f"""waivers:
  - rule: {NACHFINANZIERUNG}
    reason: galt bis Ende 2025
    expires: 2025-12-31
""")
    code, report = report_of(capsys, D01, "--select", NACHFINANZIERUNG, "--fail-on", "major",
                             "--waivers", str(waivers))
    assert code == 1
    assert finding(report, NACHFINANZIERUNG)["verdict"] == "verletzt"
    assert [n["kind"] for n in report["agreements"][0]["waiver_notes"]] == ["expired"]
    assert [n["kind"] for n in report["waiver_notes"]] == ["expired"]


def test_unused_and_unknown_waivers_are_reported(tmp_path, capsys):
    waivers = write(tmp_path / "ausnahmen.yaml", f"""waivers:
  - rule: {NACHFINANZIERUNG}
    reason: gilt nur für Altona
    paths: ["altona/*.yaml"]
  - rule: GIBT-ES-NICHT
    reason: Tippfehler
""")
    code, report = report_of(capsys, EXEMPLARY, "--waivers", str(waivers))
    assert code == 0
    assert [(n["kind"], n["waiver"]["rule"], n["waiver"]["line"]) for n in report["waiver_notes"]] == [
        ("unused", NACHFINANZIERUNG, 2), ("unknown_rule", "GIBT-ES-NICHT", 5)]
    assert report["agreements"][0]["waiver_notes"] == []
    check(EXEMPLARY, "--waivers", str(waivers), "-o", f"json:{tmp_path / 'out.json'}")
    err = capsys.readouterr().err
    assert f"{waivers}:2: Ausnahme für {NACHFINANZIERUNG} wird nicht gebraucht" in err


def test_waiver_paths_select_agreements(tmp_path, capsys):
    (tmp_path / "altona").mkdir()
    draft = tmp_path / "altona" / "d01.yaml"
    draft.write_bytes((ROOT / D01).read_bytes())
    other = tmp_path / "d01-woanders.yaml"
    other.write_bytes((ROOT / D01).read_bytes())
    waivers = write(tmp_path / "ausnahmen.yaml", f"""waivers:
  - {{rule: {NACHFINANZIERUNG}, reason: nur Altona, paths: ["altona/*.yaml"]}}
""")
    code, report = report_of(capsys, str(draft), str(other), "--select", NACHFINANZIERUNG, "--fail-on", "major",
                             "--waivers", str(waivers))
    assert code == 1
    assert finding(report, NACHFINANZIERUNG, 0)["verdict"] == "ausgenommen"
    assert finding(report, NACHFINANZIERUNG, 1)["verdict"] == "verletzt"
    assert report["waiver_notes"] == []


def test_waiver_in_the_agreement_file(tmp_path, capsys):
    draft = tmp_path / "d01.yaml"
    draft.write_text((ROOT / D01).read_text(encoding="utf-8")
                     + f"\nwaivers:\n  - rule: {NACHFINANZIERUNG}\n    reason: im Vertrag begründet\n",
                     encoding="utf-8")
    code, report = report_of(capsys, str(draft), "--select", NACHFINANZIERUNG, "--fail-on", "major")
    assert code == 0
    assert finding(report, NACHFINANZIERUNG)["waiver"]["origin"] == str(draft)


def test_waiver_without_reason_is_exit_2_with_file_and_line(tmp_path, capsys):
    waivers = write(tmp_path / "ausnahmen.yaml", f"waivers:\n  - rule: {NACHFINANZIERUNG}\n    granted_by: x\n")
    out = tmp_path / "out.json"
    assert check(D01, "--waivers", str(waivers), "-o", f"json:{out}") == 2
    assert f"{waivers}:2:5: waivers[0].reason: Pflichtangabe fehlt" in capsys.readouterr().err
    assert not out.exists()
    write(waivers, f"waivers:\n  - rule: {NACHFINANZIERUNG}\n    reason: ok\n    pfade: [x]\n")
    assert check(D01, "--waivers", str(waivers), "-o", "json") == 2
    assert f"{waivers}:4:5: waivers[0].pfade: unbekannter Schlüssel" in capsys.readouterr().err


# --------------------------------------------------------------------------- configuration


def test_config_file_sets_defaults_and_flags_override(tmp_path, monkeypatch, capsys):
    shutil_copy = (ROOT / D01).read_bytes()
    (tmp_path / "d01.yaml").write_bytes(shutil_copy)
    write(tmp_path / "budgetcheck.toml", f"""# Vorgaben für dieses Repository
select = ["{NACHFINANZIERUNG}"]
fail-on = "major"
output = ["json:bericht.json"]
""")
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--date", "2026-01-01", "d01.yaml"]) == 1
    report = json.loads((tmp_path / "bericht.json").read_text(encoding="utf-8"))
    assert report["run"]["fail_on"] == "major" and report["run"]["rule_count"] == 1
    assert main(["check", "--date", "2026-01-01", "--fail-on", "blocker", "d01.yaml"]) == 0
    assert main(["check", "--no-config", "--date", "2026-01-01", "d01.yaml", "-o", "json"]) == 0
    capsys.readouterr()


def test_pyproject_table_is_found_from_a_subdirectory(tmp_path, monkeypatch, capsys):
    write(tmp_path / "pyproject.toml", f"""[project]
name = "vereinbarungen"

[tool.budgetcheck]
select = "{NACHFINANZIERUNG}"
fail-on = "major"
lang = "en"
waivers = ["ausnahmen.yaml"]
""")
    write(tmp_path / "ausnahmen.yaml", f"waivers:\n  - {{rule: {NACHFINANZIERUNG}, reason: geregelt}}\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "d01.yaml").write_bytes((ROOT / D01).read_bytes())
    monkeypatch.chdir(tmp_path / "sub")
    assert main(["check", "--date", "2026-01-01", "d01.yaml", "-o", "sarif"]) == 0
    run = json.loads(capsys.readouterr().out)["runs"][0]
    assert run["language"] == "en-US"
    assert run["results"][0]["suppressions"][0]["justification"] == "geregelt"


def test_unknown_config_key_is_exit_2_with_suggestion(tmp_path, monkeypatch, capsys):
    config = write(tmp_path / "budgetcheck.toml", 'lang = "de"\nfail_on = "major"\n')
    assert main(["check", "--config", str(config), D01, "-o", "json"]) == 2
    err = capsys.readouterr().err
    assert f"{config}:2:1: fail_on: unbekannter Schlüssel 'fail_on' (meinten Sie 'fail-on'?)" in err
    write(config, 'fail-on = "schlimm"\n')
    assert main(["check", "--config", str(config), D01, "-o", "json"]) == 2
    assert f"{config}:1:1: fail-on: unzulässiger Wert 'schlimm'" in capsys.readouterr().err
    write(config, "fail-on = \n")
    assert main(["check", "--config", str(config), D01, "-o", "json"]) == 2
    assert f"{config}:1:" in capsys.readouterr().err


# --------------------------------------------------------------------------- rules


def test_rules_list_and_show(capsys, catalogue):
    assert main(["rules"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(catalogue.rules)
    assert lines[0].split()[:3] == [catalogue.rules[0].id, catalogue.rules[0].rule.severity.value,
                                    catalogue.rules[0].rule.group.value]
    assert main(["rules", "show", NACHFINANZIERUNG.lower()]) == 0
    out = capsys.readouterr().out
    rule = catalogue.by_id[NACHFINANZIERUNG].rule
    for text in (rule.title.de, rule.source[0].passage, rule.source[0].section, "SGB VIII",
                 rule.rationale.de, rule.recommendation.de, rule.tests[0].name, "rules/issab-vertrag.yaml"):
        assert text in out
    assert main(["rules", "show", "ISSAB-VR-NACHFINANZIERUN"]) == 2
    assert f"meinten Sie '{NACHFINANZIERUNG}'?" in capsys.readouterr().err
    assert main(["--lang", "en", "rules", "show", NACHFINANZIERUNG]) == 0
    assert rule.title.en in capsys.readouterr().out


def test_rules_paths(capsys):
    from checker.facts import describe_paths

    assert main(["rules", "paths"]) == 0
    assert capsys.readouterr().out == describe_paths() + "\n"


def test_docs_rules_md_is_current(capsys):
    """docs/rules.md is generated; after a rule change run: python3 dev.py rules --format md > docs/rules.md"""
    assert main(["rules", "--format", "md"]) == 0
    generated = capsys.readouterr().out
    committed = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert generated == committed, "docs/rules.md is stale: python3 dev.py rules --format md > docs/rules.md"


# --------------------------------------------------------------------------- robustness and parser


def test_broken_pipe_prints_no_traceback(tmp_path):
    """``budgetcheck rules --format md | head -1``: the reader is gone before we write."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "checker", "rules", "--format", "md"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # like `head` exiting at once
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    proc.stderr.close()
    assert "Traceback" not in err and "Exception ignored" not in err
    assert proc.returncode == 141


def test_lang_flag_is_recorded_for_config_override():
    args = build_parser().parse_args(["check", "x.yaml"])
    assert args.lang == "de" and not getattr(args, "lang_given", False)
    args = build_parser().parse_args(["check", "x.yaml", "--lang", "en"])
    assert args.lang == "en" and args.lang_given


def test_exclude_skips_matching_files_in_directories(tmp_path, capsys):
    good = tmp_path / "a.yaml"
    good.write_text("meta: {title: A}\n", encoding="utf-8")
    (tmp_path / "a.expected.yaml").write_text("verdicts: {}\n", encoding="utf-8")
    assert main(["check", str(tmp_path), "--no-config", "--exclude", "*.expected.yaml", "-o", "json"]) in (0, 1)
    assert json.loads(capsys.readouterr().out)["agreements"][0]["file"].endswith("a.yaml")
    assert main(["check", str(tmp_path), "--no-config", "-o", "json"]) == 2  # not an agreement
