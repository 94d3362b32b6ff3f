"""A short run of the fuzz harness (tests/fuzz.py) in every test run: about a minute, fixed seed.

The long run (python3 dev.py fuzz --seconds 3600 --seed S) is done by hand; its counts are
quoted where the work is reported. Any traceback, signal, hang or unlocated error fails.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_short_fuzz_run_finds_nothing(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "tests.fuzz", "--seconds", "50", "--seed", "15", "--cli-every", "150",
                           "--out", str(tmp_path / "failures")], cwd=ROOT, capture_output=True, text=True, timeout=400)
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert proc.returncode == 0, proc.stderr[-5000:]
    assert summary["failures"] == 0 and summary["inputs"] > 200 and summary["ok"] > 0 and summary["refused"] > 0
    assert summary["cli"] > 0
