"""Machine-readable reports: JSON, JUnit XML and SARIF 2.1.0, built from the Result.

Every function here reads :class:`checker.verdicts.AgreementResult` and never
recomputes a verdict. Output is deterministic: keys sorted, agreements in the order
given, findings in catalogue order, no time stamps except the check date.

How verdicts map (also in ``docs/ci.md``):

========================  =======================================  ==========================================
verdict                   SARIF result                              JUnit testcase
========================  =======================================  ==========================================
verletzt                  level by severity: blocker, major ->      ``<failure type=SEVERITY>`` if the severity
                          ``error``; minor -> ``warning``;          is at or above ``--fail-on``; below it a
                          hinweis -> ``note``                       passing testcase with ``<system-out>``
ungeklärt                 only with ``--sarif-unresolved``:         ``<skipped>``, or ``<failure
                          ``note``; always, as ``warning``, if      type="ungeklaert">`` if it makes the run fail
                          ``--fail-on-unresolved`` makes it fail
nicht anwendbar           not reported                              ``<skipped>``
ausgenommen (waived)      reported as its underlying verdict, with  ``<skipped>`` with the waiver's reason
                          ``suppressions`` (``inSource`` for a
                          waiver in the agreement, ``external`` for
                          one from a waiver file)
erfüllt                   not reported                              passing testcase
========================  =======================================  ==========================================

Strings from the input (titles, values, waiver reasons) may hold anything. JSON
escapes control characters itself; we additionally write C1 controls, DEL, bidi
overrides (U+202A-U+202E, U+2066-U+2069), U+2028/U+2029 and lone surrogates as
``\\uXXXX``, so that no report can reorder or recolour a terminal or an editor view.
In JUnit XML, characters XML 1.0 forbids and the same invisible controls are
replaced by the visible text ``\\uXXXX``; ElementTree escapes markup.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Iterable, Optional
from urllib.parse import quote

from checker import fingerprints
from checker.regime import Regime
from checker.labels import OVERALL, SEVERITY, VERDICT, label, source_origin
from checker.rules import CompiledRule, Severity, Verdict
from checker.verdicts import (OVERALL_UNJUDGEABLE, AgreementResult, AppliedWaiver, Finding, RunInfo, WaiverNote,
                              blocker_tally, severity_at_least, stated_inputs)

MACHINE_FORMATS = ("json", "junit", "sarif", "concise", "github", "gitlab")

REPORT_FORMAT = "budgetcheck-report"
REPORT_VERSION = 2  # 2: overall verdicts nicht_pruefbar and nicht_zeichnungsreif_ohne_klaerung; questions
REPORT_SCHEMA_ID = "https://budgetcheck.invalid/schema/report-v2.json"
REPORT_SCHEMA_FILE = "docs/report-schema.json"

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = fingerprints.SARIF_KEY
ROOT_BASE_ID = "PROJECTROOT"
RULES_DOC = "docs/rules.md"

SEVERITY_LEVEL = {
    Severity.blocker: "error",
    Severity.major: "error",
    Severity.minor: "warning",
    Severity.hinweis: "note",
}

_WORDS = {
    "unjudgeable": (
        "nicht prüfbar: {open} von {total} Blockern, die anwendbar sein können, sind ungeklärt; die Beschreibung "
        "reicht für ein Urteil nicht aus (erst die Fragen des Klärungsbedarfs beantworten)",
        "cannot be judged: {open} of {total} blockers that may apply are unresolved; the description is too "
        "thin for a verdict (answer the open questions first)",
    ),
    "missing": ("fehlende Angaben", "missing information"),
    "evidence": ("Belege", "evidence"),
    "line": ("Zeile", "line"),
    "recommendation": ("Empfehlung", "recommendation"),
    "question": ("Frage", "question"),
    "source": ("Quelle", "source"),
    "legal": ("Rechtsgrundlage", "legal basis"),
    "rationale": ("Begründung", "rationale"),
    "waived": ("ausgenommen", "waived"),
    "granted_by": ("erteilt von", "granted by"),
    "expires": ("gültig bis", "valid until"),
    "below": (
        "unter der Schwelle --fail-on {threshold}; lässt die Prüfung nicht scheitern",
        "below the threshold --fail-on {threshold}; does not fail the check",
    ),
    "not_stated": ("nicht angegeben", "not stated"),
    "waiver_expired": ("Ausnahme abgelaufen am {date}: {rule}", "waiver expired on {date}: {rule}"),
    "waiver_unused": (
        "Ausnahme für {rule} wird nicht gebraucht (keine Abweichung ausgenommen)",
        "waiver for {rule} is not needed (it waived nothing)",
    ),
    "waiver_unknown_rule": ("Ausnahme nennt unbekannte Regel {rule}", "waiver names an unknown rule {rule}"),
    "waiver_merged_rule": (
        "Ausnahme für {rule} ohne Wirkung: die Regel wurde in {into} zusammengeführt; prüfen und gegebenenfalls "
        "für {into} neu erteilen",
        "waiver for {rule} has no effect: the rule was merged into {into}; review it and grant it again for "
        "{into} if it still holds",
    ),
}


def word(lang: str, key: str, **values: Any) -> str:
    return _WORDS[key][0 if lang == "de" else 1].format(**values)


# --------------------------------------------------------------------------- run context


@dataclass(frozen=True)
class Context:
    """What the machine formats need beyond the results.

    ``root``: the project root (git top level or ``--project-root``); file names in SARIF,
    GitHub, GitLab and the baseline are relative to it. ``help_base``: where the rule
    documentation lives (SARIF ``helpUri``), default the repository URL of the project.
    ``sarif_unresolved``: also report *ungeklärt* findings in SARIF (always when they fail
    the run). ``errors``: agreements that could not be read (``loader.ErrorItem``); each
    format reports them while the other agreements are still checked.
    """

    root: Optional[Path] = None
    help_base: Optional[str] = None
    sarif_unresolved: bool = False
    errors: tuple = ()

    def name(self, path: str) -> str:
        return fingerprints.project_path(path, self.root)


def repository_url() -> Optional[str]:
    """The ``Repository`` URL of the installed project (``[project.urls]`` in pyproject.toml)."""
    from importlib import metadata

    try:
        urls = metadata.metadata("budgetcheck").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        urls = []
    for entry in urls:
        name, _sep, url = entry.partition(",")
        if name.strip().lower() in ("repository", "source", "homepage"):
            return url.strip().rstrip("/")
    return None


def default_help_base() -> Optional[str]:
    """``REPOSITORY/blob/main/docs/rules.md`` (GitHub and GitLab both serve that path)."""
    url = repository_url()
    return f"{url}/blob/main/{RULES_DOC}" if url else None


def heading_anchor(heading: str) -> str:
    """The anchor GitHub and GitLab give a Markdown heading: lower case, punctuation dropped, spaces to '-'."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


