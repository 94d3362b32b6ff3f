"""From an Agreement to engine facts, and the registry of paths rules may test.

The agreement becomes a handful of flat facts (durable_rules matches flat
fields best and refuses facts with more than ~200 properties):

* one ``agreement`` fact with every scalar outside ``clauses`` and outside lists,
  flattened with ``__`` (``budget.amount_per_year`` -> ``budget__amount_per_year``),
  plus the ``derived`` values below;
* one ``clause`` fact per clause (``fn`` = clause name);
* one ``item`` fact per element of a list of objects (``fc`` = collection path,
  ``fi`` = index);
* conclusions of rules are asserted as ``conclusion`` facts during evaluation.

A value that is not stated is left out of its fact: every test on it is then
neither true nor false, and the rule comes out *ungeklärt*. A clause with
``status: unbekannt`` (the default) has no ``status`` key for the same reason;
``fehlt`` (the draft is silent on it) is a stated value like ``ausgeschlossen``.

Lists of enum values become one boolean per allowed value (``field_of_work``
stated as ``[kinder_jugendhilfe]`` gives ``field_of_work__kinder_jugendhilfe:
true`` and ``field_of_work__eingliederungshilfe: false``); any stated list gets
a ``<path>.count``. Free text is never passed to the engine: rules can only ask
whether it is stated (operator ``stated``).
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import Any, Iterator, Optional

from pydantic import BaseModel

from checker.model import ABSENT, Agreement, ClauseStatus, silence_of
from checker.regime import Regime

# Reserved fact keys (never used by the model): fact kind, clause name,
# collection, item index, conclusion value. ``id`` and ``sid`` belong to the engine.
FACT_KIND = "fk"
CLAUSE_NAME = "fn"
COLLECTION = "fc"
INDEX = "fi"
RESERVED_KEYS = frozenset({FACT_KIND, CLAUSE_NAME, COLLECTION, INDEX, "id", "sid", "value"})
SEP = "__"
EXCLUDED_TOP = frozenset({"waivers", "format_version"})
_NOT_ON_AGREEMENT = EXCLUDED_TOP | {"clauses"}  # fields the agreement fact leaves out
MAX_FACT_PROPERTIES = 150
# Items whose amount is also stated as a share of the budget get the derived
# ``share_of_total_percent`` (amount / budget.amount_per_year * 100), so that a
# rule can compare stated share and stated amount within the item itself.
SHARE_COLLECTIONS = ("budget.teilbudgets", "budget.earmarks")  # durable_rules errors at ~255 and crashes above


@dataclass(frozen=True)
class FieldSpec:
    """One path a rule condition may test."""

    path: str  # model path; for item fields relative to the item ("kind")
    fact: str  # "agreement", "clause:<name>", "item:<collection>", "conclusion:<name>"
    key: str  # key in the fact
    type: str  # "bool" | "number" | "date" | "enum" | "text" | "member"
    values: tuple[str, ...] = ()  # allowed enum values
    description: str = ""


@dataclass(frozen=True)
class Collection:
    path: str  # "budget.teilbudgets"
    count_key: str  # key of its count on the agreement fact
    fields: dict[str, FieldSpec]  # relative path -> spec


DERIVED = {
    "derived.reference_date": ("date", "Stichtag: Laufzeitbeginn, sonst Unterzeichnung, sonst Entwurfsdatum, "
                               "sonst der 1.1. des Jahres des Laufzeitbeginns"),
    "derived.term_last_date": (
        "date", "Letzter Tag der Laufzeit, sonst der Stichtag (für Regeln, die erst ab einem Datum gelten)"),
    "derived.period_months": ("number", "Laufzeit in vollen Monaten"),
    "derived.budget_period_months": ("number", "Budgetzeitraum in Monaten: budget.period_months, sonst die Laufzeit"),
    "derived.teilbudgets_amount_sum": ("number", "Summe der Teilbudget-Beträge (wenn alle angegeben)"),
    "derived.teilbudgets_share_sum": ("number", "Summe der Teilbudget-Anteile in Prozent (wenn alle angegeben)"),
    "derived.payout_share_sum": (
        "number",
        "Unbedingter plus bedingte Auszahlungsanteile in Prozent (wenn alle angegeben)",
    ),
    "derived.earmark_share_sum": ("number", "Summe der Zweckbindungs-Anteile in Prozent (wenn alle angegeben)"),
    "derived.taker_kinds_count": ("number", "Anzahl verschiedener Trägerarten unter den Budgetnehmern"),
    "derived.wertorientierungen_count": ("number", "Anzahl verschiedener Wertorientierungen der Budgetnehmer"),
    "derived.vernetzung_share": ("number", "Zweckgebundener Anteil für Vernetzung in Prozent (Summe)"),
    # "Some item of a list has X" as one value on the agreement fact: a rule that tested two such
    # items directly would join the list with itself (or with another list) in the engine, whose
    # cost grows with the product of the list lengths; check_safe refuses that shape.
    "derived.services_subjektbezogen": ("bool", "Mindestens eine Leistung ist subjektbezogen (Rechtsanspruch)"),
    "derived.services_objektbezogen": ("bool", "Mindestens eine Leistung ist objektbezogen (Infrastruktur)"),
    "derived.services_sajf_sha": ("bool", "Mindestens eine Leistung ist ein SAJF/SHA-Angebot"),
    # Facts that follow from the structure of the model, whatever field records them (issue 10):
    "derived.access_restricted": (
        "bool",
        "Zugang anderer Träger beschränkt: Exklusivität oder eine vorrangige Fallzuweisungsquote für die "
        "Budgetnehmer (false: Exklusivität ausdrücklich nein und keine Quote über 0 %)",
    ),
    "derived.choice_restricted_by_quota": (
        "bool",
        "Eine vorrangige Fallzuweisungsquote für die Budgetnehmer lenkt Fälle an der Wahl vorbei (true: Quote "
        "über 0 %; false: keine Quote angegeben oder 0 %)",
    ),
    "derived.choice_limited_to_budget_holders": (
        "bool",
        "Die Wahl ist auf die Budgetnehmer beschränkt: ausdrücklich angegeben (true/false), sonst false, wenn "
        "eine Öffnungsklausel vereinbart ist (sie öffnet die Wahl über die Budgetnehmer hinaus)",
    ),
    "derived.provider_decides_on_granting": (
        "bool",
        "Leistungserbringer entscheiden über die Gewährung: ausdrücklich angegeben, die Entscheidung des "
        "öffentlichen Trägers über jede Hilfe ausgeschlossen, Gewährung und Leistungserbringung nicht getrennt "
        "(Rollentrennung ausgeschlossen), oder die Stelle mit Regiekompetenz ist ein Budgetnehmer",
    ),
    # Closed-world on purpose: true only when the services are listed and none carries an individual claim
    # (resp. none is granted by a decision); otherwise false, so the protective rules for individual claims
    # stay applicable when the services are not described.
    "derived.infrastructure_only": (
        "bool", "Nur Infrastrukturleistungen: Leistungen angegeben, alle objektbezogen (kein individueller "
        "Rechtsanspruch, z. B. § 11 SGB VIII); sonst false"),
    "derived.no_granted_aid": (
        "bool", "Keine Hilfe, über die der öffentliche Träger im Einzelfall entscheidet: Leistungen angegeben, alle "
        "objektbezogen oder Erziehungsberatung u. a. mit direktem Zugang (§ 36a Abs. 2 SGB VIII); sonst false"),
}


# --------------------------------------------------------------------------- type helpers


def _unwrap(annotation: Any) -> tuple[str, Any]:
    """Classify an annotation: ('model'|'list'|'enum'|'bool'|'number'|'date'|'text', inner)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _unwrap(args[0])
    if origin is list:
        return "list", typing.get_args(annotation)[0]
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return "model", annotation
        if issubclass(annotation, Enum):
            return "enum", annotation
        if issubclass(annotation, bool):
            return "bool", annotation
        if issubclass(annotation, (int, float)):
            return "number", annotation
        if issubclass(annotation, dt.date):
            return "date", annotation
        if issubclass(annotation, str):
            return "text", annotation
    raise TypeError(f"unsupported annotation {annotation!r}")


