"""Streamed multi-file reports (issue 13): the same bytes as the whole-document renderers,
agreements in input order whatever ``--jobs``, an unreadable file in the middle reported in
its place, and a run that fails midway leaves every target as it was (no temporary file
left). Memory is measured by ``benchmarks/bench.py``, not here."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from checker import __version__, formats
from checker.check import check_file
from checker.cli import main
from checker.engine import EvaluationError
from checker.formats import Context, Policy
from checker.loader import InputError
from checker.rules import Severity
from checker.verdicts import RunInfo

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted(p for p in (ROOT / "cases").rglob("*.yaml") if not p.name.endswith(".expected.yaml"))
DATE = "2026-01-01"
MACHINE = ("json", "junit", "sarif", "concise", "github", "gitlab")
STREAMED = MACHINE + ("text", "markdown", "html")
SUFFIX = {"json": "json", "junit": "xml", "sarif": "sarif", "concise": "txt", "github": "gh", "gitlab": "gl.json",
          "text": "text.txt", "markdown": "md", "html": "html"}


@pytest.fixture(autouse=True)
def _setup(monkeypatch, catalogue):
    monkeypatch.setattr("checker.rules.load_catalogue", lambda *a, **k: catalogue)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    monkeypatch.chdir(ROOT)


@pytest.fixture
def batch(tmp_path) -> list[str]:
    """Nine cases with an unreadable file and a file of a wrong field in the middle."""
    directory = tmp_path / "in"
    directory.mkdir()
    names = []
    for i, case in enumerate(CASES[:9]):
        target = directory / f"a{i:02d}.yaml"
        shutil.copy(case, target)
        names.append(str(target))
    (directory / "a03b.yaml").write_text("meta: [unclosed\n", encoding="utf-8")
    (directory / "a06b.yaml").write_text("format_version: 2\nunbekanntes_feld: 1\n", encoding="utf-8")
    return sorted(names + [str(directory / "a03b.yaml"), str(directory / "a06b.yaml")])


def run(capsys, out: Path, files: list[str], *args: str) -> tuple[int, dict[str, bytes]]:
    out.mkdir(parents=True, exist_ok=True)
    outputs = [f"-o{fmt}:{out / ('report.' + SUFFIX[fmt])}" for fmt in STREAMED]
    code = main(["check", "--no-config", "-q", "--date", DATE, "--project-root", str(ROOT), *outputs,
                 "--write-baseline", str(out / "baseline.json"), *args, *files])
    capsys.readouterr()
    return code, {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def whole(files: list[str], catalogue, fmt: str, detail: str = "short") -> bytes:
    """The report of ``files`` from the whole-document renderer (every result held)."""
    results, errors = [], []
    for file in files:
        try:
            results.append(check_file(file, catalogue, check_date=__import__("datetime").date.fromisoformat(DATE)))
        except InputError as err:
            errors.extend(err.errors)
    run_info = RunInfo(__version__, catalogue.version, catalogue.digest, len(catalogue.rules), DATE)
    ctx = Context(root=ROOT, help_base=formats.default_help_base(), errors=tuple(InputError(errors).errors))
    if fmt in ("text", "markdown", "html"):
        from checker.report import render_report

        text = render_report(results, fmt, run=run_info, detail=detail, errors=ctx.errors)
        return (text if text.endswith("\n") else text + "\n").encode("utf-8")
    return formats.render(fmt, results, run=run_info, policy=Policy(Severity.blocker), ctx=ctx).encode("utf-8")


@pytest.mark.parametrize("detail", ["short", "full"])
def test_streamed_reports_equal_the_whole_documents_and_keep_input_order(capsys, tmp_path, batch, catalogue, detail):
    code, one = run(capsys, tmp_path / "one", batch, "--jobs", "1", "--detail", detail)
    assert code == 2  # two inputs could not be read; the others are reported
    for fmt in STREAMED:
        assert one["report." + SUFFIX[fmt]] == whole(batch, catalogue, fmt, detail), fmt
    import json

    document = json.loads(one["report.json"])
    assert [a["file"] for a in document["agreements"]] == [f for f in batch if not f.endswith("b.yaml")]
    assert list(dict.fromkeys(e["file"] for e in document["errors"])) == [f for f in batch if f.endswith("b.yaml")]


@pytest.mark.parametrize("jobs", ["2", "3"])
def test_streamed_reports_do_not_depend_on_jobs(capsys, tmp_path, batch, jobs):
    _code, one = run(capsys, tmp_path / "one", batch, "--jobs", "1")
    code, many = run(capsys, tmp_path / "many", batch, "--jobs", jobs)
    assert code == 2 and many == one


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("detail", ["short", "full"])
def test_one_readable_agreement_among_several_files_reads_as_a_report_of_one(capsys, tmp_path, batch, catalogue,
                                                                            jobs, detail):
    """The HTML and full Markdown parts are rendered as for several agreements; with only one
    reported, the first agreement's section loses its page break and kicker, as the document of one."""
    files = [f for f in batch if f.endswith("b.yaml")] + [batch[0]]
    code, out = run(capsys, tmp_path / "out", files, "--jobs", jobs, "--detail", detail)
    assert code == 2
    for fmt in ("html", "markdown", "text"):
        assert out["report." + SUFFIX[fmt]] == whole(files, catalogue, fmt, detail), fmt


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_run_failing_midway_leaves_every_target_untouched(capsys, tmp_path, batch, monkeypatch, jobs):
    out = tmp_path / "out"
    out.mkdir()
    before = {}
    for fmt in MACHINE:
        target = out / ("report." + SUFFIX[fmt])
        target.write_text("old\n", encoding="utf-8")
        before[target.name] = target.stat()
    from checker import check

    real = check.evaluate

    def failing(agreement, catalogue, *, path="", **kwargs):
        if path.endswith("a05.yaml"):
            raise EvaluationError(["kaputt"])
        return real(agreement, catalogue, path=path, **kwargs)

    monkeypatch.setattr(check, "evaluate", failing)
    outputs = [f"-o{fmt}:{out / ('report.' + SUFFIX[fmt])}" for fmt in MACHINE]
    code = main(["check", "--no-config", "-q", "--date", DATE, "--jobs", jobs, *outputs,
                 "--write-baseline", str(out / "baseline.json"), *batch])
    _out, err = capsys.readouterr()
    assert code == 2 and "a05.yaml" in err and "kaputt" in err
    assert sorted(p.name for p in out.iterdir()) == sorted(before)  # no baseline, no temporary file
    for name, stat in before.items():
        assert (out / name).read_text(encoding="utf-8") == "old\n"
        assert (out / name).stat().st_ino == stat.st_ino


