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

from typing import Any, Callable, Iterable, Optional

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


def _unjudgeable_why(result: AgreementResult, lang: str) -> Optional[str]:
    """For an agreement that is nicht prüfbar, the sentence that says why; else None."""
    if result.overall != OVERALL_UNJUDGEABLE:
        return None
    open_, judged = blocker_tally(result.findings)
    return word(lang, "unjudgeable", open=open_, total=open_ + judged)


def _gather(results: list[AgreementResult], errors: list, per_result: Callable[..., tuple[list, list]],
            **options: Any) -> list:
    """A one-line format's entries: the unreadable inputs, then every agreement that is nicht
    prüfbar, then every listed finding (``per_result`` gives one agreement's two parts)."""
    parts = [per_result(result, **options) for result in results]
    return errors + [x for first, _ in parts for x in first] + [x for _, second in parts for x in second]


def concise_errors(ctx: Context, lang: str) -> list[str]:
    lines = []
    for error in ctx.errors:
        where = f"{error.file}:{error.line or 1}:{error.column or 1}"
        text = f"{error.path}: {error.message}" if error.path else error.message
        lines.append(f"{where}: {'Fehler' if lang == 'de' else 'error'} {_one_line(text)}\n")
    return lines


def concise_parts(result: AgreementResult, *, policy: Policy, lang: str, ctx: Context) -> tuple[list, list]:
    """One agreement's lines of ``concise``: (nicht prüfbar, findings)."""
    why = _unjudgeable_why(result, lang)
    first = [f"{result.path}:1:1: {_one_line(why)}\n"] if why is not None else []
    second = []
    for finding in result.findings:
        if listed(finding, policy):
            _path, line, column = primary_location(finding)
            second.append(f"{result.path}:{line or 1}:{column or 1}: {finding.id} "
                          f"{label(VERDICT, finding.verdict.value, lang)} "
                          f"{label(SEVERITY, finding.severity.value, lang)} "
                          f"{_one_line(getattr(finding.rule.rule.title, lang))}\n")
    return first, second


def to_concise(results: list[AgreementResult], *, run: RunInfo, policy: Policy,
               run_notes: Iterable[WaiverNote] = (), lang: str = "de", ctx: Context = Context()) -> str:
    """``FILE:LINE:COL: ID VERDICT SEVERITY TITLE``, one line per finding (nothing if there is none)."""
    return "".join(_gather(results, concise_errors(ctx, lang), concise_parts, policy=policy, lang=lang, ctx=ctx))


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def github_errors(ctx: Context, lang: str) -> list[str]:
    lines = []
    for error in ctx.errors:
        props = f"file={_gh_property(ctx.name(error.file))},line={error.line or 1}"
        if error.column:
            props += f",col={error.column}"
        text = f"{error.path}: {error.message}" if error.path else error.message
        lines.append(f"::error {props},title={_gh_property('budgetcheck')}::{_gh_data(_one_line(text))}\n")
    return lines


def github_parts(result: AgreementResult, *, policy: Policy, lang: str, ctx: Context) -> tuple[list, list]:
    """One agreement's workflow commands: (nicht prüfbar, findings)."""
    first = []
    why = _unjudgeable_why(result, lang)
    if why is not None:
        props = f"file={_gh_property(ctx.name(result.path))},line=1"
        title = label(OVERALL, result.overall, lang)
        first.append(f"::error {props},title={_gh_property(title)}::{_gh_data(_one_line(why))}\n")
    second = []
    for finding in result.findings:
        if not listed(finding, policy):
            continue
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
        second.append(f"::{command} {props},title={_gh_property(title)}::{_gh_data(_one_line(message))}\n")
    return first, second


def to_github(results: list[AgreementResult], *, run: RunInfo, policy: Policy,
              run_notes: Iterable[WaiverNote] = (), lang: str = "de", ctx: Context = Context()) -> str:
    """GitHub Actions workflow commands, one per finding."""
    return "".join(_gather(results, github_errors(ctx, lang), github_parts, policy=policy, lang=lang, ctx=ctx))


def gitlab_errors(ctx: Context, lang: str) -> list[dict]:
    issues = []
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
    return issues


def gitlab_parts(result: AgreementResult, *, policy: Policy, lang: str, ctx: Context) -> tuple[list, list]:
    """One agreement's Code Quality entries: (nicht prüfbar, findings)."""
    name = ctx.name(result.path)
    first = []
    why = _unjudgeable_why(result, lang)
    if why is not None:
        first.append({
            "description": _one_line(why),
            "check_name": OVERALL_UNJUDGEABLE,
            "fingerprint": fingerprints._digest(OVERALL_UNJUDGEABLE, name),
            "severity": "blocker",
            "location": {"path": name, "lines": {"begin": 1}},
        })
    second = []
    for finding in result.findings:
        if not listed(finding, policy):
            continue
        _path, line, _column = primary_location(finding)
        second.append({
            "description": f"{finding.id}: {_one_line(getattr(finding.rule.rule.title, lang))} "
                           f"({label(VERDICT, finding.verdict.value, lang)})",
            "check_name": finding.id,
            "fingerprint": fingerprints.located_fingerprint(name, finding),
            "severity": GITLAB_SEVERITY[finding.severity],
            "location": {"path": name, "lines": {"begin": line or 1}},
        })
    return first, second


def to_gitlab(results: list[AgreementResult], *, run: RunInfo, policy: Policy,
              run_notes: Iterable[WaiverNote] = (), lang: str = "de", ctx: Context = Context()) -> str:
    """GitLab Code Quality report (JSON array), one entry per finding."""
    return dump_json(_gather(results, gitlab_errors(ctx, lang), gitlab_parts, policy=policy, lang=lang, ctx=ctx))


assert set(SEVERITY_LEVEL) == set(GITLAB_SEVERITY)
