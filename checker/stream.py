"""Streaming the reports of a ``check`` run: each agreement's part of every output is rendered
as soon as its result is known, written in input order and dropped.

With ``--jobs N`` the part is rendered in the worker that checked the agreement
(:meth:`Stream.part`, run where the result is); the parent only writes (:meth:`Stream.add`).
What an output needs from all agreements -- counts and totals, the unreadable inputs, the
run's waiver notes -- is kept in small form and written by :meth:`Stream.close`.

The bytes are those of the whole-document renderers in :mod:`checker.formats` and
:mod:`checker.ci_formats`: each output is its document rendered around placeholders
(:data:`TOKEN`, made of the run's random nonce), with each placeholder replaced by the parts of its section. A section
whose text comes before anything that depends on all agreements (the JSON report's
``agreements``) goes straight into the output's sink; the others are spooled to anonymous
temporary files and copied into the sink at the end. Every sink is a temporary file of
:mod:`checker.safeio`, put in place only when the run succeeded.

The terminal report (``text``) and the short Markdown report are streamed too: their
templates render one agreement's summary line and section alone
(``templates/report.txt.*.j2``, ``templates/report_short.md.agreement.j2``). So are HTML
(short and full) and the full Markdown report: the bodies of their templates' loops over the
agreements are blocks, rendered alone per agreement (:class:`checker.report.DocumentParts`).
Their sections carry the agreement's place in the report (anchors, "Vereinbarung N"), which
only the parent knows (an unreadable file has none): a worker writes a placeholder of the
run's random nonce, the parent the number. Only PDF is not streamed: WeasyPrint lays out the
whole document at once (page numbers in the table of contents, page breaks), so a run that
writes a PDF keeps the results (see ``cli._check``).
"""

from __future__ import annotations

import os
import pickle
import re
from dataclasses import dataclass, field
from typing import Any, Optional

from checker import baseline as baseline_module
from checker import ci_formats, formats
from checker.formats import ET, Context, Policy, dump_json
from checker.safeio import Sink, spool
from checker.verdicts import AgreementResult, RunInfo

TOKEN = "@@budgetcheck-part-{nonce}-{name}@@"  # nonce: the run's random Env.nonce, which no input can contain
STREAMED = ("json", "junit", "sarif", "concise", "github", "gitlab", "baseline", "text", "markdown", "html")
_SARIF_INDEX = b'"index": -1,'  # the artifact index of a result, known only to the parent


def _split(text: str, token: str, whole_line: bool) -> tuple[str, str, str]:
    """``text`` before the line holding ``token``, that line's indentation, and what follows the
    token (with ``whole_line``: what follows the line)."""
    at = text.index(token)
    start = text.rfind("\n", 0, at) + 1
    end = at + len(token)
    if whole_line:
        end = text.index("\n", end) + 1
    return text[:start], text[start:at], text[end:]


def _indented(document: Any, indent: str) -> bytes:
    """A JSON value as it reads nested at ``indent`` (``dump_json`` nests by prefixing lines)."""
    text = dump_json(document)[:-1]
    return (indent + text.replace("\n", "\n" + indent)).encode("utf-8")


@dataclass
class Env:
    """What every part needs; built before any agreement is checked (workers inherit it)."""

    run: RunInfo
    policy: Policy
    lang: str
    ctx: Context
    rules: list  # the rules of the run (catalogue order): every result has one finding per rule
    origins: set = field(default_factory=set)  # waiver files of the run
    selected: Optional[set] = None
    known: Optional[frozenset] = None  # fingerprints of --baseline
    color: bool = False  # ANSI colours in the text report (a terminal)
    detail: str = "short"  # --detail of the human reports
    nonce: str = field(default_factory=lambda: os.urandom(16).hex())  # of this run's placeholders in parts


