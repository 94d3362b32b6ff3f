"""The command line in German (default) or English, argparse's own texts included.

argparse takes its texts ("usage: ", "show this help message and exit", "the following
arguments are required: %s", ...) through ``gettext`` at the moment it builds or prints
them and ships no German catalogue. :func:`argparse_language` swaps argparse's ``_`` and
``ngettext`` for our table while the parser is built and used. Our own help texts are
written in German in :func:`checker.cli.build_parser`; :func:`translate_parser` gives
them their English wording (:data:`HELP_EN`) for ``--lang en``. ``tests/test_cli_i18n.py``
fails when a help text has no English wording.
"""

from __future__ import annotations

import argparse
import contextlib
import re
from typing import Iterator, Optional, Sequence

# argparse's message ids (Python 3.10-3.13) and their German wording.
ARGPARSE_DE = {
    "usage: ": "Aufruf: ",
    "positional arguments": "Argumente",
    "options": "Optionen",
    "optional arguments": "Optionen",
    "show this help message and exit": "diese Hilfe anzeigen und beenden",
    "show program's version number and exit": "Programm- und Katalogversion anzeigen und beenden",
    "%(prog)s: error: %(message)s\n": "%(prog)s: Fehler: %(message)s\n",
    "the following arguments are required: %s": "diese Argumente fehlen: %s",
    "unrecognized arguments: %s": "unbekannte Argumente: %s",
    "argument %(argument_name)s: %(message)s": "Argument %(argument_name)s: %(message)s",
    "invalid choice: %(value)r (choose from %(choices)s)": "ungültige Auswahl: %(value)r (möglich: %(choices)s)",
    "expected one argument": "erwartet einen Wert",
    "expected at most one argument": "erwartet höchstens einen Wert",
    "expected at least one argument": "erwartet mindestens einen Wert",
    "expected %s argument": "erwartet %s Wert",
    "expected %s arguments": "erwartet %s Werte",
    "invalid %(type)s value: %(value)r": "ungültiger Wert (%(type)s): %(value)r",
    "ambiguous option: %(option)s could match %(matches)s": "mehrdeutige Option: %(option)s passt zu %(matches)s",
    "not allowed with argument %s": "nicht zusammen mit %s erlaubt",
    "ignored explicit argument %r": "überzähliger Wert %r",
    "one of the arguments %s is required": "eines dieser Argumente ist nötig: %s",
    "unexpected option string: %s": "unerwartete Option: %s",
    "%r is not callable": "%r ist nicht aufrufbar",
    "cannot merge actions - two groups are named %r": "zwei Gruppen heißen %r",
    "argument %(argument_name)s: conflicting option string: %(conflicting_option)s":
        "Argument %(argument_name)s: Option doppelt: %(conflicting_option)s",
    "default": "Standard",
}

