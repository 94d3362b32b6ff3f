"""The rule catalogue: rule files, their validation, and their compilation.

A rule file (``rules/*.yaml``) holds ``rules:``, a list of rules. Each rule is
data: id, titles, group, severity, where it applies, the verbatim source
passage, legal basis, rationale, recommendation, its condition (``require``),
optionally the name of an intermediate finding it concludes, and its tests.
Numbers from the sources live in ``rules/parameters.yaml``; legal citations
must appear in ``rules/legal-basis.yaml``.

A malformed rule, or one whose condition the engine cannot run safely, is
refused with file, rule id and reason (:class:`RuleFileError`).
"""

# (no ``from __future__ import annotations``: pydantic would turn every annotation of the model
# classes here back from a string into a type at import, with compile and eval; cold start)

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from checker.cachefiles import cache_dir, cache_write_bytes, private_dir as _private_dir, prune
from checker.conditions import (
    Compiler,
    ConditionError,
    Junction,
    Lit,
    TRIGGER_FANOUT,
    Parser,
    merge_conjunct,
    needs_trigger,
    to_durable,
)
from checker.facts import Registry, registry
from checker.paths import rules_dir
from checker.model import BudgetForm, FieldOfWork, Land

RULES_DIR = rules_dir()
SOURCE_FILES = ("000_cfe332d5febb39fc.txt", "001_dde54a99f7067d07.txt")

class Severity(str, Enum):
    blocker = "blocker"
    major = "major"
    minor = "minor"
    hinweis = "hinweis"


SEVERITY_ORDER = {Severity.hinweis: 0, Severity.minor: 1, Severity.major: 2, Severity.blocker: 3}


class Group(str, Enum):
    strukturelles_pruefkriterium = "strukturelles_pruefkriterium"
    qualitaetsstandard = "qualitaetsstandard"
    eckpunkt_jugendhilfe = "eckpunkt_jugendhilfe"
    vertragsgestaltung = "vertragsgestaltung"
    voraussetzung = "voraussetzung"
    konsistenz = "konsistenz"


class Verdict(str, Enum):
    erfuellt = "erfuellt"
    verletzt = "verletzt"
    ungeklaert = "ungeklaert"
    nicht_anwendbar = "nicht_anwendbar"
    ausgenommen = "ausgenommen"


class _Base(BaseModel):
    # schemas are built on first validation: with a cached catalogue, rule files are never validated
    model_config = ConfigDict(extra="forbid", defer_build=True)


class Text(_Base):
    de: Annotated[str, Field(min_length=1)]
    en: Annotated[str, Field(min_length=1)]


LAWS = ("SGB VIII", "SGB IX", "SGB XII", "SGB XII a. F.", "SGB X", "GWB", "GG")


class Source(_Base):
    """A passage a rule rests on: from one of the two source documents (``file``), or, where
    neither source names a statutory duty, the verbatim law text (``kind: gesetz`` with ``law`` and
    ``ref``; the passage must stand in the ``wording`` read for that entry of rules/legal-basis.yaml)."""

    kind: Literal["quelle", "gesetz"] = "quelle"
    file: Optional[Literal["000_cfe332d5febb39fc.txt", "001_dde54a99f7067d07.txt"]] = None
    law: Optional[Literal[LAWS]] = None  # type: ignore[valid-type]
    ref: Optional[str] = None
    section: Annotated[str, Field(min_length=1)]
    bullet: Optional[int | str] = None
    passage: Annotated[str, Field(min_length=10)]

    @model_validator(mode="after")
    def _one_origin(self) -> "Source":
        if self.kind == "quelle" and (self.file is None or self.law is not None or self.ref is not None):
            raise ValueError("eine Quelle (kind: quelle) braucht file und weder law noch ref")
        if self.kind == "gesetz" and (self.file is not None or self.law is None or not self.ref):
            raise ValueError("ein Gesetzestext (kind: gesetz) braucht law und ref und kein file")
        return self

    def key(self) -> str:
        """For kind gesetz: the key of its entry in rules/legal-basis.yaml."""
        return f"{self.ref} {self.law}"


