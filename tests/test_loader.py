"""Tests for checker.loader: safe parsing, positions, limits and localized error messages."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import math
import os

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker import loader
from checker.loader import (
    MAX_DEPTH,
    MAX_FILE_BYTES,
    MAX_NODES,
    ErrorItem,
    InputError,
    LoadedAgreement,
    load_agreement,
    load_data,
    location_for,
)
from checker.model import Agreement

VALID = "meta:\n  title: Test\n"


def write(directory, name: str, content) -> str:
    path = directory / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return str(path)


def errors_of(path: str, lang: str = "de") -> list[ErrorItem]:
    with pytest.raises(InputError) as info:
        load_agreement(path, lang)
    return info.value.errors


def only_error(path: str, lang: str = "de") -> ErrorItem:
    errors = errors_of(path, lang)
    assert len(errors) == 1, errors
    return errors[0]


# --------------------------------------------------------------------------- error cases
# (file name, content, line, column, path, German part of the message, English part)

CASES = [
    pytest.param(
        "syntax.yaml", "meta:\n  title: x\n  - a\n", 3, 3, "",
        "YAML-Syntaxfehler", "YAML syntax error", id="yaml-syntax",
    ),
    pytest.param(
        "quote.yaml", 'meta:\n  title: "x\n', 3, 1, "",
        "YAML-Syntaxfehler", "YAML syntax error", id="yaml-unclosed-quote",
    ),
    pytest.param(
        "bool.yaml", "meta:\n  title: x\nbudget:\n  teilbudgets:\n    - name: A\n      shiftable: vielleicht\n",
        6, 7, "budget.teilbudgets[0].shiftable",
        "true oder false erwartet, gefunden: 'vielleicht'", "expected true or false, found: 'vielleicht'",
        id="wrong-type-bool",
    ),
    pytest.param(
        "number_flag.yaml", "meta:\n  title: x\nbudget:\n  teilbudgets:\n    - shiftable: 1\n",
        5, 7, "budget.teilbudgets[0].shiftable",
        "true oder false erwartet, gefunden: 1", "expected true or false, found: 1", id="number-is-no-flag",
    ),
    pytest.param(
        "text.yaml", "meta:\n  title: 2024\n", 2, 3, "meta.title",
        "Text erwartet, gefunden: 2024", "expected text, found: 2024", id="wrong-type-text",
    ),
    pytest.param(
        "int.yaml", "meta:\n  title: x\nsozialraeume:\n  - name: Nord\n    inhabitants: viele\n",
        5, 5, "sozialraeume[0].inhabitants",
        "ganze Zahl erwartet, gefunden: 'viele'", "expected a whole number, found: 'viele'", id="wrong-type-int",
    ),
    pytest.param(
        "amount_bool.yaml", "meta:\n  title: x\nbudget:\n  amount_per_year: true\n", 4, 3, "budget.amount_per_year",
        "Zahl erwartet", "expected a number", id="flag-is-no-amount",
    ),
    pytest.param(
        "amount_text.yaml", 'meta:\n  title: x\nbudget:\n  amount_per_year: "12.500"\n', 4, 3, "budget.amount_per_year",
        "mehrdeutige Zahl 12.500: 12500 oder 12,5?", "ambiguous number 12.500: 12500 or 12,5?", id="quoted-amount",
    ),
    pytest.param(
        "missing.yaml", "format_version: 1\nmeta:\n  identifier: X\n", 2, 1, "meta.title",
        "Pflichtangabe fehlt", "required value is missing", id="missing-required",
    ),
    pytest.param(
        "no_meta.yaml", "format_version: 1\n", 1, 1, "meta",
        "Pflichtangabe fehlt", "required value is missing", id="missing-section",
    ),
    pytest.param(
        "date.yaml", "meta:\n  title: x\n  period:\n    start: 1. Januar 2024\n", 4, 5, "meta.period.start",
        "Datum im Format JJJJ-MM-TT oder TT.MM.JJJJ erwartet", "expected a date in the format YYYY-MM-DD or DD.MM.YYYY",
        id="bad-date-text",
    ),
    pytest.param(
        "date_number.yaml", "meta:\n  title: x\n  signing_date: 20240101\n", 3, 3, "meta.signing_date",
        "Datum im Format JJJJ-MM-TT oder TT.MM.JJJJ erwartet", "expected a date in the format YYYY-MM-DD or DD.MM.YYYY",
        id="bad-date-number",
    ),
    pytest.param(
        "date_calendar.yaml", "meta:\n  title: x\n  signing_date: 2024-02-30\n", 3, 17, "meta.signing_date",
        "ungültiges Datum '2024-02-30' (Format JJJJ-MM-TT)", "invalid date '2024-02-30' (format YYYY-MM-DD)",
        id="bad-date-calendar",
    ),
    pytest.param(
        "negative.yaml", "meta:\n  title: x\nbudget:\n  amount_per_year: -100\n", 4, 3, "budget.amount_per_year",
        "darf nicht negativ sein, gefunden: -100", "must not be negative, found: -100", id="negative-amount",
    ),
    pytest.param(
        "nan.yaml", "meta:\n  title: x\nbudget:\n  teilbudgets:\n    - amount: .nan\n", 5, 7,
        "budget.teilbudgets[0].amount",
        "Zahl muss endlich sein (NaN und unendlich sind nicht erlaubt), gefunden: NaN",
        "number must be finite (NaN and infinity are not allowed), found: NaN", id="nan-amount",
    ),
    pytest.param(
        "inf.yaml", "meta:\n  title: x\nbudget:\n  amount_per_year: .inf\n", 4, 3, "budget.amount_per_year",
        "gefunden: unendlich", "found: infinity", id="inf-amount",
    ),
    pytest.param(
        "percent.yaml", "meta:\n  title: x\nbudget:\n  bonus:\n    share_percent: 150\n", 5, 5,
        "budget.bonus.share_percent", "darf höchstens 100 sein, gefunden: 150", "must be at most 100, found: 150",
        id="percent-too-high",
    ),
    pytest.param(
        "version.yaml", "format_version: 3\nmeta:\n  title: x\n", 1, 1, "format_version",
        "darf höchstens 2 sein", "must be at most 2", id="future-format",
    ),
    pytest.param(
        "list.yaml", "meta:\n  title: x\nfield_of_work: kinder_jugendhilfe\n", 3, 1, "field_of_work",
        "Liste erwartet", "expected a list", id="list-expected",
    ),
    pytest.param(
        "mapping.yaml", "meta: Titel\n", 1, 1, "meta",
        "Abschnitt aus 'Schlüssel: Wert' erwartet, gefunden: 'Titel'",
        "expected a mapping of 'key: value', found: 'Titel'", id="mapping-expected",
    ),
    pytest.param(
        "long.yaml", "meta:\n  title: " + "x" * 2001 + "\n", 2, 3, "meta.title",
        "Text zu lang (2001 Zeichen, höchstens 2000 erlaubt)", "text too long (2001 characters, at most 2000",
        id="text-too-long",
    ),
    pytest.param(
        "pattern.yaml", "meta:\n  title: x\nwaivers:\n  - rule: kleinbuchstaben\n    reason: Test\n", 4, 5,
        "waivers[0].rule", "entspricht nicht dem Muster", "does not match the pattern", id="pattern",
    ),
    pytest.param(
        "duplicate.yaml", "meta:\n  title: a\n  status: entwurf\n  title: b\n", 4, 3, "meta.title",
        "Schlüssel 'title' doppelt (Zeile 2 und Zeile 4)", "duplicate key 'title' (line 2 and line 4)",
        id="duplicate-key",
    ),
    pytest.param(
        "tag.yaml", "meta:\n  title: !!python/object/apply:os.system ['true']\n", 2, 10, "meta.title",
        "YAML-Tag !!python/object/apply:os.system ist nicht erlaubt",
        "YAML tag !!python/object/apply:os.system is not allowed", id="python-tag",
    ),
    pytest.param(
        "local_tag.yaml", "meta:\n  title: !geheim x\n", 2, 10, "meta.title",
        "YAML-Tag !geheim ist nicht erlaubt", "YAML tag !geheim is not allowed", id="local-tag",
    ),
    pytest.param(
        "set_tag.yaml", "meta:\n  title: x\nfield_of_work: !!set {a: null}\n", 3, 16, "field_of_work",
        "YAML-Tag !!set ist nicht erlaubt", "YAML tag !!set is not allowed", id="set-tag",
    ),
    pytest.param(
        "tagged_value.yaml", "meta:\n  title: x\nformat_version: !!int eins\n", 3, 17, "format_version",
        "Wert 'eins' passt nicht zum YAML-Tag !!int", "value 'eins' does not match YAML tag !!int",
        id="bad-tagged-value",
    ),
    pytest.param(
        "complex_key.yaml", "meta:\n  title: x\n? [a, b]\n: 1\n", 3, 3, "",
        "Schlüssel muss ein einfacher Text sein", "a key must be plain text", id="complex-key",
    ),
    pytest.param(
        "multi.yaml", "meta:\n  title: x\n---\nmeta:\n  title: y\n", 3, 1, "",
        "mehr als ein YAML-Dokument", "more than one YAML document", id="multiple-documents",
    ),
    pytest.param(
        "control.yaml", b"meta:\n  title: a\x00b\n", 2, 11, "",
        "unzulässiges Steuerzeichen U+0000", "control character U+0000 is not allowed", id="control-character",
    ),
    pytest.param(
        "utf8.yaml", b"meta:\n  title: \xff\n", 2, 10, "",
        "kein gültiges UTF-8 (Byte-Offset 15)", "not valid UTF-8 (byte offset 15)", id="invalid-utf8",
    ),
    pytest.param(
        "utf8_bom.yaml", "\ufeffmeta:\n  title: Grüße ".encode() + b"\xc3(\n", 2, 16, "",
        "kein gültiges UTF-8 (Byte-Offset 26)", "not valid UTF-8 (byte offset 26)", id="invalid-utf8-after-bom",
    ),
    pytest.param(
        "list_top.yaml", "- meta\n- title\n", 1, 1, "",
        "oberste Ebene muss ein Abschnitt aus 'Schlüssel: Wert' sein, gefunden: Liste",
        "top level must be a mapping of 'key: value', found: list", id="top-level-list",
    ),
    pytest.param(
        "scalar_top.yaml", "nur Text\n", 1, 1, "",
        "oberste Ebene muss ein Abschnitt", "top level must be a mapping", id="top-level-scalar",
    ),
    pytest.param(
        "syntax.json", '{\n  "meta": {"title": "x",}\n}\n', 2, 25, "",
        "JSON-Syntaxfehler: Schlüssel in doppelten Anführungszeichen erwartet (überzähliges Komma?)",
        "JSON syntax error: key in double quotes expected (a trailing comma?)", id="json-syntax",
    ),
    pytest.param(
        "trailing.json", '{"meta": {"title": "x"}}\n{}', 2, 1, "",
        "JSON-Syntaxfehler: nach dem Ende der Daten folgt noch Text",
        "JSON syntax error: text follows the end of the data", id="json-extra-data",
    ),
    pytest.param(
        "duplicate.json", '{"meta": {"title": "a",\n          "title": "b"}}', 2, 11, "meta.title",
        "Schlüssel 'title' doppelt (Zeile 1 und Zeile 2)", "duplicate key 'title' (line 1 and line 2)",
        id="json-duplicate-key",
    ),
    pytest.param(
        "nan.json", '{"meta": {"title": "x"},\n "budget": {"amount_per_year": NaN}}', 2, 32, "budget.amount_per_year",
        "NaN ist keine gültige Zahl und in JSON nicht erlaubt", "NaN is not a valid number and not allowed in JSON",
        id="json-nan",
    ),
    pytest.param(
        "inf.json", '{"meta": {"title": "x"}, "budget": {"amount_per_year": -Infinity}}', 1, 56,
        "budget.amount_per_year", "-Infinity ist keine gültige Zahl", "-Infinity is not a valid number", id="json-inf",
    ),
    pytest.param(
        "overflow.json", '{"meta": {"title": "x"},\n "budget": {"amount_per_year": 1e400}}', 2, 13,
        "budget.amount_per_year", "Zahl muss endlich sein", "number must be finite", id="json-overflow",
    ),
    pytest.param(
        "negative.json", '{"meta": {"title": "x"},\n "budget": {"amount_per_year": -5}}', 2, 13,
        "budget.amount_per_year", "darf nicht negativ sein", "must not be negative", id="json-negative",
    ),
    pytest.param(
        "surrogate.json", '{"meta": {"title": "\\ud800"}}', 1, 20, "meta.title",
        "ungültiges Unicode-Zeichen", "invalid Unicode character", id="json-lone-surrogate",
    ),
    pytest.param(
        "odd_key.yaml", 'meta:\n  title: x\n  "a\\nb": 1\n', 3, 3, "meta['a\\nb']",
        "unbekannter Schlüssel 'a\\nb'", "unknown key 'a\\nb'", id="unknown-key-with-line-break",
    ),
    pytest.param(
        "list_top.json", " [1, 2]", 1, 2, "",
        "oberste Ebene muss ein Abschnitt", "top level must be a mapping", id="json-top-level-list",
    ),
]


@pytest.mark.parametrize(("name", "content", "line", "column", "path", "german", "english"), CASES)
def test_error_position_path_and_message(tmp_path, name, content, line, column, path, german, english):
    file = write(tmp_path, name, content)
    de = only_error(file)
    assert (de.file, de.line, de.column, de.path) == (file, line, column, path)
    assert german in de.message
    en = only_error(file, lang="en")
    assert (en.file, en.line, en.column, en.path) == (file, line, column, path)
    assert english in en.message
    prefix = f"{file}:{line}:{column}: " + (f"{path}: " if path else "")
    assert de.format().startswith(prefix)
    assert german in de.format()
    assert "\n" not in de.format()


def test_json_syntax_position_matches_the_json_module(tmp_path):
    content = '{\n  "meta": {"title": "x",}\n}\n'
    with pytest.raises(json.JSONDecodeError) as info:
        json.loads(content)
    error = only_error(write(tmp_path, "a.json", content))
    assert (error.line, error.column) == (info.value.lineno, info.value.colno)


def test_lone_surrogate_in_yaml_is_refused(tmp_path):
    # libyaml refuses the escape itself; the pure-Python parser decodes it and we refuse the text
    error = only_error(write(tmp_path, "surrogate.yaml", 'meta:\n  title: "\\ud800"\n'))
    assert error.line == 2
    assert "YAML-Syntaxfehler" in error.message or "ungültiges Unicode-Zeichen" in error.message


def test_unknown_key_suggests_the_closest_field(tmp_path):
    file = write(tmp_path, "a.yaml", "meta:\n  title: x\nbudget:\n  amount_per_yaer: 5\n")
    de = only_error(file)
    assert (de.line, de.column, de.path) == (4, 3, "budget.amount_per_yaer")
    assert de.message == "unbekannter Schlüssel 'amount_per_yaer'"
    assert de.suggestion == "amount_per_year"
    assert de.format() == f"{file}:4:3: budget.amount_per_yaer: unbekannter Schlüssel 'amount_per_yaer' " \
        "(meinten Sie 'amount_per_year'?)"
    en = only_error(file, "en")
    assert en.format() == f"{file}:4:3: budget.amount_per_yaer: unknown key 'amount_per_yaer' " \
        "(did you mean 'amount_per_year'?)"


def test_unknown_key_in_list_item_and_without_close_match(tmp_path):
    file = write(tmp_path, "a.yaml", "meta:\n  title: x\nparties:\n  takers:\n    - nmae: A\n      zzz: 1\n")
    first, second = errors_of(file)
    assert (first.line, first.column, first.path, first.suggestion) == (5, 7, "parties.takers[0].nmae", "name")
    assert (second.line, second.column, second.path, second.suggestion) == (6, 7, "parties.takers[0].zzz", None)
    assert "meinten" not in second.format()


def test_enum_error_lists_allowed_values_and_suggests(tmp_path):
    file = write(tmp_path, "a.yaml", "meta:\n  title: x\n  status: entwur\n")
    de = only_error(file)
    assert (de.line, de.column, de.path) == (3, 3, "meta.status")
    assert de.message == "unzulässiger Wert 'entwur'; erlaubt: geplant, entwurf, unterzeichnet, beendet"
    assert de.expected == "geplant, entwurf, unterzeichnet, beendet"
    assert de.format().endswith("(meinten Sie 'entwurf'?)")
    assert only_error(file, "en").message == "invalid value 'entwur'; allowed: geplant, entwurf, unterzeichnet, beendet"


def test_several_errors_are_sorted_by_position(tmp_path):
    file = write(
        tmp_path, "a.yaml",
        "budget:\n  amount_per_year: -1\nmeta:\n  title: x\n  status: nein\n",
    )
    errors = errors_of(file)
    assert [(e.line, e.path) for e in errors] == [(2, "budget.amount_per_year"), (5, "meta.status")]
    assert str(InputError(errors)).count("\n") == 1


def test_alias_bomb_is_refused(tmp_path):
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in "bcdefghi":
        previous = chr(ord(level) - 1)
        lines.append(f"{level}: &{level} [" + ", ".join([f"*{previous}"] * 9) + "]")
    file = write(tmp_path, "bomb.yaml", "\n".join(lines) + "\n")
    de = only_error(file)
    assert (de.line, de.column, de.path) == (2, 8, "b[0]")
    assert "YAML-Aliase (*a) werden nicht unterstützt" in de.message
    assert "YAML aliases (*a) are not supported" in only_error(file, "en").message


def test_recursive_alias_is_refused(tmp_path):
    error = only_error(write(tmp_path, "rec.yaml", "a: &a [*a]\n"))
    assert (error.line, error.column, error.path) == (1, 8, "a[0]")


@pytest.mark.parametrize(("content", "position", "path"), [("{*a", (1, 2), ""), ("a:\n  *x : 1\n", (2, 3), "a")])
def test_alias_as_key_is_refused(tmp_path, content, position, path):
    error = only_error(write(tmp_path, "key.yaml", content))
    assert ((error.line, error.column), error.path) == (position, path)
    assert "YAML-Aliase" in error.message


def test_file_too_large(tmp_path):
    file = write(tmp_path, "big.yaml", b"meta:\n  title: x\n" + b"#" * MAX_FILE_BYTES)
    de = only_error(file)
    assert (de.file, de.line, de.column, de.path) == (file, None, None, "")
    assert de.message == f"Datei ist zu groß (mehr als {MAX_FILE_BYTES} Bytes)"
    assert de.format() == f"{file}: Datei ist zu groß (mehr als {MAX_FILE_BYTES} Bytes)"
    assert "file is too large" in only_error(file, "en").message


def test_file_at_the_size_limit_is_read(tmp_path):
    content = VALID.encode() + b"#" * (MAX_FILE_BYTES - len(VALID))
    assert load_agreement(write(tmp_path, "limit.yaml", content)).agreement.meta.title == "Test"


@pytest.mark.parametrize("suffix", ["yaml", "json"])
def test_deep_nesting_is_refused(tmp_path, suffix):
    opening = "x: " if suffix == "yaml" else '{"x": '
    closing = "" if suffix == "yaml" else "}"
    file = write(tmp_path, f"deep.{suffix}", opening + "[" * 60 + "]" * 60 + closing)
    de = only_error(file)
    # the root mapping is level 1, so the 50th bracket opens level 51
    assert (de.line, de.column) == (1, len(opening) + MAX_DEPTH)
    assert de.path == "x" + "[0]" * (MAX_DEPTH - 1)
    assert de.message == f"zu tief verschachtelt (mehr als {MAX_DEPTH} Ebenen)"
    assert only_error(file, "en").message == f"nested too deeply (more than {MAX_DEPTH} levels)"


@pytest.mark.parametrize("suffix", ["yaml", "json"])
def test_extreme_nesting_does_not_crash(tmp_path, suffix):
    # yaml.compose() with libyaml crashes the interpreter on this input
    file = write(tmp_path, f"deeper.{suffix}", "[" * 300_000 + "]" * 300_000)
    assert "zu tief verschachtelt" in only_error(file).message


def test_nesting_at_the_limit_is_accepted(tmp_path):
    file = write(tmp_path, "ok.yaml", "meta: {title: x}\nx: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1))
    assert load_data(file)[0]["meta"] == {"title": "x"}


def test_too_many_nodes(tmp_path):
    file = write(tmp_path, "many.yaml", "x: [" + "0," * MAX_NODES + "]\n")
    de = only_error(file)
    assert de.line == 1 and de.path.startswith("x[")
    assert de.message == f"zu viele Werte (mehr als {MAX_NODES})"
    assert only_error(file, "en").message == f"too many values (more than {MAX_NODES})"


@pytest.mark.parametrize("content", [b"", b"   \n\n", b"# nur ein Kommentar\n", b"---\n", b"~\n"])
def test_empty_yaml_file(tmp_path, content):
    file = write(tmp_path, "empty.yaml", content)
    de = only_error(file)
    assert (de.line, de.column, de.path, de.message) == (None, None, "", "Datei enthält keine Daten")
    assert de.format() == f"{file}: Datei enthält keine Daten"
    assert only_error(file, "en").message == "file contains no data"


def test_empty_json_file(tmp_path):
    assert only_error(write(tmp_path, "empty.json", b" \n")).message == "Datei enthält keine Daten"


def test_missing_file_and_directory(tmp_path):
    missing = str(tmp_path / "fehlt.yaml")
    assert only_error(missing).format() == f"{missing}: Datei nicht gefunden"
    assert only_error(missing, "en").message == "file not found"
    assert only_error(str(tmp_path)).message == "ist ein Verzeichnis, keine Datei"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("bom.yaml", "\ufeffmeta:\n  title: Grüße\n".encode()),
        ("bom.json", '\ufeff{"meta": {"title": "Grüße"}}'.encode()),
    ],
)
def test_byte_order_mark_is_accepted(tmp_path, name, content):
    loaded = load_agreement(write(tmp_path, name, content))
    assert loaded.agreement.meta.title == "Grüße"
    assert loaded.locations[("meta",)] == (1, 1 if name.endswith("yaml") else 2)
    assert loaded.sha256 == hashlib.sha256(content).hexdigest()


def test_unsupported_language_is_a_programming_error(tmp_path):
    with pytest.raises(ValueError):
        load_agreement(write(tmp_path, "a.yaml", VALID), lang="fr")


# --------------------------------------------------------------------------- success


EXAMPLE = """\
format_version: 2
meta:
  title: "Beispiel"
  period:
    start: 2024-01-01
