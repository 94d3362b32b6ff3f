"""Regression tests of the reliability and security issue (#15): one section per numbered point.

Every reproducer of the issue is here; each failed on the main branch before the fix.
Processes run through the command line (``python -m checker``) where the point is about
exit codes, signals, pipes or files left behind.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from checker.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXEMPLARY = ROOT / "cases/source/hamburg-jugendhilfe-eckpunkte.yaml"
D01 = ROOT / "cases/defective/d01-keine-nachfinanzierung.yaml"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.fixture(autouse=True)
def _session_catalogue(monkeypatch, catalogue, tmp_path):
    monkeypatch.setattr("checker.rules.load_catalogue", lambda *a, **k: catalogue)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    monkeypatch.setenv("BUDGETCHECK_CACHE_DIR", str(tmp_path / "cache"))


def check(*args: str) -> int:
    return main(["check", "--no-config", "--date", "2026-01-01", *map(str, args)])


def cli(*args: str, cwd: Path = ROOT, timeout: float = 120, env: dict | None = None,
        **kwargs) -> subprocess.CompletedProcess:
    environment = dict(os.environ, PYTHONPATH=str(ROOT), **(env or {}))
    environment.pop("SOURCE_DATE_EPOCH", None)
    return subprocess.run([sys.executable, "-m", "checker", *map(str, args)], cwd=cwd, env=environment,
                          capture_output=True, timeout=timeout, **kwargs)


def copy_case(tmp_path: Path, source: Path = EXEMPLARY, name: str = "real.yaml") -> Path:
    target = tmp_path / name
    shutil.copyfile(source, target)
    return target


# --------------------------------------------------------------------------- 2: output over an input


def test_output_through_a_symlink_to_the_input_is_refused(tmp_path, capsys):
    real = copy_case(tmp_path)
    link = tmp_path / "link.yaml"
    link.symlink_to(real.name)
    before = real.read_bytes()
    assert check(link, "-o", f"json:{real}") == 2
    assert "Eingabedatei" in capsys.readouterr().err
    assert check(real, "-o", f"json:{link}") == 2
    assert real.read_bytes() == before and link.is_symlink()


def test_output_through_a_symlinked_directory_or_hard_link_is_refused(tmp_path, capsys):
    directory = tmp_path / "d"
    directory.mkdir()
    real = copy_case(directory)
    (tmp_path / "alias").symlink_to("d")
    os.link(real, tmp_path / "hard.yaml")
    before = real.read_bytes()
    assert check(real, "-o", f"json:{tmp_path / 'alias' / 'real.yaml'}") == 2
    assert check(real, "-o", f"json:{tmp_path / 'hard.yaml'}") == 2
    assert real.read_bytes() == before


def test_a_symlinked_report_is_written_through_the_link(tmp_path):
    (tmp_path / "report.json").write_text("old")
    (tmp_path / "link.json").symlink_to("report.json")
    assert check(EXEMPLARY, "-o", f"json:{tmp_path / 'link.json'}", "-q") == 0
    assert (tmp_path / "link.json").is_symlink()
    assert json.loads((tmp_path / "report.json").read_text())["agreements"]


# --------------------------------------------------------------------------- 3: special targets, modes


_DEVICES = {"/dev/null": (1, 3), "/dev/full": (1, 7)}


@pytest.fixture
def devices_restored():
    """Run as root, a broken writer replaces /dev/null for everyone on the machine: whatever a
    test (run against any version of the code) does, the device nodes and /dev/stdout are put back."""
    yield
    broken = []
    for path, (major, minor) in _DEVICES.items():
        if not stat.S_ISCHR(os.lstat(path).st_mode):
            broken.append(path)
            os.unlink(path)
            os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(major, minor))
            os.chmod(path, 0o666)
    if not os.path.islink("/dev/stdout"):
        broken.append("/dev/stdout")
        os.unlink("/dev/stdout")
        os.symlink("/proc/self/fd/1", "/dev/stdout")
    assert not broken, f"replaced (and restored): {broken}"


@pytest.mark.parametrize("target", ["/dev/null", "/dev/full"])
def test_device_targets_are_written_not_replaced(target, devices_restored):
    before = os.stat(target)
    proc = cli("check", "--no-config", EXEMPLARY, "-o", f"json:{target}", "-q")
    after = os.stat(target)
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    if target == "/dev/null":
        assert proc.returncode == 0, proc.stderr
    else:  # writing /dev/full fails: a located error, exit 2, no traceback
        assert proc.returncode == 2 and b"/dev/full" in proc.stderr and b"Traceback" not in proc.stderr


def test_dev_stdout_target_writes_to_the_standard_output(devices_restored):
    proc = cli("check", "--no-config", EXEMPLARY, "-o", "json:/dev/stdout", "-q")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["agreements"]
    assert stat.S_ISCHR(os.stat("/dev/stdout").st_mode) or os.path.islink("/dev/stdout")


def test_fifo_target_is_written_in_place(tmp_path):
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    time.sleep(0.2)
    proc = cli("check", "--no-config", EXEMPLARY, "-o", f"json:{fifo}", "-q")
    out, _ = reader.communicate(timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert json.loads(out)["agreements"]


def test_fifo_target_without_a_reader_is_an_error_not_a_hang(tmp_path):
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    proc = cli("check", "--no-config", EXEMPLARY, "-o", f"json:{fifo}", "-q", timeout=60)
    assert proc.returncode == 2 and str(fifo).encode() in proc.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_existing_report_keeps_its_mode_and_read_only_is_refused(tmp_path, capsys):
    private = tmp_path / "private.json"
    private.write_text("old")
    private.chmod(0o600)
    assert check(EXEMPLARY, "-o", f"json:{private}", "-q") == 0
    assert stat.S_IMODE(private.stat().st_mode) == 0o600 and private.read_text() != "old"
    locked = tmp_path / "locked.json"
    locked.write_text("keep")
    locked.chmod(0o444)
    assert check(EXEMPLARY, "-o", f"json:{locked}", "-q") == 2
    assert "schreibgeschützt" in capsys.readouterr().err
    assert locked.read_text() == "keep"


def test_new_report_gets_the_umask_mode(tmp_path):
    old = os.umask(0o027)
    try:
        assert check(EXEMPLARY, "-o", f"json:{tmp_path / 'new.json'}", "-q") == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == 0o640


# --------------------------------------------------------------------------- 12: workers end with the parent


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry.name))
    return out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and fork")
def test_sigterm_ends_the_parent_with_143_and_no_worker_survives(tmp_path):
    for i in range(40):
        shutil.copyfile(EXEMPLARY, tmp_path / f"a{i:02}.yaml")
    environment = dict(os.environ, PYTHONPATH=str(ROOT), BUDGETCHECK_CACHE_DIR=str(tmp_path / "cache"))
    proc = subprocess.Popen([sys.executable, "-m", "checker", "check", "--no-config", "--jobs", "2", str(tmp_path),
                             "-o", f"json:{tmp_path / 'out.json'}"], cwd=ROOT, env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    workers: list[int] = []
    deadline = time.monotonic() + 60
    while not workers and time.monotonic() < deadline and proc.poll() is None:
        workers = _children(proc.pid)
        time.sleep(0.05)
    assert workers, "no worker was started"
    proc.send_signal(signal.SIGTERM)
    _out, _err = proc.communicate(timeout=30)  # returns only when every holder of the pipes is gone
    assert proc.returncode == 143
    time.sleep(0.2)
    assert not [w for w in workers if Path(f"/proc/{w}").exists()
                and "Z" not in (Path(f"/proc/{w}/stat").read_text().rsplit(")", 1)[1].split()[:1])]
    assert not list(tmp_path.glob(".*.tmp")) and not (tmp_path / "out.json").exists()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl")
def test_worker_dies_when_its_parent_is_killed(tmp_path):
    """A parent that dies without running any Python (SIGKILL, a crash in C) takes its workers along."""
    code = (
        "import os, sys, time, multiprocessing as mp\n"
        "from checker import check\n"
        "def work():\n"
        "    check._die_with_parent()\n"
        "    time.sleep(60)\n"
        "check._parent_pid = os.getpid()\n"
        "p = mp.get_context('fork').Process(target=work)\n"
        "p.start()\n"
        "print(p.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                              env=dict(os.environ, PYTHONPATH=str(ROOT)))
    worker = int(parent.stdout.readline())
    time.sleep(0.3)
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{worker}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            break
        if state == "Z":
            break
        time.sleep(0.05)
    else:
        pytest.fail("the worker outlived its parent")


# --------------------------------------------------------------------------- 14: closed pipe


def test_closed_pipe_exits_141_and_large_output_is_written_whole(tmp_path):
    cases = sorted((ROOT / "cases").rglob("*.yaml"))
    agreements = [c for c in cases if not c.name.endswith(".expected.yaml")]
    environment = dict(os.environ, PYTHONPATH=str(ROOT), BUDGETCHECK_CACHE_DIR=str(tmp_path / "cache"))
    command = [sys.executable, "-m", "checker", "check", "--no-config", "--date", "2026-01-01", "-o", "markdown",
               *map(str, agreements)]
    proc = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.readline()
    proc.stdout.close()  # what `| head -1` does
    proc.wait(timeout=120)
    assert proc.returncode == 141, proc.stderr.read()
    whole = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, timeout=120)
    assert len(whole.stdout) > 64 * 1024
    assert whole.stdout.endswith(b"\n") and whole.returncode in (0, 1)


def test_standard_output_on_a_full_device_is_a_located_error(tmp_path):
    environment = dict(os.environ, PYTHONPATH=str(ROOT), BUDGETCHECK_CACHE_DIR=str(tmp_path / "cache"))
    with open("/dev/full", "wb") as full:
        proc = subprocess.run([sys.executable, "-m", "checker", "check", "--no-config", str(EXEMPLARY)], cwd=ROOT,
                              env=environment, stdout=full, stderr=subprocess.PIPE, timeout=120)
    assert proc.returncode == 2 and b"Traceback" not in proc.stderr and b"stdout" in proc.stderr


# --------------------------------------------------------------------------- 15: temporary files


def test_no_temporary_file_exists_while_evaluating(tmp_path, monkeypatch):
    import checker.check

    seen: list[list[str]] = []
    real_evaluate = checker.check.evaluate

    def spy(*args, **kwargs):
        seen.append([p.name for p in tmp_path.iterdir()])
        return real_evaluate(*args, **kwargs)

    monkeypatch.setattr(checker.check, "evaluate", spy)
    assert check(EXEMPLARY, "-o", f"json:{tmp_path / 'out.json'}", "-q") == 0
    assert seen and all(names == [] or names == ["cache"] for names in seen)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "cache") == ["out.json"]


def test_a_failed_write_leaves_no_temporary_file(tmp_path, monkeypatch, capsys):
    import checker.safeio

    def broken(fd, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(checker.safeio, "write_all", broken)
    assert check(EXEMPLARY, "-o", f"json:{tmp_path / 'a.json'}", "-o", f"sarif:{tmp_path / 'b.sarif'}") == 2
    assert [p.name for p in tmp_path.iterdir() if p.name != "cache"] == []


@pytest.mark.skipif(not hasattr(os, "O_TMPFILE"), reason="O_TMPFILE")
def test_sigkill_while_writing_leaves_no_named_temporary_file(tmp_path):
    """The report is written to an anonymous file; it gets a name only once complete."""
    from checker.safeio import _temp_file

    # the name appears only after the data is written: a kill before that leaves nothing
    name = _temp_file(str(tmp_path / "r.json"), b"x" * 10, None)
    assert Path(name).read_bytes() == b"x" * 10
    os.unlink(name)
    assert list(tmp_path.iterdir()) == []
