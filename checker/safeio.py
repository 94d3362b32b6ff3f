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
* handles short writes (``os.write`` in a loop);
* streams: :meth:`Writer.open` gives a :class:`Sink` for a target, appended to while the run
  goes on (a regular target's temporary file beside it, unnamed with ``O_TMPFILE``; for a
  special target or the standard output an anonymous temporary file), and
  :meth:`Writer.commit` puts every sink in place at the end -- or :meth:`Writer.discard`
  removes them all, so a run that fails leaves no target touched. :func:`spool` is an
  anonymous temporary file for parts of an output that are written later.

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
from typing import Any, Iterable, Iterator, Optional, Union

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
    sink: Optional["Sink"] = None


@dataclass
class Writer:
    """Check targets early (:meth:`add`), write them all at the end (:meth:`commit`).

    ``inputs`` are the files read by the run; none of them is ever written.
    """

    inputs: Iterable[PathLike] = ()
    _targets: list[_Target] = field(default_factory=list)

    def _is_input(self, path: str) -> bool:
        """Whether ``path`` is one of the inputs, by real path or by device and inode. One pass
        over the inputs, nothing kept per input (a run may read 100,000 files): an input that
        exists is compared by identity when the target exists; by real path otherwise, which
        only an input of the same name can have (a dangling symlink aside, which the loader
        refuses anyway)."""
        ident = _identity(path)
        real = _real(path)
        names = {os.path.normcase(os.path.basename(path)), os.path.basename(real)}
        for given in self.inputs:
            if os.path.normcase(os.path.basename(given)) in names and _real(given) == real:
                return True
            if ident is not None and _identity(given) == ident:
                return True
        return False

    def add(self, path: str) -> None:
        """Check that ``path`` may be written (raises OutputRefused or OSError); nothing is created."""
        if self._is_input(path):
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

    def open(self, index: int) -> "Sink":
        """A sink for the ``index``-th target added: what is written to it reaches the target
        only with :meth:`commit` (a regular target: a temporary file beside it, renamed over it;
        a special one: an anonymous temporary file, copied into it in place)."""
        target = self._targets[index]
        if target.sink is None:
            target.sink = spool() if target.special else Sink.beside(target.real)
        return target.sink

    def commit(self, texts: Optional[list] = None) -> None:
        """Put every target in place: ``texts[i]`` (str as UTF-8, or bytes; None: the sink of
        :meth:`open`) to the i-th target added. First every regular file is completed as a
        temporary file, then each renamed into place, then the special targets are written.
        On an error, every temporary file is removed and the error raised (files renamed
        already stay)."""
        texts = list(texts) if texts is not None else [None] * len(self._targets)
        assert len(texts) == len(self._targets)
        target = None
        try:
            for index, (target, text) in enumerate(zip(self._targets, texts)):
                if not target.special:
                    sink = self.open(index)
                    if text is not None:
                        sink.write(_bytes(text))
                    target.temp = sink.finish(target.mode)
            for target in self._targets:
                if target.temp is not None:
                    os.replace(target.temp, target.real)
                    if target.sink is not None:
                        target.sink.name = None  # renamed: nothing left to remove
                    target.temp = None
            for index, (target, text) in enumerate(zip(self._targets, texts)):
                if target.special:
                    _write_in_place(target.path, _bytes(text) if text is not None else self.open(index))
        except OSError as exc:
            if target is not None:  # name the target as the user wrote it
                exc.filename = target.path
            raise
        finally:
            self.discard()

    def discard(self) -> None:
        """Remove every temporary file not yet renamed, and every sink."""
        for target in self._targets:
            if target.temp is not None:
                try:
                    os.unlink(target.temp)
                except OSError:
                    pass
                target.temp = None
            if target.sink is not None:
                target.sink.close()
                target.sink = None


_BLOCK = 1 << 20


