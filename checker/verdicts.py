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

from checker.engine import RawOutcome
from checker.facts import COLLECTION, IMPLIED_NOTES, INDEX, implied_paths, SOME_DERIVED
from checker.model import Agreement, ClauseStatus, Waiver
from checker.rules import SEVERITY_ORDER, Catalogue, CompiledRule, Severity, Verdict

Location = tuple[int, int]

DERIVED_INPUTS = {
    "derived.reference_date": ["meta.period.start", "meta.signing_date", "meta.draft_date", "meta.period.start_year"],
    "derived.term_last_date": ["meta.period.end", "meta.period.start", "meta.signing_date", "meta.draft_date",
                               "meta.period.start_year", "meta.period.duration_months"],
    "derived.period_months": ["meta.period.start", "meta.period.end", "meta.period.duration_months"],
    "derived.budget_period_months": ["budget.period_months", "meta.period.start", "meta.period.end",
                                     "meta.period.duration_months"],
    "derived.teilbudgets_amount_sum": ["budget.teilbudgets[].amount"],
    "derived.teilbudgets_share_sum": ["budget.teilbudgets[].share_percent"],
    "derived.payout_share_sum": ["budget.payout.unconditional_share_percent",
                                 "budget.payout.conditional_shares[].share_percent"],
    "derived.earmark_share_sum": ["budget.earmarks[].share_percent"],
    "derived.taker_kinds_count": ["parties.takers[].kind"],
    "derived.wertorientierungen_count": ["parties.takers[].wertorientierung"],
    "derived.vernetzung_share": ["budget.earmarks[].purpose", "budget.earmarks[].share_percent"],
    "derived.services_subjektbezogen": ["services[].claim"],
    "derived.infrastructure_only": ["services[].claim"],
    "derived.no_granted_aid": ["services[].claim", "services[].category"],
    "derived.services_objektbezogen": ["services[].claim"],
    "derived.services_sajf_sha": ["services[].category"],
    "derived.access_restricted": ["clauses.provider_access.exclusivity", "clauses.provider_access.referral_quota_percent"],
    "derived.choice_restricted_by_quota": ["clauses.provider_access.referral_quota_percent"],
    "derived.choice_limited_to_budget_holders": ["clauses.choice_of_provider.limited_to_budget_holders",
                                                 "clauses.choice_of_provider.opening_clause"],
    "derived.provider_decides_on_granting": ["clauses.public_body_decides.provider_decides_on_granting",
                                             "clauses.public_body_decides.status",
                                             "clauses.role_separation.status",
                                             "parties.giver.unit_with_regiekompetenz"],
}

# Overall verdicts, from the worst (see overall_verdict)
OVERALL_BLOCKED = "nicht_zeichnungsreif"  # a blocker is verletzt
OVERALL_UNJUDGEABLE = "nicht_pruefbar"  # most applicable blockers unknown: the description is too thin
OVERALL_OPEN = "nicht_zeichnungsreif_ohne_klaerung"  # no blocker verletzt, but a blocker ungeklärt
OVERALL_CONDITIONAL = "zeichnungsreif_mit_auflagen"  # only major (or lesser) violations
OVERALL_OK = "zeichnungsreif"
OVERALL_ORDER = (OVERALL_BLOCKED, OVERALL_UNJUDGEABLE, OVERALL_OPEN, OVERALL_CONDITIONAL, OVERALL_OK)


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


_new = object.__new__
_set = object.__setattr__


def _evidence(path: str, value: Any, line: Optional[int], column: Optional[int], section: Optional[str],
              note: Optional[str], rule: Optional[str]) -> Evidence:
    """``Evidence(path, value, line, column, section, note, rule)``, the same object made twice as fast:
    a frozen dataclass's own ``__init__`` sets each field through ``object.__setattr__``; here the
    instance's attributes are set at once, in the same order (a hundred per agreement)."""
    ev = _new(Evidence)
    _set(ev, "__dict__", {"path": path, "value": value, "line": line, "column": column, "section": section,
                          "note": note, "rule": rule})
    return ev


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
    baseline: bool = False  # listed in --baseline: reported, but never fails the run
    escalated: Optional[Severity] = None  # the rule's `escalate` applied to this violation

    @property
    def id(self) -> str:
        return self.rule.id

    @property
    def severity(self) -> Severity:
        return self.escalated or self.rule.rule.severity


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
    questions: list = field(default_factory=list)  # checker.questions.Question, in order

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
        return value._value_  # what .value gives, without the property
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@lru_cache(maxsize=None)
def _has_section(cls: type) -> bool:
    return "section" in cls.model_fields