class _Output:
    """One streamed output: ``sections`` in document order; ``direct``: the section written
    straight to the sink (its document text before it does not depend on other agreements)."""

    sections: tuple[str, ...] = ()
    direct: Optional[str] = None
    joiner = b",\n"  # between two parts of a section (JSON arrays)
    whole_line = False  # the placeholder is a line of its own (XML)
    quoted = True  # the placeholder is a JSON string

    def __init__(self, env: Env):
        self.env = env
        self.sink: Optional[Sink] = None
        self.spools: dict[str, Sink] = {}
        self.counts = {name: 0 for name in self.sections}
        self.results = 0
        self.indent = {}
        if self.sections and self.quoted:  # JSON: parts are indented as they nest
            text = self.frame(set(self.sections))
            for name in self.sections:
                self.indent[name] = _split(text, self.mark(name), self.whole_line)[1]

    def token(self, name: str) -> str:
        """The placeholder of section ``name`` (made of this run's nonce, like the placeholders in parts)."""
        return TOKEN.format(nonce=self.env.nonce, name=name)

    def mark(self, name: str) -> str:
        """The placeholder of section ``name`` as it reads in the rendered frame."""
        return f'"{self.token(name)}"' if self.quoted else self.token(name)

    # --------------------------------------------------------------- in the worker
    def part(self, result: AgreementResult) -> dict[str, Any]:
        """This agreement's contribution: section name -> list of rendered parts (bytes); other
        keys (starting with ``_``) carry small data for the end."""
        raise NotImplementedError

    # --------------------------------------------------------------- in the parent
    def begin(self, sink: Sink) -> None:
        self.sink = sink
        if self.direct is not None:
            head, _indent, _rest = _split(self.frame(set(self.sections)), self.mark(self.direct), self.whole_line)
            self.head = head.encode("utf-8")
            sink.write(self.head)

    def add(self, part: dict[str, Any]) -> None:
        assert self.sink is not None
        for name in self.sections:
            for chunk in part.get(name, ()):
                self.put(name, self.fix(name, chunk))
        self.small(part)
        self.results += 1

    def put(self, name: str, chunk: bytes) -> None:
        """Write one part of section ``name``: to the sink (the direct section) or its spool."""
        target = self.sink if name == self.direct else self.spools.get(name)
        if target is None:
            target = self.spools[name] = spool()
        if self.counts[name] and self.joiner:
            target.write(self.joiner)
        target.write(chunk)
        self.counts[name] += 1

    def fix(self, name: str, chunk: bytes) -> bytes:
        return chunk

    def small(self, part: dict[str, Any]) -> None:
        """Keep what the end needs from one part."""

    def frame(self, filled: set[str]) -> str:
        """The document with a placeholder for each section in ``filled`` (the others empty)."""
        raise NotImplementedError

    def close(self, run_notes: list) -> None:
        """Write the rest of the document: the frame, with every section's parts in place."""
        assert self.sink is not None
        filled = {name for name in self.sections if self.counts[name]}
        text = self.frame(filled)
        if self.direct is not None:
            if self.direct in filled:
                before, _indent, text = _split(text, self.mark(self.direct), self.whole_line)
                if before.encode("utf-8") != self.head:  # pragma: no cover - a bug in a frame
                    raise RuntimeError(f"streamed report: the beginning of {type(self).__name__} changed")
            else:  # nothing was streamed: the document is written whole
                self.sink.truncate()
        for name in self.sections:
            if name == self.direct or name not in filled or self.mark(name) not in text:
                continue  # (the text report of one agreement has no summary)
            before, indent, text = _split(text, self.mark(name), self.whole_line)
            if not self.quoted and not self.whole_line:  # a placeholder inside a line: keep the line's start
                before += indent
            self.sink.write(before.encode("utf-8"))
            self.sink.append(self.spools[name])
        self.sink.write(text.encode("utf-8"))

    def discard(self) -> None:
        for item in self.spools.values():
            item.close()
        self.spools.clear()


class _Json(_Output):
    sections = ("agreements",)
    direct = "agreements"

    def __init__(self, env: Env):
        self.totals = formats.empty_totals()
        self.failed = 0
        super().__init__(env)

    def part(self, result: AgreementResult) -> dict[str, Any]:
        document = formats.agreement_doc(result, self.env.policy)
        return {"agreements": [_indented(document, self.indent["agreements"])], "_counts": document["counts"],
                "_failed": not document["passed"]}

    def small(self, part: dict[str, Any]) -> None:
        for key, value in part["_counts"].items():
            self.totals[key] += value
        self.failed += part["_failed"]

    def frame(self, filled: set[str]) -> str:
        env = self.env
        agreements = [self.token("agreements")] if "agreements" in filled else []
        return dump_json(formats.report_frame(agreements, run=env.run, policy=env.policy, count=self.results,
                                              failed=self.failed, totals=self.totals,
                                              run_notes=getattr(self, "run_notes", ()), errors=env.ctx.errors))

    def close(self, run_notes: list) -> None:
        self.run_notes = run_notes
        super().close(run_notes)


