"""From the engine's raw matches to the Result: verdict, evidence, chain, waivers.

The Result is the one contract between evaluation and output: every renderer
reads it, none recomputes a verdict. The verdict itself comes from which
compiled conjunctions fired in durable_rules; this module only reads those
matches, looks up values, sections and file lines for the evidence, lists the
unstated inputs of an unresolved rule, and applies waivers.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import Enum
from functools import lru_cache
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from pydantic import BaseModel

from checker.conditions import Lit
from checker.engine import RawOutcome
from checker.facts import COLLECTION, INDEX
from checker.model import Agreement, ClauseStatus, Waiver
from checker.rules import SEVERITY_ORDER, Catalogue, CompiledRule, Severity, Verdict

Location = tuple[int, int]

DERIVED_INPUTS = {
    "derived.reference_date": ["meta.period.start", "meta.signing_date", "meta.draft_date"],
    "derived.period_months": ["meta.period.start", "meta.period.end", "meta.period.duration_months"],
    "derived.teilbudgets_amount_sum": ["budget.teilbudgets[].amount"],
    "derived.teilbudgets_share_sum": ["budget.teilbudgets[].share_percent"],
    "derived.payout_share_sum": ["budget.payout.unconditional_share_percent",
                                 "budget.payout.conditional_shares[].share_percent"],
    "derived.earmark_share_sum": ["budget.earmarks[].share_percent"],
    "derived.taker_kinds_count": ["parties.takers[].kind"],
    "derived.wertorientierungen_count": ["parties.takers[].wertorientierung"],
    "derived.vernetzung_share": ["budget.earmarks[].purpose", "budget.earmarks[].share_percent"],
}

OVERALL_BLOCKED = "nicht_zeichnungsreif"
OVERALL_CONDITIONAL = "zeichnungsreif_mit_auflagen"
OVERALL_OK = "zeichnungsreif"


@dataclass(frozen=True)
class RunInfo:
    """What every report states for reproducibility."""

    checker_version: str
    catalogue_version: str
    catalogue_digest: str  # sha256 over the rule, parameter and legal-basis files
    rule_count: int
    check_date: str  # ISO date of the check (from --date / SOURCE_DATE_EPOCH / today)


@dataclass(frozen=True)
class Evidence:
    path: str
    value: Any  # JSON-safe display value; None when the point is that nothing matched
    line: Optional[int] = None
    column: Optional[int] = None
    section: Optional[str] = None
    note: Optional[str] = None  # e.g. "kein Eintrag erfüllt die Bedingung"
    rule: Optional[str] = None  # for a conclusion: the rule that concluded it


@dataclass(frozen=True)
class Missing:
    path: str
    line: Optional[int] = None
    column: Optional[int] = None


@dataclass(frozen=True)
class AppliedWaiver:
    rule: str
    reason: str
    granted_by: Optional[str]
    expires: Optional[str]
    origin: str  # file the waiver came from
    line: Optional[int]


@dataclass
class Finding:
    rule: CompiledRule
    verdict: Verdict
    evidence: list[Evidence] = field(default_factory=list)
    missing: list[Missing] = field(default_factory=list)
    chain: list[str] = field(default_factory=list)  # ids of rules whose conclusions this one used
    waiver: Optional[AppliedWaiver] = None
    underlying: Optional[Verdict] = None  # the verdict a waiver set aside

    @property
    def id(self) -> str:
        return self.rule.id

    @property
    def severity(self) -> Severity:
        return self.rule.rule.severity


@dataclass(frozen=True)
class WaiverNote:
    kind: str  # "expired" | "unused" | "unknown_rule"
    waiver: AppliedWaiver


@dataclass
class AgreementResult:
    path: str
    sha256: str
    agreement: Agreement
    findings: list[Finding]
    overall: str
    waiver_notes: list[WaiverNote]
    check_date: str

    def counts(self) -> dict[str, int]:
        out = {v.value: 0 for v in Verdict}
        for f in self.findings:
            out[f.verdict.value] += 1
        return out

    def finding(self, rule_id: str) -> Finding:
        return next(f for f in self.findings if f.id == rule_id)


# --------------------------------------------------------------------------- paths and values


_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


@lru_cache(maxsize=8192)
def path_tuple(path: str) -> tuple:
    return tuple(int(i) if i else name for name, i in _TOKEN.findall(path))


def value_at(agreement: Agreement, path: str) -> Any:
    """The stated value at a model path, or None."""
    node: Any = agreement
    for part in path_tuple(path):
        if node is None:
            return None
        if isinstance(part, int):
            node = node[part] if isinstance(node, list) and part < len(node) else None
        elif isinstance(node, BaseModel):
            node = getattr(node, part, None)
        else:
            return None
    return node


def display(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return None
    if isinstance(value, list):
        return [display(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def section_for(agreement: Agreement, path: str) -> Optional[str]:
    """The agreement's own reference (e.g. '§ 7 Abs. 2') of the nearest enclosing part that has one."""
    parts = path_tuple(path)
    for end in range(len(parts), 0, -1):
        node = value_at(agreement, _join(parts[:end]))
        section = getattr(node, "section", None) if isinstance(node, BaseModel) else None
        if isinstance(section, str):
            return section
    return None


