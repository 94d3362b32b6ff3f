"""JSON Schema of the agreement format, and the commented YAML template of ``budgetcheck init``.

Editors with the YAML language server check and complete agreement files against the
schema. Users write it next to their files with::

    budgetcheck schema > budgetcheck-schema.json

and the template's first line (``# yaml-language-server: $schema=budgetcheck-schema.json``)
points there. Both are generated from :class:`checker.model.Agreement`, so they never go stale.
"""

from __future__ import annotations

import json
from typing import Any

from checker.model import ABSENT, FORMAT_VERSION, Agreement
from checker.texts_en import description_en

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = "https://budgetcheck.invalid/schema/agreement-v2.json"
SCHEMA_FILE = "budgetcheck-schema.json"

# Written (not commented out) although optional, so every file states its format.
_ALWAYS_WRITTEN = {"format_version"}
# Maxima above this are plausibility caps, not worth showing in the template.
_SHOWN_MAXIMUM = 1000

_WORDS = {
    "values": ("Werte", "values"),
    "list": ("Liste", "list"),
    "date": ("Datum JJJJ-MM-TT", "date YYYY-MM-DD"),
    "number": ("Zahl", "number"),
    "integer": ("ganze Zahl", "whole number"),
    "bool": ("true/false", "true/false"),
    "pattern": ("Muster", "pattern"),
    "required": ("Pflichtangabe", "required"),
    "fill_in": ("bitte ausfüllen", "please fill in"),
}

_HEADER = {
    "de": (
        f"Vorlage für eine Budgetvereinbarung (budgetcheck, Format {FORMAT_VERSION}).",
        "Schema für den Editor: budgetcheck schema > budgetcheck-schema.json",
        "Auskommentierte Angaben gelten als nicht angegeben (unbekannt), nie als erfüllt.",
        "Zum Ausfüllen das Kommentarzeichen vor der Zeile und vor ihren übergeordneten Zeilen entfernen.",
        "Prüfen mit: budgetcheck validate DATEI.yaml",
    ),
    "en": (
        f"Template for a budget agreement (budgetcheck, format {FORMAT_VERSION}).",
        "Schema for your editor: budgetcheck schema > budgetcheck-schema.json",
        "Keys and values are those of the format (German domain terms); the comments are English.",
        "Commented-out values count as not stated (unknown), never as fulfilled.",
        "To fill in a value, remove the comment sign of its line and of its parent lines.",
        "Check with: budgetcheck validate FILE.yaml",
    ),
}


def json_schema() -> dict:
    """The JSON Schema (draft 2020-12) of the agreement format."""
    schema = Agreement.model_json_schema()
    schema["title"] = f"budgetcheck: Budgetvereinbarung (Format {FORMAT_VERSION})"
    return {"$schema": SCHEMA_DIALECT, "$id": SCHEMA_ID, **schema}


def init_template(lang: str = "de") -> str:
    """A commented YAML template listing every field; it loads as it is (only the title is set)."""
    return _Template(json_schema(), lang).render()


