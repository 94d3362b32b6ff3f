"""Phase timer for the command line's cold start (a developer's tool, off by default).

``BUDGETCHECK_TIMING=1 budgetcheck check FILE`` writes, after the command, one line per phase
to standard error: wall time and CPU time (user + system of this process) since the previous
mark; the first line is the time from the process's start (read from ``/proc/self/stat`` where
it exists, so the interpreter's own start-up shows as the first phase). On a busy machine the
CPU time is the steadier figure. Without the variable, :func:`mark` costs one boolean test and nothing is written;
reports and exit codes are the same either way.
"""

from __future__ import annotations

import os
import sys
import time

ENABLED = bool(os.environ.get("BUDGETCHECK_TIMING"))
_marks: list[tuple[str, float, float]] = []


def _process_start() -> float | None:
    """The process's start on the ``time.clock_gettime(CLOCK_BOOTTIME)`` scale (Linux), else None."""
    try:
        with open("/proc/self/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return int(fields[19]) / ticks  # field 22 of proc(5): starttime, clock ticks after boot
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def mark(name: str) -> None:
    """Record that phase ``name`` ends now."""
    if ENABLED:
        _marks.append((name, time.perf_counter(), time.process_time()))


def report() -> None:
    """Write the phases to standard error (only when enabled)."""
    if not ENABLED or not _marks:
        return
    now_perf = time.perf_counter()
    lines = []
    start = _process_start()
    offset = None
    if start is not None and hasattr(time, "CLOCK_BOOTTIME"):
        offset = time.clock_gettime(time.CLOCK_BOOTTIME) - now_perf  # perf_counter -> boot time
        lines.append(f"timing: {'process start -> ' + _marks[0][0]:<40} "
                     f"wall {(_marks[0][1] + offset - start) * 1e3:7.1f} ms  cpu {_marks[0][2] * 1e3:7.1f} ms "
                     "(start read in clock ticks: +-10 ms)")
    _name, wall, cpu = _marks[0]
    for name, at, cpu_at in _marks[1:]:
        lines.append(f"timing: {name:<40} wall {(at - wall) * 1e3:7.1f} ms  cpu {(cpu_at - cpu) * 1e3:7.1f} ms")
        wall, cpu = at, cpu_at
    lines.append(f"timing: {'total after ' + _marks[0][0]:<40} wall {(wall - _marks[0][1]) * 1e3:7.1f} ms"
                 f"  cpu {(cpu - _marks[0][2]) * 1e3:7.1f} ms")
    sys.stderr.write("\n".join(lines) + "\n")
    sys.stderr.flush()
