"""The durable_rules traps, each shown handled (see ../shared/notes/durable-rules.md)."""

import json
import textwrap
import time

import durable_rules_engine as dre
import pytest

from checker.check import evaluate
from checker.engine import Engine, EvaluationError, EvaluationTimeout, check_safe, drain
from checker.model import Agreement
from checker.rules import RuleFileError, load_catalogue
from tests.conftest import CHECK_DATE, ROOT

RULE_HEAD = """\
  - id: {id}
    title: {{de: Test, en: Test}}
    group: konsistenz
    severity: major
    source:
      - file: 000_cfe332d5febb39fc.txt
        section: Test
        passage: "Die Schiedsstellenfähigkeit muss auch bei Budgetvereinbarungen erhalten bleiben."
    rationale: {{de: Test, en: Test}}
    recommendation: {{de: Test, en: Test}}
"""


def make_catalogue(tmp_path, *rules: str):
    """A catalogue from rule snippets (each: id line values + require block), tests not required."""
    (tmp_path / "parameters.yaml").write_text((ROOT / "rules" / "parameters.yaml").read_text())
    body = "rules:\n" + "".join(rules)
    (tmp_path / "test.yaml").write_text(body)
    return load_catalogue(tmp_path, check_tests=False)


def rule(rule_id: str, require: str) -> str:
    return RULE_HEAD.format(id=rule_id) + "    require:\n" + textwrap.indent(textwrap.dedent(require), "      ")


def agreement(**data) -> Agreement:
    data.setdefault("meta", {"title": "Test"})
    return Agreement.model_validate(data)


# --------------------------------------------------------------------------- load-time refusals


def test_negation_only_ruleset_is_refused():
    ruleset = {"r": {"all": [{"m$not": {"x": 1}}]}}
    with pytest.raises(ValueError, match="nur aus Negationen"):
        check_safe(ruleset)


def test_engine_fields_and_subtraction_are_refused():
    with pytest.raises(ValueError, match="Engine"):
        check_safe({"r": {"all": [{"m": {"$gt": {"id": 0}}}]}})
    with pytest.raises(ValueError, match=r"\$sub"):
        check_safe({"r": {"all": [{"m": {"$gt": {"x": {"$sub": {"$l": 1, "$r": 2}}}}}]}})
    with pytest.raises(ValueError, match="negative"):
        check_safe({"r": {"all": [{"m": {"$gt": {"x": {"$add": {"$l": {"a": "y"}, "$r": -1}}}}}]}})


def test_reference_inside_negation_is_refused():
    with pytest.raises(ValueError, match="Negation"):
        check_safe({"r": {"all": [{"a": {"fk": "agreement"}}, {"q$not": {"$gt": {"v": {"a": "y"}}}}]}})


def test_rule_file_with_unsafe_condition_names_file_rule_and_reason(tmp_path):
    bad = rule("TEST-SUB", """\
        {path: budget.amount_per_year, gt: {sub: [{ref: budget.previous_year_actual_costs}, 1]}}
    """)
    with pytest.raises(RuleFileError) as err:
        make_catalogue(tmp_path, bad)
    assert "test.yaml" in str(err.value) and "TEST-SUB" in str(err.value) and "sub" in str(err.value)


def test_outer_reference_inside_every_is_refused_at_load(tmp_path):
    bad = rule("TEST-EVERY", """\
        every:
          collection: budget.teilbudgets
          where: {path: amount, lte: {ref: budget.amount_per_year}}
    """)
    with pytest.raises(RuleFileError, match="TEST-EVERY.*Absturz"):
        make_catalogue(tmp_path, bad)


def test_unknown_path_is_refused_with_suggestion(tmp_path):
    bad = rule("TEST-PATH", "{path: budget.amount_per_yaer, gt: 0}\n")
    with pytest.raises(RuleFileError, match="meinten Sie 'budget.amount_per_year'"):
        make_catalogue(tmp_path, bad)


def test_not_stated_status_cannot_be_tested(tmp_path):
    bad = rule("TEST-NG", "{path: clauses.schiedsstelle.status, eq: nicht_geregelt}\n")
    with pytest.raises(RuleFileError, match="nicht_geregelt"):
        make_catalogue(tmp_path, bad)


def test_unknown_status_cannot_be_tested(tmp_path):
    bad = rule("TEST-UK", "{path: clauses.schiedsstelle.status, eq: unbekannt}\n")
    with pytest.raises(RuleFileError, match="'unbekannt' heißt 'nicht bekannt'"):
        make_catalogue(tmp_path, bad)