class _Sarif(_Output):
    sections = ("artifacts", "notes", "results")

    def __init__(self, env: Env):
        self.rule_index = {r.id: i for i, r in enumerate(env.rules)}
        self.run_notes: list = []
        super().__init__(env)

    def part(self, result: AgreementResult) -> dict[str, Any]:
        env = self.env
        artifact, found, notes = formats.sarif_parts(result, -1, self.rule_index, env.policy, env.lang, env.ctx)
        return {"artifacts": [_indented(artifact, self.indent["artifacts"])],
                "results": [_indented(item, self.indent["results"]) for item in found],
                "notes": [_indented(item, self.indent["notes"]) for item in notes]}

    def fix(self, name: str, chunk: bytes) -> bytes:
        if name == "results":  # the artifact's index: this agreement's place among those reported
            assert chunk.count(_SARIF_INDEX) == 1
            return chunk.replace(_SARIF_INDEX, b'"index": %d,' % self.results)
        return chunk

    def frame(self, filled: set[str]) -> str:
        env = self.env
        listed = {name: ([self.token(name)] if name in filled else []) for name in self.sections}
        return dump_json(formats.sarif_frame(listed["artifacts"], listed["results"], listed["notes"], run=env.run,
                                             policy=env.policy, lang=env.lang, run_notes=self.run_notes,
                                             rules=env.rules if self.results else [], ctx=env.ctx))

    def close(self, run_notes: list) -> None:
        self.run_notes = run_notes
        super().close(run_notes)


class _Junit(_Output):
    sections = ("suites",)
    joiner = b""
    whole_line = True
    quoted = False

    def __init__(self, env: Env):
        self.total = {"tests": 0, "failures": 0, "skipped": 0}
        super().__init__(env)

    def part(self, result: AgreementResult) -> dict[str, Any]:
        env = self.env
        root = ET.Element("testsuites")
        counts = formats.junit_suite(root, result, run=env.run, policy=env.policy, lang=env.lang)
        ET.indent(root)
        text = ET.tostring(root, encoding="unicode")
        start = text.index("\n") + 1
        return {"suites": [text[start:text.rindex("</testsuites>")].encode("utf-8")], "_counts": counts}

    def small(self, part: dict[str, Any]) -> None:
        for key, value in part["_counts"].items():
            self.total[key] += value

    def frame(self, filled: set[str]) -> str:
        root = formats.junit_root()
        if "suites" in filled:
            ET.SubElement(root, "testsuite", {"name": self.token("suites")})
        return formats.junit_close(root, self.total, lang=self.env.lang, ctx=self.env.ctx)


class _Lines(_Output):
    """concise and github: the unreadable inputs, then every part of each section."""

    sections = ("unjudgeable", "findings")
    joiner = b""
    quoted = False
    parts_of: Any = None
    errors_of: Any = None

    def part(self, result: AgreementResult) -> dict[str, Any]:
        env = self.env
        first, second = type(self).parts_of(result, policy=env.policy, lang=env.lang, ctx=env.ctx)
        return {"unjudgeable": [line.encode("utf-8") for line in first],
                "findings": [line.encode("utf-8") for line in second]}

    def frame(self, filled: set[str]) -> str:
        return "".join(type(self).errors_of(self.env.ctx, self.env.lang)) + "".join(self.token(n) for n in self.sections
                                                                                     if n in filled)


class _Concise(_Lines):
    parts_of = ci_formats.concise_parts
    errors_of = ci_formats.concise_errors


class _Github(_Lines):
    parts_of = ci_formats.github_parts
    errors_of = ci_formats.github_errors