# --------------------------------------------------------------------------- policy


@dataclass(frozen=True)
class Policy:
    """When a finding fails the run: ``--fail-on`` and ``--fail-on-unresolved``."""

    fail_on: Severity = Severity.blocker
    fail_on_unresolved: bool = False

    def fails(self, finding: Finding) -> bool:
        if getattr(finding, "baseline", False):  # known from --baseline: reported, never fails
            return False
        if not severity_at_least(finding.severity, self.fail_on):
            return False
        return finding.verdict == Verdict.verletzt or (
            self.fail_on_unresolved and finding.verdict == Verdict.ungeklaert)

    def failed(self, result: AgreementResult) -> bool:
        """A finding fails, or the agreement is nicht prüfbar (a description too thin to judge never passes)."""
        return result.overall == OVERALL_UNJUDGEABLE or any(self.fails(f) for f in result.findings)


# --------------------------------------------------------------------------- text safety

# Invisible or reordering characters that JSON leaves alone: DEL and C1 controls, the
# Arabic letter mark, LRM/RLM, line/paragraph separators, bidi embeddings, overrides and
# isolates, the BOM, lone surrogates.
_INVISIBLE = "\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff"
_JSON_UNSAFE = re.compile(f"[{_INVISIBLE}]")
# Characters XML 1.0 does not allow at all, plus the invisible ones above.
_XML_UNSAFE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff{_INVISIBLE}]")


def _u_escape(match: re.Match) -> str:
    return f"\\u{ord(match.group()):04x}"


_orjson: Any = None  # orjson once imported (dump_json); False: not installed


def _orjson_module() -> Any:
    """orjson, imported on first use (start-up time of a check that writes no JSON); None if missing.
    orjson writes the same text as json.dumps below, 3-4 times faster (json's indent is pure Python)."""
    global _orjson
    if _orjson is None:
        try:
            import orjson
        except ImportError:  # pragma: no cover - a platform without an orjson wheel
            orjson = False
        _orjson = orjson
    return _orjson or None

class _LazyModule:
    """A module imported on its first attribute access (start-up time of a check that writes no XML)."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        import importlib

        return getattr(importlib.import_module(self._name), attr)


ET = _LazyModule("xml.etree.ElementTree")  # JUnit

_PLAIN_SCALARS = frozenset({str, int, bool, type(None)})


def _orjson_safe(document: Any) -> bool:
    """Whether orjson writes ``document`` exactly as ``json.dumps`` does: only dicts with
    ``str`` keys, lists, tuples, strings, integers, booleans, None and floats that Python
    writes without an exponent (1e-4 <= |x| < 1e16, or 0; orjson differs below 1e-4 and for
    NaN and infinity, which json.dumps refuses here). Subclasses (str enums) and other
    types go to json.dumps. Integers beyond 64 bits and lone surrogates make orjson raise."""
    stack = [document]
    plain = _PLAIN_SCALARS
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is dict:
            for key in node:
                if type(key) is not str:
                    return False
            stack.extend(node.values())
        elif kind is list or kind is tuple:
            stack.extend(node)
        elif kind is float:
            if node and not 1e-4 <= abs(node) < 1e16:  # also False for NaN
                return False
        elif kind not in plain:
            return False
    return True


def dump_json(document: Any) -> str:
    """Sorted, indented JSON; UTF-8 text, with invisible controls escaped; ends with a newline."""
    orjson = _orjson_module()
    if orjson is not None and _orjson_safe(document):
        try:
            text = orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()
        except orjson.JSONEncodeError:  # a lone surrogate or an integer beyond 64 bits
            text = json.dumps(document, ensure_ascii=False, sort_keys=True, indent=2, allow_nan=False)
    else:
        text = json.dumps(document, ensure_ascii=False, sort_keys=True, indent=2, allow_nan=False)
    return _JSON_UNSAFE.sub(_u_escape, text) + "\n"


def xml_safe(text: str) -> str:
    """``text`` with characters XML 1.0 forbids (and invisible controls) written as ``\\uXXXX``."""
    return _XML_UNSAFE.sub(_u_escape, text)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")
_MD_LINE_START = re.compile(r"^(\s*)(\d*)([#+\->=]|(?<=\d)[.)])")


def md_escape(text: Any, *, line_start: bool = False) -> str:
    """Plain text (on one line) that renders as itself in Markdown, also inside a table cell.

    ``line_start``: the text begins a line (or a quote), so a leading ``#``, ``-``, ``1.`` ... is escaped too.
    """
    flat = _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))
    if line_start:
        flat = _MD_LINE_START.sub(lambda m: m.group(1) + m.group(2) + "\\" + m.group(3), flat)
    return flat


# --------------------------------------------------------------------------- shared pieces


def file_uri(path: str) -> str:
    """A SARIF ``uri``: relative paths stay relative (``/`` separators, percent-encoded)."""
    pure = Path(path)
    if pure.is_absolute():
        return pure.as_uri()
    return quote(PurePosixPath(*pure.parts).as_posix() if pure.parts else path, safe="/")


def show_value(value: Any, lang: str, limit: int = 200) -> str:
    """A short display of an evidence value."""
    if value is None:
        return word(lang, "not_stated")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        value = int(value)
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        text = "[" + ", ".join(show_value(v, lang, limit) for v in value) + "]"
    else:
        text = f"„{value}“" if lang == "de" else f'"{value}"'
    return text if len(text) <= limit else text[: limit - 1] + "…"


_INDEX = re.compile(r"\[\d+\]")


def primary_location(finding: Finding) -> tuple[Optional[str], Optional[int], Optional[int]]:
    """Path, line and column of the first evidence with a line, else of the first missing path.

    Evidence of the criterion itself comes before evidence that only shows the rule applies (e.g. that
    a service carries an individual claim): the location points at the clause to change."""
    scope = {inp for conj in finding.rule.applies_true for lit in conj for path, _key in lit.atoms
             for inp in (path, *stated_inputs(path))}
    evidence = sorted(finding.evidence, key=lambda e: _INDEX.sub("[]", e.path) in scope)  # stable sort
    for item in [*evidence, *finding.missing]:
        if item.line is not None:
            return item.path, item.line, item.column
    first = (finding.evidence or finding.missing or [None])[0]
    return (first.path if first else None), None, None


def fingerprint(rule_id: str, file: str, path: Optional[str]) -> str:
    """Stable across runs and line moves: rule id, agreement file and the finding's path."""
    return hashlib.sha256(f"{rule_id}\0{file}\0{path or ''}".encode()).hexdigest()[:32]


