"""Legal regime by field of work and date (issue 14): the law in force on the agreement's dates decides
which rule variants and which citations a report shows, and the report says which regime it applied.

Eingliederungshilfe agreements were governed by SGB XII §§ 75 ff. (old version) until 31.12.2019 and
by SGB IX Teil 2 (§§ 123 ff.) from 1.1.2020. A report on an SGB XII-era agreement, or on a pure SGB VIII
agreement, must not cite SGB IX.
"""

from __future__ import annotations

import datetime as dt

import pytest

from checker.check import evaluate
from checker.model import Agreement
from checker.regime import Regime
from checker.report import render_report
from checker.rules import load_catalogue
from checker.verdicts import RunInfo
from tests.conftest import CHECK_DATE

RUN = RunInfo(checker_version="0.1.0", catalogue_version="test", catalogue_digest="0" * 64,
              rule_count=0, check_date=CHECK_DATE.isoformat())


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def egh(start: str, end: str, **extra) -> dict:
    """An Eingliederungshilfe budget whose arbitration board is excluded and which was tendered."""
    doc = {
        "meta": {"title": "EGH-Budget", "period": {"start": start, "end": end}},
        "field_of_work": ["eingliederungshilfe"],
        "model": {"budget_form": "traegerbudget"},
        "services": [{"category": "eingliederungshilfe", "claim": "subjektbezogen", "setting": "ambulant"}],
        "clauses": {
            "schiedsstelle": {"status": "ausgeschlossen"},
            "selection_procedure": {"status": "vereinbart", "procedure": "ausschreibung_gwb"},
            "framework_agreements": {"status": "vereinbart", "individual_agreements_remain": False},
        },
    }
    doc.update(extra)
    return doc


def run(catalogue, doc: dict, fmt: str = "markdown", lang: str = "de"):
    agreement = Agreement.model_validate(doc)
    result = evaluate(agreement, catalogue, path="test.yaml", check_date=CHECK_DATE)
    return result, render_report([result], fmt, lang=lang, run=RUN)


def test_egh_2019_is_sgb_xii_old_version(catalogue):
    result, report = run(catalogue, egh("2019-01-01", "2019-12-31"))
    assert "Rechtsstand:** Eingliederungshilfe: SGB XII in der bis 31.12.2019 geltenden Fassung" in report
    assert "SGB IX" not in report  # neither citations nor wording
    assert "§ 77 Abs. 1 S. 3 SGB XII a. F." in report  # the Schiedsstelle of the old law
    # the criteria that hold under both laws are judged alike
    assert result.finding("DWH-SK-SCHIEDSSTELLE-EGH").verdict.value == "verletzt"
    assert result.finding("DWH-SK-VERGABERECHT").verdict.value == "verletzt"  # one finding (BSG), RS-EGH-KEINE-VERGABE merged


def test_egh_2021_is_sgb_ix(catalogue):
    result, report = run(catalogue, egh("2021-01-01", "2021-12-31"))
    assert "Rechtsstand:** Eingliederungshilfe: SGB IX Teil 2 in der ab 1.1.2020 geltenden Fassung" in report
    assert "SGB XII" not in report
    assert "§ 126 Abs. 2 SGB IX" in report
    assert result.finding("DWH-SK-SCHIEDSSTELLE-EGH").verdict.value == "verletzt"


def test_egh_term_across_1_1_2020_applies_both_in_turn(catalogue):
    result, report = run(catalogue, egh("2019-07-01", "2021-06-30"))
    line = next(line for line in report.splitlines() if "Rechtsstand" in line)
    assert "SGB XII in der bis 31.12.2019 geltenden Fassung" in line
    assert "SGB IX Teil 2 in der ab 1.1.2020 geltenden Fassung" in line
    assert "beide gelten nacheinander" in line
    assert "§ 77 Abs. 1 S. 3 SGB XII a. F." in report and "§ 126 Abs. 2 SGB IX" in report
    # the term ends under SGB IX: the wording of the later regime
    assert "Vergütungsvereinbarung nach § 125 SGB IX" in report


def test_egh_without_dates_keeps_both_and_says_so(catalogue):
    doc = egh("2019-01-01", "2019-12-31")
    del doc["meta"]["period"]
    _, report = run(catalogue, doc)
    assert "Stichtag nicht angegeben: Zitate aus beiden Fassungen" in report
    assert "§ 126 Abs. 2 SGB IX" in report and "§ 77 Abs. 1 S. 3 SGB XII a. F." in report


