"""The workbench: ``budgetcheck serve [WORKSPACE]``, a local web application for advisors.

Stack: Flask (Werkzeug + Jinja, which the report already uses) renders every page on the
server; htmx (vendored in ``static/``, no JavaScript build step) sends each answer and swaps
in the re-rendered interview and verdict. Without JavaScript every form still works as a
plain POST.

State: the workspace folder holds the agreement files (see :mod:`checker.workspace`). Opening a
file starts a *draft* (in memory, id in the page): answers change the draft, every answer is
validated with the loader's own messages and evaluated at once; "Speichern" writes the draft
back to the file (comments kept, previous version kept, refused if the file changed meanwhile).

Safety: binds to 127.0.0.1 unless told otherwise and then requires an access token; refuses
requests whose Host is not the server's own (DNS rebinding); a CSRF token on every POST and a
same-origin check; request size limits; uploads through the same loader as the CLI; names from
the browser never leave the workspace; strict Content-Security-Policy.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import secrets
import sys
import threading
import webbrowser
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import yaml
from flask import Flask, abort

from checker import __version__
from checker import interview as iv
from checker.loader import MAX_FILE_BYTES, InputError, load_agreement_bytes
from checker.model import Agreement
from checker.workspace import Workspace, sha256

_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
MAX_REQUEST_BYTES = MAX_FILE_BYTES + 256 * 1024  # one agreement file plus the form around it
MAX_DRAFTS = 100
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
NEW_FILE_HEADER = (
    "Budgetvereinbarung, angelegt mit der budgetcheck-Prüfwerkstatt (budgetcheck serve).\n"
    "Dieselbe Datei prüft die Kommandozeile: budgetcheck check DATEI"
)


@dataclass
class Draft:
    """One open review: the edited document, the file content it started from, the last check."""

    id: str
    name: str
    raw: dict
    base: str  # SHA-256 of the file content the draft started from ("" for none)
    base_text: Optional[str]
    errors: dict[str, str] = field(default_factory=dict)  # concrete path -> loader message
    result: Any = None
    saved_raw: Optional[dict] = None  # the document as last loaded or saved
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def dirty(self) -> bool:
        return self.raw != self.saved_raw


class Workbench:
    """Everything the routes share: workspace, catalogue, drafts, secrets."""

    def __init__(self, root: str | os.PathLike, *, check_date: Optional[dt.date], lang: str = "de",
                 token: Optional[str] = None):
        from checker.rules import load_catalogue

        self.workspace = Workspace(root)
        self.catalogue = load_catalogue()
        self.plan = iv.build_plan(self.catalogue)
        self.check_date = check_date
        self.lang = lang
        self.token = token
        self.csrf = secrets.token_urlsafe(32)
        self.drafts: OrderedDict[str, Draft] = OrderedDict()
        self._drafts_lock = threading.Lock()
        self._engine_lock = threading.Lock()  # one durable_rules session at a time

    # ---- checking

    def today(self) -> dt.date:
        if self.check_date:
            return self.check_date
        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        if epoch:
            try:
                return dt.datetime.fromtimestamp(int(epoch), tz=dt.timezone.utc).date()
            except (ValueError, OverflowError, OSError):
                pass
        return dt.date.today()

    def evaluate(self, agreement: Agreement, name: str, sha: str = "", locations: Optional[dict] = None) -> Any:
        from checker.check import evaluate

        with self._engine_lock:
            return evaluate(agreement, self.catalogue, path=name, sha256=sha, locations=locations or {},
                            check_date=self.today())

    def run_info(self) -> Any:
        from checker.verdicts import RunInfo

        return RunInfo(__version__, self.catalogue.version, self.catalogue.digest, len(self.catalogue.rules),
                       self.today().isoformat())

    def check_file(self, name: str, data: Optional[bytes] = None) -> Any:
        """Load (InputError) and evaluate the file ``name`` as the CLI would (path as named)."""
        data = self.workspace.read(name) if data is None else data
        loaded = load_agreement_bytes(data, name, self.lang)
        return self.evaluate(loaded.agreement, name, loaded.sha256, loaded.locations)

    # ---- drafts

    def open_draft(self, name: str) -> Draft:
        data = self.workspace.read(name)
        loaded = load_agreement_bytes(data, name, self.lang)
        draft = Draft(secrets.token_urlsafe(12), name, copy.deepcopy(loaded.raw), sha256(data),
                      data.decode("utf-8-sig"), saved_raw=copy.deepcopy(loaded.raw))
        self.refresh(draft)
        with self._drafts_lock:
            self.drafts[draft.id] = draft
            while len(self.drafts) > MAX_DRAFTS:
                self.drafts.popitem(last=False)
        return draft

    def draft(self, draft_id: str, name: str) -> Draft:
        with self._drafts_lock:
            draft = self.drafts.get(draft_id or "")
            if draft is not None:
                self.drafts.move_to_end(draft.id)
        if draft is None or draft.name != name:
            abort(410)
        return draft

    def refresh(self, draft: Draft) -> None:
        """Validate the draft with the loader's own messages; evaluate what is valid."""
        errors: dict[str, str] = {}
        usable = copy.deepcopy(draft.raw)
        for _attempt in range(20):
            try:
                # through the loader itself (from YAML text, as the saved file will be read), so that
                # what the CLI accepts or refuses, and its messages, are the same here
                text = yaml.dump(usable, Dumper=_Dumper, allow_unicode=True, sort_keys=False)
                agreement = load_agreement_bytes(text.encode("utf-8"), draft.name, self.lang).agreement
                break
            except InputError as err:
                for item in err.errors:
                    errors.setdefault(item.path or "", item.message)
                    _drop(usable, item.path)
        else:  # pragma: no cover - every round removes at least one bad value
            agreement = Agreement.model_validate({"meta": {"title": "?"}})
        draft.errors = errors
        draft.result = self.evaluate(agreement, draft.name)