class _Gitlab(_Output):
    sections = ("unjudgeable", "findings")

    def part(self, result: AgreementResult) -> dict[str, Any]:
        env = self.env
        first, second = ci_formats.gitlab_parts(result, policy=env.policy, lang=env.lang, ctx=env.ctx)
        return {"unjudgeable": [_indented(item, self.indent["unjudgeable"]) for item in first],
                "findings": [_indented(item, self.indent["findings"]) for item in second]}

    def frame(self, filled: set[str]) -> str:
        issues: list[Any] = ci_formats.gitlab_errors(self.env.ctx, self.env.lang)
        issues += [self.token(name) for name in self.sections if name in filled]
        return dump_json(issues)


class _Baseline(_Output):
    """``--write-baseline``: its entries are sorted across agreements, so they are kept (small)."""

    def __init__(self, env: Env):
        self.entries: list[dict] = []
        super().__init__(env)

    def part(self, result: AgreementResult) -> dict[str, Any]:
        return {"_entries": baseline_module.baseline_entries(result, self.env.ctx)}

    def small(self, part: dict[str, Any]) -> None:
        self.entries.extend(part["_entries"])

    def close(self, run_notes: list) -> None:
        assert self.sink is not None
        self.sink.write(baseline_module.dump_entries(self.entries).encode("utf-8"))


class _Text(_Output):
    """The terminal report (``text``): a summary line and a section per agreement."""

    sections = ("summary", "agreements")
    joiner = b""
    quoted = False

    def __init__(self, env: Env):
        self.parts = self.parts_class()(lang=env.lang, run=env.run, color=env.color)
        self.run_notes: list = []
        super().__init__(env)

    @staticmethod
    def parts_class() -> Any:
        from checker.report import TextParts

        return TextParts

    def part(self, result: AgreementResult) -> dict[str, Any]:
        summary, section = self.parts.part(result)
        return {"summary": [summary.encode("utf-8")] if summary else [], "agreements": [section.encode("utf-8")]}

    def frame(self, filled: set[str]) -> str:
        return self.parts.frame(self.results, self.run_notes, (self.token("summary"), self.token("agreements")),
                                errors=self.env.ctx.errors)

    def close(self, run_notes: list) -> None:
        self.run_notes = run_notes
        super().close(run_notes)
        _end_line(self.sink)


def _end_line(sink: Optional[Sink]) -> None:
    """End a human report with a line break, as the command line ends every report."""
    assert sink is not None
    if sink.size and sink.tail != b"\n":
        sink.write(b"\n")


class _Markdown(_Text):
    """The short Markdown report: a section per agreement, a rule between two."""

    def __init__(self, env: Env):
        from checker.report import MARKDOWN_SEPARATOR

        self.joiner = MARKDOWN_SEPARATOR.encode("utf-8")
        super().__init__(env)

    @staticmethod
    def parts_class() -> Any:
        from checker.report import MarkdownParts

        return MarkdownParts


class _Document(_Output):
    """HTML (short and full) and the full Markdown report (:class:`checker.report.DocumentParts`).

    A part carries a placeholder for the agreement's number (its place among the agreements
    reported, which only the parent knows: an unreadable file has none), replaced here. The
    placeholders are made of this run's random ``nonce``, which no input can contain. The
    first agreement's section is held back until a second arrives: with only one agreement the
    report leaves out what stands between the marks."""

    joiner = b""
    quoted = False

    def __init__(self, env: Env):
        from checker.report import DocumentParts

        nonce = env.nonce
        self.number = f"bcnumber{nonce}x"
        self.marks = (f"bcmarkon{nonce}x", f"bcmarkoff{nonce}x")
        self.parts = DocumentParts(self.fmt, detail=env.detail, lang=env.lang, run=env.run, marks=self.marks)
        self.sections = tuple(self.parts.blocks)
        self.first_title = ""
        self.held: Optional[bytes] = None  # the first agreement's section
        self.run_notes: list = []
        super().__init__(env)

    fmt = "html"

    def part(self, result: AgreementResult) -> dict[str, Any]:
        blocks = self.parts.part(result, self.number)
        out: dict[str, Any] = {name: [text.encode("utf-8")] for name, text in blocks.items()}
        out["_title"] = result.agreement.meta.title
        return out

    def add(self, part: dict[str, Any]) -> None:
        number = str(self.results + 1).encode("ascii")
        part = {name: ([chunk.replace(self.number.encode("ascii"), number) for chunk in value]
                       if name in self.sections else value) for name, value in part.items()}
        if self.results == 0:
            self.first_title = part["_title"]
            self.held, part["agreement"] = part["agreement"][0], []
        elif self.held is not None:  # several agreements: the first one's section as they read
            self.put("agreement", self._unmarked(self.held, keep=True))
            self.held = None
        if "agreement" in part:
            part["agreement"] = [self._unmarked(chunk, keep=True) for chunk in part["agreement"]]
        super().add(part)

    def _unmarked(self, chunk: bytes, keep: bool) -> bytes:
        on, off = (mark.encode("ascii") for mark in self.marks)
        if keep:
            return chunk.replace(on, b"").replace(off, b"")
        return re.sub(re.escape(on) + b".*?" + re.escape(off), b"", chunk, flags=re.DOTALL)

    def frame(self, filled: set[str]) -> str:
        return self.parts.frame(self.results, self.first_title, self.run_notes,
                                {name: self.mark(name) for name in self.sections}, errors=self.env.ctx.errors)

    def close(self, run_notes: list) -> None:
        if self.held is not None:  # one agreement only
            self.put("agreement", self._unmarked(self.held, keep=False))
            self.held = None
        self.run_notes = run_notes
        super().close(run_notes)
        _end_line(self.sink)


