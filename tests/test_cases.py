"""The reference cases (cases/) against their expected verdicts (cases/<dir>/<name>.expected.yaml).

The expected files state the RIGHT verdict for every rule; where the checker is known to be wrong
today, ``known_wrong`` records what it says instead and cases/REVIEW.md explains why. The per-case
test expects the checker's current verdicts (so any change shows up), and each REVIEW section with
known wrong verdicts has one strict xfail that expects the right ones: it starts to pass (and then
fails as XPASS) when the rule is fixed, which is the signal to remove the known_wrong entries.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("cases_expected", ROOT / "cases" / "tools" / "expected.py")
E = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(E)

CASES = E.case_files()
SOURCE = [c for c in CASES if not E.is_draft(c)]
DRAFTS = [c for c in CASES if E.is_draft(c)]
EXEMPLARY = ROOT / E.EXEMPLARY
REGENERATE = "python cases/tools/expected.py --new-rules-only"


def _id(case: Path) -> str:
    return f"{case.parent.name}/{case.stem}"


def _expected(case: Path) -> dict:
    data = E.load_expected(case)
    assert data is not None, f"{E.rel(case)}: no expected file; create it with {REGENERATE} and review it"
    return data


def _review_items() -> dict[str, list[tuple[Path, str]]]:
    items: dict[str, list[tuple[Path, str]]] = {}
    for case in CASES:
        data = E.load_expected(case) or {}
        for rule, entry in (data.get("known_wrong") or {}).items():
            items.setdefault(str(entry["review"]), []).append((case, rule))
    return items


REVIEW_ITEMS = _review_items()


@pytest.fixture(scope="session")
def results(catalogue) -> dict[str, tuple[str, dict[str, str]]]:
    """{case: (overall, {rule: verdict})} as the checker says today (one run per case)."""
    return {E.rel(c): E.run_case(c, catalogue) for c in CASES}


# --------------------------------------------------------------------------- (a) verdicts


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_verdicts_match_expected(case, results, catalogue):
    overall, actual = results[E.rel(case)]
    data = _expected(case)
    want = E.checker_view(data)
    diff = [d for d in E.differences(want, actual) if d[1] is not None and d[2] is not None]
    want_overall = E.overall_of(want, catalogue)
    message = [f"{E.rel(case)}: the checker's verdicts differ from {E.expected_path(case).name}"]
    if diff:
        message += ["  (rule, expected, actual)", E.format_differences(diff)]
    if overall != want_overall:
        message.append(f"  overall: expected {want_overall}, actual {overall}")
    message.append("If the new verdict is right, update the expected file (python cases/tools/expected.py --update "
                   "prints every change) and the README table (--readme); if it is wrong, fix the rule or the case.")
    assert not diff and overall == want_overall, "\n".join(message)


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_expected_file_is_consistent(case, catalogue):
    data = _expected(case)
    assert data.get("case") == E.rel(case)
    assert set(data["verdicts"].values()) <= set(E.VERDICTS), "unknown verdict value"
    assert data["overall"] == E.overall_of(data["verdicts"], catalogue), (
        "overall must follow from the (right) verdicts")
    for rule, entry in (data.get("known_wrong") or {}).items():
        assert entry["checker"] != data["verdicts"][rule], f"{rule}: known_wrong but checker verdict is the right one"
        assert str(entry["review"]) in REVIEW_SECTIONS, f"{rule}: REVIEW.md has no section {entry['review']}"
        assert rule in (data.get("notes") or {}), f"{rule}: a known wrong verdict needs a note"


REVIEW_SECTIONS = {line.split()[1] for line in (ROOT / "cases" / "REVIEW.md").read_text(encoding="utf-8").splitlines()
                   if line.startswith("## ") and len(line.split()) > 1}


@pytest.mark.parametrize("review", [
    pytest.param(r, marks=pytest.mark.xfail(strict=True, reason=f"known wrong verdicts, see cases/REVIEW.md {r}"))
    for r in sorted(REVIEW_ITEMS)])
def test_known_wrong_verdicts_are_fixed(review, results):
    """The right verdicts of one REVIEW section (XPASS = fixed: remove its known_wrong entries)."""
    wrong = []
    for case, rule in REVIEW_ITEMS[review]:
        right = E.load_expected(case)["verdicts"][rule]
        actual = results[E.rel(case)][1][rule]
        if actual != right:
            wrong.append(f"{E.rel(case)}: {rule} right {right}, checker {actual}")
    assert not wrong, "\n".join(wrong)


# --------------------------------------------------------------------------- (b) every rule named


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_expected_names_every_rule(case, catalogue):
    named = set(_expected(case)["verdicts"])
    ids = {r.id for r in catalogue.rules}
    missing, extra = sorted(ids - named), sorted(named - ids)
    assert not missing and not extra, (
        f"{E.expected_path(case).relative_to(ROOT)}: "
        + (f"no expected verdict for {', '.join(missing)}. " if missing else "")
        + (f"verdicts for rules no longer in the catalogue: {', '.join(extra)}. " if extra else "")
        + f"Regenerate with `{REGENERATE}` and review every verdict it prints against the case and the rule.")


# --------------------------------------------------------------------------- review notes


@pytest.mark.parametrize("case", SOURCE, ids=_id)
def test_every_violation_of_a_source_case_is_explained(case):
    data = _expected(case)
    notes = data.get("notes") or {}
    unexplained = [r for r, v in data["verdicts"].items() if v == "verletzt" and r not in notes]
    assert not unexplained, (f"{E.rel(case)}: verletzt without a review note (why it is right, on which source "
                             f"facts): {', '.join(unexplained)}")


# --------------------------------------------------------------------------- (c) defective drafts


@pytest.mark.parametrize("case", DRAFTS, ids=_id)
def test_draft_trips_the_rules_it_was_written_for(case, results, catalogue):
    data = _expected(case)
    breaks = data.get("breaks") or []
    assert breaks, f"{E.rel(case)}: `breaks` must name the rules the draft breaks"
    actual = results[E.rel(case)][1]
    not_tripped = [f"{r}: {actual.get(r)}" for r in breaks if actual.get(r) != "verletzt"]
    assert not not_tripped, f"{E.rel(case)}: rules in `breaks` that are not verletzt: {not_tripped}"
    side = set(data.get("side_effects") or {})
    unrelated_blockers, unrelated = [], []
    for rule, verdict in actual.items():
        if verdict != "verletzt" or rule in breaks:
            continue
        if catalogue.by_id[rule].rule.severity.value == "blocker":
            unrelated_blockers.append(rule)
        elif rule not in side:
            unrelated.append(rule)
    assert not unrelated_blockers, f"{E.rel(case)}: blocker verletzt but not in `breaks`: {unrelated_blockers}"
    assert not unrelated, f"{E.rel(case)}: verletzt but neither in `breaks` nor in `side_effects`: {unrelated}"


@pytest.mark.parametrize("case", DRAFTS, ids=_id)
def test_draft_verdicts_differ_from_exemplary_only_where_declared(case):
    data = _expected(case)
    base = _expected(EXEMPLARY)["verdicts"]
    differing = {r for r, v in data["verdicts"].items() if base.get(r) != v}
    declared = set(data.get("breaks") or []) | set(data.get("side_effects") or {})
    assert differing == declared, (
        f"{E.rel(case)}: verdicts that differ from the exemplary case {sorted(differing)}, "
        f"declared in breaks/side_effects {sorted(declared)}")


# --------------------------------------------------------------------------- (d) exemplary case


def test_exemplary_case_is_signable(results, catalogue):
    overall, actual = results[E.EXEMPLARY]
    assert overall == "zeichnungsreif"
    violated = [r for r, v in actual.items() if v == "verletzt"]
    open_blockers = [r for r, v in actual.items()
                     if v == "ungeklaert" and catalogue.by_id[r].rule.severity.value == "blocker"]
    assert not violated, f"exemplary case violates {violated}"
    assert not open_blockers, f"exemplary case leaves blockers open: {open_blockers}"
    assert _expected(EXEMPLARY).get("overall") == "zeichnungsreif"


# --------------------------------------------------------------------------- (e) drafts differ only as declared


@pytest.mark.parametrize("case", DRAFTS, ids=_id)
def test_draft_differs_from_exemplary_only_in_declared_paths(case):
    data = _expected(case)
    changed = E.changed_paths(case)
    assert changed == sorted(data.get("changed") or []), (
        f"{E.rel(case)}: data differs from the exemplary case at {changed}, `changed` says {data.get('changed')}")
    lines = case.read_text(encoding="utf-8").splitlines()
    end = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    header = " ".join(line.lstrip("# ") for line in lines[:end])
    unnamed = [p for p in changed if ".".join(p.split(".")[:2]).split("[")[0] not in header]
    assert not unnamed, f"{E.rel(case)}: changed paths the draft's header does not name: {unnamed}"


def test_drafts_are_generated_from_the_exemplary_case(tmp_path):
    """cases/tools/make_defective.py reproduces every draft from the current exemplary case."""
    for sub in ("source", "tools", "defective"):
        (tmp_path / "cases" / sub).mkdir(parents=True)
    shutil.copy(EXEMPLARY, tmp_path / "cases" / "source" / EXEMPLARY.name)
    shutil.copy(ROOT / "cases" / "tools" / "make_defective.py", tmp_path / "cases" / "tools")
    subprocess.run([sys.executable, str(tmp_path / "cases" / "tools" / "make_defective.py")], check=True,
                   capture_output=True)
    generated = sorted(p.name for p in (tmp_path / "cases" / "defective").glob("*.yaml"))
    assert generated == sorted(c.name for c in DRAFTS)
    stale = [name for name in generated
             if (tmp_path / "cases" / "defective" / name).read_bytes() != (ROOT / "cases" / "defective" / name).read_bytes()]
    assert not stale, f"drafts out of date, run python3 cases/tools/make_defective.py: {stale}"


# --------------------------------------------------------------------------- README table


def test_every_case_has_a_summary():
    keys = set(E.summaries())
    cases = {E.rel(c) for c in CASES}
    assert cases <= keys, f"cases/tools/summaries.py: no sentence for {sorted(cases - keys)}"
    assert keys <= cases, f"cases/tools/summaries.py: sentences for missing cases {sorted(keys - cases)}"


def test_readme_table_is_current(results):
    text = E.README.read_text(encoding="utf-8")
    assert E.replace_table(text, E.readme_table(results)) == text, (
        "cases/README.md: the case table is stale; run python cases/tools/expected.py --readme")


def test_expected_files_parse_as_yaml():
    for case in CASES:
        yaml.safe_load(E.expected_path(case).read_text(encoding="utf-8"))
