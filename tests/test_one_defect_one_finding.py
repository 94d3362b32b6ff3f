"""Legal catalogue v2 (issue 14, part b): severities that match the law, one defect one finding.

Each test states a situation of the issue and asserts the lawful verdict and severity:

* a cap on a budget for aid with legal claims is a pay risk of the provider (major) while granting
  does not depend on the budget; a blocker where granting is limited to the means ("nur im Rahmen der
  Mittel");
* one opening clause is judged once, with the same strictness in every allocation model (who pays the
  outside provider, limitation to the budget holders);
* the selection procedure and the body that decides are two facts;
* one clause (overspending, opening clause) gives one finding, not several.
"""

from __future__ import annotations

import pytest

from pathlib import Path

from checker.check import evaluate
from checker.model import Agreement
from checker.rules import load_catalogue
from tests.conftest import CHECK_DATE

ROOT = Path(__file__).resolve().parents[1]
HZE = {"name": "SPFH", "category": "hilfen_zur_erziehung", "claim": "subjektbezogen", "setting": "ambulant"}
EGH = {"name": "ASP", "category": "eingliederungshilfe", "claim": "subjektbezogen", "setting": "ambulant"}


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def run(catalogue, *, fields=("kinder_jugendhilfe",), services=(HZE,), model=None, budget=None, **clauses):
    doc = {"meta": {"title": "Budget", "land": "hamburg"}, "field_of_work": list(fields),
           "model": {"budget_form": "traegerbudget", "holder": "traeger", **(model or {})},
           "services": list(services), "clauses": clauses}
    if budget:
        doc["budget"] = budget
    return evaluate(Agreement.model_validate(doc), catalogue, path="test.yaml", check_date=CHECK_DATE)


def violated(result) -> list[str]:
    return sorted(f.id for f in result.findings if f.verdict.value == "verletzt")


# --------------------------------------------------------------------------- cap: major or blocker

def test_asp_model_cap_is_a_major_pay_risk_not_a_blocker(catalogue):
    """ASP (000): adjustment only in the following year, no binding Nachfinanzierung; the claim against
    the public body is untouched, the provider carries the pay risk."""
    result = run(catalogue, fields=["eingliederungshilfe"], services=[EGH],
                 overspending={"status": "vereinbart", "mode": "ermessen"},
                 demand_adjustment={"status": "vereinbart", "timing": "folgejahr", "volume_changes_count": True},
                 legal_claims_preserved={"status": "vereinbart", "granting_limited_to_budget": False})
    cap = result.finding("ISSAB-VR-NACHFINANZIERUNG")
    assert cap.verdict.value == "verletzt" and cap.severity.value == "major"
    # the same clause gives no second finding
    assert [f for f in violated(result) if f.startswith("ISSAB-")] == ["ISSAB-VR-NACHFINANZIERUNG"]


def test_granting_only_within_the_means_makes_the_cap_a_blocker(catalogue):
    result = run(catalogue, overspending={"status": "ausgeschlossen"},
                 legal_claims_preserved={"status": "ausgeschlossen", "granting_limited_to_budget": True})
    cap = result.finding("ISSAB-VR-NACHFINANZIERUNG")
    assert cap.verdict.value == "verletzt" and cap.severity.value == "blocker"
    assert result.overall == "nicht_zeichnungsreif"


def test_granting_only_within_the_means_makes_an_open_cap_question_a_blocker(catalogue):
    result = run(catalogue, legal_claims_preserved={"status": "ausgeschlossen", "granting_limited_to_budget": True})
    cap = result.finding("ISSAB-VR-NACHFINANZIERUNG")
    assert cap.verdict.value == "ungeklaert" and cap.severity.value == "blocker"


def test_discretionary_nachfinanzierung_is_one_finding(catalogue):
    """The issue: a discretionary Nachfinanzierung gave one blocker and three majors for one clause."""
    result = run(catalogue, overspending={"status": "vereinbart", "mode": "ermessen"},
                 demand_adjustment={"status": "ausgeschlossen"},
                 budget={"amount_per_year": 900000, "previous_year_actual_costs": 1000000})
    about_overspending = [f.id for f in result.findings if f.verdict.value == "verletzt"
                          and any(e.path.startswith("clauses.overspending") for e in f.evidence)]
    assert about_overspending == ["ISSAB-VR-NACHFINANZIERUNG"]
    assert result.finding("ISSAB-VR-NACHFINANZIERUNG").severity.value == "major"


