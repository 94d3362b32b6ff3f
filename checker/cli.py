"""Command line interface: ``budgetcheck [--lang de|en] COMMAND ...``.

To add a command: write ``cmd_NAME(args) -> int``, add its sub-parser in
:func:`build_parser` and register it in :data:`COMMANDS`.

Exit codes: 0 ok (no finding at or above ``--fail-on``), 1 findings (a rule at or above
``--fail-on`` verletzt; with ``--fail-on-unresolved`` also ungeklärt; always when an
agreement is *nicht prüfbar*), 2 bad input or
usage (bad agreement, waiver, config or rule file, unknown rule id, bad option,
an error of the rule engine, an internal error), 130 interrupted (Ctrl-C), 141
output pipe closed early (``| head``), 143 terminated (SIGTERM, e.g. a cancelled CI job;
worker processes end with it). On exit code 2 nothing but the error messages
is written, except when only some of several agreements could not be read (the
others are reported, the unreadable ones as errors of every format): ``check``
streams each agreement's part of the machine outputs into temporary files of
:mod:`checker.safeio` (see :mod:`checker.stream`) and puts them in place (atomically,
special targets and the standard output in place, never over an input) only when the
whole run succeeded.
"""

from __future__ import annotations

import argparse
import array
import bisect
import dataclasses
import datetime as dt
import difflib
import fnmatch
import gc
import glob
import functools
import inspect
import json
import os
import pickle
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from checker import __version__, timing
from checker.loader import LANGS, ErrorItem, InputError, LoadedAgreement, load_agreement
from checker.schema import init_template, json_schema

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_INPUT = 2
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141
EXIT_TERMINATED = 143

HUMAN_FORMATS = ("text", "markdown", "html", "pdf")
MACHINE_FORMATS = ("json", "junit", "sarif", "concise", "github", "gitlab")
FORMATS = HUMAN_FORMATS + MACHINE_FORMATS
SEVERITIES = ("blocker", "major", "minor", "hinweis")
AGREEMENT_SUFFIXES = (".yaml", ".yml", ".json")
_GLOB_CHARS = set("*?[")

_MESSAGES = {
    "exists": (
        "{file}: Datei existiert bereits; zum Überschreiben --force angeben",
        "{file}: file exists already; use --force to overwrite it",
    ),
    "cannot_write": ("{file}: kann nicht geschrieben werden: {reason}", "{file}: cannot write: {reason}"),
    "written": ("{file}: Vorlage geschrieben", "{file}: template written"),
    # check
    "bad_output": (
        "-o {spec}: unbekanntes Format '{fmt}'; erlaubt: {allowed}",
        "-o {spec}: unknown format '{fmt}'; allowed: {allowed}",
    ),
    "two_stdout": (
        "höchstens ein Format kann auf die Standardausgabe gehen ({formats}); die anderen mit -o FORMAT:DATEI in Dateien schreiben",
        "at most one format can go to the standard output ({formats}); write the others to files with -o FORMAT:FILE",
    ),
    "same_file": ("{file}: mehrere Formate sollen in dieselbe Datei", "{file}: several formats would go to the same file"),
    "output_is_input": (
        "{file}: ist eine Eingabedatei und wird nie überschrieben",
        "{file}: is an input file and is never overwritten",
    ),
    "read_only": (
        "{file}: Datei ist schreibgeschützt und wird nicht überschrieben",
        "{file}: file is read-only and is not overwritten",
    ),
    "is_directory": ("{file}: ist ein Verzeichnis", "{file}: is a directory"),
    "no_directory": ("{file}: das Verzeichnis existiert nicht", "{file}: the directory does not exist"),
    "not_writable": (
        "{file}: keine Schreibberechtigung im Verzeichnis",
        "{file}: no permission to write in the directory",
    ),
    "no_report": (
        "Format '{fmt}' ist nicht verfügbar: checker.report.render_report fehlt ({reason}); "
        "json, junit oder sarif verwenden",
        "format '{fmt}' is not available: checker.report.render_report is missing ({reason}); "
        "use json, junit or sarif",
    ),
    "rule_file": ("Regelkatalog fehlerhaft: {error}", "rule catalogue is broken: {error}"),
    "no_rules": (
        "Regelkatalog leer: keine Regeldateien in {dir} (Installation ohne rules/? BUDGETCHECK_RULES_DIR setzen)",
        "rule catalogue is empty: no rule files in {dir} (installed without rules/? set BUDGETCHECK_RULES_DIR)",
    ),
    "unknown_selector": (
        "{option} {token}: keine Regel, kein Id-Präfix und keine Gruppe dieses Namens",
        "{option} {token}: no rule, id prefix or group of this name",
    ),
    "did_you_mean": ("meinten Sie '{suggestion}'?", "did you mean '{suggestion}'?"),
    "retired_rule": (
        "{rule} wurde in {into} zusammengeführt (eine Feststellung je Mangel)",
        "{rule} was merged into {into} (one finding per defect)",
    ),
    "retired_ignore": (
        "--ignore {rule}: die Regel wurde in {into} zusammengeführt, die mehr prüft; wer das nicht prüfen will, "
        "nennt --ignore {into} ausdrücklich",
        "--ignore {rule}: the rule was merged into {into}, which checks more; to skip that, name --ignore {into}",
    ),
    "nothing_selected": (
        "--select/--ignore lassen keine Regel übrig; eine Prüfung ohne Regeln wäre immer bestanden",
        "--select/--ignore leave no rule; a check without rules would always pass",
    ),
    "no_match": ("{pattern}: keine Datei passt zu diesem Muster", "{pattern}: no file matches this pattern"),
    "empty_dir": (
        "{dir}: enthält keine Vereinbarungen (*.yaml, *.yml, *.json)",
        "{dir}: contains no agreements (*.yaml, *.yml, *.json)",
    ),
    "bad_epoch": (
        "SOURCE_DATE_EPOCH={value}: keine ganze Zahl von Sekunden seit 1970",
        "SOURCE_DATE_EPOCH={value}: not a whole number of seconds since 1970",
    ),
    "engine": (
        "{file}: Fehler der Regel-Engine: {error}",
        "{file}: rule engine error: {error}",
    ),
    "report_written": ("{file}: {fmt}-Bericht geschrieben", "{file}: {fmt} report written"),
    "summary": (
        "{total} Vereinbarung(en) geprüft ({rules} Regeln, Stichtag {date}): {passed} ohne und "
        "{failed} mit Befunden ab Schwere „{threshold}“",
        "{total} agreement(s) checked ({rules} rules, check date {date}): {passed} passed, "
        "{failed} with findings at or above '{threshold}'",
    ),
    "failed_file": ("{file}: {overall}; {findings}", "{file}: {overall}; {findings}"),
    "internal": (
        "interner Fehler (bitte melden): {error}",
        "internal error (please report): {error}",
    ),
    "unknown_rule": ("unbekannte Regel {rule}", "unknown rule {rule}"),
    # migrate
    "migrated": ("{file}: auf Format {version} umgestellt", "{file}: converted to format {version}"),
    "would_migrate": ("{file}: Format 1, umzustellen", "{file}: format 1, to be converted"),
    "current": ("{file}: bereits Format {version}", "{file}: already format {version}"),
    "one_file": (
        "ohne --write oder --check genau eine Datei angeben (das Ergebnis geht auf die Standardausgabe)",
        "without --write or --check give exactly one file (the result goes to the standard output)",
    ),
    "migrate_failed": (
        "{file}: kann nicht sicher umgestellt werden (das Ergebnis liest sich anders als das Original); "
        "bitte von Hand: 'format_version: 2' und 'status: nicht_geregelt' -> 'status: unbekannt'",
        "{file}: cannot be converted safely (the result reads differently from the original); "
        "please by hand: 'format_version: 2' and 'status: nicht_geregelt' -> 'status: unbekannt'",
    ),
    "pdf_file": (
        "PDF nur in eine Datei: -o pdf:DATEI",
        "PDF only into a file: -o pdf:FILE",
    ),
    "no_pdf": (
        "PDF nicht verfügbar: {reason} (WeasyPrint und Pango installieren, siehe README)",
        "PDF not available: {reason} (install WeasyPrint and Pango, see README)",
    ),
    "stdin_once": (
        "'-' (Standardeingabe) kann nur einmal gelesen werden",
        "'-' (standard input) can be read only once",
    ),
}