def test_an_interrupted_run_leaves_no_temporary_file(capsys, tmp_path, batch, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    from checker import check

    real = check.evaluate
    calls = []

    def interrupted(agreement, catalogue, **kwargs):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real(agreement, catalogue, **kwargs)

    monkeypatch.setattr(check, "evaluate", interrupted)
    code = main(["check", "--no-config", "-q", "--date", DATE, "-o", f"json:{out / 'r.json'}",
                 "-o", f"sarif:{out / 'r.sarif'}", *batch])
    assert code == 130
    assert list(out.iterdir()) == []


def test_streamed_stdout_is_written_only_when_the_run_succeeded(capsys, tmp_path, batch, monkeypatch):
    code = main(["check", "--no-config", "-q", "--date", DATE, "-f", "json", *batch])
    out, _err = capsys.readouterr()
    assert code == 2 and out.startswith("{") and out.endswith("}\n")
    from checker import check

    real = check.evaluate

    def failing(agreement, catalogue, *, path="", **kwargs):
        if path.endswith("a07.yaml"):
            raise EvaluationError(["kaputt"])
        return real(agreement, catalogue, path=path, **kwargs)

    monkeypatch.setattr(check, "evaluate", failing)
    code = main(["check", "--no-config", "-q", "--date", DATE, "-f", "junit", *batch])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and "kaputt" in err


def test_an_empty_stream_writes_the_whole_document(tmp_path):
    """A streamed output to which no agreement was added is the renderer's document of no agreement."""
    import datetime as dt

    from checker.safeio import spool
    from checker.stream import Env, Stream

    run_info = RunInfo(__version__, "v", "d", 0, dt.date(2026, 1, 1).isoformat())
    env = Env(run_info, Policy(Severity.blocker), "de", Context(), rules=[])
    stream = Stream(list(MACHINE), env)
    sinks = [spool() for _ in MACHINE]
    stream.begin(sinks)
    stream.close([])
    for fmt, sink in zip(MACHINE, sinks):
        assert b"".join(sink.blocks()) == formats.render(fmt, [], run=run_info, policy=env.policy).encode(), fmt
        sink.close()


def test_section_placeholders_are_made_of_the_runs_nonce():
    """No input can write a section placeholder: each run's placeholders carry its random nonce."""
    import datetime as dt

    from checker.stream import Env, Stream

    run_info = RunInfo(__version__, "v", "d", 0, dt.date(2026, 1, 1).isoformat())
    runs = []
    for _run in range(2):
        env = Env(run_info, Policy(Severity.blocker), "de", Context(), rules=[])
        marks = set()
        for output in Stream(list(MACHINE) + ["text", "html"], env).outputs:
            for name in output.sections:
                assert env.nonce in output.mark(name), (type(output).__name__, name)
                marks.add(output.mark(name))
        runs.append(marks)
    assert runs[0] and not runs[0] & runs[1]


def test_sinks_use_no_name_while_written(tmp_path):
    """The temporary file of a streamed target has no name until it is complete (O_TMPFILE)."""
    from checker.safeio import Writer

    writer = Writer()
    writer.add(str(tmp_path / "r.json"))
    sink = writer.open(0)
    sink.write(b"{}\n")
    if hasattr(os, "O_TMPFILE") and sink.name is None:
        assert list(tmp_path.iterdir()) == []
    writer.commit()
    assert (tmp_path / "r.json").read_bytes() == b"{}\n"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_paths_are_kept_compactly_and_read_back_as_given(tmp_path):
    from checker.cli import PathList, expand_paths

    given = ["a/b/c.yaml", "a/b/d.yaml", "x.yaml", "-", "/abs/e.json", "a/b/f.yml", "a/c/c.yaml"]
    paths = PathList()
    for path in given:
        paths.append(path)
    paths.done()
    assert list(paths) == given and len(paths) == len(given) and paths == given
    assert paths[-1] == "a/c/c.yaml" and paths[1:3] == given[1:3] and "-" in paths and "y.yaml" not in paths
    with pytest.raises(IndexError):
        paths[len(given)]
    (tmp_path / "d").mkdir()
    for name in ("b.yaml", "a.yaml"):
        (tmp_path / "d" / name).write_text("x: 1\n", encoding="utf-8")
    directory = (tmp_path / "d").as_posix()
    # a file named again after its directory, and a directory twice: each file once, first place kept
    assert expand_paths([f"{directory}/b.yaml", directory, directory]) == [f"{directory}/b.yaml",
                                                                           f"{directory}/a.yaml"]


def test_the_writer_refuses_an_input_among_many_without_a_set_of_them(tmp_path):
    from checker.safeio import OutputRefused, Writer

    inputs = [str(tmp_path / f"in{i}.yaml") for i in range(50)]
    for path in inputs:
        Path(path).write_text("x: 1\n", encoding="utf-8")
    link = tmp_path / "link.json"
    link.symlink_to(inputs[17])
    hard = tmp_path / "hard.json"
    os.link(inputs[33], hard)
    writer = Writer(inputs)
    for target in (inputs[5], str(link), str(hard), str(tmp_path / "." / "in7.yaml")):
        with pytest.raises(OutputRefused):
            writer.add(target)
    writer.add(str(tmp_path / "out.json"))  # new file beside them
