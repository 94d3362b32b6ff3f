"""Two versions of one agreement compared: what a negotiation round fixed, broke or left open.

The comparison reads two Results (the one contract between evaluation and output) and pairs
their findings by rule id: each side is one agreement, so (agreement, rule id) identifies a
finding. Each side's finding also carries its file-independent fingerprint
(:func:`checker.fingerprints.finding_fingerprint`, rule id and verdict), the same one the
baseline of ``check --baseline`` and SARIF use, so that JSON output can be joined with them. Every rule that changed its verdict lands in exactly one category; rules whose verdict
stayed the same are counted, and the ones still violated or still open are listed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from checker.fingerprints import finding_fingerprint
from checker.labels import OVERALL, SEVERITY, VERDICT, label
from checker.rules import SEVERITY_ORDER, Severity, Verdict
from checker.verdicts import AgreementResult, Finding

DIFF_SCHEMA = "budgetcheck-diff/1"

# category key -> (German, English) heading; the order is the order of the report
CATEGORIES = {
    "new_violation": ("Neu verletzt", "Newly violated"),
    "fixed": ("Behoben", "Fixed"),
    "newly_open": ("Neu ungeklärt", "Newly unresolved"),
    "resolved": ("Geklärt", "Resolved"),
    "still_violated": ("Weiterhin verletzt", "Still violated"),
    "still_open": ("Weiterhin ungeklärt", "Still unresolved"),
    "other": ("Sonst geändert", "Otherwise changed"),
}

_SETTLED = {Verdict.erfuellt, Verdict.nicht_anwendbar, Verdict.ausgenommen}


def category(before: Optional[Verdict], after: Optional[Verdict]) -> Optional[str]:
    """The category of one rule's change, or None when nothing worth listing changed."""
    if after == Verdict.verletzt:
        return "still_violated" if before == Verdict.verletzt else "new_violation"
    if before == Verdict.verletzt:
        return "fixed" if after in _SETTLED or after is None else "newly_open"
    if after == Verdict.ungeklaert:
        return "still_open" if before == Verdict.ungeklaert else "newly_open"
    if before == Verdict.ungeklaert:
        return "resolved"
    if before != after:
        return "other"  # e.g. erfüllt <-> nicht anwendbar, a waiver added or dropped
    return None


@dataclass
class Change:
    rule: str
    title: str
    severity: Severity
    before: Optional[Verdict]
    after: Optional[Verdict]
    recommendation: str = ""
    fingerprint_before: Optional[str] = None
    fingerprint_after: Optional[str] = None


@dataclass
class Comparison:
    old: AgreementResult
    new: AgreementResult
    changes: dict[str, list[Change]] = field(default_factory=dict)
    unchanged: int = 0

    @property
    def overall_changed(self) -> bool:
        return self.old.overall != self.new.overall

    def new_violations(self, threshold: Severity = Severity.hinweis) -> list[Change]:
        return [c for c in self.changes.get("new_violation", [])
                if SEVERITY_ORDER[c.severity] >= SEVERITY_ORDER[threshold]]


def _key(change: Change) -> tuple:
    return (-SEVERITY_ORDER[change.severity], change.rule)


def compare(old: AgreementResult, new: AgreementResult, lang: str = "de") -> Comparison:
    """Pair the findings of ``old`` and ``new`` by rule id and sort each change into its category."""
    before: dict[str, Finding] = {f.id: f for f in old.findings}
    after: dict[str, Finding] = {f.id: f for f in new.findings}
    out = Comparison(old, new, {key: [] for key in CATEGORIES})
    for rule_id in sorted(set(before) | set(after)):
        b, a = before.get(rule_id), after.get(rule_id)
        key = category(b.verdict if b else None, a.verdict if a else None)
        if key is None:
            out.unchanged += 1
            continue
        finding = a or b
        assert finding is not None
        rule = finding.rule.rule
        out.changes[key].append(Change(rule_id, getattr(rule.title, lang), finding.severity,
                                       b.verdict if b else None, a.verdict if a else None,
                                       getattr(rule.recommendation, lang),
                                       finding_fingerprint(b) if b else None, finding_fingerprint(a) if a else None))
    for changes in out.changes.values():
        changes.sort(key=_key)
    return out


def _side(result: AgreementResult, lang: str) -> dict[str, Any]:
    return {"file": result.path, "sha256": result.sha256, "title": result.agreement.meta.title,
            "overall": result.overall, "overall_label": label(OVERALL, result.overall, lang),
            "counts": result.counts()}


def to_document(comparison: Comparison, lang: str = "de") -> dict[str, Any]:
    """The JSON document of a comparison (stable keys, sorted lists)."""
    return {
        "schema": DIFF_SCHEMA,
        "old": _side(comparison.old, lang),
        "new": _side(comparison.new, lang),
        "overall": {"before": comparison.old.overall, "after": comparison.new.overall,
                    "changed": comparison.overall_changed},
        "counts": {key: len(changes) for key, changes in comparison.changes.items()} | {
            "unchanged": comparison.unchanged},
        "changes": {key: [{"rule": c.rule, "title": c.title, "severity": c.severity.value,
                           "before": c.before.value if c.before else None,
                           "after": c.after.value if c.after else None,
                           "fingerprint_before": c.fingerprint_before, "fingerprint_after": c.fingerprint_after}
                          for c in changes]
                    for key, changes in comparison.changes.items()},
    }


_WORDS = {
    "title": ("Vergleich zweier Fassungen", "Comparison of two versions"),
    "old": ("Alt", "Old"),
    "new": ("Neu", "New"),
    "overall": ("Gesamturteil", "Overall verdict"),
    "unchanged": ("{n} weitere Kriterien unverändert", "{n} further criteria unchanged"),
    "none": ("keine", "none"),
    "todo": ("Was zu ändern ist", "What to change"),
}


def _word(key: str, lang: str, **values: Any) -> str:
    return _WORDS[key][0 if lang == "de" else 1].format(**values)


def _verdict(v: Optional[Verdict], lang: str) -> str:
    return label(VERDICT, v.value, lang) if v else "–"


def to_text(comparison: Comparison, lang: str = "de") -> str:
    """A plain-text summary for the terminal."""
    old, new = comparison.old, comparison.new
    lines = [
        _word("title", lang),
        f"  {_word('old', lang)}: {old.path}",
        f"  {_word('new', lang)}: {new.path}",
        "",
        f"{_word('overall', lang)}: {label(OVERALL, old.overall, lang)} -> {label(OVERALL, new.overall, lang)}",
    ]
    for key, changes in comparison.changes.items():
        if not changes and key not in ("new_violation", "fixed"):
            continue
        heading = CATEGORIES[key][0 if lang == "de" else 1]
        lines.append("")
        lines.append(f"{heading} ({len(changes)})" + ("" if changes else f": {_word('none', lang)}"))
        for c in changes:
            lines.append(f"  {c.rule}  [{label(SEVERITY, c.severity.value, lang)}]  {c.title}")
            if key not in ("still_violated", "still_open"):
                lines.append(f"      {_verdict(c.before, lang)} -> {_verdict(c.after, lang)}")
            if key == "new_violation" and c.recommendation:
                lines.append(f"      {_word('todo', lang)}: {' '.join(c.recommendation.split())}")
    lines.append("")
    lines.append(_word("unchanged", lang, n=comparison.unchanged))
    return "\n".join(lines) + "\n"
