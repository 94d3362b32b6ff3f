"""Hardening: hostile input end to end, properties over many agreements, determinism, --jobs, cache.

Covered elsewhere, and not repeated here:

* ``tests/test_loader.py`` -- every loader error with file, line, column and message in both
  languages (YAML/JSON syntax, wrong types, NaN, infinite and negative amounts, duplicate keys,
  tags, control characters, invalid UTF-8, UTF-8 after a byte-order mark, top-level lists,
  lone surrogates), alias bombs and recursive aliases, the size limit just above and at
  5 MiB, the nesting limit (and 300,000 levels without a crash), the node limit, a BOM read
  correctly, random documents, bytes and YAML-like text (hypothesis), the file unchanged by
  loading;
* ``tests/test_cli.py`` -- exit codes, nothing written on exit 2, input files unchanged and two
  runs byte-identical (json, junit, sarif, in one process), broken pipe, Ctrl-C;
* ``tests/test_formats.py`` and ``tests/test_report.py`` -- hostile strings escaped by each
  renderer (json, sarif, junit; text, markdown, html).

Added here:

* the hazards above through the command line: exit code 2, ``FILE:LINE`` on stderr, nothing
  written, the input unchanged -- including a sparse 100 MB file that is refused before it is
  read, huge numbers, and a reversed period that is *not* an input error;
* one run of the command line with all six formats on hostile strings (file name included);
* properties (hypothesis) over agreements mutated from the reference cases: a valid mutation
  always loads and always gets a Result with one finding per rule; an invalid one only ever
  raises ``InputError`` that points at the changed value;
* reports byte-identical across ``PYTHONHASHSEED`` in subprocesses, in every format, with
  ``--jobs 1`` and ``--jobs 2``, and the inputs unchanged;
* ``check --jobs 2`` gives the same bytes, messages and exit codes as ``--jobs 1``;
* the compiled-catalogue cache: used when current, ignored when stale, corrupt or foreign
  (a hostile pickle is never executed), safe with concurrent writers, off when disabled.

No test here measures time; ``benchmarks/bench.py`` does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import multiprocessing
import os
import pickle
import re
import shutil
import subprocess
import sys
import types
import typing
import xml.etree.ElementTree as ET
from enum import Enum
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from checker import loader, rules
from checker.check import check_file, evaluate
from checker.cli import main
from checker.loader import MAX_FILE_BYTES, InputError, load_agreement
from checker.model import Agreement
from checker.rules import Verdict
from checker.verdicts import AgreementResult
from tests.conftest import CHECK_DATE, ROOT

CASES = sorted(p for p in (ROOT / "cases").glob("*/*.yaml") if not p.name.endswith(".expected.yaml"))
EXEMPLARY = ROOT / "cases" / "source" / "hamburg-jugendhilfe-eckpunkte.yaml"
FORMATS = ("text", "markdown", "html", "json", "junit", "sarif")
SUFFIX = {"text": "txt", "markdown": "md", "html": "html", "json": "json", "junit": "xml", "sarif": "sarif"}
HOSTILE = "<script>alert(1)</script> | **x** [l](javascript:x) `c` \x1b[31mrot\x1b[0m \x07 \u202eevil\u202c \x00 & \"q\""
RAW_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
OVERALL = {"nicht_zeichnungsreif", "nicht_pruefbar", "nicht_zeichnungsreif_ohne_klaerung", "zeichnungsreif_mit_auflagen",
           "zeichnungsreif"}


@pytest.fixture(autouse=True)
def _session_catalogue(monkeypatch, catalogue):
    """In-process CLI runs use the session's catalogue; no config file, no SOURCE_DATE_EPOCH."""
    monkeypatch.setattr("checker.rules.load_catalogue", lambda *a, **k: catalogue)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check(*args: str) -> int:
    return main(["check", "--no-config", "-q", "--date", CHECK_DATE.isoformat(), *args])


def case_data(path: Path = EXEMPLARY) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- hostile files, through the CLI


