"""Command line interface: ``budgetcheck [--lang de|en] COMMAND ...``.

To add a command: write ``cmd_NAME(args) -> int``, add its sub-parser in
:func:`build_parser` and register it in :data:`COMMANDS`. Exit codes: 0 ok,
2 bad input or usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Callable, Optional, Sequence

from checker import __version__
from checker.loader import LANGS, InputError, load_agreement
from checker.schema import init_template, json_schema

EXIT_OK = 0
EXIT_INPUT = 2

_MESSAGES = {
    "exists": (
        "{file}: Datei existiert bereits; zum Überschreiben --force angeben",
        "{file}: file exists already; use --force to overwrite it",
    ),
    "cannot_write": ("{file}: kann nicht geschrieben werden: {reason}", "{file}: cannot write: {reason}"),
    "written": ("{file}: Vorlage geschrieben", "{file}: template written"),
}


def _say(args: argparse.Namespace, key: str, **values: str) -> None:
    """Print a localized note to stderr."""
    print(_MESSAGES[key][LANGS.index(args.lang)].format(**values), file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with all sub-commands."""
    # --lang is accepted before and after the command; SUPPRESS keeps the global value.
    lang = argparse.ArgumentParser(add_help=False)
    lang.add_argument("--lang", choices=LANGS, default=argparse.SUPPRESS, help="Sprache der Meldungen")
    parser = argparse.ArgumentParser(
        prog="budgetcheck",
        description="Prüft Budgetvereinbarungen (Trägerbudgets, Sozialraumbudgets).",
    )
    parser.add_argument("--lang", choices=LANGS, default="de", help="Sprache der Meldungen (Standard: de)")
    parser.add_argument("--version", action="version", version=f"budgetcheck {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("schema", parents=[lang], help="JSON Schema des Formats ausgeben")

    init = commands.add_parser("init", parents=[lang], help="kommentierte YAML-Vorlage erzeugen")
    init.add_argument("-o", "--output", metavar="FILE", help="in FILE schreiben statt auf die Standardausgabe")
    init.add_argument("--force", action="store_true", help="vorhandene Datei überschreiben")

    validate = commands.add_parser("validate", parents=[lang], help="Dateien einlesen und auf Formatfehler prüfen")
    validate.add_argument("files", nargs="+", metavar="FILE")
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
    try:
        with open(args.output, "w" if args.force else "x", encoding="utf-8", newline="\n") as handle:
            handle.write(template)
    except FileExistsError:
        _say(args, "exists", file=args.output)
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
            load_agreement(file, args.lang)
        except InputError as err:
            print(err.format(args.lang), file=sys.stderr)
            status = EXIT_INPUT
        else:
            print(f"{file}: ok")
    return status


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "schema": cmd_schema,
    "init": cmd_init,
    "validate": cmd_validate,
}


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; returns the exit code."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # usage errors (2), --help and --version (0)
        return exc.code if isinstance(exc.code, int) else EXIT_INPUT
    try:
        return COMMANDS[args.command](args)
    except InputError as err:
        print(err.format(args.lang), file=sys.stderr)
        return EXIT_INPUT
