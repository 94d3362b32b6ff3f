"""CI habits users bring from Ruff, Checkov and Semgrep: --exit-zero, --output-format,
stdin, concise/github/gitlab formats, baseline, an invalid file among many, SARIF for
code scanning (helpUri, repository-relative URIs, ungeklärt only on request)."""

from __future__ import annotations

import io
import json
import shutil
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
import yaml

from checker import fingerprints
from checker.cli import main

ROOT = Path(__file__).resolve().parent.parent
D01 = "cases/defective/d01-keine-nachfinanzierung.yaml"
BREMEN = "cases/source/issab-3-03-bremen.yaml"  # 2 violations, many unresolved
NACHFINANZIERUNG = "ISSAB-VR-NACHFINANZIERUNG"
SARIF_SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"


@pytest.fixture(autouse=True)
def _setup(monkeypatch, catalogue):
    monkeypatch.setattr("checker.rules.load_catalogue", lambda *a, **k: catalogue)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    monkeypatch.chdir(ROOT)


def check(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["check", "--no-config", "--date", "2026-01-01", *args])
    out, err = capsys.readouterr()
    return code, out, err


def sarif_validate(log: dict) -> None:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker()).validate(log)


# --------------------------------------------------------------------------- exit codes and aliases


def test_exit_zero_keeps_the_report_but_passes(capsys):
    code, out, _err = check(capsys, D01, "--fail-on", "major", "-f", "concise")
    assert code == 1 and NACHFINANZIERUNG in out
    code, out_zero, _err = check(capsys, D01, "--fail-on", "major", "-f", "concise", "--exit-zero")
    assert code == 0 and out_zero == out


def test_exit_zero_does_not_hide_input_errors(capsys, tmp_path):
    bad = tmp_path / "kaputt.yaml"
    bad.write_text("meta: [\n", encoding="utf-8")
    code, out, err = check(capsys, str(bad), "--exit-zero", "-q")
    assert code == 2 and out == "" and "kaputt.yaml:2" in err


def test_output_format_is_an_alias_of_format(capsys):
    _code, via_format, _ = check(capsys, D01, "--format", "concise")
    _code, via_alias, _ = check(capsys, D01, "--output-format", "concise")
    assert via_alias == via_format != ""


# --------------------------------------------------------------------------- stdin


def test_stdin_with_filename(capsys, monkeypatch):
    data = (ROOT / D01).read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    monkeypatch.setattr("checker.cli.os.path.exists",
                        lambda p, _real=__import__("os").path.exists: False if p == "/dev/stdin" else _real(p))
    code, out, _err = check(capsys, "-", "--stdin-filename", "entwuerfe/d01.yaml", "-f", "concise", "--fail-on",
                            "major")
    assert code == 1
    assert out.startswith(f"entwuerfe/d01.yaml:288:5: {NACHFINANZIERUNG} verletzt erheblich ")


def test_stdin_errors_carry_the_filename(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"meta: [\n")))
    monkeypatch.setattr("checker.cli.os.path.exists",
                        lambda p, _real=__import__("os").path.exists: False if p == "/dev/stdin" else _real(p))
    code, out, err = check(capsys, "-", "--stdin-filename", "entwurf.yaml", "-q")
    assert code == 2 and out == "" and err.startswith("entwurf.yaml:2:1: ")


def test_stdin_only_once(capsys):
    code, _out, err = check(capsys, "-", "-", "-q")
    assert code == 2 and "nur einmal" in err


# --------------------------------------------------------------------------- one-line formats


def test_concise_is_one_line_per_finding(capsys):
    code, out, _err = check(capsys, D01, "cases/defective/d05-schiedsstelle-ausgeschlossen.yaml",
                            "-f", "concise", "-q")
    lines = out.splitlines()
    assert lines, out
    for line in lines:
        file, line_no, column, rest = line.split(":", 3)
        assert file.startswith("cases/defective/") and line_no.isdigit() and column.isdigit()
        rule_id, verdict, _severity, _title = rest.strip().split(" ", 3)
        assert verdict == "verletzt" and rule_id.isupper()
    assert len(lines) < 20  # the 40-odd ungeklärt findings are not listed


def test_concise_lists_unresolved_only_when_they_fail(capsys):
    _code, plain, _ = check(capsys, BREMEN, "-f", "concise", "-q")
    _code, strict, _ = check(capsys, BREMEN, "-f", "concise", "-q", "--fail-on-unresolved", "--fail-on", "hinweis")
    assert "ungeklärt" not in plain and " ungeklärt " in strict


def test_english_concise(capsys):
    _code, out, _ = check(capsys, D01, "-f", "concise", "--lang", "en")
    assert f"{NACHFINANZIERUNG} violated major " in out


def test_github_workflow_commands(capsys):
    code, out, _err = check(capsys, D01, "-f", "github", "--fail-on", "major", "-q")
    assert code == 1
    [line] = out.splitlines()
    assert line.startswith(f"::error file={D01},line=288,col=5,title={NACHFINANZIERUNG} (verletzt%2C erheblich)::")
    assert "\n" not in line and "%0A" not in line


