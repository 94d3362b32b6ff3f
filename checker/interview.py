"""The guided interview: which questions to ask about a draft, in which order, derived from the
rule catalogue and the agreement model (no question is written by hand).

* First the facts that decide which rules apply at all: what kind of agreement (title, status,
  draft date, term, Land), the field of work, the budget form and the services with their claim
  type. Until the field of work is answered nothing else is asked.
* Then every clause and fact a rule reads, ordered by the highest severity of the rules it
  decides (blockers first) and then by catalogue order; a clause's details follow the clause,
  the fields of list items (services, Teilbudgets, ...) are asked per item.
* A question is asked only while at least one rule it decides applies: a question whose rules
  are all *nicht anwendbar* for the current answers is left out.

Each question carries the model's German description, the rules it decides (with their source
passage and legal basis) and, for a clause, the answers the format knows: every clause status
but the "not stated" default, plus "noch unbekannt" (the key is left out of the file).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from typing import Any, Optional

from pydantic import BaseModel

from checker.facts import _unwrap
from checker.labels import ENUM, label
from checker.model import ABSENT, Agreement, ClauseStatus, silence_at
from checker.rules import SEVERITY_ORDER, Catalogue, Severity, Verdict
from checker.verdicts import DERIVED_INPUTS, ITEM_DERIVED_INPUTS, AgreementResult

UNKNOWN = ""  # the form value of "noch unbekannt": the key is removed from the file

# Answers to a clause, by status value; statuses not listed here are shown with their value.
STATUS_LABELS = {key: pair[0] for key, pair in ENUM["ClauseStatus"].items()}
# The clause status that means "not stated" in format 1 (and is the default there): it is
# the same as leaving the key out, so it is offered as "noch unbekannt", never on its own.
_NOT_STATED = {"nicht_geregelt", "unbekannt"}

BASICS = (
    "meta.title",
    "meta.status",
    "meta.draft_date",
    "meta.period.start",
    "meta.period.end",
    "meta.period.duration_months",
    "meta.land",
    "field_of_work",
    "model.budget_form",
    "services",
)
# item fields of the services asked in the basics (the claim type decides many rules)
BASIC_ITEM_FIELDS = {"services": ("name", "category", "claim", "setting")}
# a title field for list items that have one, so that the advisor can tell them apart
_ITEM_NAME = "name"
# Fields no rule reads but the report prints (its header, the reviewer's notes): asked in a section
# of their own at the end, unless a rule asks them already. Lists are asked per item with every
# field of the item.
RECORD = (
    "meta.identifier",
    "meta.version",
    "parties.giver.name",
    "parties.giver.unit_with_regiekompetenz",
    "meta.municipality",
    "meta.district",
    "meta.signing_date",
    "sozialraeume",
    "meta.note",
)
SECTION_LABELS = {
    "basics": "Grunddaten: Art der Vereinbarung, Arbeitsfeld, Leistungen",
    "blocker": "Entscheidende Punkte (Blocker)",
    "major": "Wichtige Punkte (erheblich)",
    "minor": "Weitere Punkte",
    "hinweis": "Hinweise",
    "record": "Vertragsdaten / Anmerkungen (für den Prüfbericht)",
}


@dataclass
class Question:
    key: str  # generic model path: "clauses.overspending", "budget.amount_per_year", "services[].claim"
    kind: str  # clause | bool | enum | enums | number | date | text | texts | list
    label: str
    help: str = ""
    options: list[tuple[str, str]] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)  # ids of the rules it decides
    severity: Optional[Severity] = None
    section: str = "basics"
    details: list["Question"] = field(default_factory=list)  # a clause's detail fields
    absent: bool = False  # a yes/no or enum fact that may be answered "fehlt im Entwurf" (model.Silence)
    items: list["Question"] = field(default_factory=list)  # a list's item fields (key relative: "claim")
    order: int = 0
    number: str = ""  # for kind number: "int" (whole numbers only) or "float"

    @property
    def long(self) -> bool:
        """A free text of several lines (a reviewer's note)."""
        return self.kind == "text" and self.key.rpartition(".")[2] == "note"

    @property
    def hint(self) -> str:
        return typing_hint(self.kind, self.number)

    @property
    def anchor(self) -> str:
        return "q-" + re.sub(r"[^a-z0-9]+", "-", self.key.lower()).strip("-")


# --------------------------------------------------------------------------- model look-ups


def _humanize(value: str) -> str:
    text = value.replace("_", " ")
    for a, b in (("ae", "ä"), ("oe", "ö"), ("ue", "ü")):
        text = re.sub(rf"(?<![aeiouq]){a}", b, text)
    return text


def enum_label(enum_type: type[Enum], value: str, lang: str = "de") -> str:
    """The label of an enum value (checker.labels.ENUM), else the key made readable."""
    table = ENUM.get(enum_type.__name__, {})
    return label(table, value, lang) if value in table else _humanize(value)


@lru_cache(maxsize=1024)
def field_info(path: str) -> tuple[str, Any, str]:
    """(kind, inner type, German description) of a generic model path ("services[].claim")."""
    model: type[BaseModel] = Agreement
    parts = [p for p in re.split(r"\.|\[\]", path) if p]
    kind: str = "model"
    inner: Any = Agreement
    description = ""
    for part in parts:
        info = model.model_fields[part]
        description = info.description or part
        kind, inner = _unwrap(info.annotation)
        if kind == "list":
            item_kind, item_inner = _unwrap(inner)
            if item_kind == "model":
                model = item_inner
                inner = item_inner
                continue
            kind = {"enum": "enums", "text": "texts"}.get(item_kind, "list_" + item_kind)
            inner = item_inner
        elif kind == "model":
            model = inner
    return kind, inner, description


def _list_of_models(path: str) -> bool:
    model: type[BaseModel] = Agreement
    parts = [p for p in path.split(".") if p]
    for i, part in enumerate(parts):
        info = model.model_fields.get(part)
        if info is None:
            return False
        kind, inner = _unwrap(info.annotation)
        if kind == "list":
            item_kind, item_inner = _unwrap(inner)
            if i == len(parts) - 1:
                return item_kind == "model"
            if item_kind != "model":
                return False
            model = item_inner
        elif kind == "model":
            model = inner
        else:
            return False
    return False


# Where the model's description reads badly as a question (a description with an explanation
# in parentheses that contains a colon is cut there generically: see _wording)
LABELS = {
    "meta.title": "Titel der Vereinbarung",
    "meta.status": "Bearbeitungsstand der Vereinbarung",
    "meta.draft_date": "Datum des Entwurfs",
    "meta.land": "Bundesland",
    "field_of_work": "Arbeitsfeld(er) der Vereinbarung",
    "model.budget_form": "Form des Budgets",
    "services": "Einbezogene Leistungen (je Leistung: Bereich, Rechtsanspruch, ambulant oder stationär)",
    "services[].category": "Leistungsbereich",
    "services[].claim": "Besteht ein individueller Rechtsanspruch auf die Leistung?",
    "services[].setting": "Form der Leistung (ambulant, teilstationär, stationär oder offenes Angebot)",
    "services[].dimensions": "Dimensionen der Arbeit (fallspezifisch, fallübergreifend, fallunspezifisch)",
    "meta.period.duration_months": "Laufzeit in Monaten (nur wenn Beginn und Ende nicht genau bekannt sind)",
    "budget.period_months": "Budgetzeitraum in Monaten (nur wenn er von der Laufzeit abweicht, z. B. 12 bei "
                            "jährlich neu berechnetem Budget)",
    "meta.identifier": "Aktenzeichen oder Kennung der Vereinbarung",
    "meta.version": "Fassung bzw. Versionsstand des Entwurfs",
    "meta.municipality": "Kommune bzw. Kreis",
    "parties.giver.name": "Budgetgeber (öffentlicher Träger, z. B. Bezirksamt oder Jugendamt)",
    "parties.giver.unit_with_regiekompetenz": "Stelle mit Regiekompetenz (z. B. ASD oder Jugendamt)",
    "sozialraeume": "Sozialräume, für die das Budget gilt",
    "meta.note": "Anmerkung der prüfenden Person zur Vereinbarung (erscheint im Prüfbericht)",
    "clauses.schiedsstelle": "Schiedsstellenfähigkeit",
}
HELP = {
    "clauses.schiedsstelle": "vereinbart = die Schiedsstelle bleibt anrufbar; ausgeschlossen = der Entwurf schließt "
                             "sie aus",
}


def _wording(key: str, description: str) -> tuple[str, str]:
    """(label, help) of a field: the override, else the description; an explanation in parentheses
    that reads like a developer's note ("x: y; ...") becomes the help text."""
    if key in LABELS:
        return LABELS[key], HELP.get(key, "")
    helps = []
    automatic = re.search(r";\s*bei (.+?) automatisch true\Z", description)
    if automatic:  # "...; bei angegebener Begründung automatisch true"
        description = description[: automatic.start()]
        helps.append(f"„ja“ ergibt sich von selbst bei {automatic.group(1)}.")
    meaning_no = re.search(r"\s*\(false: ([^)]*)\)", description)
    if meaning_no:  # "(false: keine Begründung)"
        description = description[: meaning_no.start()] + description[meaning_no.end():]
        helps.insert(0, f"„nein“ heißt: {meaning_no.group(1)}.")
    head, sep, rest = description.partition(" (")
    if sep and ":" in rest and rest.endswith(")"):
        description, _ = head, helps.insert(0, rest[:-1])
    return description, " ".join(helps)


def _question_for(key: str) -> Question:
    """A question for a generic path (not a clause, not a list)."""
    kind, inner, description = field_info(key)
    text, help_text = _wording(key, description)
    if kind == "list_model":  # pragma: no cover - lists of models are handled as lists
        kind = "list"
    q = Question(key=key, kind=kind if kind in ("bool", "enum", "enums", "number", "date", "text", "texts") else "text",
                 label=text, help=help_text)
    if kind in ("enum", "enums"):
        q.options = [(m.value, enum_label(inner, m.value)) for m in inner]
        head, sep, tail = q.label.rpartition(": ")
        values = {m.value for m in inner}
        if sep and key not in LABELS and all(w in values for w in re.split(r",\s*|\s+oder\s+", tail.strip())):
            q.label = head  # "Nachfinanzierung: anspruch, ermessen, keine": the choices show the values
    if kind == "number":
        q.number = "int" if isinstance(inner, type) and issubclass(inner, int) else "float"
    if kind in ("bool", "enum") and silence_at(key) is not None:
        q.absent = True
        if kind == "enum":
            q.options.append((ABSENT, STATUS_LABELS[ABSENT]))
    return q


def _clause_question(name: str) -> Question:
    info = Agreement.model_fields["clauses"]
    _kind, clauses_model = _unwrap(info.annotation)
    clause_info = clauses_model.model_fields[name]
    options = [(m.value, STATUS_LABELS.get(m.value, _humanize(m.value))) for m in ClauseStatus
               if m.value not in _NOT_STATED]
    text, help_text = _wording(f"clauses.{name}", clause_info.description or name)
    return Question(key=f"clauses.{name}", kind="clause", label=text, help=help_text, options=options)


# --------------------------------------------------------------------------- the question plan


def _stated_inputs(path: str) -> list[str]:
    """The stated fields behind a rule path (derived values -> their inputs; counts -> the list)."""
    if path.startswith("conclusions."):
        return []
    if path in DERIVED_INPUTS:
        out = []
        for p in DERIVED_INPUTS[path]:
            out.extend(_stated_inputs(p))
        return out
    coll, sep, rest = path.rpartition("[].")
    if sep and rest in ITEM_DERIVED_INPUTS:
        return [coll + p if p.startswith("[]") else p for p in ITEM_DERIVED_INPUTS[rest]]
    if path.endswith(".count"):
        return [path[: -len(".count")]]
    return [path]


@dataclass
class Plan:
    """Every question the catalogue can ask, in interview order, with look-ups."""

    questions: list[Question]
    by_key: dict[str, Question]
    owner: dict[str, str]  # generic field path -> key of the top-level question asking it

    def question_for_path(self, path: str) -> Optional[Question]:
        """The top-level question that asks a (concrete or generic) field path."""
        generic = re.sub(r"\[\d+\]", "[]", path)
        while generic:
            if generic in self.owner:
                return self.by_key[self.owner[generic]]
            generic = generic.rpartition(".")[0]
            if generic.endswith("[]"):
                generic = generic[:-2]
        return None


def build_plan(catalogue: Catalogue) -> Plan:
    """The interview's questions for ``catalogue`` (computed once per catalogue)."""
    memo = catalogue.memo.get("interview_plan")
    if memo is not None:
        return memo
    reads: dict[str, list[str]] = {}  # generic field path -> rule ids (catalogue order)
    for rule in catalogue.rules:
        for path in rule.paths:
            for stated in _stated_inputs(path):
                ids = reads.setdefault(stated, [])
                if rule.id not in ids:
                    ids.append(rule.id)
    severity = {r.id: r.rule.severity for r in catalogue.rules}
    order = {r.id: i for i, r in enumerate(catalogue.rules)}

    top: dict[str, Question] = {}
    owner: dict[str, str] = {}

    def add_rules(q: Question, ids: list[str]) -> None:
        for rid in ids:
            if rid not in q.rules:
                q.rules.append(rid)

    def list_question(coll: str) -> Question:
        if coll not in top:
            _k, _inner, description = field_info(coll)
            top[coll] = Question(key=coll, kind="list", label=_wording(coll, description)[0])
            owner[coll] = coll
        return top[coll]

    def item_question(coll: str, name: str) -> Question:
        lq = list_question(coll)
        for q in lq.items:
            if q.key == name:
                return q
        q = _question_for(f"{coll}[].{name}")
        q.key = name
        lq.items.append(q)
        owner[f"{coll}[].{name}"] = coll
        return q

    for key in BASICS:
        if _list_of_models(key):
            lq = list_question(key)
            for name in BASIC_ITEM_FIELDS.get(key, ()):
                item_question(key, name)
        else:
            top[key] = _question_for(key)
            owner[key] = key
        add_rules(top[key], reads.get(key, []))

    for path, ids in reads.items():
        if path in owner:
            add_rules(top[owner[path]], ids)
            continue
        if path.startswith("clauses."):
            parts = path.split(".")
            name = parts[1]
            ckey = f"clauses.{name}"
            if ckey not in top:
                top[ckey] = _clause_question(name)
                owner[ckey] = ckey
            clause = top[ckey]
            if len(parts) == 2 or parts[2] == "status":
                add_rules(clause, ids)
                owner[path] = ckey
                continue
            detail_key = ".".join(parts[:3])
            detail = next((d for d in clause.details if d.key == detail_key), None)
            if detail is None:
                detail = _question_for(detail_key)
                clause.details.append(detail)
            add_rules(detail, ids)
            add_rules(clause, ids)
            owner[detail_key] = ckey
            owner[path] = ckey
            continue
        if "[]." in path:
            coll, _, rest = path.partition("[].")
            name = rest.split(".")[0]
            if _list_of_models(coll):
                if not any(q.key == _ITEM_NAME for q in list_question(coll).items) and \
                        _ITEM_NAME in _item_fields(coll):
                    item_question(coll, _ITEM_NAME)
                add_rules(item_question(coll, name), ids)
                add_rules(top[coll], ids)
                owner[path] = coll
                continue
        if _list_of_models(path):
            lq = list_question(path)
            if _ITEM_NAME in _item_fields(path) and not any(q.key == _ITEM_NAME for q in lq.items):
                item_question(path, _ITEM_NAME)
            add_rules(lq, ids)
            continue
        top[path] = _question_for(path)
        owner[path] = path
        add_rules(top[path], ids)

    record = []
    for key in RECORD:
        if key in owner:
            continue  # a rule asks it already
        if _list_of_models(key):
            list_question(key)
            for name in _item_fields(key):
                item_question(key, name)
            record.append(top.pop(key))
        else:
            record.append(_question_for(key))
            owner[key] = key
    for q in record:
        q.section = "record"

    basics = [top[k] for k in BASICS]
    rest = [q for k, q in top.items() if k not in BASICS]
    for q in basics:
        q.section = "basics"
    for q in rest:
        sev = max((severity[r] for r in q.rules), key=lambda s: SEVERITY_ORDER[s], default=Severity.hinweis)
        q.severity = sev
        q.section = sev.value
        q.order = min((order[r] for r in q.rules), default=10**6)
    rest.sort(key=lambda q: (-SEVERITY_ORDER[q.severity or Severity.hinweis], q.order, q.key))
    for q in basics + rest:
        if q.rules:
            q.severity = max((severity[r] for r in q.rules), key=lambda s: SEVERITY_ORDER[s])
    by_key = dict(top)
    by_key.update((q.key, q) for q in record)
    plan = Plan(basics + rest + record, by_key, owner)
    catalogue.memo["interview_plan"] = plan
    return plan


def _item_fields(coll: str) -> list[str]:
    _kind, inner, _d = field_info(coll)
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        return list(inner.model_fields)
    return []


# --------------------------------------------------------------------------- per draft


def started(raw: dict) -> bool:
    """True once the field of work is answered: only then are more than the basics asked."""
    return bool(raw.get("field_of_work"))


def _question_keys(plan: Plan, paths: Any) -> frozenset[str]:
    """Keys of the questions that ask the stated inputs behind rule paths."""
    keys = set()
    for path in paths:
        for stated in _stated_inputs(re.sub(r"\[\d+\]", "[]", path)):
            question = plan.question_for_path(stated)
            if question is not None:
                keys.add(question.key)
    return frozenset(keys)


def applicability_keys(plan: Plan, catalogue: Catalogue, rule_id: str) -> frozenset[str]:
    """Keys of the questions that decide whether rule ``rule_id`` applies at all."""
    memo = catalogue.memo.setdefault("interview_applicability", {})
    if rule_id not in memo:
        rule = catalogue.by_id[rule_id]
        memo[rule_id] = _question_keys(plan, (path for conj in list(rule.applies_true) + list(rule.applies_false)
                                              for lit in conj for path, _key in lit.atoms))
    return memo[rule_id]


def condition_keys(plan: Plan, catalogue: Catalogue, rule_id: str) -> frozenset[str]:
    """Keys of the questions that decide rule ``rule_id``'s condition (not only whether it applies)."""
    memo = catalogue.memo.setdefault("interview_condition", {})
    if rule_id not in memo:
        rule = catalogue.by_id[rule_id]
        memo[rule_id] = _question_keys(plan, (p for p in rule.paths if p not in rule.appl_paths))
    return memo[rule_id]


def asked(plan: Plan, result: Optional[AgreementResult], raw: dict,
          catalogue: Optional[Catalogue] = None) -> list[Question]:
    """The questions to ask now: the basics; once the field of work is known, every question
    with at least one rule that applies. A rule whose applicability is itself still open (the
    Result's applicability questions name it) contributes only the questions that decide its
    applicability, never its inner ones ("applicability first")."""
    out = [q for q in plan.questions if q.section == "basics"]
    record = [q for q in plan.questions if q.section == "record"]
    if not started(raw) or result is None:
        return out
    verdicts = {f.id: f.verdict for f in result.findings}
    open_applicability: set[str] = set()
    if catalogue is not None:
        for question in getattr(result, "questions", None) or []:
            if getattr(question, "kind", "") == "anwendbarkeit":
                open_applicability.update(question.rules)

    def asks(q: Question, rule_id: str) -> bool:
        if verdicts.get(rule_id, Verdict.ungeklaert) == Verdict.nicht_anwendbar:
            return False
        if rule_id in open_applicability and catalogue is not None:
            return q.key in applicability_keys(plan, catalogue, rule_id)
        return True

    for q in plan.questions:
        if q.section not in ("basics", "record") and any(asks(q, r) for r in q.rules):
            out.append(q)
    return out + record


def grouped(questions: list[Question], catalogue: Catalogue) -> list[tuple[Optional[tuple[str, str]], list[Question]]]:
    """The asked questions in blocks: a question of its own, or the questions whose facts one
    provision of a contract regulates (rules/questions.yaml), asked together under the group's
    question where at least two of them are asked. A block stands where its first question stands
    (the most severe first). Returns (group (key, German question) or None, questions) per block."""
    group_of: dict[str, tuple[str, str]] = {}
    for key, facts, ask_de, _ask_en in catalogue.question_groups:
        for fact in facts:
            group_of[fact] = (key, ask_de)
    asked_in: dict[str, int] = {}
    for q in questions:
        g = group_of.get(q.key)
        if g is not None:
            asked_in[g[0]] = asked_in.get(g[0], 0) + 1
    blocks: list[tuple[Optional[tuple[str, str]], list[Question]]] = []
    placed: dict[str, list[Question]] = {}
    for q in questions:
        g = group_of.get(q.key)
        if g is None or asked_in[g[0]] < 2:
            blocks.append((None, [q]))
        elif g[0] in placed:
            placed[g[0]].append(q)
        else:
            placed[g[0]] = [q]
            blocks.append((g, placed[g[0]]))
    return blocks


# --------------------------------------------------------------------------- values


def get(raw: Any, path: str) -> Any:
    """The value at a concrete path ("services[0].claim") of a raw document, or None."""
    node = raw
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path):
        if node is None:
            return None
        if index:
            i = int(index)
            node = node[i] if isinstance(node, list) and i < len(node) else None
        else:
            node = node.get(name) if isinstance(node, dict) else None
    return node