def test_rule_without_tests_is_refused(tmp_path):
    (tmp_path / "t.yaml").write_text("rules:\n" + rule("TEST-NOTESTS", "{path: budget.amount_per_year, gt: 0}\n"))
    with pytest.raises(RuleFileError, match="Tests fehlen"):
        load_catalogue(tmp_path)


# --------------------------------------------------------------------------- evaluation traps


def test_missing_clause_rule_does_not_fire_when_item_comes_later(tmp_path):
    """Negation fires early in durable_rules; the trigger fact keeps it from doing so."""
    cat = make_catalogue(tmp_path, rule("TEST-NONE", """\
        none:
          collection: budget.earmarks
          where: {path: purpose, eq: vernetzung}
    """))
    earmarks = [{"purpose": "ehrenamt"}] * 5 + [{"purpose": "vernetzung"}]
    result = evaluate(agreement(budget={"earmarks": earmarks}), cat, check_date=CHECK_DATE)
    assert result.finding("TEST-NONE").verdict.value == "verletzt"
    result = evaluate(agreement(budget={"earmarks": earmarks[:5]}), cat, check_date=CHECK_DATE)
    assert result.finding("TEST-NONE").verdict.value == "erfuellt"
    result = evaluate(agreement(), cat, check_date=CHECK_DATE)
    assert result.finding("TEST-NONE").verdict.value == "ungeklaert"


def test_same_fact_comparison_is_not_always_true(tmp_path):
    """A self-reference {alias: key} always matches in durable_rules; we compile to $m."""
    cat = make_catalogue(tmp_path, rule("TEST-SELF", """\
        {path: meta.period.end, gte: {ref: meta.period.start}}
    """))
    ok = agreement(meta={"title": "x", "period": {"start": "2025-01-01", "end": "2026-12-31"}})
    bad = agreement(meta={"title": "x", "period": {"start": "2025-01-01", "end": "2024-12-31"}})
    assert evaluate(ok, cat, check_date=CHECK_DATE).finding("TEST-SELF").verdict.value == "erfuellt"
    assert evaluate(bad, cat, check_date=CHECK_DATE).finding("TEST-SELF").verdict.value == "verletzt"


def test_two_some_over_one_list_are_refused_at_load(tmp_path):
    """Two `some` in one conjunction join the list with itself in the engine: matches (and time)
    grow with the square of the list (issue 15, point 4). Such a rule is refused at load with
    file, rule and reason; the rule author states one of them as a derived value instead."""
    from checker.rules import RuleFileError

    with pytest.raises(RuleFileError, match="quadratisch") as refused:
        make_catalogue(tmp_path, rule("TEST-TWO", """\
        all:
          - some: {collection: parties.takers, where: {path: kind, eq: frei_gemeinnuetzig}}
          - some: {collection: parties.takers, where: {path: role, eq: schwerpunkttraeger}}
    """))
    assert refused.value.rule == "TEST-TWO" and refused.value.file.endswith(".yaml")


def test_exception_in_action_surfaces(tmp_path, monkeypatch):
    cat = make_catalogue(tmp_path, rule("TEST-ERR", "{path: budget.amount_per_year, gt: 0}\n"))
    engine = Engine(cat)

    def boom(self, name, matched, outcome, sid):
        if not name.startswith("__"):
            raise KeyError("kaputt")

    monkeypatch.setattr(Engine, "_record", boom)
    with pytest.raises(EvaluationError, match="TEST-ERR.*kaputt"):
        engine.evaluate(agreement(budget={"amount_per_year": 5}))


def test_runaway_rule_ends_with_timeout_instead_of_hanging():
    """A rule whose action keeps producing facts it matches again is stopped by the bound."""
    handle = dre.create_ruleset("runaway_test", json.dumps({"r": {"all": [{"m": {"fk": "x"}}]}}))
    state = dre.assert_fact(handle, json.dumps({"sid": "1", "fk": "x", "n": 0}))[1]
    counter = iter(range(1, 10**9))

    def refire(name, matched):
        dre.assert_fact(handle, json.dumps({"sid": "1", "fk": "x", "n": next(counter)}))

    started = time.monotonic()
    with pytest.raises(EvaluationTimeout, match="abgebrochen"):
        drain(handle, state, refire, time.monotonic() + 0.3, 10**9, [])
    assert time.monotonic() - started < 5
    with pytest.raises(EvaluationTimeout, match="nach 50 Aktionen"):
        drain(handle, state, refire, time.monotonic() + 60, 50, [])


