"""Routes and view models of the workbench (see :mod:`checker.web.server`)."""

from __future__ import annotations

import hmac
import time
from typing import Any, Optional
from urllib.parse import urlsplit

from flask import Flask, Response, abort, make_response, redirect, render_template, request, url_for
from markupsafe import Markup

from checker import interview as iv
from checker.labels import OVERALL, SEVERITY, VERDICT, label, source_origin
from checker.loader import InputError, load_agreement_bytes
from checker.rules import SEVERITY_ORDER, Severity, Verdict
from checker.web.glossary import glossary, explain
from checker.workspace import BadName, Conflict, check_name, sha256, suggest_name

TOKEN_COOKIE = "budgetcheck_token"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
_CLAUSE_PARTS = ("section", "wording", "note")  # the free-text parts of a clause answer, besides its status


def register(app: Flask, bench: Any, hosts: Optional[set[str]]) -> None:  # noqa: C901 - one place for routes
    from checker.web.server import NEW_FILE_HEADER

    # ------------------------------------------------------------------ guards

    @app.before_request
    def _guard() -> Optional[Response]:
        host = (request.host or "").rsplit(":", 1)[0].strip("[]").lower()
        if hosts is not None and host not in hosts:
            return _error(400, "Unbekannter Host", "Die Prüfwerkstatt antwortet nur unter ihrer eigenen Adresse "
                          "(127.0.0.1 oder localhost).")
        if bench.token:
            given = request.args.get("token")
            if given is not None and hmac.compare_digest(given, bench.token) and request.method == "GET":
                target = request.path
                response = redirect(target, code=303)
                response.set_cookie(TOKEN_COOKIE, bench.token, httponly=True, samesite="Strict")
                return response
            cookie = request.cookies.get(TOKEN_COOKIE, "")
            if not hmac.compare_digest(cookie, bench.token):
                return _error(401, "Zugangstoken erforderlich",
                              "Diese Prüfwerkstatt ist nur mit dem Zugangstoken erreichbar, das beim Start angezeigt "
                              "wurde (Adresse mit ?token=…).")
        if request.method == "POST":
            sent = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD) or ""
            if not hmac.compare_digest(sent, bench.csrf):
                return _error(403, "Anfrage abgelehnt", "Das Formular stammt nicht aus dieser Prüfwerkstatt "
                              "(CSRF-Schutz). Seite neu laden und noch einmal versuchen.")
            origin = request.headers.get("Origin")
            if origin and origin != "null" and urlsplit(origin).netloc.lower() != (request.host or "").lower():
                return _error(403, "Anfrage abgelehnt", "Fremde Herkunft (Origin) – abgelehnt.")
            if request.headers.get("Sec-Fetch-Site") == "cross-site":
                return _error(403, "Anfrage abgelehnt", "Anfrage von einer fremden Seite – abgelehnt.")
        return None

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.context_processor
    def _globals() -> dict:
        return {"csrf": bench.csrf, "version": bench.catalogue.version, "workspace": bench.workspace.root,
                "overall_label": lambda key: label(OVERALL, key), "verdict_label": lambda key: label(VERDICT, key),
                "severity_label": lambda key: label(SEVERITY, key)}

    def _error(status: int, title: str, text: str) -> Response:
        return make_response(render_template("error.html", title=title, text=text, status=status), status)

    @app.errorhandler(400)
    def _bad_request(_exc: Any) -> Response:
        return _error(400, "Ungültige Anfrage", "Die Anfrage ist unvollständig oder ungültig.")

    @app.errorhandler(404)
    def _not_found(_exc: Any) -> Response:
        return _error(404, "Nicht gefunden", "Diese Datei oder Seite gibt es im Arbeitsordner nicht.")

    @app.errorhandler(410)
    def _gone(_exc: Any) -> Response:
        return _error(410, "Bearbeitung abgelaufen", "Diese Bearbeitung ist nicht mehr offen (die Prüfwerkstatt "
                      "wurde neu gestartet oder zu viele Dateien sind offen). Die Datei bitte neu öffnen; "
                      "Gespeichertes ist erhalten.")

    @app.errorhandler(413)
    def _too_large(_exc: Any) -> Response:
        return _error(413, "Zu groß", f"Die Anfrage ist zu groß (höchstens {bench_limit_mib()} MiB für eine Datei).")

    def bench_limit_mib() -> str:
        from checker.loader import MAX_FILE_BYTES

        return f"{MAX_FILE_BYTES // (1024 * 1024)}"

    def _name(name: str) -> str:
        try:
            bench.workspace.path(name)
            return check_name(name)
        except BadName:
            abort(404)

    @app.get("/favicon.ico")
    def favicon() -> Response:
        return Response(status=204)

    # ------------------------------------------------------------------ workspace

    @app.get("/")
    def index() -> str:
        files = []
        for name in bench.workspace.names():
            entry: dict[str, Any] = {"name": name, "versions": len(bench.workspace.versions(name))}
            try:
                result = bench.check_file(name)
            except InputError as err:
                entry["error"] = err.format()
            else:
                entry["title"] = result.agreement.meta.title
                entry["overall"] = result.overall
                entry["counts"] = result.counts()
            files.append(entry)
        return render_template("index.html", files=files, message=request.args.get("msg", ""))

    @app.post("/new")
    def new() -> Response:
        title = (request.form.get("title") or "").strip()
        if not title:
            return _error(400, "Titel fehlt", "Bitte einen Titel für die neue Prüfung angeben.")
        wanted = (request.form.get("name") or "").strip()
        try:
            name = check_name(wanted if wanted.lower().endswith((".yaml", ".yml")) else
                              (wanted + ".yaml" if wanted else suggest_name(title)))
        except BadName:
            return _error(400, "Ungültiger Dateiname", "Erlaubt sind Buchstaben, Ziffern, Punkt, Binde- und "
                          "Unterstrich, endend auf .yaml.")
        name = _free_name(name)
        from checker.yamledit import dump

        text = dump({"format_version": _format_version(), "meta": {"title": title}}, header=NEW_FILE_HEADER)
        try:
            load_agreement_bytes(text.encode("utf-8"), name)
        except InputError as err:
            return _error(400, "Ungültige Angabe", err.format())
        bench.workspace.create(name, text.encode("utf-8"))
        return redirect(url_for("review", name=name), code=303)

    def _free_name(name: str) -> str:
        stem, dot, suffix = name.rpartition(".")
        candidate, n = name, 1
        while bench.workspace.exists(candidate):
            n += 1
            candidate = f"{stem}-{n}{dot}{suffix}"
        return candidate

    @app.post("/import")
    def import_file() -> Response:
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            return _error(400, "Keine Datei", "Bitte eine YAML-Datei auswählen.")
        from checker.loader import MAX_FILE_BYTES

        data = upload.stream.read(MAX_FILE_BYTES + 1)
        original = upload.filename.replace("\\", "/").rsplit("/", 1)[-1]
        if not original.lower().endswith((".yaml", ".yml")):
            return _error(400, "Nur YAML", "Die Prüfwerkstatt liest Vereinbarungen im YAML-Format (.yaml, .yml).")
        try:
            load_agreement_bytes(data, original)
        except InputError as err:
            return _error(400, "Datei abgelehnt", err.format())
        try:
            name = check_name(original)
        except BadName:
            name = suggest_name(original.rsplit(".", 1)[0])
        name = _free_name(name)
        bench.workspace.create(name, data)
        return redirect(url_for("review", name=name), code=303)

    # ------------------------------------------------------------------ the review

    @app.get("/r/<name>")
    def review(name: str) -> str:
        name = _name(name)
        if not bench.workspace.exists(name):
            abort(404)
        draft_id = request.args.get("d")
        draft = None
        if draft_id:
            with bench._drafts_lock:
                found = bench.drafts.get(draft_id)
            draft = found if found is not None and found.name == name else None
        if draft is None:
            try:
                draft = bench.open_draft(name)
            except InputError as err:
                return _error(400, "Datei fehlerhaft", err.format())
        return render_template("review.html", **_page(draft, timing=None))

    def _page(draft: Any, *, timing: Optional[float], message: str = "", conflict: Any = None) -> dict:
        questions = iv.asked(bench.plan, draft.result, draft.raw, bench.catalogue)
        return {"name": draft.name, "draft": draft, "answer_url": url_for("answer", name=draft.name), "sections": _sections(draft, questions),
                "started": iv.started(draft.raw), "verdict": _verdict(draft, timing),
                "message": message, "conflict": conflict, "glossary": glossary(),
                "asked_count": _count([q for q in questions if q.section != "record"], draft), "answers": _answers(),
                "block_count": len(iv.grouped([q for q in questions if q.section != "record"], bench.catalogue))}

    def _answers() -> list[str]:
        for q in bench.plan.questions:
            if q.kind == "clause":
                return [text for _value, text in q.options] + ["noch unbekannt"]
        return []

    def _count(questions: list, draft: Any) -> int:
        n = 0
        for q in questions:
            if q.kind == "list":
                n += max(1, len(iv.get(draft.raw, q.key) or [])) * max(1, len(q.items))
            else:
                n += 1 + len(q.details)
        return n

    @app.post("/r/<name>/answer")
    def answer(name: str) -> Any:
        started_at = time.perf_counter()
        name = _name(name)
        draft = bench.draft(request.form.get("d", ""), name)
        path = request.form.get("path", "")
        kind = request.form.get("kind", "")
        with draft.lock:
            before = [q.key for q in iv.asked(bench.plan, draft.result, draft.raw, bench.catalogue)]
            _apply(draft, path, kind)
            bench.refresh(draft)
            asked = iv.asked(bench.plan, draft.result, draft.raw, bench.catalogue)
            question = bench.plan.question_for_path(path)
            if request.headers.get("HX-Request") != "true" or question is None:
                return _respond(draft, started_at)
            # the answered question, the verdict and the save state are swapped at once; when the
            # answer changes which questions are asked, the interview follows in a second request
            timing = (time.perf_counter() - started_at) * 1000
            response = make_response(render_template(
                "_answer.html", name=draft.name, draft=draft, answer_url=url_for("answer", name=draft.name),
                v=_question_view(draft, question), verdict=_verdict(draft, timing), glossary=glossary()))
            if [q.key for q in asked] != before:
                response.headers["HX-Trigger"] = "questionsChanged"
            return response

    @app.get("/r/<name>/interview")
    def interview_part(name: str) -> Any:
        name = _name(name)
        draft = bench.draft(request.args.get("d", ""), name)
        with draft.lock:
            return render_template("_interview.html", **_page(draft, timing=None))

    @app.post("/r/<name>/item")
    def item(name: str) -> Any:
        started_at = time.perf_counter()
        name = _name(name)
        draft = bench.draft(request.form.get("d", ""), name)
        path = request.form.get("path", "")
        question = bench.plan.by_key.get(path)
        if question is None or question.kind != "list":
            abort(400)
        with draft.lock:
            items = iv.get(draft.raw, path)
            if request.form.get("op") == "add":
                if items is None:
                    iv.put(draft.raw, path, [{}])
                elif len(items) < 100:
                    items.append({})
            elif request.form.get("op") == "remove" and isinstance(items, list):
                try:
                    index = int(request.form.get("index", ""))
                    del items[index]
                except (ValueError, IndexError):
                    abort(400)
                if not items:
                    iv.put(draft.raw, path, None)
            else:
                abort(400)
            bench.refresh(draft)
            return _respond(draft, started_at)

    def _respond(draft: Any, started_at: float) -> Any:
        if request.headers.get("HX-Request") != "true":  # plain form without JavaScript
            return redirect(url_for("review", name=draft.name, d=draft.id), code=303)
        timing = (time.perf_counter() - started_at) * 1000
        return render_template("_workbench.html", **_page(draft, timing=timing))

    def _apply(draft: Any, path: str, kind: str) -> None:
        """Put the posted answer into the draft (only at a path the interview asks)."""
        question = bench.plan.question_for_path(path)
        generic = iv.re.sub(r"\[\d+\]", "[]", path)
        if question is None:
            abort(400)
        if kind == "clause":
            if question.kind != "clause" or path != question.key:
                abort(400)
            status = request.form.get("status", "")
            if status and status not in {value for value, _ in question.options}:
                abort(400)
            _put(draft, f"{path}.status", status or None)
            for part in _CLAUSE_PARTS:
                if part in request.form:
                    text = request.form.get(part, "").strip()
                    _put(draft, f"{path}.{part}", text or None)
            return
        field = _field(question, generic)
        if field is None or field.kind != kind:
            abort(400)
        if kind == "enums":
            allowed = {value for value, _ in field.options}
            values = [v for v in request.form.getlist("value") if v]
            if any(v not in allowed for v in values):
                abort(400)
            value: Any = values or None
        elif kind == "texts":
            lines = [line.strip() for line in request.form.get("value", "").splitlines() if line.strip()]
            value = lines or None
        else:
            value = iv.parse_input(kind, request.form.get("value", ""), field.number)
            if kind == "enum" and value is not None and value not in {v for v, _ in field.options}:
                abort(400)
        _put(draft, path, value)

    def _put(draft: Any, path: str, value: Any) -> None:
        try:
            iv.put(draft.raw, path, value)
        except (KeyError, TypeError, IndexError):
            abort(400)

    def _field(question: Any, generic: str) -> Any:
        if generic == question.key:
            return question
        for detail in question.details:
            if detail.key == generic:
                return detail
        if question.kind == "list" and generic.startswith(question.key + "[]."):
            rest = generic[len(question.key) + 3:]
            for item_q in question.items:
                if item_q.key == rest:
                    return item_q
        return None

    @app.post("/r/<name>/save")
    def save(name: str) -> Any:
        name = _name(name)
        draft = bench.draft(request.form.get("d", ""), name)
        from checker.yamledit import dump

        with draft.lock:
            if draft.errors:
                return _save_response(draft, "Nicht gespeichert: bitte erst die markierten Angaben korrigieren.")
            base = request.form.get("base") if request.form.get("overwrite") == "1" else draft.base
            text = dump(draft.raw, draft.base_text)
            data = text.encode("utf-8")
            try:
                loaded = load_agreement_bytes(data, name)
            except InputError as err:  # pragma: no cover - the draft validated; a writer bug
                return _save_response(draft, "Nicht gespeichert: " + err.format())
            if loaded.raw != draft.raw:  # the YAML writer changed a value: refuse rather than guess
                text = dump(draft.raw, None, header=NEW_FILE_HEADER)
                data = text.encode("utf-8")
                if load_agreement_bytes(data, name).raw != draft.raw:  # pragma: no cover
                    return _save_response(draft, "Nicht gespeichert: die Datei ließe sich nicht genau schreiben.")
            try:
                kept = bench.workspace.save(name, data, base)
            except Conflict as conflict:
                return _save_response(draft, "", conflict=conflict, status=409)
            draft.base, draft.base_text, draft.saved_raw = sha256(data), text, iv_copy(draft.raw)
            message = "Gespeichert." + (f" Die vorige Fassung ist als Version {kept.number} erhalten." if kept else "")
            return _save_response(draft, message)

    def _save_response(draft: Any, message: str, conflict: Any = None, status: int = 200) -> Any:
        if request.headers.get("HX-Request") != "true":
            if conflict is not None or (message and not message.startswith("Gespeichert")):
                return make_response(render_template("review.html", **_page(draft, timing=None, message=message,
                                                                            conflict=conflict)), status)
            return redirect(url_for("review", name=draft.name, d=draft.id), code=303)
        response = make_response(render_template("_workbench.html", **_page(draft, timing=None, message=message,
                                                                             conflict=conflict)))
        return response

    @app.post("/r/<name>/reload")
    def reload(name: str) -> Response:
        name = _name(name)
        draft = bench.open_draft(name)
        return redirect(url_for("review", name=name, d=draft.id), code=303)

    # ------------------------------------------------------------------ report

    @app.get("/r/<name>/report")
    def report(name: str) -> Response:
        from checker.report import render_report

        name = _name(name)
        if not bench.workspace.exists(name):
            abort(404)
        fmt = request.args.get("fmt", "html")
        if fmt not in ("html", "pdf", "markdown", "text"):
            abort(400)
        detail = request.args.get("detail", "short")  # as the CLI: the short report, or every rule
        if detail not in ("short", "full"):
            abort(400)
        draft_id = request.args.get("d")
        result = None
        if draft_id:
            draft = bench.draft(draft_id, name)
            if draft.dirty and not draft.errors:  # unsaved answers: the report of the file as it would be saved
                from checker.yamledit import dump

                with draft.lock:
                    data = dump(draft.raw, draft.base_text).encode("utf-8")
                try:
                    result = bench.check_file(name, data)
                except InputError:
                    result = None
        if result is None:
            try:
                result = bench.check_file(name)
            except InputError as err:
                return _error(400, "Datei fehlerhaft", err.format())
        # as ``budgetcheck check -o pdf:`` does: the HTML report, printed by WeasyPrint (checker.pdf)
        text = render_report([result], "html" if fmt == "pdf" else fmt, lang=bench.lang, run=bench.run_info(),
                             detail=detail)
        if text and not text.endswith("\n"):
            text += "\n"
        if fmt == "pdf":
            from checker.pdf import PdfUnavailable, render_pdf

            try:
                response = make_response(render_pdf(text))
            except PdfUnavailable as exc:
                return _error(503, "PDF nicht verfügbar", f"{exc}. Für das PDF braucht die Prüfwerkstatt WeasyPrint "
                              "und die Pango-Bibliothek (siehe README); der Prüfbericht als HTML lässt sich "
                              "im Browser drucken.")
            response.headers["Content-Type"] = "application/pdf"
        else:
            mime = {"html": "text/html", "markdown": "text/markdown", "text": "text/plain"}[fmt]
            response = make_response(text)
            response.headers["Content-Type"] = f"{mime}; charset=utf-8"
        if request.args.get("download"):
            stem = name.rsplit(".", 1)[0] + ("-nachweis" if detail == "full" else "")
            suffix = {"html": "html", "pdf": "pdf", "markdown": "md", "text": "txt"}[fmt]
            response.headers["Content-Disposition"] = f'attachment; filename="{stem}-pruefbericht.{suffix}"'
        return response

    # ------------------------------------------------------------------ versions and comparison

    @app.get("/r/<name>/versions")
    def versions(name: str) -> str:
        name = _name(name)
        if not bench.workspace.exists(name):
            abort(404)
        rows = []
        for version in bench.workspace.versions(name):
            rows.append({"number": version.number, "saved": version.saved,
                         **_summary(name, bench.workspace.read_version(name, version.number))})
        current = _summary(name, bench.workspace.read(name))
        return render_template("versions.html", name=name, rows=rows, current=current)

    def _summary(name: str, data: bytes) -> dict:
        try:
            result = bench.check_file(name, data)
        except InputError as err:
            return {"error": err.format()}
        return {"title": result.agreement.meta.title, "overall": result.overall, "counts": result.counts()}

    @app.get("/compare")
    def compare_view() -> str:
        from checker.diff import CATEGORIES, compare

        old_ref, new_ref = request.args.get("old", ""), request.args.get("new", "")
        old, old_label = _version_data(old_ref)
        new, new_label = _version_data(new_ref)
        try:
            old_result = bench.check_file(old_label, old)
            new_result = bench.check_file(new_label, new)
        except InputError as err:
            return _error(400, "Datei fehlerhaft", err.format())
        comparison = compare(old_result, new_result)
        categories = [{"key": key, "label": CATEGORIES[key][0], "changes": comparison.changes[key]}
                      for key in CATEGORIES]
        return render_template("compare.html", comparison=comparison, categories=categories,
                               old_label=old_label, new_label=new_label, old_ref=old_ref, new_ref=new_ref,
                               files=bench.workspace.names())

    def _version_data(ref: str) -> tuple[bytes, str]:
        """``NAME`` (current file) or ``NAME@N`` (kept version N) -> (bytes, label)."""
        name, at, number = ref.partition("@")
        name = _name(name)
        try:
            if at:
                return bench.workspace.read_version(name, int(number)), f"{name} (Version {int(number)})"
            return bench.workspace.read(name), name
        except (FileNotFoundError, ValueError):
            abort(404)

    # ------------------------------------------------------------------ view models

    def _sections(draft: Any, questions: list) -> list[dict]:
        """The asked questions by section; the questions one provision regulates (rules/questions.yaml)
        as one block under the group's question, in the section of its most severe question."""
        sections: dict[str, dict] = {}
        for group, members in iv.grouped(questions, bench.catalogue):
            q = members[0]
            sec = sections.setdefault(q.section, {"key": q.section, "label": iv.SECTION_LABELS[q.section],
                                                  "blocks": []})
            sec["blocks"].append({"group": group[1] if group else "",
                                  "anchor": f"g-{group[0]}" if group else "",
                                  "questions": [_question_view(draft, m) for m in members]})
        return list(sections.values())

    @app.get("/why/<path:key>")
    def why(key: str) -> Any:
        question = bench.plan.by_key.get(key)
        if question is None:
            abort(404)
        fragment = render_template("_why.html", rules=_rules_view(question.rules))
        if request.headers.get("HX-Request") == "true":
            return fragment
        return render_template("error.html", title=question.label, text="", status=200, fragment=Markup(fragment))

    def _question_view(draft: Any, q: Any) -> dict:
        raw = draft.raw
        view: dict[str, Any] = {"q": q, "anchor": q.anchor, "label": q.label, "kind": q.kind,
                                "rules": q.rules, "help": explain(_help(q)), "ask": _ask(q)}
        if q.kind == "clause":
            status = iv.get(raw, f"{q.key}.status")
            view.update(status="" if status in iv._NOT_STATED or status is None else status,
                        section=iv.get(raw, f"{q.key}.section") or "", wording=iv.get(raw, f"{q.key}.wording") or "",
                        note=iv.get(raw, f"{q.key}.note") or "",
                        error=_first_error(draft, q.key),
                        details=[_field_view(draft, d, d.key) for d in q.details])
        elif q.kind == "list":
            items = iv.get(raw, q.key) or []
            view["entries"] = [{"index": i, "fields": [_field_view(draft, f, f"{q.key}[{i}].{f.key}") for f in q.items],
                              "error": draft.errors.get(f"{q.key}[{i}]", "")}
                             for i in range(len(items) if isinstance(items, list) else 0)]
            view["error"] = draft.errors.get(q.key, "")
        else:
            view.update(_field_view(draft, q, q.key))
        view["answered"] = _answered(raw, q)
        return view

    def _field_view(draft: Any, q: Any, path: str) -> dict:
        value = iv.get(draft.raw, path)
        return {"q": q, "path": path, "kind": q.kind, "label": q.label,
                "id": "f-" + iv.re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-"),
                "value": iv.show(q.kind, value) if not isinstance(value, list) else "",
                "selected": [str(v) for v in value] if isinstance(value, list) else [],
                "text": "\n".join(str(v) for v in value) if isinstance(value, list) else "",
                "error": draft.errors.get(path, ""), "hint": q.hint, "options": q.options,
                "detail_help": q.help, "absent": getattr(q, "absent", False)}

    def _first_error(draft: Any, prefix: str) -> str:
        for path, message in draft.errors.items():
            if path == prefix or path.startswith(prefix + "."):
                return f"{path}: {message}" if path != prefix else message
        return ""

    def _answered(raw: dict, q: Any) -> bool:
        if q.kind == "clause":
            status = iv.get(raw, f"{q.key}.status")
            return status is not None and status not in iv._NOT_STATED
        return iv.get(raw, q.key) not in (None, [], "")

    def _help(q: Any) -> str:
        return q.label

    def _ask(q: Any) -> str:
        """The catalogue's own question of the most severe rule whose condition this question
        decides ('' for the basics); a question that only decides whether rules apply (a rule's
        ``applies_to``) says so instead of borrowing the question of the clause the rule checks."""
        if q.section in ("basics", "record"):
            return ""
        ranked = sorted(q.rules, key=lambda r: -SEVERITY_ORDER[bench.catalogue.by_id[r].rule.severity])
        for rid in ranked:
            rule = bench.catalogue.by_id[rid].rule
            if rule.question is not None and q.key in iv.condition_keys(bench.plan, bench.catalogue, rid):
                return explain(rule.question.de)
        if ranked and all(q.key not in iv.condition_keys(bench.plan, bench.catalogue, r) for r in ranked):
            titles = [bench.catalogue.by_id[r].rule.title.de for r in ranked[:3]]
            more = f" und {len(ranked) - 3} weitere" if len(ranked) > 3 else ""
            return explain("Die Antwort entscheidet, ob diese Kriterien gelten: " + "; ".join(titles) + more + ".")
        return ""

    def _rules_view(rule_ids: list[str]) -> list[dict]:
        out = []
        for rid in rule_ids:
            rule = bench.catalogue.by_id[rid].rule
            out.append({"id": rid, "title": rule.title.de, "severity": rule.severity.value,
                        "question": rule.question.de if rule.question else "",
                        "sources": [{"section": s.section, "passage": explain(s.passage),
                                     "name": source_origin(s)[0], "file": source_origin(s)[1]} for s in rule.source],
                        "legal": [_legal(ref) for ref in rule.legal_basis]})
        out.sort(key=lambda r: -SEVERITY_ORDER[Severity(r["severity"])])
        return out

    def _legal(ref: Any) -> str:
        text = ref.decision if ref.decision else " ".join(x for x in (ref.ref, ref.law) if x)
        return f"{text} ({ref.note})" if ref.note else text

    def _verdict(draft: Any, timing: Optional[float]) -> dict:
        result = draft.result
        findings = sorted(result.findings, key=lambda f: (-SEVERITY_ORDER[f.severity], f.id))
        violated = []
        for f in findings:
            if f.verdict != Verdict.verletzt:
                continue
            links = _question_links([e.path for e in f.evidence])
            violated.append({"id": f.id, "title": f.rule.rule.title.de, "severity": f.severity.value,
                             "todo": f.rule.rule.recommendation.de, "links": links})
        questions = _open_questions(result)
        deciding = {q["anchor"] for q in questions}
        unanswered = [q for q in iv.asked(bench.plan, result, draft.raw, bench.catalogue) if not _answered(draft.raw, q)]
        # the next unanswered question that decides the verdict; before the field of work is known,
        # the next basic question
        following = next((q for q in unanswered if q.anchor in deciding or not iv.started(draft.raw)), None)
        return {"overall": result.overall, "counts": result.counts(), "violated": violated,
                "questions": questions, "timing": timing, "dirty": draft.dirty, "errors": len(draft.errors),
                "next": {"anchor": following.anchor, "label": following.label} if following else None}

    def _question_links(paths: list[str]) -> list[dict]:
        out: dict[str, dict] = {}
        for path in paths:
            q = bench.plan.question_for_path(path)
            if q is not None and q.key not in out:
                out[q.key] = {"anchor": q.anchor, "label": q.label}
        return list(out.values())

    def _open_questions(result: Any) -> list[dict]:
        """Open questions that decide the verdict (blockers and major rules), blockers first: the
        Result's deduplicated questions where it has them, else one per interview question."""
        listed = getattr(result, "questions", None)
        if listed is not None:
            out = []
            for question in listed:
                if getattr(question, "stage", 1) > 2:  # decides only minor rules: never the verdict
                    continue
                paths = [f.path for f in getattr(question, "fields", [])] or [question.key]
                asked = next((q for q in map(bench.plan.question_for_path, paths) if q is not None), None)
                text = question.text(bench.lang) if callable(getattr(question, "text", None)) else str(question.key)
                out.append({"anchor": asked.anchor if asked else "", "label": text.split(" Dazu: ")[0].split(" Offen: ")[0],
                            "severity": question.severity.value, "rules": list(question.rules),
                            "section": getattr(question, "section", None) or ""})
            return out
        by_question: dict[str, dict] = {}
        for f in sorted(result.findings, key=lambda f: (-SEVERITY_ORDER[f.severity], f.id)):
            if f.verdict != Verdict.ungeklaert or f.severity not in (Severity.blocker, Severity.major):
                continue
            for m in f.missing:
                q = bench.plan.question_for_path(m.path)
                if q is None:
                    continue
                entry = by_question.setdefault(q.key, {"anchor": q.anchor, "label": q.label,
                                                       "severity": f.severity.value, "rules": []})
                if f.id not in entry["rules"]:
                    entry["rules"].append(f.id)
        return list(by_question.values())

    def iv_copy(raw: dict) -> dict:
        import copy

        return copy.deepcopy(raw)

    def _format_version() -> int:
        from checker.model import FORMAT_VERSION

        return FORMAT_VERSION

    app.jinja_env.globals["markup"] = Markup