def evidence_lines(finding: Finding, lang: str) -> list[str]:
    out = []
    for ev in finding.evidence:
        text = f"{ev.path} = {show_value(ev.value, lang)}"
        extras = [ev.section] if ev.section else []
        if ev.line is not None:
            extras.append(f"{word(lang, 'line')} {ev.line}")
        if ev.note:
            extras.append(ev.note)
        if ev.rule:
            extras.append(ev.rule)
        out.append(text + (f" ({'; '.join(extras)})" if extras else ""))
    return out


def missing_text(finding: Finding, lang: str) -> str:
    parts = [m.path + (f" ({word(lang, 'line')} {m.line})" if m.line is not None else "") for m in finding.missing]
    return f"{word(lang, 'missing')}: " + ", ".join(parts) if parts else ""


def waiver_text(waiver: AppliedWaiver, lang: str) -> str:
    text = waiver.reason
    extras = []
    if waiver.granted_by:
        extras.append(f"{word(lang, 'granted_by')} {waiver.granted_by}")
    if waiver.expires:
        extras.append(f"{word(lang, 'expires')} {waiver.expires}")
    return text + (f" ({', '.join(extras)})" if extras else "")


def note_text(note: WaiverNote, lang: str) -> str:
    w = note.waiver
    where = f"{w.origin}:{w.line}" if w.line is not None else w.origin
    message = word(lang, f"waiver_{note.kind}", rule=w.rule, date=w.expires or "")
    if note.kind == "unknown_rule":
        from checker.rules import retired_rules

        into = retired_rules().get(w.rule)
        if into:
            message = word(lang, "waiver_merged_rule", rule=w.rule, into=into)
    return f"{where}: {message}"


def verdict_label(finding: Finding, lang: str) -> str:
    text = f"{label(VERDICT, finding.verdict.value, lang)} ({label(SEVERITY, finding.severity.value, lang)})"
    if finding.verdict == Verdict.ausgenommen and finding.underlying:
        text += f", {label(VERDICT, finding.underlying.value, lang)}"
    return text


def _sentence(label_text: str, text: str) -> str:
    text = text.rstrip()
    return f"{label_text[:1].upper()}{label_text[1:]}: {text}" + ("" if text.endswith((".", "?", "!")) else ".")


def finding_message(finding: Finding, lang: str, *, recommendation: bool = True) -> str:
    """One-paragraph plain-text description of a finding."""
    rule = finding.rule.rule
    parts = [f"{getattr(rule.title, lang)}: {verdict_label(finding, lang)}."]
    evidence = evidence_lines(finding, lang)
    if evidence:
        parts.append(_sentence(word(lang, "evidence"), "; ".join(evidence)))
    if finding.missing:
        parts.append(_sentence(word(lang, "missing"), missing_text(finding, lang).split(": ", 1)[1]))
        if rule.question:
            parts.append(_sentence(word(lang, "question"), getattr(rule.question, lang)))
    if finding.waiver:
        parts.append(_sentence(word(lang, "waived"), waiver_text(finding.waiver, lang)))
    if recommendation and (finding.verdict == Verdict.verletzt or finding.underlying == Verdict.verletzt):
        parts.append(_sentence(word(lang, "recommendation"), getattr(rule.recommendation, lang)))
    return " ".join(parts)


def rules_of(results: list[AgreementResult]) -> list[CompiledRule]:
    """The rules checked in this run, in catalogue order."""
    seen: dict[str, CompiledRule] = {}
    for result in results:
        for finding in result.findings:
            seen.setdefault(finding.id, finding.rule)
    return sorted(seen.values(), key=lambda r: r.order)


# --------------------------------------------------------------------------- JSON


def _waiver_doc(waiver: Optional[AppliedWaiver]) -> Optional[dict]:
    if waiver is None:
        return None
    return {"rule": waiver.rule, "reason": waiver.reason, "granted_by": waiver.granted_by,
            "expires": waiver.expires, "origin": waiver.origin, "line": waiver.line}


def _note_doc(note: WaiverNote) -> dict:
    return {"kind": note.kind, "waiver": _waiver_doc(note.waiver)}


def _finding_doc(finding: Finding, policy: Policy) -> dict:
    rule = finding.rule.rule
    return {
        "id": finding.id,
        "title": {"de": rule.title.de, "en": rule.title.en},
        "group": rule.group.value,
        "severity": rule.severity.value,
        "verdict": finding.verdict.value,
        "underlying_verdict": finding.underlying.value if finding.underlying else None,
        "fails": policy.fails(finding),
        "evidence": [
            {"path": e.path, "value": e.value, "line": e.line, "column": e.column, "section": e.section,
             "note": e.note, "rule": e.rule}
            for e in finding.evidence
        ],
        "missing": [{"path": m.path, "line": m.line, "column": m.column} for m in finding.missing],
        "chain": list(finding.chain),
        "waiver": _waiver_doc(finding.waiver),
    }


