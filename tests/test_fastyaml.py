"""The C reader (checker._fastyaml) against the reference reader (checker.loader._YamlReader).

The C reader is a fast path only: for every input it must give exactly what the reference
gives -- the same values of the same types, the same locations, and where the input is bad,
the same errors (it hands every such input to the reference). Compared here on every YAML
file of the repository (cases, rules, test data), on the loader tests' inputs, and on
generated documents and mutated case files.
"""

from __future__ import annotations

import datetime as dt
import os
import string

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker import loader
from tests.conftest import ROOT
from tests.test_loader import CASES, SYNTAX_CASES

pytestmark = pytest.mark.skipif(
    loader._fastyaml is None and not os.environ.get("CI"),
    reason="checker._fastyaml is not built (no C compiler): the reference reader reads everything",
)


def outcome(text: str, fast: bool, name: str = "x.yaml") -> tuple:
    """What loading ``text`` gives: the data with every type spelt out and the locations, or the errors."""
    saved = loader._fastyaml
    if not fast:
        loader._fastyaml = None
    try:
        raw, locations = loader.parse_text(text, name)
    except loader.InputError as err:
        return ("error", err.format(), err.format("en"))
    finally:
        loader._fastyaml = saved
    return ("ok", _typed(raw), sorted(locations.items(), key=repr), [type(v[0]) for v in locations.values()])


def _typed(value):
    """``value`` with the type of every part made visible (1 == 1.0 == True otherwise)."""
    if isinstance(value, dict):
        return ("dict", [(key, _typed(item)) for key, item in value.items()])
    if isinstance(value, list):
        return ("list", [_typed(item) for item in value])
    return (type(value).__name__, repr(value))


def assert_same(text: str, name: str = "x.yaml") -> tuple:
    fast = outcome(text, True, name)
    assert fast == outcome(text, False, name)
    return fast


def repository_yaml() -> list:
    files = []
    for pattern in ("cases/**/*.yaml", "rules/**/*.yaml", "tests/**/*.yaml", "tests/**/*.yml", "docs/**/*.yaml",
                    "templates/**/*.yaml"):
        files.extend(ROOT.glob(pattern))
    return sorted(set(files))


def test_the_extension_is_built_in_ci():
    # the build may skip it where no C compiler is found; CI has one, so it must be there
    assert loader._fastyaml is not None


