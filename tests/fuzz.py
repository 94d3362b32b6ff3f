"""Fuzz harness: ``python3 dev.py fuzz --seconds N --seed S [--workers W] [--inputs K]``.

Mutates the shipped agreements (``cases/``) at the tree level -- values swapped for hostile
ones (exponent numbers, extreme dates, huge lists, wrong types, unknown keys, subtrees of
other cases), keys dropped, lists grown -- and as raw bytes (flips, truncation, inserted
YAML syntax, BOMs, NULs), and runs every input through the checker's pipeline in worker
processes: load, evaluate, render JSON (and every tenth input the text report).

A failure is any of: an exception other than the loader's InputError (a traceback, an
internal error); an InputError item with a field path but no line (an unlocated exit 2);
a worker killed by a signal (a crash in C); an input that takes longer than ``--timeout``
seconds (a hang). Every ``--cli-every``-th input also goes through the command line
(``python -m checker check`` with a random ``--jobs`` and formats), where the exit code must
be 0, 1 or 2, stderr free of tracebacks, and an exit 2 must name FILE:LINE.

Failing inputs are written to ``--out`` (default ``.fuzz-failures/``) with what went wrong.
Prints the counts; exit code 0 if nothing failed, 1 otherwise. Same seed, same inputs.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import pickle
import random
import signal
import struct
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any, Optional

ROOT = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------- corpus and mutations


def corpus() -> list[tuple[str, Any, bytes]]:
    """(name, tree, bytes) of every shipped agreement."""
    import yaml

    out = []
    for path in sorted((ROOT / "cases").rglob("*.yaml")):
        if path.name.endswith(".expected.yaml"):
            continue
        data = path.read_bytes()
        try:
            tree = yaml.safe_load(data)
        except yaml.YAMLError:
            continue
        if isinstance(tree, dict):
            out.append((path.name, tree, data))
    return out


HOSTILE_NUMBERS = [0, -1, 1, 0.00001, 1e-300, 5e-324, 1e-7, 1e16, 1e300, 1.7976931348623157e308, 2 ** 63,
                   2 ** 70, -(2 ** 70), 99.99999, 100.000001, 1e13, 1e13 + 1, 0.1 + 0.2, float("nan"),
                   float("inf"), -0.0, 12345678901234567890]
HOSTILE_STRINGS = ["", " ", "9999-12-31", "0001-01-01", "2024-02-30", "ja", "no", "~", "null", "1e-5", "0x10",
                   "<script>alert(1)</script>", "\u202e\u0000\u0007", "x" * 5000, "ü" * 300, "{{ 7*7 }}",
                   "${HOME}", "%s%n", "../../etc/passwd", "*", "[!]", "**/" * 30, "\ud7ff", "😀" * 50]
HOSTILE_DATES = ["0001-01-01", "9999-12-31", "1970-01-01", "2020-01-01", "2019-12-31", "2024-02-29"]


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out.extend(_paths(value, prefix + (key,)))
    elif isinstance(node, list):
        for index, value in enumerate(node[:50]):
            out.extend(_paths(value, prefix + (index,)))
    return out


def _get(node: Any, path: tuple) -> Any:
    for part in path:
        node = node[part]
    return node


def _set(tree: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    parent = _get(tree, path[:-1])
    parent[path[-1]] = value
    return tree


def _scalars(trees: list[Any]) -> list[Any]:
    found: list[Any] = []
    for tree in trees:
        for path in _paths(tree):
            value = _get(tree, path)
            if not isinstance(value, (dict, list)):
                found.append(value)
    return found


class Mutator:
    def __init__(self, rng: random.Random, seeds: list[tuple[str, Any, bytes]]):
        self.rng = rng
        self.seeds = seeds
        self.values = _scalars([tree for _n, tree, _b in seeds])  # real enum values, dates, texts

    def value(self) -> Any:
        r = self.rng.random()
        if r < 0.3:
            return self.rng.choice(HOSTILE_NUMBERS)
        if r < 0.45:
            return self.rng.choice(HOSTILE_STRINGS)
        if r < 0.55:
            return self.rng.choice(HOSTILE_DATES)
        if r < 0.85:
            return self.rng.choice(self.values)
        return self.rng.choice([None, True, False, [], {}, [1, 2], {"x": 1}, self.rng.uniform(-1e6, 1e6),
                                self.rng.randint(-10, 10 ** 6)])

    def tree(self, tree: Any) -> Any:
        tree = copy.deepcopy(tree)
        for _ in range(self.rng.choice([1, 1, 1, 2, 3, 6])):
            paths = _paths(tree)
            path = self.rng.choice(paths)
            try:
                current = _get(tree, path)
            except (KeyError, IndexError, TypeError):
                continue
            op = self.rng.random()
            if op < 0.45 and path:
                tree = _set(tree, path, self.value())
            elif op < 0.55 and path and isinstance(_get(tree, path[:-1]), dict):
                del _get(tree, path[:-1])[path[-1]]
            elif op < 0.65 and isinstance(current, list) and current:
                size = self.rng.choice([2, 10, 100, 999, 1000, 1001, 3000])
                _set(tree, path, [copy.deepcopy(current[i % len(current)]) for i in range(size)]) if path else None
            elif op < 0.75 and isinstance(current, dict):
                current[self.rng.choice(["unknown_key", "id", "sid", "fk", "$and", "derived", "format_version"])] = \
                    self.value()
            elif op < 0.9 and path:  # a subtree of another case at the same place, if it has one
                other = self.rng.choice(self.seeds)[1]
                try:
                    tree = _set(tree, path, copy.deepcopy(_get(other, path)))
                except (KeyError, IndexError, TypeError):
                    tree = _set(tree, path, self.value())
            elif path:
                tree = _set(tree, path, self.rng.choice([[current], {"x": current}, str(current)]))
        return tree

    def serialize(self, tree: Any) -> tuple[bytes, str]:
        import yaml

        if self.rng.random() < 0.25:
            try:
                return json.dumps(tree, ensure_ascii=self.rng.random() < 0.5, allow_nan=True,
                                  default=str).encode("utf-8"), ".json"
            except (TypeError, ValueError):
                pass
        try:
            text = yaml.dump(tree, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), allow_unicode=True,
                             sort_keys=False, default_flow_style=self.rng.choice([False, None]))
        except (yaml.YAMLError, UnicodeEncodeError):
            text = "meta: {title: x}\n"
        return text.encode("utf-8", "surrogatepass"), ".yaml"

    def raw(self, data: bytes) -> bytes:
        data = bytearray(data)
        for _ in range(self.rng.choice([1, 1, 2, 4, 16])):
            op = self.rng.random()
            pos = self.rng.randrange(len(data) + 1)
            if op < 0.3 and data:
                data[min(pos, len(data) - 1)] = self.rng.randrange(256)
            elif op < 0.5:
                token = self.rng.choice([b"&a ", b"*a", b"!!python/object:os.system ", b"{", b"[", b"]", b"}",
                                         b"\t", b"\xef\xbb\xbf", b"\x00", b": ", b"- ", b"\n  ", b"'", b'"',
                                         b"? ", b"|\n", b"<<: *a\n", b"%YAML 1.1\n", b"---\n", b"...\n", b"#",
                                         b"\xff\xfe", b"1e-05", b"9999-12-31", b"0x1p-1074", b".inf", b".nan"])
                data[pos:pos] = token
            elif op < 0.65:
                data = data[:pos]
            elif op < 0.8 and data:
                end = min(len(data), pos + self.rng.randrange(1, 200))
                data[pos:pos] = data[pos:end] * self.rng.choice([1, 2, 10])
            elif data:
                del data[pos:pos + self.rng.randrange(1, 50)]
        return bytes(data)

    def input(self) -> tuple[str, bytes, str]:
        name, tree, raw = self.rng.choice(self.seeds)
        kind = self.rng.random()
        if kind < 0.75:
            data, suffix = self.serialize(self.tree(tree))
            return f"tree:{name}", data, suffix
        if kind < 0.9:
            data, suffix = self.serialize(self.tree(tree))
            return f"tree+raw:{name}", self.raw(data), suffix
        return f"raw:{name}", self.raw(raw), self.rng.choice([".yaml", ".yaml", ".json"])


# --------------------------------------------------------------------------- the worker


def _unlocated(errors: list) -> list:
    return [e for e in errors if e.line is None and e.path]


_CATALOGUE = None


def run_one(data: bytes, suffix: str, directory: str, index: int) -> tuple[str, str]:
    """Check one input in this process: ("ok"|"refused"|"unlocated"|"internal", detail)."""
    from checker.check import evaluate
    from checker.engine import EvaluationError
    from checker.formats import Policy, render
    from checker.loader import InputError, load_agreement
    from checker.rules import Severity, load_catalogue
    from checker.verdicts import RunInfo

    path = os.path.join(directory, f"input{suffix}")
    with open(path, "wb") as handle:
        handle.write(data)
    try:
        loaded = load_agreement(path)
    except InputError as err:
        bad = _unlocated(err.errors)
        if bad:
            return "unlocated", "; ".join(f"{e.path}: {e.message}" for e in bad)
        return "refused", ""
    except Exception:  # noqa: BLE001 - exactly what the fuzzer looks for
        return "internal", traceback.format_exc()
    try:
        global _CATALOGUE
        if _CATALOGUE is None:
            _CATALOGUE = load_catalogue()
        catalogue = _CATALOGUE
        import datetime as dt

        result = evaluate(loaded.agreement, catalogue, path=loaded.path, sha256=loaded.sha256,
                          locations=loaded.locations, check_date=dt.date(2026, 1, 1))
        run = RunInfo("fuzz", catalogue.version, catalogue.digest, len(catalogue.rules), "2026-01-01")
        policy = Policy(Severity("blocker"), False)
        render("json", [result], run=run, policy=policy, lang="de", run_notes=[])
        if index % 10 == 0:
            from checker.report import render_report

            render_report([result], "text", lang="de", run=run, run_notes=[])
    except EvaluationError as exc:
        return "internal", f"EvaluationError: {exc}"
    except Exception:  # noqa: BLE001
        return "internal", traceback.format_exc()
    return "ok", ""


def worker() -> None:
    """Read (index, suffix, data) frames from stdin; answer (index, status, detail) frames."""
    directory = tempfile.mkdtemp(prefix="budgetcheck-fuzz-")
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    from checker.rules import load_catalogue

    load_catalogue()  # once, before the first input is timed
    stdout.write(b"R")
    stdout.flush()
    while True:
        header = stdin.read(4)
        if len(header) < 4:
            return
        frame = pickle.loads(stdin.read(struct.unpack(">I", header)[0]))
        status, detail = run_one(frame[2], frame[1], directory, frame[0])
        answer = pickle.dumps((frame[0], status, detail))
        stdout.write(struct.pack(">I", len(answer)) + answer)
        stdout.flush()


class Worker:
    def __init__(self, cache_dir: str):
        env = dict(os.environ, PYTHONPATH=str(ROOT), BUDGETCHECK_CACHE_DIR=cache_dir)
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.fuzz", "--worker"], cwd=ROOT, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        ready = self.proc.stdout.read(1)
        if ready != b"R":
            raise RuntimeError("fuzz worker did not start")

    def check(self, index: int, suffix: str, data: bytes, timeout: float) -> tuple[str, str]:
        import select

        frame = pickle.dumps((index, suffix, data))
        try:
            self.proc.stdin.write(struct.pack(">I", len(frame)) + frame)
            self.proc.stdin.flush()
        except BrokenPipeError:
            return self._dead()
        deadline = time.monotonic() + timeout
        out = self.proc.stdout
        while True:
            ready, _, _ = select.select([out], [], [], max(0.0, deadline - time.monotonic()))
            if ready:
                header = out.read(4)
                if len(header) < 4:
                    return self._dead()
                _index, status, detail = pickle.loads(out.read(struct.unpack(">I", header)[0]))
                return status, detail
            if time.monotonic() >= deadline:
                self.proc.kill()
                self.proc.wait()
                return "hang", f"no answer after {timeout} s"

    def _dead(self) -> tuple[str, str]:
        code = self.proc.wait()
        return "crash", f"worker ended with {code}" + (f" ({signal.Signals(-code).name})" if code < 0 else "")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        if self.alive():
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def run_cli(data: bytes, suffix: str, rng: random.Random, directory: str, cache_dir: str,
            timeout: float) -> tuple[str, str]:
    """One input through the command line, with a second copy so that --jobs 2 has two files."""
    files = []
    for n in range(2):
        path = os.path.join(directory, f"cli{n}{suffix}")
        with open(path, "wb") as handle:
            handle.write(data)
        files.append(path)
    jobs = rng.choice(["1", "2"])
    formats = rng.sample(["json", "sarif", "junit", "html", "markdown", "text"], 2)
    args = [sys.executable, "-m", "checker", "check", "--no-config", "--date", "2026-01-01", "--jobs", jobs,
            "--lang", rng.choice(["de", "en"]), *files,
            "-o", f"{formats[0]}:{os.path.join(directory, 'out.1')}", "-o", formats[1]]
    env = dict(os.environ, PYTHONPATH=str(ROOT), BUDGETCHECK_CACHE_DIR=cache_dir)
    try:
        proc = subprocess.run(args, cwd=directory, env=env, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "hang", f"command line did not end within {timeout} s"
    err = proc.stderr.decode("utf-8", "replace")
    if proc.returncode not in (0, 1, 2):
        return "crash", f"exit {proc.returncode}: {err[-2000:]}"
    if "Traceback" in err or "interner Fehler" in err or "internal error" in err:
        return "internal", err[-3000:]
    if proc.returncode == 2 and f"{files[0]}:" not in err:
        return "unlocated", err[-2000:]
    return "ok", ""


# --------------------------------------------------------------------------- the run


FAILURES = ("unlocated", "internal", "crash", "hang")


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="dev.py fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="stop after this many seconds (default 60)")
    parser.add_argument("--inputs", type=int, default=0, help="stop after this many inputs (0: no limit)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds one input may take (default 20)")
    parser.add_argument("--cli-every", type=int, default=250, help="every Nth input also via the command line")
    parser.add_argument("--out", default=".fuzz-failures", help="directory for failing inputs")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker()
        return 0

    rng = random.Random(args.seed)
    cli_rng = random.Random(args.seed + 1)  # the inputs stay the same whatever the workers finish first
    mutator = Mutator(rng, corpus())
    scratch = tempfile.mkdtemp(prefix="budgetcheck-fuzz-")
    cache_dir = os.path.join(scratch, "cache")
    counts = {key: 0 for key in ("inputs", "ok", "refused", "cli", *FAILURES)}
    kinds: dict[str, int] = {}
    failures: list[tuple[int, str, str, bytes, str]] = []
    workers = [Worker(cache_dir) for _ in range(max(1, args.workers))]
    started = time.monotonic()
    pending: list = []
    import concurrent.futures

    pool = concurrent.futures.ThreadPoolExecutor(len(workers))
    index = 0
    inflight: dict = {}  # future -> (index, origin, data, suffix, worker)

    def next_input() -> tuple[int, str, bytes, str]:
        nonlocal index
        origin, data, suffix = mutator.input()
        kinds[origin.split(":")[0]] = kinds.get(origin.split(":")[0], 0) + 1
        index += 1
        return index - 1, origin, data, suffix

    def more() -> bool:
        return time.monotonic() - started < args.seconds and (not args.inputs or index < args.inputs)

    prepared = next_input()
    try:
        while True:
            busy = {entry[4] for entry in inflight.values()}
            for slot, w in enumerate(workers):
                if slot not in busy and more():
                    i, origin, data, suffix = prepared
                    inflight[pool.submit(w.check, i, suffix, data, args.timeout)] = (i, origin, data, suffix, slot)
                    prepared = next_input()  # made while the workers check
            if not inflight:
                break
            done, _ = concurrent.futures.wait(inflight, return_when=concurrent.futures.FIRST_COMPLETED)
            for future in done:
                i, origin, data, suffix, slot = inflight.pop(future)
                status, detail = future.result()
                counts["inputs"] += 1
                counts[status] = counts.get(status, 0) + 1
                if status in FAILURES:
                    failures.append((i, origin, status, data, detail))
                    print(f"FAIL #{i} {status} ({origin}): {detail.strip().splitlines()[-1] if detail else ''}",
                          file=sys.stderr)
                if not workers[slot].alive():
                    workers[slot] = Worker(cache_dir)
                if args.cli_every and i % args.cli_every == 0:
                    counts["cli"] += 1
                    status, detail = run_cli(data, suffix, cli_rng, scratch, cache_dir, args.timeout * 3)
                    if status in FAILURES:
                        counts[status] += 1
                        failures.append((i, origin + " (command line)", status, data, detail))
                        print(f"FAIL #{i} {status} via the command line ({origin})", file=sys.stderr)
                if counts["inputs"] % 2000 == 0:
                    print(f"  {counts['inputs']} inputs, {time.monotonic() - started:.0f} s, failures "
                          f"{sum(counts[k] for k in FAILURES)}", file=sys.stderr)
    finally:
        pool.shutdown()
        for w in workers:
            w.close()
    elapsed = time.monotonic() - started
    if failures:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        for i, origin, status, data, detail in failures:
            (out / f"{args.seed}-{i}-{status}.input").write_bytes(data)
            (out / f"{args.seed}-{i}-{status}.txt").write_text(f"{origin}\n{status}\n{detail}\n", encoding="utf-8")
    summary = {"seed": args.seed, "seconds": round(elapsed, 1), "inputs_per_second": round(counts["inputs"] / elapsed, 1),
               **counts, "mutations": kinds, "failures": sum(counts[k] for k in FAILURES)}
    print(json.dumps(summary, sort_keys=False))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