def error_doc(error: Any) -> dict:
    """An agreement that could not be read (``loader.ErrorItem``) as JSON."""
    return {"file": error.file, "line": error.line, "column": error.column, "path": error.path,
            "message": error.message}


def question_doc(q: Any) -> dict:
    """One question of the Klärungsbedarf (shape documented in checker/questions.py)."""
    return {"n": q.n, "key": q.key, "kind": q.kind, "stage": q.stage, "text": {"de": q.text_de, "en": q.text_en},
            "section": q.section, "severity": q.severity.value, "rules": list(q.rules),
            "facts": list(q.facts or [q.key]),
            "fields": [{"path": f.path, "line": f.line, "column": f.column} for f in q.fields]}


def agreement_doc(result: AgreementResult, policy: Policy) -> dict:
    """One agreement of the JSON report."""
    return {
        "file": result.path,
        "sha256": result.sha256,
        "meta": result.agreement.meta.model_dump(mode="json", exclude_none=True),
        "legal_regime": {lang: Regime.of(result.agreement).label(lang) for lang in ("de", "en")},
        "overall": result.overall,
        "passed": not policy.failed(result),
        "counts": result.counts(),
        "findings": [_finding_doc(f, policy) for f in result.findings],
        "questions": [question_doc(q) for q in result.questions],
        "waiver_notes": [_note_doc(n) for n in result.waiver_notes],
    }


def empty_totals() -> dict:
    """Verdict counts of a run before any agreement (``summary.counts`` of the JSON report)."""
    return {v.value: 0 for v in Verdict}


def report_frame(agreements: list, *, run: RunInfo, policy: Policy, count: int, failed: int, totals: dict,
                 run_notes: Iterable[WaiverNote] = (), errors: Iterable[Any] = ()) -> dict:
    """The JSON report around its agreements (``agreements``: their documents, or placeholders
    of a streamed report); ``count``, ``failed`` and ``totals`` summarise every agreement."""
    errors = list(errors)
    return {
        "$schema": REPORT_SCHEMA_ID,
        "format": REPORT_FORMAT,
        "version": REPORT_VERSION,
        "run": {
            "checker_version": run.checker_version,
            "catalogue_version": run.catalogue_version,
            "catalogue_digest": run.catalogue_digest,
            "rule_count": run.rule_count,
            "check_date": run.check_date,
            "fail_on": policy.fail_on.value,
            "fail_on_unresolved": policy.fail_on_unresolved,
        },
        "summary": {"agreements": count, "failed": failed, "passed": failed == 0, "counts": totals},
        "agreements": agreements,
        "waiver_notes": [_note_doc(n) for n in run_notes],
        **({"errors": [error_doc(e) for e in errors]} if errors else {}),
    }


def report_document(results: list[AgreementResult], *, run: RunInfo, policy: Policy,
                    run_notes: Iterable[WaiverNote] = (), errors: Iterable[Any] = ()) -> dict:
    """The JSON report as a dict (see ``docs/report-schema.json``)."""
    agreements = []
    totals = empty_totals()
    for result in results:
        document = agreement_doc(result, policy)
        for key, value in document["counts"].items():
            totals[key] += value
        agreements.append(document)
    failed = sum(1 for r in results if policy.failed(r))
    return report_frame(agreements, run=run, policy=policy, count=len(results), failed=failed, totals=totals,
                        run_notes=run_notes, errors=errors)


def to_json(results: list[AgreementResult], *, run: RunInfo, policy: Policy,
            run_notes: Iterable[WaiverNote] = (), lang: str = "de", ctx: Context = Context()) -> str:
    """The JSON report. Language-independent: titles carry both languages, verdicts are keys."""
    return dump_json(report_document(results, run=run, policy=policy, run_notes=run_notes, errors=ctx.errors))


# --------------------------------------------------------------------------- SARIF