def _join(parts: Iterable) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out


@lru_cache(maxsize=16384)
def _step(path: str) -> tuple[str, Any, tuple]:
    """(parent path, last part, parts) of a path: the walk of _Context.place goes by path strings."""
    parts = path_tuple(path)
    return _join(parts[:-1]), parts[-1], parts


# --------------------------------------------------------------------------- evidence


_NOWHERE = (None, None)


class _Context:
    """One agreement's look-ups, memoised: many rules point at the same paths."""

    def __init__(self, agreement: Agreement, locations: dict, catalogue: Optional[Catalogue]):
        self.agreement = agreement
        self.locations = locations
        self.catalogue = catalogue
        self._plain: dict[str, Evidence] = {}
        self._implied: Optional[set] = None
        self.missing: dict[str, Missing] = {}  # path -> its Missing entry (frozen: shared by the findings)
        self._derived: dict[tuple, list] = {}  # see derived_evidence
        self._unstated: dict[int, tuple] = {}  # number of a step of a missing plan -> its unstated paths
        # path -> (node, section, (line, column)): one walk per path prefix, shared by every path below it
        self._places: dict[str, tuple] = {"": (agreement, None, _NOWHERE)}

    @property
    def implied(self) -> set:
        """Model paths whose value is implied (checker.facts), computed when first asked."""
        if self._implied is None:
            self._implied = implied_paths(self.agreement)
        return self._implied

    def place(self, path: str) -> tuple:
        """(value at ``path`` as value_at gives it; the agreement's own reference (e.g. '§ 7 Abs. 2') of
        the nearest enclosing part that has one; (line, column) of the nearest enclosing entry the file
        locates, (None, None) if none), memoised by path prefix."""
        places = self._places
        known = places.get(path)
        if known is not None:
            return known
        parent_path, part, parts = _step(path)
        above = places.get(parent_path)
        parent, section, loc = above if above is not None else self.place(parent_path)
        if parent is None:
            node = None
        elif part.__class__ is int:
            node = parent[part] if isinstance(parent, list) and part < len(parent) else None
        elif isinstance(parent, BaseModel):
            node = getattr(parent, part, None)
        else:
            node = None
        if isinstance(node, BaseModel) and _has_section(node.__class__) and isinstance(node.section, str):
            section = node.section  # type: ignore[attr-defined]
        found = self.locations.get(parts)
        if found:
            loc = (found[0], found[1])
        known = places[path] = (node, section, loc)
        return known

    def value(self, path: str) -> Any:
        known = self._places.get(path)
        return (known if known is not None else self.place(path))[0]

    def derived_evidence(self, derived: str, witnesses: bool) -> list[Evidence]:
        """The evidence of the items that make a "some item has X" value true (``witnesses``), or of
        the stated inputs of a derived value; once per agreement (several rules read one value).
        Callers must not change the list."""
        key = (derived, witnesses)
        known = self._derived.get(key)
        if known is None:
            paths = _witnesses(self, derived) if witnesses else _concrete_inputs(self, derived)
            known = self._derived[key] = [self.evidence(p) for p in paths]
        return known

    def evidence(self, path: str, note: Optional[str] = None, rule: Optional[str] = None,
                 value: Any = ...) -> Evidence:
        plain = value is ... and note is None and rule is None
        if plain:
            ev = self._plain.get(path)
            if ev is not None:
                return ev
        known = self._places.get(path)
        node, section, (line, column) = known if known is not None else self.place(path)
        if value is ...:
            value = display(node) if not path.startswith(("derived.", "conclusions.")) else None
            if isinstance(value, list) and len(value) > MAX_EVIDENCE_ITEMS:  # never a whole long list
                unique = list(dict.fromkeys(v if isinstance(v, (str, int, float, bool)) or v is None else repr(v)
                                            for v in value))
                value = unique if len(unique) <= MAX_EVIDENCE_ITEMS else (
                    unique[:MAX_EVIDENCE_ITEMS] + [f"… (+{len(unique) - MAX_EVIDENCE_ITEMS})"])
        ev = _evidence(path, value, line, column, section, note, rule)
        if plain:
            self._plain[path] = ev
        return ev


