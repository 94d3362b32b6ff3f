"""Where the rule catalogue and the report templates live.

In a checkout (and an editable install) they are the repository's top-level
``rules/`` and ``templates/``. A regular install ships copies inside the
package (``checker/data/rules``, ``checker/data/templates``; see pyproject.toml).
``BUDGETCHECK_RULES_DIR`` overrides the rules directory (for rule authors).
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
REPO = PACKAGE.parent
IN_CHECKOUT = (REPO / "pyproject.toml").is_file()


def rules_dir() -> Path:
    env = os.environ.get("BUDGETCHECK_RULES_DIR")
    if env:
        return Path(env)
    if IN_CHECKOUT:
        return REPO / "rules"
    return PACKAGE / "data" / "rules"


def templates_dir() -> Path:
    return REPO / "templates" if IN_CHECKOUT else PACKAGE / "data" / "templates"