class LegalRef(_Base):
    """A paragraph (law + ref) or a court decision (court + date + docket).

    ``fields``/``valid_from``/``valid_until`` say for which fields of work and which dates the
    citation holds (see checker.regime); when a rule leaves them out they come from the entry in
    rules/legal-basis.yaml, else from the law. For decisions, ``proceeding`` (Hauptsache,
    Eilverfahren ...) and ``verified`` (read in the primary text or known from a summary) come
    from rules/legal-basis.yaml.
    """

    law: Optional[Literal[LAWS]] = None  # type: ignore[valid-type]
    ref: Optional[str] = None
    decision: Optional[str] = None
    note: Optional[str] = None
    fields: Optional[list[FieldOfWork]] = None
    valid_from: Optional[dt.date] = None
    valid_until: Optional[dt.date] = None
    proceeding: Optional[str] = None
    verified: Optional[bool] = None

    def key(self) -> str:
        return self.decision if self.decision else f"{self.ref} {self.law}"


# Services with an individual legal claim (HzE, § 35a, § 41 SGB VIII, Eingliederungshilfe): the sozialrechtliche
# Dreiecksverhältnis. The rules apply unless the listed services show that there is none (pure infrastructure,
# e.g. § 11 SGB VIII); "individuell_gewaehrt" also leaves out budgets whose only individual aids are open to
# direct use without a prior decision of the youth office (§ 36a Abs. 2 SGB VIII, category erziehungsberatung).
_CLAIM_SCOPES = {
    "individuell": {"path": "derived.infrastructure_only", "eq": False},
    "individuell_gewaehrt": {"path": "derived.no_granted_aid", "eq": False},
}


class AppliesTo(_Base):
    fields: Optional[list[FieldOfWork]] = None
    # individuell: the budget includes a service with an individual legal claim; individuell_gewaehrt: one that is
    # granted by a decision of the public body (not only aids of direct access under § 36a Abs. 2 SGB VIII)
    claims: Optional[Literal["individuell", "individuell_gewaehrt"]] = None
    lands: Optional[list[Land]] = None  # e.g. Hamburg-specific Eckpunkte
    budget_forms: Optional[list[BudgetForm]] = None
    valid_from: Optional[dt.date] = None
    valid_until: Optional[dt.date] = None
    when: Optional[dict[str, Any]] = None


class RuleTest(_Base):
    name: Annotated[str, Field(min_length=1)]
    given: dict[str, Any] = Field(default_factory=dict)
    expect: Literal["erfuellt", "verletzt", "ungeklaert", "nicht_anwendbar"]
    missing: Optional[list[str]] = None  # for ungeklaert: paths that must be listed as open
    evidence: Optional[list[str]] = None  # paths the evidence must name


class RuleVariant(_Base):
    """Wording of a rule for one legal regime (field of work and dates, see checker.regime).

    The report uses the first variant whose scope the agreement certainly falls in (field stated
    and matching, dates known and overlapping); otherwise the rule's own wording, which names
    every regime. Put the later regime first: a term across the change ends under it.
    """

    fields: Optional[list[FieldOfWork]] = None
    valid_from: Optional[dt.date] = None
    valid_until: Optional[dt.date] = None
    rationale: Optional[Text] = None
    recommendation: Optional[Text] = None
    question: Optional[Text] = None

    @model_validator(mode="after")
    def _scoped(self) -> "RuleVariant":
        if not (self.fields or self.valid_from or self.valid_until):
            raise ValueError("eine Variante braucht fields, valid_from oder valid_until")
        if not (self.rationale or self.recommendation or self.question):
            raise ValueError("eine Variante braucht rationale, recommendation oder question")
        return self


class Escalation(_Base):
    """A violation that is graver when a stated fact holds: the finding takes ``severity`` then."""

    severity: Severity
    when: dict[str, Any]  # {path: P, eq: V} or {path: P, in: [V, ...]} on a stated value of the agreement

    @model_validator(mode="after")
    def _simple(self) -> "Escalation":
        keys = set(self.when)
        if "path" not in keys or len(keys - {"path"}) != 1 or not keys & {"eq", "in"}:
            raise ValueError("escalate.when braucht path und eq oder in")
        return self

    def holds(self, value: Any) -> bool:
        value = getattr(value, "value", value)
        return value == self.when["eq"] if "eq" in self.when else value in self.when["in"]