HELP_EN = {
    "Prüft Budgetvereinbarungen (Trägerbudgets, Sozialraumbudgets).":
        "Checks budget agreements (Trägerbudgets, Sozialraumbudgets).",
    "Sprache der Meldungen (Standard: de)": "language of messages and reports (default: de)",
    "Sprache der Meldungen und Berichte": "language of messages and reports",
    "Programm- und Katalogversion anzeigen und beenden": "show the program and catalogue version and exit",
    "JSON Schema des Formats ausgeben": "print the JSON Schema of the agreement format",
    "kommentierte YAML-Vorlage erzeugen": "write a commented YAML template",
    "Dateien einlesen und auf Formatfehler prüfen": "read files and check them for format errors",
    "Vereinbarungen gegen den Regelkatalog prüfen": "check agreements against the rule catalogue",
    "Vereinbarung von Format 1 auf Format 2 umstellen": "convert an agreement from format 1 to format 2",
    "Regelkatalog anzeigen": "show the rule catalogue",
    "in FILE schreiben statt auf die Standardausgabe": "write to FILE instead of the standard output",
    "vorhandene Datei überschreiben": "overwrite an existing file",
    "Prüft Vereinbarungen gegen den Regelkatalog. Exit-Code: 0 bestanden, 1 Befunde (verletzt ab --fail-on; mit "
    "--fail-on-unresolved auch ungeklärt; immer bei Gesamturteil 'nicht prüfbar'), 2 Eingabe- oder Bedienfehler.":
        "Checks agreements against the rule catalogue. Exit code: 0 passed, 1 findings (violated at or above "
        "--fail-on; with --fail-on-unresolved also unresolved; always for the overall verdict 'not checkable'), "
        "2 input or usage error.",
    "Dateien, Verzeichnisse (rekursiv *.yaml, *.yml, *.json) oder Muster wie 'entwuerfe/*.yaml'; "
    "'-' liest von der Standardeingabe":
        "files, directories (recursively *.yaml, *.yml, *.json) or patterns such as 'drafts/*.yaml'; "
        "'-' reads the standard input",
    "Format der Standardausgabe (wie -o FORMAT)": "format of the standard output (same as -o FORMAT)",
    "Exit-Code 1 bei einer verletzten Regel ab dieser Schwere (Standard: blocker)":
        "exit code 1 for a violated rule of this severity or higher (default: blocker)",
    "auch ungeklärte Regeln ab --fail-on lassen die Prüfung scheitern":
        "unresolved rules at or above --fail-on fail the check as well",
    "nur diese Regeln prüfen (Ids, Id-Präfixe wie ISSAB-VR oder Gruppen)":
        "check only these rules (ids, id prefixes such as ISSAB-VR, or groups)",
    "diese Regeln nicht prüfen": "do not check these rules",
    "beim Durchsuchen von Verzeichnissen überspringen (z. B. '*.expected.yaml')":
        "skip when searching directories (e.g. '*.expected.yaml')",
    "YAML-Datei mit Ausnahmen (waivers: [{rule, reason, granted_by, expires, paths}])":
        "YAML file of waivers (waivers: [{rule, reason, granted_by, expires, paths}])",
    "Stichtag der Prüfung (Standard: SOURCE_DATE_EPOCH, sonst heute)":
        "check date (default: SOURCE_DATE_EPOCH, else today)",
    "Konfiguration aus FILE (statt budgetcheck.toml/pyproject.toml)":
        "configuration from FILE (instead of budgetcheck.toml/pyproject.toml)",
    "keine Konfigurationsdatei lesen": "read no configuration file",
    "keine Zusammenfassung auf stderr": "no summary on stderr",
    "Exit-Code 0 auch bei Befunden (Eingabe- und Bedienfehler bleiben 2)":
        "exit code 0 even with findings (input and usage errors stay 2)",
    "Name der mit '-' von der Standardeingabe gelesenen Vereinbarung (für Fundstellen)":
        "name of the agreement read from the standard input with '-' (for locations)",
    "Befunde aus dieser Baseline gelten als bekannt: sie werden berichtet, lassen die Prüfung aber nicht scheitern":
        "findings in this baseline are known: they are reported but do not fail the check",
    "alle verletzten und ungeklärten Befunde als Baseline in FILE schreiben":
        "write every violated and unresolved finding to FILE as a baseline",
    "Dateinamen in SARIF, GitHub, GitLab und Baseline relativ zu DIR "
    "(Standard: oberstes git-Verzeichnis, sonst das Arbeitsverzeichnis)":
        "file names in SARIF, GitHub, GitLab and the baseline relative to DIR "
        "(default: the git top level, else the working directory)",
    "SARIF enthält auch ungeklärte Befunde (sonst nur, wenn sie die Prüfung scheitern lassen)":
        "SARIF also holds unresolved findings (else only those that fail the check)",
    "Adresse von docs/rules.md für helpUri in SARIF (Standard: Repository-URL des Projekts + /blob/main/docs/rules.md)":
        "address of docs/rules.md for helpUri in SARIF (default: the project's repository URL + "
        "/blob/main/docs/rules.md)",
    "N Vereinbarungen parallel prüfen (Prozesse; 0 = alle Kerne; Standard: 1); Ausgabe identisch":
        "check N agreements in parallel (processes; 0 = all cores; default: 1); same output",
    "Stellt Dateien im Format 1 auf Format 2 um: 'status: nicht_geregelt' wird 'status: unbekannt' (noch nicht "
    "geprüft), 'format_version' wird 2; Kommentare und Reihenfolge bleiben. Ohne --write geht das Ergebnis auf die "
    "Standardausgabe. Wo der Entwurf eine Klausel nicht regelt, danach 'status: fehlt' eintragen.":
        "Converts files in format 1 to format 2: 'status: nicht_geregelt' becomes 'status: unbekannt' (not yet "
        "checked), 'format_version' becomes 2; comments and order stay. Without --write the result goes to the "
        "standard output. Where the draft does not regulate a clause, enter 'status: fehlt' afterwards.",
    "die Dateien selbst umschreiben": "rewrite the files themselves",
    "nichts schreiben; Exit-Code 1, wenn eine Datei noch Format 1 ist":
        "write nothing; exit code 1 if a file is still in format 1",
    "Listet den Regelkatalog; 'rules show ID' zeigt eine Regel, 'rules paths' die prüfbaren Pfade, "
    "'--format md' die Dokumentation.":
        "Lists the rule catalogue; 'rules show ID' shows one rule, 'rules paths' the testable paths, "
        "'--format md' the documentation.",
    "text (Liste) oder md (Dokumentation des Katalogs, wie docs/rules.md)":
        "text (list) or md (documentation of the catalogue, as docs/rules.md)",
    "eine Regel vollständig anzeigen": "show one rule in full",
    "zwei Fassungen einer Vereinbarung vergleichen (Verhandlungsrunden)":
        "compare two versions of one agreement (negotiation rounds)",
    "die Prüfwerkstatt im Browser starten (geführte Prüfung)": "start the workbench in the browser (guided review)",
    "Vergleicht zwei Fassungen einer Vereinbarung: behobene, neu verletzte, weiterhin offene Kriterien und das "
    "Gesamturteil vorher/nachher. Exit-Code: 0, 1 wenn --fail-on-new eine neu verletzte Regel ab dieser Schwere "
    "findet, 2 Eingabe- oder Bedienfehler.":
        "Compares two versions of one agreement: criteria fixed, newly violated, still open, and the overall "
        "verdict before/after. Exit code: 0, 1 if --fail-on-new finds a newly violated rule of at least that "
        "severity, 2 input or usage error.",
    "frühere Fassung (YAML/JSON)": "earlier version (YAML/JSON)",
    "neue Fassung (YAML/JSON)": "new version (YAML/JSON)",
    "Ausgabeformat (Standard: text)": "output format (default: text)",
    "Exit-Code 1, wenn eine Regel ab dieser Schwere neu verletzt ist (blocker, major, minor, hinweis); nur neue "
    "Befunde lassen CI scheitern":
        "exit code 1 if a rule of at least this severity is newly violated (blocker, major, minor, hinweis); "
        "only new findings fail CI",
    "Startet die Prüfwerkstatt: eine lokale Web-Anwendung über einem Arbeitsordner mit Vereinbarungen im Format "
    "der Kommandozeile. Standard: nur 127.0.0.1; wer auf einer anderen Adresse lauscht, braucht ein Zugangstoken.":
        "Starts the workbench: a local web application over a workspace folder of agreements in the command "
        "line's format. Default: 127.0.0.1 only; listening on another address requires an access token.",
    "Ordner mit den Vereinbarungen (Standard: aktueller Ordner)":
        "folder of the agreements (default: current folder)",
    "Adresse (Standard: 127.0.0.1, nur dieser Rechner)": "address (default: 127.0.0.1, this computer only)",
    "Port (Standard: 8765; 0 = ein freier Port)": "port (default: 8765; 0 = a free port)",
    "Zugangstoken (Pflicht bei einer anderen Adresse als localhost; ohne Angabe wird dann eines erzeugt und "
    "angezeigt); auch aus BUDGETCHECK_TOKEN":
        "access token (required on an address other than localhost; without one, one is made and shown); "
        "also from BUDGETCHECK_TOKEN",
    "keinen Browser öffnen": "do not open a browser",

    "alle Pfade, die Regeln prüfen können": "every path rules can test",
    "Umfang des Prüfberichts (text, markdown, html, pdf): kurz (Standard; Verstöße, Fragen, Übersicht) oder "
    "vollständig (jede Regel mit Belegen, Zeilen und Pfaden)":
        "extent of the audit report (text, markdown, html, pdf): short (default; violations, questions, "
        "overview) or full (every rule with evidence, lines and paths)",
}