def _msg(lang: str, key: str, **values: Any) -> str:
    return _MESSAGES[key][LANGS.index(lang)].format(**values)


def _say(args: argparse.Namespace, key: str, **values: str) -> None:
    """Print a localized note to stderr."""
    print(_msg(args.lang, key, **values), file=sys.stderr)


class _Usage(Exception):
    """A usage problem of ``check`` (exit code 2); the message is already localized."""


class _LangAction(argparse.Action):
    """``--lang``; also records that it was given, so that it overrides the config file."""

    def __call__(self, parser: Any, namespace: argparse.Namespace, values: Any, option: Any = None) -> None:
        setattr(namespace, self.dest, values)
        namespace.lang_given = True


def _iso_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}': JJJJ-MM-TT erwartet / expected YYYY-MM-DD") from None


def _jobs_count(value: str) -> int:
    try:
        jobs = int(value)
    except ValueError:
        jobs = -1
    if jobs < 0:
        raise argparse.ArgumentTypeError(f"'{value}': ganze Zahl ≥ 0 erwartet / expected a whole number ≥ 0")
    return jobs


class _VersionAction(argparse.Action):
    """``--version``: program and catalogue version (the catalogue's VERSION file is read only then)."""

    def __init__(self, option_strings: Any, dest: str = argparse.SUPPRESS, default: Any = argparse.SUPPRESS,
                 help: Optional[str] = None) -> None:
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser: Any, namespace: argparse.Namespace, values: Any, option: Any = None) -> None:
        from checker.paths import rules_dir

        try:
            catalogue = (rules_dir() / "VERSION").read_text(encoding="utf-8").strip() or "?"
        except OSError:
            catalogue = "?"
        word = "Regelkatalog" if getattr(namespace, "lang", "de") != "en" else "rule catalogue"
        sys.stdout.write(f"budgetcheck {__version__} ({word} {catalogue})\n")
        parser.exit()


def build_parser(lang: str = "de") -> argparse.ArgumentParser:
    """The argument parser with all sub-commands; help texts in ``lang`` (argparse's own texts
    follow :func:`checker.cli_i18n.argparse_language`, which :func:`main` sets around parsing)."""
    from checker.cli_i18n import translate_parser

    return translate_parser(_build_parser(), lang)