# Steps of an evidence plan (see _evidence_plan)
_NEGATED, _CONCLUSION, _ITEM, _DERIVED, _COUNT, _PLAIN = range(6)


def _evidence_plan(catalogue: Catalogue, action: str) -> tuple:
    """How the evidence of a match of ``action`` is read from its lits, decided once per catalogue:
    negated lits name what was not found, conclusions the rule that drew them, item fields the
    concrete item (derived item values with their inputs), derived values their inputs, counts
    the list, anything else the stated value."""
    plans = catalogue.memo.setdefault("evidence_plans", {})
    plan = plans.get(action)
    if plan is not None:
        return plan
    steps: list[tuple] = []
    for lit in catalogue.actions[action][2]:
        if lit.negated:
            steps.append((_NEGATED, lit.fact[5:], lit.note))
            continue
        for path, key in lit.atoms:
            if path.startswith("conclusions."):
                steps.append((_CONCLUSION, lit.alias, path, catalogue.concluded_by.get(path.split(".", 1)[1])))
            elif "[]" in path or lit.fact.startswith("item:") and not key:
                inputs = _inputs(path)
                steps.append((_ITEM, lit.alias, path, key, lit.fact[5:], "[]" in path,
                              None if inputs == [path] else tuple(inputs)))
            elif path.startswith("derived."):
                steps.append((_DERIVED, lit.alias, path, key))
            elif path.endswith(".count"):
                steps.append((_COUNT, lit.alias, path[: -len(".count")], key, path[: -len(".count")] in IMPLIED_NOTES))
            else:
                steps.append((_PLAIN, path))
    # evidence of plain and negated steps only, each (path, note) once already: no need to drop repeats
    plain = all(s[0] in (_PLAIN, _NEGATED) for s in steps) and len(
        {(s[1], s[2] if s[0] == _NEGATED else None) for s in steps}) == len(steps)
    plan = plans[action] = (tuple(steps), plain)
    return plan


def reads_facts(catalogue: Catalogue, action: str) -> bool:
    """Whether the evidence of a match of ``action`` reads anything from the matched facts
    (the engine does not decode the facts of the other actions)."""
    return any(step[0] not in (_NEGATED, _PLAIN) for step in _evidence_plan(catalogue, action)[0])