class Rule(_Base):
    id: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$", max_length=40)]
    title: Text
    group: Group
    severity: Severity
    applies_to: Optional[AppliesTo] = None
    source: Annotated[list[Source], Field(min_length=1)]
    legal_basis: list[LegalRef] = Field(default_factory=list)
    rationale: Text
    recommendation: Text
    question: Optional[Text] = None
    variants: list[RuleVariant] = Field(default_factory=list)  # wording per legal regime
    criticism: Optional[Text] = None  # the rule rests on a criticism the source reports: say so, and the answer
    escalate: Optional[Escalation] = None  # a violation on this stated fact has a higher severity
    require: dict[str, Any]
    conclude: Optional[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]] = None
    tests: list[RuleTest] = Field(default_factory=list)
    tests_given: dict[str, Any] = Field(default_factory=dict)  # merged under every test's `given`
    impossible: Optional[dict[Literal["erfuellt", "verletzt", "ungeklaert"], str]] = None


class RuleFile(_Base):
    origin: Optional[str] = None
    rules: Annotated[list[Rule], Field(min_length=1)]


class Parameter(_Base):
    """A number used by rules: from a source (with its passage) or a stated technical choice."""

    value: Annotated[float, Field(ge=0)]
    unit: Literal["percent", "years", "months", "eur", "factor"]
    description: str
    source: Optional[Source] = None
    note: Optional[str] = None  # why, for numbers that are not from the sources

    @model_validator(mode="after")
    def _sourced(self) -> "Parameter":
        if self.source is None and not self.note:
            raise ValueError("a parameter needs its source (or, for a technical choice, a note)")
        return self


class ParameterFile(_Base):
    parameters: dict[str, Parameter]


class RuleFileError(Exception):
    """A rule file that is refused: names file, rule and reason."""

    def __init__(self, file: str, rule: Optional[str], reason: str):
        self.file, self.rule, self.reason = file, rule, reason
        where = f"{file}: {rule}" if rule else file
        super().__init__(f"{where}: {reason}")


# --------------------------------------------------------------------------- compiled rules


@dataclass
class CompiledRule:
    rule: Rule
    file: str
    order: int
    applies_true: list[list[Lit]]
    applies_false: list[list[Lit]]
    holds: list[list[Lit]]  # applicability AND condition true
    violated: list[list[Lit]]
    paths: tuple[str, ...]  # every path the rule reads, for "what would decide it"
    uses_conclusions: tuple[str, ...]
    appl_paths: tuple[str, ...] = ()  # the paths its applicability (applies_to) reads

    @property
    def id(self) -> str:
        return self.rule.id


@dataclass
class Catalogue:
    rules: list[CompiledRule]
    parameters: dict[str, Parameter]
    digest: str  # sha256 over all rule and parameter files
    files: list[str]
    version: str = "unversioniert"  # rules/VERSION
    trigger_groups: int = 1  # number of trigger facts (see conditions.TRIGGER_FANOUT)
    ruleset: dict = field(default_factory=dict)  # durable_rules JSON: {name: {"all": [...]}}
    actions: dict[str, tuple[str, str, list[Lit]]] = field(default_factory=dict)  # name -> (rule id, kind, lits)
    checked_ruleset: str = ""  # JSON of ``ruleset`` as it passed engine.check_safe (the engine skips a re-check)
    fact_keys: frozenset = frozenset()  # engine.fact_keys of this catalogue, computed once
    memo: dict = field(default_factory=dict, repr=False, compare=False)  # per process: plans derived by readers
    # rules/questions.yaml: (key, facts, question de, question en) of the facts asked together
    question_groups: tuple = ()

    def __getstate__(self) -> dict:
        """Pickled without ``memo``: what readers derived in this process (the workbench's interview
        plan, ...) is no part of a catalogue and holds classes the cache reader refuses."""
        state = dict(self.__dict__)
        state["memo"] = {}
        return state

    @cached_property
    def by_id(self) -> dict[str, CompiledRule]:
        return {r.id: r for r in self.rules}

    @cached_property
    def concluded_by(self) -> dict[str, str]:
        return {r.rule.conclude: r.id for r in self.rules if r.rule.conclude}


MAX_RULE_FILE_BYTES = 5 * 1024 * 1024