def _build_parser() -> argparse.ArgumentParser:
    # --lang is accepted before and after the command; SUPPRESS keeps the global value.
    lang = argparse.ArgumentParser(add_help=False)
    lang.add_argument("--lang", choices=LANGS, default=argparse.SUPPRESS, action=_LangAction,
                      help="Sprache der Meldungen und Berichte")
    parser = argparse.ArgumentParser(
        prog="budgetcheck",
        description="Prüft Budgetvereinbarungen (Trägerbudgets, Sozialraumbudgets).",
    )
    parser.add_argument("--lang", choices=LANGS, default="de", action=_LangAction,
                        help="Sprache der Meldungen (Standard: de)")
    parser.add_argument("--version", action=_VersionAction, help="Programm- und Katalogversion anzeigen und beenden")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("schema", parents=[lang], help="JSON Schema des Formats ausgeben")

    init = commands.add_parser("init", parents=[lang], help="kommentierte YAML-Vorlage erzeugen")
    init.add_argument("-o", "--output", metavar="FILE", help="in FILE schreiben statt auf die Standardausgabe")
    init.add_argument("--force", action="store_true", help="vorhandene Datei überschreiben")

    validate = commands.add_parser("validate", parents=[lang], help="Dateien einlesen und auf Formatfehler prüfen")
    validate.add_argument("files", nargs="+", metavar="FILE")

    check = commands.add_parser(
        "check", parents=[lang], help="Vereinbarungen gegen den Regelkatalog prüfen",
        description="Prüft Vereinbarungen gegen den Regelkatalog. Exit-Code: 0 bestanden, 1 Befunde "
                    "(verletzt ab --fail-on; mit --fail-on-unresolved auch ungeklärt; immer bei Gesamturteil "
                    "'nicht prüfbar'), 2 Eingabe- oder Bedienfehler.",
    )
    check.add_argument("paths", nargs="+", metavar="PATH",
                       help="Dateien, Verzeichnisse (rekursiv *.yaml, *.yml, *.json) oder Muster wie 'entwuerfe/*.yaml'; "
                            "'-' liest von der Standardeingabe")
    check.add_argument("-o", "--output", action="append", metavar="FORMAT[:FILE]",
                       help=f"Ausgabeformat ({', '.join(FORMATS)}), mit :DATEI in eine Datei; wiederholbar; "
                            "höchstens eines auf die Standardausgabe (Standard: text)")
    check.add_argument("-f", "--format", "--output-format", choices=FORMATS, metavar="FORMAT",
                       help="Format der Standardausgabe (wie -o FORMAT)")
    check.add_argument("--fail-on", choices=SEVERITIES,
                       help="Exit-Code 1 bei einer verletzten Regel ab dieser Schwere (Standard: blocker)")
    check.add_argument("--fail-on-unresolved", action=argparse.BooleanOptionalAction, default=None,
                       help="auch ungeklärte Regeln ab --fail-on lassen die Prüfung scheitern")
    check.add_argument("--select", action="append", metavar="ID,...",
                       help="nur diese Regeln prüfen (Ids, Id-Präfixe wie ISSAB-VR oder Gruppen)")
    check.add_argument("--ignore", action="append", metavar="ID,...", help="diese Regeln nicht prüfen")
    check.add_argument("--exclude", action="append", metavar="GLOB,...",
                       help="beim Durchsuchen von Verzeichnissen überspringen (z. B. '*.expected.yaml')")
    check.add_argument("--waivers", action="append", metavar="FILE",
                       help="YAML-Datei mit Ausnahmen (waivers: [{rule, reason, granted_by, expires, paths}])")
    check.add_argument("--date", type=_iso_date, metavar="JJJJ-MM-TT",
                       help="Stichtag der Prüfung (Standard: SOURCE_DATE_EPOCH, sonst heute)")
    check.add_argument("--config", metavar="FILE", help="Konfiguration aus FILE (statt budgetcheck.toml/pyproject.toml)")
    check.add_argument("--no-config", action="store_true", help="keine Konfigurationsdatei lesen")
    check.add_argument("-q", "--quiet", action="store_true", help="keine Zusammenfassung auf stderr")
    check.add_argument("--exit-zero", action="store_true",
                       help="Exit-Code 0 auch bei Befunden (Eingabe- und Bedienfehler bleiben 2)")
    check.add_argument("--stdin-filename", metavar="NAME",
                       help="Name der mit '-' von der Standardeingabe gelesenen Vereinbarung (für Fundstellen)")
    check.add_argument("--baseline", metavar="FILE",
                       help="Befunde aus dieser Baseline gelten als bekannt: sie werden berichtet, "
                            "lassen die Prüfung aber nicht scheitern")
    check.add_argument("--write-baseline", metavar="FILE",
                       help="alle verletzten und ungeklärten Befunde als Baseline in FILE schreiben")
    check.add_argument("--project-root", metavar="DIR",
                       help="Dateinamen in SARIF, GitHub, GitLab und Baseline relativ zu DIR "
                            "(Standard: oberstes git-Verzeichnis, sonst das Arbeitsverzeichnis)")
    check.add_argument("--sarif-unresolved", action="store_true",
                       help="SARIF enthält auch ungeklärte Befunde (sonst nur, wenn sie die Prüfung scheitern lassen)")
    check.add_argument("--help-base-url", metavar="URL",
                       help="Adresse von docs/rules.md für helpUri in SARIF "
                            "(Standard: Repository-URL des Projekts + /blob/main/docs/rules.md)")
    check.add_argument("--detail", choices=("short", "full"), default="short",
                       help="Umfang des Prüfberichts (text, markdown, html, pdf): kurz (Standard; Verstöße, Fragen, "
                            "Übersicht) oder vollständig (jede Regel mit Belegen, Zeilen und Pfaden)")
    check.add_argument("-j", "--jobs", type=_jobs_count, default=1, metavar="N",
                       help="N Vereinbarungen parallel prüfen (Prozesse; 0 = alle Kerne; Standard: 1); "
                            "Ausgabe identisch")

    migrate = commands.add_parser(
        "migrate", parents=[lang], help="Vereinbarung von Format 1 auf Format 2 umstellen",
        description="Stellt Dateien im Format 1 auf Format 2 um: 'status: nicht_geregelt' wird "
                    "'status: unbekannt' (noch nicht geprüft), 'format_version' wird 2; Kommentare und "
                    "Reihenfolge bleiben. Ohne --write geht das Ergebnis auf die Standardausgabe. "
                    "Wo der Entwurf eine Klausel nicht regelt, danach 'status: fehlt' eintragen.",
    )
    migrate.add_argument("files", nargs="+", metavar="FILE")
    migrate.add_argument("-w", "--write", action="store_true", help="die Dateien selbst umschreiben")
    migrate.add_argument("--check", action="store_true",
                         help="nichts schreiben; Exit-Code 1, wenn eine Datei noch Format 1 ist")

    rules = commands.add_parser("rules", parents=[lang], help="Regelkatalog anzeigen",
                                description="Listet den Regelkatalog; 'rules show ID' zeigt eine Regel, "
                                            "'rules paths' die prüfbaren Pfade, '--format md' die Dokumentation.")
    rules.add_argument("--format", choices=("text", "md"), default="text",
                       help="text (Liste) oder md (Dokumentation des Katalogs, wie docs/rules.md)")
    rules_commands = rules.add_subparsers(dest="rules_command", metavar="show ID | paths")
    show = rules_commands.add_parser("show", parents=[lang], help="eine Regel vollständig anzeigen")
    show.add_argument("rule_id", metavar="ID")
    rules_commands.add_parser("paths", parents=[lang], help="alle Pfade, die Regeln prüfen können")

    diff = commands.add_parser(
        "diff", parents=[lang], help="zwei Fassungen einer Vereinbarung vergleichen (Verhandlungsrunden)",
        description="Vergleicht zwei Fassungen einer Vereinbarung: behobene, neu verletzte, weiterhin offene "
                    "Kriterien und das Gesamturteil vorher/nachher. Exit-Code: 0, 1 wenn --fail-on-new eine neu "
                    "verletzte Regel ab dieser Schwere findet, 2 Eingabe- oder Bedienfehler.",
    )
    diff.add_argument("old", metavar="ALT", help="frühere Fassung (YAML/JSON)")
    diff.add_argument("new", metavar="NEU", help="neue Fassung (YAML/JSON)")
    diff.add_argument("-f", "--format", choices=("text", "json"), default="text", help="Ausgabeformat (Standard: text)")
    diff.add_argument("--fail-on-new", choices=SEVERITIES, metavar="SCHWERE",
                      help="Exit-Code 1, wenn eine Regel ab dieser Schwere neu verletzt ist "
                           f"({', '.join(SEVERITIES)}); nur neue Befunde lassen CI scheitern")
    diff.add_argument("--date", type=_iso_date, metavar="JJJJ-MM-TT",
                      help="Stichtag der Prüfung (Standard: SOURCE_DATE_EPOCH, sonst heute)")

    serve = commands.add_parser(
        "serve", parents=[lang], help="die Prüfwerkstatt im Browser starten (geführte Prüfung)",
        description="Startet die Prüfwerkstatt: eine lokale Web-Anwendung über einem Arbeitsordner mit "
                    "Vereinbarungen im Format der Kommandozeile. Standard: nur 127.0.0.1; wer auf einer anderen "
                    "Adresse lauscht, braucht ein Zugangstoken.",
    )
    serve.add_argument("workspace", nargs="?", default=".", metavar="ARBEITSORDNER",
                       help="Ordner mit den Vereinbarungen (Standard: aktueller Ordner)")
    serve.add_argument("--host", default="127.0.0.1", help="Adresse (Standard: 127.0.0.1, nur dieser Rechner)")
    serve.add_argument("--port", type=int, default=8765, help="Port (Standard: 8765; 0 = ein freier Port)")
    serve.add_argument("--token", metavar="TOKEN",
                       help="Zugangstoken (Pflicht bei einer anderen Adresse als localhost; ohne Angabe wird "
                            "dann eines erzeugt und angezeigt); auch aus BUDGETCHECK_TOKEN")
    serve.add_argument("--no-browser", action="store_true", help="keinen Browser öffnen")
    serve.add_argument("--date", type=_iso_date, metavar="JJJJ-MM-TT",
                       help="Stichtag der Prüfung (Standard: SOURCE_DATE_EPOCH, sonst heute)")
    return parser