def _walk_fields(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, str, Any, str]]:
    """Yield (path, kind, inner, description) for every field below a model, not entering lists."""
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        kind, inner = _unwrap(info.annotation)
        if kind == "model":
            yield from _walk_fields(inner, path + ".")
        else:
            yield path, kind, inner, info.description or ""


def _specs_for(model: type[BaseModel], fact: str, prefix: str = "", key_prefix: str = "") -> Iterator[FieldSpec]:
    for path, kind, inner, desc in _walk_fields(model):
        key = key_prefix + path.replace(".", SEP)
        full = prefix + path
        if kind == "list":
            yield FieldSpec(full + ".count", fact, key + SEP + "count", "number", (), f"Anzahl: {desc}")
            inner_kind, inner_type = _unwrap(inner)
            if inner_kind == "enum":
                values = tuple(v.value for v in inner_type)
                yield FieldSpec(full, fact, key, "member", values, desc)
            continue
        values = tuple(v.value for v in inner) if kind == "enum" else ()
        yield FieldSpec(full, fact, key, kind, values, desc)


@dataclass(frozen=True)
class Registry:
    fields: dict[str, FieldSpec]  # absolute paths (agreement and clause facts, derived)
    collections: dict[str, Collection]
    clause_names: tuple[str, ...]

    def lookup(self, path: str) -> Optional[FieldSpec]:
        return self.fields.get(path)


