"""Waivers from a separate file (``--waivers FILE``, or ``waivers`` in the config).

An agreement may carry its own ``waivers:`` list (see :class:`checker.model.Waiver`).
A waiver file serves a whole repository of drafts::

    waivers:
      - rule: ISSAB-VR-NACHFINANZIERUNG
        reason: "Nachfinanzierung wird in der Rahmenvereinbarung geregelt (§ 4 RV 2026)"
        granted_by: "Fachamt Jugend, Frau Beispiel"
        expires: 2026-12-31
        paths: ["vereinbarungen/altona/*.yaml"]   # optional; without it the waiver applies to every agreement

``reason`` is required. ``paths`` are glob patterns matched against the agreement
path relative to the directory of the waiver file, with ``/`` as separator: ``*``
and ``?`` stay within one directory, ``**`` spans directories, and a pattern without
``/`` matches the file name alone (like ``.gitignore``).

Classification (expired, unused, unknown rule) happens per agreement in
:func:`checker.verdicts.build_result`. For waivers from a file, whose ``paths`` may
cover many agreements, :func:`settle` turns the per-agreement notes into notes for
the run: such a waiver is *unused* only if it waived nothing in any agreement, and
*expired* or *unknown rule* is said once.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional, Union

from pydantic import Field

from checker.loader import load_data, validate
from checker.model import Base, ShortText, Waiver
from checker.verdicts import AgreementResult, AppliedWaiver, Verdict, WaiverNote


class FileWaiver(Waiver):
    paths: Optional[list[ShortText]] = Field(
        None, description="Glob-Muster der Vereinbarungsdateien (relativ zur Ausnahmedatei); ohne: alle"
    )


class WaiverFile(Base):
    waivers: list[FileWaiver] = Field(description="Ausnahmen von Regeln, jede mit Begründung")


@dataclass(frozen=True)
class FileEntry:
    """One waiver of a waiver file, with where it was written."""

    waiver: FileWaiver
    origin: str
    line: Optional[int]

    def applied(self) -> AppliedWaiver:
        w = self.waiver
        return AppliedWaiver(w.rule, w.reason, w.granted_by, w.expires.isoformat() if w.expires else None,
                             self.origin, self.line)

    def applies_to(self, agreement_path: str) -> bool:
        if not self.waiver.paths:
            return True
        relative = _relative(agreement_path, Path(self.origin).parent)
        name = relative.rsplit("/", 1)[-1]
        return any(_glob(pattern).match(name if "/" not in pattern.strip("/") else relative)
                   for pattern in self.waiver.paths)


def load_waiver_file(path: Union[str, Path], lang: str = "de") -> list[FileEntry]:
    """Read and validate a waiver file (raises :class:`checker.loader.InputError` with FILE:LINE:COL)."""
    raw, locations, _sha = load_data(path, lang)
    parsed = validate(WaiverFile, raw, locations, str(path), lang)
    out = []
    for index, waiver in enumerate(parsed.waivers):
        position = locations.get(("waivers", index))
        out.append(FileEntry(waiver, str(path), position[0] if position else None))
    return out


def waivers_for(agreement_path: str, entries: list[FileEntry]) -> list[tuple[Waiver, str, Optional[int]]]:
    """The ``extra_waivers`` argument of :func:`checker.check.evaluate` for one agreement."""
    return [(entry.waiver, entry.origin, entry.line) for entry in entries if entry.applies_to(agreement_path)]


def settle(results: list[AgreementResult], entries: list[FileEntry], *, check_date: dt.date,
           rule_ids: set[str], selected: Optional[set[str]] = None) -> list[WaiverNote]:
    """Move notes on file waivers from the agreements to the run; returns the run's notes.

    Per agreement, a file waiver keeps only an *expired* note, and only where it would
    have waived something (the finding is still verletzt or ungeklärt): that is where a
    reader must learn why the finding fails again. For the run, once each: every waiver
    naming an unknown rule, every expired waiver, and every waiver that waived nothing
    in any agreement (whether its ``paths`` matched no agreement or its rule held).
    A waiver of a rule left out by ``--select``/``--ignore`` is not called unused.
    A streamed run does the same one agreement at a time: :func:`settle_one` as each
    result comes, :func:`run_notes` at the end.
    """
    origins = {entry.origin for entry in entries}
    used: set = set()
    for result in results:
        used |= settle_one(result, origins, selected)
    return run_notes(entries, used, check_date=check_date, rule_ids=rule_ids, selected=selected)


def settle_one(result: AgreementResult, origins: set[str], selected: Optional[set[str]] = None) -> set:
    """Settle the notes of one agreement (``origins``: the waiver files of the run); returns
    the keys of the file waivers it used (for :func:`run_notes`)."""
    used = {_key(f.waiver) for f in result.findings if f.waiver and f.waiver.origin in origins}
    result.waiver_notes[:] = [
        note for note in result.waiver_notes
        if not (note.kind == "unused" and selected is not None and note.waiver.rule not in selected)
        and (note.waiver.origin not in origins
             or (note.kind == "expired" and _still_open(result, note.waiver.rule)))
    ]
    return used


def run_notes(entries: list[FileEntry], used: set, *, check_date: dt.date, rule_ids: set[str],
              selected: Optional[set[str]] = None) -> list[WaiverNote]:
    """The run's notes on the waivers of the waiver files (see :func:`settle`)."""
    notes = []
    for entry in entries:
        applied = entry.applied()
        if entry.waiver.rule not in rule_ids:
            notes.append(WaiverNote("unknown_rule", applied))
        elif entry.waiver.expires and entry.waiver.expires < check_date:
            notes.append(WaiverNote("expired", applied))
        elif _key(applied) not in used and (selected is None or entry.waiver.rule in selected):
            notes.append(WaiverNote("unused", applied))
    return notes