class _Template:
    def __init__(self, schema: dict, lang: str) -> None:
        if lang not in _HEADER:
            raise ValueError(f"unsupported language {lang!r}")
        self.schema = schema
        self.lang = lang
        self.lines = [f"# yaml-language-server: $schema={SCHEMA_FILE}"]
        self.lines += [f"# {line}" for line in _HEADER[lang]]

    def render(self) -> str:
        self._object(self.schema, indent=0, active=True)
        return "\n".join(self.lines) + "\n"

    def _word(self, key: str) -> str:
        return _WORDS[key][0 if self.lang == "de" else 1]

    def _resolve(self, node: dict) -> dict:
        """Follow ``$ref`` and drop the ``null`` branch of ``anyOf``; the outer description wins."""
        outer = {key: value for key, value in node.items() if key not in ("$ref", "anyOf")}
        if "anyOf" in node:
            branches = [branch for branch in node["anyOf"] if branch.get("type") != "null"]
            absent = [branch for branch in branches if branch.get("const") == ABSENT]
            (inner,) = [branch for branch in branches if branch not in absent]
            if absent:  # a fact the draft may be silent on (checker.model.Silence)
                outer["x-absent"] = True
        elif "$ref" in node:
            inner = self.schema["$defs"][node["$ref"].rsplit("/", 1)[-1]]
        else:
            return node
        return {**self._resolve(inner), **outer}

    def _object(self, node: dict, indent: int, active: bool, first_prefix: str = "") -> None:
        required = set(node.get("required", ()))
        for index, (name, prop) in enumerate(node["properties"].items()):
            if indent == 0 and self.lines[-1]:
                self.lines.append("")
            prefix = first_prefix if index == 0 else " " * len(first_prefix)
            written = active and (name in required or name in _ALWAYS_WRITTEN)
            self._field(name, self._resolve(prop), indent, prefix, written, name in required)

    def _field(self, name: str, node: dict, indent: int, prefix: str, active: bool, required: bool) -> None:
        comment = self._comment(node, required)
        inner = indent + len(prefix) + 2
        if node.get("type") == "object":
            self._line(indent, f"{prefix}{name}:", comment, active)
            self._object(node, inner, active)
        elif node.get("type") == "array":
            self._line(indent, f"{prefix}{name}:", comment, active=False)
            item = self._resolve(node["items"])
            if item.get("type") == "object":
                self._object(item, inner, active=False, first_prefix="- ")
            else:
                self._line(inner, "-", "", active=False)
        else:
            value = self._value(node, active)
            self._line(indent, f"{prefix}{name}:{' ' + value if value else ''}", comment, active)

    def _line(self, indent: int, content: str, comment: str, active: bool) -> None:
        line = " " * indent + ("" if active else "# ") + content
        self.lines.append(f"{line}  # {comment}" if comment else line)

    def _value(self, node: dict, active: bool) -> str:
        """The default if there is one; a placeholder for a required text that is written."""
        if node.get("default") is not None:
            return str(node["default"])
        if active and node.get("type") == "string":
            placeholder = f"{node.get('description', '')} ({self._word('fill_in')})"
            return json.dumps(placeholder, ensure_ascii=False)
        return ""

    def _comment(self, node: dict, required: bool) -> str:
        description = node.get("description", "")
        if self.lang == "en" and description:
            description = description_en(description)
        parts = [description, self._hint(node)]
        if required:
            parts.append(self._word("required"))
        return "; ".join(part for part in parts if part)

    def _hint(self, node: dict) -> str:
        """Allowed values, type and range of a field, in a few words."""
        hint = self._type_hint(node)
        return f"{hint} | {ABSENT}" if node.get("x-absent") else hint

    def _type_hint(self, node: dict) -> str:
        kind = node.get("type")
        if "enum" in node:
            return f"{self._word('values')}: " + " | ".join(str(value) for value in node["enum"])
        if kind == "array":
            item = self._resolve(node["items"])
            item_hint = self._hint(item) if item.get("type") != "object" else ""
            return self._word("list") + (f"; {item_hint}" if item_hint else "")
        if kind == "boolean":
            return self._word("bool")
        if kind in ("number", "integer"):
            return f"{self._word(kind)} {_range(node)}".strip()
        if node.get("format") == "date":
            return self._word("date")
        if "pattern" in node:
            return f"{self._word('pattern')} {node['pattern']}"
        return ""


def _range(node: dict) -> str:
    low, high = node.get("minimum"), node.get("maximum")
    low_text = _plain(low) if low is not None else None
    if low is not None and low == high:
        return low_text
    if high is not None and high <= _SHOWN_MAXIMUM:
        return f"{low_text}–{_plain(high)}" if low_text is not None else f"≤ {_plain(high)}"
    return f"≥ {low_text}" if low_text is not None else ""


def _plain(number: Any) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)