@lru_cache(maxsize=1)
def registry() -> Registry:
    fields: dict[str, FieldSpec] = {}
    collections: dict[str, Collection] = {}
    clause_model = Agreement.model_fields["clauses"].annotation
    clause_names = tuple(clause_model.model_fields)
    for name in clause_names:
        model = _unwrap(clause_model.model_fields[name].annotation)[1]
        for spec in _specs_for(model, f"clause:{name}", prefix=f"clauses.{name}."):
            fields[spec.path] = spec
    for path, kind, inner, desc in _walk_fields(Agreement):
        top = path.split(".")[0]
        if top in EXCLUDED_TOP or top == "clauses":
            continue
        key = path.replace(".", SEP)
        if kind == "list":
            inner_kind, inner_type = _unwrap(inner)
            fields[path + ".count"] = FieldSpec(path + ".count", "agreement", key + SEP + "count", "number",
                                                (), f"Anzahl: {desc}")
            if inner_kind == "model":
                coll_fields = {s.path: s for s in _specs_for(inner_type, f"item:{path}")}
                if path in SHARE_COLLECTIONS:
                    coll_fields["share_of_total_percent"] = FieldSpec(
                        "share_of_total_percent", f"item:{path}", "share_of_total_percent", "number", (),
                        "Abgeleitet: Betrag in Prozent von budget.amount_per_year")
                collections[path] = Collection(path, key + SEP + "count", coll_fields)
            elif inner_kind == "enum":
                fields[path] = FieldSpec(path, "agreement", key, "member",
                                         tuple(v.value for v in inner_type), desc)
            continue
        values = tuple(v.value for v in inner) if kind == "enum" else ()
        fields[path] = FieldSpec(path, "agreement", key, kind, values, desc)
    for path, (kind, desc) in DERIVED.items():
        fields[path] = FieldSpec(path, "agreement", path.replace(".", SEP), kind, (), desc)
    return Registry(fields, collections, clause_names)


# --------------------------------------------------------------------------- values


def date_number(value: dt.date) -> int:
    """Dates become YYYYMMDD integers: ordered like the dates, readable in evidence."""
    return value.year * 10000 + value.month * 100 + value.day


def _scalar(value: Any) -> Any:
    kind = type(value)  # the common exact types first; subclasses take the general path below
    if kind is str:
        return True  # free text: only "stated" is visible to rules
    if kind is bool or kind is int or kind is float:
        return value
    if isinstance(value, Enum):
        return value._value_
    if isinstance(value, bool):
        return value
    if isinstance(value, dt.date):
        return date_number(value)
    if isinstance(value, (int, float)):
        return value
    return True  # free text: only "stated" is visible to rules


