"""Throughput, latency, memory and start-up of budgetcheck, in one run.

    .venv/bin/python benchmarks/bench.py                      # N = 1,000, 10,000, 100,000 (long)
    .venv/bin/python -m benchmarks.bench --sizes 1000,10000   # choose the sizes
    .venv/bin/python -m benchmarks.bench --write BENCHMARKS.md

Run it from anywhere; it uses the checkout it lives in. Agreements come from
:mod:`benchmarks.generate` (seeded, varied, built from ``cases/``); nothing is
written outside a temporary directory except, with ``--write``, the results
block of ``BENCHMARKS.md``.

Measured, each N and each step in its own subprocess (so peak RSS belongs to
that N and step), agreements generated, checked and dropped one by one (only a
float per agreement is kept for the percentiles):

* ``libyaml`` -- libyaml's bare C parse: the event stream (``yaml.parse`` with
  ``CSafeLoader``), no tree, no positions, no validation;
* ``jsonfloor`` -- the same agreement as JSON text, parsed and validated by pydantic
  (``Agreement.model_validate_json``): the practical floor for getting validated data
  into Python;
* ``floor``  -- loading and validating only (``checker.loader.load_agreement``);
* ``full``   -- loading plus the full check: facts, engine session, verdicts
  (``checker.check.check_file``);
* ``render`` -- ``full`` plus Markdown and HTML (``checker.report.render_report``)
  and JSON (``checker.formats.render``) of the agreement.

Only the step is timed, not the generation of the text or writing it to the
temporary file the step reads. A short warm-up (other agreements) comes first,
so one-time costs (catalogue, engine set-up, template compilation) are reported
as ``setup`` and not spread over the agreements.

Besides: a cold single check through the command line (``python -m checker
check CASE``, wall time, median of ``--cli-runs``) against a bare ``python -c
'import checker'``, with the catalogue cache warm and cold; and ``budgetcheck
check --jobs 2`` against ``--jobs 1`` on ``--jobs-files`` generated files, with
both outputs compared byte for byte; and the command line's peak RSS on batches of
``--batch-sizes`` generated files (``check --jobs 1 -o FORMAT:FILE``, ``--batch-format``, default json), under an address-space
limit of ``--batch-mem`` GiB so that a run that does not fit fails instead of exhausting
the machine.
"""

from __future__ import annotations

import argparse
import array
import datetime as dt
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Optional

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # python benchmarks/bench.py
    sys.path.insert(0, str(ROOT))

CHECK_DATE = dt.date(2026, 1, 1)
STEPS = ("libyaml", "jsonfloor", "floor", "full", "render")
CLI_CASE = "cases/source/hamburg-jugendhilfe-eckpunkte.yaml"
MARK_BEGIN = "<!-- bench:begin (written by benchmarks/bench.py --write; do not edit by hand) -->"
MARK_END = "<!-- bench:end -->"
TARGETS = {  # issue 13 (performance v2)
    "json_ratio": 12.0,  # full check / JSON + pydantic floor
    "cli_ms": 250.0,  # cold single check through the CLI (text)
    "cli_import_ratio": 6.0,  # ... against python -c 'import checker'
    "rss_growth": 0.10,  # full check in one process: RSS at the largest N against the smallest
    "batch_growth": 0.10,  # CLI batch: peak RSS at the largest N against the smallest
    "batch_mib": 250.0,  # CLI batch: peak RSS at the largest N
    "jobs_speedup": 1.7,  # --jobs 2 against --jobs 1
}


# --------------------------------------------------------------------------- child: one step, one N


class _RenderFailed(Exception):
    """The human report could not be rendered for an agreement."""


def _rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def _current_rss_kib() -> Optional[int]:
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except (OSError, ValueError, IndexError):
        return None


