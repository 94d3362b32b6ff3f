"""The legal regime of an agreement: which law was in force for its field of work and its term.

The law in force on the agreement's dates decides which rule variants apply and which
paragraphs a report may cite. Eingliederungshilfe is the field where the law changed:
until 31.12.2019 the agreements were governed by SGB XII §§ 75 ff. in the old wording
(SGB XII a. F.; before 1.1.2005 by the BSHG), from 1.1.2020 by SGB IX Teil 2 (§§ 123 ff.).

* The **reference date** (Stichtag) is the start of the term, else the signing date, else the
  draft date (``Agreement.reference_date``).
* An agreement whose term runs across a change (start before, end after 1.1.2020) is under both
  regimes in turn: the rules and citations of both apply.
* Unknown dates or an unknown field of work never narrow anything: then every citation that
  might apply is kept and the report says that the regime is open.

A citation (``LegalRef``) carries ``fields`` and ``valid_from``/``valid_until``: from the rule,
else from its entry in ``rules/legal-basis.yaml``, else from the law's defaults below.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterable, Optional

from checker.model import Agreement, FieldOfWork

# The day SGB IX Teil 2 (Eingliederungshilfe, §§ 90 ff., 123 ff.) replaced SGB XII §§ 53 ff., 75 ff.
SGB_IX_TEIL_2_FROM = dt.date(2020, 1, 1)
SGB_XII_OLD_UNTIL = dt.date(2019, 12, 31)
# The day SGB XII replaced the BSHG (§ 93 BSHG: agreements with providers).
SGB_XII_FROM = dt.date(2005, 1, 1)
BSHG_UNTIL = dt.date(2004, 12, 31)

EGH = FieldOfWork.eingliederungshilfe.value
KJH = FieldOfWork.kinder_jugendhilfe.value
SOZ = FieldOfWork.sozialhilfe.value

# Where each law applies when its entry says nothing else: (fields or None = every field, from, until).
LAW_SCOPES: dict[str, list[tuple[Optional[frozenset[str]], Optional[dt.date], Optional[dt.date]]]] = {
    "SGB VIII": [(frozenset({KJH}), None, None)],
    "SGB IX": [(frozenset({EGH}), SGB_IX_TEIL_2_FROM, None)],
    "SGB XII": [(frozenset({EGH}), SGB_XII_FROM, SGB_XII_OLD_UNTIL), (frozenset({SOZ}), SGB_XII_FROM, None)],
    "SGB XII a. F.": [(frozenset({EGH, SOZ}), SGB_XII_FROM, SGB_XII_OLD_UNTIL)],
    "SGB X": [(None, None, None)],
    "GWB": [(None, None, None)],
    "GG": [(None, None, None)],
}


@dataclass(frozen=True)
class Regime:
    """Field(s) of work and term of one agreement, as far as they are stated."""

    fields: Optional[frozenset[str]]  # None: not stated
    start: Optional[dt.date]  # reference date (with only a start year: 1 January of that year)
    end: Optional[dt.date]  # last day of the term as far as known; None: not stated
    start_source: str = ""  # "start" | "signing_date" | "draft_date" | "start_year"

    @classmethod
    def of(cls, agreement: Agreement) -> "Regime":
        fields = frozenset(f.value for f in agreement.field_of_work) if agreement.field_of_work else None
        meta = agreement.meta
        period = meta.period
        start = agreement.reference_date()
        latest_start = start
        source = ""
        if period and period.start:
            source = "start"
        elif meta.signing_date:
            source = "signing_date"
        elif meta.draft_date:
            source = "draft_date"
        elif period and period.start_year:
            # only the year is known: the term may have begun on any day of it
            source = "start_year"
            start, latest_start = dt.date(period.start_year, 1, 1), dt.date(period.start_year, 12, 31)
        end = None
        if period and period.end and start and period.end >= start:
            end = period.end
        elif period and period.duration_months and latest_start:
            after = _add_months(latest_start, period.duration_months)
            end = after if after == dt.date.max else after - dt.timedelta(days=1)
        elif latest_start != start:
            end = latest_start
        return cls(fields, start, end, source)

    @property
    def last(self) -> Optional[dt.date]:
        """The last day of the term that can be known (the reference date when the end is not stated)."""
        return self.end or self.start

    # ---- time

    def overlaps(self, valid_from: Optional[dt.date], valid_until: Optional[dt.date]) -> Optional[bool]:
        """Was a provision valid from..until in force at some time of the term? None: unknown."""
        if self.start is None:
            return None if (valid_from or valid_until) else True
        last = self.last
        if valid_from and last < valid_from:
            return False
        if valid_until and self.start > valid_until:
            return False
        return True

    # ---- citations

    def cites(self, ref: Any) -> bool:
        """Whether a report on this agreement cites ``ref`` (unknown facts never drop a citation)."""
        for fields, valid_from, valid_until in scopes_of(ref):
            if fields is not None and self.fields is not None and not (fields & self.fields):
                continue
            if self.overlaps(valid_from, valid_until) is False:
                continue
            return True
        return False

    def certainly_in(self, scope: Any) -> bool:
        """The agreement certainly falls in ``scope`` (fields/valid_from/valid_until): for rule variants."""
        fields = getattr(scope, "fields", None)
        if fields:  # every field of the agreement is one of the variant's
            if self.fields is None or not self.fields <= frozenset(getattr(f, "value", f) for f in fields):
                return False
        valid_from, valid_until = getattr(scope, "valid_from", None), getattr(scope, "valid_until", None)
        if valid_from or valid_until:
            return self.overlaps(valid_from, valid_until) is True
        return True

    def wording(self, rule: Any, name: str) -> Any:
        """The rule's ``rationale``/``recommendation``/``question`` for this regime (a variant's, if one fits)."""
        for variant in getattr(rule, "variants", None) or ():
            text = getattr(variant, name, None)
            if text is not None and self.certainly_in(variant):
                return text
        return getattr(rule, name)

    # ---- the sentence in the report

    def egh_regimes(self) -> list[str]:
        """Which Eingliederungshilfe regimes the term touches: 'bshg', 'sgb12', 'sgb9' (all when unknown)."""
        out = []
        for key, since, until in (("bshg", None, BSHG_UNTIL), ("sgb12", SGB_XII_FROM, SGB_XII_OLD_UNTIL),
                                  ("sgb9", SGB_IX_TEIL_2_FROM, None)):
            if self.overlaps(since, until) is not False:
                out.append(key)
        return out

    def label(self, lang: str) -> str:
        de = lang == "de"
        parts: list[str] = []
        fields = self.fields
        unknown_field = fields is None
        if unknown_field or KJH in fields:
            parts.append("SGB VIII (Kinder- und Jugendhilfe)" if de else
                         "SGB VIII (child and youth welfare)")
        if unknown_field or EGH in fields:
            names = {
                "bshg": ("BSHG (bis 31.12.2004)", "BSHG (until 31 Dec 2004)"),
                "sgb12": ("SGB XII in der bis 31.12.2019 geltenden Fassung (§§ 53 ff., 75 ff. SGB XII a. F.)",
                          "SGB XII as in force until 31 Dec 2019 (§§ 53 ff., 75 ff. SGB XII old version)"),
                "sgb9": ("SGB IX Teil 2 in der ab 1.1.2020 geltenden Fassung (§§ 90 ff., 123 ff. SGB IX)",
                         "SGB IX part 2 as in force from 1 Jan 2020 (§§ 90 ff., 123 ff. SGB IX)"),
            }
            regimes = self.egh_regimes() if self.start is not None else ["sgb12", "sgb9"]
            texts = [names[r][0 if de else 1] for r in regimes]
            joiner = " und " if de else " and "
            prefix = "Eingliederungshilfe: " if de else "Eingliederungshilfe: "
            if self.start is None:
                note = (" (Stichtag nicht angegeben: Zitate aus beiden Fassungen)" if de else
                        " (no reference date: citations of both versions)")
            elif len(texts) > 1:
                note = (" (die Laufzeit reicht über den Wechsel: beide gelten nacheinander)" if de else
                        " (the term runs across the change: both apply in turn)")
            else:
                note = ""
            parts.append(prefix + joiner.join(texts) + note)
        if not unknown_field and SOZ in fields:
            parts.append("SGB XII (Sozialhilfe)" if de else "SGB XII (social assistance)")
        if unknown_field:
            parts.append("Arbeitsfeld nicht angegeben" if de else "field of work not stated")
        if self.start is not None:
            source = {"start": ("Laufzeitbeginn", "start of term"), "signing_date": ("Unterzeichnung", "signing"),
                      "draft_date": ("Entwurfsdatum", "draft date"),
                      "start_year": ("nur das Jahr des Laufzeitbeginns ist bekannt", "only the start year is known"),
                      }.get(self.start_source, ("", ""))
            date = f"{self.start.day}.{self.start.month}.{self.start.year}" if de else self.start.isoformat()
            if self.start_source == "start_year":
                date = str(self.start.year)
            stichtag = (f"Stichtag {date} ({source[0]})" if de else f"reference date {date} ({source[1]})")
            if self.end is not None:
                end = f"{self.end.day}.{self.end.month}.{self.end.year}" if de else self.end.isoformat()
                if self.start_source == "start_year":
                    stichtag += f", Laufzeit spätestens bis {end}" if de else f", term at the latest until {end}"
                else:
                    stichtag += f", Laufzeit bis {end}" if de else f", term until {end}"
        else:
            stichtag = "kein Stichtag angegeben" if de else "no reference date stated"
        return "; ".join(parts) + f" – {stichtag}"


def _add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months``; beyond the last representable date (9999-12-31, e.g. a stated term of
    837,260 months -- found by the fuzz harness) it is that date, before the first the first."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    if year > dt.MAXYEAR:
        return dt.date.max
    if year < dt.MINYEAR:
        return dt.date.min
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    last = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    return dt.date(year, month, min(day.day, last))


def scopes_of(ref: Any) -> list[tuple[Optional[frozenset[str]], Optional[dt.date], Optional[dt.date]]]:
    """Where a citation applies: its own fields/dates, else its law's defaults, else everywhere."""
    fields = getattr(ref, "fields", None)
    valid_from = getattr(ref, "valid_from", None)
    valid_until = getattr(ref, "valid_until", None)
    if fields or valid_from or valid_until:
        return [(frozenset(getattr(f, "value", f) for f in fields) if fields else None, valid_from, valid_until)]
    law = getattr(ref, "law", None)
    if law in LAW_SCOPES:
        return LAW_SCOPES[law]
    return [(None, None, None)]


def cited(refs: Iterable[Any], regime: Optional[Regime]) -> list[Any]:
    """The citations of a rule that a report on an agreement under ``regime`` shows."""
    refs = list(refs)
    if regime is None:
        return refs
    return [r for r in refs if regime.cites(r)]