def cmd_schema(args: argparse.Namespace) -> int:
    """Print the JSON Schema (sorted keys, indent 2)."""
    print(json.dumps(json_schema(), indent=2, sort_keys=True))
    return EXIT_OK


def cmd_init(args: argparse.Namespace) -> int:
    """Write the template to stdout or, without overwriting unless --force, to a file."""
    template = init_template(args.lang)
    if args.output is None:
        sys.stdout.write(template)
        return EXIT_OK
    from checker.safeio import OutputRefused, Writer

    if not args.force and os.path.lexists(args.output) and os.path.isfile(args.output):
        _say(args, "exists", file=args.output)
        return EXIT_INPUT
    try:
        writer = Writer()
        writer.add(args.output)
        writer.commit([template])
    except OutputRefused as exc:
        _say(args, exc.key, file=args.output)
        return EXIT_INPUT
    except OSError as exc:
        _say(args, "cannot_write", file=args.output, reason=exc.strerror or str(exc))
        return EXIT_INPUT
    _say(args, "written", file=args.output)
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    """Load every file; print ``FILE: ok`` or its errors (to stderr)."""
    status = EXIT_OK
    for file in args.files:
        try:
            loaded = load_agreement(file, args.lang)
        except InputError as err:
            print(err.format(args.lang), file=sys.stderr)
            status = EXIT_INPUT
        else:
            for note in loaded.notes:
                print(note, file=sys.stderr)
            print(f"{file}: ok")
    return status


def cmd_migrate(args: argparse.Namespace) -> int:
    """Rewrite format-1 files to format 2 (stdout, ``--write`` in place, or ``--check``)."""
    from checker.loader import load_data, parse_text, validate
    from checker.migrate import is_old, migrate_text, upgrade_raw
    from checker.model import FORMAT_VERSION, Agreement

    if not (args.write or args.check) and len(args.files) != 1:
        _say(args, "one_file")
        return EXIT_INPUT
    plans: list[tuple[str, Optional[str]]] = []  # (file, new text or None when current)
    errors: list[ErrorItem] = []
    for file in args.files:
        try:
            raw, _locations, _sha = load_data(file, args.lang)
            validate(Agreement, upgrade_raw(raw), _locations, file, args.lang)
        except InputError as err:
            errors.extend(err.errors)
            continue
        if not is_old(raw):
            plans.append((file, None))
            continue
        with open(file, encoding="utf-8", newline="") as handle:
            original = handle.read()
        new = migrate_text(original, is_json=file.lower().endswith(".json"))
        expected = {**upgrade_raw(raw), "format_version": FORMAT_VERSION}
        try:
            migrated, _ = parse_text(new, file, args.lang)
        except InputError:
            migrated = None
        if migrated != expected:
            _say(args, "migrate_failed", file=file)
            return EXIT_INPUT
        plans.append((file, new))
    if errors:
        raise InputError(errors)
    if args.check:
        old = [file for file, new in plans if new is not None]
        for file in old:
            _say(args, "would_migrate", file=file)
        return EXIT_FINDINGS if old else EXIT_OK
    if not args.write:
        file, new = plans[0]
        if new is None:
            with open(file, encoding="utf-8", newline="") as handle:
                new = handle.read()
        _write_stdout(new)
        return EXIT_OK
    for file, new in plans:
        if new is None:
            _say(args, "current", file=file, version=str(FORMAT_VERSION))
            continue
        _replace_file(file, new)
        _say(args, "migrated", file=file, version=str(FORMAT_VERSION))
    return EXIT_OK


def _replace_file(file: str, text: str) -> None:
    """Write ``text`` to ``file`` atomically, keeping its mode (through :mod:`checker.safeio`)."""
    from checker.safeio import Writer

    writer = Writer()
    writer.add(file)
    writer.commit([text])


# --------------------------------------------------------------------------- check


@dataclasses.dataclass
class _Output:
    fmt: str
    file: Optional[str]  # None: standard output


@dataclasses.dataclass
class _Plan:
    """Everything ``check`` needs, settled before anything is evaluated or written."""

    lang: str
    outputs: list[_Output]
    fail_on: str
    fail_on_unresolved: bool
    select: list[str]
    ignore: list[str]
    waiver_files: list[str]
    check_date: dt.date
    config_file: Optional[str]
    exclude: list[str] = dataclasses.field(default_factory=list)


def _split(values: Optional[list[str]]) -> Optional[list[str]]:
    if values is None:
        return None
    return [token.strip() for value in values for token in value.split(",") if token.strip()]


def _parse_output(spec: str, lang: str) -> _Output:
    fmt, sep, file = spec.partition(":")
    fmt = fmt.strip().lower()
    if fmt == "md":
        fmt = "markdown"
    if fmt not in FORMATS:
        close = difflib.get_close_matches(fmt, FORMATS, n=1)
        message = _msg(lang, "bad_output", spec=spec, fmt=fmt, allowed=", ".join(FORMATS))
        raise _Usage(message + (f" ({_msg(lang, 'did_you_mean', suggestion=close[0])})" if close else ""))
    return _Output(fmt, file if sep and file and file != "-" else None)


def _check_date(given: Optional[dt.date], lang: str) -> dt.date:
    if given:
        return given
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is None or epoch == "":
        return dt.date.today()
    try:
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.timezone.utc).date()
    except (ValueError, OverflowError, OSError):
        raise _Usage(_msg(lang, "bad_epoch", value=epoch)) from None


def _plan(args: argparse.Namespace) -> _Plan:
    """Merge flags and the config file (flags win); raises InputError or _Usage."""
    from checker.config import Config, find_config, load_config

    config = Config()
    if args.config:
        config = load_config(args.config, args.lang)
    elif not args.no_config:
        found = find_config(lang=args.lang)
        if found:
            config = load_config(found, args.lang)
    lang = args.lang if getattr(args, "lang_given", False) else (config.lang or "de")

    if args.output or args.format:
        specs = list(args.output or []) + ([args.format] if args.format else [])
    elif config.output or config.format:
        specs = list(config.output or [])
        for key, values in (("output", specs), ("format", [config.format] if config.format else [])):
            for spec in values:
                try:
                    _parse_output(spec, lang)
                except _Usage as err:  # name the file and line the value came from
                    raise _Usage(f"{config.where(key)}: {err}") from None
        if config.format and all(_parse_output(spec, lang).file is not None for spec in specs):
            specs.append(config.format)
    else:
        specs = ["text"]
    outputs = [_parse_output(spec, lang) for spec in specs]
    to_stdout = [o.fmt for o in outputs if o.file is None]
    if "pdf" in to_stdout:
        raise _Usage(_msg(lang, "pdf_file"))
    if len(to_stdout) > 1:
        raise _Usage(_msg(lang, "two_stdout", formats=", ".join(to_stdout)))
    seen: set[str] = set()
    for output in outputs:
        if output.file is not None:
            key = os.path.normcase(os.path.abspath(output.file))
            if key in seen:
                raise _Usage(_msg(lang, "same_file", file=output.file))
            seen.add(key)

    if getattr(args, "write_baseline", None):
        key = os.path.normcase(os.path.abspath(args.write_baseline))
        if key in seen:
            raise _Usage(_msg(lang, "same_file", file=args.write_baseline))
        outputs.append(_Output("baseline", args.write_baseline))
    waiver_files = list(args.waivers) if args.waivers else list(config.waivers or [])
    return _Plan(
        lang=lang,
        outputs=outputs,
        fail_on=args.fail_on or (config.fail_on.value if config.fail_on else "blocker"),
        fail_on_unresolved=args.fail_on_unresolved if args.fail_on_unresolved is not None
        else bool(config.fail_on_unresolved),
        select=_split(args.select) if args.select is not None else (config.select or []),
        ignore=_split(args.ignore) if args.ignore is not None else (config.ignore or []),
        waiver_files=waiver_files,
        check_date=_check_date(args.date, lang),
        config_file=config.file,
        exclude=_split(args.exclude) if args.exclude is not None else (config.exclude or []),
    )


