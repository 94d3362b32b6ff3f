"""Stable fingerprints of findings, shared by the baseline, SARIF and the ``diff`` command.

Definition (version 1; change :data:`VERSION` if it ever changes):

* A finding is identified by **rule id and verdict** within one agreement. Every rule
  gives exactly one finding per agreement, so this pair is unique there. For a waived
  finding (*ausgenommen*) the verdict is the one the waiver set aside (``underlying``):
  waiving a violation does not make it a different finding.
* Line numbers, columns, evidence values, titles and the language are **not** part of
  it: moving a clause, rewording a title or translating the report keeps the
  fingerprint. A rule that turns from *ungeklärt* to *verletzt* gets a new one (the
  draft got worse: that is a new finding for a baseline).
* :func:`finding_fingerprint` is independent of the file, for comparing two versions of
  one agreement (``diff``). :func:`located_fingerprint` adds the agreement's file as a
  project-relative POSIX path (see :func:`project_path`), for a baseline or a SARIF
  ``partialFingerprints`` entry that covers many agreements.

Both are the first 16 hex digits of SHA-256 over the NUL-separated parts, prefixed by
the version: ``sha256("budgetcheck-finding/1\\0RULE-ID\\0VERDICT")`` and
``sha256("budgetcheck-finding/1\\0FILE\\0RULE-ID\\0VERDICT")``.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, Optional, Union

VERSION = 1
SARIF_KEY = f"budgetcheckFinding/v{VERSION + 1}"  # v1 (rule, file, model path) was used before
_PREFIX = f"budgetcheck-finding/{VERSION}"


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join((_PREFIX, *parts)).encode("utf-8")).hexdigest()[:16]


def verdict_of(finding: Any) -> str:
    """The verdict a fingerprint uses: the underlying one for a waived finding."""
    verdict = finding.underlying if getattr(finding, "underlying", None) is not None else finding.verdict
    return verdict.value if hasattr(verdict, "value") else str(verdict)


def finding_fingerprint(finding: Any) -> str:
    """File-independent fingerprint of a finding (rule id and verdict)."""
    return _digest(finding.id, verdict_of(finding))


def located_fingerprint(file: str, finding: Any) -> str:
    """Fingerprint of a finding in a given agreement file (``file`` as :func:`project_path` gives it)."""
    return _digest(file, finding.id, verdict_of(finding))


def find_project_root(start: Union[str, Path, None] = None) -> Path:
    """The git top level above ``start`` (default: the working directory), else ``start`` itself."""
    here = Path(start or os.getcwd()).resolve()
    for directory in (here, *here.parents):
        if (directory / ".git").exists():
            return directory
    return here


def project_path(path: str, root: Optional[Path]) -> str:
    """``path`` relative to ``root`` with ``/`` separators; absolute if it lies outside ``root``.

    The name an agreement has in a baseline, in SARIF (relative to the ``PROJECTROOT``
    base) and in the GitLab and GitHub formats, whatever the working directory was.
    """
    if root is None:
        return Path(path).as_posix()
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(root).as_posix()
    except ValueError:
        return absolute.as_posix()