def _alias_bomb() -> str:
    lines = ["meta: {title: x}", 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in "bcdefghi":
        lines.append(f"{level}: &{level} [" + ", ".join([f"*{chr(ord(level) - 1)}"] * 9) + "]")
    return "\n".join(lines) + "\n"


BAD_FILES = [  # name, content, line of the error (None: the file as a whole), part of the message
    pytest.param("bomb.yaml", _alias_bomb(), 3, "YAML-Aliase", id="alias-bomb"),
    pytest.param("deep.yaml", "meta: {title: x}\nx: " + "[" * 80 + "]" * 80 + "\n", 2, "zu tief", id="deep-yaml"),
    pytest.param("deep.json", '{"meta": {"title": "x"},\n "x": ' + "[" * 80 + "]" * 80 + "}", 2, "zu tief",
                 id="deep-json"),
    pytest.param("utf8.yaml", b"meta:\n  title: \xc3\x28 kaputt\n", 2, "kein g\u00fcltiges UTF-8", id="invalid-utf8"),
    pytest.param("dup.yaml", "meta:\n  title: a\n  title: b\n", 3, "doppelt", id="duplicate-key"),
    pytest.param("huge.yaml", "meta: {title: x}\nbudget:\n  amount_per_year: 1.0e+400\n", 3, "endlich",
                 id="huge-float"),
    pytest.param("huge-int.yaml", "meta: {title: x}\nbudget:\n  amount_per_year: " + "9" * 40 + "\n", 3,
                 "höchstens", id="huge-int"),
    pytest.param("nan.yaml", "meta: {title: x}\nbudget:\n  amount_per_year: .nan\n", 3, "NaN", id="nan"),
    pytest.param("inf.yaml", "meta: {title: x}\nbudget:\n  earmarks:\n    - amount: -.inf\n", 4, "endlich",
                 id="minus-inf"),
    pytest.param("nan.json", '{"meta": {"title": "x"},\n "budget": {"amount_per_year": NaN}}', 2, "NaN",
                 id="json-nan"),
    pytest.param("neg.yaml", "meta: {title: x}\nbudget:\n  amount_per_year: -1\n", 3, "negativ", id="negative"),
    pytest.param("ctrl.yaml", "meta:\n  title: a\x1bb\n", 2, "Steuerzeichen", id="raw-control-char"),
]


@pytest.mark.parametrize(("name", "content", "line", "message"), BAD_FILES)
def test_hostile_file_is_exit_2_with_file_and_line_and_nothing_written(tmp_path, capsys, name, content, line,
                                                                        message):
    bad = tmp_path / "in" / name
    bad.parent.mkdir()
    bad.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    good = tmp_path / "in" / "good.yaml"
    shutil.copy(EXEMPLARY, good)
    before = {p: sha(p) for p in (bad, good)}
    out = tmp_path / "out"
    out.mkdir()
    outputs = [arg for fmt in ("json", "junit", "sarif") for arg in ("-o", f"{fmt}:{out / fmt}")]
    assert check(str(bad), *outputs) == 2  # alone: nothing is written
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"{bad}:{line}:" in captured.err and message in captured.err, captured.err
    assert list(out.iterdir()) == []  # no report, no temporary file
    # among readable files: those are checked, the bad one is reported as an error in every format
    assert check(str(good), str(bad), *outputs) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"{bad}:{line}:" in captured.err and message in captured.err, captured.err
    assert str(good) not in captured.err
    assert sorted(p.name for p in out.iterdir()) == ["json", "junit", "sarif"]  # no temporary file left
    for fmt in ("json", "junit", "sarif"):
        text = (out / fmt).read_text(encoding="utf-8")
        assert name in text and "good.yaml" in text, fmt
    assert {p: sha(p) for p in (bad, good)} == before


def test_100_mb_file_is_refused_before_it_is_read(tmp_path, monkeypatch, capsys):
    big = tmp_path / "gross.yaml"
    with open(big, "wb") as handle:  # sparse: 100 MB on paper, a few bytes on disk
        handle.write(b"meta:\n  title: x\n")
        handle.truncate(100 * 1024 * 1024)
    read = []

    class Counting:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def fileno(self):
            return self.handle.fileno()

        def read(self, size=-1):
            data = self.handle.read(size)
            read.append(len(data))
            return data

    monkeypatch.setattr(loader, "open", lambda *a, **k: Counting(open(*a, **k)), raising=False)
    with pytest.raises(InputError, match="Datei ist zu groß"):
        load_agreement(big)
    assert sum(read) <= MAX_FILE_BYTES + 1
    assert check(str(big), "-o", f"json:{tmp_path / 'r.json'}") == 2
    assert f"{big}: Datei ist zu groß (mehr als {MAX_FILE_BYTES} Bytes)" in capsys.readouterr().err
    assert not (tmp_path / "r.json").exists()
    assert big.stat().st_size == 100 * 1024 * 1024


def test_reversed_period_and_byte_order_mark_are_checked_not_refused(tmp_path, capsys):
    data = case_data()
    data["meta"]["period"] = {"start": dt.date(2029, 12, 31), "end": dt.date(2027, 1, 1)}
    reversed_file = tmp_path / "rueckwaerts.yaml"
    reversed_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    bom = tmp_path / "bom.yaml"
    bom.write_bytes(b"\xef\xbb\xbf" + EXEMPLARY.read_bytes())
    assert check(str(reversed_file), str(bom), "-o", "json") in (0, 1)
    report = json.loads(capsys.readouterr().out)
    first, second = report["agreements"]
    assert len(first["findings"]) == len(second["findings"]) > 0
    assert second["sha256"] == sha(bom)  # the bytes as they are, BOM included


# --------------------------------------------------------------------------- hostile strings, all six formats


def write_hostile(directory: Path) -> Path:
    data = case_data(ROOT / "cases" / "defective" / "d01-keine-nachfinanzierung.yaml")
    data["meta"]["title"] = HOSTILE
    data["parties"]["takers"][0]["name"] = HOSTILE
    data["clauses"]["overspending"]["section"] = HOSTILE
    data["clauses"]["overspending"]["wording"] = HOSTILE + "\nzweite Zeile\n# keine Überschrift"
    data["waivers"] = [{"rule": "ISSAB-VR-NACHFINANZIERUNG", "reason": HOSTILE, "granted_by": HOSTILE}]
    path = directory / "vertrag <b>&amp;[x](y).yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=False, sort_keys=False), encoding="utf-8")
    return path


def run_all_formats(inputs: list[str], out: Path, *extra: str) -> tuple[int, dict[str, str]]:
    out.mkdir(exist_ok=True)
    args = [a for fmt in FORMATS for a in ("-o", f"{fmt}:{out / ('report.' + SUFFIX[fmt])}")]
    code = check(*inputs, *args, *extra)
    return code, {fmt: (out / f"report.{SUFFIX[fmt]}").read_text(encoding="utf-8") for fmt in FORMATS}


def test_hostile_strings_are_escaped_in_every_format(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    hostile = write_hostile(tmp_path)
    before = sha(hostile)
    code, out = run_all_formats([hostile.name, str(EXEMPLARY)], tmp_path / "out")
    assert code in (0, 1)
    for fmt, text in out.items():
        assert not RAW_CONTROL.search(text), (fmt, RAW_CONTROL.search(text))
    assert "<script" not in out["html"].lower() and "&lt;script&gt;" in out["html"]
    assert "<script>" not in out["markdown"] and "\\<script\\>" in out["markdown"]
    assert "⟨U+001B⟩" in out["text"] and "⟨U+202E⟩" in out["html"]
    document = json.loads(out["json"])
    assert document["agreements"][0]["meta"]["title"] == HOSTILE  # escaped in the file, exact when parsed
    assert document["agreements"][0]["file"] == hostile.name
    sarif = json.loads(out["sarif"])
    assert any(r.get("suppressions") and r["suppressions"][0]["justification"] == HOSTILE
               for r in sarif["runs"][0]["results"])
    junit = ET.fromstring(out["junit"].encode("utf-8"))  # well-formed XML
    assert junit.find("testsuite").get("name") == hostile.name
    assert "<script>" not in out["junit"]
    assert sha(hostile) == before


# --------------------------------------------------------------------------- determinism across processes


def _subprocess_env(tmp_path: Path, seed: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATE_EPOCH", "BUDGETCHECK_RULES_DIR")}
    env.update(PYTHONHASHSEED=seed, PYTHONPATH=str(ROOT), NO_COLOR="1",
               BUDGETCHECK_CACHE_DIR=str(tmp_path / f"cache-{seed}"))
    return env


def test_reports_are_byte_identical_across_hash_seeds_and_jobs(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    names = []
    for source in CASES[:4] + [ROOT / "cases" / "source" / "issab-3-11-nordfriesland.yaml"]:
        shutil.copy(source, work / source.name)
        names.append(source.name)
    names.append(write_hostile(work).name)
    before = {name: sha(work / name) for name in names}
    runs = {}
    for label, seed, jobs in (("a", "0", "1"), ("b", "4242", "1"), ("c", "987654", "2")):
        out = tmp_path / label
        out.mkdir()
        args = [a for fmt in FORMATS for a in ("-o", f"{fmt}:{out / ('report.' + SUFFIX[fmt])}")]
        proc = subprocess.run([sys.executable, "-m", "checker", "check", "--no-config", "--date",
                               CHECK_DATE.isoformat(), "--jobs", jobs, *names, *args],
                              cwd=work, env=_subprocess_env(tmp_path, seed), capture_output=True, text=True)
        assert proc.returncode in (0, 1), proc.stderr
        runs[label] = {fmt: (out / f"report.{SUFFIX[fmt]}").read_bytes() for fmt in FORMATS}
        runs[label]["stderr"] = proc.stderr.replace(str(out), "OUT").encode()
    assert runs["a"] == runs["b"] == runs["c"]
    assert {name: sha(work / name) for name in names} == before


# --------------------------------------------------------------------------- --jobs


def test_jobs_2_gives_the_same_bytes_as_jobs_1(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    inputs = [str(p.relative_to(ROOT)) for p in CASES if "hamburg" in p.name or "defective" in str(p)]
    one = run_all_formats(inputs, tmp_path / "one", "--jobs", "1")
    two = run_all_formats(inputs, tmp_path / "two", "--jobs", "2")
    zero = run_all_formats(inputs, tmp_path / "zero", "--jobs", "0")  # all cores
    assert one == two == zero
    assert one[0] == 1  # the defective drafts fail
    everything = [str(p.relative_to(ROOT)) for p in CASES]
    machine = []
    for jobs in ("1", "2"):
        out = tmp_path / f"m{jobs}"
        out.mkdir()
        outputs = [a for fmt in ("json", "junit", "sarif") for a in ("-o", f"{fmt}:{out / fmt}")]
        check(*everything, "--jobs", jobs, *outputs)
        machine.append({fmt: (out / fmt).read_bytes() for fmt in ("json", "junit", "sarif")})
    assert machine[0] == machine[1]


def test_jobs_2_with_selection_and_waivers_gives_the_same_bytes(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    waivers = tmp_path / "ausnahmen.yaml"
    waivers.write_text("waivers:\n  - rule: ISSAB-VR-NACHFINANZIERUNG\n    reason: Rahmenvereinbarung regelt es\n"
                       "    paths: ['cases/defective/*']\n  - rule: GIBT-ES-NICHT\n    reason: Tippfehler\n",
                       encoding="utf-8")
    inputs = [str(p.relative_to(ROOT)) for p in CASES if "defective" in str(p)]
    args = ["--select", "ISSAB,konsistenz", "--ignore", "ISSAB-VR-ZEITRAUM", "--waivers", str(waivers),
            "--fail-on", "major"]
    one = run_all_formats(inputs, tmp_path / "one", *args, "--jobs", "1")
    two = run_all_formats(inputs, tmp_path / "two", *args, "--jobs", "2")
    assert one == two
    assert "Rahmenvereinbarung regelt es" in one[1]["json"] and "GIBT-ES-NICHT" in one[1]["json"]


def test_every_reference_case_renders_in_every_format(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    code, out = run_all_formats([str(p.relative_to(ROOT)) for p in CASES], tmp_path / "all")
    assert code == 1 and all(out.values())


def test_jobs_2_reports_bad_input_like_jobs_1(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("meta:\n  title: x\nbudget:\n  amount_per_year: -5\nunbekannt: 1\n", encoding="utf-8")
    messages = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}.json"
        assert check(str(EXEMPLARY), str(bad), str(EXEMPLARY.with_name("issab-3-01-stuttgart.yaml")),
                     "--jobs", jobs, "-o", f"json:{out}") == 2
        messages.append(capsys.readouterr().err)
        messages.append(out.read_text(encoding="utf-8"))  # the two good files checked, the bad one an error
    assert messages[0] == messages[2] and f"{bad}:4:" in messages[0] and f"{bad}:5:" in messages[0]
    assert messages[1] == messages[3] and '"errors"' in messages[1]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers inherit the patch only with fork")
def test_jobs_2_reports_an_engine_error_like_jobs_1(tmp_path, monkeypatch, capsys):
    from checker.engine import EvaluationError

    def broken(agreement, *args, **kwargs):
        if agreement.meta.title.startswith("Trägerbudgetvereinbarung"):
            raise EvaluationError(["Aktion fehlgeschlagen"])
        return real(agreement, *args, **kwargs)

    real = evaluate
    monkeypatch.setattr("checker.check.evaluate", broken)
    messages = []
    for jobs in ("1", "2"):
        assert check(str(CASES[-1]), str(EXEMPLARY), "--jobs", jobs, "-o", f"json:{tmp_path / 'r.json'}") == 2
        messages.append(capsys.readouterr().err)
    assert messages[0] == messages[1] == f"{EXEMPLARY}: Fehler der Regel-Engine: Aktion fehlgeschlagen\n"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers inherit the patch only with fork")
@pytest.mark.parametrize("how", ["raises", "dies"])
def test_a_failing_worker_is_an_error_not_a_hang(catalogue, monkeypatch, how):
    from checker import check as check_module

    parent = os.getpid()
    real = check_module._check_task

    def failing(task, *args):
        if os.getpid() != parent:
            if how == "dies":
                os._exit(3)
            raise ValueError("kaputt im Worker")
        return real(task, *args)

    monkeypatch.setattr(check_module, "_check_task", failing)
    with pytest.raises(RuntimeError, match="kaputt im Worker" if how == "raises" else "exit code 3"):
        check_module.check_many([str(p) for p in CASES], catalogue, jobs=2, check_date=CHECK_DATE)


def test_jobs_must_be_a_whole_number(capsys):
    assert check(str(EXEMPLARY), "--jobs", "-1") == 2
    assert check(str(EXEMPLARY), "--jobs", "zwei") == 2
    assert "--jobs" in capsys.readouterr().err


# --------------------------------------------------------------------------- properties over many agreements


def _kinds() -> dict[str, str]:
    """Field name -> kind ("text", "enum", "float", "int", "bool", "date") for names of one kind only."""
    seen: dict[str, set[str]] = {}
    todo, done = [Agreement], set()
    while todo:
        model = todo.pop()
        if model in done:
            continue
        done.add(model)
        for name, info in model.model_fields.items():
            annotation = info.annotation
            while typing.get_origin(annotation) in (typing.Union, types.UnionType):
                annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
            if typing.get_origin(annotation) is list:
                inner = typing.get_args(annotation)[0]
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    todo.append(inner)
                seen.setdefault(name, set()).add("list")
                continue
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                todo.append(annotation)
                kind = "model"
            elif isinstance(annotation, type) and issubclass(annotation, Enum):
                kind = "enum"
            elif annotation is bool:
                kind = "bool"
            elif annotation is int:
                kind = "int"
            elif annotation is float:
                kind = "float"
            elif annotation is dt.date:
                kind = "date"
            elif annotation is str:
                kind = "text"
            else:
                kind = "other"
            seen.setdefault(name, set()).add(kind)
    return {name: kinds.pop() for name, kinds in seen.items() if len(kinds) == 1}


KINDS = _kinds()
# Fields whose value other fields depend on (model validators), or that must stay as they are.
FIXED = {"format_version", "condition_defined", "reduction_reason_given", "rule", "reason", "expires"}
TEMPLATES = [case_data(p) for p in CASES]
CLAUSES = sorted(Agreement.model_fields["clauses"].annotation.model_fields)


def _leaves(node, path=()):
    """(path, key, value) of every scalar in a loaded YAML document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, (dict, list)):
                yield from _leaves(value, path + (key,))
            else:
                yield path + (key,), key, value
    elif isinstance(node, list):
        for index, value in enumerate(node):
            if isinstance(value, (dict, list)):
                yield from _leaves(value, path + (index,))


def _set(data, path, value):
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value


def _drop(data, path):
    for part in path[:-1]:
        data = data[part]
    del data[path[-1]]


@st.composite
def valid_agreements(draw):
    """A reference case with 1-6 changes that keep it valid: numbers, texts, flags, dates,
    clause statuses, fields and list items left out."""
    data = json.loads(json.dumps(draw(st.sampled_from(TEMPLATES)), default=str))  # deep copy; dates as text
    for _ in range(draw(st.integers(1, 6))):
        leaves = [(p, k, v) for p, k, v in _leaves(data) if k not in FIXED and p[:1] != ("waivers",)]
        path, key, value = draw(st.sampled_from(leaves))
        kind = KINDS.get(key)
        action = draw(st.sampled_from(["change", "change", "drop", "status", "list"]))
        if action == "drop" and path != ("meta", "title"):
            _drop(data, path)
        elif action == "status":
            clauses = data.setdefault("clauses", {})
            name = draw(st.sampled_from(CLAUSES))
            status = draw(st.sampled_from(["vereinbart", "ausgeschlossen", "fehlt", "unbekannt"]))
            clauses[name] = dict(clauses.get(name) or {}, status=status)
        elif action == "list":
            lists = [(p, v) for p, v in _lists(data) if p[:1] != ("waivers",)]
            if lists:
                lpath, items = draw(st.sampled_from(lists))
                _set(data, lpath, items[: draw(st.integers(0, len(items)))] * draw(st.integers(1, 3)))
        elif kind == "float" and isinstance(value, (int, float)) and not isinstance(value, bool):
            _set(data, path, draw(st.floats(0, 100) | st.integers(0, 100)))
        elif kind == "int" and isinstance(value, int) and not isinstance(value, bool):
            _set(data, path, draw(st.integers(0, 10**6)))
        elif kind == "bool" and isinstance(value, bool):
            _set(data, path, draw(st.booleans()))
        elif kind == "text" and isinstance(value, str):
            _set(data, path, draw(st.text(max_size=80)))
        elif kind == "date" and isinstance(value, str):
            _set(data, path, draw(st.dates(dt.date(1990, 1, 1), dt.date(2040, 12, 31))).isoformat())
    return data


def _lists(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, list) and value:
                yield path + (key,), value
            if isinstance(value, (dict, list)):
                yield from _lists(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _lists(value, path + (index,))


INVALID = {  # kind -> values a field of that kind must refuse
    "float": [-1, float("nan"), float("inf"), -float("inf"), 10**40, "12.500", True],
    "int": [-1, 1.5, "3", True, 10**30],
    "bool": ["ja", 1, "true"],
    "text": [12, True, ["a"], {"a": 1}, "x" * 20_001],
    "enum": ["gibt_es_nicht", 3],
    "date": ["2024-13-45", 20240101, "gestern"],
}


@st.composite
def invalid_agreements(draw):
    """A reference case with one value of the wrong kind, or an unknown key; and the path of the change."""
    data = json.loads(json.dumps(draw(st.sampled_from(TEMPLATES)), default=str))
    leaves = [(p, k) for p, k, _v in _leaves(data) if KINDS.get(k) in INVALID and k not in FIXED]
    if draw(st.booleans()) and leaves:
        path, key = draw(st.sampled_from(leaves))
        _set(data, path, draw(st.sampled_from(INVALID[KINDS[key]])))
    else:
        mappings = [p for p, _k, _v in _leaves(data)]
        path = draw(st.sampled_from(mappings))[:-1] + ("unbekanntes_feld",)
        _set(data, path, "x")
    return data, path


PROPERTIES = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                             HealthCheck.function_scoped_fixture])


def _write(directory: Path, data: dict, suffix: str) -> Path:
    data = json.loads(json.dumps(data))  # repeated list items become copies (YAML would write aliases)
    path = directory / f"agreement.{suffix}"
    if suffix == "json":
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@PROPERTIES
@given(data=valid_agreements(), suffix=st.sampled_from(["yaml", "json"]))
def test_valid_agreements_always_get_a_result(tmp_path, catalogue, data, suffix):
    from checker import formats
    from checker.verdicts import RunInfo

    path = _write(tmp_path, data, suffix)
    result = check_file(str(path), catalogue, check_date=CHECK_DATE)  # must not raise
    assert isinstance(result, AgreementResult)
    assert [f.id for f in result.findings] == [r.id for r in catalogue.rules]
    assert all(isinstance(f.verdict, Verdict) for f in result.findings)
    assert result.overall in OVERALL
    run = RunInfo("test", catalogue.version, catalogue.digest, len(catalogue.rules), CHECK_DATE.isoformat())
    document = json.loads(formats.render("json", [result], run=run, policy=formats.Policy()))
    assert document["agreements"][0]["meta"]["title"] == data["meta"]["title"]


@PROPERTIES
@given(case=invalid_agreements(), suffix=st.sampled_from(["yaml", "json"]))
def test_invalid_agreements_only_raise_input_error_at_the_change(tmp_path, case, suffix):
    data, changed = case
    if suffix == "json" and ("NaN" in json.dumps(data) or "Infinity" in json.dumps(data)):
        suffix = "yaml"  # JSON has no NaN: that is a syntax error, covered in test_loader
    path = _write(tmp_path, data, suffix)
    with pytest.raises(InputError) as info:
        load_agreement(path)
    errors = info.value.errors
    assert errors and all(e.file == str(path) and e.message for e in errors)
    assert any(e.line is not None for e in errors)
    dotted = loader.dotted(changed)
    assert any(e.path.startswith(dotted) or (e.path and dotted.startswith(e.path)) for e in errors), (
        dotted, [e.format() for e in errors])


def test_generated_series_all_load_and_evaluate(tmp_path, catalogue):
    """The benchmark's generator makes valid, varied agreements (the benchmark relies on it)."""
    from benchmarks.generate import Generator

    generator = Generator(3)
    overall = set()
    verdicts = set()
    path = tmp_path / "g.yaml"
    for i in range(40):
        path.write_text(generator.text(i), encoding="utf-8")
        result = check_file(str(path), catalogue, check_date=CHECK_DATE)
        overall.add(result.overall)
        verdicts |= {f.verdict for f in result.findings}
    assert generator.text(7) == Generator(3).text(7)  # deterministic
    assert len(overall) >= 2 and {Verdict.verletzt, Verdict.erfuellt, Verdict.ungeklaert} <= verdicts


# --------------------------------------------------------------------------- cache of the compiled catalogue


@pytest.fixture
def rules_copy(tmp_path, monkeypatch):
    """A private copy of the rule files and an empty cache directory."""
    directory = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", directory)
    monkeypatch.setenv("BUDGETCHECK_CACHE_DIR", str(tmp_path / "cache"))
    return directory


_ORIGINAL_LOAD = rules.load_catalogue  # the autouse fixture replaces the module attribute


def _same(a, b) -> None:
    assert (a.digest, a.version, a.trigger_groups, a.files) == (b.digest, b.version, b.trigger_groups, b.files)
    assert a.ruleset == b.ruleset and list(a.actions) == list(b.actions)
    assert [r.rule for r in a.rules] == [r.rule for r in b.rules]
    assert a.parameters == b.parameters


def _cache_files(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache").glob("catalogue-*.pickle"))


def test_cache_is_written_and_used(rules_copy, tmp_path):
    load = _ORIGINAL_LOAD
    fresh = load(rules_copy, cache=False)
    assert _cache_files(tmp_path) == []
    first = load(rules_copy, cache=True)
    assert len(_cache_files(tmp_path)) == 1
    second = load(rules_copy, cache=True)
    _same(fresh, first)
    _same(fresh, second)
    result = evaluate(load_agreement(EXEMPLARY).agreement, second, check_date=CHECK_DATE)
    expected = evaluate(load_agreement(EXEMPLARY).agreement, fresh, check_date=CHECK_DATE)
    assert [(f.id, f.verdict) for f in result.findings] == [(f.id, f.verdict) for f in expected.findings]
    assert not list((tmp_path / "cache").glob(".*"))  # no temporary files left


def test_stale_cache_is_not_used(rules_copy, tmp_path):
    _ORIGINAL_LOAD(rules_copy, cache=True)
    version = rules_copy / "VERSION"
    version.write_text(version.read_text(encoding="utf-8").strip() + "-neu\n", encoding="utf-8")
    changed = _ORIGINAL_LOAD(rules_copy, cache=True)
    assert changed.version.endswith("-neu")
    assert len(_cache_files(tmp_path)) == 2


@pytest.mark.parametrize("content", [b"", b"kein pickle", pickle.dumps(("falscher schluessel", 42)),
                                     pickle.dumps({"a": 1})[:10]])
def test_corrupt_cache_is_ignored_and_replaced(rules_copy, tmp_path, content):
    fresh = _ORIGINAL_LOAD(rules_copy, cache=True)
    [cache_file] = _cache_files(tmp_path)
    cache_file.write_bytes(content)
    again = _ORIGINAL_LOAD(rules_copy, cache=True)
    _same(fresh, again)
    assert cache_file.read_bytes() != content  # rewritten


def test_foreign_pickle_in_the_cache_is_never_executed(rules_copy, tmp_path):
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (os.system, (f"touch '{marker}'",))

    _ORIGINAL_LOAD(rules_copy, cache=True)
    [cache_file] = _cache_files(tmp_path)
    key = pickle.loads(cache_file.read_bytes())[0]
    cache_file.write_bytes(pickle.dumps((key, Exploit())))
    catalogue = _ORIGINAL_LOAD(rules_copy, cache=True)
    assert not marker.exists()
    assert catalogue.rules


def _load_in_child(args):
    rules_dir, cache_dir = args
    os.environ["BUDGETCHECK_CACHE_DIR"] = cache_dir
    return _ORIGINAL_LOAD(Path(rules_dir), cache=True).digest


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork keeps this test fast")
def test_concurrent_writers_leave_one_good_cache_file(rules_copy, tmp_path):
    with multiprocessing.get_context("fork").Pool(4) as pool:
        digests = pool.map(_load_in_child, [(str(rules_copy), str(tmp_path / "cache"))] * 8)
    assert len(set(digests)) == 1
    assert len(_cache_files(tmp_path)) == 1
    assert not list((tmp_path / "cache").glob(".*"))
    _same(_ORIGINAL_LOAD(rules_copy, cache=True), _ORIGINAL_LOAD(rules_copy, cache=False))


def test_empty_cache_dir_setting_turns_the_cache_off(rules_copy, tmp_path, monkeypatch):
    monkeypatch.setenv("BUDGETCHECK_CACHE_DIR", "")
    assert rules.cache_dir() is None
    _ORIGINAL_LOAD(rules_copy, cache=True)
    assert not (tmp_path / "cache").exists()


def test_cache_dir_defaults(monkeypatch, tmp_path):
    monkeypatch.delenv("BUDGETCHECK_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert rules.cache_dir() == tmp_path / "budgetcheck"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert rules.cache_dir() == tmp_path / "home" / ".cache" / "budgetcheck"


def test_rule_files_of_other_directories_are_not_cached_by_default(rules_copy, tmp_path):
    _ORIGINAL_LOAD(rules_copy)
    assert _cache_files(tmp_path) == []