def _evidence_from_plan(ctx: _Context, plan: tuple, facts: dict[str, dict]) -> list[Evidence]:
    """The evidence of one match, by its plan (see _evidence_plan); each (path, note) once."""
    steps, unique_already = plan
    plain = ctx._plain
    if unique_already:
        out = []
        for step in steps:
            if step[0] == _PLAIN:
                ev = plain.get(step[1])
                out.append(ev if ev is not None else ctx.evidence(step[1]))
            else:
                out.append(ctx.evidence(step[1], note=step[2], value=None))
        return out
    out = []
    tail: list[Evidence] = []
    empty: dict = {}
    for step in steps:
        kind = step[0]
        if kind == _PLAIN:
            ev = plain.get(step[1])
            out.append(ev if ev is not None else ctx.evidence(step[1]))
        elif kind == _NEGATED:
            out.append(ctx.evidence(step[1], note=step[2], value=None))
        elif kind == _COUNT:
            if step[4] and step[2] in ctx.implied:  # not stated, implied by other facts: say so, and name them
                note, _en, inputs = IMPLIED_NOTES[step[2]]
                out.append(ctx.evidence(step[2], note=note, value=None))
                out.extend(ctx.evidence(p) for p in inputs)
            else:
                out.append(ctx.evidence(step[2], value=facts.get(step[1], empty).get(step[3])))
        elif kind == _CONCLUSION:
            out.append(ctx.evidence(step[2], rule=step[3], value=facts.get(step[1], empty).get("value")))
        elif kind == _DERIVED:
            value = facts.get(step[1], empty).get(step[3])
            if value is True and step[2] in SOME_DERIVED:  # "some item has X": the items that have it,
                tail.extend(ctx.derived_evidence(step[2], True))  # after the rest, as items come
            else:
                out.append(ctx.evidence(step[2], value=value))
                out.extend(ctx.derived_evidence(step[2], False))
        else:  # _ITEM
            _kind, alias, path, key, default_coll, brackets, inputs = step
            fact = facts.get(alias, empty)
            index = fact.get(INDEX)
            concrete = path.replace("[]", f"[{index}]") if brackets else f"{fact.get(COLLECTION, default_coll)}[{index}]"
            if inputs is None:
                out.append(ctx.evidence(concrete))
            else:  # a derived value of the item: show it and what it is computed from
                out.append(ctx.evidence(concrete, value=fact.get(key)))
                out.extend(ctx.evidence(p.replace("[]", f"[{index}]")) for p in inputs)
    if tail:
        out += tail
    if len(out) < 2:
        return out
    unique: dict[tuple, Evidence] = {}
    for ev in out:
        unique.setdefault((ev.path, ev.note), ev)
    return list(unique.values())


ITEM_DERIVED_INPUTS = {"share_of_total_percent": ["[].amount", "budget.amount_per_year"]}


@lru_cache(maxsize=4096)
def stated_inputs(path: str) -> list[str]:
    """The stated inputs behind a path (itself, unless it is derived)."""
    return list(_inputs(path))


def _inputs(path: str) -> list[str]:
    """The stated inputs behind a path (itself, unless it is derived). Callers must not change the list."""
    if path in DERIVED_INPUTS:
        return DERIVED_INPUTS[path]
    coll, sep, field = path.rpartition("[].")
    if sep and field in ITEM_DERIVED_INPUTS:
        return [coll + p if p.startswith("[]") else p for p in ITEM_DERIVED_INPUTS[field]]
    return [path]


MAX_EVIDENCE_ITEMS = 10  # entries of one list named as the inputs of a derived value: never the whole list


def _concrete_inputs(ctx: _Context, derived: str) -> list[str]:
    """The stated inputs of a derived value, with list indices filled in (at most
    MAX_EVIDENCE_ITEMS entries of each list: evidence never repeats a whole list)."""
    out = []
    for path in (_inputs(derived) if derived != _inputs(derived)[0] else []):
        if "[]" in path:
            coll, _, rest = path.partition("[]")
            items = ctx.value(coll) or []
            out.extend(f"{coll}[{i}]{rest}" for i in range(min(len(items), MAX_EVIDENCE_ITEMS)))
        elif ctx.value(path) is not None:
            out.append(path)
    return out


def _witnesses(ctx: _Context, derived: str) -> list[str]:
    """The items that make a "some item has X" value true (at most MAX_EVIDENCE_ITEMS)."""
    collection, field_name, wanted = SOME_DERIVED[derived]
    out = []
    for index, item in enumerate(ctx.value(collection) or []):
        got = getattr(item, field_name, None)
        if got is not None and (got.value if isinstance(got, Enum) else got) == wanted:
            out.append(f"{collection}[{index}].{field_name}")
            if len(out) == MAX_EVIDENCE_ITEMS:
                break
    return out


def _missing_plan(catalogue: Catalogue, rule: CompiledRule) -> tuple:
    """The inputs _missing looks at for ``rule``, classified once per catalogue: steps
    (number, kind, path, extra), each distinct step numbered once per catalogue so that an
    agreement looks at it once for all rules (see _unstated)."""
    plans = catalogue.memo.setdefault("missing_plans", {})
    plan = plans.get(rule.id)
    if plan is None:
        numbers = catalogue.memo.setdefault("missing_steps", {})
        steps = []
        for path in (p for path in rule.paths for p in _inputs(path)):
            if path.startswith("conclusions."):
                step: tuple = (0, path, path.split(".", 1)[1])
            else:
                if path.endswith(".count"):
                    path = path[: -len(".count")]
                if "[]" in path:
                    coll, _, rest = path.partition("[]")
                    step = (1, coll, rest)
                else:
                    step = (2, path, path.endswith(".status"))
            steps.append((numbers.setdefault(step, len(numbers)), *step))
        plan = plans[rule.id] = tuple(steps)
    return plan