class Sink:
    """Bytes written in order to a file descriptor that has no name yet (or a hidden
    temporary one): one output while the run goes on, or a spool of a part of it."""

    def __init__(self, fd: int, name: Optional[str] = None, directory: Optional[str] = None,
                 real: Optional[str] = None):
        self.fd = fd
        self.name = name  # a named temporary file (no O_TMPFILE), removed by close()
        self.directory = directory
        self.real = real  # the target this sink completes (None: an anonymous spool)
        self.size = 0
        self.tail = b""  # the last byte written

    @classmethod
    def beside(cls, real: str) -> "Sink":
        """A temporary file in the directory of ``real`` (unnamed where ``O_TMPFILE`` works)."""
        directory = os.path.dirname(real) or "."
        if hasattr(os, "O_TMPFILE"):
            try:
                fd = os.open(directory, os.O_TMPFILE | os.O_RDWR | getattr(os, "O_CLOEXEC", 0), 0o600)
                return cls(fd, None, directory, real)
            except OSError:  # file system without O_TMPFILE
                pass
        fd, name = tempfile.mkstemp(prefix=f".{os.path.basename(real)}.", suffix=".tmp", dir=directory)
        return cls(fd, name, directory, real)

    def write(self, data: bytes) -> None:
        write_all(self.fd, data)
        self.size += len(data)
        if data:
            self.tail = data[-1:]

    def truncate(self) -> None:
        """Forget everything written."""
        os.ftruncate(self.fd, 0)
        os.lseek(self.fd, 0, os.SEEK_SET)
        self.size = 0
        self.tail = b""

    def blocks(self) -> Iterator[bytes]:
        """What was written, from the start, in blocks of at most 1 MiB."""
        offset = 0
        while offset < self.size:
            block = os.pread(self.fd, min(_BLOCK, self.size - offset), offset)
            if not block:  # pragma: no cover - truncated behind our back
                raise OSError(errno.EIO, os.strerror(errno.EIO))
            offset += len(block)
            yield block

    def append(self, other: "Sink") -> None:
        """Copy everything written to ``other`` to the end of this sink."""
        for block in other.blocks():
            self.write(block)

    def finish(self, mode: Optional[int]) -> str:
        """Complete the temporary file of a regular target: permission bits (``mode``, else
        0666 without the umask), then a hidden name beside the target; returns that name."""
        assert self.real is not None
        final_mode = mode if mode is not None else 0o666 & ~_umask()
        os.fchmod(self.fd, final_mode)
        if self.name is not None:
            return self.name
        for _attempt in range(100):
            name = os.path.join(self.directory or ".", f".{os.path.basename(self.real)}.{os.urandom(6).hex()}.tmp")
            try:
                os.link(f"/proc/self/fd/{self.fd}", name)
                self.name = name
                return name
            except FileExistsError:
                continue
            except OSError:
                break  # no /proc: copy to a named temporary file
        fd, name = tempfile.mkstemp(prefix=f".{os.path.basename(self.real)}.", suffix=".tmp", dir=self.directory)
        try:
            for block in self.blocks():
                write_all(fd, block)
            os.fchmod(fd, final_mode)
        except BaseException:
            os.close(fd)
            os.unlink(name)
            raise
        os.close(self.fd)
        self.fd = fd
        self.name = name
        return name

    def close(self) -> None:
        """Close the descriptor; a named temporary file not renamed into place is removed."""
        if self.fd >= 0:
            try:
                os.close(self.fd)
            except OSError:  # pragma: no cover
                pass
            self.fd = -1
        if self.name is not None and self.real is not None:
            try:
                os.unlink(self.name)
            except OSError:
                pass
            self.name = None


def spool() -> Sink:
    """An anonymous temporary file (in the temporary directory, removed when closed or when
    the process ends in any way) for output that is written later."""
    with tempfile.TemporaryFile(buffering=0) as handle:  # no name (or unlinked at once) on POSIX
        return Sink(os.dup(handle.fileno()))


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
    sink = Sink.beside(real)
    try:
        sink.write(data)
        name = sink.finish(mode)
    except BaseException:
        sink.close()
        raise
    sink.name = None  # the caller owns the named file now
    sink.close()
    return name


def _write_in_place(path: str, data: "bytes | Sink") -> None:
    """Write a special target (device, FIFO, /dev/stdout) without replacing it. A FIFO is opened
    without blocking: with no reader that is an error (ENXIO), not a hang. ``data`` may be a
    sink, copied block by block."""
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
        for block in (data.blocks() if isinstance(data, Sink) else (data,)):
            write_all(fd, block)
    finally:
        os.close(fd)


def copy_to_stdout(sink: Sink) -> None:
    """Write what ``sink`` holds to the standard output (as :func:`write_stdout`)."""
    import codecs
    import sys

    stream = sys.stdout
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):  # replaced by a test harness: no descriptor
        decoder = codecs.getincrementaldecoder("utf-8")()
        for block in sink.blocks():
            stream.write(decoder.decode(block))
        stream.write(decoder.decode(b"", final=True))
        stream.flush()
        return
    stream.flush()
    for block in sink.blocks():
        write_all(fd, block)