def _bytes(path: Path) -> bytes:
    """A rule-directory file's bytes: only a regular file of bounded size, read without blocking."""
    from checker.safeio import read_regular

    try:
        return read_regular(path, MAX_RULE_FILE_BYTES)
    except OSError as exc:
        raise RuleFileError(str(path), None, f"kann nicht gelesen werden: {exc.strerror or exc}") from None


def _text(path: Path) -> str:
    try:
        return _bytes(path).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RuleFileError(str(path), None, f"kein gültiges UTF-8: {exc}") from None


def _yaml(path: Path) -> Any:
    import yaml  # only here: a catalogue from the cache needs no YAML

    # the C loader is much faster; rule files are trusted less than code but are plain data
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(_text(path), Loader=loader)
    except yaml.YAMLError as exc:
        raise RuleFileError(str(path), None, f"kein gültiges YAML: {exc}") from None


def _pydantic_reason(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(x) for x in err["loc"])
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)


class QuestionGroup(_Base):
    """Facts one provision of a contract regulates, asked as one question (rules/questions.yaml)."""

    key: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    facts: Annotated[list[str], Field(min_length=2)]
    ask: Text
    why: Annotated[str, Field(min_length=10)]


class QuestionFile(_Base):
    groups: list[QuestionGroup]


QUESTIONS_FILE = "questions.yaml"
RETIRED_FILE = "retired.yaml"
_NOT_RULE_FILES = ("parameters.yaml", "legal-basis.yaml", "coverage.yaml", QUESTIONS_FILE, RETIRED_FILE)


def retired_rules(rules_dir: Optional[Path] = None) -> dict[str, str]:
    """Old rule id -> the rule it was merged into (rules/retired.yaml; empty when there is none)."""
    return dict(_retired(str(rules_dir or RULES_DIR)))


@lru_cache(maxsize=4)
def _retired(rules_dir: str) -> tuple[tuple[str, str], ...]:
    path = Path(rules_dir) / RETIRED_FILE
    if not path.exists():
        return ()
    data = _yaml(path)
    entries = data.get("retired") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        raise RuleFileError(str(path), None, "erwartet 'retired:' mit Einträgen ALTE-ID: {merged_into: NEUE-ID}")
    out = []
    for old, entry in entries.items():
        into = entry.get("merged_into") if isinstance(entry, dict) else None
        if not isinstance(into, str):
            raise RuleFileError(str(path), str(old), "merged_into fehlt")
        out.append((str(old), into))
    return tuple(out)


def load_question_groups(path: Path) -> tuple[tuple[str, tuple[str, ...], str, str], ...]:
    """(key, facts, German question, English question) of every group; refused with file, group
    and reason when a fact is unknown to the model or in two groups."""
    from checker.questions import fact_key, known_fact

    try:
        groups = QuestionFile.model_validate(_yaml(path)).groups
    except ValidationError as exc:
        raise RuleFileError(str(path), None, _pydantic_reason(exc)) from None
    seen: dict[str, str] = {}
    keys: set[str] = set()
    out = []
    for g in groups:
        if g.key in keys:
            raise RuleFileError(str(path), g.key, "Schlüssel doppelt vergeben")
        keys.add(g.key)
        for fact in g.facts:
            if fact_key(fact) != fact or not known_fact(fact):
                raise RuleFileError(str(path), g.key, f"'{fact}' ist keine Angabe des Formats, nach der gefragt wird")
            if fact in seen:
                raise RuleFileError(str(path), g.key, f"'{fact}' steht schon in der Gruppe '{seen[fact]}'")
            seen[fact] = g.key
        out.append((g.key, tuple(g.facts), g.ask.de, g.ask.en))
    return tuple(out)


def load_parameters(path: Path) -> dict[str, Parameter]:
    try:
        return ParameterFile.model_validate(_yaml(path)).parameters
    except ValidationError as exc:
        raise RuleFileError(str(path), None, _pydantic_reason(exc)) from None


class LegalEntry(LegalRef):
    """One checked citation of rules/legal-basis.yaml: a LegalRef plus which wording was read."""

    read: Optional[str] = None  # which wording was read (version, date, where)
    wording: Optional[str] = None  # the verbatim text read (needed where a rule quotes the law as its source)


class LegalFile(_Base):
    paragraphs: list[LegalEntry] = Field(default_factory=list)
    decisions: list[LegalEntry] = Field(default_factory=list)


