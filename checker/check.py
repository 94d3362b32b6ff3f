"""The pipeline for one agreement: facts -> engine session -> Result."""

from __future__ import annotations

import datetime as dt
import gc
import os
import pickle
import sys
from typing import Any, Callable, Iterator, Optional, Sequence

from checker.engine import engine_for
from checker.model import Agreement, Waiver
from checker.rules import Catalogue
from checker.verdicts import AgreementResult, build_result


def evaluate(agreement: Agreement, catalogue: Catalogue, *, path: str = "<eingabe>", sha256: str = "",
             locations: Optional[dict] = None, check_date: Optional[dt.date] = None,
             extra_waivers: Optional[list[tuple[Waiver, str, Optional[int]]]] = None,
             selected: Optional[set[str]] = None) -> AgreementResult:
    """Evaluate one agreement against the catalogue (one durable_rules session)."""
    outcome = engine_for(catalogue).evaluate(agreement)
    return build_result(catalogue, outcome, agreement, path=path, sha256=sha256, locations=locations or {},
                        check_date=check_date or dt.date.today(), extra_waivers=extra_waivers,
                        selected=selected)


def check_file(path: str, catalogue: Catalogue, *, lang: str = "de", check_date: Optional[dt.date] = None,
               extra_waivers: Optional[list[tuple[Waiver, str, Optional[int]]]] = None,
               selected: Optional[set[str]] = None) -> AgreementResult:
    """Load (raising loader.InputError on bad input) and evaluate one agreement file."""
    from checker.loader import load_agreement

    loaded = load_agreement(path, lang=lang)
    return evaluate(loaded.agreement, catalogue, path=loaded.path, sha256=loaded.sha256,
                    locations=loaded.locations, check_date=check_date, extra_waivers=extra_waivers,
                    selected=selected)


# --------------------------------------------------------------------------- many files in parallel
#
# check_many splits the files into small chunks. The parent and ``jobs - 1`` worker
# processes take the next chunk from a shared counter until none is left, so the work
# balances itself and the parent, which has to receive every result anyway, is not idle.
# A worker sends each outcome through a queue (its results pickled without their rules,
# which the parent links to its own catalogue); the parent puts every outcome in its slot.

_CHUNK_MAX = 8
_POLL = 0.5  # seconds between checks that the workers are still alive


def _start_method() -> str:
    """fork on Linux (the workers inherit the compiled catalogue); spawn elsewhere."""
    return "fork" if sys.platform.startswith("linux") else "spawn"


def _check_task(path: str, extra_waivers: list, catalogue: Catalogue, lang: str, check_date: dt.date,
                selected: Optional[set[str]], load: Optional[Callable[[str], Any]] = None,
                finish: Optional[Callable[[AgreementResult], Any]] = None) -> tuple[str, Any]:
    from checker.engine import EvaluationError
    from checker.loader import InputError, load_agreement

    try:
        loaded = load(path) if load is not None else load_agreement(path, lang=lang)
    except InputError as err:
        return "input", err.errors
    try:
        # looked up at call time: the pipeline function of this module, as the serial run uses it
        result = evaluate(loaded.agreement, catalogue, path=loaded.path, sha256=loaded.sha256,
                          locations=loaded.locations, check_date=check_date, extra_waivers=extra_waivers,
                          selected=selected)
    except EvaluationError as exc:
        return "engine", str(exc)
    return "ok", (finish(result) if finish is not None else result)


def _claim(counter: Any, total: int) -> Optional[int]:
    with counter.get_lock():
        index = counter.value
        if index >= total:
            return None
        counter.value = index + 1
        return index