def _join(parts: Iterable) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out


def locate(locations: dict, path: str) -> Optional[Location]:
    parts = path_tuple(path)
    for end in range(len(parts), 0, -1):
        loc = locations.get(parts[:end])
        if loc:
            return loc
    return None


# --------------------------------------------------------------------------- evidence


class _Context:
    """One agreement's look-ups, memoised: many rules point at the same paths."""

    def __init__(self, agreement: Agreement, locations: dict, catalogue: Catalogue):
        self.agreement = agreement
        self.locations = locations
        self.catalogue = catalogue
        self._plain: dict[str, Evidence] = {}
        self._values: dict[str, Any] = {}
        self._places: dict[str, tuple] = {}

    def value(self, path: str) -> Any:
        if path not in self._values:
            self._values[path] = value_at(self.agreement, path)
        return self._values[path]

    def evidence(self, path: str, note: Optional[str] = None, rule: Optional[str] = None,
                 value: Any = ...) -> Evidence:
        plain = value is ... and note is None and rule is None
        if plain and path in self._plain:
            return self._plain[path]
        if path not in self._places:
            loc = locate(self.locations, path)
            self._places[path] = (loc[0] if loc else None, loc[1] if loc else None,
                                  section_for(self.agreement, path))
        line, column, section = self._places[path]
        if value is ...:
            value = display(self.value(path)) if not path.startswith(("derived.", "conclusions.")) else None
        ev = Evidence(path, value, line, column, section, note, rule)
        if plain:
            self._plain[path] = ev
        return ev


def _evidence_for_match(ctx: _Context, lits: list[Lit], facts: dict[str, dict]) -> list[Evidence]:
    out: list[Evidence] = []
    for lit in lits:
        if lit.negated:
            out.append(ctx.evidence(lit.fact[5:], note=lit.note, value=None))
            continue
        fact = facts.get(lit.alias, {})
        for path, key in lit.atoms:
            if path.startswith("conclusions."):
                name = path.split(".", 1)[1]
                out.append(ctx.evidence(path, rule=ctx.catalogue.concluded_by.get(name), value=fact.get("value")))
            elif "[]" in path or lit.fact.startswith("item:") and not key:
                index = fact.get(INDEX)
                coll = fact.get(COLLECTION, lit.fact[5:])
                concrete = path.replace("[]", f"[{index}]") if "[]" in path else f"{coll}[{index}]"
                inputs = _inputs(path)
                if inputs == [path]:
                    out.append(ctx.evidence(concrete))
                else:  # a derived value of the item: show it and what it is computed from
                    out.append(ctx.evidence(concrete, value=fact.get(key)))
                    out.extend(ctx.evidence(p.replace("[]", f"[{index}]")) for p in inputs)
            elif path.startswith("derived."):
                out.append(ctx.evidence(path, value=fact.get(key)))
                out.extend(ctx.evidence(p) for p in _concrete_inputs(ctx.agreement, path))
            else:
                out.append(ctx.evidence(path.removesuffix(".count") if path.endswith(".count") else path,
                                        value=fact.get(key) if path.endswith(".count") else ...))
    unique: dict[tuple, Evidence] = {}
    for ev in out:
        unique.setdefault((ev.path, ev.note), ev)
    return list(unique.values())


ITEM_DERIVED_INPUTS = {"share_of_total_percent": ["[].amount", "budget.amount_per_year"]}


def _inputs(path: str) -> list[str]:
    """The stated inputs behind a path (itself, unless it is derived)."""
    if path in DERIVED_INPUTS:
        return DERIVED_INPUTS[path]
    coll, sep, field = path.rpartition("[].")
    if sep and field in ITEM_DERIVED_INPUTS:
        return [coll + p if p.startswith("[]") else p for p in ITEM_DERIVED_INPUTS[field]]
    return [path]


def _concrete_inputs(agreement: Agreement, derived: str) -> list[str]:
    """The stated inputs of a derived value, with list indices filled in."""
    out = []
    for path in (_inputs(derived) if derived != _inputs(derived)[0] else []):
        if "[]" in path:
            coll, _, rest = path.partition("[]")
            items = value_at(agreement, coll) or []
            out.extend(f"{coll}[{i}]{rest}" for i in range(len(items)))
        elif value_at(agreement, path) is not None:
            out.append(path)
    return out