def test_infrastructure_budget_is_no_cap_defect(catalogue):
    """A § 11 budget has no legal claim: a Förderung within the means is no 'Deckel' (ISSAB 6.2:
    'in einem Bereich, in dem Leistungsberechtigte rechtlich gesicherte Ansprüche anmelden können')."""
    youth_work = {"name": "Jugendarbeit", "category": "offene_kinder_jugendarbeit", "claim": "objektbezogen",
                  "setting": "offen"}
    result = run(catalogue, services=[youth_work], overspending={"status": "ausgeschlossen"})
    assert result.finding("ISSAB-VR-NACHFINANZIERUNG").verdict.value == "nicht_anwendbar"


# --------------------------------------------------------------------------- opening clause

CHOICE_PAID_BY_BENEFICIARIES = {"status": "vereinbart", "opening_clause": True,
                                "outside_provider_paid_by": "leistungsberechtigte"}
CHOICE_LIMITED = {"status": "vereinbart", "opening_clause": True, "outside_provider_paid_by": "budget",
                  "limited_to_budget_holders": True}
CHOICE_OK = {"status": "vereinbart", "opening_clause": True, "outside_provider_paid_by": "oeffentlicher_traeger"}


@pytest.mark.parametrize("model", [None, {"allocation_model": "monopolist"}, {"allocation_model": "traegerverbund"}])
@pytest.mark.parametrize("choice, expected", [(CHOICE_PAID_BY_BENEFICIARIES, "verletzt"),
                                              (CHOICE_LIMITED, "verletzt"), (CHOICE_OK, "erfuellt")])
def test_opening_clause_same_strictness_in_every_model(catalogue, model, choice, expected):
    result = run(catalogue, model=model, choice_of_provider=choice)
    finding = result.finding("DWH-SK-WAHLRECHT")
    assert finding.verdict.value == expected and finding.severity.value == "blocker"
    if expected == "verletzt":
        assert result.overall == "nicht_zeichnungsreif"  # never zeichnungsreif, in no model


def test_opening_clause_with_exclusivity_is_one_finding(catalogue):
    result = run(catalogue, model={"allocation_model": "monopolist"}, choice_of_provider=CHOICE_PAID_BY_BENEFICIARIES,
                 provider_access={"status": "vereinbart", "exclusivity": True})
    about_choice = [f.id for f in result.findings if f.verdict.value == "verletzt"
                    and any(e.path.startswith("clauses.choice_of_provider") for e in f.evidence)]
    assert about_choice == ["DWH-SK-WAHLRECHT"]


def test_referral_quota_reaches_the_opening_clause(catalogue):
    """An 80 % preferential quota next to an opening clause: no 'Wahlrecht erfüllt'."""
    result = run(catalogue, choice_of_provider=CHOICE_OK, provider_access={"referral_quota_percent": 80})
    assert result.finding("DWH-SK-WAHLRECHT").verdict.value == "verletzt"


def test_opening_clause_payer_unknown_is_open(catalogue):
    result = run(catalogue, choice_of_provider={"status": "vereinbart", "opening_clause": True})
    finding = result.finding("DWH-SK-WAHLRECHT")
    assert finding.verdict.value == "ungeklaert"
    assert "clauses.choice_of_provider.outside_provider_paid_by" in {m.path for m in finding.missing}


# --------------------------------------------------------------------------- selection procedure

@pytest.mark.parametrize("committee, expected", [(None, "ungeklaert"), (True, "erfuellt"), (False, "verletzt")])
def test_interessenbekundung_and_the_deciding_body_are_two_facts(catalogue, committee, expected):
    selection = {"status": "vereinbart", "procedure": "interessenbekundung", "transparent_criteria": True}
    if committee is not None:
        selection["committee_decides"] = committee
    result = run(catalogue, selection_procedure=selection)
    assert result.finding("DWH-JH-AUSWAHLVERFAHREN").verdict.value == expected
    # the open call DWH-SK-VERGABERECHT recommends is never a procurement-law violation
    assert result.finding("DWH-SK-VERGABERECHT").verdict.value == "erfuellt"


# --------------------------------------------------------------------------- provider access, legal claims