def load_legal_whitelist(path: Path) -> dict[str, LegalEntry]:
    try:
        data = LegalFile.model_validate(_yaml(path) or {})
    except ValidationError as exc:
        raise RuleFileError(str(path), None, _pydantic_reason(exc)) from None
    out: dict[str, LegalEntry] = {}
    for entry in [*data.paragraphs, *data.decisions]:
        if (entry.decision is None) == (entry.law is None or entry.ref is None):
            raise RuleFileError(str(path), entry.key(), "Eintrag braucht law und ref oder decision")
        if entry.decision is not None and (entry.proceeding is None or entry.verified is None):
            raise RuleFileError(str(path), entry.key(), "Entscheidung braucht proceeding und verified")
        out[entry.key()] = entry
    return out


def _normalised(text: str) -> str:
    return " ".join(text.split())


def _check_law_source(source: Source, legal: Optional[dict[str, LegalEntry]], file: str, rule_id: str) -> None:
    """A rule that rests on the law alone quotes the wording read for a checked entry, verbatim."""
    entry = (legal or {}).get(source.key())
    if entry is None or not entry.wording or not entry.read:
        raise RuleFileError(file, rule_id, f"Gesetzestext '{source.key()}' braucht in rules/legal-basis.yaml einen "
                                           "Eintrag mit wording (Wortlaut) und read (gelesene Fassung)")
    if _normalised(source.passage) not in _normalised(entry.wording):
        raise RuleFileError(file, rule_id, f"Gesetzestext '{source.key()}': Passage steht nicht wörtlich im "
                                           "gelesenen Wortlaut (rules/legal-basis.yaml, wording)")


def _complete_ref(ref: LegalRef, entry: LegalEntry) -> LegalRef:
    """A rule's citation with the scope and status of its checked entry (the rule's own values win)."""
    update: dict[str, Any] = {}
    for name in ("fields", "valid_from", "valid_until", "proceeding", "verified"):
        if getattr(ref, name) is None and getattr(entry, name) is not None:
            update[name] = getattr(entry, name)
    return ref.model_copy(update=update) if update else ref


def _applicability(rule: Rule) -> Optional[dict]:
    """Turn ``applies_to`` into a condition in the rule language (or None)."""
    a = rule.applies_to
    if a is None:
        return None
    parts: list[dict] = []
    if a.fields:
        parts.append({"any": [{"path": "field_of_work", "contains": f.value} for f in a.fields]})
    if a.lands:
        parts.append({"path": "meta.land", "in": [land.value for land in a.lands]})
    if a.budget_forms:
        parts.append({"path": "model.budget_form", "in": [b.value for b in a.budget_forms]})
    if a.claims:
        parts.append(_CLAIM_SCOPES[a.claims])
    if a.valid_from:  # in force at some time of the term (see checker.regime): the term's last day counts
        parts.append({"path": "derived.term_last_date", "gte": a.valid_from})
    if a.valid_until:
        parts.append({"path": "derived.reference_date", "lte": a.valid_until})
    if a.when:
        parts.append(a.when)
    return {"all": parts} if parts else None


def _paths(node: Any) -> list[str]:
    from checker.conditions import Atom, ConclusionTest, Quantifier

    if isinstance(node, Atom):
        out = [node.spec.path]
        for ref in node.operand.refs() if node.operand else ():
            out.append(ref.spec.path)
        return out
    if isinstance(node, ConclusionTest):
        return [f"conclusions.{node.name}"]
    if isinstance(node, Junction):
        return [p for c in node.children for p in _paths(c)]
    if isinstance(node, Quantifier):
        inner = _paths(node.where_cond)
        return [node.collection.path] + [f"{node.collection.path}[].{p}" if p in node.collection.fields else p
                                         for p in inner]
    return []


