"""Forgiving, still exact input: what German users type, read where it is unambiguous.

Applied by the loader to the loaded data before validation (the file and ``raw`` stay as
they are); only string values where the model expects something else are touched:

* enum values in any case and spelling of umlauts or spaces: ``Entwurf`` -> ``entwurf``,
  ``Trägerbudget`` -> ``traegerbudget``, ``Kinder Jugendhilfe`` -> ``kinder_jugendhilfe``;
* flags: ``ja`` / ``nein`` (any case);
* dates: ``15.11.2026`` (also ``1.2.2026``) besides ISO ``2026-11-15``;
* numbers written as text: ``1.850.000`` and ``1.850.000,50`` (German thousands points and
  decimal comma), ``12,5``, ``1850``; a trailing ``€``, ``EUR`` or ``%`` is dropped.

Anything ambiguous is refused with a located message that shows the accepted form:
``"1.850"`` (1850 or 1,85?), ``"1,850"`` (1850 or 1,85?), ``"1,850,000.50"`` (English
separators). A number the YAML parser already read (``1.850`` unquoted is 1.85) is never
reinterpreted: the problem is only visible while the value is text.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Any, Optional

from pydantic import BaseModel

from checker.facts import _unwrap

Problem = tuple[tuple, str, dict]  # (path, message key, values)

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue"})
_YES = {"ja": True, "nein": False}
_DATE_DE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_UNIT = re.compile(r"\s*(€|eur|euro|%|prozent)$", re.I)
_INT = re.compile(r"^\d+$")
_DE_GROUPED_DECIMAL = re.compile(r"^\d{1,3}(\.\d{3})+,\d+$")  # 1.850.000,50
_DE_GROUPED = re.compile(r"^\d{1,3}(\.\d{3}){2,}$")  # 1.850.000 (two groups or more)
_ONE_GROUP = re.compile(r"^\d{1,3}\.\d{3}$")  # 1.850: thousands or decimals? ambiguous
_DE_DECIMAL = re.compile(r"^\d+,\d+$")  # 12,5 (but 1,850 is ambiguous)
_COMMA_GROUP = re.compile(r"^\d{1,3},\d{3}$")
_POINT_DECIMAL = re.compile(r"^\d+\.\d+$")  # 12.5
_EN_GROUPED = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")  # 1,850,000.50


def _kind(annotation: Any) -> tuple[str, Any]:
    """The facts module's classification of a field type, with whole and decimal numbers
    apart (they forgive differently); a type it does not flatten is left alone."""
    try:
        kind, inner = _unwrap(annotation)
    except TypeError:
        return "other", None
    if kind == "number":
        return ("int" if issubclass(inner, int) else "float"), inner
    return kind, inner


@lru_cache(maxsize=None)
def _plan(model: type[BaseModel]) -> dict[str, tuple[str, Any, Optional[str], Any]]:
    """key -> (kind, inner type, list item kind, list item type) for every field of ``model``, once."""
    plan = {}
    for key, info in model.model_fields.items():
        kind, inner = _kind(info.annotation)
        inner_kind, inner_type = _kind(inner) if kind == "list" else (None, None)
        plan[key] = (kind, inner, inner_kind, inner_type)
    return plan


@lru_cache(maxsize=None)
def _allowed(enum_type: Any) -> tuple[str, ...]:
    return tuple(member.value for member in enum_type)


_FORGIVEN = frozenset({"enum", "bool", "date", "int", "float"})  # kinds whose text may be converted


def forgive(model: type[BaseModel], data: dict, path: tuple = ()) -> tuple[dict, list[Problem]]:
    """A copy of ``data`` with forgivable strings converted, and the problems found."""
    problems: list[Problem] = []
    out = dict(data)
    plan = _plan(model)
    for key, value in data.items():
        spec = plan.get(key) if isinstance(key, str) else None
        if spec is None:
            continue
        kind, inner, inner_kind, inner_type = spec
        if kind == "model" and isinstance(value, dict):
            out[key], found = forgive(inner, value, path + (key,))
            problems += found
        elif kind == "list" and isinstance(value, list):
            where = path + (key,)
            items = []
            for index, item in enumerate(value):
                if inner_kind == "model" and isinstance(item, dict):
                    item, found = forgive(inner_type, item, where + (index,))
                    problems += found
                elif inner_kind in _FORGIVEN and isinstance(item, str):
                    item = _scalar(inner_kind, inner_type, item, where + (index,), problems)
                items.append(item)
            out[key] = items
        elif kind in _FORGIVEN and isinstance(value, str):
            out[key] = _scalar(kind, inner, value, path + (key,), problems)
    return out, problems


def _scalar(kind: str, typ: Any, value: Any, path: tuple, problems: list[Problem]) -> Any:
    if not isinstance(value, str):
        return value
    text = value.strip()
    if kind in ("bool", "enum", "int", "float") and text.casefold() == "fehlt":
        return "fehlt"  # the draft is silent on it: the model says where that is allowed
    if kind == "enum":
        allowed = _allowed(typ)
        if text in allowed:
            return text
        folded = re.sub(r"[\s\-/]+", "_", text.translate(_UMLAUTS).lower())
        return folded if folded in allowed else value
    if kind == "bool":
        return _YES.get(text.lower(), value)
    if kind == "date":
        match = _DATE_DE.match(text)
        if not match:
            return value
        day, month, year = (int(g) for g in match.groups())
        try:
            return dt.date(year, month, day)
        except ValueError:
            problems.append((path, "forgive_bad_date", {"found": value}))
            return value
    if kind in ("int", "float"):
        number = _number(_UNIT.sub("", text), path, value, problems)
        if number is None:
            return value
        if kind == "int":
            return int(number) if float(number).is_integer() else value
        return float(number)
    return value


def _number(text: str, path: tuple, original: str, problems: list[Problem]) -> Optional[float]:
    if _INT.match(text):
        return int(text)
    if _DE_GROUPED_DECIMAL.match(text):
        return float(text.replace(".", "").replace(",", "."))
    if _DE_GROUPED.match(text):
        return int(text.replace(".", ""))
    if _ONE_GROUP.match(text):
        whole = text.replace(".", "")
        problems.append((path, "forgive_ambiguous", {"found": original, "one": whole,
                                                      "other": text.replace(".", ",").rstrip("0").rstrip(","),
                                                      "form": whole}))
        return None
    if _COMMA_GROUP.match(text):
        whole = text.replace(",", "")
        problems.append((path, "forgive_ambiguous", {"found": original, "one": whole,
                                                      "other": text.rstrip("0").rstrip(","), "form": whole}))
        return None
    if _DE_DECIMAL.match(text):
        return float(text.replace(",", "."))
    if _POINT_DECIMAL.match(text):
        return float(text)
    if _EN_GROUPED.match(text):
        german = text.replace(",", " ").replace(".", ",").replace(" ", ".")
        problems.append((path, "forgive_english", {"found": original, "form": german}))
        return None
    return None