def _unstated(ctx: _Context, kind: int, path: str, extra: Any, conclusions: dict[str, bool]) -> tuple:
    """The unstated inputs of one step of a missing plan (see _missing_plan)."""
    if kind == 0:
        return () if extra in conclusions else (path,)
    if kind == 1:
        items = ctx.value(path)
        if items is None:
            return (path,)
        return tuple(p for p in (f"{path}[{i}]{extra}" for i in range(len(items))) if ctx.value(p) is None)
    value = ctx.value(path)
    return (path,) if value is None or (extra and value == ClauseStatus.unbekannt) else ()


def _missing(ctx: _Context, rule: CompiledRule, conclusions: dict[str, bool],
             plan: Optional[tuple] = None) -> list[Missing]:
    out: list[str] = []
    seen = ctx._unstated
    for number, kind, path, extra in plan if plan is not None else _missing_plan(ctx.catalogue, rule):
        paths = seen.get(number)
        if paths is None:
            paths = seen[number] = _unstated(ctx, kind, path, extra, conclusions)
        if paths:
            out.extend(paths)
    result = []
    known = ctx.missing
    for path in (dict.fromkeys(out) if len(out) > 1 else out):
        entry = known.get(path)
        if entry is None:
            line, column = ctx.place(path)[2]
            entry = known[path] = _new(Missing)  # Missing(path, line, column), made as _evidence makes Evidence
            _set(entry, "__dict__", {"path": path, "line": line, "column": column})
        result.append(entry)
    return result


# --------------------------------------------------------------------------- verdicts


_PRECEDENCE = (("na", Verdict.nicht_anwendbar), ("violated", Verdict.verletzt), ("holds", Verdict.erfuellt))


_VERDICT_OF = dict(_PRECEDENCE)


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


def blocker_tally(findings: list[Finding]) -> tuple[int, int]:
    """(ungeklärt, judged) among the blockers that may apply: erfüllt, verletzt or ungeklärt (not nicht
    anwendbar, not waived). A blocker whose applicability is unknown counts as ungeklärt."""
    open_ = sum(1 for f in findings if f.severity == Severity.blocker and f.verdict == Verdict.ungeklaert)
    judged = sum(1 for f in findings if f.severity == Severity.blocker
                 and f.verdict in (Verdict.erfuellt, Verdict.verletzt))
    return open_, judged


def overall_verdict(findings: list[Finding]) -> str:
    """The overall verdict, first match wins:

    * nicht_zeichnungsreif: a blocker is verletzt (a known defect decides, however much is open);
    * nicht_pruefbar: more blockers are ungeklärt than judged (e.g. the untouched template or a
      title-only file): the description is too thin for any judgement;
    * nicht_zeichnungsreif_ohne_klaerung: no blocker verletzt, but at least one ungeklärt; the
      questions that decide it are in the report;
    * zeichnungsreif_mit_auflagen: a major rule is verletzt;
    * zeichnungsreif: otherwise (minor violations and recommendations do not change it).
    """
    blocker_violated = major_violated = False
    open_ = judged = 0  # as blocker_tally counts them
    for f in findings:
        verdict, severity = f.verdict, f.severity
        if severity == Severity.blocker:
            if verdict == Verdict.verletzt:
                blocker_violated = True
                judged += 1
            elif verdict == Verdict.ungeklaert:
                open_ += 1
            elif verdict == Verdict.erfuellt:
                judged += 1
        elif severity == Severity.major and verdict == Verdict.verletzt:
            major_violated = True
    if blocker_violated:
        return OVERALL_BLOCKED
    if open_ and open_ > judged:
        return OVERALL_UNJUDGEABLE
    if open_:
        return OVERALL_OPEN
    if major_violated:
        return OVERALL_CONDITIONAL
    return OVERALL_OK