def test_exclusivity_is_one_finding(catalogue):
    """Exclusivity for a single budget holder gave up to four blockers/majors (Zugang, Vielfalt, Exklusivität,
    Monopol); now one, with the court decisions and Art. 12 Abs. 1 GG."""
    doc = {"meta": {"title": "Budget", "land": "niedersachsen"}, "field_of_work": ["eingliederungshilfe"],
           "model": {"budget_form": "traegerbudget", "holder": "traeger", "allocation_model": "monopolist"},
           "parties": {"takers": [{"name": "A", "wertorientierung": "evangelisch"}]},
           "services": [EGH],
           "clauses": {"provider_access": {"status": "vereinbart", "open_to_new_providers": False,
                                           "agreements_open_to_all_suitable": False, "exclusivity": True,
                                           "admission_rules": False}}}
    result = evaluate(Agreement.model_validate(doc), catalogue, path="test.yaml", check_date=CHECK_DATE)
    about_access = [f.id for f in result.findings if f.verdict.value == "verletzt"
                    and any(e.path.startswith("clauses.provider_access") for e in f.evidence)]
    assert about_access == ["DWH-SK-TRAEGERZUGANG", "ISSAB-VS-KOOPERATION-AUFNAHME"]
    refs = {c.ref for c in result.finding("DWH-SK-TRAEGERZUGANG").rule.rule.legal_basis if c.law}
    assert "Art. 12 Abs. 1" in refs


def test_youth_welfare_admission_rules_are_one_finding(catalogue):
    result = run(catalogue, provider_access={"status": "vereinbart", "open_to_new_providers": True,
                                             "agreements_open_to_all_suitable": True, "exclusivity": False,
                                             "admission_rules": False})
    assert result.finding("DWH-JH-TRAEGERZUGANG").verdict.value == "verletzt"
    assert result.finding("ISSAB-VS-KOOPERATION-AUFNAHME").verdict.value == "nicht_anwendbar"
    assert result.finding("DWH-SK-TRAEGERZUGANG").verdict.value == "erfuellt"


@pytest.mark.parametrize("fields, services", [(["kinder_jugendhilfe"], [HZE]), (["eingliederungshilfe"], [EGH])])
def test_legal_claims_clause_is_one_finding(catalogue, fields, services):
    result = run(catalogue, fields=fields, services=services, legal_claims_preserved={"status": "ausgeschlossen"},
                 framework_agreements={"status": "vereinbart", "individual_agreements_remain": True})
    about_claims = [f.id for f in result.findings if f.verdict.value == "verletzt"
                    and any(e.path.startswith("clauses.legal_claims_preserved") for e in f.evidence)]
    assert about_claims == ["DWH-SK-RECHTSANSPRUECHE"]
    assert result.finding("RS-RECHTSANSPRUCH-ENTGELT").verdict.value == "erfuellt"


# --------------------------------------------------------------------------- criticism (ISSAB 2.5)

def test_every_rule_drawn_from_a_criticism_says_so(catalogue):
    """A rule quoting a criticism ISSAB only reports (2.5) names it and ISSAB's own answer or own demand."""
    for compiled in catalogue.rules:
        rule = compiled.rule
        if any(s.section.startswith("2.5") for s in rule.source):
            assert rule.criticism is not None, rule.id
            assert "2.5" in rule.criticism.de, rule.id


@pytest.mark.parametrize("rule_id, answer", [("DWH-SK-WAHLRECHT", "gegenstandslos"),
                                             ("DWH-SK-TRAEGERZUGANG", "ad absurdum geführt"),
                                             ("ISSAB-VR-NACHFINANZIERUNG", "haben sich in der Praxis nicht")])
def test_criticism_quotes_issabs_own_answer_verbatim(catalogue, rule_id, answer):
    from tests.test_rule_sources import normalise, source_text

    text = catalogue.by_id[rule_id].rule.criticism.de
    assert answer in text
    assert normalise(answer) in normalise(source_text("001_dde54a99f7067d07.txt"))


def test_report_says_the_rule_rests_on_a_criticism(catalogue):
    from checker.report import render_report
    from checker.verdicts import RunInfo

    result = run(catalogue, choice_of_provider=CHOICE_PAID_BY_BENEFICIARIES)
    run_info = RunInfo(checker_version="0", catalogue_version="t", catalogue_digest="0" * 64, rule_count=0,
                       check_date=CHECK_DATE.isoformat())
    text = render_report([result], "markdown", lang="de", run=run_info)
    assert "Beruht auf einer Kritik" in text and "gegenstandslos" in text


