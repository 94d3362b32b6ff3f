"""The pipeline for one agreement: facts -> engine session -> Result."""

from __future__ import annotations

import datetime as dt
from typing import Optional

from checker.engine import engine_for
from checker.model import Agreement, Waiver
from checker.rules import Catalogue
from checker.verdicts import AgreementResult, build_result


def evaluate(agreement: Agreement, catalogue: Catalogue, *, path: str = "<eingabe>", sha256: str = "",
             locations: Optional[dict] = None, check_date: Optional[dt.date] = None,
             extra_waivers: Optional[list[tuple[Waiver, str, Optional[int]]]] = None,
             selected: Optional[set[str]] = None) -> AgreementResult:
    """Evaluate one agreement against the catalogue (one durable_rules session)."""
    outcome = engine_for(catalogue).evaluate(agreement)
    return build_result(catalogue, outcome, agreement, path=path, sha256=sha256, locations=locations or {},
                        check_date=check_date or dt.date.today(), extra_waivers=extra_waivers,
                        selected=selected)


def check_file(path: str, catalogue: Catalogue, *, lang: str = "de", check_date: Optional[dt.date] = None,
               extra_waivers: Optional[list[tuple[Waiver, str, Optional[int]]]] = None,
               selected: Optional[set[str]] = None) -> AgreementResult:
    """Load (raising loader.InputError on bad input) and evaluate one agreement file."""
    from checker.loader import load_agreement

    loaded = load_agreement(path, lang=lang)
    return evaluate(loaded.agreement, catalogue, path=loaded.path, sha256=loaded.sha256,
                    locations=loaded.locations, check_date=check_date, extra_waivers=extra_waivers,
                    selected=selected)