def resolve_selection(catalogue: Any, select: list[str], ignore: list[str], lang: str = "de") -> Optional[set[str]]:
    """Rule ids chosen by ``--select`` / ``--ignore`` (None: all). Tokens are ids, id prefixes or groups."""
    ids = [r.id for r in catalogue.rules]
    groups = {r.rule.group.value for r in catalogue.rules}
    from checker.rules import Group

    groups |= {g.value for g in Group}

    from checker.rules import retired_rules

    def matching(token: str, option: str) -> set[str]:
        if token.upper() == "ALL":
            return set(ids)
        into = retired_rules().get(token.upper())  # (read only when a rule is named: it is YAML)
        if into is not None and into in ids:
            if option == "--ignore":  # the merged rule checks more: never skip it on an old name
                raise _Usage(_msg(lang, "retired_ignore", rule=token.upper(), into=into))
            print(_msg(lang, "retired_rule", rule=token.upper(), into=into), file=sys.stderr)
            return {into}
        if token in groups:
            return {r.id for r in catalogue.rules if r.rule.group.value == token}
        found = {i for i in ids if i == token.upper() or i.startswith(token.upper().rstrip("-") + "-")}
        if not found:
            close = difflib.get_close_matches(token, ids + sorted(groups), n=1, cutoff=0.6)
            message = _msg(lang, "unknown_selector", option=option, token=token)
            raise _Usage(message + (f" ({_msg(lang, 'did_you_mean', suggestion=close[0])})" if close else ""))
        return found

    chosen = set(ids)
    if select:
        chosen = set().union(*(matching(t, "--select") for t in select))
    for token in ignore:
        chosen -= matching(token, "--ignore")
    if not chosen:  # checking nothing would pass everything, as an empty catalogue would
        raise _Usage(_msg(lang, "nothing_selected"))
    return None if chosen == set(ids) else chosen


class PathList(Sequence[str]):
    """Agreement paths, compactly: one string of names per directory (a run may name 100,000
    files; a list of str objects would hold about 110 bytes per file, this about 20)."""

    def __init__(self) -> None:
        self._dirs: list[str] = []  # directory of each block ("" for a bare name)
        self._names: list[str] = []  # the block's names, joined by "\0"
        self._starts: list[array.array] = []  # offset of each name in the block's string
        self._ends: list[int] = []  # cumulative count of paths up to each block's end
        self._open: list[str] = []  # names of the block being built

    def append(self, path: str) -> None:
        directory, sep, name = path.rpartition("/")
        if not sep or "\0" in name:
            directory, name = "\0", path  # kept whole
        if not self._dirs or self._dirs[-1] != directory:
            self._close()
            self._dirs.append(directory)
            self._ends.append(self._ends[-1] if self._ends else 0)
        self._open.append(name)
        self._ends[-1] += 1

    def _close(self) -> None:
        if self._open:
            starts = array.array("I")
            offset = 0
            for name in self._open:
                starts.append(offset)
                offset += len(name) + 1
            self._names.append("\0".join(self._open))
            self._starts.append(starts)
            self._open = []

    def done(self) -> "PathList":
        self._close()
        return self

    def __len__(self) -> int:
        return self._ends[-1] if self._ends else 0

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        block = bisect.bisect_right(self._ends, index)
        first = self._ends[block - 1] if block else 0
        if block == len(self._names):  # still open
            name = self._open[index - first]
        else:
            text = self._names[block]
            start = self._starts[block][index - first]
            end = text.find("\0", start)
            name = text[start:] if end < 0 else text[start:end]
        directory = self._dirs[block]
        return name if directory == "\0" else f"{directory}/{name}"

    def __iter__(self) -> Any:
        for index in range(len(self)):
            yield self[index]

    def __contains__(self, value: object) -> bool:
        return any(path == value for path in self)

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, (list, PathList)) else NotImplemented

    def __add__(self, other: Sequence[str]) -> list[str]:
        return list(self) + list(other)

    def __repr__(self) -> str:
        return f"PathList({list(self)!r})"


class _Inputs:
    """Every file a run reads (the agreements and the waiver and config files), re-iterable,
    without a list of them all."""

    def __init__(self, *parts: Sequence[str]):
        self.parts = parts

    def __iter__(self) -> Any:
        for part in self.parts:
            yield from part


def expand_paths(paths: list[str], lang: str = "de", exclude: Sequence[str] = (),
                 patterns: Sequence[str] = ()) -> PathList:
    """Files as given; directories recursively (``*.yaml``, ``*.yml``, ``*.json``, sorted; hidden
    directories skipped); glob patterns expanded here too (Windows shells do not). Duplicates once.
    Files in ``exclude`` (waiver and config files) and files whose name or path matches one of
    ``patterns`` (``--exclude``) are skipped inside directories; files named explicitly are kept.
    The paths are kept compactly (:class:`PathList`); a duplicate is looked for among 64-bit
    hashes first, so that a run of many files holds no set of all its paths."""
    excluded = {os.path.normcase(os.path.abspath(p)) for p in exclude}

    def skipped(path: Path) -> bool:
        return (os.path.normcase(os.path.abspath(path)) in excluded
                or any(fnmatch.fnmatch(path.name, p) or fnmatch.fnmatch(path.as_posix(), p) for p in patterns))

    out = PathList()
    hashes = array.array("q")

    def add(path: str) -> None:
        out.append(path)
        hashes.append(hash(path))

    def from_dir(directory: Path) -> list[str]:
        found = []
        for root, dirs, files in os.walk(directory):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in files:
                if name.lower().endswith(AGREEMENT_SUFFIXES) and not name.startswith("."):
                    path = Path(root) / name
                    if not skipped(path):
                        found.append(path.as_posix())
        return sorted(found)

    errors: list[str] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = from_dir(path)
            if not found:
                errors.append(_msg(lang, "empty_dir", dir=given))
            for item in found:
                add(item)
        elif not path.exists() and _GLOB_CHARS & set(given):
            matches = sorted(glob.glob(given, recursive=True))
            if not matches:
                errors.append(_msg(lang, "no_match", pattern=given))
            for match in matches:
                match_path = Path(match)
                if match_path.is_dir():
                    for item in from_dir(match_path):
                        add(item)
                elif match_path.is_file():
                    add(match_path.as_posix())
        else:
            add(path.as_posix())  # a missing file is reported by the loader
    if errors:
        raise _Usage("\n".join(errors))
    out.done()
    ordered = sorted(hashes)
    if any(ordered[i] == ordered[i + 1] for i in range(len(ordered) - 1)):  # a path twice (or a collision)
        unique = PathList()
        for item in dict.fromkeys(out):
            unique.append(item)
        return unique.done()
    return out