budget:
  amount_per_year: 1000
  teilbudgets:
    - name: A
      amount: 600
    - {name: B, amount: 400}
field_of_work: [kinder_jugendhilfe]
"""


def test_locations_of_every_key_and_item(tmp_path):
    loaded = load_agreement(write(tmp_path, "a.yaml", EXAMPLE))
    assert loaded.locations == {
        (): (1, 1),
        ("format_version",): (1, 1),
        ("meta",): (2, 1),
        ("meta", "title"): (3, 3),
        ("meta", "period"): (4, 3),
        ("meta", "period", "start"): (5, 5),
        ("budget",): (6, 1),
        ("budget", "amount_per_year"): (7, 3),
        ("budget", "teilbudgets"): (8, 3),
        ("budget", "teilbudgets", 0): (9, 7),
        ("budget", "teilbudgets", 0, "name"): (9, 7),
        ("budget", "teilbudgets", 0, "amount"): (10, 7),
        ("budget", "teilbudgets", 1): (11, 7),
        ("budget", "teilbudgets", 1, "name"): (11, 8),
        ("budget", "teilbudgets", 1, "amount"): (11, 17),
        ("field_of_work",): (12, 1),
        ("field_of_work", 0): (12, 17),
    }


def test_json_locations(tmp_path):
    content = '{\n  "meta": {"title": "x"},\n  "field_of_work": [\n    "sonstiges"\n  ]\n}\n'
    loaded = load_agreement(write(tmp_path, "a.json", content))
    assert loaded.locations == {
        (): (1, 1),
        ("meta",): (2, 3),
        ("meta", "title"): (2, 12),
        ("field_of_work",): (3, 3),
        ("field_of_work", 0): (4, 5),
    }


def test_loaded_agreement_fields(tmp_path):
    file = write(tmp_path, "a.yaml", EXAMPLE)
    loaded = load_agreement(file)
    assert isinstance(loaded, LoadedAgreement)
    assert loaded.path == file
    assert loaded.sha256 == hashlib.sha256(EXAMPLE.encode()).hexdigest()
    assert loaded.raw["meta"]["period"]["start"] == dt.date(2024, 1, 1)
    assert loaded.raw["budget"]["teilbudgets"][1] == {"name": "B", "amount": 400}
    assert loaded.agreement.budget.teilbudgets[1].amount == 400.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        loaded.path = "other"  # type: ignore[misc]


def test_path_object_is_kept_as_given(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text(VALID, encoding="utf-8")
    assert load_agreement(path).path == str(path)


def test_yaml_and_json_give_the_same_agreement(tmp_path):
    yaml_loaded = load_agreement(write(tmp_path, "a.yaml", EXAMPLE))
    as_json = json.dumps(yaml_loaded.raw, default=lambda value: value.isoformat(), indent=2)
    json_loaded = load_agreement(write(tmp_path, "a.json", as_json))
    assert json_loaded.agreement == yaml_loaded.agreement


def test_strings_dates_and_keys_stay_as_written(tmp_path):
    content = 'meta:\n  title: "2024-01-01"\n  identifier: "0123"\nx:\n  on: yes\n  1: 2024-03-01\n  "~": ~\n'
    raw, _, _ = load_data(write(tmp_path, "a.yaml", content))
    assert raw["meta"] == {"title": "2024-01-01", "identifier": "0123"}
    assert raw["x"] == {"on": True, "1": dt.date(2024, 3, 1), "~": None}


def test_location_for_uses_the_nearest_ancestor():
    locations = {(): (1, 1), ("meta",): (2, 1), ("budget", "teilbudgets", 0): (9, 7)}
    assert location_for(locations, ("meta", "title")) == (2, 1)
    assert location_for(locations, ("budget", "teilbudgets", 0, "amount")) == (9, 7)
    assert location_for(locations, ("budget", "x")) == (1, 1)
    assert location_for(locations, ()) == (1, 1)
    assert location_for({}, ("meta",)) is None


def test_loading_does_not_modify_the_file_and_is_deterministic(tmp_path):
    file = write(tmp_path, "a.yaml", EXAMPLE)
    before = (hashlib.sha256(open(file, "rb").read()).hexdigest(), os.stat(file).st_mtime_ns)
    first, second = load_agreement(file), load_agreement(file)
    after = (hashlib.sha256(open(file, "rb").read()).hexdigest(), os.stat(file).st_mtime_ns)
    assert before == after
    assert first == second


def test_bad_file_is_not_modified(tmp_path):
    content = b"meta:\n  title: x\n  title: y\n"
    file = write(tmp_path, "bad.yaml", content)
    errors_of(file)
    assert open(file, "rb").read() == content


def test_load_data_is_reusable_for_other_files(tmp_path):
    raw, locations, sha256 = load_data(write(tmp_path, "waivers.yaml", "waivers:\n  - rule: X-1\n"))
    assert raw == {"waivers": [{"rule": "X-1"}]}
    assert locations[("waivers", 0, "rule")] == (2, 5)
    assert len(sha256) == 64


def test_validate_reports_against_any_model(tmp_path):
    from checker.model import Waiver

    file = write(tmp_path, "w.yaml", "rule: X-1\nreasn: zu kurz\n")
    raw, locations, _ = load_data(file)
    with pytest.raises(InputError) as info:
        loader.validate(Waiver, raw, locations, file)
    messages = [(e.line, e.path, e.suggestion) for e in info.value.errors]
    assert messages == [(1, "reason", None), (2, "reasn", "reason")]


def test_input_error_format_defaults_to_the_load_language(tmp_path):
    file = write(tmp_path, "a.yaml", "meta:\n  title: x\nbudgte: {}\n")
    with pytest.raises(InputError) as info:
        load_agreement(file, lang="en")
    assert info.value.format().endswith("(did you mean 'budget'?)")
    assert info.value.format("de").endswith("(meinten Sie 'budget'?)")


# --------------------------------------------------------------------------- properties

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats()
    | st.text(max_size=20)
    | st.dates()
)
KEYS = st.text(max_size=12) | st.sampled_from(sorted(Agreement.model_fields) + ["title", "amount", "status"])
DOCUMENTS = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=5),
    max_leaves=25,
)
AGREEMENT_LIKE = st.fixed_dictionaries({"meta": st.fixed_dictionaries({"title": st.text(max_size=10)})}, optional={
    name: DOCUMENTS for name in sorted(Agreement.model_fields) if name != "meta"
})
YAML_CHARS = st.sampled_from(
    list("ab: -[]{}#&*!|>'\"%@`,?\n\t.01\\~")
    + ["\x00", "\x85", "\u2028", "\ufeff", "ä", "*a", "&a", "!!int", "2024-01-01", ".nan", "\\ud800", "NaN", "---"]
)

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


def load_or_input_error(path: str) -> None:
    """The loader may only succeed or raise InputError."""
    try:
        assert isinstance(load_agreement(path), LoadedAgreement)
    except InputError as err:
        assert err.errors and all(isinstance(item, ErrorItem) for item in err.errors)
        assert err.format()


def has_nan(value) -> bool:
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, dict):
        return any(has_nan(item) for item in value.values())
    if isinstance(value, list):
        return any(has_nan(item) for item in value)
    return False


@FUZZ
@given(document=DOCUMENTS | AGREEMENT_LIKE)
def test_random_yaml_documents_never_crash(workdir, document):
    path = write(workdir, "doc.yaml", yaml.safe_dump(document))  # allow_unicode mangles U+0085
    load_or_input_error(path)
    if isinstance(document, dict) and document and not has_nan(document):
        assert load_data(path)[0] == document


@FUZZ
@given(document=DOCUMENTS | AGREEMENT_LIKE)
def test_random_json_documents_never_crash(workdir, document):
    content = json.dumps(document, default=str, ensure_ascii=False)
    path = write(workdir, "doc.json", content)
    load_or_input_error(path)
    expected = json.loads(content)
    if isinstance(expected, dict) and expected and "NaN" not in content and "Infinity" not in content:
        assert load_data(path)[0] == expected


@FUZZ
@given(data=st.binary(max_size=200), suffix=st.sampled_from(["yaml", "json"]))
def test_random_bytes_never_crash(workdir, data, suffix):
    load_or_input_error(write(workdir, f"bytes.{suffix}", data))


@FUZZ
@given(text=st.lists(YAML_CHARS, max_size=60).map("".join), suffix=st.sampled_from(["yaml", "json"]))
def test_random_yaml_like_text_never_crashes(workdir, text, suffix):
    prefix = "meta: {title: x}\n" if suffix == "yaml" else ""
    load_or_input_error(write(workdir, f"text.{suffix}", prefix + text))


# --------------------------------------------------------------------------- syntax errors in our words
# The parsers' problem texts are English and change between releases (PyYAML 6.0.4's
# libyaml reports deep nesting itself): the loader maps them to its own messages, so
# these tests assert only the loader's wording, with libyaml and with PyYAML's
# pure-Python parser alike.

SYNTAX_CASES = [
    ("tab.yaml", "meta:\n\ttitle: x\n", (2, 1), "Tabulatorzeichen: YAML rückt nur mit Leerzeichen ein"),
    ("indent.yaml", "meta:\n    title: x\n  status: entwurf\n", (3, 3), "Einrückung stimmt nicht"),
    ("colon.yaml", "meta:\n  title: a: b\n", (2, 11), "unerwarteter Doppelpunkt"),
    ("quote.yaml", 'meta:\n  title: "x\n', (3, 1), "Anführungszeichen wird nicht geschlossen"),
    ("list.yaml", "meta: {title: x}\nfield_of_work: [a, b\n", (3, 1), "Liste in eckigen Klammern: Komma oder ']' fehlt"),
    ("map.yaml", "meta: {title: x\n", (2, 1), "Abschnitt in geschweiften Klammern: Komma oder '}' fehlt"),
    ("char.yaml", "meta:\n  title: @x\n", (2, 10), "Zeichen kann hier nicht stehen"),
    ("escape.yaml", 'meta:\n  title: "a\\d"\n', (2, 12), "unbekannte Escape-Sequenz"),
    ("comma.json", '{"meta": {"title": "x" "status": 1}}', (1, 24), "Komma fehlt zwischen zwei Einträgen"),
    ("string.json", '{"meta": {"title": "x}}', (1, 20), "Anführungszeichen wird nicht geschlossen"),
    ("value.json", '{"meta": }', (1, 10), "hier fehlt ein Wert"),
]


@pytest.mark.parametrize("parser", ["libyaml", "python"])
@pytest.mark.parametrize("name, content, where, message", SYNTAX_CASES, ids=[c[0] for c in SYNTAX_CASES])
def test_syntax_errors_in_own_words(tmp_path, monkeypatch, parser, name, content, where, message):
    if parser == "python":
        if name.endswith(".json"):
            pytest.skip("JSON has one parser")
        monkeypatch.setattr(loader, "_Loader", yaml.SafeLoader)
    file = write(tmp_path, name, content)
    error = only_error(file)
    prefix = "JSON-Syntaxfehler: " if name.endswith(".json") else "YAML-Syntaxfehler: "
    assert error.message.startswith(prefix + message)
    if parser == "libyaml":  # the pure-Python parser places a few marks elsewhere
        assert (error.line, error.column) == where
    english = only_error(file, "en").message
    assert english.startswith(prefix.replace("-Syntaxfehler", " syntax error")) and "ü" not in english


@pytest.mark.parametrize("parser", ["libyaml", "python"])
def test_parser_depth_limit_is_our_depth_error(tmp_path, monkeypatch, parser):
    # whichever stops first (libyaml's own limit or ours), the user reads our message
    if parser == "python":
        monkeypatch.setattr(loader, "_Loader", yaml.SafeLoader)
    file = write(tmp_path, "deep.yaml", "x: " + "[" * 5000 + "]" * 5000)
    error = only_error(file)
    assert error.message == f"zu tief verschachtelt (mehr als {MAX_DEPTH} Ebenen)"
    assert error.line == 1 and error.column is not None


def test_unknown_parser_problem_keeps_its_text_located():
    key, params = loader._syntax_message("de", loader._YAML_PROBLEMS, "yaml_syntax", "something new")
    assert (key, params) == ("yaml_syntax", {"detail": "something new"})
    key, params = loader._syntax_message("en", loader._YAML_PROBLEMS, "yaml_syntax", "exceeded maximum nesting depth")
    assert (key, params) == ("too_deep", {"limit": MAX_DEPTH})