@lru_cache(maxsize=None)
def _plan(cls: type[BaseModel]) -> tuple[tuple[str, str, Any, Optional[str], Any], ...]:
    """(field name, kind, inner type, list item kind, list item type) per field of a model class, once."""
    out = []
    for name, info in cls.model_fields.items():
        kind, inner = _unwrap(info.annotation)
        item_kind, item_type = _unwrap(inner) if kind == "list" else (None, None)
        out.append((name, kind, inner, item_kind, item_type))
    return tuple(out)


@lru_cache(maxsize=None)
def _silences(cls: type[BaseModel]) -> dict[str, Any]:
    """Field name -> what the rules read when the draft is silent on it (``fehlt``), per model class."""
    out = {}
    for name, info in cls.model_fields.items():
        found = silence_of(info.annotation)
        if found is not None:
            out[name] = found.value
    return out


def silent(value: Any, silence: Any) -> Any:
    """A fact's value as the rules read it: ``fehlt`` (the draft is silent) reads as ``silence``."""
    return silence if value == ABSENT else value


@lru_cache(maxsize=None)
def _members(enum_type: type[Enum]) -> tuple[str, ...]:
    return tuple(m.value for m in enum_type)


_MISSING = object()
_NOT_SILENT = object()


@lru_cache(maxsize=None)
def _steps(cls: type[BaseModel], key_prefix: str, path_prefix: str, skip: frozenset[str],
           keep: Optional[frozenset[str]]) -> tuple[tuple, ...]:
    """What :func:`_flatten` does with each field of ``cls`` at one place of the facts, worked out once:
    ``(0, name, class, key prefix, path prefix)`` a model (recurse), ``(1, name, count key, ((key,
    member), ...))`` a list of enum values, ``(2, name, count key, path)`` a list of models, ``(3, name,
    count key)`` another list, ``(4, name, key, silence)`` a scalar. Keys outside ``keep`` (when given) are
    left out: ``None`` instead of a count key, no step for a scalar."""
    silences = _silences(cls)
    steps = []
    for name, kind, inner, inner_kind, inner_type in _plan(cls):
        if name in skip:
            continue
        key = key_prefix + name
        if kind == "model":
            steps.append((0, name, inner, key + SEP, path_prefix + name + "."))
            continue
        if kind == "list":
            count = key + SEP + "count"
            count = count if keep is None or count in keep else None
            if inner_kind == "enum":
                members = tuple((key + SEP + member, member) for member in _members(inner_type)
                                if keep is None or key + SEP + member in keep)
                steps.append((1, name, count, members))
            elif inner_kind == "model":
                steps.append((2, name, count, path_prefix + name))
            elif count is not None:
                steps.append((3, name, count))
            continue
        if keep is None or key in keep:
            steps.append((4, name, key, silences.get(name, _NOT_SILENT)))
    return tuple(steps)


def _flatten(model: Optional[BaseModel], cls: type[BaseModel], out: dict, key_prefix: str = "",
             items: Optional[list[tuple[str, int, BaseModel]]] = None, path_prefix: str = "",
             skip: frozenset[str] = frozenset(), keep: Optional[frozenset[str]] = None) -> None:
    """Write the stated scalars of ``model`` into ``out``; collect list items into ``items``.
    With ``keep``, only keys in it are written."""
    if model is None:
        return
    values = model.__dict__  # pydantic keeps field values here
    for step in _steps(cls, key_prefix, path_prefix, skip, keep):
        name = step[1]
        value = values.get(name, _MISSING)
        if value is _MISSING:
            value = getattr(model, name)
        if value is None:
            continue
        code = step[0]
        if code == 4:
            kind = type(value)
            if kind is bool or kind is int or kind is float:
                out[step[2]] = value
            elif kind is str:  # free text: only "stated" is visible to rules; the draft silent: what silence means
                out[step[2]] = step[3] if value == ABSENT and step[3] is not _NOT_SILENT else True
            else:
                out[step[2]] = _scalar(value)
        elif code == 0:
            _flatten(value, step[2], out, step[3], items, step[4], keep=keep)
        else:
            if step[2] is not None:
                out[step[2]] = len(value)
            if code == 1:
                if step[3]:
                    present = {v.value for v in value}
                    for key, member in step[3]:
                        out[key] = member in present
            elif code == 2 and items is not None:
                path = step[3]
                items.extend((path, i, v) for i, v in enumerate(value))