def _missing(ctx: _Context, rule: CompiledRule, conclusions: dict[str, bool]) -> list[Missing]:
    paths: list[str] = []
    for path in rule.paths:
        paths.extend(_inputs(path))
    out: list[str] = []
    for path in paths:
        if path.startswith("conclusions."):
            if path.split(".", 1)[1] not in conclusions:
                out.append(path)
            continue
        if path.endswith(".count"):
            path = path[: -len(".count")]
        if "[]" in path:
            coll, _, rest = path.partition("[]")
            items = value_at(ctx.agreement, coll)
            if items is None:
                out.append(coll)
            else:
                out.extend(f"{coll}[{i}]{rest}" for i in range(len(items))
                           if value_at(ctx.agreement, f"{coll}[{i}]{rest}") is None)
            continue
        value = value_at(ctx.agreement, path)
        if value is None or (path.endswith(".status") and value == ClauseStatus.nicht_geregelt):
            out.append(path)
    result = []
    for path in dict.fromkeys(out):
        loc = locate(ctx.locations, path)
        result.append(Missing(path, loc[0] if loc else None, loc[1] if loc else None))
    return result


# --------------------------------------------------------------------------- verdicts


def _verdict(rule: CompiledRule, outcome: RawOutcome) -> tuple[Verdict, list]:
    matches = outcome.matches.get(rule.id, [])
    for kind, verdict in (("na", Verdict.nicht_anwendbar), ("violated", Verdict.verletzt),
                          ("holds", Verdict.erfuellt)):
        chosen = [m for m in matches if m.kind == kind]
        if chosen:
            return verdict, chosen
    return Verdict.ungeklaert, []


def _waivers(agreement: Agreement, agreement_path: str, locations: dict,
             extra: list[tuple[Waiver, str, Optional[int]]]) -> list[AppliedWaiver]:
    out = []
    for i, w in enumerate(agreement.waivers or []):
        loc = locations.get(("waivers", i))
        out.append(_applied(w, agreement_path, loc[0] if loc else None))
    out.extend(_applied(w, origin, line) for w, origin, line in extra)
    return out


def _applied(w: Waiver, origin: str, line: Optional[int]) -> AppliedWaiver:
    return AppliedWaiver(w.rule, w.reason, w.granted_by, w.expires.isoformat() if w.expires else None, origin, line)


def overall_verdict(findings: list[Finding]) -> str:
    def has(verdict: Verdict, severities: set[Severity]) -> bool:
        return any(f.verdict == verdict and f.severity in severities for f in findings)

    if has(Verdict.verletzt, {Severity.blocker}):
        return OVERALL_BLOCKED
    if has(Verdict.verletzt, {Severity.major}) or has(Verdict.ungeklaert, {Severity.blocker}):
        return OVERALL_CONDITIONAL
    return OVERALL_OK


def build_result(catalogue: Catalogue, outcome: RawOutcome, agreement: Agreement, *, path: str,
                 sha256: str, locations: dict, check_date: dt.date,
                 extra_waivers: Optional[list[tuple[Waiver, str, Optional[int]]]] = None,
                 selected: Optional[set[str]] = None) -> AgreementResult:
    ctx = _Context(agreement, locations, catalogue)
    findings: list[Finding] = []
    for rule in catalogue.rules:
        if selected is not None and rule.id not in selected:
            continue
        verdict, matches = _verdict(rule, outcome)
        finding = Finding(rule, verdict)
        if matches:
            lits = catalogue.actions
            evidence: list[Evidence] = []
            for m in matches:
                evidence.extend(_evidence_for_match(ctx, lits[m.action][2], m.facts))
            finding.evidence = list({(e.path, e.note): e for e in evidence}.values())
        if verdict == Verdict.ungeklaert:
            finding.missing = _missing(ctx, rule, outcome.conclusions)
        finding.chain = [catalogue.concluded_by[c] for c in rule.uses_conclusions]
        findings.append(finding)
    notes: list[WaiverNote] = []
    by_id = {f.id: f for f in findings}
    for waiver in _waivers(agreement, path, locations, extra_waivers or []):
        finding = by_id.get(waiver.rule)
        if waiver.rule not in catalogue.by_id:
            notes.append(WaiverNote("unknown_rule", waiver))
        elif waiver.expires and dt.date.fromisoformat(waiver.expires) < check_date:
            notes.append(WaiverNote("expired", waiver))
        elif finding is None or finding.verdict not in (Verdict.verletzt, Verdict.ungeklaert):
            notes.append(WaiverNote("unused", waiver))
        else:
            finding.underlying, finding.verdict, finding.waiver = finding.verdict, Verdict.ausgenommen, waiver
    return AgreementResult(path, sha256, agreement, findings, overall_verdict(findings), notes,
                           check_date.isoformat())


def severity_at_least(severity: Severity, threshold: Severity) -> bool:
    return SEVERITY_ORDER[severity] >= SEVERITY_ORDER[threshold]
