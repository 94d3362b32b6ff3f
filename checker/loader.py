"""Load an agreement file (YAML or JSON) safely, keeping line and column of every value.

YAML is read from the parser's event stream (libyaml's C parser where available),
not with ``yaml.compose``: building the tree ourselves, without recursion, keeps
line/column of every value, lets us refuse duplicate keys, non-standard tags and
aliases, and enforces size, depth and node limits before anything can blow up
(``yaml.compose`` with the C loader crashes the interpreter on deep nesting).
JSON (files ending ``.json``) is read by a small parser built from the standard
library's scanner pieces, for the same reasons.

``locations`` maps a path tuple such as ``("budget", "teilbudgets", 0, "amount")``
to a 1-based ``(line, column)``: for a mapping entry the position of its key, for a
sequence item the position of the item, for ``()`` the start of the document.

Every problem with the input raises :class:`InputError`; the file is only read.
"""

from __future__ import annotations

import bisect
import codecs
import dataclasses
import datetime as dt
import difflib
import hashlib
import json
import math
import os
import sys
import re
import typing
from json.decoder import scanstring
from json.scanner import NUMBER_RE
from pathlib import Path
from typing import Any, Optional, TypeVar, Union

from pydantic import BaseModel, ValidationError

from checker.model import Agreement

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 50
MAX_NODES = 200_000

LANGS = ("de", "en")

PathTuple = tuple[Union[str, int], ...]
Position = tuple[int, int]
Locations = dict[PathTuple, Position]
M = TypeVar("M", bound=BaseModel)

# PyYAML is imported on first need (see _pyyaml): a plain document is read by the C reader
# (checker._fastyaml) without it. _Loader is the PyYAML loader class _YamlReader reads with
# (libyaml's CSafeLoader where PyYAML has it); None until PyYAML is imported.
yaml: Any = None
_Loader: Any = None

# --------------------------------------------------------------------------- messages