def test_start_year_and_duration_decide_the_regime():
    agreement = Agreement.model_validate({"meta": {"title": "t", "period": {"start_year": 2014, "duration_months": 60}},
                                          "field_of_work": ["eingliederungshilfe"]})
    regime = Regime.of(agreement)
    assert regime.start == dt.date(2014, 1, 1) and regime.end == dt.date(2019, 12, 30)
    assert regime.egh_regimes() == ["sgb12"]
    late = Agreement.model_validate({"meta": {"title": "t", "period": {"start_year": 2016, "duration_months": 60}},
                                     "field_of_work": ["eingliederungshilfe"]})
    assert Regime.of(late).egh_regimes() == ["sgb12", "sgb9"]


def test_hamburg_2014_case_cites_no_sgb_ix(catalogue):
    from checker.check import check_file

    result = check_file("cases/source/hamburg-2014-eingliederungshilfe-traegerbudget.yaml", catalogue,
                        check_date=CHECK_DATE)
    for fmt in ("markdown", "html", "text"):
        report = render_report([result], fmt, lang="de", run=RUN)
        assert "SGB IX" not in report, fmt


@pytest.mark.parametrize("lang", ["de", "en"])
def test_pure_sgb_viii_report_cites_no_sgb_ix(catalogue, lang):
    from checker.check import check_file

    result = check_file("cases/source/hamburg-jugendhilfe-eckpunkte.yaml", catalogue, check_date=CHECK_DATE)
    for fmt in ("markdown", "html", "text"):
        report = render_report([result], fmt, lang=lang, run=RUN)
        assert "SGB IX" not in report and "SGB XII" not in report, fmt


def test_rule_validity_compares_the_whole_term():
    """valid_from is met when the term reaches the date, valid_until when it began before it."""
    from checker.facts import derived_values
    from checker.rules import AppliesTo, Rule, _applicability

    values = derived_values(Agreement.model_validate(egh("2019-07-01", "2021-06-30")))
    assert values["derived__reference_date"] == 20190701 and values["derived__term_last_date"] == 20210630
    rule = Rule.model_validate({
        "id": "X-Y", "title": {"de": "t", "en": "t"}, "group": "konsistenz", "severity": "hinweis",
        "applies_to": AppliesTo(valid_from=dt.date(2020, 1, 1), valid_until=dt.date(2030, 1, 1)).model_dump(),
        "source": [{"file": "000_cfe332d5febb39fc.txt", "section": "s", "passage": "xxxxxxxxxxxx"}],
        "rationale": {"de": "r", "en": "r"}, "recommendation": {"de": "r", "en": "r"}, "require": {}})
    assert _applicability(rule) == {"all": [{"path": "derived.term_last_date", "gte": dt.date(2020, 1, 1)},
                                            {"path": "derived.reference_date", "lte": dt.date(2030, 1, 1)}]}


# --------------------------------------------------------------------------- scope by claim type

INDIVIDUAL_CLAIM_RULES = ["DWH-JH-EINZELVEREINBARUNGEN", "DWH-SK-WAHLRECHT", "DWH-SK-RECHTSANSPRUECHE",
                          "DWH-SK-BEDARFSDECKUNG", "DWH-SK-VERGABERECHT",
                          "RS-GEWAEHRUNG-OEFFENTLICH", "ISSAB-VR-NACHFINANZIERUNG"]
DECISION_RULES = ["RS-GEWAEHRUNG-OEFFENTLICH", "DWH-QS-HILFEPLANUNG", "ISSAB-VS-SOZIALRAUMTEAMS",
                  "ISSAB-VS-ROLLENTRENNUNG"]


def youth(services: list[dict], **clauses) -> dict:
    return {"meta": {"title": "Budget", "land": "niedersachsen", "period": {"start": "2025-01-01", "end": "2027-12-31"}},
            "field_of_work": ["kinder_jugendhilfe"], "model": {"budget_form": "sozialraumbudget", "holder": "traeger"},
            "services": services, "clauses": clauses}


OPEN_YOUTH_WORK = {"name": "Offene Kinder- und Jugendarbeit", "legal_basis": "§ 11 SGB VIII",
                   "category": "offene_kinder_jugendarbeit", "claim": "objektbezogen", "setting": "offen"}
