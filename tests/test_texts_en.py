"""English reports name fields in English (issue 10): every description of the model has an English
text, and the questions and evidence of an English report carry no German field description."""

from __future__ import annotations

import datetime as dt
import typing
from pathlib import Path

from pydantic import BaseModel

from checker.check import check_file
from checker.model import Agreement
from checker.report import describe_path
from checker.texts_en import DESCRIPTION_EN

ROOT = Path(__file__).resolve().parent.parent


def _descriptions(model: type[BaseModel], seen: set) -> set[str]:
    out = set()
    if model in seen:
        return out
    seen.add(model)
    for info in model.model_fields.values():
        if info.description:
            out.add(info.description)
        stack = [info.annotation]
        while stack:
            annotation = stack.pop()
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                out |= _descriptions(annotation, seen)
            stack.extend(typing.get_args(annotation))
    return out


def test_every_model_description_has_an_english_text():
    missing = sorted(_descriptions(Agreement, set()) - set(DESCRIPTION_EN))
    assert not missing, f"add English texts to checker/texts_en.py for: {missing}"


def test_english_questions_use_english_texts(catalogue):
    german = {d for d in DESCRIPTION_EN if DESCRIPTION_EN[d] != d}
    for path in sorted((ROOT / "cases/source").glob("issab-*.yaml")):
        if path.name.endswith(".expected.yaml"):
            continue
        result = check_file(str(path), catalogue, check_date=dt.date(2026, 1, 1))
        for q in result.questions:
            for d in german:
                if len(d) > 12:  # short words (Budget, Zweck) are the same in both or part of English ones
                    assert d not in q.text_en, (path.name, q.key, d)
            assert not any(w in q.text_en for w in ("Was regelt", "Offen:", "Dazu:", "vereinbart", "Bitte")), q.text_en


def test_evidence_is_described_in_english():
    assert describe_path("clauses.overspending.mode", "en") == "Additional funding: as of right, at discretion, none"
    assert describe_path("clauses.overspending.status", "en") == (
        "Overspending of the budget (additional funding): provision (agreed / excluded / absent)")
    assert describe_path("budget.teilbudgets[1].amount", "en") == "Partial budgets no. 2: Amount per year in EUR"
    assert describe_path("budget.teilbudgets[1].amount", "de") == "Teilbudgets Nr. 2: Betrag pro Jahr in EUR"
