#!/usr/bin/env python3
"""Set up a local virtual environment on first use, then run budgetcheck or the tests.

    python3 dev.py check cases/hamburg-jugendhilfe-eckpunkte.yaml   # any budgetcheck command
    python3 dev.py test [pytest args]                               # the whole test suite

Needs nothing but Python 3.10+ (and a C compiler for durable_rules' first build).
The environment lives in .venv/ and is reinstalled when pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")


def ensure_env() -> None:
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]
    stamp = VENV / f".installed-{digest}"
    if stamp.exists():
        return
    if not PY.exists():
        print("budgetcheck: creating .venv (first run only) ...", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("budgetcheck: installing dependencies into .venv ...", file=sys.stderr)
    subprocess.run(
        [str(PY), "-m", "pip", "install", "--disable-pip-version-check", "-q", "-e", f"{ROOT}[test]"],
        check=True,
        stdout=sys.stderr,
    )
    for old in VENV.glob(".installed-*"):
        old.unlink()
    stamp.write_text("ok\n")


def main(argv: list[str]) -> int:
    ensure_env()
    env = dict(os.environ)
    if argv[:1] == ["test"]:
        cmd = [str(PY), "-m", "pytest", *argv[1:]]
    else:
        cmd = [str(PY), "-m", "checker", *argv]
    return subprocess.run(cmd, cwd=os.getcwd(), env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
