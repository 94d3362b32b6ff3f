"""Expected verdicts of the reference cases and the case table in cases/README.md.

Every case ``cases/<dir>/<name>.yaml`` has ``cases/<dir>/<name>.expected.yaml`` with the verdict that
is *right* for every rule of the catalogue (reviewed against the case, its source and the rule, not
copied from the checker), the overall verdict that follows from them, and review annotations:

* ``known_wrong``: verdicts the checker gets wrong today: ``{RULE: {checker: <what it says>, review: R<n>}}``;
  ``verdicts`` holds the right verdict, cases/REVIEW.md section R<n> explains it and the rule change
  that would fix it (tests/test_cases.py expects the ``checker`` value and has one strict xfail per R<n>).
* ``notes``: why a verdict is what it is (required for every ``verletzt`` of a source case).
* defective drafts only: ``breaks`` (the rules the draft was written to break), ``changed`` (the data
  paths in which it differs from the exemplary case), ``side_effects`` (other rules whose verdict
  differs from the exemplary case, with the reason).

Run with the project's Python (durable_rules installed), from any directory::

    python cases/tools/expected.py                   # compare; list every difference; exit 1 if any
    python cases/tools/expected.py --new-rules-only  # add rules missing from the expected files
                                                     # (current verdict) and drop rules no longer in
                                                     # the catalogue; creates missing expected files
    python cases/tools/expected.py --update          # take over every current verdict (except known_wrong)
    python cases/tools/expected.py --readme          # regenerate the table in cases/README.md

Whatever --new-rules-only or --update writes is printed: review each printed verdict against the case
and the rule before committing. A verdict that is wrong goes back into ``verdicts`` by hand, with a
``known_wrong`` entry and a section in cases/REVIEW.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Optional

import yaml

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "cases"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

CHECK_DATE = dt.date(2026, 1, 1)
EXPECTED_SUFFIX = ".expected.yaml"
EXEMPLARY = "cases/source/hamburg-jugendhilfe-eckpunkte.yaml"
README = CASES / "README.md"
TABLE_START = "<!-- cases:start -->"
TABLE_END = "<!-- cases:end -->"
VERDICTS = ("erfuellt", "verletzt", "ungeklaert", "nicht_anwendbar", "ausgenommen")
ANNOTATIONS = ("breaks", "changed", "side_effects", "known_wrong", "notes")
HEADER = """\
# Expected verdicts for {case}
# verdicts: the RIGHT verdict for every rule of the catalogue (reviewed against case, source and rule).
# known_wrong: verdicts the checker gets wrong today (checker: what it says); see cases/REVIEW.md.
# notes: reasons; required for every verletzt of a source case.
# New rules: python cases/tools/expected.py --new-rules-only, then review every verdict it prints.
"""


# --------------------------------------------------------------------------- files


def case_files() -> list[Path]:
    """Every reference case (cases/<dir>/<name>.yaml), sorted."""
    return sorted(p for p in CASES.glob("*/*.yaml") if not p.name.endswith(EXPECTED_SUFFIX))


def rel(case: Path) -> str:
    return case.resolve().relative_to(ROOT).as_posix()


def expected_path(case: Path) -> Path:
    return case.with_name(case.name[: -len(".yaml")] + EXPECTED_SUFFIX)


def is_draft(case: Path) -> bool:
    return case.parent.name == "defective"


def load_expected(case: Path) -> Optional[dict]:
    path = expected_path(case)
    if not path.exists():
        return None
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    data.setdefault("verdicts", {})
    return data


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def dump_expected(case: Path, data: dict) -> str:
    """The expected file's text (stable order; comments only in the fixed header)."""
    out = [HEADER.format(case=rel(case)).rstrip("\n")]
    out.append(f"case: {rel(case)}")
    out.append(f"overall: {data['overall']}")
    if data.get("breaks"):
        out.append("breaks: [" + ", ".join(data["breaks"]) + "]")
    if data.get("changed") is not None and is_draft(case):
        out.append("changed:")
        out.extend(f"  - {_q(p)}" for p in data["changed"])
    if data.get("side_effects"):
        out.append("side_effects:")
        out.extend(f"  {rule}: {_q(why)}" for rule, why in sorted(data["side_effects"].items()))
    if data.get("known_wrong"):
        out.append("known_wrong:")
        for rule, entry in sorted(data["known_wrong"].items()):
            out.append(f"  {rule}: {{checker: {entry['checker']}, review: {entry['review']}}}")
    if data.get("notes"):
        out.append("notes:")
        out.extend(f"  {rule}: {_q(why)}" for rule, why in sorted(data["notes"].items()))
    out.append("verdicts:")
    out.extend(f"  {rule}: {verdict}" for rule, verdict in sorted(data["verdicts"].items()))
    return "\n".join(out) + "\n"