_OUTPUT_HELP = re.compile(r"Ausgabeformat \((?P<formats>[^)]*)\), mit :DATEI in eine Datei; wiederholbar; "
                          r"höchstens eines auf die Standardausgabe \(Standard: text\)")


def english(text: str) -> Optional[str]:
    """The English wording of one of our German help texts (None if there is none)."""
    if text in HELP_EN:
        return HELP_EN[text]
    match = _OUTPUT_HELP.fullmatch(text)
    if match:
        return (f"output format ({match['formats']}), with :FILE into a file; repeatable; at most one to the "
                "standard output (default: text)")
    return None


def lang_of(argv: Sequence[str]) -> str:
    """``--lang`` from the raw arguments (``--lang en`` or ``--lang=en``), before parsing; default German."""
    lang = "de"
    for index, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--lang" and index + 1 < len(argv):
            lang = argv[index + 1]
        elif arg.startswith("--lang="):
            lang = arg.split("=", 1)[1]
    return lang if lang in ("de", "en") else "de"


@contextlib.contextmanager
def argparse_language(lang: str) -> Iterator[None]:
    """argparse's own texts in ``lang`` while the block runs (English is argparse's own)."""
    if lang != "de":
        yield
        return
    old_gettext, old_ngettext = argparse._, argparse.ngettext  # type: ignore[attr-defined]

    def gettext(message: str) -> str:
        return ARGPARSE_DE.get(message, message)

    def ngettext(singular: str, plural: str, n: int) -> str:
        return gettext(singular if n == 1 else plural)

    argparse._ = gettext  # type: ignore[attr-defined]
    argparse.ngettext = ngettext  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._ = old_gettext  # type: ignore[attr-defined]
        argparse.ngettext = old_ngettext  # type: ignore[attr-defined]