def test_gitlab_code_quality(capsys):
    _code, out, _err = check(capsys, D01, "-f", "gitlab", "-q")
    issues = json.loads(out)
    assert issues and all(set(i) == {"description", "check_name", "fingerprint", "severity", "location"}
                          for i in issues)
    issue = next(i for i in issues if i["check_name"] == NACHFINANZIERUNG)
    assert issue["severity"] == "major"
    assert issue["location"] == {"path": D01, "lines": {"begin": 288}}
    assert len({i["fingerprint"] for i in issues}) == len(issues)


def test_pre_commit_hook_uses_concise():
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["entry"].split()[:2] == ["budgetcheck", "check"]
    assert "--output-format concise" in hook["entry"]


def test_pre_commit_run_prints_one_line_per_finding(capsys):
    """What pre-commit runs for two staged drafts: one line per violation, nothing else on stdout."""
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    files = [D01, "cases/defective/d06-keine-tarifklausel.yaml"]
    code = main([*hook["entry"].split()[1:], "--no-config", "--date", "2026-01-01", "-q", *files])
    out, err = capsys.readouterr()
    assert err == ""
    _c, full_json, _ = check(capsys, *files, "-f", "json")
    violations = sum(1 for a in json.loads(full_json)["agreements"] for f in a["findings"]
                     if f["verdict"] == "verletzt")
    assert len(out.splitlines()) == violations > 0
    assert code in (0, 1)


# --------------------------------------------------------------------------- baseline


def test_baseline_lets_only_new_findings_fail(capsys, tmp_path):
    draft = tmp_path / "entwurf.yaml"
    shutil.copy(ROOT / D01, draft)
    baseline = tmp_path / "baseline.json"
    code, _out, _err = check(capsys, str(draft), "--fail-on", "major", "--write-baseline", str(baseline), "-q")
    assert code == 1  # writing a baseline does not change the outcome
    document = json.loads(baseline.read_text(encoding="utf-8"))
    assert document["format"] == "budgetcheck-baseline"
    assert any(e["rule"] == NACHFINANZIERUNG and e["verdict"] == "verletzt" for e in document["findings"])

    # lines moved: still known, passes, nothing listed
    draft.write_text("# Kommentar\n\n\n" + (ROOT / D01).read_text(encoding="utf-8"), encoding="utf-8")
    code, out, _err = check(capsys, str(draft), "--fail-on", "major", "--baseline", str(baseline), "-f", "concise")
    assert (code, out) == (0, "")
    # the SARIF result stays, marked as suppressed
    code, out, _err = check(capsys, str(draft), "--fail-on", "major", "--baseline", str(baseline), "-f", "sarif")
    [result] = [r for r in json.loads(out)["runs"][0]["results"] if r["ruleId"] == NACHFINANZIERUNG]
    assert result["suppressions"][0]["kind"] == "external" and result["properties"]["baseline"] is True

    # a new violation fails: Schiedsstelle excluded
    new = yaml.safe_load(draft.read_text(encoding="utf-8"))
    new["clauses"]["schiedsstelle"]["status"] = "ausgeschlossen"
    draft.write_text(yaml.safe_dump(new, allow_unicode=True, sort_keys=False), encoding="utf-8")
    code, out, _err = check(capsys, str(draft), "--fail-on", "major", "--baseline", str(baseline), "-f", "concise")
    assert code == 1 and NACHFINANZIERUNG not in out and out.count("\n") >= 1


def test_bad_baseline_is_an_input_error(capsys, tmp_path):
    bad = tmp_path / "baseline.json"
    bad.write_text('{"format": "etwas anderes"}', encoding="utf-8")
    code, out, err = check(capsys, D01, "--baseline", str(bad))
    assert code == 2 and out == "" and "baseline.json" in err


def test_fingerprints_ignore_lines_and_language():
    class V:
        def __init__(self, value):
            self.value = value

    class F:
        id = "X-Y"
        verdict = V("verletzt")
        underlying = None

    class Waived(F):
        verdict = V("ausgenommen")
        underlying = V("verletzt")

    assert fingerprints.finding_fingerprint(F()) == fingerprints.finding_fingerprint(Waived())
    assert fingerprints.located_fingerprint("a.yaml", F()) != fingerprints.located_fingerprint("b.yaml", F())
    assert len(fingerprints.finding_fingerprint(F())) == 16


# --------------------------------------------------------------------------- invalid file among many


@pytest.fixture
def with_bad(tmp_path):
    bad = tmp_path / "kaputt.yaml"
    bad.write_text("meta:\n  title: 3\n  unbekannt: 1\n", encoding="utf-8")
    return str(bad)


