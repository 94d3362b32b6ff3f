"""``fehlt`` for single yes/no, enum and number facts (issue 10): the draft was read and says nothing
about a protective fact. The model keeps ``fehlt``, the rules read what silence means (no opening
clause, no exclusivity promised, tariff increases not covered, no mechanism, no quota), the report
says "Die Vereinbarung regelt … nicht"; where silence has no meaning (who holds the budget) the
format refuses it with a located message. Also: a decision right of providers recorded in any
structured field makes the public body lose the Regiekompetenz (derived.provider_decides_on_granting)."""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest

from checker.check import check_file, evaluate
from checker.facts import build_facts, derived_values, provider_decides_on_granting
from checker.interview import build_plan
from checker.loader import InputError, load_agreement
from checker.model import ABSENT, Agreement, silence_at
from checker.report import format_value
from checker.rules import Verdict

DATE = dt.date(2026, 1, 1)

DRAFT = """\
format_version: 2
meta: {title: Entwurf ohne Tarif- und Kürzungsangaben, status: entwurf}
field_of_work: [kinder_jugendhilfe]
budget: {amount_per_year: 900000, previous_year_actual_costs: 1000000, reduction_reason_given: fehlt}
clauses:
  cost_increases: {status: vereinbart, section: "§ 9", covers_tariff: Fehlt, mechanism: index}
  overspending: {status: vereinbart, mode: fehlt}
  provider_access: {status: vereinbart, open_to_new_providers: true, exclusivity: fehlt, referral_quota_percent: fehlt}
"""


@pytest.fixture()
def draft(tmp_path):
    path = tmp_path / "entwurf.yaml"
    path.write_text(DRAFT, encoding="utf-8")
    return path


def test_the_model_keeps_fehlt_and_the_rules_read_silence(draft, catalogue):
    agreement = load_agreement(draft).agreement
    assert agreement.clauses.cost_increases.covers_tariff == ABSENT  # "Fehlt" forgiven
    assert agreement.clauses.overspending.mode == ABSENT
    facts = {f.get("fn"): f for f in build_facts(agreement)}
    assert facts["cost_increases"]["covers_tariff"] is False
    assert facts["overspending"]["mode"] == "keine"
    assert facts["provider_access"]["exclusivity"] is False
    assert facts["provider_access"]["referral_quota_percent"] == 0
    derived = derived_values(agreement)
    assert derived["derived__access_restricted"] is False
    assert derived["derived__choice_restricted_by_quota"] is False
    result = check_file(str(draft), catalogue, check_date=DATE)
    assert result.finding("DWH-SK-KOSTENSTEIGERUNG").verdict == Verdict.verletzt
    assert result.finding("KON-VORJAHRESKOSTEN").verdict == Verdict.verletzt  # the example
    assert result.finding("ISSAB-VR-NACHFINANZIERUNG").verdict == Verdict.verletzt
    # silence promises no exclusivity and sets no quota: access stays open as the draft says
    assert result.finding("DWH-SK-TRAEGERZUGANG").verdict == Verdict.erfuellt


def test_the_report_says_the_draft_does_not_regulate_it(draft, catalogue):
    agreement = load_agreement(draft).agreement
    de = format_value("clauses.cost_increases.covers_tariff", ABSENT, "de", agreement)
    assert de == "fehlt: Die Vereinbarung regelt „Tarifsteigerungen sind erfasst“ nicht (gilt als „nein“)"
    en = format_value("clauses.overspending.mode", ABSENT, "en", agreement)
    assert en.startswith("absent: the agreement does not regulate “Additional funding")
    result = check_file(str(draft), catalogue, check_date=DATE)
    evidence = {e.path: e.value for e in result.finding("DWH-SK-KOSTENSTEIGERUNG").evidence}
    assert evidence["clauses.cost_increases.covers_tariff"] == ABSENT


