"""Every quoted source passage stands verbatim in its source file (whitespace normalised)."""

import re
from pathlib import Path

import pytest

from checker.rules import load_parameters
from tests.conftest import ROOT

SOURCES = ROOT.parent / "shared" / "sources"
pytestmark = pytest.mark.skipif(not SOURCES.is_dir(), reason="../shared/sources is not beside this checkout")


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def source_text(name: str) -> str:
    return normalise((SOURCES / name).read_text(encoding="utf-8", errors="replace"))


def quoted(catalogue):
    for rule in catalogue.rules:
        for source in rule.rule.source:
            yield rule.id, source
    for name, param in load_parameters(ROOT / "rules" / "parameters.yaml").items():
        if param.source:
            yield f"parameter {name}", param.source


def law_wordings():
    """The wording read for each checked citation (rules/legal-basis.yaml), by key."""
    from checker.rules import load_legal_whitelist

    return {k: normalise(e.wording) for k, e in load_legal_whitelist(ROOT / "rules" / "legal-basis.yaml").items()
            if e.wording}


def test_passages_are_verbatim(catalogue):
    texts = {}
    wordings = law_wordings()
    wrong = []
    for owner, source in quoted(catalogue):
        if source.kind == "gesetz":  # a rule resting on the law alone quotes the wording read
            if normalise(source.passage) not in wordings.get(source.key(), ""):
                wrong.append(f"{owner}: {source.key()}: {source.passage[:80]}")
            continue
        text = texts.setdefault(source.file, source_text(source.file))
        if normalise(source.passage) not in text:
            wrong.append(f"{owner}: {source.file} / {source.section}: {source.passage[:80]}")
    assert not wrong, "\n".join(wrong)