def _sum_if_complete(values: list[Optional[float]]) -> Optional[float]:
    if not values or any(v is None for v in values):
        return None
    return round(sum(values), 6)


def _months(start: dt.date, end: dt.date) -> int:
    """Full months from ``start`` up to and including ``end`` (1.1.2024-31.12.2026 = 36)."""
    if end == dt.date.max:  # the day after 9999-12-31 is not a date; count to 10000-01-01
        after_year, after_month, after_day = end.year + 1, 1, 1
    else:
        after = end + dt.timedelta(days=1)
        after_year, after_month, after_day = after.year, after.month, after.day
    return (after_year - start.year) * 12 + after_month - start.month - (1 if after_day < start.day else 0)


# derived path -> (collection, item field, value) of the "some item has X" values above
SOME_DERIVED = {
    "derived.services_subjektbezogen": ("services", "claim", "subjektbezogen"),
    "derived.services_objektbezogen": ("services", "claim", "objektbezogen"),
    "derived.services_sajf_sha": ("services", "category", "sajf_sha"),
}


def _some(items: list, field: str, value: str) -> Optional[bool]:
    """Three-valued "some item has ``field == value``": True if one has, False if every item states
    the field and none has the value, None (unknown) otherwise -- as ``some`` in a rule condition."""
    stated = True
    for item in items:
        got = getattr(item, field, None)
        if got is None:
            stated = False
        elif (got.value if isinstance(got, Enum) else got) == value:
            return True
    return False if stated else None


def _claim_scope(items: list) -> tuple[bool, bool]:
    """(infrastructure_only, no_granted_aid) of the listed services (closed-world, see DERIVED)."""
    if not items:
        return False, False
    claims = [item.claim.value if item.claim else None for item in items]
    categories = [item.category.value if item.category else None for item in items]
    infrastructure = all(c == "objektbezogen" for c in claims)
    no_decision = all(c == "objektbezogen" or (c == "subjektbezogen" and k == "erziehungsberatung")
                      for c, k in zip(claims, categories))
    return infrastructure, no_decision


def _name(text: Optional[str]) -> str:
    return " ".join(text.split()).casefold() if text else ""


def provider_decides_on_granting(agreement: Agreement) -> Optional[bool]:
    """Whether providers decide on granting aid (the public body then does not keep the
    Regiekompetenz), from every structured field that can record it, whatever the field:

    * ``public_body_decides.provider_decides_on_granting: true`` (stated as such);
    * ``public_body_decides.status: ausgeschlossen`` (the draft excludes or contradicts that the
      public body decides on every aid);
    * ``role_separation.status: ausgeschlossen`` (granting and provision in one hand);
    * ``parties.giver.unit_with_regiekompetenz`` names a budget holder (the same name as one of
      ``parties.takers``, compared ignoring case and spacing: the unit that directs is a provider).

    False where ``provider_decides_on_granting`` is false or ``fehlt`` (the draft grants no such
    right) and nothing above says otherwise; None (unknown) else. Free text (notes, wording) is not
    read: see cases/REVIEW.md (J2)."""
    clauses = agreement.clauses
    stated = silent(clauses.public_body_decides.provider_decides_on_granting, False)
    giver = agreement.parties.giver if agreement.parties else None
    takers = agreement.parties.takers if agreement.parties else None
    unit = _name(giver.unit_with_regiekompetenz if giver else None)
    if (stated is True or clauses.public_body_decides.status == ClauseStatus.ausgeschlossen
            or clauses.role_separation.status == ClauseStatus.ausgeschlossen
            or (unit and any(_name(t.name) == unit for t in takers or []))):
        return True
    return False if stated is False else None


