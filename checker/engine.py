"""Running the compiled catalogue on durable_rules.

We drive durable_rules' C core (``durable_rules_engine``) directly instead of
through ``durable.engine.Host``: the Host starts background dispatch threads,
swallows exceptions raised in actions, and refuses a batch in which one fact
matches no rule. Our driver asserts all data facts, then the trigger fact,
and pulls the resulting actions one by one in a bounded loop, so

* an error raised while handling an action is collected and reported,
* a rule set that keeps firing (the negation-only trap) ends with
  :class:`EvaluationTimeout` after ``max_actions``
  actions instead of hanging,
* each agreement is one session (``sid``), deleted afterwards.

``check_safe`` refuses compiled rule shapes that are known to hang or crash
the engine (see ``../shared/notes/durable-rules.md``).
"""

from __future__ import annotations

import itertools
import json
import math
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import durable_rules_engine as dre

from checker.facts import CLAUSE_NAME, FACT_KIND, RESERVED_KEYS, build_facts
from checker.model import Agreement
from checker.rules import Catalogue

ALLOWED_OPERATORS = {"$and", "$or", "$lt", "$lte", "$gt", "$gte", "$neq", "$ex", "$nex", "$add", "$mul", "$div", "$m"}
ENGINE_FIELDS = {"id", "sid"}
# The bound of an evaluation is counted in actions, never in wall-clock time: the same input must
# give the same verdict on any machine under any load (a deadline made one 300-service file
# come out exit 2, 0, 2, 2 on consecutive runs). Cost is bounded by the input instead: lists
# are bounded (model.MAX_LIST_ITEMS) and check_safe refuses rules that join two lists.
DEFAULT_DEADLINE = math.inf
# durable_rules leaves a session's action context uninitialised until an action
# has run, and delete_state then frees a wild pointer (seen as a segfault). Every
# session therefore ends with an "end" fact whose rule always fires once.
END_RULE = "__session_end__"
END_RULE_BODY = {"all": [{"e": {FACT_KIND: "end"}}]}
DEFAULT_MAX_ACTIONS = 200_000


