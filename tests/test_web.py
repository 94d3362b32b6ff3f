"""The workbench server without a browser: safety (path traversal, CSRF, token, host, size limits,
hostile uploads, concurrent saves, atomic writes), the interview plan and the saved files."""

from __future__ import annotations

import hashlib
import re
import shutil

import pytest

from checker import interview as iv
from checker.workspace import BadName, Conflict, Workspace, check_name, suggest_name
from tests.conftest import CHECK_DATE, ROOT

HAMBURG = ROOT / "cases/source/hamburg-jugendhilfe-eckpunkte.yaml"
ISSAB = ROOT / "cases/source/issab-3-01-stuttgart.yaml"


@pytest.fixture()
def workspace(tmp_path):
    folder = tmp_path / "ws"
    folder.mkdir()
    shutil.copy(HAMBURG, folder / "hamburg.yaml")
    return folder


@pytest.fixture()
def app(workspace):
    from checker.web.server import create_app

    return create_app(workspace, check_date=CHECK_DATE)


@pytest.fixture()
def client(app):
    return app.test_client()


def bench_of(app):
    return app.extensions["budgetcheck"]


def headers(app, **extra):
    return {"X-CSRF-Token": bench_of(app).csrf, "HX-Request": "true", **extra}


def open_draft(client, name="hamburg.yaml") -> str:
    page = client.get(f"/r/{name}")
    assert page.status_code == 200
    return re.search(r'"d": "([^"]+)"', page.get_data(as_text=True)).group(1)


# --------------------------------------------------------------------------- names and paths


@pytest.mark.parametrize("name", ["../hamburg.yaml", "..", "a/b.yaml", "/etc/passwd", ".hidden.yaml",
                                  "x.txt", "a\\b.yaml", "", "x" * 200 + ".yaml", "..yaml", "a\x00.yaml"])
def test_bad_names_refused(name):
    with pytest.raises(BadName):
        check_name(name)


def test_suggest_name_is_plain():
    assert suggest_name("Trägerbudget Jugendhilfe 2027 / Altona") == "traegerbudget-jugendhilfe-2027-altona.yaml"
    assert check_name(suggest_name("../../etc"))


@pytest.mark.parametrize("url", ["/r/..%2Fhamburg.yaml", "/r/%2e%2e%2fsecret.yaml", "/r/../../etc/passwd",
                                 "/r/..%2F..%2Fetc%2Fpasswd/report", "/compare?old=../x.yaml&new=hamburg.yaml",
                                 "/r/hamburg.yaml%00.yaml"])
def test_no_path_traversal(client, url, tmp_path):
    (tmp_path / "secret.yaml").write_text("meta: {title: geheim}\n", encoding="utf-8")
    response = client.get(url)
    assert response.status_code in (400, 404)
    assert b"geheim" not in response.data


def test_symlink_is_not_followed(client, workspace, tmp_path):
    outside = tmp_path / "outside.yaml"
    outside.write_text("meta: {title: draussen}\n", encoding="utf-8")
    (workspace / "link.yaml").symlink_to(outside)
    assert client.get("/r/link.yaml").status_code == 404
    assert b"draussen" not in client.get("/").data


# --------------------------------------------------------------------------- CSRF, token, host


def test_post_without_csrf_token_is_refused(client, app, workspace):
    before = (workspace / "hamburg.yaml").read_bytes()
    response = client.post("/new", data={"title": "x"})
    assert response.status_code == 403
    response = client.post("/new", data={"title": "x", "csrf": "falsch"})
    assert response.status_code == 403
    d = open_draft(client)
    response = client.post("/r/hamburg.yaml/save", data={"d": d}, headers={"HX-Request": "true"})
    assert response.status_code == 403
    assert (workspace / "hamburg.yaml").read_bytes() == before
    assert sorted(p.name for p in workspace.iterdir()) == ["hamburg.yaml"]