def compile_rule(rule: Rule, file: str, order: int, reg: Registry, params: dict[str, float],
                 conclusions: set[str]) -> CompiledRule:
    parser = Parser(reg, params, conclusions)
    compiler = Compiler(rule.id)
    try:
        cond = parser.parse(rule.require, "require")
        appl_data = _applicability(rule)
        appl = parser.parse(appl_data, "applies_to") if appl_data else None
    except ConditionError as exc:
        raise RuleFileError(file, rule.id, str(exc)) from None
    try:
        applies_true = compiler.true(appl) if appl else [[]]
        applies_false = compiler.false(appl) if appl else []
        holds = compiler._product([applies_true, compiler.true(cond)])
        violated = compiler._product([applies_true, compiler.false(cond)])
    except ConditionError as exc:
        raise RuleFileError(file, rule.id, str(exc)) from None
    paths = tuple(dict.fromkeys(_paths(cond) + (_paths(appl) if appl else [])))
    return CompiledRule(rule, file, order, applies_true, applies_false, holds, violated, paths,
                        tuple(sorted(parser.used_conclusions)),
                        tuple(dict.fromkeys(_paths(appl))) if appl else ())


def _check_tests(rule: Rule, file: str) -> None:
    seen = {t.expect for t in rule.tests}
    needed = {"erfuellt", "verletzt", "ungeklaert"} - set(rule.impossible or {})
    missing = needed - seen
    if missing:
        raise RuleFileError(file, rule.id, f"Tests fehlen für: {', '.join(sorted(missing))} "
                                           "(oder unter 'impossible' begründen, warum das nicht vorkommen kann)")


def _check_cycles(rules: list[CompiledRule]) -> None:
    producer = {r.rule.conclude: r for r in rules if r.rule.conclude}
    state: dict[str, int] = {}

    def visit(rule: CompiledRule, stack: list[str]) -> None:
        if state.get(rule.id) == 2:
            return
        if state.get(rule.id) == 1:
            raise RuleFileError(rule.file, rule.id, "Zirkel über Zwischenergebnisse: " + " -> ".join(stack + [rule.id]))
        state[rule.id] = 1
        for name in rule.uses_conclusions:
            visit(producer[name], stack + [rule.id])
        state[rule.id] = 2

    for r in rules:
        visit(r, [])


def load_catalogue(rules_dir: Path | str = RULES_DIR, *, check_tests: bool = True,
                   cache: Optional[bool] = None) -> Catalogue:
    """Load, validate and compile every ``*.yaml`` rule file below ``rules_dir``.

    The compiled catalogue of the default rules directory is kept in a cache file
    (see :func:`cache_dir`), keyed by the digest of the rule files and of the code
    that compiles them; ``cache`` forces (True) or avoids (False) the cache for any
    directory. A cache file that is missing, stale, unreadable or corrupt is ignored
    and the catalogue is compiled from the rule files, exactly as without a cache.
    """
    rules_dir = Path(rules_dir)
    if cache is None:
        cache = _is_default_dir(rules_dir)
    key = _cache_key(rules_dir, check_tests) if cache else None
    if key is not None:
        cached = _cache_read(key)
        if cached is not None:
            return cached
    catalogue = _compile_catalogue(rules_dir, check_tests)
    if key is not None:
        _cache_write(key, catalogue)
    return catalogue


