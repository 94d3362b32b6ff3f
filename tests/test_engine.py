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


# --------------------------------------------------------------------------- one session for many agreements


def _case_agreements():
    from checker.loader import load_agreement

    files = sorted(p for p in (ROOT / "cases").rglob("*.yaml") if not p.name.endswith(".expected.yaml"))
    return [load_agreement(str(p)).agreement for p in files]


def _outcome(outcome) -> tuple:
    """What the verdicts read of a RawOutcome, without the session id."""
    def plain(fact):
        return {k: v for k, v in fact.items() if k != "sid"}

    matches = [(rule_id, [(m.kind, m.action, {alias: plain(f) for alias, f in m.facts.items()}) for m in ms])
               for rule_id, ms in outcome.matches.items()]
    return matches, list(outcome.conclusions.items()), outcome.actions


def _fresh(catalogue, agreement):
    engine = Engine(catalogue)
    try:
        return _outcome(engine.evaluate(agreement))
    finally:
        engine.close()


def test_a_kept_session_gives_what_a_new_session_gives_in_any_order(catalogue):
    """The session is kept from one agreement to the next (its facts retracted in between): every
    case gives the matches (in their order), conclusions and action count of a session of its own,
    whatever was evaluated before it."""
    agreements = _case_agreements()
    expected = [_fresh(catalogue, a) for a in agreements]
    engine = Engine(catalogue)
    order = list(range(len(agreements)))
    for indexes in (order, order[::-1], order[1::2] + order[::2] + order[:3]):
        for i in indexes:
            assert _outcome(engine.evaluate(agreements[i])) == expected[i], i
            assert dre.get_facts(engine.handle, engine._sid) == "[]"  # every fact retracted
    assert engine._sid == "1"  # one session throughout
    engine.close()


def test_session_after_an_error_is_replaced(catalogue, monkeypatch):
    """An error inside an evaluation ends its session; the next agreement gets a new, clean one."""
    agreements = _case_agreements()[:3]
    expected = [_fresh(catalogue, a) for a in agreements]
    engine = Engine(catalogue)
    assert _outcome(engine.evaluate(agreements[0])) == expected[0]
    record = Engine._record

    def boom(self, name, matched, outcome, sid):
        if name.endswith("#na#0"):
            raise KeyError("kaputt")
        record(self, name, matched, outcome, sid)

    monkeypatch.setattr(Engine, "_record", boom)
    with pytest.raises(EvaluationError, match="kaputt"):
        engine.evaluate(agreements[1])
    assert engine._sid is None
    monkeypatch.setattr(Engine, "_record", record)
    assert _outcome(engine.evaluate(agreements[1])) == expected[1]
    assert _outcome(engine.evaluate(agreements[2])) == expected[2]
    assert engine._sid == "2"
    engine.close()


def test_session_with_an_action_left_after_retraction_is_ended(tmp_path, monkeypatch):
    """If anything were left to fire once an agreement's facts are retracted, the session is not
    kept: the action is dropped with the session and the next agreement starts a new one."""
    import checker.engine as engine_module

    cat = make_catalogue(tmp_path, rule("TEST-LEFT", "{path: budget.amount_per_year, gt: 0}\n"))
    engine = Engine(cat)
    real = dre.retract_facts

    class Planting:  # retracts as durable_rules does, then plants a fact a rule fires on
        def __getattr__(self, name):
            return getattr(dre, name)

        @staticmethod
        def retract_facts(handle, text):
            result = real(handle, text)
            if '"id": 0}' in text:
                dre.assert_fact(handle, json.dumps({"fk": "agreement", "budget__amount_per_year": 7, "sid": "1"}))
            return result

    monkeypatch.setattr(engine_module, "dre", Planting())
    outcome = engine.evaluate(agreement(budget={"amount_per_year": 5}))
    assert [m.kind for m in outcome.matches["TEST-LEFT"]] == ["holds"]
    assert engine._sid is None
    monkeypatch.setattr(engine_module, "dre", dre)
    second = engine.evaluate(agreement(budget={"amount_per_year": 0}))
    assert [m.kind for m in second.matches["TEST-LEFT"]] == ["violated"] and engine._sid == "2"
    engine.close()