def _worker_main(counter: Any, queue: Any, paths: Sequence[str], waivers: Callable[[int], list], chunks: list,
                 catalogue: Catalogue, lang: str, check_date: dt.date, selected: Optional[set[str]],
                 finish: Optional[Callable[[AgreementResult], Any]]) -> None:
    import signal
    import traceback

    from checker import engine

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is handled by the parent, which ends the workers
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent's handler unwinds the parent only
    _die_with_parent()
    engine._engines.clear()  # a forked worker builds its own durable_rules ruleset, once
    try:
        while (chunk := _claim(counter, len(chunks))) is not None:
            for index in chunks[chunk]:
                kind, payload = _check_task(paths[index], waivers(index), catalogue, lang, check_date, selected,
                                            None, finish)
                if kind == "ok" and finish is None:
                    for finding in payload.findings:  # rules stay here: the parent links its own
                        finding.rule = finding.rule.id
                if kind == "ok":
                    payload = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
                queue.put((index, kind, payload))
    except BaseException:  # noqa: BLE001 - reported by the parent
        queue.put((-1, "crash", traceback.format_exc()))
    finally:
        queue.put((-1, "done", None))
        queue.close()
        queue.join_thread()


def _die_with_parent() -> None:
    """Linux: the kernel sends SIGKILL to this worker when its parent ends in any way (a crash
    or SIGKILL included), so that no worker outlives the run and keeps the caller's pipes open."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - no libc prctl
        return
    if os.getppid() != _parent_pid:  # the parent ended before prctl took effect
        os._exit(1)


_parent_pid = os.getpid()  # set again by check_many before it starts workers


def _widen_pipe(queue: Any, size: int = 1 << 20) -> None:
    """Linux: make the pipe under ``queue`` hold ``size`` bytes (default 64 KiB). A worker's
    outcome larger than the pipe (a JSON part is ~115 KB) is written by its queue's feeder
    thread in pieces, each after the thread has got the GIL back from the checking main thread
    (up to the 5 ms switch interval): meanwhile the parent waits in the middle of reading it.
    Measured: the parent idle a third of a 2,000-file ``--jobs 2 -o json`` run."""
    try:
        import fcntl

        fcntl.fcntl(queue._writer.fileno(), fcntl.F_SETPIPE_SZ, size)
    except (ImportError, AttributeError, OSError):  # not Linux, or above the system's pipe limit
        pass


def default_jobs() -> int:
    """The number of CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class _Waivers:
    """The extra waivers of the i-th file: from a list, or none (picklable for spawn)."""

    def __init__(self, given: Optional[Sequence[list]] = None, of_path: Optional[Callable[[str], list]] = None,
                 paths: Sequence[str] = ()):
        self.given = given
        self.of_path = of_path
        self.paths = paths

    def __call__(self, index: int) -> list:
        if self.given is not None:
            return self.given[index]
        if self.of_path is not None:
            return self.of_path(self.paths[index])
        return []


def check_many(paths: Sequence[str], catalogue: Catalogue, *, jobs: int, lang: str = "de",
               check_date: Optional[dt.date] = None,
               extra_waivers: Optional[Sequence[list[tuple[Waiver, str, Optional[int]]]]] = None,
               selected: Optional[set[str]] = None, freeze: bool = False) -> list[tuple[str, Any]]:
    """Load and evaluate ``paths`` in this process and ``jobs - 1`` workers; one outcome per path, in order.

    An outcome is ``("ok", AgreementResult)``, ``("input", [ErrorItem, ...])`` (the file was
    refused by the loader) or ``("engine", message)`` (an EvaluationError). Each worker gets
    the compiled catalogue once (inherited with fork, pickled once with spawn) and builds its
    own durable_rules ruleset; the results are the same a serial run produces, their findings
    linked to ``catalogue``'s rules. A worker that fails or dies raises RuntimeError here.
    With ``freeze``, the results received are moved out of the cyclic garbage collector's
    sight as they come (``gc.freeze``); the caller unfreezes when it is done with them.
    """
    outcomes = []
    for _index, kind, payload in iter_check(paths, catalogue, jobs=jobs, lang=lang, check_date=check_date,
                                            waivers=_Waivers(extra_waivers), selected=selected):
        outcomes.append((kind, payload))
        if freeze and len(outcomes) % 32 == 0:
            gc.collect(1)
            gc.freeze()
    return outcomes