@pytest.mark.parametrize("fmt", ["json", "sarif", "junit", "concise", "github", "gitlab"])
def test_invalid_file_is_reported_in_every_format_and_the_others_checked(capsys, tmp_path, with_bad, fmt):
    out_file = tmp_path / f"out.{fmt}"
    code, _out, err = check(capsys, D01, with_bad, "-o", f"{fmt}:{out_file}")
    assert code == 2
    assert "kaputt.yaml:3:3" in err
    text = out_file.read_text(encoding="utf-8")
    assert "kaputt.yaml" in text and NACHFINANZIERUNG in text  # the readable draft was checked
    if fmt == "json":
        doc = json.loads(text)
        assert [a["file"] for a in doc["agreements"]] == [D01]
        assert {e["file"] for e in doc["errors"]} == {with_bad}
        schema = json.loads((ROOT / "docs" / "report-schema.json").read_text(encoding="utf-8"))
        jsonschema.Draft202012Validator(schema).validate(doc)
    elif fmt == "sarif":
        log = json.loads(text)
        sarif_validate(log)
        invocation = log["runs"][0]["invocations"][0]
        assert invocation["executionSuccessful"] is False
        assert all(n["level"] == "error" for n in invocation["toolExecutionNotifications"])
    elif fmt == "junit":
        root = ET.fromstring(text)
        assert root.get("errors") == "1"
        [suite] = [s for s in root if s.get("name") == with_bad]
        assert suite.find("testcase/error") is not None


def test_all_files_invalid_writes_nothing(capsys, tmp_path, with_bad):
    out_file = tmp_path / "out.json"
    code, out, _err = check(capsys, with_bad, "-o", f"json:{out_file}")
    assert code == 2 and out == "" and not out_file.exists()


# --------------------------------------------------------------------------- SARIF for code scanning


def test_sarif_for_code_scanning(capsys):
    absolute = str(ROOT / D01)
    code, out, _err = check(capsys, absolute, "-f", "sarif", "--fail-on", "major")
    log = json.loads(out)
    sarif_validate(log)
    run = log["runs"][0]
    assert run["tool"]["driver"]["informationUri"].startswith("https://")
    assert "invalid" not in run["tool"]["driver"]["informationUri"]
    assert set(run["originalUriBaseIds"]) == {"PROJECTROOT"}
    # an absolute input path still gives a repository-relative URI
    location = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location["uri"] == D01 and location["uriBaseId"] == "PROJECTROOT"
    assert run["artifacts"][0]["location"] == {"uri": D01, "uriBaseId": "PROJECTROOT"}
    for rule in run["tool"]["driver"]["rules"]:
        assert rule["helpUri"].startswith(run["tool"]["driver"]["informationUri"] + "/blob/main/docs/rules.md#")
        assert rule["helpUri"].split("#")[1].startswith(rule["id"].lower())


def test_help_uri_anchor_matches_the_rules_doc_heading(capsys):
    from checker.formats import heading_anchor

    _code, out, _ = check(capsys, D01, "-f", "sarif", "--help-base-url", "https://example.org/rules.md")
    rule = next(r for r in json.loads(out)["runs"][0]["tool"]["driver"]["rules"] if r["id"] == NACHFINANZIERUNG)
    heading = next(line for line in (ROOT / "docs" / "rules.md").read_text(encoding="utf-8").splitlines()
                   if line.startswith(f"### {NACHFINANZIERUNG}:"))
    from urllib.parse import unquote

    assert unquote(rule["helpUri"]) == "https://example.org/rules.md#" + heading_anchor(heading[4:])
    assert unquote(rule["helpUri"]).endswith("#issab-vr-nachfinanzierung-verbindliche-nachfinanzierung-das-budget-ist-kein-deckel")


def test_project_root_option(capsys, tmp_path):
    _code, out, _ = check(capsys, D01, "-f", "sarif", "--project-root", "cases")
    location = json.loads(out)["runs"][0]["artifacts"][0]["location"]
    assert location == {"uri": "defective/d01-keine-nachfinanzierung.yaml", "uriBaseId": "PROJECTROOT"}


def test_sarif_unresolved_only_on_request(capsys):
    _code, out, _ = check(capsys, BREMEN, "-f", "sarif")
    verdicts = {r["properties"]["verdict"] for r in json.loads(out)["runs"][0]["results"]}
    assert verdicts == {"verletzt"}
    _code, out, _ = check(capsys, BREMEN, "-f", "sarif", "--sarif-unresolved")
    log = json.loads(out)
    sarif_validate(log)
    assert "ungeklaert" in {r["properties"]["verdict"] for r in log["runs"][0]["results"]}
    _code, out, _ = check(capsys, BREMEN, "-f", "sarif", "--fail-on-unresolved")  # failing ones always show
    results = json.loads(out)["runs"][0]["results"]
    assert all(r["properties"]["fails"] or r["properties"]["verdict"] == "verletzt" for r in results)
    assert any(r["properties"]["verdict"] == "ungeklaert" for r in results)