def write_expected(case: Path, data: dict) -> None:
    expected_path(case).write_text(dump_expected(case, data), encoding="utf-8")


def data_differences(a: Any, b: Any, prefix: str = "") -> list[str]:
    """Paths (``clauses.overspending.mode``, ``budget.teilbudgets[1].amount``) at which two loaded YAML
    documents differ; a list of scalars counts as one value."""
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for key in sorted(set(a) | set(b), key=str):
            path = f"{prefix}.{key}" if prefix else str(key)
            out.extend([path] if key not in a or key not in b else data_differences(a[key], b[key], path))
        return out
    if (isinstance(a, list) and isinstance(b, list) and len(a) == len(b)
            and all(isinstance(x, (dict, list)) for x in a + b)):
        return [p for i, (x, y) in enumerate(zip(a, b)) for p in data_differences(x, y, f"{prefix}[{i}]")]
    return [] if a == b else [prefix]


def changed_paths(case: Path) -> list[str]:
    """Where a defective draft differs from the exemplary case (data only; comments ignored)."""
    def load(path: Path) -> Any:
        return yaml.safe_load(path.read_text(encoding="utf-8"))

    return data_differences(load(ROOT / EXEMPLARY), load(case))


# --------------------------------------------------------------------------- verdicts


def load_catalogue():
    from checker.rules import load_catalogue as load

    return load()


def run_case(case: Path, catalogue) -> tuple[str, dict[str, str]]:
    """(overall, {rule id: verdict}) as the checker says today."""
    from checker.check import check_file

    result = check_file(str(case), catalogue, check_date=CHECK_DATE)
    return result.overall, {f.id: f.verdict.value for f in result.findings}


def overall_of(verdicts: dict[str, str], catalogue) -> str:
    """The overall verdict the checker's own rule (checker.verdicts.overall_verdict) gives these verdicts."""
    from checker.rules import Verdict
    from checker.verdicts import overall_verdict

    findings = [SimpleNamespace(verdict=Verdict(v), severity=catalogue.by_id[r].rule.severity)
                for r, v in verdicts.items() if r in catalogue.by_id]
    return overall_verdict(findings)


def checker_view(data: dict) -> dict[str, str]:
    """The verdicts the checker is expected to give today: the right ones, except known_wrong."""
    out = dict(data.get("verdicts", {}))
    for rule, entry in (data.get("known_wrong") or {}).items():
        out[rule] = entry["checker"]
    return out


def differences(expected: dict[str, str], actual: dict[str, str]) -> list[tuple[str, Optional[str], Optional[str]]]:
    return [(r, expected.get(r), actual.get(r)) for r in sorted(set(expected) | set(actual))
            if expected.get(r) != actual.get(r)]


def format_differences(diff: list[tuple[str, Optional[str], Optional[str]]]) -> str:
    width = max((len(r) for r, _, _ in diff), default=0)
    return "\n".join(f"  {r:<{width}}  expected {e or '(missing)':<16} actual {a or '(no such rule)'}"
                     for r, e, a in diff)


# --------------------------------------------------------------------------- README table


def summaries() -> dict[str, dict[str, str]]:
    from summaries import SUMMARIES

    return SUMMARIES


def readme_table(results: dict[str, tuple[str, dict[str, str]]]) -> str:
    """Markdown table, one row per case; numbers from ``results`` ({case: (overall, verdicts)})."""
    texts = summaries()
    lines = ["| case | origin | overall | verletzt | ungeklärt | erfüllt | n. a. | known wrong | what the checker finds and why |",
             "| --- | --- | --- | ---: | ---: | ---: | ---: | --- | --- |"]
    for case in sorted(case_files(), key=lambda c: (is_draft(c), c.name)):
        key = rel(case)
        overall, verdicts = results[key]
        count = {v: sum(1 for x in verdicts.values() if x == v) for v in VERDICTS}
        data = load_expected(case) or {}
        wrong: dict[str, int] = {}
        for entry in (data.get("known_wrong") or {}).values():
            wrong[entry["review"]] = wrong.get(entry["review"], 0) + 1
        wrong_text = ", ".join(f"{r} ({n})" for r, n in sorted(wrong.items())) or "–"
        text = texts.get(key, {})
        origin = text.get("origin") or (f"defective draft of `{Path(EXEMPLARY).name}`" if is_draft(case) else "?")
        if is_draft(case) and data.get("breaks"):
            origin += "; breaks " + ", ".join(f"`{b}`" for b in data["breaks"])
        link = f"[`{case.parent.name}/{case.name}`]({case.parent.name}/{case.name})"
        lines.append(f"| {link} | {origin} | `{overall}` | {count['verletzt']} | {count['ungeklaert']} | "
                     f"{count['erfuellt']} | {count['nicht_anwendbar']} | {wrong_text} | {text.get('finding', '?')} |")
    return "\n".join(lines)