SPFH = {"name": "SPFH", "category": "hilfen_zur_erziehung", "claim": "subjektbezogen", "setting": "ambulant"}
EB = {"name": "Erziehungsberatung", "legal_basis": "§§ 28, 36a Abs. 2 SGB VIII", "category": "erziehungsberatung",
      "claim": "subjektbezogen", "setting": "ambulant"}
GWB = {"status": "vereinbart", "procedure": "ausschreibung_gwb"}


def test_pure_section_11_budget_gets_no_individual_claim_rules(catalogue):
    result, _ = run(catalogue, youth([OPEN_YOUTH_WORK], selection_procedure=GWB))
    for rule_id in INDIVIDUAL_CLAIM_RULES + DECISION_RULES:
        assert result.finding(rule_id).verdict.value == "nicht_anwendbar", rule_id
    # a tender of infrastructure is no blocker: a hint on funding under § 74 SGB VIII instead
    hint = result.finding("DWH-SK-VERGABERECHT-INFRASTRUKTUR")
    assert hint.verdict.value == "verletzt" and hint.severity.value == "hinweis"
    assert not [f.id for f in result.findings if f.severity.value == "blocker"
                and f.verdict.value in ("verletzt", "ungeklaert") and f.id in INDIVIDUAL_CLAIM_RULES]


def test_mixed_budget_keeps_the_individual_claim_rules(catalogue):
    result, _ = run(catalogue, youth([OPEN_YOUTH_WORK, SPFH], selection_procedure=GWB))
    assert result.finding("DWH-SK-VERGABERECHT").verdict.value == "verletzt"  # blocker for the HzE part
    assert result.finding("DWH-SK-VERGABERECHT-INFRASTRUKTUR").verdict.value == "nicht_anwendbar"
    for rule_id in INDIVIDUAL_CLAIM_RULES + DECISION_RULES:
        assert result.finding(rule_id).verdict.value != "nicht_anwendbar", rule_id


def test_erziehungsberatung_with_direct_access_needs_no_prior_decision(catalogue):
    """§ 36a Abs. 2 SGB VIII: direct use without a decision of the youth office; the claim itself stays."""
    result, _ = run(catalogue, youth([EB]))
    for rule_id in DECISION_RULES:
        assert result.finding(rule_id).verdict.value == "nicht_anwendbar", rule_id
    for rule_id in ["DWH-SK-RECHTSANSPRUECHE", "DWH-SK-WAHLRECHT", "DWH-JH-EINZELVEREINBARUNGEN"]:
        assert result.finding(rule_id).verdict.value != "nicht_anwendbar", rule_id
    # with another aid that is granted by decision, the decision rules apply again
    mixed, _ = run(catalogue, youth([EB, SPFH]))
    assert mixed.finding("RS-GEWAEHRUNG-OEFFENTLICH").verdict.value != "nicht_anwendbar"


def test_claim_type_not_stated_keeps_the_protective_rules(catalogue):
    """Only listed services without any individual claim take the claim rules out; an open claim type does not."""
    for services in ([{"name": "Angebot", "category": "sonstiges"}], [], None):
        doc = youth(services or [])
        if services is None:
            del doc["services"]
        result, _ = run(catalogue, doc)
        assert result.finding("DWH-SK-RECHTSANSPRUECHE").verdict.value != "nicht_anwendbar", services
        assert result.finding("DWH-SK-VERGABERECHT-INFRASTRUKTUR").verdict.value == "nicht_anwendbar", services


# --------------------------------------------------------------------------- severities

def test_excluded_hilfeplanung_is_a_blocker_missing_one_minor(catalogue):
    excluded, _ = run(catalogue, youth([SPFH], participatory_planning={"status": "ausgeschlossen"}))
    finding = excluded.finding("DWH-QS-HILFEPLANUNG")
    assert finding.verdict.value == "verletzt" and finding.severity.value == "blocker"
    missing, _ = run(catalogue, youth([SPFH], participatory_planning={"status": "fehlt"}))
    finding = missing.finding("DWH-QS-HILFEPLANUNG")
    assert finding.verdict.value == "verletzt" and finding.severity.value == "minor"


def test_severities_follow_the_sources():
    from checker.rules import load_catalogue as load

    severity = {r.id: r.rule.severity.value for r in load().rules}
    assert severity["ISSAB-GA-MOGELPACKUNG"] == severity["ISSAB-GA-VERWALTUNGSINTERN"] == "major"
    assert severity["DWH-EGH-VORJAHRESBASIS"] == "hinweis"
    assert severity["ISSAB-VS-JUGENDHILFEPLANUNG"] == "minor"
