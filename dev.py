#!/usr/bin/env python3
"""Set up a local virtual environment on first use, then run budgetcheck or the tests.

    python3 dev.py check cases/source/hamburg-jugendhilfe-eckpunkte.yaml   # any budgetcheck command
    python3 dev.py test [pytest args]          # the whole test suite, in the locked environment
    python3 dev.py test --latest [pytest args] # the suite against the newest allowed releases
    python3 dev.py lock [--keep]               # refresh requirements/*.txt (hashed lock files)

Needs nothing but Python 3.10+ (and a C compiler for durable_rules' first build).

The environment in .venv/ is installed from the hashed lock files only
(``pip install --require-hashes --no-deps``): first the build tools of
requirements/build.txt, then every runtime and test dependency of
requirements/lock.txt with ``--no-build-isolation`` (so that no unhashed build
dependency is fetched), then the project itself without dependency resolution.
A fresh clone therefore gets the same packages, byte for byte, as CI. .venv is
reinstalled from scratch whenever pyproject.toml or a lock file changes.

``lock`` re-resolves the ranges in pyproject.toml to the newest releases
(``--keep``: keep today's pins where they still fit) with uv, installed into
.venv-tools/. ``test --latest`` installs the newest releases the ranges allow
into .venv-latest/ (never into .venv) and runs the suite there, so that
upcoming breakage is seen on purpose.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
REQ = ROOT / "requirements"
BUILD_LOCK = REQ / "build.txt"
LOCK = REQ / "lock.txt"
UV_VERSION = "0.13.10"  # the resolver used by `dev.py lock`; not part of the product's environment
LOCK_PYTHON = "3.10"  # the oldest Python the universal lock resolves for (requires-python)


def _bin(env: Path) -> Path:
    return env / ("Scripts" if os.name == "nt" else "bin")


def _python(env: Path) -> Path:
    return _bin(env) / ("python.exe" if os.name == "nt" else "python")


def _pip(env: Path, *args: str) -> None:
    subprocess.run(
        [str(_python(env)), "-m", "pip", "--disable-pip-version-check", "-q", *args],
        check=True,
        stdout=sys.stderr,
    )


def _create(env: Path, what: str) -> None:
    print(f"budgetcheck: creating {env.name} ({what}) ...", file=sys.stderr)
    if env.exists():
        shutil.rmtree(env)
    venv.EnvBuilder(with_pip=True).create(env)


def _digest() -> str:
    h = hashlib.sha256()
    # setup.py and the C source: the editable install compiles checker._fastyaml once, so a change
    # to either must reinstall (else a stale extension would keep running)
    for f in (ROOT / "pyproject.toml", ROOT / "setup.py", ROOT / "checker" / "_fastyaml.c", BUILD_LOCK, LOCK):
        h.update(f.read_bytes())
    h.update(sys.version.encode())
    return h.hexdigest()[:16]


def _drop_build_leftovers() -> None:
    """An editable build may leave ``budgetcheck.egg-info`` in the work tree; from there
    it would shadow the installed metadata (sys.path starts with the working directory)."""
    for leftover in ROOT.glob("*.egg-info"):
        shutil.rmtree(leftover, ignore_errors=True)


def ensure_env() -> Path:
    """The locked environment in .venv, (re)installed when its inputs changed."""
    env = ROOT / ".venv"
    stamp = env / f".installed-{_digest()}"
    if stamp.exists():
        return env
    # A changed lock may drop or downgrade packages: start from an empty environment.
    _create(env, "first run or changed lock, about half a minute")
    print("budgetcheck: installing the locked dependencies into .venv ...", file=sys.stderr)
    _pip(env, "install", "--require-hashes", "--no-deps", "-r", str(BUILD_LOCK))
    _pip(env, "install", "--require-hashes", "--no-deps", "--no-build-isolation", "-r", str(LOCK))
    _pip(env, "install", "--no-deps", "--no-build-isolation", "-e", str(ROOT))
    _drop_build_leftovers()
    _pip(env, "check")
    stamp.write_text("ok\n")
    return env


def latest_env() -> Path:
    """A separate environment with the newest releases pyproject.toml allows."""
    env = ROOT / ".venv-latest"
    _create(env, "newest releases, for `test --latest`")
    _pip(env, "install", "--upgrade", "pip", "setuptools", "wheel")
    _pip(env, "install", "--upgrade", "--upgrade-strategy", "eager", "-e", f"{ROOT}[test]")
    _drop_build_leftovers()
    listing = subprocess.run(
        [str(_python(env)), "-m", "pip", "--disable-pip-version-check", "freeze", "--exclude-editable"],
        check=True, capture_output=True, text=True,
    ).stdout
    print("budgetcheck: testing against\n  " + listing.strip().replace("\n", "\n  "), file=sys.stderr)
    return env


def lock(keep: bool) -> int:
    tools = ROOT / ".venv-tools"
    uv = _bin(tools) / ("uv.exe" if os.name == "nt" else "uv")
    if not uv.exists() or f"uv {UV_VERSION}" not in subprocess.run(
        [str(uv), "--version"], capture_output=True, text=True
    ).stdout:
        _create(tools, f"uv {UV_VERSION} for locking")
        _pip(tools, "install", f"uv=={UV_VERSION}")
    common = ["pip", "compile", "--universal", "--python-version", LOCK_PYTHON,
              "--generate-hashes", "--quiet"]
    if not keep:
        common.append("--upgrade")
    env = dict(os.environ, UV_CUSTOM_COMPILE_COMMAND="python3 dev.py lock")
    runs = [
        [str(REQ / "build.in"), "-o", str(BUILD_LOCK)],
        [str(ROOT / "pyproject.toml"), "--extra", "test", "-o", str(LOCK)],
    ]
    for args in runs:
        r = subprocess.run([str(uv), *common, *args], cwd=ROOT, env=env)
        if r.returncode:
            return r.returncode
    print("budgetcheck: lock files written: requirements/build.txt, requirements/lock.txt", file=sys.stderr)
    return 0


SYSTEM_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core poppler-utils"


def system_hint() -> None:
    """Name the system packages the PDF report (Pango) and its tests (poppler-utils) need, if missing."""
    import ctypes.util

    missing = [name for name, found in (("poppler-utils", shutil.which("pdftoppm")),
                                        ("Pango", ctypes.util.find_library("pango-1.0"))) if not found]
    if missing and os.name != "nt":
        print(f"budgetcheck: {' and '.join(missing)} missing (PDF report and its tests); on Debian/Ubuntu: "
              f"sudo apt-get install {SYSTEM_PACKAGES} (.ci/run does this)", file=sys.stderr)


def main(argv: list[str]) -> int:
    if argv[:1] == ["lock"]:
        return lock(keep="--keep" in argv[1:])
    if argv[:1] == ["fuzz"]:  # python3 dev.py fuzz --seconds N --seed S (see tests/fuzz.py)
        return subprocess.run([str(_python(ensure_env())), "-m", "tests.fuzz", *argv[1:]], cwd=ROOT).returncode
    if argv[:1] == ["test"]:
        args = argv[1:]
        env = latest_env() if "--latest" in args else ensure_env()
        args = [a for a in args if a != "--latest"]
        system_hint()
        cmd = [str(_python(env)), "-m", "pytest", *args]
    else:
        cmd = [str(_python(ensure_env())), "-m", "checker", *argv]
    return subprocess.run(cmd, cwd=os.getcwd()).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