def _compile_catalogue(rules_dir: Path, check_tests: bool) -> Catalogue:
    digest = hashlib.sha256()
    param_path = rules_dir / "parameters.yaml"
    params = load_parameters(param_path) if param_path.exists() else {}
    legal_path = rules_dir / "legal-basis.yaml"
    legal = load_legal_whitelist(legal_path) if legal_path.exists() else None
    questions_path = rules_dir / QUESTIONS_FILE
    question_groups = load_question_groups(questions_path) if questions_path.exists() else ()
    files = sorted(p for p in rules_dir.glob("*.yaml") if p.name not in _NOT_RULE_FILES)
    for p in [param_path, legal_path, questions_path, *files]:
        if p.exists():
            digest.update(p.name.encode() + b"\0" + _bytes(p) + b"\0")
    parsed: list[tuple[Rule, str]] = []
    for path in files:
        data = _yaml(path)
        try:
            rule_file = RuleFile.model_validate(data)
        except ValidationError as exc:
            rule_id = None
            for err in exc.errors():
                loc = err["loc"]
                if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int) and isinstance(data, dict):
                    try:
                        rule_id = data["rules"][loc[1]].get("id")
                    except (KeyError, IndexError, TypeError, AttributeError):
                        pass
                    break
            raise RuleFileError(str(path), rule_id, _pydantic_reason(exc)) from None
        parsed.extend((r, str(path)) for r in rule_file.rules)
    seen: dict[str, str] = {}
    conclusions: set[str] = set()
    for rule, file in parsed:
        if rule.id in seen:
            raise RuleFileError(file, rule.id, f"Id doppelt vergeben (auch in {seen[rule.id]})")
        seen[rule.id] = file
        if rule.conclude:
            if rule.conclude in conclusions:
                raise RuleFileError(file, rule.id, f"Zwischenergebnis '{rule.conclude}' wird schon von einer anderen Regel gebildet")
            conclusions.add(rule.conclude)
        if legal is not None:
            for ref in rule.legal_basis:
                if ref.key() not in legal:
                    raise RuleFileError(file, rule.id, f"Rechtsgrundlage '{ref.key()}' ist nicht in rules/legal-basis.yaml geprüft")
            rule.legal_basis = [_complete_ref(ref, legal[ref.key()]) for ref in rule.legal_basis]
        for source in rule.source:
            if source.kind == "gesetz":
                _check_law_source(source, legal, file, rule.id)
        if rule.escalate is not None and registry().lookup(rule.escalate.when["path"]) is None:
            raise RuleFileError(file, rule.id, f"escalate: unbekannter Pfad {rule.escalate.when['path']}")
        if check_tests:
            _check_tests(rule, file)
    values = {k: p.value for k, p in params.items()}
    reg = registry()
    compiled = [compile_rule(r, f, i, reg, values, conclusions) for i, (r, f) in enumerate(parsed)]
    _check_cycles(compiled)
    version_file = rules_dir / "VERSION"
    version = _text(version_file).strip() if version_file.exists() else "unversioniert"
    digest.update(version.encode())
    catalogue = Catalogue(compiled, params, digest.hexdigest(), [str(p) for p in files], version,
                          question_groups=question_groups)
    build_ruleset(catalogue)
    return catalogue