def _drop(raw: dict, path: str) -> None:
    """Leave a value the model refuses out of what is evaluated (the draft keeps it, with its message)."""
    if path.startswith("meta.title") or not path:
        raw.setdefault("meta", {})["title"] = "?"
        return
    try:
        if iv.get(raw, path) is not None:
            iv.put(raw, path, None)
            return
        parent = path.rpartition(".")[0]
        if parent and not parent.endswith("]"):
            iv.put(raw, parent, None)
        elif parent:  # an item of a list: drop the bad item from what is evaluated
            coll, _, index = parent.rpartition("[")
            items = iv.get(raw, coll)
            if isinstance(items, list):
                del items[int(index.rstrip("]"))]
    except (KeyError, ValueError, IndexError, TypeError):
        raw.pop(path.split(".")[0].split("[")[0], None)


# --------------------------------------------------------------------------- the application


def create_app(root: str | os.PathLike, *, check_date: Optional[dt.date] = None, lang: str = "de",
               token: Optional[str] = None, allowed_hosts: Optional[set[str]] = None) -> Flask:
    """The Flask application over workspace ``root``.

    ``token``: required on every request (as ``?token=`` once, then a cookie) when given.
    ``allowed_hosts``: host names accepted in the Host header (default: loopback names only,
    unless a token is set).
    """
    here = Path(__file__).resolve().parent
    app = Flask(__name__, template_folder=str(here / "templates"), static_folder=str(here / "static"))
    app.config.update(MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES, MAX_FORM_MEMORY_SIZE=MAX_REQUEST_BYTES,
                      MAX_FORM_PARTS=2000, TEMPLATES_AUTO_RELOAD=False, SEND_FILE_MAX_AGE_DEFAULT=0)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    bench = Workbench(root, check_date=check_date, lang=lang, token=token)
    app.extensions["budgetcheck"] = bench
    hosts = allowed_hosts if allowed_hosts is not None else (None if token else LOOPBACK)

    from checker.web import views

    views.register(app, bench, hosts)
    return app


# --------------------------------------------------------------------------- serve


def serve(workspace: str, *, host: str = "127.0.0.1", port: int = 8765, token: Optional[str] = None,
          open_browser: bool = True, check_date: Optional[dt.date] = None, lang: str = "de") -> int:
    """Run the workbench until Ctrl-C; returns the exit code."""
    import logging

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request on the terminal
    root = Path(workspace)
    if not root.exists() and root.parent.is_dir():
        root.mkdir()
        print(f"{workspace}: Arbeitsordner angelegt", file=sys.stderr)
    if not root.is_dir():
        print(f"{workspace}: kein Ordner (Arbeitsordner mit Vereinbarungen angeben)", file=sys.stderr)
        return 2
    local = host in LOOPBACK
    if not local and not token:
        token = secrets.token_urlsafe(24)
    try:
        app = create_app(root, check_date=check_date, lang=lang, token=None if local and not token else token)
    except Exception as exc:  # noqa: BLE001 - a broken catalogue: say so, exit 2
        print(f"budgetcheck serve: {exc}", file=sys.stderr)
        return 2
    try:
        server = make_server(host, port, app, threaded=True)
    except OSError as exc:
        print(f"budgetcheck serve: {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    shown_host = f"[{host}]" if ":" in host else host
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else shown_host}:{server.server_port}/"
    if token:
        url += f"?token={token}"
    print(f"budgetcheck-Prüfwerkstatt: {url}", file=sys.stderr)
    print(f"Arbeitsordner: {root.resolve()}", file=sys.stderr)
    if local and not token:
        print("Nur auf diesem Rechner erreichbar (127.0.0.1). Beenden mit Strg+C.", file=sys.stderr)
    else:
        print(f"Lauscht auf {host}: Zugriff nur mit dem Zugangstoken im Link oben (Token: {token}). "
              "Die Verbindung ist unverschlüsselt (HTTP). Beenden mit Strg+C.", file=sys.stderr)
    if open_browser and os.environ.get("BUDGETCHECK_NO_BROWSER") is None:
        threading.Timer(0.5, _open, args=(url,)).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _open(url: str) -> None:
    try:
        webbrowser.open(url)
    except Exception:  # noqa: BLE001 - no browser here: the address is printed anyway
        pass
