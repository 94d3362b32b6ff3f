"""How many questions the report asks for each ISSAB source case (issue 10's target).

    .venv/bin/python -m benchmarks.questions            # table of the eleven ISSAB cases
    .venv/bin/python -m benchmarks.questions --all      # every shipped case
    .venv/bin/python -m benchmarks.questions -v CASE    # one case, question by question

Columns: ``questions`` (every question of the Klärungsbedarf), ``blocker`` (those that decide a
blocker: stage 1), ``major`` (stage 2), ``minor`` (stage 3: only minor rules and recommendations,
which never change the overall verdict), ``open blockers`` (blocker rules ungeklärt) and
``uncovered`` (open rules that no question covers; must be 0). The check date is fixed
(2026-01-01) so the figures do not move with the calendar. Nothing is timed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATE = dt.date(2026, 1, 1)


def counts(result) -> dict:
    from checker.rules import Severity, Verdict

    open_rules = {f.id for f in result.findings if f.verdict == Verdict.ungeklaert}
    covered = {r for q in result.questions for r in q.rules}
    stages = [q.stage for q in result.questions]
    return {
        "questions": len(result.questions),
        "blocker": stages.count(1),
        "major": stages.count(2),
        "minor": stages.count(3),
        "open_rules": len(open_rules),
        "open_blockers": sum(1 for f in result.findings
                             if f.verdict == Verdict.ungeklaert and f.severity == Severity.blocker),
        "uncovered": len(open_rules - covered),
        "overall": result.overall,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", help="agreement files (default: cases/source/issab-*.yaml)")
    parser.add_argument("--all", action="store_true", help="every shipped case")
    parser.add_argument("-v", "--verbose", action="store_true", help="list the questions of each case")
    parser.add_argument("--lang", default="de", choices=("de", "en"))
    args = parser.parse_args(argv)

    from checker.check import check_file
    from checker.rules import load_catalogue

    if args.cases:
        paths = [Path(p) for p in args.cases]
    elif args.all:
        paths = sorted(p for p in (ROOT / "cases").rglob("*.yaml") if not p.name.endswith(".expected.yaml"))
    else:
        paths = sorted((ROOT / "cases/source").glob("issab-*.yaml"))
        paths = [p for p in paths if not p.name.endswith(".expected.yaml")]
    catalogue = load_catalogue()
    rows = []
    print(f"{'case':44} {'questions':>9} {'blocker':>7} {'major':>5} {'minor':>5} "
          f"{'open rules':>10} {'open blockers':>13} {'uncovered':>9}  overall")
    for path in paths:
        result = check_file(str(path), catalogue, check_date=DATE)
        c = counts(result)
        rows.append(c)
        print(f"{path.stem:44} {c['questions']:9} {c['blocker']:7} {c['major']:5} {c['minor']:5} "
              f"{c['open_rules']:10} {c['open_blockers']:13} {c['uncovered']:9}  {c['overall']}")
        if args.verbose:
            for q in result.questions:
                print(f"   {q.n:2} [{q.stage}] {q.key}: {q.text(args.lang)}")
                print(f"        rules: {', '.join(q.rules)}")
    if len(rows) > 1:
        med = {k: statistics.median(r[k] for r in rows) for k in ("questions", "blocker", "major", "minor")}
        print(f"{'median':44} {med['questions']:9g} {med['blocker']:7g} {med['major']:5g} {med['minor']:5g}")
    return 1 if any(r["uncovered"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