@pytest.mark.parametrize("snippet,message", [
    ("model: {holder: fehlt}", "unzulässiger Wert 'fehlt'"),  # describes the model: no silence
    ("clauses: {choice_of_provider: {opening_clause: vielleicht}}",
     "true oder false erwartet, gefunden: 'vielleicht' (oder fehlt: der Entwurf regelt es nicht)"),
    ("clauses: {overspending: {mode: irgendwie}}", "erlaubt: anspruch, ermessen, keine (oder fehlt"),
])
def test_fehlt_only_where_the_format_allows_it_with_one_located_message(tmp_path, snippet, message):
    path = tmp_path / "x.yaml"
    path.write_text(f"format_version: 2\nmeta: {{title: T}}\n{snippet}\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_agreement(path)
    (error,) = info.value.errors
    assert error.line == 3 and message in error.message
    assert "literal" not in error.path and not error.path.endswith(".bool")


def test_which_facts_may_be_fehlt():
    for path in ("clauses.choice_of_provider.opening_clause", "clauses.provider_access.exclusivity",
                 "clauses.cost_increases.covers_tariff", "clauses.cost_increases.mechanism",
                 "clauses.overspending.mode", "clauses.public_body_decides.provider_decides_on_granting",
                 "budget.reduction_reason_given", "clauses.provider_access.referral_quota_percent",
                 "clauses.legal_claims_preserved.granting_limited_to_budget",
                 "clauses.selection_procedure.committee_decides"):
        assert silence_at(path) is not None, path
    for path in ("model.holder", "model.allocation_model", "services[0].claim", "clauses.overspending.procedure",
                 "meta.status", "parties.takers[0].kind"):
        assert silence_at(path) is None, path


def test_the_interview_offers_fehlt_im_entwurf(catalogue):
    plan = build_plan(catalogue)
    tariff = plan.question_for_path("clauses.cost_increases.covers_tariff")
    (detail,) = [d for d in tariff.details if d.key == "clauses.cost_increases.covers_tariff"]
    assert detail.absent
    overspending = plan.question_for_path("clauses.overspending.mode")
    (mode,) = [d for d in overspending.details if d.key == "clauses.overspending.mode"]
    assert (ABSENT, "fehlt im Entwurf") in mode.options


def _agreement(**data) -> Agreement:
    return Agreement.model_validate({"meta": {"title": "T"}, **data})


@pytest.mark.parametrize("data,expected", [
    ({}, None),
    ({"clauses": {"public_body_decides": {"provider_decides_on_granting": True}}}, True),
    ({"clauses": {"public_body_decides": {"status": "ausgeschlossen"}}}, True),
    ({"clauses": {"role_separation": {"status": "ausgeschlossen"}}}, True),
    ({"parties": {"giver": {"unit_with_regiekompetenz": "Träger Nord e. V."}, "takers": [{"name": "träger  nord e. v."}]}},
     True),
    ({"parties": {"giver": {"unit_with_regiekompetenz": "Jugendamt"}, "takers": [{"name": "Träger Nord e. V."}]}},
     None),
    ({"clauses": {"public_body_decides": {"provider_decides_on_granting": False}}}, False),
    ({"clauses": {"public_body_decides": {"provider_decides_on_granting": "fehlt"}}}, False),
    # free text is not read: a note saying so changes nothing (cases/REVIEW.md, J2)
    ({"clauses": {"public_body_decides": {"note": "Die Träger entscheiden über die Gewährung."}}}, None),
])
def test_a_decision_right_of_providers_in_any_structured_field(data, expected):
    assert provider_decides_on_granting(_agreement(**data)) is expected


def test_the_evidence_names_the_field_that_recorded_the_decision_right(catalogue):
    agreement = _agreement(
        field_of_work=["kinder_jugendhilfe"],
        services=[{"category": "hilfen_zur_erziehung", "claim": "subjektbezogen"}],
        parties={"giver": {"unit_with_regiekompetenz": "Träger Nord e. V."}, "takers": [{"name": "Träger Nord e. V."}]},
        clauses={"public_body_decides": {"status": "vereinbart"}})
    finding = evaluate(agreement, catalogue, check_date=DATE).finding("RS-GEWAEHRUNG-OEFFENTLICH")
    assert finding.verdict == Verdict.verletzt
    assert "parties.giver.unit_with_regiekompetenz" in {e.path for e in finding.evidence}
