"""The Prüfbericht as PDF: the short (or full) HTML report printed by WeasyPrint.

Why WeasyPrint: it implements CSS paged media (``@page`` size and margins, running
headers from ``string-set``, ``counter(page)`` / ``counter(pages)`` for "Seite N von M",
``target-counter`` for the page numbers of the table of contents), so the PDF comes from
the very HTML and CSS of ``-o html`` with no second layout to keep in step. It is a
well-kept Python library (BSD licence) that needs no browser; its one system
requirement is Pango (Debian: ``libpango-1.0-0 libpangoft2-1.0-0``) and a font
(``fonts-dejavu-core``), which ``.ci/run`` installs. Headless Chromium would need a
browser process per report and prints page numbers only through its own header
template; ReportLab would need a second layout in Python.

The PDF is deterministic: WeasyPrint writes no creation date unless the HTML asks for one,
and the same HTML gives the same bytes.
"""

from __future__ import annotations

import logging


class PdfUnavailable(RuntimeError):
    """WeasyPrint or the system libraries it needs (Pango) are missing."""


def render_pdf(html: str) -> bytes:
    """The PDF of one self-contained HTML document (A4 and page furniture come from its CSS)."""
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: the Pango library cannot be loaded
        raise PdfUnavailable(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    return weasyprint.HTML(string=html).write_pdf()