class _Html(_Document):
    fmt = "html"


class _FullMarkdown(_Document):
    fmt = "markdown"


_OUTPUTS = {"text": _Text, "markdown": _Markdown, "html": _Html, "json": _Json, "sarif": _Sarif, "junit": _Junit, "concise": _Concise, "github": _Github,
            "gitlab": _Gitlab, "baseline": _Baseline}


@dataclass
class Summary:
    """What the run's closing lines on stderr need of one agreement."""

    path: str
    overall: str
    failed: bool
    fail_ids: str  # the rules that fail it (or why it is nicht prüfbar); empty when it passed
    input_notes: list


class Stream:
    """The streamed outputs of one run: ``formats`` (streamed format names, one per output);
    ``keep``: also keep each result (pickled) for the human formats rendered at the end."""

    def __init__(self, formats_: list[str], env: Env, *, keep: bool = False):
        self.env = env
        self.outputs = [(_FullMarkdown if fmt == "markdown" and env.detail == "full" else _OUTPUTS[fmt])(env)
                        for fmt in formats_]
        self.keep = keep
        self.used: set = set()

    def part(self, result: AgreementResult) -> tuple:
        """Settle one result (its waiver notes, --baseline) and render its part of every output:
        ``(parts, waiver keys used, summary, pickled result or None)``. Runs where the result is."""
        from checker.baseline import apply_baseline
        from checker.waivers import settle_one

        env = self.env
        used = settle_one(result, env.origins, env.selected)
        if env.known is not None:
            apply_baseline([result], env.known, env.ctx)
        parts = [output.part(result) for output in self.outputs]
        summary = _summary(result, env)
        kept = None
        if self.keep:
            rules = [finding.rule for finding in result.findings]
            for finding in result.findings:  # without the rules: the parent links its own
                finding.rule = finding.rule.id
            kept = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
            for finding, rule in zip(result.findings, rules):
                finding.rule = rule
        return parts, used, summary, kept

    def begin(self, sinks: list[Sink]) -> None:
        for output, sink in zip(self.outputs, sinks):
            output.begin(sink)

    def add(self, payload: tuple) -> tuple[Summary, Optional[bytes]]:
        parts, used, summary, kept = payload
        self.used |= used
        for output, part in zip(self.outputs, parts):
            output.add(part)
        return summary, kept

    def close(self, run_notes: list) -> None:
        for output in self.outputs:
            output.close(run_notes)
        self.discard()

    def discard(self) -> None:
        for output in self.outputs:
            output.discard()


def _summary(result: AgreementResult, env: Env) -> Summary:
    failed = env.policy.failed(result)
    ids = ""
    if failed:
        ids = ", ".join(f.id for f in result.findings if env.policy.fails(f))
        if not ids:  # nicht prüfbar: no single rule fails, the description is too thin
            from checker.verdicts import blocker_tally

            open_, judged = blocker_tally(result.findings)
            ids = formats.word(env.lang, "unjudgeable", open=open_, total=open_ + judged)
    return Summary(result.path, result.overall, failed, ids, list(result.agreement.input_notes))
