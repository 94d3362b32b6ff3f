"""Every rule's own tests (in its YAML file): the right verdict for the right reason."""

import pytest

from checker.check import evaluate
from checker.model import Agreement
from checker.rules import load_catalogue
from tests.conftest import CHECK_DATE, deep_merge

BASE = {"meta": {"title": "Regeltest"}}
CATALOGUE = load_catalogue()
CASES = [(r.id, t) for r in CATALOGUE.rules for t in r.rule.tests]
TEST_BASE = {r.id: deep_merge(BASE, r.rule.tests_given) for r in CATALOGUE.rules}


@pytest.mark.parametrize("rule_id,test", CASES, ids=[f"{rid}:{t.name}" for rid, t in CASES])
def test_rule(rule_id, test):
    agreement = Agreement.model_validate(deep_merge(TEST_BASE[rule_id], test.given))
    finding = evaluate(agreement, CATALOGUE, check_date=CHECK_DATE).finding(rule_id)
    assert finding.verdict.value == test.expect, (finding.evidence, finding.missing)
    if test.missing is not None:
        assert set(test.missing) <= {m.path for m in finding.missing}
    if test.evidence is not None:
        assert set(test.evidence) <= {e.path for e in finding.evidence}


def test_every_rule_has_three_verdict_tests():
    for rule in CATALOGUE.rules:
        expected = {"erfuellt", "verletzt", "ungeklaert"} - set(rule.rule.impossible or {})
        assert expected <= {t.expect for t in rule.rule.tests}, rule.id
