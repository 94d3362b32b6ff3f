"""The condition language of rule files, and its three-valued compilation.

A condition is YAML data::

    all: [C, ...]            any: [C, ...]            not: C
    some:  {collection: budget.teilbudgets, where: C}   # at least one item
    every: {collection: budget.teilbudgets, where: C}   # every item (true for none)
    none:  {collection: budget.teilbudgets, where: C}   # no item
    {path: P, OP: OPERAND}   # OP: eq ne in not_in lt lte gt gte contains stated
    {conclusion: NAME, is: true|false}                  # intermediate finding of another rule

An operand is a literal (number, true/false, enum value, date), ``{ref: PATH}``,
``{param: NAME}`` (from ``rules/parameters.yaml``) or arithmetic
``{add: [A, B]}``, ``{mul: [A, B]}``, ``{div: [A, B]}`` over operands.

Every condition is three-valued: a test on a value that is not stated is
neither true nor false. The compiler turns a condition into two lists of
conjunctions (DNF), one that proves it true and one that proves it false; each
conjunction becomes one durable_rules rule. A rule whose true-part fires is
*erfüllt*, whose false-part fires is *verletzt*; if neither fires it is
*ungeklärt*. Inside ``where`` each item is one fact, so the item condition is
compiled into a single fact test in four modes (true, false, not-true,
not-false) and quantifiers use durable_rules' negation (``$not``) for "no item
such that ...".

Shapes durable_rules cannot run safely are refused here: subtraction and
negative constants in arithmetic (they crash the engine), comparisons between
text, nested quantifiers, more than three positive quantifiers over one list
in one conjunction, and conditions whose DNF grows beyond ``MAX_CONJUNCTS``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import itertools
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Optional

from checker.facts import Collection, FieldSpec, Registry, date_number

OPS = ("eq", "ne", "in", "not_in", "lt", "lte", "gt", "gte", "contains", "stated")
ORDER_OPS = {"lt": "$lt", "lte": "$lte", "gt": "$gt", "gte": "$gte"}
NEGATE_ORDER = {"lt": "gte", "lte": "gt", "gt": "lte", "gte": "lt"}
MIRROR_ORDER = {"lt": "gt", "lte": "gte", "gt": "lt", "gte": "lte", "eq": "eq", "ne": "ne"}
ARITH = {"add": "$add", "mul": "$mul", "div": "$div"}
MAX_CONJUNCTS = 64
MAX_QUANTIFIERS_PER_COLLECTION = 3

ALWAYS: dict = {}  # no constraint
NEVER = None  # cannot be proven


class ConditionError(ValueError):
    """A condition that is malformed or that the engine cannot run safely."""

    def __init__(self, where: str, message: str):
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


# --------------------------------------------------------------------------- parsed tree


@dataclass(frozen=True)
class Operand:
    kind: str  # "literal" | "ref" | "arith"
    value: Any = None  # literal value (already in fact form)
    spec: Optional[FieldSpec] = None  # for refs
    item_ref: bool = False  # ref to a field of the quantified item
    op: str = ""  # for arith
    args: tuple["Operand", ...] = ()

    def refs(self) -> Iterable["Operand"]:
        if self.kind == "ref":
            yield self
        for arg in self.args:
            yield from arg.refs()


@dataclass(frozen=True)
class Atom:
    spec: FieldSpec
    op: str
    operand: Optional[Operand]  # None for "stated"; literal list for in/not_in
    where: str  # location inside the rule, for messages
    path: str  # the path as written (absolute, or relative inside a quantifier)
    item: bool = False  # tests a field of the quantified item


@dataclass(frozen=True)
class ConclusionTest:
    name: str
    value: bool
    where: str


@dataclass(frozen=True)
class Junction:
    kind: str  # "all" | "any" | "not"
    children: tuple


@dataclass(frozen=True)
class Quantifier:
    kind: str  # "some" | "every" | "none"
    collection: Collection
    where_cond: Any  # tree of Atom / Junction over item fields
    where: str


# --------------------------------------------------------------------------- parsing


def _suggest(word: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (meinten Sie '{close[0]}'?)" if close else ""


class Parser:
    def __init__(self, registry: Registry, parameters: dict[str, float], conclusions: set[str]):
        self.registry = registry
        self.parameters = parameters
        self.conclusions = conclusions
        self.used_conclusions: set[str] = set()

    def parse(self, data: Any, where: str, item: Optional[Collection] = None) -> Any:
        if not isinstance(data, dict) or not data:
            raise ConditionError(where, "eine Bedingung muss eine nicht leere Abbildung sein")
        keys = set(data)
        if keys & {"all", "any"}:
            if len(keys) != 1:
                raise ConditionError(where, f"'{next(iter(keys & {'all', 'any'}))}' steht allein")
            kind = next(iter(keys))
            children = data[kind]
            if not isinstance(children, list) or not children:
                raise ConditionError(f"{where}.{kind}", "erwartet eine nicht leere Liste von Bedingungen")
            return Junction(kind, tuple(self.parse(c, f"{where}.{kind}[{i}]", item) for i, c in enumerate(children)))
        if "not" in keys:
            if len(keys) != 1:
                raise ConditionError(where, "'not' steht allein")
            return Junction("not", (self.parse(data["not"], f"{where}.not", item),))
        if keys & {"some", "every", "none"}:
            if len(keys) != 1:
                raise ConditionError(where, "ein Quantor steht allein")
            kind = next(iter(keys))
            return self._quantifier(kind, data[kind], f"{where}.{kind}", item)
        if "conclusion" in keys:
            return self._conclusion(data, where, item)
        if "path" in keys:
            return self._atom(data, where, item)
        raise ConditionError(
            where, f"unbekannte Bedingung mit Schlüsseln {sorted(keys)}; erwartet all/any/not/some/every/none/path/conclusion"
        )

    def _quantifier(self, kind: str, data: Any, where: str, item: Optional[Collection]) -> Quantifier:
        if item is not None:
            raise ConditionError(where, "verschachtelte Quantoren kann die Engine nicht sicher auswerten")
        if not isinstance(data, dict) or set(data) - {"collection", "where"} or "collection" not in data:
            raise ConditionError(where, "erwartet {collection: PFAD, where: BEDINGUNG}")
        coll = self.registry.collections.get(data["collection"])
        if coll is None:
            raise ConditionError(
                f"{where}.collection",
                f"unbekannte Liste '{data['collection']}'{_suggest(str(data['collection']), self.registry.collections)}",
            )
        cond = self.parse(data["where"], f"{where}.where", coll) if "where" in data else Junction("all", ())
        return Quantifier(kind, coll, cond, where)

    def _conclusion(self, data: dict, where: str, item: Optional[Collection]) -> ConclusionTest:
        if item is not None:
            raise ConditionError(where, "Zwischenergebnisse sind innerhalb von 'where' nicht erlaubt")
        if set(data) != {"conclusion", "is"} or not isinstance(data["is"], bool):
            raise ConditionError(where, "erwartet {conclusion: NAME, is: true|false}")
        name = data["conclusion"]
        if name not in self.conclusions:
            raise ConditionError(where, f"kein Zwischenergebnis '{name}'{_suggest(str(name), self.conclusions)}")
        self.used_conclusions.add(name)
        return ConclusionTest(name, data["is"], where)

    def _resolve(self, path: Any, where: str, item: Optional[Collection]) -> tuple[FieldSpec, bool]:
        if not isinstance(path, str):
            raise ConditionError(where, "ein Pfad muss ein Text sein")
        if item is not None and path in item.fields:
            return item.fields[path], True
        spec = self.registry.lookup(path)
        if spec is None:
            options = list(self.registry.fields) + (list(item.fields) if item else [])
            if path in self.registry.collections:
                raise ConditionError(where, f"'{path}' ist eine Liste: some/every/none oder '{path}.count' verwenden")
            raise ConditionError(where, f"unbekannter Pfad '{path}'{_suggest(path, options)}")
        return spec, False

    def _atom(self, data: dict, where: str, item: Optional[Collection]) -> Atom:
        ops = [k for k in data if k != "path"]
        if len(ops) != 1 or ops[0] not in OPS:
            raise ConditionError(where, f"erwartet genau einen Operator aus {', '.join(OPS)}; gefunden {ops}")
        op = ops[0]
        spec, is_item = self._resolve(data["path"], f"{where}.path", item)
        raw = data[op]
        where_op = f"{where}.{op}"
        if spec.type == "text" and op != "stated":
            raise ConditionError(where_op, f"'{spec.path}' ist Freitext: nur 'stated: true' ist prüfbar")
        if op == "stated":
            if raw is not True:
                raise ConditionError(where_op, "'stated' erwartet true")
            return Atom(spec, op, None, where, data["path"], is_item)
        if op == "contains":
            if spec.type != "member":
                raise ConditionError(where_op, f"'contains' gilt nur für Aufzählungslisten, nicht für '{spec.path}'")
            if raw not in spec.values:
                raise ConditionError(where_op, f"'{raw}' ist kein erlaubter Wert{_suggest(str(raw), spec.values)}; erlaubt: {', '.join(spec.values)}")
            return Atom(spec, op, Operand("literal", raw), where, data["path"], is_item)
        if spec.type == "member":
            raise ConditionError(where_op, f"'{spec.path}' ist eine Aufzählungsliste: 'contains' verwenden")
        if op in ("in", "not_in"):
            if not isinstance(raw, list) or not raw:
                raise ConditionError(where_op, "erwartet eine nicht leere Liste von Werten")
            values = tuple(self._literal(v, spec, f"{where_op}[{i}]") for i, v in enumerate(raw))
            return Atom(spec, op, Operand("literal", values), where, data["path"], is_item)
        if op in ORDER_OPS and spec.type not in ("number", "date"):
            raise ConditionError(where_op, f"'{op}' vergleicht Zahlen oder Daten; '{spec.path}' ist {spec.type}")
        operand = self._operand(raw, spec, where_op, item)
        if not is_item:
            spec, op, operand = self._order_refs(spec, op, operand, where_op)
        return Atom(spec, op, operand, where, data["path"], is_item)

    def _order_refs(self, spec: FieldSpec, op: str, operand: Operand, where: str) -> tuple:
        """A pattern may only reference facts matched before it: turn comparisons around if needed."""
        own = alias_rank(_alias_for(spec))
        later = [r for r in operand.refs() if not r.item_ref and alias_rank(_alias_for(r.spec)) > own]
        if not later:
            return spec, op, operand
        if operand.kind == "ref":
            return operand.spec, MIRROR_ORDER[op], Operand("ref", spec=spec)
        raise ConditionError(where, "Arithmetik darf nur Werte aus derselben oder einer früheren Tatsache "
                                    "(Vereinbarung vor Klauseln) verwenden; Vergleich umstellen")

    def _literal(self, value: Any, spec: FieldSpec, where: str) -> Any:
        if value in ("unbekannt", "nicht_geregelt") and spec.path.endswith(".status"):
            raise ConditionError(where, f"'{value}' heißt 'nicht bekannt' und ist nie wahr oder falsch; "
                                        "eine Regel, die darauf angewiesen ist, kommt von selbst zu 'ungeklärt'")
        if spec.type == "enum":
            if value not in spec.values:
                raise ConditionError(where, f"'{value}' ist kein erlaubter Wert{_suggest(str(value), spec.values)}; erlaubt: {', '.join(spec.values)}")
            return value
        if spec.type == "bool":
            if not isinstance(value, bool):
                raise ConditionError(where, "erwartet true oder false")
            return value
        if spec.type == "date":
            if isinstance(value, dt.date):
                return date_number(value)
            raise ConditionError(where, "erwartet ein Datum JJJJ-MM-TT")
        if spec.type == "number":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConditionError(where, "erwartet eine Zahl")
            if value < 0:
                raise ConditionError(where, "negative Konstanten bringen durable_rules zum Absturz")
            return value
        raise ConditionError(where, f"Werte vom Typ {spec.type} sind nicht vergleichbar")

    def _operand(self, raw: Any, spec: FieldSpec, where: str, item: Optional[Collection]) -> Operand:
        if isinstance(raw, dict):
            if set(raw) == {"ref"}:
                target, is_item = self._resolve(raw["ref"], f"{where}.ref", item)
                if target.type != spec.type and not (target.type in ("number",) and spec.type == "number"):
                    raise ConditionError(where, f"'{target.path}' ({target.type}) ist nicht mit '{spec.path}' ({spec.type}) vergleichbar")
                return Operand("ref", spec=target, item_ref=is_item)
            if set(raw) == {"param"}:
                name = raw["param"]
                if name not in self.parameters:
                    raise ConditionError(where, f"unbekannter Parameter '{name}'{_suggest(str(name), self.parameters)}")
                return Operand("literal", self._literal(self.parameters[name], spec, where))
            if len(raw) == 1 and next(iter(raw)) in ARITH:
                op = next(iter(raw))
                args = raw[op]
                if spec.type != "number":
                    raise ConditionError(where, "Arithmetik nur mit Zahlen")
                if not isinstance(args, list) or len(args) != 2:
                    raise ConditionError(f"{where}.{op}", "erwartet genau zwei Operanden")
                parsed = tuple(self._operand(a, spec, f"{where}.{op}[{i}]", item) for i, a in enumerate(args))
                if op == "div" and parsed[1].kind != "literal":
                    raise ConditionError(where, "nur durch eine Konstante teilen (ein angegebener Wert 0 gäbe "
                                                "'unendlich'); stattdessen die andere Seite multiplizieren")
                if op == "div" and parsed[1].value == 0:
                    raise ConditionError(where, "Division durch null")
                if all(a.kind == "literal" for a in parsed):
                    # durable_rules never evaluates arithmetic over constants alone: fold it here
                    left, right = parsed[0].value, parsed[1].value
                    value = left + right if op == "add" else left * right if op == "mul" else left / right
                    return Operand("literal", round(value, 9))
                return Operand("arith", op=op, args=parsed)
            if "sub" in raw:
                raise ConditionError(where, "'sub' (Subtraktion) bringt durable_rules zum Absturz; Vergleich umstellen")
            raise ConditionError(where, f"unbekannter Operand {sorted(raw)}; erwartet ref, param, add, mul, div oder einen Wert")
        return Operand("literal", self._literal(raw, spec, where))


# --------------------------------------------------------------------------- compilation

# A literal of a conjunction: a constraint on one fact (alias), or the absence
# of any item matching a constraint (negated).


@dataclass(frozen=True)
class Lit:
    alias: str
    fact: str  # "agreement" | "clause:NAME" | "conclusion:NAME" | "item:PATH"
    exprs: tuple  # durable_rules constraints, and-ed
    negated: bool = False
    atoms: tuple = ()  # (path, key) pairs for evidence
    note: Optional[str] = None  # what a negated literal established, for the report
    # for a negated literal: what an item must satisfy to be no counter-example (see merge_conjunct)
    complement: Optional[tuple] = None


AGREEMENT = "a"


def _alias_for(spec: FieldSpec) -> str:
    if spec.fact == "agreement":
        return AGREEMENT
    kind, _, name = spec.fact.partition(":")
    return ("c_" if kind == "clause" else "k_") + name


def alias_rank(alias: str) -> tuple:
    """Order of patterns in a durable_rules rule: references must point backwards."""
    if alias == AGREEMENT:
        return (0, "")
    if alias.startswith("c_"):
        return (1, alias)
    if alias.startswith("k_"):
        return (2, alias)
    return (3, alias)


def _operand_json(operand: Operand, current: str, item_alias: Optional[str]) -> Any:
    """Operand as durable_rules JSON; a reference to the fact being matched is ``{"$m": key}``.

    (A reference to the pattern's own alias, e.g. ``{"a": key}`` inside pattern
    ``a``, is silently wrong in durable_rules: it compares against nothing and
    matches.)
    """
    if operand.kind == "literal":
        return operand.value
    if operand.kind == "ref":
        alias = item_alias if operand.item_ref else _alias_for(operand.spec)
        return {"$m" if alias == current else alias: operand.spec.key}
    left, right = (_operand_json(a, current, item_alias) for a in operand.args)
    return {ARITH[operand.op]: {"$l": left, "$r": right}}


class Compiler:
    """Compile one parsed condition tree into true- and false-DNFs of ``Lit`` lists."""

    def __init__(self, rule_id: str):
        self.rule_id = rule_id
        self._counter = itertools.count(1)

    # -- atoms on one fact ----------------------------------------------------

    def _atom_exprs(self, atom: Atom, alias: str, item_alias: Optional[str]) -> tuple[Any, Any, list[str]]:
        """(true-expr, false-expr, keys whose absence makes the atom unknown)."""
        key = atom.spec.key
        unknown_keys = [key]
        if atom.op == "stated":
            return {"$ex": {key: 1}}, NEVER, unknown_keys
        if atom.op == "contains":
            member = f"{key}__{atom.operand.value}"
            return {member: True}, {member: False}, [member]
        if atom.op in ("in", "not_in"):
            values = atom.operand.value
            t = {"$or": [{key: v} for v in values]} if len(values) > 1 else {key: values[0]}
            f = {"$and": [{"$neq": {key: v}} for v in values]} if len(values) > 1 else {"$neq": {key: values[0]}}
            return (t, f, unknown_keys) if atom.op == "in" else (f, t, unknown_keys)
        value = _operand_json(atom.operand, alias, item_alias)
        for ref in atom.operand.refs():
            if ref.item_ref:
                unknown_keys.append(ref.spec.key)
        eq, neq = {key: value}, {"$neq": {key: value}}
        if atom.op == "eq":
            return eq, neq, unknown_keys
        if atom.op == "ne":
            return neq, eq, unknown_keys
        return ({ORDER_OPS[atom.op]: {key: value}}, {ORDER_OPS[NEGATE_ORDER[atom.op]]: {key: value}}, unknown_keys)

    def _outer_refs(self, atom: Atom) -> list[FieldSpec]:
        return [r.spec for r in (atom.operand.refs() if atom.operand else ()) if not r.item_ref]

    # -- single-fact compilation (items) --------------------------------------

    def _single(self, node: Any, mode: str, item_alias: str, outer: list) -> Any:
        """Compile an item condition to one durable_rules expression; mode in T, F, NT, NF."""
        if isinstance(node, Atom):
            for spec in self._outer_refs(node):
                outer.append(spec)
            t, f, unknown = self._atom_exprs(node, item_alias, item_alias)
            missing = [{"$nex": {k: 1}} for k in unknown]
            if mode == "T":
                return t
            if mode == "F":
                return f
            base = f if mode == "NT" else t
            return _or(([base] if base is not NEVER else []) + missing)
        if isinstance(node, Junction):
            if node.kind == "not":
                swap = {"T": "F", "F": "T", "NT": "NF", "NF": "NT"}[mode]
                return self._single(node.children[0], swap, item_alias, outer)
            parts = [self._single(c, mode, item_alias, outer) for c in node.children]
            conj = (node.kind == "all") == (mode in ("T", "NF"))
            return _and(parts) if conj else _or(parts)
        raise ConditionError("where", "im Element nur Vergleiche und all/any/not")

    # -- DNF ------------------------------------------------------------------

    def true(self, node: Any) -> list[list[Lit]]:
        return self._dnf(node, True)

    def false(self, node: Any) -> list[list[Lit]]:
        return self._dnf(node, False)

    def _dnf(self, node: Any, positive: bool) -> list[list[Lit]]:
        if isinstance(node, Atom):
            alias = _alias_for(node.spec)
            t, f, _ = self._atom_exprs(node, alias, None)
            expr = t if positive else f
            if expr is NEVER:
                return []
            extra = self._ref_presence(node, alias)
            return [[Lit(alias, node.spec.fact, (expr,), atoms=((node.spec.path, node.spec.key),)), *extra]]
        if isinstance(node, ConclusionTest):
            value = node.value if positive else not node.value
            alias = "k_" + node.name
            return [[Lit(alias, "conclusion:" + node.name, ({"value": value},),
                         atoms=((f"conclusions.{node.name}", "value"),))]]
        if isinstance(node, Junction):
            if node.kind == "not":
                return self._dnf(node.children[0], not positive)
            parts = [self._dnf(c, positive) for c in node.children]
            if (node.kind == "all") == positive:
                return self._product(parts)
            return [c for p in parts for c in p]
        if isinstance(node, Quantifier):
            return self._quantifier(node, positive)
        raise TypeError(node)

    def _ref_presence(self, atom: Atom, alias: str) -> list[Lit]:
        """Referenced values must be stated (and their facts part of the conjunction)."""
        lits = []
        for spec in self._outer_refs(atom):
            ref_alias = _alias_for(spec)
            lits.append(Lit(ref_alias, spec.fact, ({"$ex": {spec.key: 1}},), atoms=((spec.path, spec.key),)))
        return lits

    def _quantifier(self, q: Quantifier, positive: bool) -> list[list[Lit]]:
        kind = q.kind
        if kind == "none":
            kind, positive = "some", not positive
        alias = f"q{next(self._counter)}"
        fact = "item:" + q.collection.path
        header = ({"fc": q.collection.path},)
        outer: list[FieldSpec] = []
        count_lit = Lit(AGREEMENT, "agreement", ({"$ex": {q.collection.count_key: 1}},),
                        atoms=((q.collection.path + ".count", q.collection.count_key),))
        if (kind == "some") == positive:
            # some item proves it: some/T uses T(where); every/F uses F(where)
            expr = self._single(q.where_cond, "T" if positive else "F", alias, outer)
            if expr is NEVER:
                return []
            atoms = tuple((f"{q.collection.path}[].{a.spec.path}", a.spec.key) for a in _atoms(q.where_cond) if a.item)
            lits = [Lit(alias, fact, header + _as_tuple(expr), atoms=atoms or ((q.collection.path, ""),))]
        else:
            # no item may contradict: some/F forbids NF(where); every/T forbids NT(where)
            expr = self._single(q.where_cond, "NF" if kind == "some" else "NT", alias, outer)
            if outer:
                raise ConditionError(q.where, "Verweise auf andere Tatsachen innerhalb von 'kein Element, das ...' "
                                              "bringen durable_rules zum Absturz; einen abgeleiteten Wert des "
                                              "Elements verwenden (z. B. share_of_total_percent)")
            if expr is NEVER:  # nothing can contradict: vacuously decided once the list is stated
                return [[count_lit]]
            note = ("kein Eintrag erfüllt die Bedingung" if kind == "some"
                    else "kein Eintrag widerspricht der Bedingung")
            complement = self._single(q.where_cond, "F" if kind == "some" else "T", alias, [])
            lits = [count_lit, Lit(alias, fact, header + _as_tuple(expr), negated=True,
                                   atoms=((q.collection.path, ""),), note=note,
                                   complement=None if complement is NEVER else _as_tuple(complement))]
        for spec in outer:  # outer references must be stated for any verdict
            lits.append(Lit(_alias_for(spec), spec.fact, ({"$ex": {spec.key: 1}},), atoms=((spec.path, spec.key),)))
        return [lits]

    def _product(self, parts: list[list[list[Lit]]]) -> list[list[Lit]]:
        result: list[list[Lit]] = [[]]
        for part in parts:
            result = [a + b for a in result for b in part]
            if len(result) > MAX_CONJUNCTS:
                raise ConditionError(self.rule_id, f"Bedingung zu groß (mehr als {MAX_CONJUNCTS} Konjunktionen)")
        return result


def _atoms(node: Any) -> list[Atom]:
    if isinstance(node, Atom):
        return [node]
    if isinstance(node, Junction):
        return [a for c in node.children for a in _atoms(c)]
    return []


def _as_tuple(expr: Any) -> tuple:
    if expr is ALWAYS or expr == {}:
        return ()
    if isinstance(expr, dict) and set(expr) == {"$and"}:
        return tuple(expr["$and"])
    return (expr,)


def _and(parts: list) -> Any:
    if any(p is NEVER for p in parts):
        return NEVER
    parts = [p for p in parts if p != {}]
    if not parts:
        return {}
    return parts[0] if len(parts) == 1 else {"$and": parts}


def _or(parts: list) -> Any:
    if any(p == {} for p in parts if p is not NEVER):
        return {}
    parts = [p for p in parts if p is not NEVER]
    if not parts:
        return NEVER
    return parts[0] if len(parts) == 1 else {"$or": parts}


# --------------------------------------------------------------------------- conjunction -> durable rule


def merge_conjunct(lits: list[Lit], where: str) -> list[list[Lit]]:
    """Merge literals on the same fact; expand positive quantifiers over one list.

    durable_rules never binds one fact to two patterns of a rule, so two
    positive quantifiers over the same list would demand two different items.
    Each way of letting them share items becomes its own conjunction.
    """
    merged: dict[str, Lit] = {}
    positive_items: dict[str, list[Lit]] = {}
    negated: list[Lit] = []
    for lit in lits:
        if lit.negated:
            negated.append(lit)
        elif lit.fact.startswith("item:"):
            positive_items.setdefault(lit.fact, []).append(lit)
        elif lit.alias in merged:
            old = merged[lit.alias]
            exprs = old.exprs + tuple(e for e in lit.exprs if e not in old.exprs)
            merged[lit.alias] = replace(old, exprs=exprs, atoms=old.atoms + lit.atoms)
        else:
            merged[lit.alias] = lit
    groups = []
    for fact, items in positive_items.items():
        if len(items) > MAX_QUANTIFIERS_PER_COLLECTION:
            raise ConditionError(where, f"mehr als {MAX_QUANTIFIERS_PER_COLLECTION} 'some' über '{fact[5:]}' in einer Konjunktion")
        groups.append([_merge_partition(block) for block in _partitions(items)])
    variants = []
    for choice in itertools.product(*groups) if groups else [()]:
        positives = [lit for block in choice for lit in block]
        positives = _exclude_counter_examples(positives, negated)
        if positives is not None:
            variants.append(list(merged.values()) + positives + negated)
    return variants


def _exclude_counter_examples(positives: list[Lit], negated: list[Lit]) -> Optional[list[Lit]]:
    """An item bound by a positive pattern is hidden from the rule's ``$not`` patterns.

    durable_rules does not show a fact that one pattern of a rule has bound to
    another pattern of the same rule, negations included. So "no item such that
    E" would skip the item that "some item such that P" took. The bound item
    must therefore satisfy the complement of E itself. Returns None when that is
    impossible (the conjunction can never hold).
    """
    out = []
    for lit in positives:
        for neg in negated:
            if neg.fact != lit.fact:
                continue
            if neg.complement is None:
                return None
            lit = replace(lit, exprs=lit.exprs + tuple(e for e in neg.complement if e not in lit.exprs))
        out.append(lit)
    return out


def _merge_partition(blocks: list[list[Lit]]) -> list[Lit]:
    out = []
    for block in blocks:
        first = block[0]
        exprs: tuple = ()
        atoms: tuple = ()
        for lit in block:
            exprs += tuple(e for e in lit.exprs if e not in exprs)
            atoms += lit.atoms
        out.append(replace(first, exprs=exprs, atoms=atoms))
    return out


def _partitions(items: list) -> Iterable[list[list]]:
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for part in _partitions(rest):
        yield [[first]] + part
        for i in range(len(part)):
            yield part[:i] + [[first] + part[i]] + part[i + 1:]


def fact_filter(fact: str) -> list[dict]:
    kind, _, name = fact.partition(":")
    if kind == "agreement":
        return [{"fk": "agreement"}]
    if kind == "clause":
        return [{"fk": "clause"}, {"fn": name}]
    if kind == "conclusion":
        return [{"fk": "conclusion"}, {"fn": name}]
    return [{"fk": "item"}]


TRIGGER_FANOUT = 200  # durable_rules links one alpha node to at most 256 rules (BETA_LIST_LENGTH)


def needs_trigger(lits: list[Lit]) -> bool:
    """Whether a conjunction must join the trigger fact: it has a negated pattern (durable_rules
    decides a negation as soon as the first facts arrive, so it must wait for all data), or no
    positive pattern at all (a rule of negations alone spins forever; an empty one has nothing
    to match)."""
    return any(l.negated for l in lits) or not lits


def to_durable(lits: list[Lit], trigger_group: int = 0) -> dict:
    """One conjunction as a durable_rules rule body ``{"all": [...]}``.

    Order: agreement, clauses, conclusions, positive items, the trigger, then
    negated patterns. Only conjunctions that need it (see ``needs_trigger``) join
    the trigger fact, which is asserted after all data; the others fire as soon
    as their facts are there (positive patterns only: a match never goes away as
    more facts arrive), so every rule still has a positive pattern. Rules are
    spread over several trigger facts (``g``) because durable_rules refuses to
    link one pattern to more than 256 rules.
    """
    positive = sorted((l for l in lits if not l.negated), key=lambda l: alias_rank(l.alias))
    negated = [l for l in lits if l.negated]
    patterns = []
    for lit in positive:
        patterns.append({lit.alias: _and(fact_filter(lit.fact) + list(lit.exprs))})
    if needs_trigger(lits):
        patterns.append({"t": {"$and": [{"fk": "trigger"}, {"g": trigger_group}]}})
    for lit in negated:
        patterns.append({f"{lit.alias}$not": _and(fact_filter(lit.fact) + list(lit.exprs))})
    return {"all": patterns}


@dataclass
class CompiledCondition:
    true: list[list[Lit]] = field(default_factory=list)
    false: list[list[Lit]] = field(default_factory=list)