_TEXTS: dict[str, tuple[str, str]] = {
    # file, encoding and syntax
    "unreadable": ("Datei kann nicht gelesen werden: {reason}", "cannot read file: {reason}"),
    "forgive_ambiguous": (
        "mehrdeutige Zahl {found}: {one} oder {other}? Eindeutig schreiben, z. B. {form} (ohne Tausenderpunkt) "
        "oder mit Tausenderpunkten und Dezimalkomma wie 1.850.000,50",
        "ambiguous number {found}: {one} or {other}? Write it unambiguously, e.g. {form} (no thousands separator) "
        "or with German thousands points and decimal comma as in 1.850.000,50",
    ),
    "forgive_english": (
        "Zahl {found} mit englischen Trennzeichen; bitte {form} schreiben (Tausenderpunkte, Dezimalkomma) oder "
        "ohne Trennzeichen",
        "number {found} with English separators; please write {form} (German thousands points, decimal comma) "
        "or without separators",
    ),
    "forgive_bad_date": (
        "kein gültiges Datum: {found}; erlaubt: TT.MM.JJJJ (z. B. 15.11.2026) oder JJJJ-MM-TT",
        "not a valid date: {found}; allowed: DD.MM.YYYY (e.g. 15.11.2026) or YYYY-MM-DD",
    ),
    "old_format": (
        "{file}: Hinweis: Format 1 ist veraltet und wird als Format 2 gelesen ('nicht_geregelt' heißt jetzt "
        "'unbekannt'; neu ist 'fehlt' für eine Klausel, die der Entwurf nicht regelt); umstellen mit: "
        "budgetcheck migrate --write {file}",
        "{file}: note: format 1 is deprecated and read as format 2 ('nicht_geregelt' is now 'unbekannt'; "
        "new is 'fehlt' for a clause the draft does not regulate); convert with: budgetcheck migrate --write {file}",
    ),
    "not_found": ("Datei nicht gefunden", "file not found"),
    "is_directory": ("ist ein Verzeichnis, keine Datei", "is a directory, not a file"),
    "not_regular": ("ist keine reguläre Datei ({kind}) und wird nicht gelesen",
                    "is not a regular file ({kind}) and is not read"),
    "no_permission": ("keine Berechtigung zum Lesen", "no permission to read"),
    "too_large": (
        "Datei ist zu groß (mehr als {limit} Bytes)",
        "file is too large (more than {limit} bytes)",
    ),
    "bad_utf8": (
        "kein gültiges UTF-8 (Byte-Offset {offset}); bitte als UTF-8 speichern",
        "not valid UTF-8 (byte offset {offset}); please save as UTF-8",
    ),
    "control_char": (
        "unzulässiges Steuerzeichen U+{code:04X}",
        "control character U+{code:04X} is not allowed",
    ),
    "empty": ("Datei enthält keine Daten", "file contains no data"),
    "not_mapping": (
        "oberste Ebene muss ein Abschnitt aus 'Schlüssel: Wert' sein, gefunden: {found}",
        "top level must be a mapping of 'key: value', found: {found}",
    ),
    # Syntax errors: the parsers' own (English, version-dependent) problem texts are
    # mapped to these by _syntax_message(); an unknown one keeps its text as detail.
    "yaml_syntax": ("YAML-Syntaxfehler: {detail}", "YAML syntax error: {detail}"),
    "json_syntax": ("JSON-Syntaxfehler: {detail}", "JSON syntax error: {detail}"),
    "syn_tab": (
        "Tabulatorzeichen: YAML rückt nur mit Leerzeichen ein",
        "tab character: YAML indents with spaces only",
    ),
    "syn_colon": (
        "nach dem Schlüssel fehlt der Doppelpunkt (Form 'schluessel: wert')",
        "the key is not followed by a colon (form 'key: value')",
    ),
    "syn_colon_in_value": (
        "unerwarteter Doppelpunkt: Einrückung prüfen oder einen Wert mit ':' in Anführungszeichen setzen",
        "unexpected colon: check the indentation, or put a value containing ':' in quotes",
    ),
    "syn_indent": (
        "Einrückung stimmt nicht: Einträge einer Ebene müssen genau untereinander stehen",
        "indentation does not match: entries of one level must line up exactly",
    ),
    "syn_dash": (
        "Listeneintrag ('- ') an dieser Stelle nicht erlaubt: Einrückung prüfen",
        "list entry ('- ') not allowed here: check the indentation",
    ),
    "syn_quote": (
        "Anführungszeichen wird nicht geschlossen",
        "quotation mark is never closed",
    ),
    "syn_flow_list": (
        "Liste in eckigen Klammern: Komma oder ']' fehlt",
        "list in square brackets: a comma or ']' is missing",
    ),
    "syn_flow_map": (
        "Abschnitt in geschweiften Klammern: Komma oder '}}' fehlt",
        "mapping in curly braces: a comma or '}}' is missing",
    ),
    "syn_bad_char": (
        "Zeichen kann hier nicht stehen (etwa '@', '`', '%' oder Tabulator am Anfang): Wert in Anführungszeichen setzen",
        "character cannot start a value here (such as '@', '`', '%' or a leading tab): put the value in quotes",
    ),
    "syn_after_value": (
        "nach dem Wert folgt noch Text: den ganzen Wert in Anführungszeichen setzen",
        "text follows the value: put the whole value in quotes",
    ),
    "syn_escape": (
        "unbekannte Escape-Sequenz mit '\\' in doppelten Anführungszeichen: einfache Anführungszeichen verwenden",
        "unknown escape sequence with '\\' in double quotes: use single quotes",
    ),
    "syn_no_value": (
        "hier fehlt ein Wert",
        "a value is missing here",
    ),
    "syn_control": (
        "unzulässiges Steuerzeichen im Text",
        "control character not allowed in text",
    ),
    "syn_json_key": (
        "Schlüssel in doppelten Anführungszeichen erwartet (überzähliges Komma?)",
        "key in double quotes expected (a trailing comma?)",
    ),
    "syn_json_comma": (
        "Komma fehlt zwischen zwei Einträgen",
        "a comma is missing between two entries",
    ),
    "syn_json_extra": (
        "nach dem Ende der Daten folgt noch Text",
        "text follows the end of the data",
    ),
    "json_constant": (
        "{found} ist keine gültige Zahl und in JSON nicht erlaubt",
        "{found} is not a valid number and not allowed in JSON",
    ),
    "multiple_docs": (
        "mehr als ein YAML-Dokument ('---'); erlaubt ist genau eines",
        "more than one YAML document ('---'); exactly one is allowed",
    ),
    "duplicate_key": (
        "Schlüssel {key} doppelt (Zeile {first} und Zeile {line})",
        "duplicate key {key} (line {first} and line {line})",
    ),
    "complex_key": (
        "Schlüssel muss ein einfacher Text sein",
        "a key must be plain text",
    ),
    "bad_tag": (
        "YAML-Tag {tag} ist nicht erlaubt (nur Text, Zahl, true/false, null, Datum, Liste, Abschnitt)",
        "YAML tag {tag} is not allowed (only text, number, true/false, null, date, list, mapping)",
    ),
    "bad_tagged_value": (
        "Wert {found} passt nicht zum YAML-Tag {tag}",
        "value {found} does not match YAML tag {tag}",
    ),
    "bad_date": (
        "ungültiges Datum {found} (Format JJJJ-MM-TT)",
        "invalid date {found} (format YYYY-MM-DD)",
    ),
    "bad_number": ("Zahl {found} kann nicht gelesen werden", "cannot read number {found}"),
    "alias": (
        "YAML-Aliase (*{name}) werden nicht unterstützt; bitte den Inhalt ausschreiben",
        "YAML aliases (*{name}) are not supported; please write the content out",
    ),
    "too_deep": (
        "zu tief verschachtelt (mehr als {limit} Ebenen)",
        "nested too deeply (more than {limit} levels)",
    ),
    "too_many_nodes": ("zu viele Werte (mehr als {limit})", "too many values (more than {limit})"),
    # validation
    "missing": ("Pflichtangabe fehlt", "required value is missing"),
    "unknown_key": ("unbekannter Schlüssel {key}", "unknown key {key}"),
    "unicode": (
        "ungültiges Unicode-Zeichen im Text (einzelnes Surrogat)",
        "invalid Unicode character in text (lone surrogate)",
    ),
    "bool": ("true oder false erwartet, gefunden: {found}", "expected true or false, found: {found}"),
    "int": ("ganze Zahl erwartet, gefunden: {found}", "expected a whole number, found: {found}"),
    "float": (
        "Zahl erwartet (z. B. 12500.50, ohne Anführungszeichen und Tausenderpunkte), gefunden: {found}",
        "expected a number (e.g. 12500.50, without quotes or thousands separators), found: {found}",
    ),
    "finite": (
        "Zahl muss endlich sein (NaN und unendlich sind nicht erlaubt), gefunden: {found}",
        "number must be finite (NaN and infinity are not allowed), found: {found}",
    ),
    "negative": ("darf nicht negativ sein, gefunden: {found}", "must not be negative, found: {found}"),
    "ge": ("muss mindestens {limit} sein, gefunden: {found}", "must be at least {limit}, found: {found}"),
    "gt": ("muss größer als {limit} sein, gefunden: {found}", "must be greater than {limit}, found: {found}"),
    "le": ("darf höchstens {limit} sein, gefunden: {found}", "must be at most {limit}, found: {found}"),
    "lt": ("muss kleiner als {limit} sein, gefunden: {found}", "must be less than {limit}, found: {found}"),
    "enum": (
        "unzulässiger Wert {found}; erlaubt: {allowed}",
        "invalid value {found}; allowed: {allowed}",
    ),
    "date": (
        "Datum im Format JJJJ-MM-TT oder TT.MM.JJJJ erwartet (z. B. 2024-01-31 oder 31.01.2024), gefunden: {found}",
        "expected a date in the format YYYY-MM-DD or DD.MM.YYYY (e.g. 2024-01-31 or 31.01.2024), found: {found}",
    ),
    "str": (
        "Text erwartet, gefunden: {found} (Zahlen, Daten und true/false in Anführungszeichen setzen)",
        "expected text, found: {found} (put numbers, dates and true/false in quotes)",
    ),
    "list_too_long": (
        "Liste zu lang ({actual_length} Einträge, höchstens {max_length} erlaubt)",
        "list too long ({actual_length} entries, at most {max_length} allowed)",
    ),
    "too_long": (
        "Text zu lang ({length} Zeichen, höchstens {max_length} erlaubt)",
        "text too long ({length} characters, at most {max_length} allowed)",
    ),
    "too_short": (
        "Text zu kurz (mindestens {min_length} Zeichen)",
        "text too short (at least {min_length} characters)",
    ),
    "pattern": (
        "entspricht nicht dem Muster {pattern}, gefunden: {found}",
        "does not match the pattern {pattern}, found: {found}",
    ),
    "list": (
        "Liste erwartet (Einträge mit '- '), gefunden: {found}",
        "expected a list (items with '- '), found: {found}",
    ),
    "mapping": (
        "Abschnitt aus 'Schlüssel: Wert' erwartet, gefunden: {found}",
        "expected a mapping of 'key: value', found: {found}",
    ),
    "other": ("ungültiger Wert {found}: {detail}", "invalid value {found}: {detail}"),
    "or_absent": (" (oder fehlt: der Entwurf regelt es nicht)", " (or fehlt: the draft does not regulate it)"),
    # short "expected" descriptions and display words
    "exp_bool": ("true | false", "true | false"),
    "exp_int": ("ganze Zahl", "whole number"),
    "exp_float": ("Zahl", "number"),
    "exp_date": ("JJJJ-MM-TT", "YYYY-MM-DD"),
    "exp_str": ("Text", "text"),
    "exp_list": ("Liste", "list"),
    "exp_mapping": ("Abschnitt", "mapping"),
    "did_you_mean": ("meinten Sie '{suggestion}'?", "did you mean '{suggestion}'?"),
    "show_none": ("leer", "empty"),
    "show_list": ("Liste", "list"),
    "show_mapping": ("Abschnitt", "mapping"),
    "show_inf": ("unendlich", "infinity"),
}

