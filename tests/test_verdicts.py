"""The per-agreement look-ups of checker.verdicts give what the plain functions give."""

import pickle
from dataclasses import FrozenInstanceError

import pytest

from checker.loader import load_agreement
from pydantic import BaseModel

from checker.verdicts import Evidence, _Context, _evidence, _join, path_tuple, value_at
from tests.conftest import ROOT

CASES = sorted(p for p in (ROOT / "cases").rglob("*.yaml") if not p.name.endswith(".expected.yaml"))


def test_fast_evidence_is_the_dataclass():
    args = ("budget.teilbudgets[1].amount", [1, "x"], 12, 5, "§ 3", "kein Eintrag", "R-1")
    fast, plain = _evidence(*args), Evidence(*args)
    assert type(fast) is Evidence
    assert fast == plain and hash(_evidence(*args[:1], 1, *args[2:])) == hash(Evidence(*args[:1], 1, *args[2:]))
    assert repr(fast) == repr(plain)
    assert pickle.loads(pickle.dumps(fast)) == plain
    assert pickle.dumps(fast) == pickle.dumps(plain)
    with pytest.raises(FrozenInstanceError):
        fast.path = "x"  # type: ignore[misc]


def test_fast_missing_and_question_fields_are_the_dataclasses():
    from checker.check import evaluate
    from checker.questions import QuestionField, _field
    from checker.rules import load_catalogue
    from checker.verdicts import Missing

    missing, fields = [], []
    for case in CASES:
        loaded = load_agreement(str(case))
        result = evaluate(loaded.agreement, load_catalogue(), locations=loaded.locations)
        missing += [m for f in result.findings for m in f.missing]
        fields += [f for q in result.questions for f in q.fields]
    assert missing and fields
    for m in missing:
        assert type(m) is Missing and m == Missing(m.path, m.line, m.column)
        assert repr(m) == repr(Missing(m.path, m.line, m.column)) and hash(m) == hash(Missing(m.path, m.line, m.column))
    for f in fields:
        assert type(f) is QuestionField and f == QuestionField(f.path, f.line, f.column)
    made = _field("a.b", 3, None)
    assert pickle.dumps(made) == pickle.dumps(QuestionField("a.b", 3, None))
    with pytest.raises(FrozenInstanceError):
        made.line = 4  # type: ignore[misc]


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_context_walk_gives_value_and_location_of_every_prefix(case):
    """Every located path and every path below it: the memoised walk gives value_at's value and the
    nearest enclosing location, however the paths come (parents first or last)."""
    loaded = load_agreement(str(case))
    paths = {_join(parts[:end]) for parts in loaded.locations for end in range(1, len(parts) + 1)}
    paths |= {p + ".no_such_field" for p in paths} | {p + "[99]" for p in paths}
    sections = set()
    for order in (sorted(paths), sorted(paths, reverse=True)):
        ctx = _Context(loaded.agreement, loaded.locations, None)
        for path in order:
            node, section, (line, column) = ctx.place(path)
            assert node is value_at(loaded.agreement, path), path
            parts = path_tuple(path)
            assert section == _section(loaded.agreement, parts), path
            sections.add(section)
            expected = next((loaded.locations[parts[:end]] for end in range(len(parts), 0, -1)
                             if loaded.locations.get(parts[:end])), None)
            assert (line, column) == ((expected[0], expected[1]) if expected else (None, None)), path
    assert sections - {None} or "section:" not in case.read_text(encoding="utf-8")


def _section(agreement, parts: tuple):
    """The section of the nearest enclosing part below the agreement that states one."""
    found = None
    for end in range(1, len(parts) + 1):
        node = value_at(agreement, _join(parts[:end]))
        if isinstance(node, BaseModel) and "section" in type(node).model_fields and isinstance(node.section, str):
            found = node.section
    return found