def _camel(text: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", text)
    return "".join(w[:1].upper() + w[1:] for w in words) or "Rule"


def _legal_text(rule: CompiledRule) -> list[str]:
    out = []
    for ref in rule.rule.legal_basis:
        text = ref.decision if ref.decision else f"{ref.ref} {ref.law}"
        out.append(text + (f" ({ref.note})" if ref.note else ""))
    return out


def _source_text(source: Any, lang: str) -> str:
    title, file = source_origin(source, lang)
    bullet = f", {'Nr.' if lang == 'de' else 'no.'} {source.bullet}" if source.bullet is not None else ""
    return f"{title} [{file}], {source.section}{bullet}"


def rule_help(rule: CompiledRule, lang: str) -> tuple[str, str]:
    """Plain text and Markdown help of a rule: source passages, legal basis, recommendation."""
    r = rule.rule
    quote_open, quote_close = ("„", "“") if lang == "de" else ('"', '"')
    text = [getattr(r.title, lang), ""]
    md = [f"**{md_escape(getattr(r.title, lang))}** ({md_escape(r.id)})", ""]
    for source in r.source:
        text.append(f"{word(lang, 'source')}: {_source_text(source, lang)}: {quote_open}{source.passage}{quote_close}")
        md.append(f"{word(lang, 'source')}: {md_escape(_source_text(source, lang))}")
        md.append("")
        md.append("> " + md_escape(source.passage, line_start=True))
        md.append("")
    legal = _legal_text(rule)
    if legal:
        text.append(f"{word(lang, 'legal')}: " + "; ".join(legal))
        md.append(f"{word(lang, 'legal')}: " + "; ".join(md_escape(x) for x in legal))
        md.append("")
    text.append(f"{word(lang, 'rationale')}: {getattr(r.rationale, lang)}")
    md.append(f"{word(lang, 'rationale')}: {md_escape(getattr(r.rationale, lang))}")
    md.append("")
    text.append(f"{word(lang, 'recommendation')}: {getattr(r.recommendation, lang)}")
    md.append(f"**{word(lang, 'recommendation')}:** {md_escape(getattr(r.recommendation, lang))}")
    return "\n".join(text), "\n".join(md)


def help_uri(rule: CompiledRule, lang: str, base: Optional[str]) -> Optional[str]:
    """Link to the rule's section in ``docs/rules.md`` (its ``### ID: Titel`` heading)."""
    if not base:
        return None
    return f"{base}#{quote(heading_anchor(f'{rule.id}: {getattr(rule.rule.title, lang)}'))}"


def _sarif_rule(rule: CompiledRule, lang: str, ctx: Context = Context()) -> dict:
    r = rule.rule
    help_text, help_md = rule_help(rule, lang)
    out: dict[str, Any] = {
        "id": r.id,
        "name": _camel(r.title.en),
        "shortDescription": {"text": getattr(r.title, lang)},
        "fullDescription": {"text": getattr(r.rationale, lang)},
        "help": {"text": help_text, "markdown": help_md},
        "defaultConfiguration": {"level": SEVERITY_LEVEL[r.severity]},
        "properties": {
            "group": r.group.value,
            "severity": r.severity.value,
            "tags": [r.group.value, r.severity.value],
            "legalBasis": _legal_text(rule),
        },
    }
    uri = help_uri(rule, "de", ctx.help_base)  # docs/rules.md is written in German
    if uri:
        out["helpUri"] = uri
    return out


def sarif_level(finding: Finding, policy: Policy) -> str:
    verdict = finding.underlying if finding.verdict == Verdict.ausgenommen and finding.underlying else finding.verdict
    if verdict == Verdict.ungeklaert:
        unresolved_fails = policy.fail_on_unresolved and severity_at_least(finding.severity, policy.fail_on)
        return "warning" if unresolved_fails else "note"
    return SEVERITY_LEVEL[finding.severity]


def _region(line: Optional[int], column: Optional[int]) -> dict:
    region = {"startLine": line or 1}
    if line and column:
        region["startColumn"] = column
    return region


def artifact_location(path: str, ctx: Context) -> dict:
    """A SARIF artifactLocation: relative to ``PROJECTROOT`` when inside the project, else absolute."""
    name = ctx.name(path)
    if ctx.root is not None and not Path(name).is_absolute():
        return {"uri": file_uri(name), "uriBaseId": ROOT_BASE_ID}
    return {"uri": file_uri(name)}


def _sarif_result(finding: Finding, result: AgreementResult, index: int, rule_index: int,
                  policy: Policy, lang: str, ctx: Context = Context()) -> dict:
    path, line, column = primary_location(finding)
    location: dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": {**artifact_location(result.path, ctx), "index": index},
            "region": _region(line, column),
        },
    }
    if path:
        location["logicalLocations"] = [{"fullyQualifiedName": path, "kind": "member"}]
    out: dict[str, Any] = {
        "ruleId": finding.id,
        "ruleIndex": rule_index,
        "level": sarif_level(finding, policy),
        "message": {"text": finding_message(finding, lang)},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprints.located_fingerprint(ctx.name(result.path), finding)},
        "properties": {
            "verdict": finding.verdict.value,
            "underlyingVerdict": finding.underlying.value if finding.underlying else None,
            "severity": finding.severity.value,
            "group": finding.rule.rule.group.value,
            "fails": policy.fails(finding),
            "baseline": bool(getattr(finding, "baseline", False)),
            "evidence": [{"path": e.path, "line": e.line} for e in finding.evidence],
            "missing": [m.path for m in finding.missing],
        },
    }
    if finding.waiver:
        w = finding.waiver
        suppression: dict[str, Any] = {
            "kind": "inSource" if w.origin == result.path else "external",
            "status": "accepted",
            "justification": w.reason,
            "location": {"physicalLocation": {"artifactLocation": artifact_location(w.origin, ctx),
                                              "region": _region(w.line, None)}},
            "properties": {"grantedBy": w.granted_by, "expires": w.expires},
        }
        out["suppressions"] = [suppression]
    if getattr(finding, "baseline", False):
        out.setdefault("suppressions", []).append({
            "kind": "external", "status": "accepted",
            "justification": "in der Baseline (--baseline)" if lang == "de" else "in the baseline (--baseline)"})
    return out


def _error_notification(error: Any, ctx: Context) -> dict:
    """An agreement that could not be read: a toolExecutionNotification of level error."""
    return {
        "descriptor": {"id": "input-error"},
        "level": "error",
        "message": {"text": error.format()},
        "locations": [{"physicalLocation": {"artifactLocation": artifact_location(error.file, ctx),
                                            "region": _region(error.line, error.column)}}],
        "properties": {"path": error.path},
    }


def _notification(note: WaiverNote, lang: str, ctx: Context = Context()) -> dict:
    w = note.waiver
    return {
        "descriptor": {"id": f"waiver-{note.kind.replace('_', '-')}"},
        "level": "warning",
        "message": {"text": note_text(note, lang)},
        "locations": [{"physicalLocation": {"artifactLocation": artifact_location(w.origin, ctx),
                                            "region": _region(w.line, None)}}],
        "properties": {"rule": w.rule, "reason": w.reason},
    }


def sarif_reports(finding: Finding, policy: Policy, ctx: Context) -> bool:
    """Whether SARIF has a result for ``finding``: violations (also waived ones); *ungeklärt*
    only with ``--sarif-unresolved`` or when it fails the run (``--fail-on-unresolved``)."""
    verdict = finding.underlying if finding.verdict == Verdict.ausgenommen else finding.verdict
    if verdict == Verdict.verletzt:
        return True
    return verdict == Verdict.ungeklaert and (ctx.sarif_unresolved or policy.fails(finding))


def sarif_parts(result: AgreementResult, index: int, rule_index: dict, policy: Policy, lang: str,
                ctx: Context = Context()) -> tuple[dict, list[dict], list[dict]]:
    """What one agreement adds to a SARIF log: its artifact, its results (``index``: its place
    among the artifacts) and the notifications on its waivers."""
    artifact = {"location": artifact_location(result.path, ctx), "hashes": {"sha-256": result.sha256},
                "roles": ["analysisTarget"],
                "properties": {"overall": result.overall, "overallLabel": label(OVERALL, result.overall, lang)}}
    found = [_sarif_result(finding, result, index, rule_index[finding.id], policy, lang, ctx)
             for finding in result.findings if sarif_reports(finding, policy, ctx)]
    return artifact, found, [_notification(n, lang, ctx) for n in result.waiver_notes]