def run_step(step: str, count: int, seed: int, warmup: int = 30) -> dict:
    """Time ``step`` on agreements 0..count-1 of the series; returns the figures as a dict."""
    t0 = time.perf_counter()
    from benchmarks.generate import Generator
    from checker.loader import InputError, load_agreement

    work: Any
    as_json = step == "jsonfloor"
    if step == "libyaml":
        import yaml

        def work(path: str) -> None:
            with open(path, "rb") as handle:
                for _event in yaml.parse(handle.read(), Loader=yaml.CSafeLoader):
                    pass
    elif step == "jsonfloor":
        from checker.model import Agreement

        def work(path: str) -> None:
            with open(path, "rb") as handle:
                Agreement.model_validate_json(handle.read())
    elif step == "floor":
        def work(path: str) -> None:
            load_agreement(path)
    else:
        from checker.check import check_file
        from checker.rules import load_catalogue

        catalogue = load_catalogue()
        if step == "full":
            def work(path: str) -> None:
                check_file(path, catalogue, check_date=CHECK_DATE)
        else:
            from checker import __version__, formats
            from checker.report import render_report
            from checker.verdicts import RunInfo

            run = RunInfo(__version__, catalogue.version, catalogue.digest, len(catalogue.rules),
                          CHECK_DATE.isoformat())
            policy = formats.Policy()

            def work(path: str) -> None:
                result = [check_file(path, catalogue, check_date=CHECK_DATE)]
                formats.render("json", result, run=run, policy=policy, lang="de")
                try:
                    render_report(result, "markdown", lang="de", run=run)
                    render_report(result, "html", lang="de", run=run)
                except Exception as exc:  # a defect of the report: counted and shown, not timed
                    raise _RenderFailed(f"{type(exc).__name__}: {exc}") from None
    generator = Generator(seed)
    setup = time.perf_counter() - t0

    times = array.array("d")
    refused = 0
    render_failed = 0
    render_error = ""
    with tempfile.TemporaryDirectory(prefix="budgetcheck-bench-") as tmp:
        path = os.path.join(tmp, "agreement.yaml")
        for i in range(-warmup, count):
            text = generator.text(i if i >= 0 else 10_000_000 - i)  # warm-up: other agreements
            if as_json:
                text = _as_json(text)
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)
            start = time.perf_counter()
            try:
                work(path)
            except (InputError, ValueError):  # ValueError: pydantic's ValidationError (jsonfloor)
                refused += 1
            except _RenderFailed as exc:
                render_failed += i >= 0
                render_error = render_error or str(exc)
                continue
            elapsed = time.perf_counter() - start
            if i == -1:
                rss_after_warmup = _current_rss_kib()
            if i >= 0:
                times.append(elapsed)
    ordered = sorted(times)
    total = sum(times)
    count = len(times)
    return {
        "step": step,
        "n": count + render_failed,
        "timed": count,
        "render_failed": render_failed,
        "render_error": render_error,
        "setup_s": setup,
        "total_s": total,
        "per_s": count / total if total else 0.0,
        "mean_ms": total / count * 1e3,
        "p50_ms": ordered[int(0.50 * (count - 1))] * 1e3,
        "p99_ms": ordered[int(0.99 * (count - 1))] * 1e3,
        "max_ms": ordered[-1] * 1e3,
        "refused": refused,
        "rss_warm_kib": rss_after_warmup,
        "rss_end_kib": _current_rss_kib(),
        "peak_rss_kib": _rss_kib(),
    }


def _as_json(text: str) -> str:
    import yaml

    return json.dumps(yaml.load(text, Loader=yaml.CSafeLoader), ensure_ascii=False,
                      default=lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v))


# --------------------------------------------------------------------------- parent


def _env(cache_dir: Optional[str] = None, pycache: Optional[str] = None) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # a normal installation has its byte code cached
    env.pop("SOURCE_DATE_EPOCH", None)
    env["NO_COLOR"] = "1"
    if pycache:
        env["PYTHONPYCACHEPREFIX"] = pycache  # keeps __pycache__ out of the checkout
    if cache_dir:
        env["BUDGETCHECK_CACHE_DIR"] = cache_dir
    return env


