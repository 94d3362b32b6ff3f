"""The private cache directory: where compiled catalogues, model validators and templates are kept.

Shared by :mod:`checker.rules` (compiled catalogue), :mod:`checker.model` (the agreement model's
validator schemas) and :mod:`checker.report` (compiled templates). Only a directory that is ours
alone is used (a real directory of this user, neither group- nor world-writable); files are read
only if they are regular files of this user (opened with O_NOFOLLOW, without blocking, bounded)
and written atomically (temporary file, then rename), so concurrent processes never see half a
file. What a cache file holds is data from disk: every reader checks it and, on any doubt, does
the work as if there were no cache. Kept free of heavy imports: :mod:`checker.model` imports it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Optional


def cache_dir() -> Optional[Path]:
    """Where compiled catalogues are cached, or None (caching off).

    ``BUDGETCHECK_CACHE_DIR`` (empty: off), else ``$XDG_CACHE_HOME/budgetcheck``,
    else ``%LOCALAPPDATA%\\budgetcheck`` on Windows, else ``~/.cache/budgetcheck``.
    """
    env = os.environ.get("BUDGETCHECK_CACHE_DIR")
    if env is not None:
        return Path(env) if env.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or (os.environ.get("LOCALAPPDATA") if os.name == "nt" else None)
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except (RuntimeError, KeyError, OSError):
            return None
    return Path(base) / "budgetcheck"


def private_dir(directory: Path, create: bool) -> bool:
    """True if ``directory`` is ours alone: a real directory (not a symlink) owned by this user,
    neither group- nor world-writable. With ``create`` it is made (mode 0700) if missing.
    Anything else -- another user's directory, a shared /tmp path -- is not used for the cache."""
    if create:
        try:
            directory.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            directory.mkdir(mode=0o700)
        except FileExistsError:
            pass
        except OSError:
            return False
    try:
        st = os.lstat(directory)
    except OSError:
        return False
    if not stat.S_ISDIR(st.st_mode):
        return False
    if hasattr(os, "getuid") and (st.st_uid != os.getuid() or st.st_mode & 0o022):
        return False
    return True


def read_private(path: Path, limit: int) -> Optional[bytes]:
    """The bytes of cache file ``path``, or None: only a regular file (no symlink, no FIFO) of this
    user, at most ``limit`` bytes, in a private directory (see :func:`private_dir`)."""
    from checker.safeio import read_regular

    if not private_dir(path.parent, create=False):
        return None
    try:
        if hasattr(os, "getuid") and os.lstat(path).st_uid != os.getuid():
            return None  # written by someone else: not trusted
        return read_regular(path, limit, nofollow=True)
    except Exception:  # noqa: BLE001 - missing, too large, unreadable: no cache
        return None


def cache_write_bytes(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` in a private cache directory (see ``private_dir``), atomically
    (temporary file, then rename: concurrent writers and readers are safe). False if not written;
    a cache that cannot be written is no error."""
    import tempfile

    temp = None
    try:
        if not private_dir(path.parent, create=True):
            return False
        handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temp, path)
        temp = None
        return True
    except Exception:  # noqa: BLE001
        return False
    finally:
        if temp is not None:
            try:
                os.unlink(temp)
            except OSError:
                pass


def prune(directory: Path, pattern: str, keep: int) -> None:
    """Remove all but the ``keep`` newest files matching ``pattern`` (other code or rule versions)."""
    entries = []
    for path in directory.glob(pattern):
        try:
            entries.append((path.stat().st_mtime, path))
        except OSError:
            pass
    for _mtime, path in sorted(entries, reverse=True)[keep:]:
        try:
            path.unlink()
        except OSError:
            pass


def load_keyed(data: bytes, key: str, modules: tuple[str, ...]) -> Optional[object]:
    """The object pickled with :func:`pickle.dumps` as ``(key, obj)`` in ``data``, or None: when the
    stored key differs, or the data is truncated, corrupt or names anything but a class or function
    defined in one of ``modules`` (already imported; dotted names within them allowed). Nothing else
    can be called while unpickling."""
    import io
    import pickle
    import sys

    class Restricted(pickle.Unpickler):
        def find_class(self, module_name: str, name: str) -> object:
            if module_name in modules:
                found: object = sys.modules.get(module_name)
                for part in name.split("."):
                    found = getattr(found, part, None)
                if getattr(found, "__module__", None) == module_name and callable(found):
                    return found
            raise pickle.UnpicklingError(f"{module_name}.{name} is not allowed here")

    try:
        stored_key, obj = Restricted(io.BytesIO(data)).load()
    except Exception:  # noqa: BLE001 - truncated, corrupt or foreign: the caller does the work instead
        return None
    return obj if stored_key == key else None


def source_key(fmt: object, *sources: str) -> Optional[str]:
    """The key of a cache entry made by pydantic from the code in ``sources``: a digest of ``fmt``,
    the Python, pydantic and pydantic-core versions and the bytes of the source files (NUL between
    them); None if a
    source cannot be read."""
    import hashlib
    import sys

    import pydantic
    import pydantic_core

    digest = hashlib.sha256(f"{fmt}\0{sys.version}\0{pydantic.VERSION}\0{pydantic_core.__version__}\0".encode())
    contents = []
    try:
        for source in sources:
            with open(source, "rb") as handle:
                contents.append(handle.read())
    except (OSError, TypeError):
        return None
    digest.update(b"\0".join(contents))
    return digest.hexdigest()
