"""The questions that decide the open (ungeklärt) rules, one per deciding fact.

Every ungeklärt rule lists the inputs that would decide it (``Finding.missing``). Asked
rule by rule, the same fact comes up again and again (Nachfinanzierung through about seven
rules) and rules whose applicability is itself unknown ask questions that presume the thing
exists. Here the open rules become one list of questions:

1. **Applicability first.** A rule with ``applies_to`` whose applicability is not known to
   hold (the engine's ``applies`` match did not fire) contributes only the inputs of its
   applicability ("Gibt es SAJF/SHA-Angebote im Budget?"), never its inner questions.
2. **One question per deciding fact.** Inputs are grouped by the fact they belong to
   (:func:`fact_key`): a clause (status and details), a list (the services, the
   Teilbudgets), the term and dates, or one field. A rule that waits for another rule's
   conclusion is attached to that rule's facts, so every open rule, and in particular every
   open blocker, is covered by at least one question.
3. **One provision, one question.** Where the model describes one provision of a contract in
   several facts (the Nachfinanzierung as demand adjustment, overspending and renegotiation;
   the Hilfeplanverfahren as four clauses), ``rules/questions.yaml`` groups them: when at least
   two of a group's facts are open they are asked as one question, which names every open part
   with its open details. Data, not code: a new rule on one of these clauses joins its group.
4. **Ordered by what the answer can change**: the highest severity among the rules it
   decides (blockers first), then how many blockers, then how many rules, then the place in
   the file.

The shape of one question (JSON report ``agreements[].questions``)::

    {"n": 1,                                  # position, 1-based (the order)
     "key": "clauses.schiedsstelle",          # the deciding fact (stable, for tools); frage.NAME for
                                              # a group of rules/questions.yaml
     "facts": ["clauses.schiedsstelle"],      # the facts asked (a group: its open facts)
     "kind": "klausel",                       # klausel | anwendbarkeit | angabe
     "stage": 1,                              # 1 decides a blocker (whether it can be signed at
                                              # all), 2 a major rule (Auflagen), 3 only minor
                                              # rules and recommendations (never the verdict)
     "text": {"de": "...", "en": "..."},      # plain language, never an internal path
     "section": "§ 12",                       # the agreement's own reference, or null
     "severity": "blocker",                   # highest severity among the rules decided
     "rules": ["DWH-SK-SCHIEDSSTELLE-JH"],    # every rule the answer decides, severity order
     "fields": [{"path": "clauses.schiedsstelle.status", "line": 310, "column": 5}]}
                                              # deciding fields; line/column where the file
                                              # has them (or the nearest enclosing entry)
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from typing import Any, Iterable, Optional

from pydantic import BaseModel

from checker.model import Agreement, inner_class
from checker.rules import SEVERITY_ORDER, Severity, Verdict
from checker.labels import reader_text
from checker.texts_en import description_en

KIND_CLAUSE = "klausel"
KIND_APPLICABILITY = "anwendbarkeit"
KIND_FACT = "angabe"


@dataclass(frozen=True)
class QuestionField:
    path: str
    line: Optional[int] = None
    column: Optional[int] = None


_new = object.__new__
_set = object.__setattr__


def _field(path: str, line: Optional[int], column: Optional[int]) -> QuestionField:
    """``QuestionField(path, line, column)``, the same object made faster: a frozen dataclass's own
    ``__init__`` sets each field through ``object.__setattr__``; here they are set at once."""
    made = _new(QuestionField)
    _set(made, "__dict__", {"path": path, "line": line, "column": column})
    return made


@dataclass
class Question:
    n: int
    key: str
    kind: str
    stage: int  # 1: decides a blocker; 2: a major rule; 3: only minor rules and recommendations
    text_de: str
    text_en: str
    section: Optional[str]
    severity: Severity
    rules: list[str]
    fields: list[QuestionField] = field(default_factory=list)
    # the facts asked: [key] for one fact; for a question of rules/questions.yaml its open facts
    facts: list[str] = field(default_factory=list)

    def text(self, lang: str) -> str:
        return self.text_de if lang == "de" else self.text_en


# Facts that several fields describe together (one look at one part of the draft answers them):
# prefix -> key. Their questions list the missing details ("Dazu: ...").
_GROUPS = (
    ("meta.period", "meta.period"),
    ("meta.signing_date", "meta.period"),
    ("meta.draft_date", "meta.period"),
    ("budget.period_months", "meta.period"),
    ("model", "model"),
    ("budget.amount_per_year", "budget.amount"),
    ("budget.amount_total", "budget.amount"),
    ("budget.amount_stated", "budget.amount"),
    ("budget.calculation_basis", "budget.amount"),
    ("budget.previous_year_actual_costs", "budget.amount"),
    ("budget.reduction_reason", "budget.amount"),
    ("budget.reduction_reason_given", "budget.amount"),
    ("budget.teilbudgets", "budget.structure"),
    ("budget.earmarks", "budget.structure"),
    ("budget.payout", "budget.payout"),
    ("budget.bonus", "budget.payout"),
    # the unit that directs the aid is the public body's Regiekompetenz: one fact with who decides
    ("parties.giver.unit_with_regiekompetenz", "clauses.public_body_decides"),
)
_DETAILED = {"model", "budget.amount", "budget.structure", "budget.payout", "parties.takers", "services"}

# Hand-written questions for the facts most rules turn on (de, en); others are generated
_TEXTS = {
    "field_of_work": ("Welches Arbeitsfeld betrifft die Vereinbarung (Kinder- und Jugendhilfe, "
                      "Eingliederungshilfe, Sozialhilfe)?",
                      "Which field of work does the agreement concern (youth welfare, integration assistance, "
                      "social assistance)?"),
    "meta.land": ("In welchem Bundesland gilt die Vereinbarung?", "In which Land does the agreement apply?"),
    "meta.period": ("Welche Laufzeit hat die Vereinbarung (Beginn, Ende oder Dauer) und für welchen Zeitraum "
                    "gilt das Budget? Ohne Beginn: wann wurde sie unterzeichnet oder entworfen?",
                    "What is the agreement's term (start, end or duration) and the budget period? Without a "
                    "start: when was it signed or drafted?"),
    "model": ("Wie ist das Budgetmodell angelegt: Form (Trägerbudget, Sozialraumbudget, verwaltungsintern …), "
              "wer hält und wer bewirtschaftet das Budget, wie wird es auf die Träger verteilt (ein Träger, "
              "Trägerverbund, Gewährleistungsträger, gemeinnützige Gesellschaft, Einzelvereinbarungen)?",
              "How is the budget model set up: form (provider budget, area budget, kept in the administration "
              "…), who holds and who manages the budget, how is it allocated to providers (one provider, a "
              "network, a guarantor, a non-profit company, individual agreements)?"),
    "services": ("Welche Leistungen umfasst das Budget (z. B. Hilfen zur Erziehung, SAJF/SHA-Angebote, offene "
                 "Angebote), jeweils mit oder ohne individuellen Rechtsanspruch und ambulant, teilstationär "
                 "oder stationär?",
                 "Which services does the budget cover (e.g. educational support, SAJF/SHA offers, open "
                 "services), each with or without an individual legal claim, and in which setting?"),
    "budget.amount": ("Wie hoch ist das Budget und wie ist es berechnet (Betrag pro Jahr oder für den Zeitraum, "
                      "Berechnungsgrundlage, Kosten des Vorjahres, Begründung einer Kürzung)?",
                      "How large is the budget and how is it calculated (amount per year or for the period, "
                      "basis of calculation, last year's costs, reason for a reduction)?"),
    "budget.structure": ("Wie ist das Budget aufgeteilt: Teilbudgets (Betrag, Anteil, Zweck, wer sie hält) und "
                         "Zweckbindungen (wofür, welcher Anteil, auf welcher Grundlage)?",
                         "How is the budget divided: partial budgets (amount, share, purpose, holder) and "
                         "earmarks (for what, which share, on which base)?"),
    "budget.payout": ("Wie und unter welchen Bedingungen wird das Budget ausgezahlt (unbedingter Anteil, bedingte "
                      "Anteile mit ihren Bedingungen, Raten, Leistungsbonus)?",
                      "How and on which conditions is the budget paid out (unconditional share, conditional "
                      "shares with their conditions, instalments, performance bonus)?"),
    "parties.takers": ("Wer sind die Budgetnehmer (Art des Trägers, Wertorientierung, Rolle, Verankerung im "
                       "Sozialraum)?", "Who are the budget holders (kind of provider, value orientation, role, "
                       "anchoring in the area)?"),
}

_STATUS_HINT = ("vereinbart, ausgeschlossen oder fehlt im Entwurf", "agreed, excluded or absent from the draft")


@lru_cache(maxsize=4096)  # pure; called for every open input of every agreement
def fact_key(path: str) -> Optional[str]:
    """The fact a missing input belongs to (None for another rule's conclusion)."""
    if path.startswith("conclusions."):
        return None
    if path.startswith("clauses."):
        return ".".join(path.split(".")[:2])
    if "[" in path:
        path = path[: path.index("[")]
    for prefix, key in _GROUPS:
        if path == prefix or path.startswith(prefix + "."):
            return key
    parts = path.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 else path


@lru_cache(maxsize=4096)  # pure; called for every open input of every agreement
@typing.no_type_check
def _description(path: str) -> str:
    """The model's (German) description of a path, '' if none."""
    node: Any = Agreement
    desc = ""
    for part in path.replace("[]", "").split("."):
        part = part.split("[")[0]
        if node is None or part not in getattr(node, "model_fields", {}):
            return desc
        info = node.model_fields[part]
        desc = info.description or desc
        node = inner_class(info.annotation, BaseModel)
    return desc


@lru_cache(maxsize=4096)
@typing.no_type_check
def _enum_values(path: str) -> frozenset[str]:
    """The values of the enum a path holds (empty if it holds none)."""
    node: Any = Agreement
    info = None
    for part in path.replace("[]", "").split("."):
        part = part.split("[")[0]
        if node is None or part not in getattr(node, "model_fields", {}):
            return frozenset()
        info = node.model_fields[part]
        node = inner_class(info.annotation, BaseModel)
    enum = inner_class(info.annotation, Enum) if info is not None else None
    return frozenset(m.value for m in enum) if enum is not None else frozenset()


@lru_cache(maxsize=256)  # pure; the same open details come up in agreement after agreement (bounded small:
# the entries are whole texts, and a batch of 100,000 files must not grow with the variety of its drafts)
def _details(paths: tuple[str, ...], whole_items: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(German, English) descriptions of the open details, each once; ``whole_items``: the fields of
    list items are described generically (``services[].claim``), a clause's status is left out. The
    German text leaves out the notes for format authors (``reader_text``)."""
    if whole_items:
        keys = dict.fromkeys(_generic(p) for p in paths)
    else:
        keys = dict.fromkeys(p for p in paths if not p.endswith(".status"))
    descs = {_description(k): k for k in keys}
    de = [reader_text(d, _enum_values(k)) for d, k in descs.items() if d]
    return tuple(dict.fromkeys(de)), tuple(dict.fromkeys(description_en(d) for d in descs if d))


@lru_cache(maxsize=256)  # pure; whole texts: kept small like _details
def _text(key: str, kind: str, paths: tuple[str, ...], authored: Optional[tuple[str, str]]) -> tuple[str, str]:
    if key in _TEXTS:
        de, en = _TEXTS[key]
        if key in _DETAILED:
            details_de, details_en = _details(paths, True)
            if details_de:
                de += " Offen: " + "; ".join(details_de) + "."
                en += " Open: " + "; ".join(details_en) + "."
        return de, en
    if key.startswith("clauses."):
        what = _description(key) or key.split(".", 1)[1]
        details_de, details_en = _details(paths, False)
        if authored and kind != KIND_APPLICABILITY:
            de, en = authored
        else:
            de = f"Was regelt der Entwurf zu „{reader_text(what)}“ ({_STATUS_HINT[0]})?"
            en = f"What does the draft provide on “{description_en(what)}” ({_STATUS_HINT[1]})?"
        if details_de:
            de += " Dazu: " + "; ".join(details_de) + "."
            en += " Details: " + "; ".join(details_en) + "."
        return de, en
    if authored and kind != KIND_APPLICABILITY:
        return authored
    what = _description(key) or _description(paths[0]) or key
    return f"Bitte angeben: {reader_text(what)}.", f"Please state: {description_en(what)}."


@lru_cache(maxsize=256)  # pure; whole texts: kept small like _details
def _group_text(ask_de: str, ask_en: str, members: tuple[str, ...],
                fields: tuple[tuple[str, ...], ...]) -> tuple[str, str]:
    """A group's question, then each open part (``members``) with its open details ("Offen: ...") from
    its open ``fields`` (one tuple per member)."""
    de_parts, en_parts = [], []
    for fact, paths in zip(members, fields):
        what = _description(fact) or fact
        details_de, details_en = _details(paths, fact in _TEXTS)
        de_parts.append(reader_text(what) + (f" ({'; '.join(details_de)})" if details_de else ""))
        en_parts.append(description_en(what) + (f" ({'; '.join(details_en)})" if details_en else ""))
    de, en = f"{ask_de} Offen: " + "; ".join(de_parts) + ".", f"{ask_en} Open: " + "; ".join(en_parts) + "."
    if any(f.startswith("clauses.") for f in members):
        de += f" Je Regelung: {_STATUS_HINT[0]}."
        en += f" For each provision: {_STATUS_HINT[1]}."
    return de, en


def known_fact(key: str) -> bool:
    """True if ``key`` names a part of the model (a clause, a list, a field) that questions ask about."""
    if key in _TEXTS:
        return True
    node: Any = Agreement
    for part in key.split("."):
        if node is None or part not in getattr(node, "model_fields", {}):
            return False
        node = inner_class(node.model_fields[part].annotation, BaseModel)
    return True


GROUP_PREFIX = "frage."


def _rule_facts(rule: Any) -> tuple:
    """(applicability inputs, applies_to set?) of a compiled rule."""
    from checker.verdicts import _inputs  # the stated inputs of a derived path

    return (frozenset(p for path in rule.appl_paths for p in _inputs(path)), rule.rule.applies_to is not None)


def build_questions(findings: Iterable, *, applies_known: set[str], agreement: Agreement,
                    groups: Iterable[tuple[str, tuple[str, ...], str, str]] = (),
                    memo: Optional[dict] = None) -> list[Question]:
    """The questions for the ungeklärt findings (see the module docstring); ``groups`` are the
    facts asked together (rules/questions.yaml), used where at least two of a group's facts are open.
    ``memo``: a dict kept per catalogue (``Catalogue.memo``) for what depends on the rules only."""
    rule_facts: dict = memo.setdefault("question_rules", {}) if memo is not None else {}
    ungeklaert = Verdict.ungeklaert
    by_id: dict[str, Any] = {}
    concluded_by: dict[str, Any] = {}
    open_: list[tuple[str, Any]] = []  # (id, finding) of the ungeklärt findings, in order
    for f in findings:
        rule_id = f.rule.rule.id
        by_id[rule_id] = f
        conclude = f.rule.rule.conclude
        if conclude:
            concluded_by[conclude] = f
        if f.verdict is ungeklaert:
            open_.append((rule_id, f))

    def asks(finding, rule_id: str, seen: frozenset = frozenset()) -> tuple[list, bool]:
        """(missing entries, applicability question?) of an open finding, conclusions followed."""
        known = rule_facts.get(rule_id)
        if known is None:
            known = rule_facts[rule_id] = _rule_facts(finding.rule)
        appl_inputs, has_applies_to = known
        appl_unknown = has_applies_to and rule_id not in applies_known
        chosen = finding.missing
        if appl_unknown:
            only = []
            for m in finding.missing:
                generic = _generic(m.path)
                if generic in appl_inputs or any(generic.startswith(a + "[") or generic.startswith(a + ".")
                                                 for a in appl_inputs):
                    only.append(m)
            chosen = only or finding.missing
        out: list = []
        for m in chosen:
            if m.path.startswith("conclusions."):
                other = concluded_by.get(m.path.split(".", 1)[1])
                if other is not None:
                    other_id = other.rule.rule.id
                    if other_id not in seen and other.verdict is ungeklaert:
                        out.extend(asks(other, other_id, seen | {rule_id})[0])
            else:
                out.append(m)
        return out, appl_unknown and bool(chosen)

    qgroups = list(groups)
    groups: dict[str, dict] = {}
    rank_of: dict[str, int] = {}  # id -> SEVERITY_ORDER of the finding's severity, open findings
    for rule_id, finding in open_:
        severity = finding.severity
        rank = rank_of[rule_id] = SEVERITY_ORDER[severity]
        missing, appl = asks(finding, rule_id)
        keys: dict[str, list] = {}
        for m in missing:
            key = fact_key(m.path)
            if key:
                entries = keys.get(key)
                if entries is None:
                    keys[key] = [m]
                else:
                    entries.append(m)
        if not keys:  # nothing stated would decide it directly: ask the rule's own question
            keys[f"rule:{rule_id}"] = []
        only_key = None  # its own question fits
        if len(keys) == 1:
            own = {fact_key(m.path) for m in finding.missing}
            own.discard(None)
            if own == set(keys):
                only_key = next(iter(keys))
        question = finding.rule.rule.question
        for key, entries in keys.items():
            g = groups.get(key)
            if g is None:
                g = groups[key] = {"rules": {}, "fields": {}, "appl": None, "authored": None}
            g["rules"][rule_id] = finding
            g["appl"] = appl if g["appl"] is None else g["appl"] and appl  # only asked for applicability
            fields = g["fields"]
            for m in entries:
                if m.path not in fields:
                    fields[m.path] = m
            if question is not None and key == only_key and not appl:  # its question presumes it applies
                if g["authored"] is None or rank > g["authored"][0]:
                    g["authored"] = (rank, (question.de, question.en))

    merged: dict[str, tuple[str, str, list[str]]] = {}  # question key -> (ask de, ask en, member facts)
    for gkey, facts, ask_de, ask_en in qgroups:
        members = [f for f in facts if f in groups]
        if len(members) < 2:
            continue
        into = {"rules": {}, "fields": {}, "appl": None, "authored": None, "members": {}}
        for fact in members:
            g = groups.pop(fact)
            into["rules"].update(g["rules"])
            into["fields"].update(g["fields"])
            into["appl"] = g["appl"] if into["appl"] is None else into["appl"] and g["appl"]
            into["members"][fact] = g
        groups[GROUP_PREFIX + gkey] = into
        merged[GROUP_PREFIX + gkey] = (ask_de, ask_en, members)

    keyed: list[tuple] = []
    for key, g in groups.items():
        rule_ids = sorted(g["rules"], key=lambda r: (-rank_of[r], r))
        first = g["rules"][rule_ids[0]]
        severity = first.severity
        if key.startswith("rule:"):
            rule = first.rule.rule
            title = rule.question or rule.title
            kind, de, en = KIND_FACT, title.de, title.en
        elif key in merged:
            kind = KIND_APPLICABILITY if g["appl"] else KIND_CLAUSE
            ask_de, ask_en, members = merged[key]
            de, en = _group_text(ask_de, ask_en, tuple(members),
                                 tuple(tuple(g["members"][fact]["fields"]) for fact in members))
        else:
            kind = KIND_APPLICABILITY if g["appl"] else KIND_CLAUSE if key.startswith("clauses.") else KIND_FACT
            # a rule's own question asks about that rule; a fact that decides several is asked as such
            authored = g["authored"][1] if g["authored"] and len(rule_ids) == 1 else None
            de, en = _text(key, kind, tuple(g["fields"]), authored)
        section = None
        facts = list(merged[key][2]) if key in merged else [key]
        for fact in facts:
            if fact.startswith("clauses."):
                clause = getattr(agreement.clauses, fact.split(".", 1)[1], None)
                found = getattr(clause, "section", None)
                if found and found not in (section or ""):
                    section = f"{section}, {found}" if section else found
        fields = [_field(m.path, m.line, m.column) for m in g["fields"].values()]
        stage = 1 if severity == Severity.blocker else 2 if severity == Severity.major else 3
        question = Question(0, key, kind, stage, de, en, section, severity, rule_ids, fields, facts)
        blockers = sum(1 for r in rule_ids if by_id[r].severity == Severity.blocker)
        first_line = min((f.line for f in fields if f.line), default=0)
        keyed.append(((-SEVERITY_ORDER[severity], -blockers, -len(rule_ids), kind != KIND_APPLICABILITY,
                       first_line, key), question))
    keyed.sort(key=lambda pair: pair[0])  # the keys are unique (they end with the question's key)
    questions = [q for _, q in keyed]
    for n, q in enumerate(questions, 1):
        q.n = n
    return questions


@lru_cache(maxsize=4096)  # pure; called for every open input of every agreement
def _generic(path: str) -> str:
    """``services[2].category`` -> ``services[].category``."""
    out = []
    i = 0
    while i < len(path):
        ch = path[i]
        if ch == "[":
            j = path.index("]", i)
            out.append("[]")
            i = j + 1
            continue
        out.append(ch)
        i += 1
    return "".join(out)