def _load_catalogue(lang: str) -> Any:
    """The rule catalogue; a broken or empty one is a _Usage error (an empty one would pass everything)."""
    from checker import rules

    try:
        catalogue = rules.load_catalogue()
    except rules.RuleFileError as exc:
        raise _Usage(_msg(lang, "rule_file", error=exc)) from None
    if not catalogue.rules:
        raise _Usage(_msg(lang, "no_rules", dir=rules.RULES_DIR))
    return catalogue


def _settle(kept: int, every: int = 32) -> None:
    """Keep the cyclic garbage collector off what a run keeps until its reports are written.

    Loaded agreements and results stay alive to the end; without this, each full collection
    walks all of them again (a quarter of the time of a 2,000-file run). Every ``every``
    kept objects, the young generations are collected (cyclic garbage is freed as before)
    and what survived is frozen; ``cmd_check`` unfreezes at the end.
    """
    if kept % every == 0:
        gc.collect(1)
        gc.freeze()


def _default_jobs() -> int:
    from checker.check import default_jobs

    return default_jobs()


def _render_human() -> Callable[..., str]:
    from checker.report import render_report  # written by the report's author; may be missing

    return render_report


def _prepare_outputs(outputs: list[_Output], inputs: list[str], lang: str) -> Any:
    """Check every output file before anything is evaluated (nothing is created yet); the writer."""
    from checker.safeio import OutputRefused, Writer

    writer = Writer(inputs)
    for output in outputs:
        if output.file is None:
            continue
        try:
            writer.add(output.file)
        except OutputRefused as exc:
            raise _Usage(_msg(lang, exc.key, file=output.file)) from None
        except OSError as exc:
            raise _Usage(_msg(lang, "cannot_write", file=output.file, reason=exc.strerror or str(exc))) from None
    return writer


def _use_color() -> bool:
    """ANSI colours for the text report on a terminal, unless NO_COLOR is set (https://no-color.org)."""
    return not os.environ.get("NO_COLOR") and hasattr(sys.stdout, "isatty") and sys.stdout.isatty()


def _write_stdout(text: str) -> None:
    from checker.safeio import write_stdout

    write_stdout(text)


def cmd_check(args: argparse.Namespace) -> int:
    """Check agreements; write the requested reports; exit 0, 1 (findings) or 2 (input/usage)."""
    try:
        return _check(args)
    finally:
        gc.unfreeze()  # see _settle