def test_many_sessions_without_any_firing_rule(tmp_path):
    """delete_state crashed when no action had run in a session; each session ends cleanly."""
    cat = make_catalogue(tmp_path, rule("TEST-QUIET", "{path: budget.amount_per_year, gt: 0}\n"))
    engine = Engine(cat)
    for _ in range(300):
        engine.evaluate(agreement())


def test_same_agreement_same_verdicts(catalogue):
    data = agreement(budget={"amount_per_year": 100, "teilbudgets": [{"amount": 60}, {"amount": 40}]})
    first = evaluate(data, catalogue, check_date=CHECK_DATE)
    second = evaluate(data, catalogue, check_date=CHECK_DATE)
    assert [(f.id, f.verdict) for f in first.findings] == [(f.id, f.verdict) for f in second.findings]


# --------------------------------------------------------------------------- found by rule authors


def test_arithmetic_over_constants_is_folded(tmp_path):
    """durable_rules never evaluates {"$mul": {"$l": 100, "$r": 2}}; the compiler folds it."""
    cat = make_catalogue(tmp_path, rule("TEST-FOLD", """\
        every:
          collection: budget.teilbudgets
          where: {path: amount, lte: {mul: [1000, 2]}}
    """))
    big = agreement(budget={"teilbudgets": [{"amount": 5000}]})
    small = agreement(budget={"teilbudgets": [{"amount": 1500}]})
    assert evaluate(big, cat, check_date=CHECK_DATE).finding("TEST-FOLD").verdict.value == "verletzt"
    assert evaluate(small, cat, check_date=CHECK_DATE).finding("TEST-FOLD").verdict.value == "erfuellt"


def test_enum_comparison_inside_every_is_not_taken_for_a_reference(tmp_path):
    cat = make_catalogue(tmp_path, rule("TEST-ENUM", """\
        every:
          collection: parties.takers
          where: {path: kind, eq: frei_gemeinnuetzig}
    """))
    verdict = lambda kinds: evaluate(agreement(parties={"takers": [{"kind": k} if k else {} for k in kinds]}),
                                     cat, check_date=CHECK_DATE).finding("TEST-ENUM").verdict.value
    assert verdict(["frei_gemeinnuetzig", "frei_gemeinnuetzig"]) == "erfuellt"
    assert verdict(["frei_gemeinnuetzig", "privat_gewerblich"]) == "verletzt"
    assert verdict(["frei_gemeinnuetzig", None]) == "ungeklaert"


def test_division_by_a_stated_value_is_refused(tmp_path):
    bad = rule("TEST-DIV", "{path: budget.amount_per_year, gt: {div: [100, {ref: budget.previous_year_actual_costs}]}}\n")
    with pytest.raises(RuleFileError, match="Konstante"):
        make_catalogue(tmp_path, bad)


def test_derived_item_value_is_explained_by_its_inputs(tmp_path):
    cat = make_catalogue(tmp_path, rule("TEST-SHARE", """\
        every:
          collection: budget.earmarks
          where: {path: share_of_total_percent, lte: {ref: share_percent}}
    """))
    open_item = agreement(budget={"amount_per_year": 1000, "earmarks": [{"share_percent": 5}]})
    finding = evaluate(open_item, cat, check_date=CHECK_DATE).finding("TEST-SHARE")
    assert finding.verdict.value == "ungeklaert"
    assert "budget.earmarks[0].amount" in {m.path for m in finding.missing}
    assert not any("share_of_total_percent" in m.path for m in finding.missing)


def test_pattern_shared_by_too_many_rules_is_refused():
    """durable_rules links one alpha node to at most 256 rules; we say so before it fails with 108."""
    ruleset = {f"r{i}": {"all": [{"t": {"fk": "trigger"}}]} for i in range(260)}
    with pytest.raises(ValueError, match="256"):
        check_safe(ruleset)


def test_large_catalogue_spreads_rules_over_trigger_groups(catalogue):
    from collections import Counter

    triggers = Counter(json.dumps(p["t"], sort_keys=True) for body in catalogue.ruleset.values()
                       for p in body["all"] if "t" in p)
    assert len(triggers) == catalogue.trigger_groups
    assert max(triggers.values()) <= 200