def test_cross_origin_post_is_refused(client, app):
    response = client.post("/new", data={"title": "x", "csrf": bench_of(app).csrf},
                           headers={"Origin": "http://evil.example"})
    assert response.status_code == 403
    response = client.post("/new", data={"title": "x", "csrf": bench_of(app).csrf},
                           headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403


def test_foreign_host_header_is_refused(client):
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400  # DNS rebinding
    assert client.get("/", headers={"Host": "localhost:8765"}).status_code == 200


def test_token_required_when_set(workspace):
    from checker.web.server import create_app

    app = create_app(workspace, check_date=CHECK_DATE, token="s3cret-token")
    client = app.test_client()
    assert client.get("/").status_code == 401
    assert client.get("/?token=wrong").status_code == 401
    response = client.get("/?token=s3cret-token")
    assert response.status_code == 303 and "token" not in response.headers["Location"]
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert client.get("/").status_code == 200  # the cookie is sent from now on
    other = app.test_client(use_cookies=False)
    assert other.get("/", headers={"Host": "192.0.2.7:8765"}).status_code == 401
    assert other.get("/", headers={"Host": "192.0.2.7:8765",
                                   "Cookie": "budgetcheck_token=s3cret-token"}).status_code == 200


def test_serve_elsewhere_requires_token(monkeypatch, workspace, capsys):
    """Listening on another address without a token: one is made and printed."""
    from checker.web import server as server_module

    started = {}

    class FakeServer:
        server_port = 9999

        def serve_forever(self):
            raise KeyboardInterrupt

        def server_close(self):
            pass

    def fake_make_server(host, port, app, threaded):
        started["token"] = app.extensions["budgetcheck"].token
        return FakeServer()

    monkeypatch.setattr("werkzeug.serving.make_server", fake_make_server)
    assert server_module.serve(str(workspace), host="0.0.0.0", port=0, open_browser=False) == 0
    err = capsys.readouterr().err
    assert started["token"] and f"token={started['token']}" in err and "Zugangstoken" in err
    assert server_module.serve(str(workspace), host="127.0.0.1", port=0, open_browser=False) == 0
    assert started["token"] is None


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


# --------------------------------------------------------------------------- uploads and sizes


def test_oversize_upload_is_refused(client, app, workspace):
    from checker.loader import MAX_FILE_BYTES

    big = b"meta: {title: x}\n" + b"#" * (MAX_FILE_BYTES + 300 * 1024)
    response = client.post("/import", data={"csrf": bench_of(app).csrf, "file": (__import__("io").BytesIO(big),
                                                                                   "gross.yaml")},
                           content_type="multipart/form-data")
    assert response.status_code == 413
    assert not (workspace / "gross.yaml").exists()


@pytest.mark.parametrize("content, expected", [
    (b"a: &a [1]\nb: &b [*a, *a]\nmeta: {title: x}\n", "Alias"),
    (b"meta: {title: x}\nmeta: {title: y}\n", "doppelt"),
    (b"meta: !!python/object:os.system {title: x}\n", "Tag"),
    (b"meta: {title: x}\nunbekannt: 1\n", "unbekannt"),
    (b"\xff\xfe", "UTF-8"),
])
def test_hostile_upload_goes_through_the_loader(client, app, workspace, content, expected):
    import io

    response = client.post("/import", data={"csrf": bench_of(app).csrf, "file": (io.BytesIO(content), "boese.yaml")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "boese.yaml" in text
    assert expected.lower() in text.lower()
    assert not (workspace / "boese.yaml").exists()


def test_upload_of_a_good_file(client, app, workspace):
    import io

    data = ISSAB.read_bytes()
    response = client.post("/import", data={"csrf": bench_of(app).csrf, "file": (io.BytesIO(data), "../../x.yaml")},
                           content_type="multipart/form-data")
    assert response.status_code == 303
    assert (workspace / "x.yaml").read_bytes() == data  # stored inside the workspace, byte for byte


# --------------------------------------------------------------------------- saving


def test_save_keeps_comments_and_previous_version(client, app, workspace):
    original = (workspace / "hamburg.yaml").read_text(encoding="utf-8")
    d = open_draft(client)
    response = client.post("/r/hamburg.yaml/answer", headers=headers(app),
                           data={"d": d, "path": "clauses.cost_increases", "kind": "clause", "status": "ausgeschlossen"})
    assert response.status_code == 200
    response = client.post("/r/hamburg.yaml/save", headers=headers(app), data={"d": d})
    assert "Version 1" in response.get_data(as_text=True)
    saved = (workspace / "hamburg.yaml").read_text(encoding="utf-8")
    kept = workspace / ".budgetcheck/versions/hamburg.yaml/0001.yaml"
    assert kept.read_text(encoding="utf-8") == original
    # only the answered line changed; every comment is still there
    changed = [(a, b) for a, b in zip(original.splitlines(), saved.splitlines()) if a != b]
    assert len(original.splitlines()) == len(saved.splitlines())
    assert len(changed) == 1 and "ausgeschlossen" in changed[0][1]
    assert not [p for p in workspace.iterdir() if p.name.endswith(".tmp")]


def test_saved_file_checks_with_the_cli_to_the_same_verdicts(client, app, workspace, catalogue):
    from checker.check import check_file

    d = open_draft(client)
    client.post("/r/hamburg.yaml/answer", headers=headers(app),
                data={"d": d, "path": "clauses.overspending", "kind": "clause", "status": "ausgeschlossen"})
    client.post("/r/hamburg.yaml/answer", headers=headers(app),
                data={"d": d, "path": "budget.previous_year_actual_costs", "kind": "number", "value": "3500000"})
    draft = bench_of(app).drafts[d]
    client.post("/r/hamburg.yaml/save", headers=headers(app), data={"d": d})
    cli = check_file(str(workspace / "hamburg.yaml"), catalogue, check_date=CHECK_DATE)
    assert {f.id: f.verdict for f in cli.findings} == {f.id: f.verdict for f in draft.result.findings}
    assert cli.overall == draft.result.overall


def test_concurrent_save_is_detected(client, app, workspace):
    first, second = open_draft(client), open_draft(client)
    client.post("/r/hamburg.yaml/answer", headers=headers(app),
                data={"d": first, "path": "clauses.surplus", "kind": "clause", "status": "ausgeschlossen"})
    client.post("/r/hamburg.yaml/answer", headers=headers(app),
                data={"d": second, "path": "clauses.schiedsstelle", "kind": "clause", "status": "ausgeschlossen"})
    assert client.post("/r/hamburg.yaml/save", headers=headers(app), data={"d": first}).status_code == 200
    after_first = (workspace / "hamburg.yaml").read_bytes()
    response = client.post("/r/hamburg.yaml/save", headers=headers(app), data={"d": second})
    text = response.get_data(as_text=True)
    assert 'id="conflict"' in text
    assert (workspace / "hamburg.yaml").read_bytes() == after_first  # not overwritten
    found = hashlib.sha256(after_first).hexdigest()
    response = client.post("/r/hamburg.yaml/save", headers=headers(app),
                           data={"d": second, "overwrite": "1", "base": found})
    assert "Gespeichert" in response.get_data(as_text=True)
    kept = sorted((workspace / ".budgetcheck/versions/hamburg.yaml").iterdir())
    assert kept[-1].read_bytes() == after_first  # the other tab's save is kept as a version


def test_workspace_save_conflict_and_atomicity(tmp_path):
    ws = Workspace(tmp_path)
    ws.create("a.yaml", b"meta: {title: a}\n")
    with pytest.raises(FileExistsError):
        ws.create("a.yaml", b"meta: {title: b}\n")
    with pytest.raises(Conflict):
        ws.save("a.yaml", b"meta: {title: c}\n", base="0" * 64)
    base = hashlib.sha256(b"meta: {title: a}\n").hexdigest()
    kept = ws.save("a.yaml", b"meta: {title: c}\n", base=base)
    assert kept.number == 1 and ws.read_version("a.yaml", 1) == b"meta: {title: a}\n"
    assert ws.read("a.yaml") == b"meta: {title: c}\n"
    assert ws.names() == ["a.yaml"]


def test_invalid_value_gets_the_loaders_message_at_the_field(client, app):
    d = open_draft(client)
    response = client.post("/r/hamburg.yaml/answer", headers=headers(app),
                           data={"d": d, "path": "budget.amount_per_year", "kind": "number", "value": "viel"})
    text = response.get_data(as_text=True)
    error = re.search(r'id="f-budget-amount-per-year-error">([^<]*)<', text)
    assert error and "viel" in error.group(1)
    # nothing is saved while a value is invalid
    response = client.post("/r/hamburg.yaml/save", headers=headers(app), data={"d": d})
    assert "Nicht gespeichert" in response.get_data(as_text=True)


def test_answer_only_at_paths_the_interview_asks(client, app):
    d = open_draft(client)
    for data in ({"path": "waivers", "kind": "text", "value": "x"},
                 {"path": "meta.title.__class__", "kind": "text", "value": "x"},
                 {"path": "clauses.overspending", "kind": "clause", "status": "erfunden"},
                 {"path": "meta.land", "kind": "enum", "value": "atlantis"}):
        response = client.post("/r/hamburg.yaml/answer", headers=headers(app), data={"d": d, **data})
        assert response.status_code == 400


def test_expired_draft(client, app):
    response = client.post("/r/hamburg.yaml/answer", headers=headers(app),
                           data={"d": "weg", "path": "meta.title", "kind": "text", "value": "x"})
    assert response.status_code == 410


# --------------------------------------------------------------------------- report and comparison


def test_report_is_what_the_cli_writes(client, workspace, monkeypatch, capsys):
    from checker.cli import main

    response = client.get("/r/hamburg.yaml/report?download=1")
    assert response.headers["Content-Disposition"] == 'attachment; filename="hamburg-pruefbericht.html"'
    monkeypatch.chdir(workspace)
    main(["check", "--no-config", "--date", CHECK_DATE.isoformat(), "-q", "-f", "html", "hamburg.yaml"])
    assert response.get_data(as_text=True) == capsys.readouterr().out
    markdown = client.get("/r/hamburg.yaml/report?fmt=markdown")
    assert markdown.headers["Content-Type"].startswith("text/markdown")


def test_compare_two_files(client, workspace):
    shutil.copy(ROOT / "cases/defective/d05-schiedsstelle-ausgeschlossen.yaml", workspace / "d05.yaml")
    response = client.get("/compare?old=hamburg.yaml&new=d05.yaml")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "DWH-SK-SCHIEDSSTELLE-JH" in text.split('id="cat-new_violation"')[1].split("</section>")[0]


# --------------------------------------------------------------------------- the interview


def test_interview_plan_asks_basics_first_and_only_what_applies(catalogue):
    from checker.check import check_file

    plan = iv.build_plan(catalogue)
    assert [q.key for q in plan.questions[:3]] == ["meta.title", "meta.status", "meta.draft_date"]
    sections = [q.section for q in plan.questions]
    assert sections.index("blocker") < sections.index("major") < sections.index("minor")
    # every path any rule reads is asked by some question
    for rule in catalogue.rules:
        for path in rule.paths:
            for stated in iv._stated_inputs(path):
                assert plan.question_for_path(stated) is not None, (rule.id, stated)
    # nothing but the basics before the field of work is known
    assert all(q.section == "basics" for q in iv.asked(plan, None, {"meta": {"title": "x"}}))
    result = check_file(str(HAMBURG), catalogue, check_date=CHECK_DATE)
    asked = iv.asked(plan, result, {"field_of_work": ["kinder_jugendhilfe"]})
    keys = {q.key for q in asked}
    assert "clauses.beneficiary_participation" not in keys  # Eingliederungshilfe only
    assert "clauses.overspending" in keys


def test_clause_answers_are_the_formats_statuses(catalogue):
    from checker.model import ClauseStatus

    plan = iv.build_plan(catalogue)
    offered = [value for value, _ in plan.by_key["clauses.overspending"].options]
    assert offered == [s.value for s in ClauseStatus if s.value not in iv._NOT_STATED]


def test_put_and_get():
    raw: dict = {"meta": {"title": "x"}}
    iv.put(raw, "clauses.overspending.status", "vereinbart")
    assert raw["clauses"]["overspending"]["status"] == "vereinbart"
    iv.put(raw, "clauses.overspending.status", None)
    assert "clauses" not in raw  # emptied mappings are tidied up
    raw["services"] = [{}]
    iv.put(raw, "services[0].claim", "subjektbezogen")
    assert iv.get(raw, "services[0].claim") == "subjektbezogen"
    with pytest.raises(KeyError):
        iv.put(raw, "services[3].claim", "x")


def test_vendored_htmx_is_the_recorded_file():
    static = ROOT / "checker/web/static"
    recorded = re.search(r"\| ([0-9a-f]{64}) \|", (static / "VENDORED.md").read_text(encoding="utf-8")).group(1)
    assert hashlib.sha256((static / "htmx.min.js").read_bytes()).hexdigest() == recorded


def test_glossary_terms_are_explained_in_place():
    from checker.web.glossary import explain, glossary

    assert len(glossary()) > 30
    marked = str(explain("Die Nachfinanzierungsklausel sichert das Trägerbudget; das Trägerbudget …"))
    assert marked.count('<abbr class="term"') == 2 and marked.count(">Trägerbudget</abbr>") == 1
    assert "Entgelte je Einzelfall" in marked  # the German explanation from docs/glossary.md
    assert "&lt;b&gt;" in str(explain("<b>"))


def test_answer_swaps_only_the_question_and_the_verdict(client, app):
    d = open_draft(client)
    response = client.post("/r/hamburg.yaml/answer", headers=headers(app),
                           data={"d": d, "path": "clauses.cost_increases", "kind": "clause", "status": "fehlt"})
    text = response.get_data(as_text=True)
    assert text.lstrip().startswith('<article class="question')
    assert 'id="verdict" aria-live="polite" hx-swap-oob="true"' in text
    assert "HX-Trigger" not in response.headers
    assert 'data-rule="DWH-SK-KOSTENSTEIGERUNG"' in text
    # an answer that changes which questions are asked asks the page to reload the interview
    response = client.post("/r/hamburg.yaml/answer", headers=headers(app),
                           data={"d": d, "path": "field_of_work", "kind": "enums", "value": "eingliederungshilfe"})
    assert response.headers["HX-Trigger"] == "questionsChanged"
    interview = client.get(f"/r/hamburg.yaml/interview?d={d}").get_data(as_text=True)
    assert 'id="q-clauses-beneficiary-participation"' in interview  # Eingliederungshilfe only


def test_open_questions_come_from_the_results_question_list(client, app, monkeypatch):
    """Where the Result carries deduplicated questions, the verdict panel shows those (stages 1-2)."""
    from dataclasses import dataclass, field as dc_field

    from checker.rules import Severity

    @dataclass
    class Field:
        path: str

    @dataclass
    class Question:
        key: str
        stage: int
        severity: Severity
        rules: list
        section: str = ""
        fields: list = dc_field(default_factory=list)

        def text(self, lang):
            return f"Frage zu {self.key}?"

    bench = bench_of(app)
    original = bench.evaluate

    def with_questions(*args, **kwargs):
        result = original(*args, **kwargs)
        result.questions = [Question("clauses.schiedsstelle", 1, Severity.blocker, ["DWH-SK-SCHIEDSSTELLE-JH"],
                                     "§ 12", [Field("clauses.schiedsstelle.status")]),
                            Question("clauses.training", 3, Severity.minor, ["ISSAB-VS-FORTBILDUNG"])]
        return result

    monkeypatch.setattr(bench, "evaluate", with_questions)
    page = client.get("/r/hamburg.yaml").get_data(as_text=True)
    panel = page.split('id="open-questions"')[1].split("</ol>")[0]
    assert 'href="#q-clauses-schiedsstelle">Frage zu clauses.schiedsstelle?</a>' in panel and "§ 12" in panel
    assert "clauses.training" not in panel


def test_serve_creates_a_missing_workspace(monkeypatch, tmp_path, capsys):
    from checker.web import server as server_module

    class FakeServer:
        server_port = 9999

        def serve_forever(self):
            raise KeyboardInterrupt

        def server_close(self):
            pass

    monkeypatch.setattr("werkzeug.serving.make_server", lambda *a, **k: FakeServer())
    assert server_module.serve(str(tmp_path / "neu"), port=0, open_browser=False) == 0
    assert (tmp_path / "neu").is_dir() and "angelegt" in capsys.readouterr().err
    assert server_module.serve(str(tmp_path / "a" / "b"), port=0, open_browser=False) == 2


def test_applicability_first_in_the_interview(catalogue):
    """A rule whose applicability is still open contributes only the questions that decide it."""
    from checker.check import evaluate
    from checker.model import Agreement

    plan = iv.build_plan(catalogue)
    raw = {"meta": {"title": "x"}, "field_of_work": ["kinder_jugendhilfe"]}
    result = evaluate(Agreement.model_validate(raw), catalogue, check_date=CHECK_DATE)
    open_rules = {r for q in result.questions if q.kind == "anwendbarkeit" for r in q.rules}
    assert open_rules
    plain = {q.key for q in iv.asked(plan, result, raw)}
    first = {q.key for q in iv.asked(plan, result, raw, catalogue)}
    assert first < plain
    for key in plain - first:  # every question left out belongs only to rules whose applicability is open
        assert set(plan.by_key[key].rules) - {f.id for f in result.findings
                                              if f.verdict.value == "nicht_anwendbar"} <= open_rules


def test_interview_asks_one_provision_as_one_block(tmp_path, catalogue):
    """The clauses one provision of a contract regulates (rules/questions.yaml) are one block under
    the group's question (Nachfinanzierung: demand adjustment, overspending, renegotiation,
    surpluses); every clause keeps its own answer form, so nothing is left out."""
    from checker.web.server import create_app

    folder = tmp_path / "ws"
    folder.mkdir()
    shutil.copy(ISSAB, folder / "stuttgart.yaml")
    app = create_app(folder, check_date=CHECK_DATE)
    client = app.test_client()
    d = open_draft(client, "stuttgart.yaml")
    page = client.get(f"/r/stuttgart.yaml/interview?d={d}").get_data(as_text=True)
    block = page[page.index('id="g-nachfinanzierung"'):]
    block = block[: block.index('<div class="qgroup"') if '<div class="qgroup"' in block else len(block)]
    assert "Was regelt die Vereinbarung, wenn der Bedarf das Budget übersteigt" in block
    for clause in ("demand-adjustment", "overspending", "surplus"):
        assert f'id="q-clauses-{clause}"' in block
        assert page.count(f'id="q-clauses-{clause}"') == 1
    blocks, fields = re.search(r'id="asked-count">(\d+) Fragen, (\d+) Angaben<', page).groups()
    assert int(blocks) < page.count('<article class="question') <= int(fields)