@pytest.mark.parametrize("path", repository_yaml(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_yaml_file_of_the_repository(path):
    assert_same(path.read_text(encoding="utf-8"), path.name)


def test_the_reference_cases_take_the_fast_path():
    # otherwise the comparison above would compare the reference with itself
    agreements = [p for p in (ROOT / "cases").glob("*/*.yaml") if not p.name.endswith(".expected.yaml")]
    assert agreements
    for path in agreements:
        built = loader._fastyaml.compose(path.read_text(encoding="utf-8"), {}, loader._resolve_plain,
                                         loader.MAX_NODES, loader.MAX_DEPTH)
        assert built is not None, path


LOADER_INPUTS = [case.values[:2] for case in CASES] + [case[:2] for case in SYNTAX_CASES]


@pytest.mark.parametrize(("name", "content"), LOADER_INPUTS)
def test_the_loader_tests_inputs(name, content):
    if name.endswith(".json"):
        pytest.skip("JSON has its own reader")
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
    assert_same(text, name)


PLAIN = [
    # every implicit type of YAML 1.1 as PyYAML reads it, and near misses
    "0", "-0", "+0", "7", "-12", "+12", "007", "0o7", "0x1F", "0b101", "1_000", "190:20:30", "12345678901234567890",
    "999999999999999999", "-999999999999999999", "1.5", "-1.5", "+1.5", "0.0", "-0.0", "00.5", "1.", ".5", "1e5",
    "1.0e+5", "1.5e5", "6.8523015e+5", "1_000.5", ".inf", "-.Inf", ".NaN", "190:20:30.15", "2024-01-31",
    "2024-02-30", "0000-01-01", "2024-1-31", "2024-01-31T10:00:00Z", "2001-12-14 21:59:43.10 -5", "yes", "No",
    "TRUE", "false", "on", "OFF", "y", "n", "ja", "nein", "null", "Null", "NULL", "~", "nil", "none", "<<", "=",
    "-", "--", "-x", "+x", ".x", "1 Stunde", "12,5 %", "1.850.000", "1.850.000,50", "€ 5", "äöü", "Träger",
    "tarif", "offen", "objektbezogen", "Nordwest", "x:y", "a#b",
]


@pytest.mark.parametrize("scalar", PLAIN)
def test_plain_scalars_resolve_as_pyyaml_resolves_them(scalar):
    for text in (f"value: {scalar}\n", f"- {scalar}\n", f"{scalar}\n", f"k: [{scalar}]\n", f"k: '{scalar}'\n",
                 f'k: "{scalar}"\n', f"k: |\n  {scalar}\n", f"{scalar}: 1\n"):
        assert_same(text)


def test_what_the_fast_path_hands_to_the_reference():
    for text in ("a: 1\na: 2\n", "a: &x 1\nb: *x\n", "a: !!str 1\n", "? [a]\n: 1\n", "a: 1\n---\nb: 2\n",
                 "%TAG !e! tag:example.com,2000:\n---\na: !e!x 1\n", "a: !custom 1\n", "a: &x [1]\n",
                 "x: " + "[" * 60 + "]" * 60 + "\n", "a: 2024-13-01\n", "", "# only a comment\n",
                 "a: [1, 2\n", "a:\n\tb: 1\n", "a: b: c\n"):
        built = loader._fastyaml.compose(text, {}, loader._resolve_plain, loader.MAX_NODES, loader.MAX_DEPTH)
        assert built is None, text
        assert_same(text)
    assert loader._fastyaml.compose("---\n", {}, loader._resolve_plain, 9, 9) == (None,)  # null, not "give up"


def test_node_and_depth_limits_are_the_references():
    def lists(depth):  # a mapping, then lists: depth + 1 levels
        return "x: " + "[" * depth + "]" * depth + "\n"

    assert assert_same(lists(loader.MAX_DEPTH - 1))[0] == "ok"
    assert assert_same(lists(loader.MAX_DEPTH))[0] == "error"
    items = loader.MAX_NODES - 3  # the document, the key, the list, then its items
    assert assert_same("k: [" + "0," * (items - 1) + "0]\n")[0] == "ok"
    assert assert_same("k: [" + "0," * items + "0]\n")[0] == "error"


# --------------------------------------------------------------------------- generated documents

_words = st.sampled_from(PLAIN) | st.text(string.ascii_letters + "äß0123456789 _-.:#'\"", max_size=12)
_scalars = (_words | st.integers(-10**20, 10**20) | st.floats(allow_nan=True) | st.booleans() | st.none()
            | st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)))
_documents = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(_words, inner, max_size=4), max_leaves=25)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_documents, st.booleans(), st.sampled_from([None, "'", '"']))
def test_generated_documents(document, flow, style):
    assert_same(yaml.safe_dump({"root": document}, default_flow_style=flow, default_style=style, allow_unicode=True))


_CASE_TEXTS = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "cases" / "source").glob("*.yaml"))
               if not p.name.endswith(".expected.yaml")]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_CASE_TEXTS), st.lists(st.tuples(st.floats(0, 1), st.integers(0, 8),
                                                        st.text("- :'\"[]{}#&*!|>\n\t 0a.~", max_size=4)),
                                              max_size=4))
def test_mutated_case_files(text, edits):
    for where, cut, insert in edits:
        at = int(where * len(text))
        text = text[:at] + insert + text[at + cut:]
    assert_same(text)