def derived_values(agreement: Agreement) -> dict[str, Any]:
    out: dict[str, Any] = {}
    period = agreement.meta.period
    regime = Regime.of(agreement)
    if regime.start:
        out["reference_date"] = date_number(regime.start)
        out["term_last_date"] = date_number(regime.last)
    if period and period.start and period.end and period.end >= period.start:
        out["period_months"] = _months(period.start, period.end)
    elif period and period.duration_months is not None:
        out["period_months"] = period.duration_months
    budget = agreement.budget
    if budget and budget.period_months is not None:
        out["budget_period_months"] = budget.period_months
    elif "period_months" in out:
        out["budget_period_months"] = out["period_months"]
    if budget and budget.teilbudgets is not None:
        parts = [t for t in budget.teilbudgets if t.part_of_total is not False]
        amount = _sum_if_complete([t.amount for t in parts])
        share = _sum_if_complete([t.share_percent for t in parts])
        if amount is not None:
            out["teilbudgets_amount_sum"] = amount
        if share is not None:
            out["teilbudgets_share_sum"] = share
    payout = budget.payout if budget else None
    if payout and payout.unconditional_share_percent is not None:
        # the sum is known only when the list of conditional shares is stated (an empty list counts)
        if payout.conditional_shares is not None:
            total = _sum_if_complete([payout.unconditional_share_percent]
                                     + [c.share_percent for c in payout.conditional_shares])
            if total is not None:
                out["payout_share_sum"] = total
        elif payout.unconditional_share_percent >= 100:  # everything is paid unconditionally
            out["payout_share_sum"] = payout.unconditional_share_percent
    if budget and budget.earmarks is not None:
        total = _sum_if_complete([e.share_percent for e in budget.earmarks])
        if total is not None:
            out["earmark_share_sum"] = total
        vernetzung = [e.share_percent for e in budget.earmarks if e.purpose and e.purpose.value == "vernetzung"]
        if vernetzung and all(v is not None for v in vernetzung):
            out["vernetzung_share"] = round(sum(vernetzung), 6)
        elif not vernetzung and all(e.purpose is not None for e in budget.earmarks):
            out["vernetzung_share"] = 0
    services = agreement.services
    if services is not None:
        for path, (_collection, field, value) in SOME_DERIVED.items():
            found = _some(services, field, value)
            if found is not None:
                out[path.removeprefix("derived.")] = found
    out["infrastructure_only"], out["no_granted_aid"] = _claim_scope(services or [])
    access = agreement.clauses.provider_access
    quota = silent(access.referral_quota_percent, 0)  # silence sets no quota
    exclusivity = silent(access.exclusivity, False)  # silence promises no exclusivity
    if exclusivity is True or (quota is not None and quota > 0):
        out["access_restricted"] = True
    elif exclusivity is False:
        out["access_restricted"] = False
    out["choice_restricted_by_quota"] = quota is not None and quota > 0
    choice = agreement.clauses.choice_of_provider
    limited = silent(choice.limited_to_budget_holders, False)  # silence sets no limit
    if limited is not None:
        out["choice_limited_to_budget_holders"] = limited
    elif choice.opening_clause is True:
        out["choice_limited_to_budget_holders"] = False
    decides = provider_decides_on_granting(agreement)
    if decides is not None:
        out["provider_decides_on_granting"] = decides
    takers = agreement.parties.takers if agreement.parties else None
    if takers:
        if all(t.kind is not None for t in takers):
            out["taker_kinds_count"] = len({t.kind for t in takers})
        if all(t.wertorientierung for t in takers):
            out["wertorientierungen_count"] = len({t.wertorientierung.strip().lower() for t in takers})
    return {f"derived{SEP}{k}": v for k, v in out.items()}