def test_item_bound_by_some_is_still_checked_by_every(tmp_path):
    """durable_rules hides a bound fact from the rule's $not patterns; the compiler compensates.
    (The applicability "some service is SAJF/SHA" is the derived value: as a `some` it would join
    the services with themselves, a shape check_safe refuses -- issue 15, point 4.)"""
    text = rule("TEST-SOME-EVERY", """\
        every:
          collection: services
          where: {any: [{path: category, ne: sajf_sha}, {path: actual_costs_covered, eq: true}]}
    """).replace("    source:", "    applies_to:\n      when: {path: derived.services_sajf_sha, eq: true}\n    source:", 1)
    cat = make_catalogue(tmp_path, text)
    verdict = lambda services: evaluate(agreement(services=services), cat,
                                        check_date=CHECK_DATE).finding("TEST-SOME-EVERY").verdict.value
    assert verdict([{"category": "sajf_sha", "actual_costs_covered": False}]) == "verletzt"
    assert verdict([{"category": "sajf_sha", "actual_costs_covered": True}]) == "erfuellt"
    assert verdict([{"category": "sajf_sha"}]) == "ungeklaert"
    assert verdict([{"category": "sajf_sha", "actual_costs_covered": True},
                    {"category": "sajf_sha", "actual_costs_covered": False}]) == "verletzt"
    assert verdict([{"category": "hilfen_zur_erziehung"}]) == "nicht_anwendbar"


# --------------------------------------------------------------------------- rules resting on the law alone

LAW_RULE = """\
rules:
  - id: TEST-GESETZ
    title: {{de: Test, en: Test}}
    group: vertragsgestaltung
    severity: major
    source:
      - kind: gesetz
        law: SGB X
        ref: "{ref}"
        section: Test
        passage: "{passage}"
    rationale: {{de: Test, en: Test}}
    recommendation: {{de: Test, en: Test}}
    require:
      all:
        - {{path: clauses.schiedsstelle.status, eq: vereinbart}}
"""
LAW_WHITELIST = """\
paragraphs:
  - {law: SGB X, ref: "§ 55 Abs. 1", read: "test wording, read 2026-12-07", wording: "Die Gegenleistung muss den gesamten Umständen nach angemessen sein."}
  - {law: SGB X, ref: "§ 59 Abs. 1"}
"""


def law_catalogue(tmp_path, ref: str, passage: str):
    (tmp_path / "parameters.yaml").write_text((ROOT / "rules" / "parameters.yaml").read_text())
    (tmp_path / "legal-basis.yaml").write_text(LAW_WHITELIST)
    (tmp_path / "test.yaml").write_text(LAW_RULE.format(ref=ref, passage=passage))
    return load_catalogue(tmp_path, check_tests=False)


def test_law_source_quoting_the_wording_read_is_accepted(tmp_path):
    cat = law_catalogue(tmp_path, "§ 55 Abs. 1", "Die Gegenleistung muss den gesamten   Umständen nach angemessen sein.")
    source = cat.by_id["TEST-GESETZ"].rule.source[0]
    assert (source.kind, source.law, source.file) == ("gesetz", "SGB X", None)


def test_law_source_not_in_the_wording_read_is_refused(tmp_path):
    with pytest.raises(RuleFileError, match="TEST-GESETZ.*nicht wörtlich"):
        law_catalogue(tmp_path, "§ 55 Abs. 1", "Die Gegenleistung muss stets angemessen sein.")


def test_law_source_without_wording_or_entry_is_refused(tmp_path):
    with pytest.raises(RuleFileError, match="TEST-GESETZ.*wording"):
        law_catalogue(tmp_path, "§ 59 Abs. 1", "Anpassung eines öffentlich-rechtlichen Vertrags")
    with pytest.raises(RuleFileError, match="TEST-GESETZ.*wording"):
        law_catalogue(tmp_path, "§ 56", "Ein öffentlich-rechtlicher Vertrag ist schriftlich zu schließen")


def test_source_needs_file_or_law_and_ref(tmp_path):
    (tmp_path / "parameters.yaml").write_text((ROOT / "rules" / "parameters.yaml").read_text())
    bad = LAW_RULE.format(ref="§ 55 Abs. 1", passage="Die Gegenleistung muss angemessen sein.").replace(
        "      - kind: gesetz\n", "      - kind: gesetz\n        file: 000_cfe332d5febb39fc.txt\n")
    (tmp_path / "test.yaml").write_text(bad)
    with pytest.raises(RuleFileError, match="TEST-GESETZ.*kind: gesetz"):
        load_catalogue(tmp_path, check_tests=False)


@pytest.mark.parametrize("text", ["", "1e-05", "x1E5", "1.5e+16", "e1", "12345678901234567890", "123456789012345678",
                                  '{"a": 1, "b": "5e"}', "9" * 18 + "x" + "9", "0" * 19, "a" * 40])
def test_number_scan_finds_what_the_two_alternatives_find(text):
    import re

    from checker.engine import _SUSPECT

    assert (_SUSPECT.search(text) is None) == (re.search(r"[0-9][eE]|[0-9]{19}", text) is None)
