"""Baseline: the findings an existing set of drafts already has, so that only new ones fail.

``budgetcheck check ... --write-baseline FILE`` records every *verletzt* and *ungeklärt*
finding (file relative to the project root, rule id, verdict and the fingerprint of
:mod:`checker.fingerprints`); ``--baseline FILE`` marks the findings it lists as known:
they stay in every report (SARIF as suppressed), but never fail the run and are left
out of the one-line formats (``concise``, ``github``, ``gitlab``). Matching uses the
fingerprint, not line numbers: moving a clause keeps a finding known; a rule that turns
from *ungeklärt* to *verletzt* is new.
"""

from __future__ import annotations

import json
from typing import Any, Iterable

from checker import fingerprints
from checker.loader import ErrorItem, InputError
from checker.rules import Verdict

FORMAT = "budgetcheck-baseline"
VERSION = 1


def _recorded(finding: Any) -> bool:
    verdict = finding.underlying if finding.verdict == Verdict.ausgenommen else finding.verdict
    return verdict in (Verdict.verletzt, Verdict.ungeklaert)


def baseline_entries(result: Any, ctx: Any) -> list[dict]:
    """The baseline entries of one agreement."""
    name = ctx.name(result.path)
    return [{"file": name, "rule": finding.id, "verdict": fingerprints.verdict_of(finding),
             "fingerprint": fingerprints.located_fingerprint(name, finding)}
            for finding in result.findings if _recorded(finding)]


def dump_entries(entries: list[dict]) -> str:
    """The baseline file of these entries (JSON, sorted by file and rule)."""
    entries.sort(key=lambda e: (e["file"], e["rule"]))
    document = {"format": FORMAT, "version": VERSION, "fingerprint_version": fingerprints.VERSION,
                "findings": entries}
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def dump_baseline(results: Iterable[Any], ctx: Any) -> str:
    """The baseline file (JSON, sorted, one entry per finding)."""
    return dump_entries([entry for result in results for entry in baseline_entries(result, ctx)])


def load_baseline(path: str, lang: str = "de") -> frozenset[str]:
    """The fingerprints a baseline file lists; an unreadable or foreign file is an InputError."""
    def fail(message_de: str, message_en: str) -> InputError:
        return InputError([ErrorItem(path, None, None, "", message_de if lang == "de" else message_en, lang=lang)])

    try:
        with open(path, "rb") as handle:
            document = json.loads(handle.read(50 * 1024 * 1024).decode("utf-8"))
    except OSError as exc:
        raise fail(f"Baseline nicht lesbar: {exc.strerror or exc}", f"cannot read baseline: {exc.strerror or exc}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise fail(f"keine gültige Baseline (JSON): {exc}", f"not a valid baseline (JSON): {exc}")
    if not isinstance(document, dict) or document.get("format") != FORMAT or document.get("version") != VERSION:
        raise fail(f"keine Baseline von budgetcheck (erwartet format: {FORMAT}, version: {VERSION})",
                   f"not a budgetcheck baseline (expected format: {FORMAT}, version: {VERSION})")
    if document.get("fingerprint_version") != fingerprints.VERSION:
        raise fail("Baseline mit anderer Fingerprint-Version; mit --write-baseline neu schreiben",
                   "baseline has another fingerprint version; write it again with --write-baseline")
    findings = document.get("findings")
    if not isinstance(findings, list) or not all(isinstance(e, dict) and isinstance(e.get("fingerprint"), str)
                                                 for e in findings):
        raise fail("Baseline: findings muss eine Liste von Einträgen mit fingerprint sein",
                   "baseline: findings must be a list of entries with a fingerprint")
    return frozenset(e["fingerprint"] for e in findings)


def apply_baseline(results: Iterable[Any], known: frozenset[str], ctx: Any) -> int:
    """Mark the findings listed in the baseline (``finding.baseline = True``); returns how many."""
    count = 0
    for result in results:
        name = ctx.name(result.path)
        for finding in result.findings:
            if _recorded(finding) and fingerprints.located_fingerprint(name, finding) in known:
                finding.baseline = True
                count += 1
    return count
