"""The command line speaks German throughout (argparse's own texts too), English with --lang en."""

from __future__ import annotations

import argparse
import re

import pytest

from checker import __version__
from checker.cli import build_parser, main
from checker.cli_i18n import english, help_texts
from checker.paths import rules_dir

ENGLISH_ARGPARSE = ("usage:", "show this help message", "positional arguments", "options:", "error:",
                    "the following arguments are required", "invalid choice")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("argv", [["-h"], ["check", "-h"], ["rules", "-h"], ["rules", "show", "-h"],
                                  ["init", "-h"], ["validate", "-h"], ["schema", "-h"]])
def test_help_is_german(capsys, argv):
    code, out, _err = run(capsys, *argv)
    assert code == 0
    assert out.startswith("Aufruf: budgetcheck")
    assert "-h, --help" in out and "diese Hilfe anzeigen und beenden" in out
    assert "Optionen:" in out
    for phrase in ENGLISH_ARGPARSE:
        assert phrase not in out, phrase


def test_help_is_english_with_lang_en(capsys):
    code, out, _err = run(capsys, "--lang", "en", "check", "-h")
    assert code == 0
    assert out.startswith("usage: budgetcheck check") and "show this help message and exit" in out
    assert "exit code 0 even with findings" in out
    assert not re.search(r"[äöüß]", out.replace("Trägerbudgets", "").replace("Sozialraumbudgets", ""))
    code, out, _err = run(capsys, "check", "--lang=en", "-h")
    assert out.startswith("usage: ")


def test_usage_errors_are_german(capsys):
    code, out, err = run(capsys, "check", "-f", "xml", "x.yaml")
    assert code == 2 and out == ""
    assert "budgetcheck check: Fehler: Argument -f/--format/--output-format: ungültige Auswahl: 'xml'" in err
    code, _out, err = run(capsys, "check")
    assert "Fehler: diese Argumente fehlen: PATH" in err
    code, _out, err = run(capsys, "chek")
    assert code == 2 and "ungültige Auswahl" in err
    code, _out, err = run(capsys, "--lang", "en", "check")
    assert "error: the following arguments are required: PATH" in err


def test_every_help_text_has_an_english_wording():
    missing = [getattr(owner, attr) for owner, attr in help_texts(build_parser("de"))
               if english(getattr(owner, attr)) is None
               and getattr(owner, attr) != "show this help message and exit"]  # argparse's own
    assert missing == [], "add the English wording to checker/cli_i18n.HELP_EN"


def test_argparse_texts_are_restored_after_parsing():
    main(["--version"])
    assert argparse._("usage: ") == "usage: "


def test_version_names_program_and_catalogue(capsys):
    catalogue = (rules_dir() / "VERSION").read_text(encoding="utf-8").strip()
    code, out, _err = run(capsys, "--version")
    assert code == 0 and out == f"budgetcheck {__version__} (Regelkatalog {catalogue})\n"
    code, out, _err = run(capsys, "--lang", "en", "--version")
    assert out == f"budgetcheck {__version__} (rule catalogue {catalogue})\n"