# pydantic error type -> message key
_ERROR_KEYS = {
    "missing": "missing",
    "extra_forbidden": "unknown_key",
    "bool_type": "bool",
    "bool_parsing": "bool",
    "int_type": "int",
    "int_parsing": "int",
    "int_parsing_size": "int",
    "int_from_float": "int",
    "float_type": "float",
    "float_parsing": "float",
    "finite_number": "finite",
    "greater_than_equal": "ge",
    "greater_than": "gt",
    "less_than_equal": "le",
    "less_than": "lt",
    "enum": "enum",
    "date_type": "date",
    "date_parsing": "date",
    "date_from_datetime_parsing": "date",
    "date_from_datetime_inexact": "date",
    "string_type": "str",
    "string_unicode": "unicode",
    "string_too_long": "too_long",
    "too_long": "list_too_long",
    "string_too_short": "too_short",
    "string_pattern_mismatch": "pattern",
    "list_type": "list",
    "dict_type": "mapping",
    "model_type": "mapping",
    "model_attributes_type": "mapping",
}

# message key -> key of its short "expected" text
_EXPECTED = {
    "bool": "exp_bool",
    "int": "exp_int",
    "float": "exp_float",
    "finite": "exp_float",
    "date": "exp_date",
    "str": "exp_str",
    "list": "exp_list",
    "mapping": "exp_mapping",
}


def text(lang: str, key: str, /, **values: Any) -> str:
    """The message ``key`` in ``lang`` ("de" or "en"), filled with ``values``."""
    return _TEXTS[key][LANGS.index(lang)].format(**values)


# --------------------------------------------------------------------------- errors


@dataclasses.dataclass(frozen=True)
class ErrorItem:
    """One problem with an input file. ``line``/``column`` are 1-based, None if unknown.

    ``message`` and ``expected`` are in ``lang``, the language of the load.
    """

    file: str
    line: Optional[int]
    column: Optional[int]
    path: str
    message: str
    expected: str = ""
    suggestion: Optional[str] = None
    lang: str = "de"

    def format(self, lang: Optional[str] = None) -> str:
        """``FILE:LINE:COL: PATH: MESSAGE (meinten Sie '…'?)``; unknown parts are left out."""
        lang = lang or self.lang
        where = self.file if self.line is None else f"{self.file}:{self.line}:{self.column}"
        parts = [where, self.path, self.message] if self.path else [where, self.message]
        line = ": ".join(parts)
        if self.suggestion:
            line += f" ({text(lang, 'did_you_mean', suggestion=self.suggestion)})"
        return line


class InputError(Exception):
    """The input cannot be used; ``errors`` says where and why."""

    def __init__(self, errors: list[ErrorItem]) -> None:
        self.errors = sorted(errors, key=lambda e: (e.file, e.line or 0, e.column or 0, e.path))
        super().__init__(self.format())

    def format(self, lang: Optional[str] = None) -> str:
        """One line per error; ``lang`` defaults to the language the messages were made in."""
        return "\n".join(error.format(lang) for error in self.errors)


# --------------------------------------------------------------------------- result


@dataclasses.dataclass(frozen=True)
class LoadedAgreement:
    """A validated agreement with its source: path as given, hash of the bytes, positions."""

    agreement: Agreement
    path: str
    sha256: str
    locations: Locations
    raw: dict
    notes: tuple[str, ...] = ()  # e.g. the deprecation note of a format-1 file (for stderr)


def location_for(locations: Locations, path: PathTuple) -> Optional[Position]:
    """Position of ``path`` or of its nearest ancestor that has one."""
    path = tuple(path)
    while path not in locations and path:
        path = path[:-1]
    return locations.get(path)


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")


def dotted(path: PathTuple) -> str:
    """``("budget", "teilbudgets", 0, "amount")`` -> ``budget.teilbudgets[0].amount``.

    Keys that are not plain names are quoted: ``budget['a b']``.
    """
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out