def build_ruleset(catalogue: Catalogue) -> None:
    """Every conjunction of every rule becomes one durable_rules rule."""
    from checker.engine import check_safe, fact_keys

    ruleset: dict[str, dict] = {}
    actions: dict[str, tuple[str, str, list[Lit]]] = {}
    triggered = 0  # rules that join a trigger fact
    for rule in catalogue.rules:
        # "applies": the applicability is known to hold (only for rules with applies_to); an
        # ungeklärt rule without it asks its applicability question first (verdicts.questions)
        applies = rule.applies_true if rule.rule.applies_to is not None else []
        for kind, dnf in (("holds", rule.holds), ("violated", rule.violated), ("na", rule.applies_false),
                          ("applies", applies)):
            n = 0
            for conj in dnf:
                for variant in merge_conjunct(conj, rule.id):
                    name = f"{rule.id}#{kind}#{n}"
                    n += 1
                    ruleset[name] = to_durable(variant, triggered // TRIGGER_FANOUT)
                    triggered += needs_trigger(variant)
                    actions[name] = (rule.id, kind, variant)
    try:
        check_safe(ruleset)
    except ValueError as exc:  # name the rule file and rule the compiled rule came from
        message = str(exc)
        name, _, reason = message.partition(": ")
        owner = actions.get(name)
        rule = catalogue.by_id.get(owner[0]) if owner else None
        if rule is not None:
            raise RuleFileError(rule.file, rule.rule.id, f"{reason} (übersetzt als {name})") from None
        raise RuleFileError("(compiled)", None, message) from None
    catalogue.ruleset = ruleset
    catalogue.actions = actions
    catalogue.checked_ruleset = json.dumps(ruleset, ensure_ascii=False)
    catalogue.fact_keys = fact_keys(catalogue)
    catalogue.trigger_groups = -(-triggered // TRIGGER_FANOUT)


def ruleset_json(catalogue: Catalogue) -> str:
    return json.dumps(catalogue.ruleset, sort_keys=True, ensure_ascii=False)


# --------------------------------------------------------------------------- cache of the compiled catalogue

CACHE_FORMAT = 1
_COMPILING_MODULES = ("rules.py", "conditions.py", "facts.py", "model.py", "engine.py")
_CACHE_PREFIX = "catalogue-"
_CACHE_KEEP = 8  # newest cache files kept; older ones (other rule versions) are removed


def _is_default_dir(rules_dir: Path) -> bool:
    try:
        return rules_dir.resolve() == Path(RULES_DIR).resolve()
    except OSError:
        return False


@lru_cache(maxsize=1)
def _code_fingerprint() -> Optional[bytes]:
    """The code that compiles a catalogue: a cache written by other code is never used."""
    import sys

    import pydantic

    digest = hashlib.sha256(f"{CACHE_FORMAT}\0{sys.version}\0{pydantic.VERSION}\0".encode())
    package = Path(__file__).resolve().parent
    try:
        for name in _COMPILING_MODULES:
            digest.update(name.encode() + b"\0" + (package / name).read_bytes() + b"\0")
    except OSError:
        return None
    return digest.digest()


def _cache_key(rules_dir: Path, check_tests: bool) -> Optional[str]:
    """Hex key over the code, the options and every file of ``rules_dir``; None: do not cache."""
    from checker.safeio import read_regular

    code = _code_fingerprint()
    if code is None or cache_dir() is None:
        return None
    digest = hashlib.sha256(code)
    try:
        digest.update(f"{rules_dir}\0{rules_dir.resolve()}\0{check_tests}\0".encode())
        for path in sorted([*rules_dir.glob("*.yaml"), rules_dir / "VERSION"]):
            if path.is_file():
                digest.update(path.name.encode() + b"\0" + read_regular(path, MAX_RULE_FILE_BYTES) + b"\0")
    except OSError:
        return None  # the uncached path reports the problem
    return digest.hexdigest()


class _CatalogueUnpickler:
    """Unpickles only what a catalogue is made of: classes of this package and ``datetime.date``."""

    @staticmethod
    def load(data: bytes) -> Any:
        import io
        import pickle

        class Restricted(pickle.Unpickler):
            def find_class(self, module: str, name: str) -> Any:
                if module == "datetime" and name == "date":
                    return dt.date
                if module in ("checker.rules", "checker.conditions", "checker.facts", "checker.model"):
                    import importlib

                    found = getattr(importlib.import_module(module), name, None)
                    if isinstance(found, type):
                        return found
                raise pickle.UnpicklingError(f"{module}.{name} is not part of a catalogue")

        return Restricted(io.BytesIO(data)).load()


def _cache_file(key: str) -> Optional[Path]:
    directory = cache_dir()
    return directory / f"{_CACHE_PREFIX}{key[:40]}.pickle" if directory else None


MAX_CACHE_BYTES = 64 * 1024 * 1024


def _cache_read(key: str) -> Optional[Catalogue]:
    """The cached catalogue, or None. Only a regular file (no symlink, no FIFO: opened with
    O_NOFOLLOW and without blocking) of this user in a private cache directory is read; what it
    holds is still data from disk: the engine runs check_safe on its ruleset like on any other."""
    from checker.safeio import read_regular

    path = _cache_file(key)
    if path is None or not _private_dir(path.parent, create=False):
        return None
    try:
        fd_stat = os.lstat(path)
        if hasattr(os, "getuid") and fd_stat.st_uid != os.getuid():
            return None  # written by someone else: not trusted
        data = read_regular(path, MAX_CACHE_BYTES, nofollow=True)
        stored_key, catalogue = _CatalogueUnpickler.load(data)
    except Exception:  # noqa: BLE001 - missing, truncated, corrupt or foreign: compile instead
        return None
    if stored_key != key or not isinstance(catalogue, Catalogue) or not catalogue.ruleset:
        return None
    from checker.engine import checked_json

    try:
        checked_json(catalogue.ruleset)  # the engine made from it then skips this check
    except (ValueError, TypeError, AttributeError):
        return None  # not what this code compiles: compile the rule files instead
    return catalogue


def _cache_write(key: str, catalogue: Catalogue) -> None:
    """Write atomically (see cache_write_bytes)."""
    import pickle

    path = _cache_file(key)
    if path is None:
        return
    try:
        data = pickle.dumps((key, catalogue), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - a cache that cannot be written is no error
        return
    if cache_write_bytes(path, data):
        _cache_prune(path.parent)


def _cache_prune(directory: Path) -> None:
    prune(directory, f"{_CACHE_PREFIX}*.pickle", _CACHE_KEEP)