# Values implied by other stated values, used where the format's own field is not stated:
# model path -> (fact key, value, the stated inputs, why). The evidence shows the derivation.
IMPLIED_NOTES = {
    "budget.payout.conditional_shares": (
        "keine (abgeleitet: der unbedingte Anteil beträgt 100 %)",
        "none (derived: the unconditional share is 100 %)",
        ["budget.payout.unconditional_share_percent"],
    ),
}


def implied_values(agreement: Agreement) -> dict[str, Any]:
    """Engine facts implied by other stated facts (only where the field itself is not stated)."""
    out: dict[str, Any] = {}
    payout = agreement.budget.payout if agreement.budget else None
    if payout and payout.conditional_shares is None and (payout.unconditional_share_percent or 0) >= 100:
        out[f"budget{SEP}payout{SEP}conditional_shares{SEP}count"] = 0  # 100 % unconditional: none
    return out


def implied_paths(agreement: Agreement) -> set[str]:
    """The model paths of :func:`implied_values` that apply to ``agreement``."""
    keys = implied_values(agreement)
    return {path for path in IMPLIED_NOTES if path.replace(".", SEP) + SEP + "count" in keys}


@lru_cache(maxsize=1)
def _clause_names() -> tuple[str, ...]:
    """``registry().clause_names``, without building the whole registry."""
    return tuple(Agreement.model_fields["clauses"].annotation.model_fields)


def build_facts(agreement: Agreement, keep: Optional[frozenset[str]] = None) -> list[dict[str, Any]]:
    """All data facts of one agreement (without ``sid``; the engine adds it). With ``keep``, only
    the properties in it (the engine sends no property that no rule reads; see engine.fact_keys)."""
    main: dict[str, Any] = {FACT_KIND: "agreement"}
    items: list[tuple[str, int, BaseModel]] = []
    _flatten(agreement, Agreement, main, items=items, skip=_NOT_ON_AGREEMENT, keep=keep)
    for key, value in derived_values(agreement).items():
        if keep is None or key in keep:
            main[key] = value
    for key, value in implied_values(agreement).items():
        if keep is None or key in keep:
            main.setdefault(key, value)
    facts = [main]
    clauses = agreement.clauses
    for name in _clause_names():
        clause = getattr(clauses, name)
        fact: dict[str, Any] = {FACT_KIND: "clause", CLAUSE_NAME: name}
        _flatten(clause, type(clause), fact, keep=keep)
        if clause.status == ClauseStatus.unbekannt:
            fact.pop("status", None)
        facts.append(fact)
    total = agreement.budget.amount_per_year if agreement.budget else None
    for path, index, item in items:
        fact = {FACT_KIND: "item", COLLECTION: path, INDEX: index}
        _flatten(item, type(item), fact, keep=keep)
        amount = getattr(item, "amount", None) if path in SHARE_COLLECTIONS else None
        if path in SHARE_COLLECTIONS and amount is not None and total and (keep is None or "share_of_total_percent" in keep):
            fact["share_of_total_percent"] = round(amount / total * 100, 6)
        facts.append(fact)
    for fact in facts:
        if len(fact) > MAX_FACT_PROPERTIES:
            raise RuntimeError(f"fact {fact.get(FACT_KIND)} has {len(fact)} properties")
    return facts


def describe_paths() -> str:
    """Every path a rule condition may test, with its type and allowed values (for rule authors)."""
    reg = registry()
    lines = []
    for spec in sorted(reg.fields.values(), key=lambda s: s.path):
        values = f" [{', '.join(spec.values)}]" if spec.values else ""
        lines.append(f"{spec.path}: {spec.type}{values}  # {spec.description}")
    for coll in sorted(reg.collections.values(), key=lambda c: c.path):
        lines.append(f"{coll.path}: Liste (some/every/none), Elementfelder:")
        for spec in coll.fields.values():
            values = f" [{', '.join(spec.values)}]" if spec.values else ""
            lines.append(f"    {spec.path}: {spec.type}{values}  # {spec.description}")
    return "\n".join(lines)


if __name__ == "__main__":  # python -m checker.facts
    print(describe_paths())