def _check(args: argparse.Namespace) -> int:
    from checker.baseline import load_baseline
    from checker.check import _Waivers, iter_check
    from checker.fingerprints import find_project_root
    from checker.formats import Context, Policy, default_help_base
    from checker.rules import Severity
    from checker.safeio import copy_to_stdout, spool
    from checker.stream import STREAMED, Env, Stream
    from checker.verdicts import RunInfo
    from checker.waivers import load_waiver_file
    from checker.waivers import run_notes as notes_of_run

    timing.mark("import check modules")
    lang = args.lang
    outputs: list[_Output] = []
    ctx = Context()
    stream = writer = stdout_sink = summary = None
    try:
        plan = _plan(args)
        lang = plan.lang
        outputs = plan.outputs
        timing.mark("plan (options, config)")
        catalogue = _load_catalogue(lang)
        timing.mark("rule catalogue")
        selected = resolve_selection(catalogue, plan.select, plan.ignore, lang)

        errors: list[ErrorItem] = []
        entries = []
        for file in plan.waiver_files:
            try:
                entries.extend(load_waiver_file(file, lang))
            except InputError as err:
                errors.extend(err.errors)
        exclude = plan.waiver_files + ([plan.config_file] if plan.config_file else [])
        files = expand_paths(args.paths, lang, exclude=exclude, patterns=plan.exclude)
        known = load_baseline(args.baseline, lang) if getattr(args, "baseline", None) else None
        stdin_name = getattr(args, "stdin_filename", None)
        if args.paths.count("-") > 1:
            raise _Usage(_msg(lang, "stdin_once"))
        jobs = getattr(args, "jobs", 1)
        jobs = min(jobs or _default_jobs(), len(files))
        if "-" in files:
            jobs = 1  # standard input can be read once, in this process
        load = functools.partial(_load, lang=lang, stdin_name=stdin_name)
        if errors:  # a waiver file is broken: report it with every unreadable agreement, check nothing
            unread = []
            for file in files:
                try:
                    load(file)
                except InputError as err:
                    unread.extend(err.errors)
            raise InputError(errors + unread)
        root = Path(args.project_root).resolve() if getattr(args, "project_root", None) else find_project_root()
        help_base = getattr(args, "help_base_url", None)
        if not help_base and any(o.fmt == "sarif" for o in outputs):  # only SARIF links the rules' help;
            help_base = default_help_base()  # reading the installed metadata costs ~5 % of a cold check
        ctx = Context(root=root, help_base=help_base,
                      sarif_unresolved=bool(getattr(args, "sarif_unresolved", False)))

        human = {o.fmt for o in outputs} & set(HUMAN_FORMATS)
        render_human = None
        if human:
            try:
                render_human = _render_human()
            except ImportError as exc:
                raise _Usage(_msg(lang, "no_report", fmt=sorted(human)[0], reason=exc)) from None
        timing.mark("import report renderer")
        writer = _prepare_outputs(outputs, _Inputs(files, exclude), lang)
        run = RunInfo(__version__, catalogue.version, catalogue.digest,
                      len(selected) if selected is not None else len(catalogue.rules), plan.check_date.isoformat())
        policy = Policy(Severity(plan.fail_on), plan.fail_on_unresolved)
        env = Env(run, policy, lang, ctx, rules=[r for r in catalogue.rules if selected is None or r.id in selected],
                  origins={entry.origin for entry in entries}, selected=selected, known=known)
        env.detail = getattr(args, "detail", None) or "short"
        streamable = set(STREAMED)  # all but PDF, which is laid out from the whole document
        streamed = [o for o in outputs if o.fmt in streamable]
        env.color = any(o.fmt == "text" and o.file is None for o in streamed) and _use_color()
        stream = Stream([o.fmt for o in streamed], env, keep=bool(human - streamable))
        stdout_sink = None
        sinks = []
        file_index = {id(o): i for i, o in enumerate(o for o in outputs if o.file is not None)}
        for output in streamed:
            if output.file is None:
                stdout_sink = spool()
                sinks.append(stdout_sink)
            else:
                sinks.append(writer.open(file_index[id(output)]))
        summary = _RunSummary(lang, policy, listing=not any(o.file is None and o.fmt in HUMAN_FORMATS
                                                            for o in outputs) and not args.quiet)
        stream.begin(sinks)
        results = []  # only for the human formats, rendered at the end
        unread: list[ErrorItem] = []  # agreements that cannot be read: reported, the others still checked
        for index, kind, payload in iter_check(files, catalogue, jobs=jobs, lang=lang, check_date=plan.check_date,
                                               waivers=_Waivers(of_path=functools.partial(_waivers_of, entries=entries,
                                                                                          stdin_name=stdin_name),
                                                                paths=files),
                                               selected=selected, load=load, finish=stream.part):
            if kind == "input":
                unread.extend(payload)
                continue
            if kind == "engine":
                name = (stdin_name or "-") if files[index] == "-" else files[index]
                raise _Usage(_msg(lang, "engine", file=name, error=payload))
            item, kept = stream.add(payload)
            summary.add(item)
            if kept is not None:
                result = pickle.loads(kept)
                for finding in result.findings:
                    finding.rule = catalogue.by_id[finding.rule]
                results.append(result)
                _settle(len(results))
        timing.mark("load, evaluate, stream each agreement")
        if unread and len({e.file for e in unread}) == len(files):
            raise InputError(unread)
        ctx = dataclasses.replace(ctx, errors=tuple(InputError(unread).errors) if unread else ())
        env.ctx = ctx
        run_notes = notes_of_run(entries, stream.used, check_date=plan.check_date, rule_ids=set(catalogue.by_id),
                                 selected=selected)
        stream.close(run_notes)
        timing.mark("close streamed outputs")

        rendered = []
        for output in outputs:
            if output.fmt in streamable:
                rendered.append((output, None))
                continue
            assert render_human is not None
            accepts = inspect.signature(render_human).parameters
            extra = {"color": True} if (output.fmt == "text" and output.file is None and _use_color()
                                        and "color" in accepts) else {}
            if "detail" in accepts:
                extra["detail"] = getattr(args, "detail", None) or "short"
            if "errors" in accepts and ctx.errors:
                extra["errors"] = ctx.errors
            fmt = "html" if output.fmt == "pdf" else output.fmt
            text = render_human(results, fmt, lang=lang, run=run, run_notes=run_notes, **extra)
            if text and not text.endswith("\n"):
                text += "\n"
            if output.fmt == "pdf":
                from checker.pdf import PdfUnavailable, render_pdf

                try:
                    text = render_pdf(text)
                except PdfUnavailable as exc:
                    raise _Usage(_msg(lang, "no_pdf", reason=exc)) from None
            rendered.append((output, text))
            timing.mark(f"render {output.fmt}")
    except InputError as err:
        _discard(stream, writer, stdout_sink, summary)
        print(err.format(lang), file=sys.stderr)
        return EXIT_INPUT
    except _Usage as err:
        _discard(stream, writer, stdout_sink, summary)
        print(str(err), file=sys.stderr)
        return EXIT_INPUT
    except BaseException:
        _discard(stream, writer, stdout_sink, summary)
        raise

    # Everything is known: put the files in place (each atomically), then the standard output.
    try:
        writer.commit([text for output, text in rendered if output.file is not None])
    except OSError as exc:
        _discard(stream, writer, stdout_sink, summary)
        print(_msg(lang, "cannot_write", file=exc.filename or "?", reason=exc.strerror or str(exc)),
              file=sys.stderr)
        return EXIT_INPUT

    try:
        if ctx.errors:  # the readable agreements were checked and reported; the run still failed
            print(InputError(list(ctx.errors)).format(lang), file=sys.stderr)
        if not args.quiet:
            summary.write(outputs, run_notes, run)
        for output, text in rendered:
            if output.file is None:
                try:
                    if text is None:
                        assert stdout_sink is not None
                        copy_to_stdout(stdout_sink)
                    else:
                        _write_stdout(text)
                except BrokenPipeError:
                    raise
                except OSError as exc:  # e.g. > /dev/full
                    print(_msg(lang, "cannot_write", file="<stdout>", reason=exc.strerror or str(exc)),
                          file=sys.stderr)
                    return EXIT_INPUT
    finally:
        _discard(stream, writer, stdout_sink, summary)
    timing.mark("write outputs")
    if ctx.errors:
        return EXIT_INPUT
    if getattr(args, "exit_zero", False):
        return EXIT_OK
    return EXIT_FINDINGS if summary.failed else EXIT_OK


def _waivers_of(path: str, entries: list, stdin_name: Optional[str]) -> list:
    from checker.waivers import waivers_for

    return waivers_for((stdin_name or "-") if path == "-" else path, entries)


def _discard(stream: Any, writer: Any, stdout_sink: Any, summary: Any) -> None:
    """Remove every temporary file of the run (nothing is left half-written)."""
    for item in (stream, writer, stdout_sink, summary):
        if item is not None:
            (item.close if item is stdout_sink else item.discard)()


class _RunSummary:
    """The closing lines on stderr, gathered while the agreements stream past: the notes of
    the inputs (e.g. format 1), and one line per agreement that fails (spooled to a
    temporary file, so that memory stays flat)."""

    def __init__(self, lang: str, policy: Any, listing: bool):
        self.lang = lang
        self.policy = policy
        self.listing = listing  # no human report on stdout, not --quiet: list the failed agreements
        self.notes: list[str] = []
        self.total = 0
        self.failed = 0
        self.lines: Any = None

    def add(self, item: Any) -> None:
        from checker.labels import OVERALL, label

        self.total += 1
        self.notes.extend(item.input_notes)
        if not item.failed:
            return
        self.failed += 1
        if self.listing:
            if self.lines is None:
                from checker.safeio import spool

                self.lines = spool()
            line = _msg(self.lang, "failed_file", file=item.path, overall=label(OVERALL, item.overall, self.lang),
                        findings=item.fail_ids)
            self.lines.write((line + "\n").encode("utf-8"))

    def write(self, outputs: list[_Output], run_notes: list, run: Any) -> None:
        """A few lines on stderr: input notes, written files, waiver notes of the run, the outcome."""
        from checker.formats import note_text

        lines = list(self.notes)
        lines += [_msg(self.lang, "report_written", file=o.file, fmt=o.fmt) for o in outputs if o.file is not None]
        lines.extend(note_text(note, self.lang) for note in run_notes)
        if lines:
            sys.stderr.write("\n".join(lines) + "\n")
        human_on_stdout = any(o.file is None and o.fmt in HUMAN_FORMATS for o in outputs)
        if not human_on_stdout:
            if self.lines is not None:
                import codecs

                decoder = codecs.getincrementaldecoder("utf-8")()
                for block in self.lines.blocks():
                    sys.stderr.write(decoder.decode(block))
            from checker.labels import SEVERITY, label

            day = str(run.check_date)
            if self.lang == "de" and len(day) == 10:  # 2026-12-07 -> 07.12.2026
                day = ".".join(reversed(day.split("-")))
            sys.stderr.write(_msg(self.lang, "summary", total=self.total, rules=run.rule_count, date=day,
                                  passed=self.total - self.failed, failed=self.failed,
                                  threshold=label(SEVERITY, self.policy.fail_on.value, self.lang)) + "\n")
        sys.stderr.flush()

    def discard(self) -> None:
        if self.lines is not None:
            self.lines.close()
            self.lines = None