def sarif_document(results: list[AgreementResult], *, run: RunInfo, policy: Policy, lang: str = "de",
                   run_notes: Iterable[WaiverNote] = (), rules: Optional[list[CompiledRule]] = None,
                   ctx: Context = Context()) -> dict:
    """One SARIF 2.1.0 log with one run."""
    rules = rules if rules is not None else rules_of(results)
    rule_index = {r.id: i for i, r in enumerate(rules)}
    artifacts = []
    sarif_results = []
    notes = []
    for index, result in enumerate(results):
        artifact, found, noted = sarif_parts(result, index, rule_index, policy, lang, ctx)
        artifacts.append(artifact)
        sarif_results.extend(found)
        notes.extend(noted)
    return sarif_frame(artifacts, sarif_results, notes, run=run, policy=policy, lang=lang, run_notes=run_notes,
                       rules=rules, ctx=ctx)


def sarif_frame(artifacts: list, sarif_results: list, notes: list, *, run: RunInfo, policy: Policy,
                lang: str = "de", run_notes: Iterable[WaiverNote] = (), rules: list[CompiledRule],
                ctx: Context = Context()) -> dict:
    """The SARIF log around the agreements' artifacts, results and notifications (their
    documents, or placeholders of a streamed log)."""
    notes = list(notes)
    notes.extend(_notification(n, lang, ctx) for n in run_notes)
    invocation: dict[str, Any] = {"executionSuccessful": not ctx.errors}
    if notes:
        invocation["toolConfigurationNotifications"] = notes
    if ctx.errors:
        invocation["toolExecutionNotifications"] = [_error_notification(e, ctx) for e in ctx.errors]
    driver: dict[str, Any] = {"name": "budgetcheck", "version": run.checker_version,
                              "semanticVersion": run.checker_version}
    if repository_url():
        driver["informationUri"] = repository_url()
    run_doc: dict[str, Any] = {}
    if ctx.root is not None:
        # No absolute "uri": the report stays the same on every machine and checkout (SARIF
        # §3.14.14 lets the consumer supply the root; code scanning uses the repository's).
        run_doc["originalUriBaseIds"] = {ROOT_BASE_ID: {"description": {
            "text": "Wurzel des Projekts (git-Arbeitsverzeichnis oder --project-root)" if lang == "de"
            else "project root (git working tree or --project-root)"}}}
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {"driver": {
                "name": "budgetcheck",
                "version": run.checker_version,
                "semanticVersion": run.checker_version,
                **{k: v for k, v in driver.items() if k == "informationUri"},
                "rules": [_sarif_rule(r, lang, ctx) for r in rules],
                "properties": {"catalogueVersion": run.catalogue_version,
                               "catalogueDigest": run.catalogue_digest},
            }},
            "language": "de-DE" if lang == "de" else "en-US",
            "columnKind": "unicodeCodePoints",
            **run_doc,
            "artifacts": artifacts,
            "invocations": [invocation],
            "results": sarif_results,
            "properties": {
                "checkDate": run.check_date,
                "ruleCount": run.rule_count,
                "failOn": policy.fail_on.value,
                "failOnUnresolved": policy.fail_on_unresolved,
            },
        }],
    }


def to_sarif(results: list[AgreementResult], *, run: RunInfo, policy: Policy,
             run_notes: Iterable[WaiverNote] = (), lang: str = "de", ctx: Context = Context()) -> str:
    return dump_json(sarif_document(results, run=run, policy=policy, lang=lang, run_notes=run_notes, ctx=ctx))


# --------------------------------------------------------------------------- JUnit


def _element(parent: ET.Element, tag: str, text: Optional[str] = None, **attrs: Any) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: xml_safe(str(v)) for k, v in attrs.items() if v is not None})
    if text:
        element.text = xml_safe(text)
    return element


def _testcase(suite: ET.Element, finding: Finding, result: AgreementResult, policy: Policy,
              lang: str) -> tuple[bool, bool]:
    """Append one testcase; returns (failed, skipped)."""
    rule = finding.rule.rule
    _path, line, _column = primary_location(finding)
    case = _element(suite, "testcase", classname=result.path, name=f"{rule.id} {getattr(rule.title, lang)}",
                    file=result.path, line=line)
    message = f"{verdict_label(finding, lang)}: {getattr(rule.title, lang)}"
    details = finding_message(finding, lang)
    if policy.fails(finding):
        kind = rule.severity.value if finding.verdict == Verdict.verletzt else finding.verdict.value
        _element(case, "failure", details, message=message, type=kind)
        return True, False
    if finding.verdict == Verdict.verletzt:
        below = word(lang, "below", threshold=policy.fail_on.value)
        _element(case, "system-out", f"{details}\n({below})")
        return False, False
    if finding.verdict == Verdict.ausgenommen:
        assert finding.waiver is not None
        _element(case, "skipped", message=f"{label(VERDICT, 'ausgenommen', lang)}: {waiver_text(finding.waiver, lang)}")
        return False, True
    if finding.verdict == Verdict.ungeklaert:
        _element(case, "skipped", message=f"{label(VERDICT, 'ungeklaert', lang)}: {missing_text(finding, lang)}".rstrip(": "))
        return False, True
    if finding.verdict == Verdict.nicht_anwendbar:
        _element(case, "skipped", message=label(VERDICT, "nicht_anwendbar", lang))
        return False, True
    return False, False


