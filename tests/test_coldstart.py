"""Cold start: the agreement model's validators from the private cache, the phase timer.

Speed itself is measured by benchmarks/bench.py, not here; these tests check that the caches
change nothing but time and are ignored whenever they cannot be trusted (issue 15's rules)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT

CASE = "cases/source/hamburg-jugendhilfe-eckpunkte.yaml"

# Loads every case and some invalid agreements; prints whether the validators came from the cache,
# then every model as JSON and every validation error, as one JSON document.
PROBE = r"""
import glob, json, sys
import checker.model as model
from checker.loader import load_agreement
from pydantic import ValidationError
out = {"cached": model.validators_from_cache, "models": {}, "errors": []}
for path in sorted(glob.glob("cases/*/*.yaml")):
    if not path.endswith(".expected.yaml"):
        out["models"][path] = load_agreement(path, "de").agreement.model_dump(mode="json")
bad = [{}, {"meta": {"title": 5}}, {"meta": {"title": "x", "period": {"start": 20240101}}},
       {"meta": {"title": "x"}, "budget": {"amount": True}}, {"meta": {"title": "x"}, "unknown": 1},
       {"meta": {"title": "x"}, "clauses": {"overspending": {"status": "vielleicht"}}},
       {"meta": {"title": "x"}, "waivers": [{"rule": "X"}]}]
for data in bad:
    try:
        model.Agreement.model_validate(data)
        out["errors"].append(None)
    except ValidationError as exc:
        out["errors"].append([{k: v for k, v in e.items() if k != "url"} for e in exc.errors()])
out["waiver"] = model.Waiver.model_validate({"rule": "X", "reason": "weil es so ist"}).model_dump(mode="json")
out["nested"] = [model.Period.model_validate({"start": "2027-01-01"}).model_dump_json(),
                 model.OverspendingClause(status="vereinbart").model_dump(mode="json"), repr(model.Meta(title="t"))]
try:
    model.Period(start=20270101)
except ValidationError as exc:
    out["nested"].append([{k: v for k, v in e.items() if k != "url"} for e in exc.errors()])