def _parts(path: str) -> list:
    return [int(i) if i else n for n, i in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path)]


def put(raw: dict, path: str, value: Any) -> None:
    """Set (or, for None, remove) the value at a concrete path; creates mappings on the way and
    removes mappings that become empty (never ``meta``)."""
    parts = _parts(path)
    chain: list[Any] = [raw]
    node: Any = raw
    for part, nxt in zip(parts[:-1], parts[1:]):
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                raise KeyError(path)
            child = node[part]
        else:
            child = node.get(part)
            if child is None:
                if value is None:
                    return
                child = [] if isinstance(nxt, int) else {}
                node[part] = child
        node = child
        chain.append(node)
    last = parts[-1]
    if value is None:
        if isinstance(node, dict):
            node.pop(last, None)
    elif isinstance(last, int):
        node[last] = value
    else:
        node[last] = value
    # tidy up: empty mappings left by "noch unbekannt"
    for depth in range(len(parts) - 1, 0, -1):
        parent, key = chain[depth - 1], parts[depth - 1]
        child = chain[depth]
        if isinstance(child, dict) and not child and not isinstance(key, int) and not (depth == 1 and key == "meta"):
            parent.pop(key, None)
        else:
            break


def parse_input(kind: str, text: str, number: str = "") -> Any:
    """A typed value from what was typed into a field, read as the loader reads text in a file
    (checker.forgiving: ``02.11.2026``, ``1.850.000``, ``12,5``, ``ja``); what cannot be read
    unambiguously stays text, so that the loader's own message says what is wrong with it."""
    from checker.forgiving import _scalar

    text = text.strip()
    if text == UNKNOWN:
        return None
    if kind == "number":
        problems: list = []
        value = _scalar(number or "float", None, text, (), problems)
        return text if problems or isinstance(value, str) else value
    if kind == "date":
        if re.match(r"\d{4}-\d{2}-\d{2}\Z", text):
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                return text
        value = _scalar("date", None, text, (), [])
        return value
    if kind == "bool":
        return {"true": True, "false": False}.get(text, text)  # "fehlt" stays: the loader decides
    return text


def show(kind: str, value: Any) -> str:
    """What a stored value looks like in its form field (German forms: 02.11.2026, 12,5)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value).replace(".", ",")
    if isinstance(value, dt.date):
        return f"{value.day:02d}.{value.month:02d}.{value.year:04d}"
    if isinstance(value, Enum):
        return value.value
    return str(value)


def typing_hint(kind: str, number: str = "") -> str:
    """The placeholder of a field: the form the loader reads, in German."""
    if kind == "number":
        return "ganze Zahl, z. B. 36" if number == "int" else "Zahl, z. B. 1.850.000 oder 12,5"
    return {"date": "TT.MM.JJJJ, z. B. 01.01.2027"}.get(kind, "")