def _show(value: Any, lang: str) -> str:
    """A short, readable rendering of an input value for messages."""
    if value is None:
        return text(lang, "show_none")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("-" if value < 0 else "") + text(lang, "show_inf")
    if isinstance(value, (int, float)):
        return _number(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return text(lang, "show_mapping")
    if isinstance(value, list):
        return text(lang, "show_list")
    shown = str(value)
    return repr(shown if len(shown) <= 40 else shown[:37] + "...")


def _number(value: Any) -> str:
    """Integral floats without ``.0`` and without exponent (``1e13`` -> ``10000000000000``)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return str(value)


class _Problems:
    """Collects errors and positions while one file is read."""

    def __init__(self, file: str, lang: str) -> None:
        if lang not in LANGS:
            raise ValueError(f"unsupported language {lang!r}; use one of {LANGS}")
        self.file = file
        self.lang = lang
        self.errors: list[ErrorItem] = []
        self.locations: Locations = {}
        self.nodes = 0

    def item(self, pos: Optional[Position], key: str, path: PathTuple = (), /, **values: Any) -> ErrorItem:
        line, column = pos if pos else (None, None)
        return ErrorItem(self.file, line, column, dotted(path), text(self.lang, key, **values), lang=self.lang)

    def add(self, pos: Optional[Position], key: str, path: PathTuple = (), /, **values: Any) -> None:
        """Record a problem and keep reading."""
        self.errors.append(self.item(pos, key, path, **values))

    def fail(self, pos: Optional[Position], key: str, path: PathTuple = (), /, **values: Any) -> typing.NoReturn:
        """Stop reading: raise this problem together with those collected so far."""
        raise InputError([*self.errors, self.item(pos, key, path, **values)])

    def node(self, pos: Position, path: PathTuple, depth: int) -> None:
        """Count one value at nesting level ``depth`` (a collection counts itself)."""
        self.nodes += 1
        if self.nodes > MAX_NODES:
            self.fail(pos, "too_many_nodes", path, limit=MAX_NODES)
        if depth > MAX_DEPTH:
            self.fail(pos, "too_deep", path, limit=MAX_DEPTH)

    def key(self, seen: dict[str, int], key: str, path: PathTuple, pos: Position) -> bool:
        """Register a mapping key; False (and an error) if it is a duplicate."""
        if key in seen:
            self.add(pos, "duplicate_key", path, key=_show(key, self.lang), first=seen[key], line=pos[0])
            return False
        seen[key] = pos[0]
        self.locations[path] = pos
        return True

    def check(self) -> None:
        if self.errors:
            raise InputError(self.errors)


# --------------------------------------------------------------------------- reading


_OS_ERRORS = {FileNotFoundError: "not_found", IsADirectoryError: "is_directory", PermissionError: "no_permission"}


STDIN = "/dev/stdin"  # the one non-regular file read on purpose (``check -``), read as a stream


def _read(path: Union[str, Path], problems: _Problems) -> bytes:
    """The file's bytes. Only a regular file is read (opened without blocking: a FIFO or device
    named like an agreement cannot hang the run), and one above the limit is refused before
    anything is read. Standard input (``STDIN``) is read as a stream, up to the limit."""
    from checker.safeio import FileTooLarge, NotRegularFile, read_regular

    if str(path) == STDIN:
        data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            problems.fail(None, "too_large", limit=MAX_FILE_BYTES)
        return data
    try:
        return read_regular(path, MAX_FILE_BYTES)
    except FileTooLarge:
        problems.fail(None, "too_large", limit=MAX_FILE_BYTES)
    except NotRegularFile as exc:
        problems.fail(None, "not_regular", kind=exc.kind)
    except OSError as exc:
        problems.fail(None, _OS_ERRORS.get(type(exc), "unreadable"), reason=exc.strerror or type(exc).__name__)


def _decode(data: bytes, problems: _Problems) -> str:
    """UTF-8 without BOM; on invalid bytes report byte offset, line and column."""
    skip = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[skip:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = skip + exc.start
        line_start = max(data.rfind(b"\n", 0, offset) + 1, skip)
        column = len(data[line_start:offset].decode("utf-8")) + 1
        problems.fail((data.count(b"\n", 0, offset) + 1, column), "bad_utf8", offset=offset)


def _position(text_: str, index: int) -> Position:
    line_start = text_.rfind("\n", 0, index) + 1
    return text_.count("\n", 0, index) + 1, index - line_start + 1


# --------------------------------------------------------------------------- YAML

# Lone surrogates (from escapes such as "\ud800") cannot be printed or written as UTF-8.
_SURROGATE = re.compile("[\ud800-\udfff]")
# The characters YAML does not allow in a document (PyYAML's Reader.NON_PRINTABLE), written as the
# complement of its allowed set "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]":
# the same matches (tests/test_loader.py compares both on every code point), but compiling the
# negated class cost ~58 M instructions, 4 % of a cold check, and this one almost nothing.
_NON_PRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
_TAG = "tag:yaml.org,2002:"
# filled by _pyyaml(): PyYAML's constructors of the scalar tags, the tags of collection events
_SCALAR_CONSTRUCTORS: dict[str, Any] = {}
_COLLECTION_TAGS: dict[type, str] = {}
# Scalars already read, by (tag, text, implicit): the value a scalar constructor made of them.
# Only successes of the constructors above are kept; all their values are immutable.
_SCALARS: dict[tuple, Any] = {}
_SCALARS_MAX = 8192


def _mark(mark: Any) -> Position:
    return mark.line + 1, mark.column + 1


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_TAG):] if tag.startswith(_TAG) else tag


class _Open:
    """A mapping or sequence being built."""

    __slots__ = ("value", "path", "key", "keep", "seen", "is_list")

    def __init__(self, value: Union[dict, list], path: PathTuple) -> None:
        self.value = value
        self.path = path
        self.key: Optional[str] = None  # mappings: the key whose value comes next
        self.keep = True  # mappings: False while the value of a duplicate key comes
        self.seen: dict[str, int] = {}
        self.is_list = isinstance(value, list)

    @property
    def expects_key(self) -> bool:
        return not self.is_list and self.key is None

    def child_path(self) -> PathTuple:
        """Path of the value that comes next (the mapping's own path while a key is expected)."""
        if isinstance(self.value, list):
            return self.path + (len(self.value),)
        return self.path if self.key is None else self.path + (self.key,)

    def attach(self, value: Any) -> None:
        if isinstance(self.value, list):
            self.value.append(value)
            return
        if self.keep:
            self.value[self.key] = value
        self.key, self.keep = None, True


# Parser problem texts (libyaml, PyYAML's pure-Python parser, the json module) that a
# user can trigger, by a lower-case fragment, mapped to the loader's own message; the
# first fragment found wins. Their wording changes between releases: nothing outside
# this table depends on it, and an unknown text still gives a located syntax error.
_YAML_PROBLEMS: tuple[tuple[str, str], ...] = (
    ("nesting depth", "too_deep"),
    ("tab character", "syn_tab"),
    ("could not find expected ':'", "syn_colon"),
    ("mapping values are not allowed", "syn_colon_in_value"),
    ("block sequence entries are not allowed", "syn_dash"),
    ("expected '-' indicator", "syn_dash"),
    ("did not find expected key", "syn_indent"),
    ("expected <block end>", "syn_indent"),
    ("scanning a quoted scalar", "syn_quote"),
    ("expected ',' or ']'", "syn_flow_list"),
    ("expected ',' or '}'", "syn_flow_map"),
    ("cannot start any token", "syn_bad_char"),
    ("expected comment or line break", "syn_after_value"),
    ("unknown escape", "syn_escape"),
    ("expected node content", "syn_no_value"),
    ("control character", "syn_control"),
    ("special characters are not allowed", "syn_control"),
    ("unacceptable character", "syn_control"),
)
_JSON_PROBLEMS: tuple[tuple[str, str], ...] = (
    ("property name", "syn_json_key"),
    ("',' delimiter", "syn_json_comma"),
    ("':' delimiter", "syn_colon"),
    ("extra data", "syn_json_extra"),
    ("unterminated string", "syn_quote"),
    ("invalid control character", "syn_control"),
    ("invalid \\escape", "syn_escape"),
    ("expecting value", "syn_no_value"),
)


def _indentation(text_: str, line: int) -> str:
    """The leading white space of the 0-based ``line`` of ``text_``."""
    lines = text_.split("\n", line + 1)
    row = lines[line] if line < len(lines) else ""
    return row[: len(row) - len(row.lstrip(" \t"))]


def _syntax_message(
    lang: str, table: tuple[tuple[str, str], ...], fallback: str, problem: str
) -> tuple[str, dict[str, Any]]:
    """The loader's own message key (and its parameters) for a parser's problem text."""
    lowered = problem.lower()
    for fragment, key in table:
        if fragment in lowered:
            if key == "too_deep":
                return key, {"limit": MAX_DEPTH}
            return fallback, {"detail": text(lang, key)}
    return fallback, {"detail": problem.strip()}


class _YamlReader:
    """Builds plain Python data from the YAML event stream, without recursion."""

    def __init__(self, text_: str, problems: _Problems) -> None:
        _pyyaml()
        self.loader = _Loader(text_)
        self.problems = problems
        self.text = text_

    def read(self) -> Any:
        try:
            return self._document()
        except yaml.MarkedYAMLError as exc:
            problem = exc.problem or str(exc)
            mark = exc.problem_mark
            if mark is not None and "\t" in _indentation(self.text, mark.line):
                problem = "tab character"  # libyaml names only "a character" for an indenting tab
            key, params = _syntax_message(self.problems.lang, _YAML_PROBLEMS, "yaml_syntax", f"{exc.context or ''} {problem}")
            self.problems.fail(_mark(mark) if mark else None, key, **params)
        except yaml.YAMLError as exc:
            key, params = _syntax_message(self.problems.lang, _YAML_PROBLEMS, "yaml_syntax", str(exc))
            self.problems.fail(None, key, **params)
        finally:
            self.loader.dispose()

    def _document(self) -> Any:
        loader = self.loader
        loader.get_event()  # stream start
        if loader.check_event(yaml.StreamEndEvent):
            self.problems.fail(None, "empty")
        loader.get_event()  # document start
        root = self._tree()
        loader.get_event()  # document end
        if not loader.check_event(yaml.StreamEndEvent):
            self.problems.fail(_mark(loader.peek_event().start_mark), "multiple_docs")
        return root

    def _tree(self) -> Any:
        stack: list[_Open] = []
        get_event = self.loader.get_event
        problems = self.problems
        locations = problems.locations
        top: Optional[_Open] = None
        while True:
            event = get_event()
            mark = event.start_mark
            pos = (mark.line + 1, mark.column + 1)
            if top is not None and type(event) is yaml.ScalarEvent:  # the common case, in short
                depth = len(stack)
                if not top.is_list and top.key is None:  # a key (as _key, inline)
                    key = event.value
                    path = top.path + (key,)
                    if problems.nodes >= MAX_NODES or depth > MAX_DEPTH:
                        problems.node(pos, path, depth)  # counts it and raises
                    problems.nodes += 1
                    tag = event.tag
                    if tag is not None and tag != "!" and tag not in _SCALAR_CONSTRUCTORS:
                        problems.add(pos, "bad_tag", path, tag=_short_tag(tag))
                    if _SURROGATE.search(key):
                        problems.add(pos, "unicode", path)
                    top.key = key  # keys are kept as written: "1", "on", "2024-01-01"
                    seen = top.seen
                    if key in seen:
                        top.keep = problems.key(seen, key, path, pos)
                    else:
                        seen[key] = pos[0]
                        locations[path] = pos
                        top.keep = True
                    continue
                path = top.path + (len(top.value),) if top.is_list else top.path + (top.key,)
                if top.is_list:
                    locations[path] = pos
                if problems.nodes >= MAX_NODES or depth > MAX_DEPTH:
                    problems.node(pos, path, depth)  # counts it and raises
                problems.nodes += 1
                value = self._scalar(event, pos, path)
                if top.is_list:
                    top.value.append(value)
                else:
                    if top.keep:
                        top.value[top.key] = value
                    top.key, top.keep = None, True
                continue
            top = stack[-1] if stack else None
            if isinstance(event, yaml.CollectionEndEvent):
                value = stack.pop().value
            elif isinstance(event, yaml.AliasEvent):
                self.problems.fail(pos, "alias", top.child_path() if top else (), name=event.anchor)
            elif top is not None and top.expects_key:
                self._key(top, event, pos, len(stack))
                continue
            else:
                path = top.child_path() if top else ()
                if top is None or isinstance(top.value, list):
                    self.problems.locations[path] = pos
                if isinstance(event, yaml.ScalarEvent):
                    self.problems.node(pos, path, len(stack))
                    value = self._scalar(event, pos, path)
                else:
                    self.problems.node(pos, path, len(stack) + 1)
                    self._check_collection_tag(event, pos, path)
                    top = _Open({} if isinstance(event, yaml.MappingStartEvent) else [], path)
                    stack.append(top)
                    continue
            if not stack:
                return value
            top = stack[-1]
            top.attach(value)

    def _key(self, top: _Open, event: Any, pos: Position, depth: int) -> None:
        if not isinstance(event, yaml.ScalarEvent):
            self.problems.fail(pos, "complex_key", top.path)
        path = top.path + (event.value,)
        self.problems.node(pos, path, depth)
        if event.tag not in (None, "!") and event.tag not in _SCALAR_CONSTRUCTORS:
            self.problems.add(pos, "bad_tag", path, tag=_short_tag(event.tag))
        if _SURROGATE.search(event.value):
            self.problems.add(pos, "unicode", path)
        top.key = event.value  # keys are kept as written: "1", "on", "2024-01-01"
        top.keep = self.problems.key(top.seen, event.value, path, pos)

    def _scalar(self, event: Any, pos: Position, path: PathTuple) -> Any:
        key = (event.tag, event.value, event.implicit)
        try:
            return _SCALARS[key]  # this scalar was read before: same (immutable) value
        except KeyError:
            pass
        tag = event.tag
        if tag in (None, "!"):
            tag = self.loader.resolve(ScalarNode, event.value, event.implicit)
        construct = _SCALAR_CONSTRUCTORS.get(tag)
        if construct is None:
            self.problems.add(pos, "bad_tag", path, tag=_short_tag(tag))
            return None
        if _SURROGATE.search(event.value):
            self.problems.add(pos, "unicode", path)
            return None
        try:
            value = construct(self.loader, ScalarNode(tag, event.value, event.start_mark, event.end_mark))
            if len(_SCALARS) >= _SCALARS_MAX:
                _SCALARS.clear()
            if len(event.value) <= 64:
                _SCALARS[key] = value
            return value
        except Exception:  # noqa: BLE001 - any failure of a scalar constructor is bad input
            found = _show(event.value, self.problems.lang)
            if event.tag not in (None, "!"):
                self.problems.add(pos, "bad_tagged_value", path, found=found, tag=_short_tag(tag))
            else:
                self.problems.add(pos, "bad_date" if tag.endswith("timestamp") else "bad_number", path, found=found)
            return None

    def _check_collection_tag(self, event: Any, pos: Position, path: PathTuple) -> None:
        if event.tag not in (None, "!", _COLLECTION_TAGS[type(event)]):
            self.problems.add(pos, "bad_tag", path, tag=_short_tag(event.tag))


# The fast path: checker._fastyaml (C, over a vendored libyaml; see setup.py) builds the same
# tree and locations for a plain, valid document and returns None for anything else, which
# _YamlReader then reads -- the reference for every message and location. It is used only
# where _YamlReader itself reads through libyaml (the pure-Python parser places a few marks
# elsewhere) and while the YAML 1.1 implicit types are PyYAML's own: the C reader decides the
# common plain scalars itself (see _fastyaml.c) and asks _resolve_plain for the others.
try:
    from checker import _fastyaml
except ImportError:  # built without a C compiler: _YamlReader reads everything
    _fastyaml = None

_C_LOADER: Any = None  # PyYAML's CSafeLoader (None: PyYAML built without libyaml, or not imported yet)
_IMPLICIT_FIRST = {  # first character of a plain scalar -> the implicit types it may start (PyYAML 6)
    "": ("null",), "~": ("null",), "<": ("merge",), "=": ("value",),
    **{c: ("yaml",) for c in "!&*"}, ".": ("float",), **{c: ("float", "int") for c in "+-"},
    **{c: ("float", "int", "timestamp") for c in "0123456789"},
    **{c: ("bool",) for c in "yYtTfFoO"}, **{c: ("bool", "null") for c in "nN"},
}
_implicit_seen: list = []  # (resolver table, entries) last found equal to _IMPLICIT_FIRST


ScalarNode: Any = None  # PyYAML's, once imported
_CONSTRUCTOR: Any = None  # resolves and constructs plain scalars as CSafeLoader does (see _pyyaml)


def _pyyaml() -> None:
    """Import PyYAML and fill the names above that depend on it (once; cheap afterwards)."""
    global yaml, _Loader, _C_LOADER, _CONSTRUCTOR, ScalarNode
    if _CONSTRUCTOR is None:
        _import_pyyaml()
    if _Loader is None:  # (tests set it to PyYAML's pure-Python loader for a while)
        _Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _import_pyyaml() -> None:
    global yaml, _C_LOADER, _CONSTRUCTOR, ScalarNode
    import yaml as pyyaml
    from yaml.constructor import SafeConstructor
    from yaml.nodes import ScalarNode as scalar_node

    yaml, ScalarNode = pyyaml, scalar_node
    _C_LOADER = getattr(pyyaml, "CSafeLoader", None)
    _SCALAR_CONSTRUCTORS.update({
        _TAG + "str": SafeConstructor.construct_yaml_str,
        _TAG + "int": SafeConstructor.construct_yaml_int,
        _TAG + "float": SafeConstructor.construct_yaml_float,
        _TAG + "bool": SafeConstructor.construct_yaml_bool,
        _TAG + "null": SafeConstructor.construct_yaml_null,
        _TAG + "timestamp": SafeConstructor.construct_yaml_timestamp,
    })
    _COLLECTION_TAGS.update({pyyaml.MappingStartEvent: _TAG + "map", pyyaml.SequenceStartEvent: _TAG + "seq"})

    class _PlainScalars(SafeConstructor, pyyaml.resolver.Resolver):
        """Resolves and constructs plain scalars as CSafeLoader does (its resolver is this Resolver)."""

    _CONSTRUCTOR = _PlainScalars()


def _c_reader_agrees() -> bool:
    """Whether the C reader reads as _YamlReader would: only where _YamlReader itself reads through
    libyaml and PyYAML's implicit types are those _fastyaml.c and _IMPLICIT_FIRST know. Checked on
    the imported PyYAML; while PyYAML is not imported (nobody in this process can have changed its
    tables), a marker in the private cache written by a process that checked this very PyYAML
    installation answers for it, and PyYAML is not imported at all for a plain document."""
    stamp = None
    if _Loader is None and "yaml" not in sys.modules:
        stamp = _pyyaml_stamp()
        if stamp is not None and _stamp_seen(stamp):
            return True
    _pyyaml()
    agrees = _Loader is _C_LOADER and _implicit_types_as_expected()
    if agrees and not _stamp_done:
        _stamp_done.append(True)  # once per process
        stamp = stamp or _pyyaml_stamp()
        if stamp is not None and not _stamp_seen(stamp):
            _stamp_write(stamp)
    return agrees


_stamp_done: list = []


_STAMP_PREFIX = "pyyaml-"
_STAMP_FILES = ("__init__.py", "constructor.py", "cyaml.py", "resolver.py")


def _pyyaml_stamp() -> Optional[str]:
    """A digest of the PyYAML installation ``import yaml`` would load (where it is, the size and
    modification time of its modules and of its libyaml binding) and of what this module expects
    of it; None if it cannot be told without importing it."""
    try:
        from importlib.util import find_spec

        spec = find_spec("yaml")
        if spec is None or not spec.origin or not spec.submodule_search_locations:
            return None
        directory = os.path.realpath(os.path.dirname(spec.origin))
        digest = hashlib.sha256(f"1\0{sys.version}\0{sys.implementation.cache_tag}\0{_IMPLICIT_FIRST!r}\0"
                                f"{directory}\0".encode())
        with os.scandir(directory) as entries:
            files = sorted((e.name, e.stat()) for e in entries
                           if e.name in _STAMP_FILES or (e.name.startswith("_yaml") and e.is_file()))
        if not any(name.startswith("_yaml") for name, _st in files):
            return None  # no libyaml binding: _YamlReader reads with the pure-Python parser
        for name, st in files:
            digest.update(f"{name}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}\0".encode())
        return digest.hexdigest()
    except (OSError, ValueError, ImportError):
        return None


def _stamp_path(stamp: str) -> Optional[Path]:
    from checker.cachefiles import cache_dir

    directory = cache_dir()
    return directory / f"{_STAMP_PREFIX}{stamp[:40]}" if directory is not None else None


def _stamp_seen(stamp: str) -> bool:
    from checker.cachefiles import read_private

    path = _stamp_path(stamp)
    return path is not None and read_private(path, 256) == stamp.encode()


def _stamp_write(stamp: str) -> None:
    from checker.cachefiles import cache_write_bytes, prune

    path = _stamp_path(stamp)
    if path is not None and cache_write_bytes(path, stamp.encode()):
        prune(path.parent, f"{_STAMP_PREFIX}*", 4)


def _implicit_types_as_expected() -> bool:
    table = _Loader.yaml_implicit_resolvers
    if table is not type(_CONSTRUCTOR).yaml_implicit_resolvers:
        return False
    signature = (table, sum(map(len, table.values())))
    if _implicit_seen and _implicit_seen[0][0] is table and _implicit_seen[0][1] == signature[1]:
        return True
    found = {first: tuple(tag[len(_TAG):] for tag, _regexp in entries) for first, entries in table.items()}
    if found != _IMPLICIT_FIRST:
        return False
    _implicit_seen[:] = [signature]
    return True


_PLAIN = (True, False)  # event.implicit of a plain scalar without a tag


def _resolve_plain(value: str) -> Any:
    """For the C reader: the value _YamlReader._scalar gives a plain scalar without a tag, or this
    function itself where _YamlReader would report a problem."""
    key = (None, value, _PLAIN)
    try:
        return _SCALARS[key]
    except KeyError:
        pass
    _pyyaml()
    construct = _SCALAR_CONSTRUCTORS.get(_CONSTRUCTOR.resolve(ScalarNode, value, _PLAIN))
    if construct is None or _SURROGATE.search(value):
        return _resolve_plain
    try:
        result = construct(_CONSTRUCTOR, ScalarNode(None, value, None, None))
    except Exception:  # noqa: BLE001 - _YamlReader reports it
        return _resolve_plain
    if len(_SCALARS) >= _SCALARS_MAX:
        _SCALARS.clear()
    if len(value) <= 64:
        _SCALARS[key] = result
    return result


def _parse_yaml(text_: str, problems: _Problems) -> Any:
    bad = _NON_PRINTABLE.search(text_)
    if bad:
        problems.fail(_position(text_, bad.start()), "control_char", code=ord(bad.group()))
    if _fastyaml is not None and _c_reader_agrees():
        built = _fastyaml.compose(text_, problems.locations, _resolve_plain, MAX_NODES, MAX_DEPTH)
        if built is not None:
            return built[0]
        problems.locations.clear()
    return _YamlReader(text_, problems).read()


# --------------------------------------------------------------------------- JSON

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_LITERALS = (("true", True), ("false", False), ("null", None))
_CONSTANTS = ("NaN", "Infinity", "-Infinity")


class _JsonReader:
    """A strict JSON parser that records positions, duplicate keys and limits."""

    def __init__(self, text_: str, problems: _Problems) -> None:
        self.text = text_
        self.problems = problems
        self.newlines = [m.start() for m in re.finditer("\n", text_)]

    def read(self) -> Any:
        start = self._skip(0)
        if start == len(self.text):
            self.problems.fail(None, "empty")
        self.problems.locations[()] = self._pos(start)
        try:
            value, end = self._value(start, (), 0)
            if self._skip(end) != len(self.text):
                raise json.JSONDecodeError("Extra data", self.text, self._skip(end))
            return value
        except json.JSONDecodeError as exc:
            key, params = _syntax_message(self.problems.lang, _JSON_PROBLEMS, "json_syntax", exc.msg)
            self.problems.fail((exc.lineno, exc.colno), key, **params)

    def _pos(self, index: int) -> Position:
        line = bisect.bisect_left(self.newlines, index)
        return line + 1, index - (self.newlines[line - 1] + 1 if line else 0) + 1

    def _skip(self, index: int) -> int:
        return _WHITESPACE.match(self.text, index).end()

    def _value(self, index: int, path: PathTuple, depth: int) -> tuple[Any, int]:
        text_ = self.text
        char = text_[index : index + 1]
        opens = char in ("{", "[")
        self.problems.node(self._pos(index), path, depth + 1 if opens else depth)
        if char == "{":
            return self._object(index, path, depth + 1)
        if char == "[":
            return self._array(index, path, depth + 1)
        if char == '"':
            return self._string(index, path)
        number = NUMBER_RE.match(text_, index)
        if number:
            return self._number(number, path), number.end()
        for literal, value in _LITERALS:
            if text_.startswith(literal, index):
                return value, index + len(literal)
        for constant in _CONSTANTS:
            if text_.startswith(constant, index):
                self.problems.fail(self._pos(index), "json_constant", path, found=constant)
        raise json.JSONDecodeError("Expecting value", text_, index)

    def _string(self, index: int, path: PathTuple) -> tuple[str, int]:
        """The string starting at the quote at ``index``; lone surrogates (``\\ud800``) are refused."""
        value, end = scanstring(self.text, index + 1, True)
        if _SURROGATE.search(value):
            self.problems.fail(self._pos(index), "unicode", path)
        return value, end

    def _number(self, match: re.Match, path: PathTuple) -> Union[int, float]:
        integer, fraction, exponent = match.groups()
        try:
            if fraction or exponent:
                return float(integer + (fraction or "") + (exponent or ""))
            return int(integer)
        except ValueError:  # more digits than Python converts
            found = _show(match.group(), self.problems.lang)
            self.problems.fail(self._pos(match.start()), "bad_number", path, found=found)

    def _object(self, index: int, path: PathTuple, depth: int) -> tuple[dict, int]:
        result: dict[str, Any] = {}
        seen: dict[str, int] = {}
        index = self._skip(index + 1)
        if self.text.startswith("}", index):
            return result, index + 1
        while True:
            if not self.text.startswith('"', index):
                raise json.JSONDecodeError("Expecting property name enclosed in double quotes", self.text, index)
            key_pos = self._pos(index)
            key, index = self._string(index, path)
            index = self._skip(index)
            if not self.text.startswith(":", index):
                raise json.JSONDecodeError("Expecting ':' delimiter", self.text, index)
            self.problems.node(key_pos, path + (key,), depth)
            keep = self.problems.key(seen, key, path + (key,), key_pos)
            value, index = self._value(self._skip(index + 1), path + (key,), depth)
            if keep:
                result[key] = value
            index, done = self._after_item(index, "}")
            if done:
                return result, index

    def _array(self, index: int, path: PathTuple, depth: int) -> tuple[list, int]:
        result: list[Any] = []
        index = self._skip(index + 1)
        if self.text.startswith("]", index):
            return result, index + 1
        while True:
            item_path = path + (len(result),)
            self.problems.locations[item_path] = self._pos(index)
            value, index = self._value(index, item_path, depth)
            result.append(value)
            index, done = self._after_item(index, "]")
            if done:
                return result, index

    def _after_item(self, index: int, closing: str) -> tuple[int, bool]:
        """Skip the ',' (and whitespace) after an item, or ``closing``: (next index, closed)."""
        index = self._skip(index)
        char = self.text[index : index + 1]
        if char == closing:
            return index + 1, True
        if char != ",":
            raise json.JSONDecodeError("Expecting ',' delimiter", self.text, index)
        return self._skip(index + 1), False


def _parse_json(text_: str, problems: _Problems) -> Any:
    return _JsonReader(text_, problems).read()


# --------------------------------------------------------------------------- public


def load_data(path: Union[str, Path], lang: str = "de") -> tuple[dict, Locations, str]:
    """Read a YAML or JSON file whose top level is a mapping: ``(raw, locations, sha256)``."""
    problems = _Problems(str(path), lang)
    data = _read(path, problems)
    return _parse_data(data, str(path), problems)


def load_data_bytes(data: bytes, name: str, lang: str = "de") -> tuple[dict, Locations, str]:
    """As :func:`load_data`, for bytes that did not come from a file (an upload, a draft);
    ``name`` stands for the file in messages and decides YAML or JSON (``.json``)."""
    problems = _Problems(name, lang)
    if len(data) > MAX_FILE_BYTES:
        problems.fail(None, "too_large", limit=MAX_FILE_BYTES)
    return _parse_data(data, name, problems)


def _parse_data(data: bytes, path: str, problems: _Problems) -> tuple[dict, Locations, str]:
    sha256 = hashlib.sha256(data).hexdigest()
    content = _decode(data, problems)
    parse = _parse_json if str(path).lower().endswith(".json") else _parse_yaml
    raw = parse(content, problems)
    problems.check()
    if raw is None:
        problems.fail(None, "empty")
    if not isinstance(raw, dict):
        problems.fail(problems.locations.get(()), "not_mapping", found=_show(raw, problems.lang))
    return raw, problems.locations, sha256


def parse_text(content: str, file: str, lang: str = "de") -> tuple[Any, Locations]:
    """Parse text as the file ``file`` would be parsed (JSON if it ends ``.json``): ``(raw, locations)``."""
    problems = _Problems(file, lang)
    parse = _parse_json if file.lower().endswith(".json") else _parse_yaml
    raw = parse(content, problems)
    problems.check()
    return raw, problems.locations


def validate(model: type[M], raw: dict, locations: Locations, file: str, lang: str = "de") -> M:
    """``model.model_validate(raw)``, with every error turned into an :class:`ErrorItem`."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        errors = [_error_item(model, error, locations, file, lang)
                  for error in _absent_unions(exc.errors(include_url=False))]
        raise InputError(errors) from None


_ABSENT_TAG = "literal['fehlt']"  # pydantic's name of the ``fehlt`` branch of a fact (checker.model.Silence)


def _absent_unions(errors: list) -> list:
    """One error per field for a fact that may also be ``fehlt``: pydantic reports the value against
    each branch of the union (``...opening_clause.bool`` and ``...opening_clause[literal['fehlt']]``);
    keep the first, at the field's own path, and say that ``fehlt`` is allowed there too."""
    absent = {tuple(e["loc"][:-1]) for e in errors if e["loc"] and e["loc"][-1] == _ABSENT_TAG}
    out = []
    for error in errors:
        loc = tuple(error["loc"])
        if loc and loc[-1] == _ABSENT_TAG:
            continue
        if len(loc) >= 2 and loc[:-1] in absent:
            error = {**error, "loc": loc[:-1], "or_absent": True}
        out.append(error)
    return out


def load_agreement(path: Union[str, Path], lang: str = "de") -> LoadedAgreement:
    """Load, check and validate one agreement file."""
    from checker.migrate import is_old, upgrade_raw

    raw, locations, sha256 = load_data(path, lang)
    agreement, notes = _agreement(raw, locations, str(path), lang)
    return LoadedAgreement(agreement=agreement, path=str(path), sha256=sha256, locations=locations, raw=raw,
                           notes=notes)


def _agreement(raw: dict, locations: Locations, file: str, lang: str) -> tuple[Agreement, tuple[str, ...]]:
    """Validate loaded data as an Agreement: format 1 read as format 2 (with a note), forgiving
    German input (checker.forgiving), every problem located."""
    from checker.forgiving import forgive
    from checker.migrate import is_old, upgrade_raw

    notes: tuple[str, ...] = ()
    old = is_old(raw)
    data = upgrade_raw(raw) if old else raw
    if old:
        notes = (text(lang, "old_format", file=file),)
    data, problems = forgive(Agreement, data)
    errors = []
    for where, key, values in problems:
        position = location_for(locations, where)
        line, column = position if position else (None, None)
        errors.append(ErrorItem(file, line, column, dotted(where), text(lang, key, **values), lang=lang))
    try:
        agreement = validate(Agreement, data, locations, file, lang)
    except InputError as err:
        refused = {e.path for e in errors}
        raise InputError(errors + [e for e in err.errors if e.path not in refused]) from None
    if errors:
        raise InputError(errors)
    if old:
        agreement.format_version = 1
    agreement.input_notes = list(notes)
    return agreement, notes


def load_agreement_bytes(data: bytes, name: str, lang: str = "de") -> LoadedAgreement:
    """Load, check and validate an agreement given as bytes (same checks as for a file)."""
    raw, locations, sha256 = load_data_bytes(data, name, lang)
    agreement, notes = _agreement(raw, locations, name, lang)
    return LoadedAgreement(agreement=agreement, path=name, sha256=sha256, locations=locations, raw=raw, notes=notes)


# --------------------------------------------------------------------------- validation messages


def _error_item(model: type[BaseModel], error: dict, locations: Locations, file: str, lang: str) -> ErrorItem:
    path = tuple(error["loc"])
    key = _ERROR_KEYS.get(error["type"], "other")
    ctx = error.get("ctx") or {}
    found = error.get("input")
    values: dict[str, Any] = {"found": _show(found, lang), "detail": error["msg"], **ctx}
    expected = text(lang, _EXPECTED[key]) if key in _EXPECTED else ""
    suggestion = None
    if key == "unknown_key":
        values["key"] = _show(str(path[-1]) if path else "", lang)
        suggestion = _closest(str(path[-1]) if path else "", _field_names(model, path[:-1]))
    elif key == "enum":
        allowed = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        values["allowed"] = expected = ", ".join(allowed)
        suggestion = _closest(found, allowed)
    elif key in ("ge", "gt", "le", "lt"):
        values["limit"] = _number(ctx.get(key, ""))
        key = "negative" if key == "ge" and values["limit"] == "0" else key
        expected = {"ge": "≥ ", "negative": "≥ ", "gt": "> ", "le": "≤ ", "lt": "< "}[key] + values["limit"]
    elif key == "too_long":
        values["length"] = len(found) if isinstance(found, str) else "?"
    position = location_for(locations, path)
    line, column = position if position else (None, None)
    message = text(lang, key, **values)
    if error.get("or_absent"):
        message += text(lang, "or_absent")
        expected = f"{expected} | fehlt" if expected else "fehlt"
    return ErrorItem(file, line, column, dotted(path), message, expected, suggestion, lang)


def _closest(word: Any, choices: list[str]) -> Optional[str]:
    if not isinstance(word, str) or not choices:
        return None
    lowered = {choice.lower(): choice for choice in choices}
    matches = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[matches[0]] if matches else None


def _field_names(model: type[BaseModel], path: PathTuple) -> list[str]:
    """Field names of the model found at ``path`` below ``model`` (empty if none)."""
    current: Optional[type[BaseModel]] = model
    for part in path:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part) if current else None
        current = _model_in(field.annotation) if field else None
    return list(current.model_fields) if current else []


def _model_in(annotation: Any) -> Optional[type[BaseModel]]:
    """The pydantic model inside ``Optional[...]``, ``list[...]``, ``Annotated[...]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in typing.get_args(annotation):
        found = _model_in(argument)
        if found:
            return found
    return None