def test_action_messages_decoded_without_parsing_are_what_json_reads(catalogue):
    """The facts of an action are taken from what was asserted (one agreement, one clause per name,
    one trigger per group, one conclusion per name) and only list items are cut out of the message:
    on every case, each decoded message equals json.loads of the message."""
    seen = {"messages": 0, "items": 0}

    class Checking(Engine):
        def _decoder(self, *args):
            fast = super()._decoder(*args)

            def decode(message):
                got = fast(message)
                assert got == json.loads(message)
                seen["messages"] += 1
                seen["items"] += '"fk": "item"' in message
                return got

            return decode

    engine = Checking(catalogue)
    engine._unread = frozenset()  # decode every action
    for a in _case_agreements():
        engine.evaluate(a)
    engine.close()
    assert seen["messages"] > 1000 and seen["items"] > 100


def test_numbers_written_for_durable_rules_decode_as_before(tmp_path):
    """A fact with a number durable_rules would misread (1e-05) is sent in its engine form; its
    messages are then decoded as a whole, and the verdict is unchanged."""
    from checker.engine import engine_json, facts_json

    facts = [{"fk": "agreement", "x": 0.00001, "y": 2 ** 70}, {"fk": "clause", "fn": "a", "z": 1.5}]
    assert facts_json(facts) == (engine_json(facts), False)
    assert facts_json(facts[1:]) == (json.dumps(facts[1:]), True)
    cat = make_catalogue(tmp_path, rule("TEST-SMALL", "{path: budget.amount_per_year, gt: 0}\n"))
    engine = Engine(cat)
    outcome = engine.evaluate(agreement(budget={"amount_per_year": 0.00001}))
    assert [m.kind for m in outcome.matches["TEST-SMALL"]] == ["holds"]
    engine.close()


def test_facts_with_keep_are_the_whole_facts_filtered(catalogue):
    from checker.engine import fact_keys
    from checker.facts import build_facts

    keep = fact_keys(catalogue)
    for a in _case_agreements():
        whole = build_facts(a)
        assert build_facts(a, keep) == [{k: v for k, v in f.items() if k in keep} for f in whole]
        assert [list(f) for f in build_facts(a, keep)] == [[k for k in f if k in keep] for f in whole]


def test_evaluation_while_the_kept_session_is_busy_gets_its_own(catalogue):
    """Another thread evaluating meanwhile must not share the kept session: it gets a session of
    its own (as every evaluation had before), ended afterwards, with the same outcome."""
    agreements = _case_agreements()[:2]
    expected = [_fresh(catalogue, a) for a in agreements]
    engine = Engine(catalogue)
    engine.evaluate(agreements[0])
    assert engine._busy.acquire(blocking=False)  # as if another evaluation were running
    try:
        assert _outcome(engine.evaluate(agreements[1])) == expected[1]
        assert _outcome(engine.evaluate(agreements[0])) == expected[0]
    finally:
        engine._busy.release()
    assert engine._sid == "1"
    assert _outcome(engine.evaluate(agreements[1])) == expected[1]
    engine.close()


def test_session_with_a_fact_left_after_retraction_is_ended(tmp_path, monkeypatch):
    """If a retraction left a fact behind, the session is not kept (the next agreement's facts
    must not meet it): it is ended and the next agreement starts a new one."""
    import checker.engine as engine_module

    cat = make_catalogue(tmp_path, rule("TEST-LEFT", "{path: budget.amount_per_year, gt: 0}\n"))
    engine = Engine(cat)

    class Forgetting:  # retracts everything but the agreement fact (id 0)
        def __getattr__(self, name):
            return getattr(dre, name)

        @staticmethod
        def retract_facts(handle, text):
            return dre.retract_facts(handle, json.dumps([f for f in json.loads(text) if f["id"] != 0]))

    monkeypatch.setattr(engine_module, "dre", Forgetting())
    engine.evaluate(agreement(budget={"amount_per_year": 5}))
    assert engine._sid is None
    monkeypatch.setattr(engine_module, "dre", dre)
    second = engine.evaluate(agreement(budget={"amount_per_year": 0}))
    assert [m.kind for m in second.matches["TEST-LEFT"]] == ["violated"] and engine._sid == "2"
    engine.close()