def junit_suite(root: ET.Element, result: AgreementResult, *, run: RunInfo, policy: Policy,
                lang: str) -> dict[str, int]:
    """Append the testsuite of one agreement to ``root``; returns its counts (tests, failures, skipped)."""
    suite = _element(root, "testsuite", name=result.path)
    properties = _element(suite, "properties")
    for name, value in (("sha256", result.sha256), ("overall", label(OVERALL, result.overall, lang)),
                        ("check_date", run.check_date), ("checker_version", run.checker_version),
                        ("catalogue_version", run.catalogue_version),
                        ("catalogue_digest", run.catalogue_digest), ("fail_on", policy.fail_on.value),
                        ("fail_on_unresolved", str(policy.fail_on_unresolved).lower())):
        _element(properties, "property", name=name, value=value)
    for note in result.waiver_notes:
        _element(properties, "property", name=f"waiver_{note.kind}", value=note_text(note, lang))
    counts = {"tests": 0, "failures": 0, "skipped": 0}
    if result.overall == OVERALL_UNJUDGEABLE:  # the run fails without a failing rule: say why
        open_, judged = blocker_tally(result.findings)
        case = _element(suite, "testcase", classname=result.path, name=label(OVERALL, result.overall, lang),
                        file=result.path)
        message = word(lang, "unjudgeable", open=open_, total=open_ + judged)
        _element(case, "failure", message, message=message, type=result.overall)
        counts["tests"] += 1
        counts["failures"] += 1
    for finding in result.findings:
        failed, skipped = _testcase(suite, finding, result, policy, lang)
        counts["tests"] += 1
        counts["failures"] += failed
        counts["skipped"] += skipped
    suite.attrib.update({k: str(v) for k, v in counts.items()})
    suite.attrib["errors"] = "0"
    return counts


def junit_root() -> ET.Element:
    return ET.Element("testsuites", {"name": "budgetcheck"})


def junit_close(root: ET.Element, total: dict[str, int], *, lang: str, ctx: Context = Context()) -> str:
    """Add the testsuites of the agreements that could not be read and the totals; the XML text."""
    unread: dict[str, list] = {}
    for error in ctx.errors:
        unread.setdefault(error.file, []).append(error)
    total = dict(total)
    for file, problems in unread.items():
        suite = _element(root, "testsuite", name=file, tests="1", failures="0", skipped="0", errors="1")
        case = _element(suite, "testcase", classname=file, name="Einlesen" if lang == "de" else "Loading",
                        file=file, line=problems[0].line)
        _element(case, "error", "\n".join(p.format() for p in problems), message=problems[0].format(),
                 type="input")
        total["tests"] += 1
    root.attrib.update({k: str(v) for k, v in total.items()})
    root.attrib["errors"] = str(len(unread))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def to_junit(results: list[AgreementResult], *, run: RunInfo, policy: Policy,
             run_notes: Iterable[WaiverNote] = (), lang: str = "de", ctx: Context = Context()) -> str:
    """JUnit XML: one testsuite per agreement, one testcase per rule; an agreement that could
    not be read is a testsuite with one testcase holding an ``<error>`` per problem."""
    root = junit_root()
    total = {"tests": 0, "failures": 0, "skipped": 0}
    for result in results:
        for key, value in junit_suite(root, result, run=run, policy=policy, lang=lang).items():
            total[key] += value
    return junit_close(root, total, lang=lang, ctx=ctx)


def _renderers() -> dict:
    from checker import ci_formats

    return {"json": to_json, "junit": to_junit, "sarif": to_sarif, "concise": ci_formats.to_concise,
            "github": ci_formats.to_github, "gitlab": ci_formats.to_gitlab}


def render(fmt: str, results: list[AgreementResult], *, run: RunInfo, policy: Policy, lang: str = "de",
           run_notes: Iterable[WaiverNote] = (), ctx: Context = Context()) -> str:
    """Render one machine format (``json``, ``junit``, ``sarif``, ``concise``, ``github``, ``gitlab``)."""
    return _renderers()[fmt](results, run=run, policy=policy, run_notes=list(run_notes), lang=lang, ctx=ctx)


# --------------------------------------------------------------------------- rule catalogue documentation

_DOC_WORDS = {
    "catalogue": ("Regelkatalog", "Rule catalogue"),
    "generated": (
        "Erzeugt aus den Regeldateien mit `budgetcheck rules --format md`; nicht von Hand ändern. "
        "Neu erzeugen: `python3 dev.py rules --format md > docs/rules.md`.",
        "Generated from the rule files by `budgetcheck rules --format md --lang en`; do not edit by hand.",
    ),
    "intro": (
        "Katalogversion {version}, {count} Regeln. Schwere: Blocker (so nicht zeichnungsreif), erheblich, "
        "gering, Hinweis (Empfehlung).",
        "Catalogue version {version}, {count} rules. Severity: blocker (not fit to sign as is), major, minor, "
        "advice (recommendation).",
    ),
    "overview": ("Übersicht", "Overview"),
    "id": ("Id", "Id"),
    "title": ("Titel", "Title"),
    "group": ("Gruppe", "Group"),
    "severity": ("Schwere", "Severity"),
    "file": ("Datei", "File"),
    "applies": ("Gilt für", "Applies to"),
    "always": ("alle Vereinbarungen", "every agreement"),
    "fields": ("Arbeitsfeld", "field of work"),
    "forms": ("Budgetform", "budget form"),
    "from": ("Bezugsdatum ab", "reference date from"),
    "until": ("Bezugsdatum bis", "reference date until"),
    "when": ("wenn", "when"),
    "question": ("Frage, wenn ungeklärt", "Question when unresolved"),
    "tests": ("Tests", "Tests"),
    "concludes": ("Zwischenergebnis", "Intermediate finding"),
    "uses": ("nutzt Zwischenergebnisse von", "uses intermediate findings of"),
    "other_title": ("Englisch", "German"),
}


def _dw(lang: str, key: str, **values: Any) -> str:
    return _DOC_WORDS[key][0 if lang == "de" else 1].format(**values)


def rule_file(rule: CompiledRule) -> str:
    """The rule's file relative to the project (``rules/NAME.yaml``) or its name."""
    from checker.rules import RULES_DIR

    path = Path(rule.file)
    try:
        return path.resolve().relative_to(RULES_DIR.resolve().parent).as_posix()
    except ValueError:
        return path.name


def _applies(rule: CompiledRule, lang: str) -> str:
    a = rule.rule.applies_to
    if a is None:
        return _dw(lang, "always")
    parts = []
    if a.fields:
        parts.append(f"{_dw(lang, 'fields')}: " + ", ".join(f.value for f in a.fields))
    if a.budget_forms:
        parts.append(f"{_dw(lang, 'forms')}: " + ", ".join(f.value for f in a.budget_forms))
    if a.valid_from:
        parts.append(f"{_dw(lang, 'from')} {a.valid_from.isoformat()}")
    if a.valid_until:
        parts.append(f"{_dw(lang, 'until')} {a.valid_until.isoformat()}")
    if a.when:
        parts.append(f"{_dw(lang, 'when')} " + json.dumps(a.when, ensure_ascii=False, sort_keys=True, default=str))
    return "; ".join(parts) or _dw(lang, "always")


