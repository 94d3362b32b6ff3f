"""Format versions: read a format-1 agreement as format 2, and rewrite a file to format 2.

Format 1 had one clause status for two different things, ``nicht_geregelt``
("not stated"): the draft is silent on it, or nobody has looked yet. It always
meant the second for the checker (every rule on it was *ungeklärt*). Format 2
keeps them apart: ``fehlt`` (the draft was read and does not regulate it: a
missing protective clause is a finding) and ``unbekannt`` (not yet examined; the
default, as leaving the status out). A format-1 ``nicht_geregelt`` therefore
becomes ``unbekannt``: the migration never claims that a draft is silent.

* :func:`upgrade_raw` turns the loaded data of a format-1 file into format 2
  (the loader uses it and adds a deprecation note);
* :func:`migrate_text` rewrites the text of a file, line by line, so that
  comments, order and layout stay as they were (``budgetcheck migrate``); it is
  checked by loading the result, which must equal the upgraded original.
"""

from __future__ import annotations

import re
from typing import Any

from checker.model import FORMAT_VERSION

OLD_STATUS = "nicht_geregelt"
NEW_STATUS = "unbekannt"


def is_old(raw: dict) -> bool:
    """A format-1 file: ``format_version: 1``, or no version and a format-1 status somewhere."""
    version = raw.get("format_version")
    if version == 1:
        return True
    return version is None and bool(_old_statuses(raw))


def _old_statuses(raw: dict) -> list[str]:
    clauses = raw.get("clauses")
    if not isinstance(clauses, dict):
        return []
    return [name for name, clause in clauses.items()
            if isinstance(clause, dict) and clause.get("status") == OLD_STATUS]


def upgrade_raw(raw: dict) -> dict:
    """The format-2 data of a format-1 document (a changed copy; ``raw`` is left as it is)."""
    names = _old_statuses(raw)
    if not names and raw.get("format_version") != 1:
        return raw
    out = dict(raw)
    if "format_version" in out:
        out["format_version"] = FORMAT_VERSION
    if names:
        clauses = dict(out["clauses"])
        for name in names:
            clauses[name] = {**clauses[name], "status": NEW_STATUS}
        out["clauses"] = clauses
    return out


# ``format_version: 1`` at the top level (YAML, block style) or ``"format_version": 1`` (JSON)
_YAML_VERSION = re.compile(r"^format_version:(\s*)1(\s*(#.*)?)$", re.M)
_JSON_VERSION = re.compile(r'("format_version"\s*:\s*)1(?=\s*[,}])')
# a status value, block style (``status: nicht_geregelt``), flow style (``{status: nicht_geregelt}``)
# or JSON (``"status": "nicht_geregelt"``); quoted or not
_STATUS = re.compile(r"""(?P<key>(?:"status"|'status'|\bstatus)\s*:\s*)(?P<q>["']?)nicht_geregelt(?P=q)""")


def migrate_text(text: str, is_json: bool = False) -> str:
    """The text of a format-1 file rewritten to format 2, everything else unchanged.

    Raises ValueError when the file has a version other than 1 or 2 at a place this
    rewrite cannot see (the caller then checks the result by loading it).
    """
    text = _STATUS.sub(lambda m: f"{m['key']}{m['q']}{NEW_STATUS}{m['q']}", text)
    if is_json:
        text, n = _JSON_VERSION.subn(rf"\g<1>{FORMAT_VERSION}", text, count=1)
        if not n and '"format_version"' not in text:
            text = re.sub(r"^(\s*)\{", lambda m: f'{m[1]}{{"format_version": {FORMAT_VERSION}, ', text, count=1)
        return text
    text, n = _YAML_VERSION.subn(rf"format_version:\g<1>{FORMAT_VERSION}\g<2>", text, count=1)
    if not n and not re.search(r"^format_version:", text, re.M):
        # insert after the leading comment block (a schema line or header stays first)
        lines = text.splitlines(keepends=True)
        at = 0
        while at < len(lines) and (lines[at].startswith("#") or lines[at].startswith("---") or not lines[at].strip()):
            if lines[at].startswith("---"):
                at += 1
                break
            at += 1
        lines.insert(at, f"format_version: {FORMAT_VERSION}\n")
        text = "".join(lines)
    return text