def replace_table(readme_text: str, table: str) -> str:
    head, sep, rest = readme_text.partition(TABLE_START)
    _old, sep2, tail = rest.partition(TABLE_END)
    if not sep or not sep2:
        raise SystemExit(f"{README}: markers {TABLE_START} / {TABLE_END} missing")
    return f"{head}{TABLE_START}\n{table}\n{TABLE_END}{tail}"


# --------------------------------------------------------------------------- commands


def _fresh(overall: str, verdicts: dict[str, str], case: Path) -> dict:
    data: dict[str, Any] = {"overall": overall, "verdicts": dict(verdicts)}
    if is_draft(case):
        data.update(breaks=[], changed=[])
    return data


def cmd_compare(catalogue) -> int:
    bad = 0
    for case in case_files():
        overall, actual = run_case(case, catalogue)
        data = load_expected(case)
        if data is None:
            print(f"{rel(case)}: no expected file (python cases/tools/expected.py --new-rules-only)")
            bad += 1
            continue
        diff = differences(checker_view(data), actual)
        want_overall = overall_of(checker_view(data), catalogue)
        if diff or want_overall != overall:
            bad += 1
            print(f"{rel(case)}: overall expected {want_overall}, actual {overall}" if want_overall != overall
                  else f"{rel(case)}:")
            if diff:
                print(format_differences(diff))
    print("all expected files match" if not bad else f"{bad} case(s) differ")
    return 1 if bad else 0


def cmd_write(catalogue, new_rules_only: bool) -> int:
    ids = {r.id for r in catalogue.rules}
    for case in case_files():
        overall, actual = run_case(case, catalogue)
        data = load_expected(case)
        if data is None:
            write_expected(case, _fresh(overall, actual, case))
            print(f"{rel(case)}: NEW expected file, review every verdict")
            continue
        verdicts, wrong = data["verdicts"], data.setdefault("known_wrong", {}) or {}
        for rule in sorted(set(verdicts) - ids):
            print(f"{rel(case)}: {rule} removed (no longer in the catalogue)")
            verdicts.pop(rule)
            wrong.pop(rule, None)
            (data.get("notes") or {}).pop(rule, None)
        for rule in sorted(ids):
            now = actual[rule]
            if rule not in verdicts:
                verdicts[rule] = now
                print(f"{rel(case)}: {rule} = {now}  (new rule: review)")
            elif new_rules_only:
                continue
            elif rule in wrong:
                if now == verdicts[rule]:
                    print(f"{rel(case)}: {rule} now {now} as expected: known_wrong entry "
                          f"({wrong[rule]['review']}) removed")
                    wrong.pop(rule)
                elif now != wrong[rule]["checker"]:
                    print(f"{rel(case)}: {rule} checker now {now} (was {wrong[rule]['checker']}), "
                          f"right {verdicts[rule]}")
                    wrong[rule]["checker"] = now
            elif now != verdicts[rule]:
                print(f"{rel(case)}: {rule} {verdicts[rule]} -> {now}  (review)")
                verdicts[rule] = now
        data["known_wrong"] = wrong
        data["overall"] = overall_of(verdicts, catalogue)
        write_expected(case, data)
    return 0


def cmd_readme(catalogue) -> int:
    results = {rel(c): run_case(c, catalogue) for c in case_files()}
    text = README.read_text(encoding="utf-8")
    new = replace_table(text, readme_table(results))
    if new != text:
        README.write_text(new, encoding="utf-8")
        print(f"{README.relative_to(ROOT)}: table updated")
    else:
        print(f"{README.relative_to(ROOT)}: table is current")
    return 0


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--new-rules-only", action="store_true",
                       help="add missing rules (current verdict), drop removed ones; create missing files")
    group.add_argument("--update", action="store_true", help="take over every current verdict except known_wrong")
    group.add_argument("--readme", action="store_true", help="regenerate the case table in cases/README.md")
    args = parser.parse_args(argv)
    catalogue = load_catalogue()
    if args.readme:
        return cmd_readme(catalogue)
    if args.new_rules_only or args.update:
        return cmd_write(catalogue, new_rules_only=args.new_rules_only)
    return cmd_compare(catalogue)


if __name__ == "__main__":
    sys.exit(main())
