"""One-line-per-finding formats for CI: ``concise``, ``github`` and ``gitlab``.

Which findings appear (:func:`listed`): every *verletzt* finding that is neither waived nor
known from ``--baseline``, and an *ungeklärt* one only when it fails the run
(``--fail-on-unresolved``): a draft has many open questions, and a pre-commit run that
prints them all is not read. Agreements that could not be read appear as errors.

* ``concise`` (Ruff's ``--output-format concise``): ``FILE:LINE:COL: ID VERDICT SEVERITY TITLE``.
* ``github``: workflow commands (``::error file=F,line=L,col=C,title=ID::message``); the
  runner turns them into annotations on the pull request. blocker and major are
  ``error``, minor ``warning``, hinweis ``notice`` (as the SARIF levels).
* ``gitlab``: Code Quality report (a JSON array of ``description``, ``check_name``,
  ``fingerprint``, ``severity``, ``location.path``, ``location.lines.begin``) for the
  ``artifacts:reports:codequality`` of a job.

An agreement whose overall verdict is *nicht prüfbar* fails the run without a failing rule;
each format gives it one line of its own (concise ``FILE:1:1: nicht prüfbar ...``, a
GitHub ``::error``, a GitLab ``blocker`` entry with check name ``nicht_pruefbar``).

File names are relative to the project root (git top level or ``--project-root``), as
GitHub and GitLab resolve them against the checkout.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator

from checker import fingerprints
from checker.formats import (SEVERITY_LEVEL, Context, Policy, dump_json, primary_location, sarif_level, word)
from checker.labels import OVERALL, SEVERITY, VERDICT, label
from checker.rules import Severity, Verdict
from checker.verdicts import OVERALL_UNJUDGEABLE, AgreementResult, Finding, RunInfo, WaiverNote, blocker_tally

GITLAB_SEVERITY = {
    Severity.blocker: "blocker",
    Severity.major: "major",
    Severity.minor: "minor",
    Severity.hinweis: "info",
}
GITHUB_COMMAND = {"error": "error", "warning": "warning", "note": "notice"}


def listed(finding: Finding, policy: Policy) -> bool:
    """Whether a one-line format shows ``finding`` (see the module docstring)."""
    if getattr(finding, "baseline", False) or finding.verdict == Verdict.ausgenommen:
        return False
    if finding.verdict == Verdict.verletzt:
        return True
    return finding.verdict == Verdict.ungeklaert and policy.fails(finding)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _items(results: list[AgreementResult], policy: Policy) -> Iterator[tuple[AgreementResult, Finding]]:
    for result in results:
        for finding in result.findings:
            if listed(finding, policy):
                yield result, finding


def _unjudgeable(results: list[AgreementResult], lang: str) -> Iterator[tuple[AgreementResult, str]]:
    """The agreements that are nicht prüfbar, each with the sentence that says why."""
    for result in results:
        if result.overall == OVERALL_UNJUDGEABLE:
            open_, judged = blocker_tally(result.findings)
            yield result, word(lang, "unjudgeable", open=open_, total=open_ + judged)


def to_concise(results: list[AgreementResult], *, run: RunInfo, policy: Policy,
               run_notes: Iterable[WaiverNote] = (), lang: str = "de", ctx: Context = Context()) -> str:
    """``FILE:LINE:COL: ID VERDICT SEVERITY TITLE``, one line per finding (nothing if there is none)."""
    lines = []
    for error in ctx.errors:
        where = f"{error.file}:{error.line or 1}:{error.column or 1}"
        text = f"{error.path}: {error.message}" if error.path else error.message
        lines.append(f"{where}: {'Fehler' if lang == 'de' else 'error'} {_one_line(text)}")
    for result, why in _unjudgeable(results, lang):
        lines.append(f"{result.path}:1:1: {_one_line(why)}")
    for result, finding in _items(results, policy):
        _path, line, column = primary_location(finding)
        lines.append(f"{result.path}:{line or 1}:{column or 1}: {finding.id} "
                     f"{label(VERDICT, finding.verdict.value, lang)} "
                     f"{label(SEVERITY, finding.severity.value, lang)} "
                     f"{_one_line(getattr(finding.rule.rule.title, lang))}")
    return "".join(line + "\n" for line in lines)


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def to_github(results: list[AgreementResult], *, run: RunInfo, policy: Policy,
              run_notes: Iterable[WaiverNote] = (), lang: str = "de", ctx: Context = Context()) -> str:
    """GitHub Actions workflow commands, one per finding."""
    lines = []
    for error in ctx.errors:
        props = f"file={_gh_property(ctx.name(error.file))},line={error.line or 1}"
        if error.column:
            props += f",col={error.column}"
        text = f"{error.path}: {error.message}" if error.path else error.message
        lines.append(f"::error {props},title={_gh_property('budgetcheck')}::{_gh_data(_one_line(text))}")
    for result, why in _unjudgeable(results, lang):
        props = f"file={_gh_property(ctx.name(result.path))},line=1"
        title = label(OVERALL, result.overall, lang)
        lines.append(f"::error {props},title={_gh_property(title)}::{_gh_data(_one_line(why))}")
    for result, finding in _items(results, policy):
        _path, line, column = primary_location(finding)
        props = f"file={_gh_property(ctx.name(result.path))},line={line or 1}"
        if line and column:
            props += f",col={column}"
        rule = finding.rule.rule
        title = f"{finding.id} ({label(VERDICT, finding.verdict.value, lang)}, " \
                f"{label(SEVERITY, finding.severity.value, lang)})"
        message = f"{getattr(rule.title, lang)}. {getattr(rule.recommendation, lang)}" \
            if finding.verdict == Verdict.verletzt else getattr(rule.title, lang)
        command = GITHUB_COMMAND[sarif_level(finding, policy)]
        lines.append(f"::{command} {props},title={_gh_property(title)}::{_gh_data(_one_line(message))}")
    return "".join(line + "\n" for line in lines)


def to_gitlab(results: list[AgreementResult], *, run: RunInfo, policy: Policy,
              run_notes: Iterable[WaiverNote] = (), lang: str = "de", ctx: Context = Context()) -> str:
    """GitLab Code Quality report (JSON array), one entry per finding."""
    issues: list[dict[str, Any]] = []
    for error in ctx.errors:
        name = ctx.name(error.file)
        text = f"{error.path}: {error.message}" if error.path else error.message
        issues.append({
            "description": _one_line(text),
            "check_name": "input-error",
            "fingerprint": fingerprints._digest("input-error", name, str(error.line), error.path),
            "severity": "blocker",
            "location": {"path": name, "lines": {"begin": error.line or 1}},
        })
    for result, why in _unjudgeable(results, lang):
        name = ctx.name(result.path)
        issues.append({
            "description": _one_line(why),
            "check_name": OVERALL_UNJUDGEABLE,
            "fingerprint": fingerprints._digest(OVERALL_UNJUDGEABLE, name),
            "severity": "blocker",
            "location": {"path": name, "lines": {"begin": 1}},
        })
    for result, finding in _items(results, policy):
        _path, line, _column = primary_location(finding)
        name = ctx.name(result.path)
        issues.append({
            "description": f"{finding.id}: {_one_line(getattr(finding.rule.rule.title, lang))} "
                           f"({label(VERDICT, finding.verdict.value, lang)})",
            "check_name": finding.id,
            "fingerprint": fingerprints.located_fingerprint(name, finding),
            "severity": GITLAB_SEVERITY[finding.severity],
            "location": {"path": name, "lines": {"begin": line or 1}},
        })
    return dump_json(issues)


assert set(SEVERITY_LEVEL) == set(GITLAB_SEVERITY)