out["schema"] = model.Agreement.model_json_schema()
print(json.dumps(out, sort_keys=True, default=str))
"""


def _probe(cache: str) -> dict:
    env = dict(os.environ, BUDGETCHECK_CACHE_DIR=cache, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _model_files(cache) -> list:
    return sorted(cache.glob("models-*.pickle")) if cache.exists() else []


def test_validators_from_the_cache_validate_exactly_as_generated_ones(tmp_path):
    cache = tmp_path / "cache"
    off = _probe("")  # no cache at all: pydantic generates everything, as before
    assert off["cached"] is False and len(off["models"]) >= 20 and all(off["errors"][:-1])
    first = _probe(str(cache))
    assert first["cached"] is False and len(_model_files(cache)) == 1
    assert not list(cache.glob(".*"))  # no temporary file left
    warm = _probe(str(cache))
    assert warm["cached"] is True
    for run in (first, warm):
        run.pop("cached")
    off.pop("cached")
    assert first == off and warm == off


def test_a_corrupt_foreign_or_unsafe_model_cache_is_ignored(tmp_path):
    cache = tmp_path / "cache"
    reference = _probe(str(cache))
    reference.pop("cached")
    (path,) = _model_files(cache)
    good = path.read_bytes()

    def again(expect_cached: bool) -> None:
        run = _probe(str(cache))
        assert run.pop("cached") is expect_cached
        assert run == reference

    for bad in (b"", b"garbage", good[: len(good) // 2], good.replace(b"checker.model", b"checker.mode_")):
        path.write_bytes(bad)
        again(False)  # generated again and rewritten
        assert path.read_bytes() != bad and len(path.read_bytes()) > 1000
    again(True)
    good = path.read_bytes()
    import pickle

    evil = pickle.dumps(("x" * 64, {"Agreement": {}}))  # a pickle naming another key: not used
    path.write_bytes(evil)
    again(False)
    path.write_bytes(pickle.dumps((os.system, ("true",))))  # a global outside the model: refused
    again(False)
    target = tmp_path / "elsewhere.pickle"
    target.write_bytes(good)
    path.unlink()
    path.symlink_to(target)  # a symlink is not followed
    again(False)
    path.unlink()
    again(False)
    again(True)
    cache.chmod(0o777)  # a directory others may write to is not used at all
    try:
        for file in _model_files(cache):
            file.unlink()
        again(False)
        assert not _model_files(cache)
    finally:
        cache.chmod(0o700)


def test_model_cache_is_keyed_by_code_and_versions():
    import hashlib

    import pydantic
    import pydantic_core

    from checker import model

    source = (ROOT / "checker" / "model.py").read_bytes()
    expected = hashlib.sha256(f"{model._SCHEMA_CACHE_FORMAT}\0{sys.version}\0{pydantic.VERSION}\0"
                              f"{pydantic_core.__version__}\0".encode() + source).hexdigest()
    assert model._schema_cache_key() == expected


def test_concurrent_cold_starts_share_one_cache_file(tmp_path):
    cache = tmp_path / "cache"
    env = dict(os.environ, BUDGETCHECK_CACHE_DIR=str(cache), PYTHONPATH=str(ROOT), NO_COLOR="1")
    cmd = [sys.executable, "-m", "checker", "check", "--no-config", "-q", "--date", "2026-01-01", CASE]
    procs = [subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(6)]
    outputs = [proc.communicate() for proc in procs]
    assert len({proc.returncode for proc in procs}) == 1 and procs[0].returncode in (0, 1)
    assert len({out for out, _err in outputs}) == 1 and not any(err for _out, err in outputs)
    assert len(_model_files(cache)) == 1 and not list(cache.glob(".*"))
    again = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True)
    assert again.stdout == outputs[0][0]


def test_phase_timer_writes_phases_to_stderr_only(tmp_path):
    env = dict(os.environ, BUDGETCHECK_CACHE_DIR=str(tmp_path / "cache"), PYTHONPATH=str(ROOT), NO_COLOR="1")
    cmd = [sys.executable, "-m", "checker", "check", "--no-config", "-q", "--date", "2026-01-01", CASE]
    plain = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    timed = subprocess.run(cmd, cwd=ROOT, env=dict(env, BUDGETCHECK_TIMING="1"), capture_output=True, text=True)
    assert timed.returncode == plain.returncode and plain.returncode in (0, 1)
    assert timed.stdout == plain.stdout and plain.stderr == ""
    phases = [line for line in timed.stderr.splitlines() if line.startswith("timing: ")]
    names = " ".join(phases)
    for phase in ("import checker.cli", "rule catalogue", "engine ruleset", "load, evaluate", "write outputs"):
        assert phase in names


def test_a_single_check_loads_only_what_it_needs(tmp_path):
    """A cold ``check`` with the text report imports none of the modules it does not need (start-up
    time): no Jinja2 or Babel (text is laid out in Python), no web, PDF or test libraries, no XML or
    orjson (no JUnit/JSON written), no multiprocessing (one file), no TOML (no configuration file),
    no importlib.metadata (no SARIF help links, no pydantic plugin lookup), no PyYAML (the C reader
    reads a plain document; the rule catalogue comes from the cache)."""
    code = ("import sys, io, contextlib\n"
            "from checker.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    main(['check', '--no-config', '-q', '{CASE}'])\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in sys.argv[1:] or m in sys.argv[1:]))\n")
    heavy = ["jinja2", "babel", "flask", "werkzeug", "weasyprint", "ruamel", "hypothesis", "checker.web",
             "checker.pdf", "xml.etree.ElementTree", "orjson", "multiprocessing", "tomllib", "tomli",
             "importlib.metadata", "yaml"]
    env = dict(os.environ, BUDGETCHECK_CACHE_DIR=str(tmp_path / "cache"), PYTHONPATH=str(ROOT))
    for _run in range(2):  # the first fills the caches (generating schemas loads pydantic's plugin lookup)
        out = subprocess.run([sys.executable, "-c", code, *heavy], cwd=ROOT, env=env, capture_output=True,
                             text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_non_printable_pattern_matches_pyyaml_on_every_code_point():
    """The loader's pattern of characters YAML forbids is PyYAML's Reader.NON_PRINTABLE written as
    the complement of its allowed set (cheaper to compile): the same answer for every code point."""
    import re

    from checker.loader import _NON_PRINTABLE

    pyyaml = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
    text = "".join(map(chr, range(0x110000)))
    assert [m.start() for m in _NON_PRINTABLE.finditer(text)] == [m.start() for m in pyyaml.finditer(text)]


# Reads every case through the loader; prints whether PyYAML was imported and what was read.
YAML_PROBE = r"""
import glob, json, sys
from checker.loader import load_agreement
out = {"models": {}}
for path in sorted(glob.glob("cases/*/*.yaml")):
    if not path.endswith(".expected.yaml"):
        out["models"][path] = load_agreement(path, "de").agreement.model_dump(mode="json")