def help_texts(parser: argparse.ArgumentParser) -> Iterator[tuple[object, str]]:
    """Every (object, attribute) that holds a help text or description, sub-commands included."""
    seen: set[int] = set()

    def walk(p: argparse.ArgumentParser) -> Iterator[tuple[object, str]]:
        if id(p) in seen:
            return
        seen.add(id(p))
        if p.description:
            yield p, "description"
        for action in p._actions:
            if action.help and action.help != argparse.SUPPRESS:
                yield action, "help"
            if isinstance(action, argparse._SubParsersAction):
                for choice in action._choices_actions:
                    if choice.help:
                        yield choice, "help"
                for sub in action.choices.values():
                    yield from walk(sub)

    yield from walk(parser)


def translate_parser(parser: argparse.ArgumentParser, lang: str) -> argparse.ArgumentParser:
    """Give our German help texts their English wording for ``--lang en`` (argparse's own are English)."""
    if lang == "en":
        for owner, attribute in help_texts(parser):
            text = getattr(owner, attribute)
            setattr(owner, attribute, english(text) or ARGPARSE_EN_BACK.get(text, text))
    return parser


# argparse's texts in German, back to English (for -h/--version actions built while German was active)
ARGPARSE_EN_BACK = {german: english_id for english_id, german in ARGPARSE_DE.items()}