class EvaluationError(RuntimeError):
    """Errors raised while the engine ran; never swallowed."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


class EvaluationTimeout(EvaluationError):
    pass


# --------------------------------------------------------------------------- numbers for durable_rules
#
# durable_rules' JSON parser (json.c, getNumber) accepts an exponent only after a fraction:
# "1.0e-05" is a double, but "1e-05" -- what json.dumps writes for 0.00001 -- ends the number
# at "1" and the rest is garbage: a segfault for a fact, error 204 for a ruleset. Integers
# are read with atoll/atol, which saturate beyond 64 bits. engine_json writes every number
# so that the parser reads the same value Python holds.

# a digit before an exponent, or 19 digits; one digit class first (four times faster to scan than the two
# alternatives side by side, the same matches)
_SUSPECT = re.compile(r"[0-9](?:[eE]|[0-9]{18})")
_INT_LIMIT = 2 ** 63 - 1
_MARK = "\x00n"


def engine_number(value: float | int) -> str:
    """The text of one number as durable_rules parses it (``1e-05`` -> ``1.0e-05``)."""
    if isinstance(value, int) and not isinstance(value, bool):
        if -_INT_LIMIT <= value <= _INT_LIMIT:
            return str(value)
        try:
            value = float(value)
        except OverflowError:
            value = math.copysign(sys.float_info.max, value)
    text = repr(float(value))
    mantissa, e, exponent = text.partition("e")
    if e and "." not in mantissa:
        text = f"{mantissa}.0e{exponent}"
    return text


def _bad_number(value: Any) -> bool:
    kind = type(value)
    if kind is float:
        return value != 0 and not (1e-4 <= abs(value) < 1e16) and math.isfinite(value)
    return kind is int and not -_INT_LIMIT <= value <= _INT_LIMIT


def engine_json(value: Any) -> str:
    """``json.dumps(value, ensure_ascii=False)`` with every number in a form durable_rules parses."""
    text = json.dumps(value, ensure_ascii=False)
    if not _SUSPECT.search(text):
        return text
    numbers: list[str] = []

    def swap(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: swap(item) for key, item in node.items()}
        if isinstance(node, list):
            return [swap(item) for item in node]
        if _bad_number(node):
            numbers.append(engine_number(node))
            return f"{_MARK}{len(numbers) - 1}{_MARK}"
        return node

    swapped = json.dumps(swap(value), ensure_ascii=False)
    if not numbers:
        return text
    marker = json.dumps(_MARK)[1:-1]
    return re.sub(f'"{re.escape(marker)}([0-9]+){re.escape(marker)}"', lambda m: numbers[int(m.group(1))], swapped)


def facts_json(facts: list[dict]) -> tuple[str, bool]:
    """``(engine_json(facts), exact)`` for a list of flat facts, where ``exact`` says that no number
    had to be written in another form than ``json.dumps`` writes it, so that the text reads back
    as ``facts``. Looks at the values instead of scanning the text (a fact's values are scalars)."""
    for fact in facts:
        for value in fact.values():
            kind = type(value)
            if (kind is float or kind is int) and _bad_number(value):
                return engine_json(facts), False
    return json.dumps(facts, ensure_ascii=False), True


# --------------------------------------------------------------------------- safety check


def _check_expr(expr: Any, rule: str, in_arith: bool = False) -> None:
    if isinstance(expr, list):
        for e in expr:
            _check_expr(e, rule, in_arith)
        return
    if not isinstance(expr, dict):
        if in_arith and isinstance(expr, (int, float)) and not isinstance(expr, bool) and expr < 0:
            raise ValueError(f"{rule}: negative Konstante in Arithmetik bringt durable_rules zum Absturz")
        return
    for key, value in expr.items():
        if key.startswith("$"):
            if key in ("$l", "$r"):
                _check_expr(value, rule, True)
                continue
            if key not in ALLOWED_OPERATORS:
                raise ValueError(f"{rule}: Operator {key} wird nicht unterstützt (z. B. $sub bringt die Engine zum Absturz)")
            _check_expr(value, rule, key in ("$add", "$mul", "$div"))
        else:
            if key in ENGINE_FIELDS:
                raise ValueError(f"{rule}: Feld '{key}' gehört der Engine und lässt sie hängen")
            _check_expr(value, rule, in_arith)


def _references(expr: Any, aliases: set[str]) -> set[str]:
    """Aliases of the rule's patterns used as comparison values (``{alias: key}``; ``$m`` excluded)."""
    found: set[str] = set()
    if isinstance(expr, list):
        for e in expr:
            found |= _references(e, aliases)
    elif isinstance(expr, dict):
        if len(expr) == 1:
            (key, value), = expr.items()
            if key in aliases and isinstance(value, str):
                return {key}
        for value in expr.values():
            found |= _references(value, aliases)
    return found


MAX_PATTERN_FANOUT = 250  # durable_rules: BETA_LIST_LENGTH 256 rules per alpha node (error 108)


# durable_rules keeps the tests that follow one test of a pattern (its alpha node) in a hash set
# of NEXT_BUCKET_LENGTH = 512 slots (rete.c). The 513th distinct test after the same test fills
# it, and looking up the next one then probes the full set forever: create_ruleset never returns
# and Ctrl-C cannot stop it (measured: 512 rules with distinct tests after {"fk": "agreement"}
# compile, 513 hang; the same with one property and 513 values). check_safe counts them.
MAX_ALPHA_CHILDREN = 512


def _tests(expr: Any) -> list[str]:
    """The chain of tests of one pattern, in the order durable_rules builds its alpha nodes."""
    if isinstance(expr, dict) and set(expr) == {"$and"} and isinstance(expr["$and"], list):
        out: list[str] = []
        for item in expr["$and"]:
            out.extend(_tests(item))
        return out
    return [repr(expr)]  # key order kept: two orders of one test count twice (errs on the safe side)


def alpha_fanout(ruleset: dict) -> tuple[int, str]:
    """The largest number of distinct tests following one alpha node, and a rule where it is reached."""
    children: dict[tuple[str, ...], set[str]] = {}
    worst, where = 0, ""
    for name, body in ruleset.items():
        for pattern in body.get("all", []) if isinstance(body, dict) else []:
            if not isinstance(pattern, dict) or len(pattern) != 1:
                continue
            chain = tuple(_tests(next(iter(pattern.values()))))
            for depth in range(len(chain)):
                following = children.setdefault(chain[:depth], set())
                following.add(chain[depth])
                if len(following) > worst:
                    worst, where = len(following), name
    return worst, where


def _tests_item(expr: Any) -> bool:
    """True if a pattern matches list-item facts (``{"fk": "item"}`` among its tests)."""
    return any(test == repr({FACT_KIND: "item"}) for test in _tests(expr))


def check_safe(ruleset: dict) -> None:
    """Refuse compiled rules the engine cannot run safely. Raises ValueError."""
    if not isinstance(ruleset, dict):
        raise ValueError("Regelsatz: erwartet ein Objekt {Name: Regel}")
    worst, where = alpha_fanout(ruleset)
    if worst > MAX_ALPHA_CHILDREN:
        raise ValueError(f"{where}: {worst} verschiedene Tests folgen demselben Test; durable_rules verkraftet "
                         f"höchstens {MAX_ALPHA_CHILDREN} (mehr lässt create_ruleset endlos laufen)")
    fanout: dict[str, int] = {}
    for name, body in ruleset.items():
        for pattern in body.get("all", []) if isinstance(body, dict) else []:
            key = json.dumps(pattern, sort_keys=True)
            fanout[key] = fanout.get(key, 0) + 1
            if fanout[key] > MAX_PATTERN_FANOUT:
                raise ValueError(f"{name}: dasselbe Muster steht in mehr als {MAX_PATTERN_FANOUT} Regeln; "
                                 "durable_rules verkraftet höchstens 256 (Fehler 108)")
    for name, body in ruleset.items():
        patterns = body.get("all") if isinstance(body, dict) else None
        if not isinstance(patterns, list) or not patterns or set(body) - {"all", "run"}:
            raise ValueError(f"{name}: erwartet {{'all': [Muster, ...]}}")
        positive = 0
        aliases = {next(iter(p)).removesuffix("$not") for p in patterns if isinstance(p, dict) and len(p) == 1}
        for pattern in patterns:
            if not isinstance(pattern, dict) or len(pattern) != 1:
                raise ValueError(f"{name}: jedes Muster hat genau einen Alias")
            alias, expr = next(iter(pattern.items()))
            if not alias.endswith("$not"):
                positive += 1
            elif _references(expr, aliases):
                raise ValueError(f"{name}: Verweise auf andere Tatsachen in einer Negation bringen durable_rules "
                                 "zum Absturz")
            _check_expr(expr, name)
        if positive == 0:
            raise ValueError(f"{name}: eine Regel nur aus Negationen läuft in durable_rules endlos")
        items = [alias for alias, expr in (next(iter(p.items())) for p in patterns)
                 if not alias.endswith("$not") and _tests_item(expr)]
        if len(items) > 1:
            raise ValueError(f"{name}: {len(items)} Muster über Listenelemente ({', '.join(items)}) verbinden Listen "
                             "miteinander; der Aufwand wächst mit dem Produkt ihrer Längen (quadratisch). "
                             "Eine der Bedingungen als abgeleiteten Wert (derived.*) formulieren")


_CHECKED: set[str] = set()  # engine_json texts of rulesets that passed check_safe in this process


def checked_json(ruleset: dict) -> str:
    """``engine_json(ruleset)`` after ``check_safe(ruleset)``; the check is skipped when this
    process has already checked a ruleset of exactly this text (the C core sees only the text).
    The set lives in memory only: nothing read from disk can claim to have been checked."""
    try:
        text = engine_json(ruleset)
    except Exception:
        check_safe(ruleset)  # what is wrong with it, as before
        raise
    if text not in _CHECKED:
        check_safe(ruleset)
        if len(_CHECKED) < 16:
            _CHECKED.add(text)
    return text


# --------------------------------------------------------------------------- driver


def drain(handle: int, state_handle: int, on_action: Callable[[str, dict], None], deadline: float,
          max_actions: int, errors: list[str], decode: Callable[[str], dict] = json.loads,
          unread: frozenset = frozenset()) -> int:
    """Pull and handle pending actions of one session until none is left. Returns the count.

    An action of a rule named in ``unread`` (one whose matched facts nobody reads) is not
    decoded: its message ``{"NAME":{...}}`` names one rule, and the handler gets no facts."""
    count = 0
    timed = deadline != math.inf  # the clock is read only where a deadline was set
    first = dre.start_action_for_state(handle, state_handle)
    text = first[1] if first else None
    while text:
        count += 1
        if count > max_actions or (timed and time.monotonic() > deadline):
            dre.abandon_action(handle, state_handle)
            raise EvaluationTimeout(errors + [
                f"Auswertung nach {count - 1} Aktionen abgebrochen: Aktionslimit ({max_actions}) überschritten "
                "(eine Regel feuert endlos)"])
        name = text[2:text.find('"', 2)] if text.startswith('{"') else ""
        message = {name: {}} if name in unread else decode(text)
        for name, matched in message.items():
            try:
                on_action(name, matched)
            except Exception as exc:  # collected, reported after the run
                errors.append(f"Fehler in Aktion {name}: {type(exc).__name__}: {exc}")
        text = dre.complete_and_start_action(handle, state_handle) or None
    return count


def fact_keys(catalogue: Catalogue) -> frozenset[str]:
    """The fact properties the engine needs: every string of the ruleset (a superset of the
    properties its patterns name), what verdicts read from matched facts, and the reserved keys."""
    return frozenset(_strings(catalogue.ruleset)) | RESERVED_KEYS | {
        key for _rule, _kind, lits in catalogue.actions.values() for lit in lits for _path, key in lit.atoms}


def _strings(node: Any) -> Iterator[str]:
    """Every string in a JSON-like structure, keys included."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)
    elif isinstance(node, str):
        yield node


def _decoder(text: str, fact: dict) -> Callable[[str], dict]:
    """``json.loads`` for action messages, with ``text`` (the JSON of ``fact``) taken as read.

    A message is ``{"rule": {"alias": FACT, ...}}`` and every FACT is the text of a fact
    as asserted. ``text`` ends with the session id and its closing brace, and no string
    value of a fact contains braces, so where ``text`` occurs it is that whole fact: it is
    replaced by ``null`` (a fact is never null) and ``fact`` is put in its place. A message
    without ``text`` is decoded as it is.
    """
    def decode(message: str) -> dict:
        if text not in message:
            return json.loads(message)
        decoded = json.loads(message.replace(text, "null"))
        for matched in decoded.values():
            for alias, value in matched.items():
                if value is None:
                    matched[alias] = fact
        return decoded

    return decode


@dataclass
class Match:
    kind: str  # "holds" | "violated" | "na" | "applies" (applicability known to hold)
    action: str
    facts: dict[str, dict]  # alias -> matched fact


@dataclass
class RawOutcome:
    facts: list[dict]  # the data facts as the engine got them (only properties rules read, with sid)
    matches: dict[str, list[Match]] = field(default_factory=dict)  # rule id -> matches
    conclusions: dict[str, bool] = field(default_factory=dict)
    actions: int = 0
    kinds: dict[str, set] = field(default_factory=dict, repr=False)  # rule id -> kinds of its matches so far


class Engine:
    """One compiled catalogue in durable_rules; evaluates agreements one after another in one session.

    Creating a durable_rules session costs in proportion to the whole network (it allocates and
    clears the memory of every join node: about 60 % of the C time of a check), so the session is
    kept: after an agreement its facts are retracted (the trigger facts first, so that no
    negation can fire on the way) and the next agreement is asserted into the same, empty
    session. Every verdict is decided inside one agreement's facts as before; a session that
    ended in an error, or that has an action pending after the retraction, is ended and the next
    agreement gets a new one.
    """

    _names = itertools.count(1)

    def __init__(self, catalogue: Catalogue, deadline: float = DEFAULT_DEADLINE,
                 max_actions: int = DEFAULT_MAX_ACTIONS):
        self.catalogue = catalogue
        self.deadline = deadline
        self.max_actions = max_actions
        self.name = f"budgetcheck_{next(self._names)}"
        # Always checked here, whatever the catalogue says about itself: a catalogue read from the
        # cache is data from disk, and a planted one must not reach the C core unchecked. Only the
        # text the C core gets is skipped if this process has checked exactly that text already.
        text = checked_json(catalogue.ruleset)
        end = f"{json.dumps(END_RULE)}: {json.dumps(END_RULE_BODY)}"
        text = text[:-1] + (", " if catalogue.ruleset else "") + end + "}"  # == dict(ruleset, END_RULE=...)
        self.handle = dre.create_ruleset(self.name, text)
        self._sids = itertools.count(1)
        self._sid: str | None = None  # the open session, kept from one agreement to the next
        self._busy = threading.Lock()  # held while the kept session evaluates
        self._retractions: dict[tuple, tuple[str, str]] = {}  # texts of retraction (see _retract)
        self._keep = fact_keys(catalogue)  # the fact properties sent to the engine (see evaluate)
        # Actions whose evidence reads nothing from the matched facts need not be decoded.
        from checker.verdicts import reads_facts
        self._unread = frozenset([END_RULE] + [name for name in catalogue.actions if not reads_facts(catalogue, name)])
        # What recording an action needs, looked up once: rule id, kind, and the conclusion it draws.
        self._info = {}
        for name, (rule_id, kind, _lits) in catalogue.actions.items():
            conclude = catalogue.by_id[rule_id].rule.conclude
            self._info[name] = (rule_id, kind, conclude if kind in ("holds", "violated") else None)
        # Which fact each positive pattern of a rule binds (see _bound)
        self._bound = {name: _bound(body["all"]) for name, body in catalogue.ruleset.items()}

    def evaluate(self, agreement: Agreement) -> RawOutcome:
        # The kept session serves one evaluation at a time; one that comes meanwhile (another
        # thread) gets a session of its own, ended afterwards, as every evaluation did before.
        if not self._busy.acquire(blocking=False):
            return self._evaluate(agreement, str(next(self._sids)), keep=False)
        try:
            if self._sid is None:
                self._sid = str(next(self._sids))
            return self._evaluate(agreement, self._sid, keep=True)
        finally:
            self._busy.release()

    def _evaluate(self, agreement: Agreement, sid: str, keep: bool) -> RawOutcome:
        # Fact properties no rule pattern names cannot change a match; they are not sent to the
        # engine (smaller facts to parse, store and echo back).
        sent = build_facts(agreement, self._keep)
        for number, fact in enumerate(sent):  # an id of its own: durable_rules need not hash the fact for one,
            fact["sid"] = sid                 # and the retraction names only the ids
            fact["id"] = number
        outcome = RawOutcome(sent)
        errors: list[str] = []
        deadline = time.monotonic() + self.deadline

        def on_action(name: str, matched: dict) -> None:
            self._record(name, matched, outcome, sid)

        triggers = [{FACT_KIND: "trigger", "g": g, "sid": sid, "id": f"t{g}"} for g in range(self.catalogue.trigger_groups)]
        text, exact = facts_json(sent)
        decode = self._decoder(exact, sent, triggers, outcome, sid)
        kept = False
        try:
            state = dre.assert_facts(self.handle, text)[1]
            outcome.actions += drain(self.handle, state, on_action, deadline, self.max_actions, errors, decode,
                                     self._unread)
            trigger_text = json.dumps(triggers)
            if triggers:
                state = dre.assert_facts(self.handle, trigger_text)[1]
                outcome.actions += drain(self.handle, state, on_action, deadline, self.max_actions, errors, decode,
                                         self._unread)
            if keep and not errors:
                kept = self._retract(state, len(sent), len(triggers), outcome, sid)
        finally:
            if not kept:
                self._end_session(sid)
                if keep:
                    self._sid = None
        if errors:
            raise EvaluationError(errors)
        return outcome

    def _decoder(self, exact: bool, sent: list[dict], triggers: list[dict], outcome: RawOutcome,
                 sid: str) -> Callable[[str], dict]:
        """Decoding of action messages ``{"NAME":{"alias":FACT,...}}``: every pattern binds a fact
        known without reading the message (the one agreement fact, the one clause fact of a name,
        the trigger fact of a group, the one conclusion fact of a name; see _bound), except list
        items, whose text is cut out of the message (facts are flat: no braces inside a fact) and
        decoded alone. Where a number of the facts is written for durable_rules in another form
        than json.dumps writes it (not ``exact``, see facts_json), messages are decoded as a whole
        (_decoder), as the facts durable_rules holds then differ from ``sent``."""
        if not sent or not exact:
            return _decoder(engine_json(sent[0]), sent[0]) if sent else json.loads
        known: dict[tuple, dict] = {("agreement", None): sent[0]}
        for fact in sent:
            if fact.get(FACT_KIND) == "clause":
                known[("clause", fact.get(CLAUSE_NAME))] = fact
        for fact in triggers:
            known[("trigger", fact["g"])] = fact
        bound = self._bound
        conclusions = outcome.conclusions
        loads = json.loads

        def decode(message: str) -> dict:
            name = message[2:message.find('"', 2)]
            pattern = bound.get(name)
            if pattern is None:
                return loads(message)
            matched = {}
            for alias, what, needle in pattern:
                if needle is not None:  # a list item
                    start = message.find(needle)
                    if start < 0:
                        return loads(message)
                    start += len(needle) - 1
                    matched[alias] = loads(message[start:message.index("}", start) + 1])
                elif what[0] == "conclusion":
                    value = conclusions.get(what[1])
                    if value is None:
                        return loads(message)
                    matched[alias] = conclusion_fact(what[1], value, sid)
                else:
                    fact = known.get(what)
                    if fact is None:
                        return loads(message)
                    matched[alias] = fact
            return {name: matched}

        return decode

    def _retract(self, state: int, facts: int, triggers: int, outcome: RawOutcome, sid: str) -> bool:
        """Retract an agreement's facts from the session; True if it is empty and can take the next.

        Facts are retracted by their ids (a retraction needs nothing else). The trigger facts go
        first: every rule with a negation joins one, so once they are gone no negation can come
        true as the facts it looks for disappear; then the conclusions, then the data."""
        key = (sid, facts, triggers)
        parts = self._retractions.get(key)
        if parts is None:  # the same few texts for every agreement
            if len(self._retractions) > 64:
                self._retractions.clear()
            parts = self._retractions[key] = (
                "[" + "".join(f'{{"sid": {json.dumps(sid)}, "id": "t{g}"}}, ' for g in range(triggers)),
                ", ".join(f'{{"sid": {json.dumps(sid)}, "id": {n}}}' for n in range(facts)) + "]")
        conclusions = "".join(f'{{"sid": {json.dumps(sid)}, "id": "k:{name}"}}, ' for name in outcome.conclusions)
        handle = self.handle
        dre.retract_facts(handle, parts[0] + conclusions + parts[1])
        if dre.start_action_for_state(handle, state):  # nothing may be left to do; if it is, end the session
            while dre.complete_and_start_action(handle, state):
                pass
            return False
        return dre.get_facts(handle, sid) == "[]"  # and no fact left (else: end the session)

    def _end_session(self, sid: str) -> None:
        state = dre.assert_fact(self.handle, json.dumps({FACT_KIND: "end", "sid": sid}))[1]
        result = dre.start_action_for_state(self.handle, state)
        while result:  # only the end rule is left to fire; anything else was abandoned
            nxt = dre.complete_and_start_action(self.handle, state)
            result = (result[0], nxt) if nxt else None
        dre.delete_state(self.handle, sid)

    def _record(self, name: str, matched: dict, outcome: RawOutcome, sid: str) -> None:
        if name == END_RULE:
            return
        rule_id, kind, conclude = self._info[name]
        matches = outcome.matches.get(rule_id)
        if matches is None:
            matches = outcome.matches[rule_id] = []
            seen = outcome.kinds[rule_id] = {kind}
        else:
            seen = outcome.kinds[rule_id]
            seen.add(kind)
        matches.append(Match(kind, name, matched))
        if "holds" in seen and "violated" in seen:
            raise RuntimeError(f"Regel {rule_id} ist zugleich erfüllt und verletzt (widersprüchliche Bedingung)")
        if conclude and conclude not in outcome.conclusions:
            value = kind == "holds"
            outcome.conclusions[conclude] = value
            dre.assert_fact(self.handle, json.dumps(conclusion_fact(conclude, value, sid)))

    def close(self) -> None:
        if self.handle is not None:
            if self._sid is not None:
                self._end_session(self._sid)
                self._sid = None
            dre.delete_ruleset(self.handle)
            self.handle = None


def conclusion_fact(name: str, value: bool, sid: str) -> dict:
    """The fact of a conclusion drawn in session ``sid`` (asserted, and handed to actions that match it)."""
    return {FACT_KIND: "conclusion", CLAUSE_NAME: name, "value": value, "sid": sid, "id": f"k:{name}"}


def _bound(patterns: list) -> tuple:
    """(alias, fact, needle) for each positive pattern of a compiled rule. ``fact`` names the one
    fact of a session the pattern can bind: ``("agreement", None)``, ``("clause", NAME)``,
    ``("conclusion", NAME)``, ``("trigger", GROUP)``; for a list item (many facts of one kind)
    ``needle`` is the text that opens its fact in an action message."""
    out = []
    for pattern in patterns:
        (alias, expr), = pattern.items()
        if alias.endswith("$not"):
            continue
        tests: dict[str, Any] = {}
        for test in _flat_tests(expr):
            if isinstance(test, dict) and len(test) == 1:
                (key, value), = test.items()
                if key in (FACT_KIND, CLAUSE_NAME, "g"):
                    tests[key] = value
        kind = tests.get(FACT_KIND)
        if kind == "agreement":
            out.append((alias, ("agreement", None), None))
        elif kind in ("clause", "conclusion") and isinstance(tests.get(CLAUSE_NAME), str):
            out.append((alias, (kind, tests[CLAUSE_NAME]), None))
        elif kind == "trigger" and type(tests.get("g")) is int:
            out.append((alias, ("trigger", tests["g"]), None))
        else:
            out.append((alias, ("item", None), f"{json.dumps(alias)}:{{"))
    return tuple(out)


def _flat_tests(expr: Any) -> list:
    if isinstance(expr, dict) and set(expr) == {"$and"} and isinstance(expr["$and"], list):
        return [t for item in expr["$and"] for t in _flat_tests(item)]
    return [expr]


_engines: dict[int, Engine] = {}


def engine_for(catalogue: Catalogue) -> Engine:
    """The process-wide engine of a catalogue (rulesets are compiled once per process)."""
    key = id(catalogue)
    if key not in _engines:
        _engines[key] = Engine(catalogue)
        from checker import timing

        timing.mark("engine ruleset (first agreement)")
    return _engines[key]
