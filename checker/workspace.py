"""A workspace: one folder of agreement files in the CLI's format, with their earlier versions.

The agreements are the folder's own ``*.yaml`` / ``*.yml`` files, so the same file goes into
git and CI unchanged. Every save keeps the version it replaces in
``.budgetcheck/versions/<file name>/NNNN.yaml`` (a hidden folder, which ``budgetcheck check``
skips when it walks a directory), so each negotiation round can be compared with the next.

Safety: names come from the browser and are refused unless they are a plain file name in the
folder (no separators, no ``..``, no hidden files, no symbolic links); writes go to a temporary
file beside the target and are renamed into place (atomic); a save names the content it
started from (its SHA-256) and is refused with :class:`Conflict` when the file has changed
since, so two browser tabs never silently overwrite each other.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import stat
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from checker.loader import MAX_FILE_BYTES

SUFFIXES = (".yaml", ".yml")
VERSIONS_DIR = Path(".budgetcheck") / "versions"
_NAME = re.compile(r"[A-Za-z0-9ÄÖÜäöüß][A-Za-z0-9ÄÖÜäöüß._ -]{0,99}\Z")
_VERSION = re.compile(r"(\d{4})\.ya?ml\Z")


class BadName(ValueError):
    """A name that is not a plain agreement file name inside the workspace."""


class Conflict(Exception):
    """The file changed since the editor loaded it (another tab, another program)."""

    def __init__(self, name: str, expected: str, found: str):
        self.name, self.expected, self.found = name, expected, found
        super().__init__(f"{name}: changed since it was opened ({expected[:12]} -> {found[:12]})")


@dataclass(frozen=True)
class Version:
    number: int  # 1 = the oldest kept version
    path: Path
    saved: str  # modification time, ISO, local


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_name(name: str) -> str:
    """``name`` if it is a plain agreement file name (``entwurf.yaml``); else :class:`BadName`."""
    if not isinstance(name, str) or not _NAME.match(name) or ".." in name:
        raise BadName(name)
    if not name.lower().endswith(SUFFIXES):
        raise BadName(name)
    return name


def suggest_name(text: str) -> str:
    """A file name made from a title: letters, digits and dashes, ``.yaml``."""
    ascii_text = text.translate(str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue",
                                               "ß": "ss"}))
    base = re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-").lower()[:60] or "vereinbarung"
    return base + ".yaml"


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename."""
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


class Workspace:
    """The folder of agreement files the workbench serves."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root).resolve()
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    # ---- names and paths

    def path(self, name: str) -> Path:
        """The path of agreement ``name``; refuses anything that is not a plain file in the folder."""
        check_name(name)
        path = self.root / name
        if path.parent != self.root:
            raise BadName(name)
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            return path
        if stat.S_ISLNK(mode) or not stat.S_ISREG(mode):
            raise BadName(name)  # symbolic links and special files are never followed
        return path

    def _lock(self, name: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(name, threading.Lock())

    # ---- reading

    def names(self) -> list[str]:
        """The agreement files of the folder, sorted."""
        out = []
        for entry in sorted(os.scandir(self.root), key=lambda e: e.name):
            try:
                check_name(entry.name)
            except BadName:
                continue
            if entry.is_file(follow_symlinks=False) and not entry.name.endswith(".expected.yaml"):
                out.append(entry.name)
        return out

    def exists(self, name: str) -> bool:
        return self.path(name).exists()

    def read(self, name: str) -> bytes:
        path = self.path(name)
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
        return data

    # ---- versions

    def _versions_dir(self, name: str) -> Path:
        return self.root / VERSIONS_DIR / check_name(name)

    def versions(self, name: str) -> list[Version]:
        """Earlier versions of ``name``, oldest first (the current file is not among them)."""
        folder = self._versions_dir(name)
        if not folder.is_dir():
            return []
        out = []
        for entry in os.scandir(folder):
            match = _VERSION.match(entry.name)
            if match and entry.is_file(follow_symlinks=False):
                saved = dt.datetime.fromtimestamp(entry.stat(follow_symlinks=False).st_mtime)
                out.append(Version(int(match.group(1)), Path(entry.path), saved.strftime("%Y-%m-%d %H:%M:%S")))
        return sorted(out, key=lambda v: v.number)

    def read_version(self, name: str, number: int) -> bytes:
        for version in self.versions(name):
            if version.number == number:
                return version.path.read_bytes()
        raise FileNotFoundError(f"{name}: version {number}")

    # ---- writing

    def create(self, name: str, data: bytes) -> None:
        """Write a new file; refuses to replace an existing one (FileExistsError)."""
        path = self.path(name)
        with self._lock(name):
            if path.exists():
                raise FileExistsError(name)
            write_atomic(path, data)

    def save(self, name: str, data: bytes, base: Optional[str]) -> Optional[Version]:
        """Replace ``name`` with ``data`` if it still holds the content whose SHA-256 is ``base``.

        The content it replaces is kept as the next version first; returns that version
        (None when the file did not exist or nothing changed). Raises :class:`Conflict`.
        """
        path = self.path(name)
        with self._lock(name):
            try:
                current: Optional[bytes] = path.read_bytes()
            except FileNotFoundError:
                current = None
            found = sha256(current) if current is not None else ""
            if (base or "") != found:
                raise Conflict(name, base or "", found)
            if current == data:
                return None
            kept = None
            if current is not None:
                folder = self._versions_dir(name)
                folder.mkdir(parents=True, exist_ok=True)
                number = max((v.number for v in self.versions(name)), default=0) + 1
                kept_path = folder / f"{number:04d}{path.suffix}"
                write_atomic(kept_path, current)
                kept = Version(number, kept_path, dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S"))
            write_atomic(path, data)
            return kept