def _load(file: str, lang: str, stdin_name: Optional[str]) -> LoadedAgreement:
    """Load one agreement; ``-`` is standard input, named ``stdin_name`` (default ``-``) in every report."""
    if file != "-":
        return load_agreement(file, lang)
    name = stdin_name or "-"
    from checker.loader import STDIN

    source = STDIN if os.path.exists(STDIN) else 0
    try:
        if source == 0:  # no /dev/stdin (Windows): copy to a temporary file the loader can read
            with tempfile.NamedTemporaryFile(delete=False, suffix=".yaml") as handle:
                handle.write(sys.stdin.buffer.read())
            source = handle.name
        loaded = load_agreement(source, lang)
    except InputError as err:
        raise InputError([dataclasses.replace(e, file=name) for e in err.errors]) from None
    finally:
        if isinstance(source, str) and source != STDIN:
            os.unlink(source)
    return dataclasses.replace(loaded, path=name)


# --------------------------------------------------------------------------- rules


def cmd_rules(args: argparse.Namespace) -> int:
    """List the catalogue, show one rule, print the testable paths or write docs/rules.md."""
    if args.rules_command == "paths":
        from checker.facts import describe_paths

        _write_stdout(describe_paths() + "\n")
        return EXIT_OK
    try:
        catalogue = _load_catalogue(args.lang)
    except _Usage as err:
        print(str(err), file=sys.stderr)
        return EXIT_INPUT
    from checker import formats

    if args.rules_command == "show":
        rule = catalogue.by_id.get(args.rule_id.upper())
        if rule is None:
            from checker.rules import retired_rules

            into = retired_rules().get(args.rule_id.upper())
            rule = catalogue.by_id.get(into) if into else None
            if rule is not None:
                print(_msg(args.lang, "retired_rule", rule=args.rule_id.upper(), into=into), file=sys.stderr)
        if rule is None:
            close = difflib.get_close_matches(args.rule_id.upper(), list(catalogue.by_id), n=1, cutoff=0.5)
            message = _msg(args.lang, "unknown_rule", rule=args.rule_id)
            print(message + (f" ({_msg(args.lang, 'did_you_mean', suggestion=close[0])})" if close else ""),
                  file=sys.stderr)
            return EXIT_INPUT
        _write_stdout(formats.rule_text(rule, args.lang, catalogue))
        return EXIT_OK
    if args.format == "md":
        _write_stdout(formats.catalogue_markdown(catalogue, args.lang))
    else:
        _write_stdout(formats.rule_list(catalogue, args.lang))
    return EXIT_OK


# --------------------------------------------------------------------------- diff and serve


def cmd_diff(args: argparse.Namespace) -> int:
    """Compare two versions of one agreement; exit 1 with --fail-on-new on a new violation."""
    from checker.check import evaluate
    from checker.diff import compare, to_document, to_text
    from checker.engine import EvaluationError
    from checker.formats import dump_json
    from checker.rules import Severity

    lang = args.lang
    try:
        check_date = _check_date(args.date, lang)
        catalogue = _load_catalogue(lang)
        errors: list[ErrorItem] = []
        loaded = []
        for file in (args.old, args.new):
            try:
                loaded.append(load_agreement(file, lang))
            except InputError as err:
                errors.extend(err.errors)
        if errors:
            raise InputError(errors)
        results = []
        for item in loaded:
            try:
                results.append(evaluate(item.agreement, catalogue, path=item.path, sha256=item.sha256,
                                        locations=item.locations, check_date=check_date))
            except EvaluationError as exc:
                raise _Usage(_msg(lang, "engine", file=item.path, error=exc)) from None
    except InputError as err:
        print(err.format(lang), file=sys.stderr)
        return EXIT_INPUT
    except _Usage as err:
        print(str(err), file=sys.stderr)
        return EXIT_INPUT
    comparison = compare(results[0], results[1], lang)
    if args.format == "json":
        text = dump_json(to_document(comparison, lang))
        _write_stdout(text if text.endswith("\n") else text + "\n")
    else:
        _write_stdout(to_text(comparison, lang))
    if args.fail_on_new and comparison.new_violations(Severity(args.fail_on_new)):
        return EXIT_FINDINGS
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    """Start the workbench (checker.web) on a workspace folder."""
    from checker.web.server import serve

    try:
        check_date = _check_date(args.date, args.lang) if args.date else None
    except _Usage as err:
        print(str(err), file=sys.stderr)
        return EXIT_INPUT
    return serve(args.workspace, host=args.host, port=args.port,
                 token=args.token or os.environ.get("BUDGETCHECK_TOKEN") or None,
                 open_browser=not args.no_browser, check_date=check_date, lang=args.lang)


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "schema": cmd_schema,
    "init": cmd_init,
    "validate": cmd_validate,
    "check": cmd_check,
    "migrate": cmd_migrate,
    "rules": cmd_rules,
    "diff": cmd_diff,
    "serve": cmd_serve,
}


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; returns the exit code."""
    from checker.cli_i18n import argparse_language, lang_of

    argv = list(sys.argv[1:] if argv is None else argv)
    lang = lang_of(argv)
    try:
        with argparse_language(lang):
            args = build_parser(lang).parse_args(argv)
        timing.mark("arguments parsed")
    except SystemExit as exc:  # usage errors (2), --help and --version (0)
        return exc.code if isinstance(exc.code, int) else EXIT_INPUT
    previous = _on_sigterm()
    try:
        return COMMANDS[args.command](args)
    except Terminated:
        return EXIT_TERMINATED
    except InputError as err:
        print(err.format(args.lang), file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader (e.g. ``| head``) is gone: silence the final flush of stdout.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return EXIT_BROKEN_PIPE
    except Exception as exc:  # a bug: exit 2 (never 1, which means "findings"), with the traceback
        traceback.print_exc(file=sys.stderr)
        print(_msg(getattr(args, "lang", "de"), "internal", error=exc), file=sys.stderr)
        return EXIT_INPUT
    finally:
        _restore_sigterm(previous)
        timing.report()


class Terminated(BaseException):
    """SIGTERM arrived (a CI job was cancelled): unwound like Ctrl-C, so that every ``finally``
    runs (temporary files removed, worker processes ended); exit code 143."""


def _raise_terminated(signum: int, frame: Any) -> None:
    raise Terminated()


def _on_sigterm() -> Any:
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None
    try:
        return signal.signal(signal.SIGTERM, _raise_terminated)
    except (ValueError, OSError):  # pragma: no cover
        return None


def _restore_sigterm(previous: Any) -> None:
    import signal

    if previous is not None:
        try:
            signal.signal(signal.SIGTERM, previous)
        except (ValueError, OSError):  # pragma: no cover
            pass