def _uses(rule: CompiledRule, catalogue: Any) -> list[str]:
    return [catalogue.concluded_by.get(name, name) for name in rule.uses_conclusions]


def rule_list(catalogue: Any, lang: str = "de") -> str:
    """``budgetcheck rules``: one line per rule: id, severity, group, title."""
    rows = [(r.id, r.rule.severity.value, r.rule.group.value, getattr(r.rule.title, lang)) for r in catalogue.rules]
    widths = [max((len(row[i]) for row in rows), default=0) for i in range(3)]
    return "".join(f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:<{widths[2]}}  {d}\n" for a, b, c, d in rows)


def rule_text(rule: CompiledRule, lang: str = "de", catalogue: Any = None) -> str:
    """``budgetcheck rules show ID``: everything about one rule, as plain text."""
    from checker.labels import GROUP

    r = rule.rule
    other = "en" if lang == "de" else "de"
    lines = [f"{r.id}: {getattr(r.title, lang)}", f"  ({_dw(lang, 'other_title')}: {getattr(r.title, other)})", ""]
    lines.append(f"{_dw(lang, 'group')}: {label(GROUP, r.group.value, lang)} ({r.group.value})")
    lines.append(f"{_dw(lang, 'severity')}: {label(SEVERITY, r.severity.value, lang)} ({r.severity.value})")
    lines.append(f"{_dw(lang, 'applies')}: {_applies(rule, lang)}")
    lines.append(f"{_dw(lang, 'file')}: {rule_file(rule)}")
    if r.conclude:
        lines.append(f"{_dw(lang, 'concludes')}: {r.conclude}")
    if rule.uses_conclusions:
        lines.append(f"{_dw(lang, 'uses')}: " + ", ".join(_uses(rule, catalogue) if catalogue else rule.uses_conclusions))
    quote_open, quote_close = ("„", "“") if lang == "de" else ('"', '"')
    for source in r.source:
        lines += ["", f"{word(lang, 'source')}: {_source_text(source, lang)}", f"  {quote_open}{source.passage}{quote_close}"]
    legal = _legal_text(rule)
    if legal:
        lines += ["", f"{word(lang, 'legal')}: " + "; ".join(legal)]
    lines += ["", f"{word(lang, 'rationale')}: {getattr(r.rationale, lang)}",
              "", f"{word(lang, 'recommendation')}: {getattr(r.recommendation, lang)}"]
    if r.question:
        lines += ["", f"{_dw(lang, 'question')}: {getattr(r.question, lang)}"]
    if r.tests:
        lines += ["", f"{_dw(lang, 'tests')}:"]
        lines += [f"  - {t.name} ({t.expect})" for t in r.tests]
    return "\n".join(lines) + "\n"


def catalogue_markdown(catalogue: Any, lang: str = "de") -> str:
    """``budgetcheck rules --format md``: the catalogue documentation (``docs/rules.md``)."""
    from checker.labels import GROUP
    from checker.rules import Group

    other = "en" if lang == "de" else "de"
    out = [f"# {_dw(lang, 'catalogue')}", "", f"<!-- {_dw(lang, 'generated')} -->", "",
           _dw(lang, "intro", version=md_escape(catalogue.version), count=len(catalogue.rules)), "",
           f"## {_dw(lang, 'overview')}", "",
           f"| {_dw(lang, 'id')} | {_dw(lang, 'title')} | {_dw(lang, 'group')} | {_dw(lang, 'severity')} |",
           "| --- | --- | --- | --- |"]
    for rule in catalogue.rules:
        r = rule.rule
        out.append(f"| `{r.id}` | {md_escape(getattr(r.title, lang))} | {label(GROUP, r.group.value, lang)} "
                   f"| {label(SEVERITY, r.severity.value, lang)} |")
    for group in Group:
        rules = [rule for rule in catalogue.rules if rule.rule.group == group]
        if not rules:
            continue
        out += ["", f"## {label(GROUP, group.value, lang)} (`{group.value}`)"]
        for rule in rules:
            r = rule.rule
            out += ["", f"### {r.id}: {md_escape(getattr(r.title, lang))}", "",
                    f"*{_dw(lang, 'other_title')}: {md_escape(getattr(r.title, other))}*", "",
                    f"- **{_dw(lang, 'severity')}:** {label(SEVERITY, r.severity.value, lang)} (`{r.severity.value}`)",
                    f"- **{_dw(lang, 'applies')}:** {md_escape(_applies(rule, lang))}",
                    f"- **{_dw(lang, 'file')}:** `{rule_file(rule)}`"]
            if r.conclude:
                out.append(f"- **{_dw(lang, 'concludes')}:** `{r.conclude}`")
            if rule.uses_conclusions:
                out.append(f"- **{_dw(lang, 'uses')}:** " + ", ".join(f"`{x}`" for x in _uses(rule, catalogue)))
            for source in r.source:
                out += ["", f"**{word(lang, 'source')}:** {md_escape(_source_text(source, lang))}", "",
                        "> " + md_escape(source.passage, line_start=True)]
            legal = _legal_text(rule)
            if legal:
                out += ["", f"**{word(lang, 'legal')}:** " + "; ".join(md_escape(x) for x in legal)]
            out += ["", f"**{word(lang, 'rationale')}:** {md_escape(getattr(r.rationale, lang))}",
                    "", f"**{word(lang, 'recommendation')}:** {md_escape(getattr(r.recommendation, lang))}"]
            if r.question:
                out += ["", f"**{_dw(lang, 'question')}:** {md_escape(getattr(r.question, lang))}"]
            if r.tests:
                out += ["", f"**{_dw(lang, 'tests')}:** " + "; ".join(f"{md_escape(t.name)} (`{t.expect}`)"
                                                                     for t in r.tests)]
    return "\n".join(out) + "\n"