def test_every_quotation_in_a_criticism_is_verbatim(catalogue):
    """„…“ in a criticism quotes a source: each part (split at an ellipsis) occurs in 000 or 001."""
    import re

    from tests.test_rule_sources import normalise, source_text

    sources = source_text("000_cfe332d5febb39fc.txt") + " " + source_text("001_dde54a99f7067d07.txt")
    for compiled in catalogue.rules:
        criticism = compiled.rule.criticism
        if criticism is None:
            continue
        for quote in re.findall(r"„([^“]+)“", criticism.de):
            for part in quote.split("…"):
                part = normalise(part).strip(" .,")
                assert not part or part in sources, (compiled.id, part)


# --------------------------------------------------------------------------- retired ids

D01 = "cases/defective/d01-keine-nachfinanzierung.yaml"


def test_retired_ids_point_at_existing_rules_and_are_never_reused(catalogue):
    from checker.rules import retired_rules

    retired = retired_rules()
    assert "ISSAB-KR-RECHTSANSPRUCH-DECKEL" in retired
    for old, into in retired.items():
        assert old not in catalogue.by_id, old
        assert into in catalogue.by_id, (old, into)


def cli(capsys, *args):
    from checker.cli import main

    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_rules_show_names_the_rule_an_old_id_went_into(capsys):
    code, out, err = cli(capsys, "rules", "show", "ISSAB-KR-RECHTSANSPRUCH-DECKEL")
    assert code == 0 and "ISSAB-VR-NACHFINANZIERUNG" in out
    assert "in ISSAB-VR-NACHFINANZIERUNG zusammengeführt" in err


def test_select_an_old_id_selects_the_merged_rule_ignore_is_refused(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    code, out, err = cli(capsys, "check", "--no-config", "--date", "2026-01-01", "-f", "concise",
                         "--fail-on", "major", "--select", "ISSAB-VR-KEIN-DECKEL", D01)
    assert code == 1 and "ISSAB-VR-NACHFINANZIERUNG verletzt" in out and "zusammengeführt" in err
    code, out, err = cli(capsys, "check", "--no-config", "--date", "2026-01-01", "--ignore", "RS-EXKLUSIVITAET", D01)
    assert code == 2 and out == "" and "--ignore DWH-SK-TRAEGERZUGANG" in err


def test_a_waiver_for_an_old_id_waives_nothing_and_says_where_it_went(capsys, tmp_path):
    import yaml

    data = yaml.safe_load((ROOT / D01).read_text(encoding="utf-8"))
    data["waivers"] = [{"rule": "ISSAB-VR-KEIN-DECKEL", "reason": "Altlast", "granted_by": "Leitung"}]
    path = tmp_path / "d01.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    code, out, _err = cli(capsys, "check", "--no-config", "--date", "2026-01-01", "-f", "markdown", "--detail", "full", "--fail-on", "major", str(path))
    assert code == 1  # the merged rule is still verletzt: the old waiver does not silence it
    assert "in ISSAB-VR-NACHFINANZIERUNG zusammengeführt" in out


@pytest.mark.parametrize("case", [D01, "cases/source/issab-3-03-bremen.yaml",
                                  "cases/source/hamburg-2014-eingliederungshilfe-traegerbudget.yaml"])
@pytest.mark.parametrize("fmt", ["markdown", "html"])
def test_short_report_cites_only_the_law_in_force(capsys, monkeypatch, case, fmt):
    """The short report (the default) filtered no citations: an SGB VIII or SGB XII-era report cited SGB IX."""
    monkeypatch.chdir(ROOT)
    _code, out, _err = cli(capsys, "check", "--no-config", "--date", "2026-01-01", "-f", fmt, case)
    assert "Rechtsgrundlage" in out or "Verstöße (0)" in out or "keine Verstöße" in out.lower()
    assert "SGB IX" not in out


def test_short_report_says_the_rule_rests_on_a_criticism(capsys, monkeypatch, tmp_path):
    import yaml

    data = yaml.safe_load((ROOT / D01).read_text(encoding="utf-8"))
    data["clauses"]["choice_of_provider"]["outside_provider_paid_by"] = "leistungsberechtigte"
    path = tmp_path / "d.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    _code, out, _err = cli(capsys, "check", "--no-config", "--date", "2026-01-01", "-f", "markdown", str(path))
    assert "**Beruht auf einer Kritik:**" in out and "gegenstandslos" in out
