#!/usr/bin/env python3
"""Answer-to-verdict round trip of the workbench (``budgetcheck serve``), measured and printed.

    .venv/bin/python benchmarks/workbench.py [--rounds 30] [--case cases/source/...yaml]

Starts the workbench on a free port over a temporary copy of one case and measures

* server: one HTTP POST of an answer (validate with the loader's model, evaluate all rules,
  render interview and verdict) until the whole response is read, over loopback;
* browser: in Debian's Chromium (Playwright), from clicking an answer until htmx has swapped
  in the answered question and the new verdict (``htmx:afterSettle``), i.e. what the advisor
  waits for; and for an answer that changes which questions are asked (the field of work),
  after which the whole interview is swapped.

Prints median, 90th percentile and maximum in milliseconds, and the number of interview
questions asked for the case. Figures vary with the machine's load; run it more than once.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checker import interview as iv  # noqa: E402
from checker.web.server import create_app  # noqa: E402

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]


def figures(name: str, values: list[float]) -> str:
    values = sorted(values)
    p90 = values[max(0, int(round(0.9 * len(values))) - 1)]
    return (f"{name:<34} n={len(values):>3}  median {statistics.median(values):6.1f} ms  "
            f"p90 {p90:6.1f} ms  max {values[-1]:6.1f} ms")


def count_questions(app, name: str) -> tuple[int, int]:
    """(top-level questions asked, answer fields shown) for the file as it is."""
    bench = app.extensions["budgetcheck"]
    draft = bench.open_draft(name)
    asked = iv.asked(bench.plan, draft.result, draft.raw, bench.catalogue)
    fields = 0
    for q in asked:
        if q.kind == "list":
            fields += len(iv.get(draft.raw, q.key) or []) * len(q.items)
        else:
            fields += 1 + len(q.details)
    return len(asked), fields


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--case", default=str(ROOT / "cases/source/hamburg-jugendhilfe-eckpunkte.yaml"))
    parser.add_argument("--count", nargs="*", default=[], help="further cases: only count their questions")
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()

    from werkzeug.serving import make_server

    folder = Path(tempfile.mkdtemp(prefix="budgetcheck-bench-"))
    name = "entwurf.yaml"
    shutil.copy(args.case, folder / name)
    for i, extra in enumerate(args.count):
        shutil.copy(extra, folder / f"zaehlen-{i}.yaml")
    app = create_app(folder)
    bench = app.extensions["budgetcheck"]
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_port}"
    try:
        for label, case in [(args.case, name)] + [(c, f"zaehlen-{i}.yaml") for i, c in enumerate(args.count)]:
            top, fields = count_questions(app, case)
            print(f"interview for {Path(label).name}: {top} questions asked ({fields} answer fields)")

        page = urllib.request.urlopen(f"{base}/r/{name}").read().decode()
        draft = re.search(r'"d": "([^"]+)"', page).group(1)
        server = []
        size = 0
        for i in range(args.rounds):
            status = "ausgeschlossen" if i % 2 == 0 else "vereinbart"
            body = urllib.parse.urlencode({"d": draft, "path": "clauses.overspending", "kind": "clause",
                                           "status": status}).encode()
            request = urllib.request.Request(f"{base}/r/{name}/answer", data=body, headers={
                "X-CSRF-Token": bench.csrf, "HX-Request": "true"})
            start = time.perf_counter()
            with urllib.request.urlopen(request) as response:
                size = len(response.read())
            server.append((time.perf_counter() - start) * 1000)
        print(figures("server (HTTP POST -> response)", server) + f"  ({size // 1024} KiB per response)")

        if not args.no_browser:
            from playwright.sync_api import sync_playwright

            executable = shutil.which("chromium") or shutil.which("chromium-browser")
            if executable is None:
                print("browser: skipped (no chromium; apt-get install chromium)")
                return 0
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=executable, args=FLAGS)
                tab = browser.new_page(viewport={"width": 1360, "height": 900})
                tab.goto(f"{base}/r/{name}")
                browser_times = []
                for i in range(args.rounds):
                    status = "ausgeschlossen" if i % 2 == 0 else "vereinbart"
                    elapsed = tab.evaluate(
                        """(id) => new Promise((resolve) => {
                            const start = performance.now();
                            document.body.addEventListener('htmx:afterSettle',
                                () => resolve(performance.now() - start), {once: true});
                            document.getElementById(id).click();
                        })""", f"q-clauses-overspending-{status}")
                    browser_times.append(elapsed)
                print(figures("browser (click -> verdict shown)", browser_times))
                verdict_first, questions_after = [], []  # an answer that changes which questions are asked
                for i in range(max(4, args.rounds // 3)):
                    times = tab.evaluate(
                        """(id) => new Promise((resolve) => {
                            const start = performance.now();
                            const times = [];
                            const done = (event) => {
                                times.push(performance.now() - start);
                                const path = (event.detail.pathInfo || {}).requestPath || '';
                                if (path.includes('/interview')) {
                                    document.body.removeEventListener('htmx:afterSettle', done);
                                    resolve(times);
                                }
                            };
                            document.body.addEventListener('htmx:afterSettle', done);
                            document.getElementById(id).click();
                        })""", "f-field-of-work-eingliederungshilfe")
                    verdict_first.append(times[0])
                    questions_after.append(times[-1])
                print(figures("browser, questions change: verdict", verdict_first))
                print(figures("  ... new questions shown", questions_after))
                browser.close()
    finally:
        httpd.shutdown()
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