out["yaml"] = "yaml" in sys.modules
print(json.dumps(out, sort_keys=True, default=str))
"""


def _yaml_probe(cache: str, extra: str = "") -> dict:
    env = dict(os.environ, BUDGETCHECK_CACHE_DIR=cache, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", extra + YAML_PROBE], cwd=ROOT, env=env, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_pyyaml_is_imported_until_a_process_has_checked_this_installation(tmp_path):
    """The C reader reads without PyYAML only after a process that imported PyYAML found its
    tables as the C reader expects and left a marker for exactly this installation; a missing,
    foreign, altered or unsafe marker means PyYAML is imported and checked as before. What is
    read is the same either way."""
    from checker import loader

    if loader._fastyaml is None:
        return  # no C reader: PyYAML reads everything
    cache = tmp_path / "cache"
    first = _yaml_probe(str(cache))
    assert first["yaml"] is True
    markers = sorted(cache.glob("pyyaml-*"))
    assert len(markers) == 1
    second = _yaml_probe(str(cache))
    assert second["yaml"] is False and second["models"] == first["models"]
    # PyYAML imported and changed before: its tables decide, the marker is not read
    changed = _yaml_probe(str(cache), "import yaml; yaml.add_implicit_resolver('!x', __import__('re').compile('^x$'), "
                                      "list('x'), Loader=yaml.CSafeLoader)\n")
    assert changed["models"] == first["models"]
    marker = markers[0]
    for bad in (b"", b"0" * 64, marker.read_bytes()[:-1]):  # altered: checked again
        marker.write_bytes(bad)
        assert _yaml_probe(str(cache))["yaml"] is True
        assert marker.read_bytes() != bad  # written anew by the check
    os.chmod(cache, 0o770)  # a directory others may write to: not trusted
    try:
        assert _yaml_probe(str(cache))["yaml"] is True
    finally:
        os.chmod(cache, 0o700)
    marker.unlink()
    marker.symlink_to(tmp_path / "elsewhere")
    (tmp_path / "elsewhere").write_bytes(first and marker.name.encode())
    assert _yaml_probe(str(cache))["yaml"] is True


# Reads good and bad configuration files; prints whether the settings' validator came from the
# cache, whether importlib.metadata was imported, and every result or error.
CONFIG_PROBE = r"""
import json, pathlib, sys, tempfile
from checker import config
from checker.loader import InputError
out = {"results": []}
tables = ['select = ["ISSAB-VR"]\nfail-on = "major"\nlang = "en"\nfail-on-unresolved = true\n',
          'select = "ISSAB-VR, konsistenz"\noutput = ["sarif:out/x.sarif"]\nwaivers = "w.yaml"\n',
          'fail-on = "schlimm"\n', 'fail-on-unresolved = 1\n', 'lang = "fr"\n', 'select = [1, 2]\n',
          'output = 5\n', 'exclude = [["x"]]\n', 'format = 3\nlang = 4\n']
with tempfile.TemporaryDirectory() as tmp:
    for i, table in enumerate(tables):
        for name, text in (("budgetcheck.toml", table), ("pyproject.toml", "[tool.budgetcheck]\n" + table)):
            path = pathlib.Path(tmp) / f"{i}" / name
            path.parent.mkdir(exist_ok=True)
            path.write_text(text)
            for lang in ("de", "en"):
                try:
                    got = config.load_config(path, lang)
                    out["results"].append(repr(got).replace(tmp, "TMP"))
                except InputError as err:
                    out["results"].append([repr(e).replace(tmp, "TMP") for e in err.errors])
out["cached"] = config._settings_state.get("cached")
out["metadata"] = "importlib.metadata" in sys.modules
print(json.dumps(out, sort_keys=True))
"""


def _config_probe(cache: str) -> dict:
    env = dict(os.environ, BUDGETCHECK_CACHE_DIR=cache, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", CONFIG_PROBE], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_configuration_validator_from_the_cache_reads_exactly_as_a_generated_one(tmp_path):
    cache = tmp_path / "cache"
    off = _config_probe("")
    cold = _config_probe(str(cache))
    warm = _config_probe(str(cache))
    assert off["cached"] is False and cold["cached"] is False and warm["cached"] is True
    assert warm["metadata"] is False  # no pydantic plugin lookup
    assert off["results"] == cold["results"] == warm["results"]
    assert any(isinstance(r, list) for r in off["results"]) and any(isinstance(r, str) for r in off["results"])
    files = sorted(cache.glob("config-*.pickle"))
    assert len(files) == 1
    import pickle

    for bad in (b"", b"garbage", files[0].read_bytes()[:-7],
                pickle.dumps(("0" * 64, {})),  # another key
                pickle.dumps((None, __import__("os").system))):  # a class or function from elsewhere
        files[0].write_bytes(bad)
        again = _config_probe(str(cache))
        assert again["cached"] is False and again["results"] == off["results"]
    os.chmod(cache, 0o770)  # a directory others may write to: not trusted
    try:
        assert _config_probe(str(cache))["cached"] is False
    finally:
        os.chmod(cache, 0o700)
