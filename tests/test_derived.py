"""Derived and implied facts (shown as such in the evidence) and the contradiction rule."""

from __future__ import annotations

import datetime as dt

from checker.check import check_file
from checker.rules import Verdict

DATE = dt.date(2026, 1, 1)


def write(tmp_path, text):
    path = tmp_path / "entwurf.yaml"
    path.write_text("format_version: 2\nmeta:\n  title: Entwurf\nfield_of_work: [kinder_jugendhilfe]\n" + text,
                    encoding="utf-8")
    return str(path)


def test_full_unconditional_payout_implies_no_conditional_shares(tmp_path, catalogue):
    path = write(tmp_path, "budget:\n  payout:\n    unconditional_share_percent: 100\n")
    finding = check_file(path, catalogue, check_date=DATE).finding("KON-AUSZAHLUNG-BEDINGUNGEN")
    assert finding.verdict == Verdict.nicht_anwendbar
    notes = {e.path: e.note for e in finding.evidence}
    assert "abgeleitet" in notes["budget.payout.conditional_shares"]
    assert "budget.payout.unconditional_share_percent" in notes


def test_referral_quota_restricts_access_and_choice(tmp_path, catalogue):
    path = write(tmp_path, "clauses:\n  choice_of_provider: {status: vereinbart, opening_clause: true}\n"
                           "  provider_access:\n    status: vereinbart\n    open_to_new_providers: true\n"
                           "    referral_quota_percent: 85\n")
    result = check_file(path, catalogue, check_date=DATE)
    for rule in ("DWH-SK-TRAEGERZUGANG", "DWH-SK-WAHLRECHT"):  # RS-EXKLUSIVITAET merged into the first
        finding = result.finding(rule)
        assert finding.verdict == Verdict.verletzt, rule
        assert any(e.path == "clauses.provider_access.referral_quota_percent" and e.line == 10
                   for e in finding.evidence), rule


def test_decision_right_of_providers_from_another_field(tmp_path, catalogue):
    path = write(tmp_path, "clauses:\n  public_body_decides: {status: vereinbart}\n"
                           "  role_separation: {status: ausgeschlossen}\n")
    finding = check_file(path, catalogue, check_date=DATE).finding("RS-GEWAEHRUNG-OEFFENTLICH")
    assert finding.verdict == Verdict.verletzt
    assert "clauses.role_separation.status" in {e.path for e in finding.evidence}


def test_contradiction_names_both_places(tmp_path, catalogue):
    path = write(tmp_path, "clauses:\n  provider_access:\n    status: vereinbart\n"
                           "    agreements_open_to_all_suitable: true\n    exclusivity: true\n")
    result = check_file(path, catalogue, check_date=DATE)
    finding = result.finding("KON-WIDERSPRUCH-ZUGANG")
    assert finding.verdict == Verdict.verletzt
    lines = {e.path: e.line for e in finding.evidence}
    assert lines["clauses.provider_access.exclusivity"] == 9
    assert lines["clauses.provider_access.agreements_open_to_all_suitable"] == 8