def _result_plan(catalogue: Catalogue) -> tuple:
    """Per rule, once per catalogue: (rule, id, escalation, its path, chain, missing plan)."""
    plan = catalogue.memo.get("result_plan")
    if plan is None:
        plan = catalogue.memo["result_plan"] = tuple(
            (rule, rule.id, rule.rule.escalate, rule.rule.escalate.when["path"] if rule.rule.escalate else None,
             tuple(catalogue.concluded_by[c] for c in rule.uses_conclusions), _missing_plan(catalogue, rule))
            for rule in catalogue.rules)
    return plan


_APPLIES = frozenset(("applies", "holds", "violated"))  # kinds of match that show a rule applies


def build_result(catalogue: Catalogue, outcome: RawOutcome, agreement: Agreement, *, path: str,
                 sha256: str, locations: dict, check_date: dt.date,
                 extra_waivers: Optional[list[tuple[Waiver, str, Optional[int]]]] = None,
                 selected: Optional[set[str]] = None) -> AgreementResult:
    ctx = _Context(agreement, locations, catalogue)
    findings: list[Finding] = []
    plans = catalogue.memo.setdefault("evidence_plans", {})
    all_matches = outcome.matches
    conclusions = outcome.conclusions
    applies_known: set[str] = set()  # rules whose applicability is known to hold
    by_id: dict[str, Finding] = {}
    ungeklaert, verletzt = Verdict.ungeklaert, Verdict.verletzt
    for rule, rule_id, escalate, escalate_path, chain, missing_plan in _result_plan(catalogue):
        if selected is not None and rule_id not in selected:
            continue
        matches = all_matches.get(rule_id)
        evidence: list[Evidence] = []
        if not matches:
            verdict = ungeklaert
        elif len(matches) == 1:  # the common case: its evidence is unique already
            m = matches[0]
            verdict = _VERDICT_OF.get(m.kind)
            if m.kind in _APPLIES:
                applies_known.add(rule_id)
            if verdict is None:
                verdict = ungeklaert
            else:
                plan = plans.get(m.action)
                evidence = _evidence_from_plan(ctx, plan if plan is not None else _evidence_plan(catalogue, m.action),
                                               m.facts)
        else:
            kinds = {m.kind for m in matches}
            if not kinds.isdisjoint(_APPLIES):
                applies_known.add(rule_id)
            verdict = ungeklaert
            for kind, candidate in _PRECEDENCE:
                if kind in kinds:
                    verdict = candidate
                    chosen = [m for m in matches if m.kind == kind]
                    if len(chosen) == 1:
                        m = chosen[0]
                        plan = plans.get(m.action)
                        evidence = _evidence_from_plan(
                            ctx, plan if plan is not None else _evidence_plan(catalogue, m.action), m.facts)
                    else:
                        for m in chosen[:MAX_EVIDENCE_ITEMS]:  # one match per list item: a few items, never the list
                            evidence.extend(_evidence_from_plan(ctx, _evidence_plan(catalogue, m.action), m.facts))
                        evidence = list({(e.path, e.note): e for e in evidence}.values())
                    break
        finding = Finding(rule, verdict, evidence,
                          _missing(ctx, rule, conclusions, missing_plan) if verdict is ungeklaert else [],
                          list(chain))
        # a stated fact that makes a violation graver also makes the open question graver
        if escalate is not None and (verdict is verletzt or verdict is ungeklaert) \
                and escalate.holds(ctx.value(escalate_path)):
            finding.escalated = escalate.severity
        findings.append(finding)
        by_id[rule_id] = finding
    notes: list[WaiverNote] = []
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
    from checker.questions import build_questions

    questions = build_questions(findings, applies_known=applies_known, agreement=agreement,
                                groups=catalogue.question_groups, memo=catalogue.memo)
    return AgreementResult(path, sha256, agreement, findings, overall_verdict(findings), notes,
                           check_date.isoformat(), questions)


def severity_at_least(severity: Severity, threshold: Severity) -> bool:
    return SEVERITY_ORDER[severity] >= SEVERITY_ORDER[threshold]