def child(step: str, count: int, seed: int, env: dict) -> dict:
    out = subprocess.run([sys.executable, "-m", "benchmarks.bench", "--child", step, "--sizes", str(count),
                          "--seed", str(seed)], cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{step} N={count} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _wall(cmd: list[str], env: dict, cwd: Path = ROOT, stdout: Any = subprocess.DEVNULL) -> tuple[float, int]:
    return _timed(cmd, env, cwd, stdout)[:2]


def _timed(cmd: list[str], env: dict, cwd: Path = ROOT, stdout: Any = subprocess.DEVNULL) -> tuple[float, int, float]:
    """Wall time, exit code and CPU time (user + system, from ``wait4``) of one command."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=stdout, stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, proc.returncode, usage.ru_utime + usage.ru_stime


def cli_cold(runs: int, tmp: Path) -> dict:
    """Wall and CPU time of one check through the CLI against a bare import, interleaved round robin;
    the ratios are the medians of each round's ratio (one disturbance does not hit one side only)."""
    py = sys.executable
    warm_cache = str(tmp / "cache-warm")
    env = _env(warm_cache, str(tmp / "pycache"))
    commands = {
        "import": [py, "-c", "import checker"],
        "check_text": [py, "-m", "checker", "check", "--no-config", "-q", "--date", "2026-01-01", CLI_CASE],
        "check_json": [py, "-m", "checker", "check", "--no-config", "-q", "--date", "2026-01-01", "-f", "json",
                       CLI_CASE],
    }
    for cmd in commands.values():  # byte code and catalogue cache written once, as on a user's machine
        for _ in range(2):
            _wall(cmd, env)
    walls: dict[str, list[float]] = {name: [] for name in [*commands, "check_text_no_cache"]}
    cpus: dict[str, list[float]] = {name: [] for name in walls}
    load = [os.getloadavg()[0]]
    for i in range(runs):  # round robin: a passing disturbance does not hit one command only
        for name, cmd in commands.items():
            wall, _code, cpu = _timed(cmd, env)
            walls[name].append(wall)
            cpus[name].append(cpu)
        # catalogue cache empty: the rule files are loaded, validated and compiled
        wall, _code, cpu = _timed(commands["check_text"], _env(str(tmp / f"cache-cold-{i}"), str(tmp / "pycache")))
        walls["check_text_no_cache"].append(wall)
        cpus["check_text_no_cache"].append(cpu)
    load.append(os.getloadavg()[0])
    out: dict[str, Any] = {"runs": runs, "load": load}
    for name, values in walls.items():
        out[name] = statistics.median(values) * 1e3
        out[name + "_min"] = min(values) * 1e3
        out[name + "_cpu"] = statistics.median(cpus[name]) * 1e3
        out[name + "_cpu_min"] = min(cpus[name]) * 1e3
    for name in ("check_text", "check_json"):
        out[name + "_ratio"] = statistics.median(a / b for a, b in zip(walls[name], walls["import"]))
        out[name + "_cpu_ratio"] = statistics.median(a / b for a, b in zip(cpus[name], cpus["import"]))
    return out


def _tree_rss_kib(pid: int) -> int:
    """Memory of ``pid`` and all its descendants now (Linux ``/proc``; 0 elsewhere): the sum of
    their proportional set sizes (PSS: a page shared by forked workers counts once in all, where
    a sum of RSS would count it in every process), else of their RSS."""
    total = 0
    todo = [pid]
    page_kib = os.sysconf("SC_PAGE_SIZE") // 1024
    while todo:
        current = todo.pop()
        try:
            try:
                with open(f"/proc/{current}/smaps_rollup", encoding="ascii") as handle:
                    total += next(int(line.split()[1]) for line in handle if line.startswith("Pss:"))
            except (OSError, StopIteration):
                with open(f"/proc/{current}/statm", encoding="ascii") as handle:
                    total += int(handle.read().split()[1]) * page_kib
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as handle:
                    todo.extend(int(child) for child in handle.read().split())
        except (OSError, ValueError):  # ended meanwhile
            continue
    return total


def run_measured(cmd: list[str], env: dict, *, preexec: Any = None, every: float = 0.05) -> dict:
    """Run ``cmd``; wall time, exit code, the peak memory of the process tree (the sum of PSS over
    the process and its workers, sampled every ``every`` s) and the peak RSS of the largest single
    process (``ru_maxrss`` from ``wait4``, exact); ``peak_rss_kib`` is the larger of the two;
    stderr's last line."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err,
                                preexec_fn=preexec)
        tree = 0
        own = 0.0  # CPU seconds of the process itself (without its workers), last seen
        tick = os.sysconf("SC_CLK_TCK")
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            tree = max(tree, _tree_rss_kib(proc.pid))
            try:
                with open(f"/proc/{proc.pid}/stat", encoding="ascii") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
                own = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
            except (OSError, ValueError, IndexError):
                pass
            time.sleep(every)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        last = err.read().decode("utf-8", "replace").strip().splitlines()[-1:]
    return {"wall_s": wall, "code": proc.returncode, "cpu_s": usage.ru_utime + usage.ru_stime, "own_cpu_s": own,
            "peak_rss_kib": max(usage.ru_maxrss, tree),
            "tree_rss_kib": tree, "maxrss_kib": usage.ru_maxrss, "stderr": last}


def _own_session(priority: Optional[int]) -> Any:
    """A ``preexec_fn``: the command in a session of its own, whose scheduler group (Linux
    autogroup) gets the nice value ``priority`` (root only for a negative one).

    With autogroups (``/proc/sys/kernel/sched_autogroup_enabled``), CPU time is shared fairly
    between sessions, not processes: on a machine busy with other sessions a run with two
    processes gets no more CPU than a run with one, whatever ``nice`` says (it orders processes
    within one session only), and ``--jobs 2`` measures about 1×. A negative ``priority`` lets
    the measured run have both cores while it lasts."""
    if priority is None:
        return None

    def preexec() -> None:
        os.setsid()
        try:
            with open("/proc/self/autogroup", "w", encoding="ascii") as handle:
                handle.write(str(priority))
        except OSError:
            pass

    return preexec


def jobs_speedup(files: int, seed: int, tmp: Path, formats: list[str], runs: int = 2,
                 priority: Optional[int] = None) -> dict:
    """``check --jobs 2`` against ``--jobs 1`` on ``files`` generated agreements, runs interleaved
    (1, 2, 1, 2, ...) so that a passing disturbance does not hit one side only; best of ``runs``
    each; outputs compared byte for byte; the speed-up is taken inside this one run.
    ``priority``: the autogroup nice value of each measured run (see :func:`_own_session`)."""
    from benchmarks.generate import Generator

    directory = tmp / "jobs"
    directory.mkdir()
    generator = Generator(seed + 1)
    for i in range(files):
        (directory / f"v{i:05d}.yaml").write_text(generator.text(i), encoding="utf-8")
    env = _env(str(tmp / "cache-jobs"), str(tmp / "pycache"))
    out: dict[str, Any] = {"files": files, "cores": _cores(), "runs": runs, "priority": priority,
                           "load_before": os.getloadavg()[0]}
    for fmt in formats:
        outputs = {}
        walls: dict[int, list[float]] = {1: [], 2: []}
        cpus: dict[int, list[float]] = {1: [], 2: []}
        critical: list[float] = []
        peaks: dict[int, list[int]] = {1: [], 2: []}
        for _ in range(runs):
            for jobs in (1, 2):
                target = tmp / f"out-{fmt}-{jobs}"
                cmd = [sys.executable, "-m", "checker", "check", "--no-config", "-q", "--date", "2026-01-01",
                       "--jobs", str(jobs), "-o", f"{fmt}:{target}", str(directory)]
                measured = run_measured(cmd, env, preexec=_own_session(priority))
                if measured["code"] not in (0, 1):
                    out[f"{fmt}_failed"] = f"exit code {measured['code']}: {' '.join(measured['stderr'])[:100]}"
                    break
                walls[jobs].append(measured["wall_s"])
                cpus[jobs].append(measured["cpu_s"])
                if jobs == 2:  # the busier of parent and worker: the wall time on two idle cores
                    own = measured["own_cpu_s"]
                    critical.append(max(own, measured["cpu_s"] - own))
                peaks[jobs].append(measured["tree_rss_kib"])
                outputs[jobs] = target.read_bytes()
                target.unlink()
            if f"{fmt}_failed" in out:
                break
        if f"{fmt}_failed" in out:
            continue
        for jobs in (1, 2):
            out[f"{fmt}_jobs{jobs}_s"] = min(walls[jobs])
            out[f"{fmt}_jobs{jobs}_rss_kib"] = max(peaks[jobs])
        out[f"{fmt}_speedup"] = out[f"{fmt}_jobs1_s"] / out[f"{fmt}_jobs2_s"]
        # CPU time: on a loaded machine the wall times say little, CPU time does not depend on the
        # load. With two idle cores the run with two jobs would take as long as the busier of its
        # two processes (parent: sampled from /proc until it ends; worker: the rest of the tree).
        out[f"{fmt}_jobs1_cpu_s"] = min(cpus[1])
        out[f"{fmt}_jobs2_cpu_s"] = min(cpus[2])
        out[f"{fmt}_cpu_bound"] = out[f"{fmt}_jobs1_cpu_s"] / min(critical)
        out[f"{fmt}_identical"] = outputs[1] == outputs[2]
        out[f"{fmt}_load"] = os.getloadavg()[0]
        out[f"{fmt}_bytes"] = len(outputs[1])
        print(f"--jobs on {files} files, -o {fmt}: 1 job {out[f'{fmt}_jobs1_s']:.1f} s, "
              f"2 jobs {out[f'{fmt}_jobs2_s']:.1f} s, {out[f'{fmt}_speedup']:.2f}× "
              f"(runs 1 job {', '.join(f'{w:.1f}' for w in walls[1])}; 2 jobs "
              f"{', '.join(f'{w:.1f}' for w in walls[2])}), identical: {out[f'{fmt}_identical']}; CPU "
              f"{out[f'{fmt}_jobs1_cpu_s']:.1f} s / {out[f'{fmt}_jobs2_cpu_s']:.1f} s: on two idle cores "
              f"{out[f'{fmt}_cpu_bound']:.2f}×; load average {out[f'{fmt}_load']:.1f}"
              + (f", autogroup nice {priority}" if priority is not None else ""), flush=True)
    shutil.rmtree(directory)
    return out


def batch_rss(sizes: list[int], seed: int, tmp: Path, mem_gib: float, jobs: int = 1, fmt: str = "json") -> dict:
    """Peak RSS of the process tree and wall time of ``check --jobs JOBS -o FMT:FILE`` over N
    generated files, for each N (e.g. 1,000, 10,000, 100,000).

    The files are generated on the fly into the temporary directory, 1,000 to a directory (a
    batch of N names the first N/1,000 directories), the report goes to a file there and is
    removed after each N. The command runs under an address-space limit (``mem_gib``): a batch
    that does not fit fails (reported) instead of exhausting a shared machine."""
    import resource as res

    from benchmarks.generate import Generator

    top = tmp / "batch"
    generator = Generator(seed + 2)
    made = 0
    env = _env(str(tmp / "cache-batch"), str(tmp / "pycache"))
    limit = int(mem_gib * 1024 ** 3)

    def preexec() -> None:
        res.setrlimit(res.RLIMIT_AS, (limit, limit))

    out: dict[str, Any] = {"mem_gib": mem_gib, "jobs": jobs, "format": fmt, "rows": []}
    for n in sorted(sizes):
        began = time.perf_counter()
        while made < n:
            directory = top / f"d{made // 1000:04d}"
            directory.mkdir(parents=True, exist_ok=True)
            (directory / f"v{made:06d}.yaml").write_text(generator.text(made), encoding="utf-8")
            made += 1
        generated = time.perf_counter() - began
        dirs = [str(top / f"d{i:04d}") for i in range(-(-n // 1000))]
        target = tmp / f"batch-out.{fmt}"
        cmd = [sys.executable, "-m", "checker", "check", "--no-config", "-q", "--date", "2026-01-01",
               "--jobs", str(jobs), "-o", f"{fmt}:{target}", *dirs]
        measured = run_measured(cmd, env, preexec=preexec, every=0.2)
        row = {"n": n, "wall_s": measured["wall_s"], "peak_rss_kib": measured["peak_rss_kib"],
               "maxrss_kib": measured["maxrss_kib"], "tree_rss_kib": measured["tree_rss_kib"],
               "code": measured["code"], "bytes": target.stat().st_size if target.exists() else 0,
               "generate_s": generated}
        if measured["code"] not in (0, 1) or not row["bytes"]:  # exit 1 without a report: failed too
            row["error"] = measured["stderr"] or [f"exit {measured['code']}"]
        out["rows"].append(row)
        print(f"CLI batch -o {fmt} N={n:>7,}: {row['wall_s']:7.1f} s, peak RSS {row['peak_rss_kib'] / 1024:7.1f} MiB "
              f"(largest process {row['maxrss_kib'] / 1024:.1f}, tree sampled {row['tree_rss_kib'] / 1024:.1f}), "
              f"exit {row['code']}, {row['bytes'] / 1e6:,.0f} MB (generated in {generated:.0f} s)"
              + (f" ({row['error'][0][:120]})" if "error" in row else ""), flush=True)
        target.unlink(missing_ok=True)
    shutil.rmtree(top, ignore_errors=True)
    return out


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def machine() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo", encoding="utf-8") as handle:
            kib = int(handle.readline().split()[1])
            mem = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass

    def ver(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "?"

    import yaml

    return {
        "cpu": cpu,
        "cores": _cores(),
        "memory": mem,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version() + f" ({platform.python_implementation()})",
        "durable_rules": ver("durable_rules"),
        "pydantic": ver("pydantic"),
        "pyyaml": ver("PyYAML") + (" with libyaml" if getattr(yaml, "__with_libyaml__", False) else ""),
        "jinja2": ver("Jinja2"),
    }


def _fmt_n(n: int) -> str:
    return f"{n:,}"


def markdown(info: dict, rows: list[dict], cli: Optional[dict], jobs: Optional[dict], seed: int,
             elapsed: float, batch: Optional[dict] = None) -> str:
    lines = [MARK_BEGIN, "",
             f"Run of `benchmarks/bench.py` on {dt.date.today().isoformat()} (seed {seed}, {elapsed / 60:.0f} min):",
             "",
             f"- CPU: {info['cpu']}, {info['cores']} cores, {info['memory']}; {info['os']}",
             f"- Python {info['python']}; durable_rules {info['durable_rules']}, pydantic {info['pydantic']}, "
             f"PyYAML {info['pyyaml']}, Jinja2 {info['jinja2']}",
             "",
             "Steps: `libyaml` = libyaml's bare C parse (the event stream); `jsonfloor` = the same agreement as JSON, "
             "parsed and validated by pydantic (`model_validate_json`); `floor` = our loader (positions, "
             "located errors) and validation; `full` = floor + facts, durable_rules, verdicts; `render` = "
             "full + Markdown, HTML and JSON.",
             "",
             "| N | step | agreements/s | p50 ms | p99 ms | mean ms | × JSON floor | × floor | setup s | "
             "peak RSS MiB |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    floors = {r["n"]: r["mean_ms"] for r in rows if r["step"] == "floor"}
    jfloors = {r["n"]: r["mean_ms"] for r in rows if r["step"] == "jsonfloor"}
    for r in rows:
        ratio = r["mean_ms"] / floors[r["n"]] if r["n"] in floors else float("nan")
        jratio = r["mean_ms"] / jfloors[r["n"]] if r["n"] in jfloors else float("nan")
        lines.append(f"| {_fmt_n(r['n'])} | {r['step']} | {r['per_s']:,.0f} | {r['p50_ms']:.2f} | "
                     f"{r['p99_ms']:.2f} | {r['mean_ms']:.2f} | {jratio:.1f} | {ratio:.2f} | {r['setup_s']:.2f} | "
                     f"{r['peak_rss_kib'] / 1024:.1f} |")
    for r in rows:
        if r["refused"]:
            lines += ["", f"**{r['step']}, N = {_fmt_n(r['n'])}: {r['refused']:,} generated agreements were "
                          "refused (timed all the same).**"]
    for r in rows:
        if r.get("render_failed"):
            lines += ["", f"**render, N = {_fmt_n(r['n'])}: the human report failed for {r['render_failed']:,} "
                          f"agreements ({r['render_error']}); they are left out of that row's figures.**"]
    if cli:
        load = cli.get("load", [float("nan")] * 2)
        lines += ["", f"Cold single check through the CLI (`python -m checker check {CLI_CASE}`), "
                      f"{cli['runs']} runs of each command interleaved, byte code cached; wall time and CPU time "
                      f"(user + system); load average {load[0]:.1f} before, {load[1]:.1f} after; "
                      "the ratio is the median of each round's ratio to `import checker`:", "",
                  "| command | wall median ms | wall best ms | CPU median ms | CPU best ms | × import (wall) | "
                  "× import (CPU) |", "|---|---:|---:|---:|---:|---:|---:|"]
        for name, text in (("import", "`python -c 'import checker'`"),
                           ("check_text", "`check` (text report, caches warm)"),
                           ("check_json", "`check -f json` (caches warm)"),
                           ("check_text_no_cache", "`check` (text report, cache directory empty)")):
            ratios = (f"{cli[name + '_ratio']:.1f} | {cli[name + '_cpu_ratio']:.1f}" if name + "_ratio" in cli
                      else ("1.0 | 1.0" if name == "import" else "– | –"))
            lines.append(f"| {text} | {cli[name]:.0f} | {cli[name + '_min']:.0f} | {cli.get(name + '_cpu', 0):.0f} | "
                         f"{cli.get(name + '_cpu_min', 0):.0f} | {ratios} |")
    if jobs:
        lines += ["", f"`check --jobs 2` against `--jobs 1` on {jobs['files']:,} generated files "
                      f"({jobs['cores']} cores), wall time (best of {jobs.get('runs', 2)}, runs interleaved), peak RSS of "
                      "the process tree, outputs compared byte for byte; load average "
                      + ", ".join(f"{jobs[f + '_load']:.1f}" for f in jobs["formats"] if f + "_load" in jobs)
                      + (f"; each run in a session of its own with autogroup nice {jobs['priority']}"
                         if jobs.get("priority") is not None else "") + ":", "",
                  "| output | --jobs 1 s | --jobs 2 s | speed-up | identical | output MB | RSS 1 job MiB | "
                  "RSS 2 jobs MiB | CPU 1 job s | CPU 2 jobs s | CPU 1 job / busier process |",
                  "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|"]
        for fmt in jobs["formats"]:
            if fmt + "_failed" in jobs:
                lines.append(f"| {fmt} | **failed: {jobs[fmt + '_failed']}** | | | | |")
                continue
            lines.append(f"| {fmt} | {jobs[fmt + '_jobs1_s']:.1f} | {jobs[fmt + '_jobs2_s']:.1f} | "
                         f"{jobs[fmt + '_speedup']:.2f}× | {'yes' if jobs[fmt + '_identical'] else '**no**'} | "
                         f"{jobs[fmt + '_bytes'] / 1e6:.0f} | {jobs[fmt + '_jobs1_rss_kib'] / 1024:.0f} | "
                         f"{jobs[fmt + '_jobs2_rss_kib'] / 1024:.0f} | {jobs[fmt + '_jobs1_cpu_s']:.1f} | "
                         f"{jobs[fmt + '_jobs2_cpu_s']:.1f} | {jobs[fmt + '_cpu_bound']:.2f}× |")
    if batch:
        lines += ["", f"The command line on a batch of N generated files (`check --jobs {batch.get('jobs', 1)} "
                      f"-o {batch.get('format', 'json')}:FILE DIRS`, files generated on the fly, address space limited to "
                      f"{batch['mem_gib']:g} GiB), one run each; peak RSS of the process tree:", "",
                  "| N files | wall s | files/s | peak RSS MiB | exit | output MB |", "|---:|---:|---:|---:|---|---:|"]
        for b in batch["rows"]:
            exit_text = str(b["code"]) if "error" not in b else f"**{b['code']}: {b['error'][0][:80]}**"
            lines.append(f"| {_fmt_n(b['n'])} | {b['wall_s']:.1f} | {b['n'] / b['wall_s']:,.0f} | "
                         f"{b['peak_rss_kib'] / 1024:.1f} | {exit_text} | {b['bytes'] / 1e6:.0f} |")
    lines += ["", "Targets:", ""] + targets(rows, cli, jobs, batch) + ["", MARK_END]
    return "\n".join(lines) + "\n"


def targets(rows: list[dict], cli: Optional[dict], jobs: Optional[dict], batch: Optional[dict] = None) -> list[str]:
    out = []

    def verdict(ok: bool) -> str:
        return "met" if ok else "**missed**"

    full = [r for r in rows if r["step"] == "full"]
    jfloors = {r["n"]: r for r in rows if r["step"] == "jsonfloor"}
    if full:
        best = max(full, key=lambda r: r["n"])
        out.append(f"- full check: {best['per_s']:,.0f} agreements/s in one process at N = {_fmt_n(best['n'])} "
                   "(the issue's second target, 2× the throughput before it, is judged against the "
                   "before/after table in BENCHMARKS.md)")
        if best["n"] in jfloors:
            ratio = best["mean_ms"] / jfloors[best["n"]]["mean_ms"]
            out.append(f"- full check ≤ {TARGETS['json_ratio']:.0f}× the JSON + pydantic floor: {ratio:.1f}× — "
                       f"{verdict(ratio <= TARGETS['json_ratio'])}")
        by_n = {r["n"]: r for r in full}
        if len(by_n) > 1:
            small, large = min(by_n), max(by_n)
            growth = by_n[large]["peak_rss_kib"] / by_n[small]["peak_rss_kib"] - 1
            out.append(f"- full check in one process, peak RSS at {_fmt_n(large)} within "
                       f"{TARGETS['rss_growth']:.0%} of {_fmt_n(small)}: {growth:+.1%} — "
                       f"{verdict(growth <= TARGETS['rss_growth'])}")
    if batch and batch["rows"]:
        ok = [b for b in batch["rows"] if "error" not in b]
        failed = [b for b in batch["rows"] if "error" in b]
        if ok:
            small, large = ok[0], ok[-1]
            growth = large["peak_rss_kib"] / small["peak_rss_kib"] - 1
            mib = large["peak_rss_kib"] / 1024
            out.append(f"- CLI batch peak RSS at {_fmt_n(large['n'])} files within {TARGETS['batch_growth']:.0%} "
                       f"of {_fmt_n(small['n'])}: {growth:+.1%} — {verdict(growth <= TARGETS['batch_growth'])}; "
                       f"under {TARGETS['batch_mib']:.0f} MiB: {mib:.0f} MiB — {verdict(mib < TARGETS['batch_mib'])}")
        for b in failed:
            out.append(f"- CLI batch of {_fmt_n(b['n'])} files: **failed** within {batch['mem_gib']:g} GiB "
                       "— **missed**")
    if cli:
        ms = cli["check_text"]
        ratio = cli.get("check_text_ratio", ms / cli["import"])
        out.append(f"- cold single check through the CLI ≤ {TARGETS['cli_ms']:.0f} ms: {ms:.0f} ms median, "
                   f"{cli['check_text_min']:.0f} ms best (text report; {cli['check_json']:.0f} ms with -f json; "
                   f"this machine, load {cli.get('load', [float('nan')])[0]:.1f}) — {verdict(ms <= TARGETS['cli_ms'])}; "
                   f"≤ {TARGETS['cli_import_ratio']:.0f}× `import checker`: {ratio:.1f}× wall, "
                   f"{cli.get('check_text_cpu_ratio', float('nan')):.1f}× CPU — "
                   f"{verdict(ratio <= TARGETS['cli_import_ratio'])}")
    if jobs:
        for fmt in jobs["formats"]:
            if fmt + "_failed" in jobs:
                continue
            s = jobs[fmt + "_speedup"]
            bound = jobs.get(fmt + "_cpu_bound")
            out.append(f"- `--jobs 2` ≥ {TARGETS['jobs_speedup']}× `--jobs 1` (-o {fmt}): {s:.3f}× wall — "
                       f"{verdict(s >= TARGETS['jobs_speedup'])}"
                       + (f" (CPU: {bound:.2f}× = CPU of one job / CPU of the busier process of two jobs)" if bound else ""))
    return out


def write_block(path: Path, block: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if MARK_BEGIN in text and MARK_END in text:
        head, rest = text.split(MARK_BEGIN, 1)
        tail = rest.split(MARK_END, 1)[1].lstrip("\n")
        text = head + block + ("\n" + tail if tail else "")
    else:
        text = text + ("\n" if text and not text.endswith("\n") else "") + block
    path.write_text(text, encoding="utf-8")


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated N (default %(default)s)")
    parser.add_argument("--steps", default=",".join(STEPS), help="comma-separated steps (default %(default)s)")
    parser.add_argument("--render-max", type=int, default=10_000,
                        help="run the render step only up to this N (render at 100,000 takes about two hours; "
                             "default %(default)s)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cli-runs", type=int, default=15, help="runs per CLI measurement (0: skip)")
    parser.add_argument("--jobs-files", type=int, default=2000, help="files for --jobs (0: skip)")
    parser.add_argument("--jobs-formats", default="json,junit,text", help="outputs for --jobs (default %(default)s)")
    parser.add_argument("--batch-sizes", default="1000,10000,100000",
                        help="N files for the CLI batch peak RSS (empty: skip; default %(default)s)")
    parser.add_argument("--batch-jobs", type=int, default=1, help="--jobs of the CLI batch (default %(default)s)")
    parser.add_argument("--batch-format", default="json", help="the output of the CLI batch (default %(default)s)")
    parser.add_argument("--jobs-priority", type=int, default=None,
                        help="run each --jobs measurement in its own session with this autogroup nice value "
                             "(e.g. -15 as root on a machine shared with other sessions; default: as started)")
    parser.add_argument("--jobs-runs", type=int, default=2,
                        help="interleaved runs per side of the --jobs comparison (default %(default)s)")
    parser.add_argument("--batch-mem", type=float, default=8.0,
                        help="address-space limit of a CLI batch in GiB (default %(default)s)")
    parser.add_argument("--write", metavar="FILE", help="write the Markdown block into FILE (e.g. BENCHMARKS.md)")
    parser.add_argument("--child", choices=STEPS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]

    if args.child:
        print(json.dumps(run_step(args.child, sizes[0], args.seed)))
        return 0

    began = time.perf_counter()
    info = machine()
    print(f"{info['cpu']}, {info['cores']} cores; Python {info['python']}; durable_rules {info['durable_rules']}",
          flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="budgetcheck-bench-") as tmp_name:
        tmp = Path(tmp_name)
        env = _env(str(tmp / "cache"), str(tmp / "pycache"))
        steps = [s for s in args.steps.split(",") if s]
        for n in sizes:
            floor = None
            for step in steps:
                if step == "render" and n > args.render_max:
                    continue
                row = child(step, n, args.seed, env)
                rows.append(row)
                floor = row if step == "floor" else floor
                ratio = f"{row['mean_ms'] / floor['mean_ms']:5.2f}× floor" if floor and step != "floor" else ""
                print(f"N={n:>7,} {step:6s} {row['per_s']:8,.0f}/s  p50 {row['p50_ms']:6.2f} ms  "
                      f"p99 {row['p99_ms']:6.2f} ms  mean {row['mean_ms']:6.2f} ms  {ratio}  "
                      f"peak RSS {row['peak_rss_kib'] / 1024:6.1f} MiB  setup {row['setup_s']:.2f} s"
                      + (f"  REFUSED {row['refused']}" if row["refused"] else ""), flush=True)
        cli = None
        if args.cli_runs:
            cli = cli_cold(args.cli_runs, tmp)
            print(f"CLI cold: import {cli['import']:.0f} ms, check (text) {cli['check_text']:.0f} ms "
                  f"({cli['check_text_ratio']:.1f}× import; CPU {cli['check_text_cpu']:.0f} ms, "
                  f"{cli['check_text_cpu_ratio']:.1f}×), check -f json {cli['check_json']:.0f} ms, check with an "
                  f"empty cache directory {cli['check_text_no_cache']:.0f} ms", flush=True)
        jobs = None
        if args.jobs_files:
            formats = [f for f in args.jobs_formats.split(",") if f]
            jobs = jobs_speedup(args.jobs_files, args.seed, tmp, formats, runs=args.jobs_runs,
                                priority=args.jobs_priority)
            jobs["formats"] = formats
            for fmt in formats:
                if fmt + "_failed" in jobs:
                    print(f"--jobs on {args.jobs_files} files, -o {fmt}: failed ({jobs[fmt + '_failed']})")
        batch = None
        batch_sizes = [int(s.replace("_", "")) for s in args.batch_sizes.split(",") if s.strip()]
        if batch_sizes:
            batch = batch_rss(batch_sizes, args.seed, tmp, args.batch_mem, jobs=args.batch_jobs,
                              fmt=args.batch_format)
    block = markdown(info, rows, cli, jobs, args.seed, time.perf_counter() - began, batch)
    print()
    print(block)
    if args.write:
        write_block(Path(args.write), block)
    return 0


if __name__ == "__main__":
    sys.exit(main())