def _still_open(result: AgreementResult, rule_id: str) -> bool:
    return any(f.id == rule_id and f.verdict in (Verdict.verletzt, Verdict.ungeklaert) for f in result.findings)


def _key(waiver: AppliedWaiver) -> tuple:
    return (waiver.origin, waiver.line, waiver.rule, waiver.reason)


def _relative(path: str, base: Path) -> str:
    try:
        relative = os.path.relpath(Path(path).resolve(), base.resolve())
    except ValueError:  # another drive on Windows
        relative = str(Path(path).resolve())
    return Path(relative).as_posix()


class Glob:
    """A ``/``-aware glob, matched in linear time: ``*`` and ``?`` within one path segment, ``**``
    across segments, ``**/`` for zero or more directories, ``[abc]``, ``[a-z]``, ``[!a-z]``.

    Matched by simulating its automaton (a set of positions in the pattern, advanced one
    character at a time): time is at most (pattern length) x (path length), whatever the
    pattern -- a regular expression built from ``******x`` backtracks exponentially. A
    malformed class (``[z-a]``, ``[!]``, ``[^]``) is taken literally or as empty, never an error.
    """

    def __init__(self, pattern: str):
        self.tokens = _tokens(pattern.strip().removeprefix("./").lstrip("/"))

    def match(self, text: str) -> bool:
        tokens = self.tokens
        end = len(tokens)
        states = self._closure({0})
        for char in text:
            following: set[int] = set()
            for i in states:
                if i == end:
                    continue
                kind, data = tokens[i]
                if kind == "lit":
                    if char == data:
                        following.add(i + 1)
                elif kind == "one":
                    if char != "/":
                        following.add(i + 1)
                elif kind == "star":
                    if char != "/":
                        following.add(i)
                elif kind == "any":
                    following.add(i)
                elif kind == "dirs":  # **/ : anything that ends with "/"
                    following.add(i)
                    if char == "/":
                        following.add(i + 1)
                elif kind == "class":
                    negate, singles, ranges = data
                    inside = char in singles or any(low <= char <= high for low, high in ranges)
                    if inside != negate and char != "/":
                        following.add(i + 1)
            if not following:
                return False
            states = self._closure(following)
        return end in states

    def _closure(self, states: set[int]) -> set[int]:
        out = set(states)
        todo = list(states)
        while todo:
            i = todo.pop()
            if i < len(self.tokens) and self.tokens[i][0] in ("star", "any", "dirs") and i + 1 not in out:
                out.add(i + 1)
                todo.append(i + 1)
        return out


def _tokens(pattern: str) -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            token: tuple[str, object] = ("dirs", None)
            i += 3
        elif pattern.startswith("**", i):
            token, i = ("any", None), i + 2
        elif pattern[i] == "*":
            token, i = ("star", None), i + 1
        elif pattern[i] == "?":
            token, i = ("one", None), i + 1
        elif pattern[i] == "[" and pattern.find("]", i + 2) != -1:
            end = pattern.find("]", i + 2)
            body = pattern[i + 1:end]
            negate = body.startswith("!")
            body = body[1:] if negate else body
            singles, ranges, j = set(), [], 0
            while j < len(body):
                if j + 2 < len(body) and body[j + 1] == "-":
                    ranges.append((body[j], body[j + 2]))  # a reversed range matches nothing
                    j += 3
                else:
                    singles.add(body[j])
                    j += 1
            token, i = ("class", (negate, frozenset(singles), tuple(ranges))), end + 1
        else:
            token, i = ("lit", pattern[i]), i + 1
        if token[0] in ("star", "any") and out and out[-1] == token:
            continue  # "***" is "**", "**" after "**" changes nothing
        out.append(token)
    return out


@lru_cache(maxsize=512)
def _glob(pattern: str) -> Glob:
    return Glob(pattern)
