"""Every file budgetcheck reads or writes goes through this module.

Reading (:func:`read_regular`): agreements, waiver files, configuration, rule files and
the catalogue cache are opened without blocking (``O_NONBLOCK``: a FIFO planted where a
file is expected cannot hang a run), checked to be a regular file of bounded size before
anything is read, and read to at most that size.

Writing (:class:`Writer`): every report file goes through one writer, which

* refuses a target that is an input (compared by real path *and* by device and inode,
  so a symlink or a hard link to an input is caught) or a read-only file;
* writes a regular file atomically (anonymous ``O_TMPFILE`` where the system has it,
  linked under a hidden temporary name only when complete, then renamed over the
  target), keeping an existing file's permission bits; through a symlink the file it
  points to is replaced and the link kept;
* writes special targets -- ``/dev/null``, ``/dev/full``, ``/dev/stdout``, a FIFO, a
  terminal -- in place instead of replacing them (a FIFO without a reader is an error,
  never a hang);
* creates temporary files only when the text is ready, and removes them on every exit
  path that runs Python code (errors, Ctrl-C, SIGTERM);
* handles short writes (``os.write`` in a loop).

:func:`write_stdout` writes to the standard output with the same loop; a closed pipe
raises ``BrokenPipeError`` (exit code 141 in the command line).
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional, Union

PathLike = Union[str, Path]


class NotRegularFile(OSError):
    """The path names a FIFO, device, socket or directory where a regular file is expected."""

    def __init__(self, path: PathLike, kind: str):
        super().__init__(errno.EINVAL, f"keine reguläre Datei ({kind}) / not a regular file ({kind})", str(path))
        self.kind = kind


class FileTooLarge(OSError):
    """The file is larger than the limit for its kind."""

    def __init__(self, path: PathLike, limit: int):
        super().__init__(errno.EFBIG, f"größer als {limit} Bytes / larger than {limit} bytes", str(path))
        self.limit = limit


def file_kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "Verzeichnis/directory"), (stat.S_ISFIFO, "FIFO"),
                       (stat.S_ISCHR, "Gerät/device"), (stat.S_ISBLK, "Gerät/device"),
                       (stat.S_ISSOCK, "Socket")):
        if test(mode):
            return name
    return "?"


_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def open_regular(path: PathLike, *, nofollow: bool = False) -> int:
    """A file descriptor of ``path`` opened for reading without blocking; raises NotRegularFile for
    anything but a regular file (``IsADirectoryError`` for a directory). With ``nofollow`` a
    symlink is refused (``OSError`` ELOOP)."""
    flags = _READ_FLAGS | (getattr(os, "O_NOFOLLOW", 0) if nofollow else 0)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        if not stat.S_ISREG(mode):
            raise NotRegularFile(path, file_kind(mode))
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_regular(path: PathLike, limit: int, *, nofollow: bool = False) -> bytes:
    """The bytes of the regular file ``path``, refused (FileTooLarge) above ``limit`` bytes
    before anything is read; never blocks on a FIFO or device."""
    fd = open_regular(path, nofollow=nofollow)
    try:
        size = os.fstat(fd).st_size
        if size > limit:
            raise FileTooLarge(path, limit)
        chunks = []
        total = 0
        while total <= limit:
            chunk = os.read(fd, min(limit + 1 - total, 1 << 20) or 1)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:  # grew while being read
            raise FileTooLarge(path, limit)
        return b"".join(chunks)
    finally:
        os.close(fd)


def write_all(fd: int, data: bytes) -> None:
    """``os.write`` until every byte is written (pipes and devices may take less per call)."""
    view = memoryview(data)
    while view:
        try:
            written = os.write(fd, view)
        except InterruptedError:  # pragma: no cover - retried by Python itself since 3.5
            continue
        if written == 0:  # pragma: no cover - a device that takes nothing
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        view = view[written:]


def write_stdout(text: str) -> None:
    """Write ``text`` to the standard output, completely (or raise BrokenPipeError / OSError)."""
    import sys

    stream = sys.stdout
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):  # replaced by a test harness: no descriptor
        stream.write(text)
        stream.flush()
        return
    stream.flush()
    write_all(fd, text.encode("utf-8"))


# --------------------------------------------------------------------------- writing files


def _identity(path: PathLike) -> Optional[tuple[int, int]]:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def _real(path: PathLike) -> str:
    return os.path.normcase(os.path.realpath(path))


class OutputRefused(OSError):
    """An output target that must not be written (an input, read-only, a directory ...)."""

    def __init__(self, path: str, key: str):
        super().__init__(errno.EPERM, key, path)
        self.key = key  # "output_is_input" | "read_only" | "is_directory" | "no_directory" | "not_writable"


def _special(path: str) -> bool:
    """True for a target that is written in place: an existing non-regular file, or a path
    under /dev or /proc (``/dev/stdout`` is a symlink to whatever fd 1 is, possibly a file
    the shell opened: replacing it would take the output away from the shell)."""
    if os.name != "nt":
        absolute = os.path.abspath(path)
        if absolute.startswith(("/dev/", "/proc/")):
            return True
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


@dataclass
class _Target:
    path: str  # as given
    real: str  # the file that is replaced (symlinks resolved)
    special: bool
    mode: Optional[int]  # permission bits of the existing file; None: new file
    temp: Optional[str] = None


@dataclass
class Writer:
    """Check targets early (:meth:`add`), write them all at the end (:meth:`commit`).

    ``inputs`` are the files read by the run; none of them is ever written.
    """

    inputs: Iterable[PathLike] = ()
    _targets: list[_Target] = field(default_factory=list)
    _input_ids: set = field(default_factory=set)
    _input_reals: set = field(default_factory=set)

    def __post_init__(self) -> None:
        for path in self.inputs:
            self._input_reals.add(_real(path))
            ident = _identity(path)
            if ident:
                self._input_ids.add(ident)

    def add(self, path: str) -> None:
        """Check that ``path`` may be written (raises OutputRefused or OSError); nothing is created."""
        ident = _identity(path)
        if _real(path) in self._input_reals or (ident is not None and ident in self._input_ids):
            raise OutputRefused(path, "output_is_input")
        special = _special(path)
        mode = None
        real = os.path.realpath(path)
        if not special:
            try:
                st = os.stat(real)
            except FileNotFoundError:
                st = None
            if st is not None:
                if stat.S_ISDIR(st.st_mode):
                    raise OutputRefused(path, "is_directory")
                if not st.st_mode & 0o222:
                    raise OutputRefused(path, "read_only")
                mode = stat.S_IMODE(st.st_mode)
            parent = os.path.dirname(real) or "."
            if not os.path.isdir(parent):
                raise OutputRefused(path, "no_directory")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise OutputRefused(path, "not_writable")
        self._targets.append(_Target(path, real, special, mode))

    def commit(self, texts: list) -> None:
        """Write ``texts[i]`` (str as UTF-8, or bytes) to the i-th target added: first every regular file to a complete
        temporary file, then each renamed into place, then the special targets. On an error,
        every temporary file is removed and the error raised (files renamed already stay)."""
        assert len(texts) == len(self._targets)
        target = None
        try:
            for target, text in zip(self._targets, texts):
                if not target.special:
                    target.temp = _temp_file(target.real, _bytes(text), target.mode)
            for target in self._targets:
                if target.temp is not None:
                    os.replace(target.temp, target.real)
                    target.temp = None
            for target, text in zip(self._targets, texts):
                if target.special:
                    _write_in_place(target.path, _bytes(text))
        except OSError as exc:
            if target is not None:  # name the target as the user wrote it
                exc.filename = target.path
            raise
        finally:
            self.discard()

    def discard(self) -> None:
        """Remove every temporary file not yet renamed."""
        for target in self._targets:
            if target.temp is not None:
                try:
                    os.unlink(target.temp)
                except OSError:
                    pass
                target.temp = None


def _bytes(text: "str | bytes") -> bytes:
    """A report as bytes: text as UTF-8, binary formats (PDF) as they are."""
    return text if isinstance(text, bytes) else text.encode("utf-8")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _temp_file(real: str, data: bytes, mode: Optional[int]) -> str:
    """A complete hidden file beside ``real`` holding ``data``; returns its name.

    With ``O_TMPFILE`` the file has no name while it is written (a process killed with
    SIGKILL meanwhile leaves nothing behind) and gets one only once complete."""
    directory = os.path.dirname(real) or "."
    final_mode = mode if mode is not None else 0o666 & ~_umask()
    fd = -1
    if hasattr(os, "O_TMPFILE"):
        try:
            fd = os.open(directory, os.O_TMPFILE | os.O_WRONLY | getattr(os, "O_CLOEXEC", 0), 0o600)
        except OSError:  # file system without O_TMPFILE
            fd = -1
    if fd >= 0:
        try:
            write_all(fd, data)
            os.fchmod(fd, final_mode)
            for _attempt in range(100):
                name = os.path.join(directory, f".{os.path.basename(real)}.{os.urandom(6).hex()}.tmp")
                try:
                    os.link(f"/proc/self/fd/{fd}", name)
                    return name
                except FileExistsError:
                    continue
                except OSError:
                    break  # no /proc: fall back to a named temporary file
        finally:
            os.close(fd)
    handle, name = tempfile.mkstemp(prefix=f".{os.path.basename(real)}.", suffix=".tmp", dir=directory)
    try:
        write_all(handle, data)
        os.fchmod(handle, final_mode)
    except BaseException:
        os.close(handle)
        os.unlink(name)
        raise
    os.close(handle)
    return name


def _write_in_place(path: str, data: bytes) -> None:
    """Write a special target (device, FIFO, /dev/stdout) without replacing it. A FIFO is opened
    without blocking: with no reader that is an error (ENXIO), not a hang."""
    flags = os.O_WRONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        is_regular = stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        is_regular = False
    if is_regular:  # /dev/stdout redirected to a file: write that file from the start
        flags |= os.O_TRUNC
    fd = os.open(path, flags)
    try:
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        write_all(fd, data)
    finally:
        os.close(fd)