def iter_check(paths: Sequence[str], catalogue: Catalogue, *, jobs: int, lang: str = "de",
               check_date: Optional[dt.date] = None, waivers: Optional[Callable[[int], list]] = None,
               selected: Optional[set[str]] = None, load: Optional[Callable[[str], Any]] = None,
               finish: Optional[Callable[[AgreementResult], Any]] = None) -> Iterator[tuple[int, str, Any]]:
    """Load and evaluate ``paths`` in this process and ``jobs - 1`` workers; yields ``(index,
    kind, payload)`` for each path in input order, as soon as it and every path before it are done.

    ``kind`` and ``payload`` as in :func:`check_many`; with ``finish``, the payload of an
    evaluated agreement is ``finish(result)``, computed where the agreement was checked (in a
    worker: its rendered output, so the result itself never travels). ``waivers(i)``: the
    extra waivers of the i-th path; ``load``: the loader of this process (standard input),
    used only without workers. Only what arrived ahead of its turn is held.
    """
    check_date = check_date or dt.date.today()
    waivers = waivers or _Waivers()
    total = len(paths)
    workers = max(0, min(jobs, total) - 1)
    if workers == 0:
        for index, path in enumerate(paths):
            yield (index, *_check_task(path, waivers(index), catalogue, lang, check_date, selected, load, finish))
        return
    import multiprocessing  # only with workers (start-up time of a single check)
    import queue as queue_module

    size = max(1, min(_CHUNK_MAX, total // ((workers + 1) * 8)))
    chunks = [range(i, min(i + size, total)) for i in range(0, total, size)]
    global _parent_pid
    _parent_pid = os.getpid()
    context = multiprocessing.get_context(_start_method())
    counter = context.Value("i", 0)
    results = context.Queue()
    _widen_pipe(results)
    processes = [context.Process(target=_worker_main, daemon=True,
                                 args=(counter, results, paths, waivers, chunks, catalogue, lang, check_date,
                                       selected, finish))
                 for _ in range(workers)]
    ahead: dict[int, tuple[str, Any]] = {}  # outcomes that arrived before their turn
    done = 0
    next_index = 0

    def take(item: tuple) -> None:
        nonlocal done
        index, kind, payload = item
        if kind == "done":
            done += 1
            return
        if kind == "crash":
            raise RuntimeError(f"budgetcheck worker failed:\n{payload}")
        if kind == "ok":
            payload = pickle.loads(payload)
            if finish is None:
                for finding in payload.findings:
                    finding.rule = catalogue.by_id[finding.rule]
        ahead[index] = (kind, payload)

    def ready() -> Iterator[tuple[int, str, Any]]:
        nonlocal next_index
        while next_index in ahead:
            kind, payload = ahead.pop(next_index)
            yield next_index, kind, payload
            next_index += 1

    try:
        for process in processes:
            process.start()
        def receive() -> None:  # wait for the next outcome of a worker
            try:
                take(results.get(timeout=_POLL))
            except queue_module.Empty:
                dead = [p for p in processes if not p.is_alive() and p.exitcode not in (0, None)]
                if dead:
                    raise RuntimeError(f"budgetcheck worker ended with exit code {dead[0].exitcode}") from None

        window = (workers + 2) * size  # how far this process may get ahead of the outcomes given out
        while (chunk := _claim(counter, len(chunks))) is not None:
            for index in chunks[chunk]:
                ahead[index] = _check_task(paths[index], waivers(index), catalogue, lang, check_date, selected,
                                           None, finish)
            while True:  # what the workers finished meanwhile
                try:
                    take(results.get_nowait())
                except queue_module.Empty:
                    break
            yield from ready()
            # Flow control: a non-blocking read takes only what is in the pipe now, and the
            # workers would keep their other outcomes in memory (and this process its own,
            # waiting for theirs). Before taking more work, wait until the outcomes given out
            # are within a few chunks of what this process has done.
            while next_index < chunks[chunk].stop - window and done < workers:
                receive()
                yield from ready()
        while done < workers:
            receive()
            yield from ready()
        for process in processes:
            process.join()
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
                process.join()
        results.close()
    yield from ready()
    if next_index < total:
        raise RuntimeError(f"budgetcheck workers returned no outcome for {total - next_index} file(s)")
