"""The agreement model: a structured description of one budget agreement.

Identifiers are English; descriptions (shown in the JSON Schema and in
``budgetcheck init``) are German. Enum values are lower-case ASCII; domain terms
that have no faithful English name keep their German name (``traegerbudget``,
``sozialraum``, ``schwerpunkttraeger`` ...).

Three states are kept apart everywhere:

* a value that is stated (``True``, ``False``, a number, an enum value),
* for clauses: ``status: ausgeschlossen`` -- the agreement excludes or
  contradicts the clause (known false); ``status: fehlt`` -- the draft was read
  and does not regulate it (the draft is silent: a missing protective clause is
  a finding, see rules/README.md),
* for protective yes/no, enum and number facts marked with :class:`Silence`: ``fehlt`` -- the
  draft says nothing about it; the rules read what silence means (``false``, ``keine``, 0),
* a value that is *not known* (the field is left out, or a clause has
  ``status: unbekannt``, the default: nobody has looked yet). Not known is never
  treated as fulfilled: rules that depend on it come out *ungeklärt*.

Format 2 (``FORMAT_VERSION``) introduced ``fehlt``/``unbekannt``; format 1 had
one status ``nicht_geregelt`` for both, meaning "not stated". The loader reads a
format-1 file as format 2 (``nicht_geregelt`` -> ``unbekannt``) with a
deprecation note; ``budgetcheck migrate`` rewrites the file.
"""

# (no ``from __future__ import annotations``: pydantic would turn every annotation of the model
# classes here back from a string into a type at import, with compile and eval; cold start)

import datetime as dt
import sys
from enum import Enum
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, model_validator
from pydantic_core import PydanticKnownError

FORMAT_VERSION = 2
# Oldest format the loader still reads (with a deprecation note, see checker.migrate).
OLDEST_FORMAT_VERSION = 1

# Upper bound for any amount: well above every public budget, low enough that
# arithmetic in the engine stays exact enough and that hostile numbers are refused.
MAX_AMOUNT = 1e13
# Entries of one list: far beyond any real agreement, small enough that every rule stays cheap
# (a finding's evidence never lists more than a few of them).
MAX_LIST_ITEMS = 1_000


def _no_number(value: object) -> object:
    """Refuse numbers for dates (pydantic would read them as Unix timestamps)."""
    if isinstance(value, (int, float)):
        raise PydanticKnownError("date_type")
    return value


# Numbers, flags and dates are strict: ``true`` is no amount, ``1`` is no flag,
# ``"12.500"`` is not silently 12.5 and ``20240101`` is no date.
Amount = Annotated[float, Field(ge=0, le=MAX_AMOUNT, allow_inf_nan=False, strict=True)]
Percent = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False, strict=True)]
Count = Annotated[int, Field(ge=0, le=100_000_000, strict=True)]
Flag = Annotated[bool, Field(strict=True)]
Date = Annotated[dt.date, BeforeValidator(_no_number)]
ShortText = Annotated[str, Field(max_length=2_000)]

# ``fehlt`` for a single yes/no or enum fact: the draft was read and says nothing about it.
ABSENT = "fehlt"


@dataclass(frozen=True)
class Silence:
    """Marks a fact that may be ``fehlt`` and what the rules read then: silence grants nothing,
    so a flag reads ``false`` (no opening clause, no exclusivity promised, tariff increases not
    covered) and a mechanism ``keine``. The model keeps ``fehlt``; the report shows "Die
    Vereinbarung regelt … nicht". Only for protective facts a draft may regulate or be silent on
    (rules/README.md); facts that describe the model itself (who holds the budget) have none."""

    value: Any


# a yes/no fact of a clause or of the budget that the draft may be silent on (``fehlt`` reads as false)
SilentFlag = Annotated[Union[Flag, Literal["fehlt"]], Silence(False)]


def silence_at(path: str) -> Optional[Silence]:
    """The :class:`Silence` of a model path ("clauses.cost_increases.covers_tariff", list indices
    allowed), None where ``fehlt`` is not allowed."""
    import re as _re
    import typing

    node: Any = Agreement
    annotation: Any = None
    for part in _re.sub(r"\[\d*\]", "", path).split("."):
        fields = getattr(node, "model_fields", None)
        if not fields or part not in fields:
            return None
        annotation = fields[part].annotation
        node = None
        stack = [annotation]
        while stack:
            candidate = stack.pop()
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                node = candidate
                break
            stack.extend(typing.get_args(candidate))
    return silence_of(annotation) if annotation is not None else None


def silence_of(annotation: Any) -> Optional[Silence]:
    """The :class:`Silence` of a field's annotation (None: ``fehlt`` is not allowed there)."""
    import typing

    for meta in getattr(annotation, "__metadata__", ()):
        if isinstance(meta, Silence):
            return meta
    for argument in typing.get_args(annotation):
        if argument is not type(None) and not isinstance(argument, str):
            found = silence_of(argument)
            if found is not None:
                return found
    return None
LongText = Annotated[str, Field(max_length=20_000)]


class Base(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        use_enum_values=False,
        validate_default=False,
        str_strip_whitespace=False,
        # validators are made at the end of this module, from the private cache if it holds them
        # (see _complete_models); a class defined later builds its own on first use
        defer_build=True,
    )


# --------------------------------------------------------------------------- enums


class Land(str, Enum):
    """Die 16 Länder (Rahmenverträge und Eckpunkte gelten je Land)."""

    baden_wuerttemberg = "baden_wuerttemberg"
    bayern = "bayern"
    berlin = "berlin"
    brandenburg = "brandenburg"
    bremen = "bremen"
    hamburg = "hamburg"
    hessen = "hessen"
    mecklenburg_vorpommern = "mecklenburg_vorpommern"
    niedersachsen = "niedersachsen"
    nordrhein_westfalen = "nordrhein_westfalen"
    rheinland_pfalz = "rheinland_pfalz"
    saarland = "saarland"
    sachsen = "sachsen"
    sachsen_anhalt = "sachsen_anhalt"
    schleswig_holstein = "schleswig_holstein"
    thueringen = "thueringen"


class AgreementStatus(str, Enum):
    """Bearbeitungsstand der Vereinbarung."""

    geplant = "geplant"  # Konzept, noch kein Vertragsentwurf
    entwurf = "entwurf"
    unterzeichnet = "unterzeichnet"
    beendet = "beendet"  # ausgelaufen oder aufgegeben


class FieldOfWork(str, Enum):
    """Arbeitsfeld."""

    kinder_jugendhilfe = "kinder_jugendhilfe"  # SGB VIII
    eingliederungshilfe = "eingliederungshilfe"  # SGB IX (bis 2019: SGB XII / BSHG)
    sozialhilfe = "sozialhilfe"  # SGB XII / BSHG ohne Eingliederungshilfe
    sonstiges = "sonstiges"


class ProviderKind(str, Enum):
    frei_gemeinnuetzig = "frei_gemeinnuetzig"
    privat_gewerblich = "privat_gewerblich"
    oeffentlich = "oeffentlich"


class ProviderRole(str, Enum):
    alleiniger_traeger = "alleiniger_traeger"
    schwerpunkttraeger = "schwerpunkttraeger"
    verbundmitglied = "verbundmitglied"
    gewaehrleistungstraeger = "gewaehrleistungstraeger"
    subunternehmer = "subunternehmer"


class BudgetForm(str, Enum):
    traegerbudget = "traegerbudget"
    sozialraumbudget = "sozialraumbudget"
    verwaltungsintern = "verwaltungsintern"  # Budget verbleibt in der Verwaltung (ASD, WJH)
    verfuegungsfonds = "verfuegungsfonds"
    fachleistungsstunden = "fachleistungsstunden"


class BudgetHolder(str, Enum):
    """Wer das Geld hält bzw. bewirtschaftet."""

    traeger = "traeger"
    traegerverbund = "traegerverbund"
    gemeinnuetzige_gesellschaft = "gemeinnuetzige_gesellschaft"
    asd = "asd"
    wirtschaftliche_jugendhilfe = "wirtschaftliche_jugendhilfe"
    verwaltung = "verwaltung"


class AllocationModel(str, Enum):
    monopolist = "monopolist"
    traegerverbund = "traegerverbund"
    gewaehrleistungstraeger = "gewaehrleistungstraeger"
    gemeinnuetzige_gesellschaft = "gemeinnuetzige_gesellschaft"
    einzelvereinbarungen = "einzelvereinbarungen"


class Scope(str, Enum):
    """Räumlicher Zuschnitt, auf den sich das Budget bezieht."""

    quartier = "quartier"
    sozialraum = "sozialraum"
    planungsraum = "planungsraum"
    bezirk = "bezirk"
    gesamtstadt = "gesamtstadt"
    landkreis = "landkreis"
    land = "land"


class ClaimType(str, Enum):
    subjektbezogen = "subjektbezogen"  # individueller Rechtsanspruch
    objektbezogen = "objektbezogen"  # Infrastruktur


class Setting(str, Enum):
    ambulant = "ambulant"
    teilstationaer = "teilstationaer"
    stationaer = "stationaer"
    offen = "offen"  # offene, niedrigschwellige Angebote


class Dimension(str, Enum):
    fallspezifisch = "fallspezifisch"
    falluebergreifend = "falluebergreifend"
    fallunspezifisch = "fallunspezifisch"


class ServiceCategory(str, Enum):
    hilfen_zur_erziehung = "hilfen_zur_erziehung"
    # Erziehungsberatung (§ 28 SGB VIII) and other niedrigschwellige ambulant aids used directly, without a prior
    # decision of the youth office (§ 36a Abs. 2 SGB VIII)
    erziehungsberatung = "erziehungsberatung"
    vollzeitpflege = "vollzeitpflege"  # § 33 SGB VIII: not an offer under § 78a (no §§ 78b-78g agreements)
    eingliederungshilfe = "eingliederungshilfe"
    sajf_sha = "sajf_sha"
    offene_kinder_jugendarbeit = "offene_kinder_jugendarbeit"
    jugendsozialarbeit = "jugendsozialarbeit"
    familienfoerderung = "familienfoerderung"
    sozialhilfe = "sozialhilfe"
    sonstiges = "sonstiges"


class CalculationBasis(str, Enum):
    vorjahr_ist = "vorjahr_ist"
    mehrjahresdurchschnitt = "mehrjahresdurchschnitt"
    jahrespauschalen = "jahrespauschalen"  # Pauschale je Klient x Fallzahl
    landesentgelte = "landesentgelte"  # auf Landesebene vereinbarte Leistungsentgelte
    sozialindikatoren = "sozialindikatoren"
    fallprognose = "fallprognose"
    tatsaechliche_kosten = "tatsaechliche_kosten"


class ClauseStatus(str, Enum):
    """Was der Entwurf zu einer Klausel sagt."""

    vereinbart = "vereinbart"  # der Entwurf regelt es so
    ausgeschlossen = "ausgeschlossen"  # der Entwurf schließt es aus oder regelt das Gegenteil
    fehlt = "fehlt"  # der Entwurf wurde gelesen und regelt es nicht
    unbekannt = "unbekannt"  # noch nicht geprüft (Standard; wie weglassen)


class IncreaseMechanism(str, Enum):
    automatisch = "automatisch"
    index = "index"
    nachverhandlung = "nachverhandlung"
    keine = "keine"


class AdjustmentTiming(str, Enum):
    unterjaehrig = "unterjaehrig"
    folgejahr = "folgejahr"


class OverspendingMode(str, Enum):
    anspruch = "anspruch"  # verbindliche Nachfinanzierung
    ermessen = "ermessen"  # Nachfinanzierung nach Ermessen des Budgetgebers
    keine = "keine"


class SurplusHandling(str, Enum):
    verbleibt_beim_traeger = "verbleibt_beim_traeger"
    teilweise = "teilweise"
    rueckzahlung = "rueckzahlung"


class SelectionProcedure(str, Enum):
    keines = "keines"
    interessenbekundung = "interessenbekundung"
    jugendhilfeausschuss = "jugendhilfeausschuss"
    ausschreibung_gwb = "ausschreibung_gwb"
    ausschreibung_vgv = "ausschreibung_vgv"
    ausschreibung_uvgo = "ausschreibung_uvgo"
    bewerbungsverfahren = "bewerbungsverfahren"  # offenes Bewerbungsverfahren ohne Vergaberecht


class OutsideProviderPayer(str, Enum):
    budget = "budget"
    oeffentlicher_traeger = "oeffentlicher_traeger"
    leistungsberechtigte = "leistungsberechtigte"


class Principle(str, Enum):
    """Die fünf Prinzipien des Fachkonzepts Sozialraumorientierung."""

    wille = "wille"
    eigeninitiative = "eigeninitiative"
    ressourcen = "ressourcen"
    zielgruppenuebergreifend = "zielgruppenuebergreifend"
    kooperation = "kooperation"


class EarmarkPurpose(str, Enum):
    ehrenamt = "ehrenamt"
    fortbildung = "fortbildung"
    vernetzung = "vernetzung"
    fallunspezifische_arbeit = "fallunspezifische_arbeit"
    sonstiges = "sonstiges"


class Instalments(str, Enum):
    monatlich = "monatlich"
    quartalsweise = "quartalsweise"
    halbjaehrlich = "halbjaehrlich"
    jaehrlich = "jaehrlich"
    nach_abrechnung = "nach_abrechnung"


# --------------------------------------------------------------------------- parts


class Period(Base):
    start: Optional[Date] = Field(None, description="Beginn der Laufzeit")
    end: Optional[Date] = Field(None, description="Ende der Laufzeit")
    duration_months: Optional[Count] = Field(
        None, description="Laufzeit in Monaten, wenn sie ohne genaue Daten angegeben ist (z. B. 'fünf Jahre')"
    )
    start_year: Optional[Annotated[int, Field(ge=1950, le=2200, strict=True)]] = Field(
        None,
        description="Jahr des Laufzeitbeginns, wenn kein Tagesdatum bekannt ist (z. B. 'im Jahr 2014'); "
        "bestimmt mit duration_months den Rechtsstand (Eingliederungshilfe: altes Recht bis 2019, neues ab 2020)",
    )
    note: Optional[LongText] = Field(None, description="Anmerkung, z. B. wenn nur das Jahr bekannt ist")


class Meta(Base):
    title: ShortText = Field(description="Titel der Vereinbarung")
    identifier: Optional[ShortText] = Field(None, description="Aktenzeichen oder Kennung")
    status: Optional[AgreementStatus] = Field(None, description="geplant, Entwurf, unterzeichnet oder beendet")
    version: Optional[ShortText] = Field(None, description="Fassung bzw. Versionsstand")
    draft_date: Optional[Date] = Field(None, description="Datum des Entwurfs")
    land: Optional[Land] = Field(None, description="Bundesland")
    municipality: Optional[ShortText] = Field(None, description="Kommune bzw. Kreis")
    district: Optional[ShortText] = Field(None, description="Bezirk")
    signing_date: Optional[Date] = Field(None, description="Datum der Unterzeichnung")
    period: Optional[Period] = Field(None, description="Laufzeit")
    note: Optional[LongText] = Field(None, description="Anmerkung der prüfenden Person")


class Giver(Base):
    name: Optional[ShortText] = Field(None, description="Budgetgeber (öffentlicher Träger)")
    unit_with_regiekompetenz: Optional[ShortText] = Field(
        None, description="Stelle mit Regiekompetenz, z. B. ASD oder Jugendamt"
    )
    note: Optional[LongText] = Field(None, description="Anmerkung der prüfenden Person")


class Taker(Base):
    name: Optional[ShortText] = Field(None, description="Name des Budgetnehmers")
    kind: Optional[ProviderKind] = Field(None, description="Art des Trägers")
    wertorientierung: Optional[ShortText] = Field(
        None, description="Wertorientierung, z. B. evangelisch, katholisch, weltanschaulich neutral"
    )
    role: Optional[ProviderRole] = Field(None, description="Rolle im Budgetmodell")
    anchored_in_sozialraum: Optional[Flag] = Field(
        None, description="Im Quartier/Sozialraum verankert (laut Vereinbarung oder Nachweis)"
    )
    anchoring_evidence: Optional[list[ShortText]] = Field(
        None, max_length=MAX_LIST_ITEMS, description="Nachweise der Verankerung im Sozialraum (frei formuliert)"
    )
    note: Optional[LongText] = Field(None, description="Anmerkung der prüfenden Person")


class Parties(Base):
    giver: Optional[Giver] = Field(None, description="Budgetgeber")
    takers: Optional[list[Taker]] = Field(
        None, max_length=MAX_LIST_ITEMS, description="Budgetnehmer (ein oder mehrere Träger)")


class BudgetModel(Base):
    budget_form: Optional[BudgetForm] = Field(None, description="Form des Budgets")
    holder: Optional[BudgetHolder] = Field(None, description="Wer das Budget hält")
    managed_by: Optional[BudgetHolder] = Field(None, description="Wer das Budget verwaltet/bewirtschaftet")
    provider_has_full_disposal: Optional[SilentFlag] = Field(
        None,
        description="Träger verfügt in vollem Umfang über das Budget, unabhängig von der Fallzahl "
        "(wichtig, wenn die Wirtschaftliche Jugendhilfe verwaltet)",
    )
    allocation_model: Optional[AllocationModel] = Field(None, description="Aufteilungsmodell (ISSAB 6.3)")
    scope: Optional[Scope] = Field(None, description="Räumlicher Zuschnitt des Budgets")
    temporary_step: Optional[SilentFlag] = Field(
        None, description="Ausdrücklich als befristeter Zwischenschritt vereinbart"
    )
    includes_verfuegungsfonds: Optional[Flag] = Field(
        None, description="Ein Verfügungsfonds ist Teil dieses Budgets"
    )
    flat_rate_per_client: Optional[Flag] = Field(
        None, description="Finanzierung über einheitliche Pauschalen je Klient"
    )
    note: Optional[LongText] = Field(None, description="Anmerkung der prüfenden Person")


class Sozialraum(Base):
    name: Optional[ShortText] = Field(None, description="Name des Sozialraums")
    inhabitants: Optional[Count] = Field(None, description="Einwohnerzahl")
    planning_area: Optional[ShortText] = Field(None, description="Planungsraum")
    note: Optional[LongText] = Field(None, description="Anmerkung der prüfenden Person")


class Service(Base):
    name: Optional[ShortText] = Field(None, description="Bezeichnung der Leistung")
    legal_basis: Optional[ShortText] = Field(None, description="Rechtsgrundlage, z. B. '§§ 27 ff. SGB VIII'")
    category: Optional[ServiceCategory] = Field(
        None,
        description="Leistungsbereich (erziehungsberatung: Erziehungsberatung und andere ambulante Hilfen, die "
        "nach § 36a Abs. 2 SGB VIII ohne vorherige Entscheidung des Jugendamts in Anspruch genommen werden; "
        "vollzeitpflege: § 33 SGB VIII)",
    )
    claim: Optional[ClaimType] = Field(
        None, description="subjektbezogen (individueller Rechtsanspruch) oder objektbezogen (Infrastruktur)"
    )
    setting: Optional[Setting] = Field(None, description="ambulant, teilstationär, stationär oder offen")
    dimensions: Optional[list[Dimension]] = Field(
        None, max_length=MAX_LIST_ITEMS, description="Dimensionen der Arbeit")
    actual_costs_covered: Optional[Flag] = Field(
        None, description="Tatsächliche Kosten des Trägers werden berücksichtigt (SAJF/SHA)"
    )
    note: Optional[LongText] = Field(None, description="Anmerkung der prüfenden Person")


class Teilbudget(Base):
    name: Optional[ShortText] = Field(None, description="Bezeichnung, z. B. 'Teilbudget A'")
    part_of_total: Optional[Flag] = Field(
        None,
        description="Teil des Gesamtbudgets (false: nur nachrichtlich aufgeführt, z. B. beim öffentlichen "
        "Träger verbleibend); nicht angegeben gilt als Teil",
    )
    purpose: Optional[ShortText] = Field(None, description="Zweck")
    amount: Optional[Amount] = Field(None, description="Betrag pro Jahr in EUR")
    share_percent: Optional[Percent] = Field(None, description="Anteil am Gesamtbudget in Prozent")
    holder: Optional[BudgetHolder] = Field(None, description="Wer dieses Teilbudget hält")
    shiftable: Optional[Flag] = Field(None, description="Mittel zwischen Teilbudgets verschiebbar")
    dimension: Optional[Dimension] = Field(None, description="Dimension der Arbeit, die es finanziert")
    for_existing_cases: Optional[Flag] = Field(None, description="Finanziert Altfälle")
    for_high_cost_cases: Optional[Flag] = Field(
        None, description="Finanziert besonders kostenintensive, unbeeinflussbare Einzelfälle"
    )
    note: Optional[LongText] = Field(None, description="Anmerkung der prüfenden Person")


class ConditionalShare(Base):
    share_percent: Optional[Percent] = Field(None, description="Anteil in Prozent")
    condition: Optional[ShortText] = Field(None, description="Bedingung für die Auszahlung")
    condition_defined: Optional[Flag] = Field(
        None,
        description="Die Vereinbarung benennt die Bedingung (false: Anteil ist an eine nicht benannte "
        "Bedingung geknüpft); bei angegebener Bedingung automatisch true",
    )

    @model_validator(mode="after")
    def _stated_condition_is_defined(self) -> "ConditionalShare":
        if self.condition and self.condition_defined is None:
            self.condition_defined = True
        elif self.condition and self.condition_defined is False:
            raise ValueError("condition ist angegeben, condition_defined aber false")
        return self


class Payout(Base):
    instalments: Optional[Instalments] = Field(None, description="Auszahlungsrhythmus")
    unconditional_share_percent: Optional[Percent] = Field(
        None, description="Unbedingt ausgezahlter Anteil in Prozent"
    )
    conditional_shares: Optional[list[ConditionalShare]] = Field(
        None, max_length=MAX_LIST_ITEMS, description="Bedingt ausgezahlte Anteile mit ihren Bedingungen"
    )
    available_at_period_start: Optional[SilentFlag] = Field(
        None, description="Mittel stehen zu Beginn des Abrechnungszeitraums zur Verfügung"
    )
    section: Optional[ShortText] = Field(None, description="Fundstelle in der Vereinbarung")
    note: Optional[LongText] = Field(None, description="Anmerkung der prüfenden Person")


class Bonus(Base):
    share_percent: Optional[Percent] = Field(None, description="Leistungsbonus in Prozent des Budgets")
    conditions: Optional[ShortText] = Field(None, description="Bedingungen des Leistungsbonus")
    section: Optional[ShortText] = Field(None, description="Fundstelle in der Vereinbarung")
    note: Optional[LongText] = Field(None, description="Anmerkung der prüfenden Person")


class ShareBase(str, Enum):
    """Worauf sich ein Prozentanteil bezieht."""

    gesamtbudget = "gesamtbudget"
    teilbudget = "teilbudget"
    landesentgelte = "landesentgelte"
    tatsaechliche_kosten = "tatsaechliche_kosten"
    sonstiges = "sonstiges"


class Earmark(Base):
    purpose: Optional[EarmarkPurpose] = Field(None, description="Zweck der Zweckbindung")
    share_percent: Optional[Percent] = Field(None, description="Anteil in Prozent")
    share_base: Optional[ShareBase] = Field(
        None, description="Worauf sich der Anteil bezieht (Gesamtbudget, Teilbudget, Landesentgelte, ...)"
    )
    amount: Optional[Amount] = Field(None, description="Betrag in EUR")
    description: Optional[ShortText] = Field(None, description="Beschreibung")
    section: Optional[ShortText] = Field(None, description="Fundstelle in der Vereinbarung")
    note: Optional[LongText] = Field(None, description="Anmerkung der prüfenden Person")


class Budget(Base):
    amount_per_year: Optional[Amount] = Field(None, description="Budget pro Jahr in EUR")
    amount_total: Optional[Amount] = Field(None, description="Budget für den ganzen Budgetzeitraum in EUR")
    amount_stated: Optional[Flag] = Field(
        None,
        description="Die Vereinbarung nennt einen konkreten Betrag (auch wenn er hier nicht eingetragen ist); "
        "bei angegebenem Betrag über 0 automatisch true",
    )
    period_months: Optional[Count] = Field(
        None,
        description="Budgetzeitraum in Monaten, wenn er von der Laufzeit abweicht (z. B. 12 bei einem jährlich "
        "neu berechneten Budget in einer unbefristeten Vereinbarung)",
    )
    calculation_basis: Optional[list[CalculationBasis]] = Field(
        None, max_length=MAX_LIST_ITEMS, description="Berechnungsgrundlage(n)")
    previous_year_actual_costs: Optional[Amount] = Field(
        None, description="Tatsächliche Kosten des Vorjahres in EUR, soweit bekannt"
    )
    reduction_reason: Optional[ShortText] = Field(
        None, description="Begründung, falls das Budget unter den Vorjahreskosten liegt"
    )
    reduction_reason_given: Optional[SilentFlag] = Field(
        None,
        description="Die Vereinbarung begründet ein Budget unter den Vorjahreskosten (false: keine "
        "Begründung); bei angegebener Begründung automatisch true",
    )
    teilbudgets: Optional[list[Teilbudget]] = Field(
        None, max_length=MAX_LIST_ITEMS, description="Teilbudgets")
    payout: Optional[Payout] = Field(None, description="Auszahlungsmodalitäten")
    bonus: Optional[Bonus] = Field(None, description="Leistungsbonus")
    earmarks: Optional[list[Earmark]] = Field(
        None, max_length=MAX_LIST_ITEMS, description="Zweckbindungen")
    note: Optional[LongText] = Field(None, description="Anmerkung der prüfenden Person")

    @model_validator(mode="after")
    def _stated_amount(self) -> "Budget":
        amounts = [a for a in (self.amount_per_year, self.amount_total) if a is not None]
        if amounts and self.amount_stated is None:
            self.amount_stated = any(a > 0 for a in amounts)  # an amount of 0 is no concrete sum
        elif any(a > 0 for a in amounts) and self.amount_stated is False:
            raise ValueError("ein Betrag ist angegeben, amount_stated aber false")
        return self

    @model_validator(mode="after")
    def _stated_reason_is_given(self) -> "Budget":
        if self.reduction_reason and self.reduction_reason_given is None:
            self.reduction_reason_given = True
        elif self.reduction_reason and self.reduction_reason_given in (False, ABSENT):
            raise ValueError("reduction_reason ist angegeben, reduction_reason_given aber false")
        return self


# --------------------------------------------------------------------------- clauses


class ClauseBasis(str, Enum):
    """Worauf sich eine Angabe stützt."""

    vertrag = "vertrag"  # steht im Vertrag
    praxis = "praxis"  # gelebte, dokumentierte Praxis
    geplant = "geplant"  # angekündigt oder vorgesehen


class Clause(Base):
    """A provision of the agreement: agreed, excluded (or contrary), absent from the draft, or unknown."""

    basis: Optional[ClauseBasis] = Field(None, description="Vertrag, Praxis oder nur geplant")
    status: ClauseStatus = Field(
        ClauseStatus.unbekannt,
        description="vereinbart; ausgeschlossen (oder widersprechend geregelt); fehlt (der Entwurf regelt es "
        "nicht); unbekannt (noch nicht geprüft, Standard)",
    )
    section: Optional[ShortText] = Field(None, description="Fundstelle, z. B. '§ 7 Abs. 2'")
    wording: Optional[LongText] = Field(None, description="Wortlaut (optional)")
    note: Optional[LongText] = Field(None, description="Anmerkung der prüfenden Person")


class LegalClaimsClause(Clause):
    granting_limited_to_budget: Optional[SilentFlag] = Field(
        None,
        description="Hilfen werden nur im Rahmen der Budgetmittel gewährt (die Gewährung selbst hängt vom Budget ab)",
    )


class ChoiceClause(Clause):
    opening_clause: Optional[SilentFlag] = Field(
        None, description="Öffnungsklausel: Leistungsberechtigte können Träger außerhalb des Budgets wählen"
    )
    outside_provider_paid_by: Optional[OutsideProviderPayer] = Field(
        None, description="Wer bei Wahl eines Trägers außerhalb des Budgets zahlt"
    )
    limited_to_budget_holders: Optional[SilentFlag] = Field(
        None, description="Wahl ist auf die Budgetnehmer beschränkt"
    )


class ProviderAccessClause(Clause):
    open_to_new_providers: Optional[SilentFlag] = Field(
        None, description="Weitere im Sozialraum verankerte Träger können ein Budget abschließen"
    )
    admission_rules: Optional[SilentFlag] = Field(None, description="Regeln zur Aufnahme neuer Kooperationspartner")
    exclusivity: Optional[SilentFlag] = Field(None, description="Exklusivität für die Budgetnehmer")
    referral_quota_percent: Optional[Annotated[Union[Percent, Literal["fehlt"]], Silence(0)]] = Field(
        None, description="Vorrangige Fallzuweisungsquote für ausgewählte Träger in Prozent"
    )
    agreements_open_to_all_suitable: Optional[SilentFlag] = Field(
        None,
        description="Leistungsvereinbarungen bleiben jedem geeigneten Träger offen, unabhängig vom Budget",
    )
    transitional_guarantee: Optional[SilentFlag] = Field(
        None, description="Befristete Bestandsgarantie für bestehende Träger in der Einstiegsphase"
    )


class SelectionClause(Clause):
    procedure: Optional[SelectionProcedure] = Field(None, description="Auswahlverfahren")
    transparent_criteria: Optional[SilentFlag] = Field(
        None, description="Transparente jugendhilfespezifische Qualitätskriterien"
    )
    published: Optional[SilentFlag] = Field(None, description="Verfahren und Kriterien sind veröffentlicht")
    committee_decides: Optional[SilentFlag] = Field(
        None, description="Der Jugendhilfeausschuss entscheidet über die Auswahl (welches Verfahren auch immer)"
    )


class CostIncreaseClause(Clause):
    mechanism: Optional[Annotated[Union[IncreaseMechanism, Literal["fehlt"]], Silence("keine")]] = Field(
        None, description="Wie Kostensteigerungen berücksichtigt werden")
    covers_tariff: Optional[SilentFlag] = Field(None, description="Tarifsteigerungen sind erfasst")


class FrameworkClause(Clause):
    framework_name: Optional[ShortText] = Field(None, description="Landesrahmenvertrag, der gilt")
    individual_agreements_remain: Optional[SilentFlag] = Field(
        None,
        description="Einzelvereinbarungen (Leistungs-, Entgelt- bzw. Vergütungsvereinbarungen mit jedem Träger) "
        "bleiben neben dem Budget bestehen",
    )


class DemandAdjustmentClause(Clause):
    trigger: Optional[ShortText] = Field(None, description="Auslöser der Anpassung")
    threshold_percent: Optional[Percent] = Field(None, description="Schwelle in Prozent")
    timing: Optional[AdjustmentTiming] = Field(None, description="Wirkung unterjährig oder erst im Folgejahr")
    volume_changes_count: Optional[SilentFlag] = Field(
        None, description="Mengenmäßige Nachfrageänderungen (Fallzahlen, Fallvolumen) lösen die Anpassung aus"
    )
    social_changes_count: Optional[SilentFlag] = Field(
        None, description="Demografische und sozialstrukturelle Veränderungen zählen als Anlass"
    )


class OverspendingClause(Clause):
    mode: Optional[Annotated[Union[OverspendingMode, Literal["fehlt"]], Silence("keine")]] = Field(
        None, description="Nachfinanzierung: anspruch, ermessen, keine")
    procedure: Optional[ShortText] = Field(None, description="Verfahren der Nachfinanzierung")


class SurplusClause(Clause):
    handling: Optional[SurplusHandling] = Field(None, description="Umgang mit Überschüssen")
    retained_share_percent: Optional[Percent] = Field(
        None, description="Anteil der Überschüsse, der beim Träger verbleibt, in Prozent"
    )
    use: Optional[ShortText] = Field(None, description="Verwendung der Überschüsse")
    provision_proven: Optional[SilentFlag] = Field(
        None,
        description="Überschüsse verbleiben nur unter der Voraussetzung, dass nachweislich alle notwendigen "
        "Hilfen geleistet worden sind (ISSAB 2002, Kap. 3.1)",
    )


class SchlichtungClause(Clause):
    callable_by_both: Optional[SilentFlag] = Field(
        None, description="Budgetgeber und Budgetnehmer können die Schlichtungsstelle anrufen"
    )


class TerminationClause(Clause):
    notice_months: Optional[Count] = Field(None, description="Kündigungsfrist in Monaten")


class PrinciplesClause(Clause):
    principles: Optional[list[Principle]] = Field(
        None, max_length=MAX_LIST_ITEMS, description="Ausdrücklich vereinbarte Prinzipien des Fachkonzepts Sozialraumorientierung"
    )


class SteeringClause(Clause):
    parity: Optional[SilentFlag] = Field(None, description="Paritätisch besetzt")
    reviews_agreements: Optional[SilentFlag] = Field(None, description="Begleitet und überprüft die Vereinbarungen")
    composition: Optional[ShortText] = Field(None, description="Zusammensetzung")


class AnchoringClause(Clause):
    criteria: Optional[list[ShortText]] = Field(
        None, max_length=MAX_LIST_ITEMS, description="Kriterien der Verankerung im Quartier")


class EvaluationClause(Clause):
    criteria_agreed_before_start: Optional[SilentFlag] = Field(
        None, description="Kriterienkatalog vor Aufnahme der Tätigkeit vereinbart"
    )


class TrainingClause(Clause):
    share_percent: Optional[Percent] = Field(None, description="Anteil für gemeinsame Fortbildung in Prozent")
    joint: Optional[SilentFlag] = Field(None, description="Gemeinsame Fortbildung von öffentlichem und freiem Träger")


class DecisionClause(Clause):
    provider_decides_on_granting: Optional[SilentFlag] = Field(
        None, description="Der Leistungserbringer entscheidet über die Gewährung von Hilfen"
    )


class ChildProtectionClause(Clause):
    section_8a: Optional[SilentFlag] = Field(
        None, description="Vereinbarung nach § 8a Abs. 4 SGB VIII (Schutzauftrag bei Kindeswohlgefährdung), "
        "in der Budgetvereinbarung oder in einer eigenen Vereinbarung, auf die sie verweist")
    section_72a: Optional[SilentFlag] = Field(
        None, description="Vereinbarung nach § 72a Abs. 2, 4 SGB VIII (Tätigkeitsausschluss einschlägig "
        "vorbestrafter Personen, erweitertes Führungszeugnis)")
    violence_protection_concept: Optional[SilentFlag] = Field(
        None, description="Eingliederungshilfe: Maßnahmen zum Schutz vor Gewalt, insbesondere ein auf die "
        "Einrichtung oder den Dienst zugeschnittenes Gewaltschutzkonzept (§ 37a SGB IX)")


class ControllingClause(Clause):
    case_monitoring: Optional[SilentFlag] = Field(
        None, description="Verfahren der Fallbegleitung: der öffentliche Träger wird regelmäßig über den "
        "Fallverlauf und den Grad der Zielerreichung informiert (ISSAB 2002, Kap. 6.2)")


class TransparencyClause(Clause):
    means_goals_traceable: Optional[SilentFlag] = Field(
        None, description="Nachvollziehbar ausgewiesen, welche Mittel mit welchen Zielen und Wirkungen "
        "ausgegeben werden (ISSAB 2002, Kap. 6.2)")


class PlanningClause(Clause):
    indicators: Optional[SilentFlag] = Field(None, description="Sozialräumliche Indikatoren")
    small_area_data: Optional[SilentFlag] = Field(None, description="Kleinräumige Daten")


class DimensionsClause(Clause):
    dimensions: Optional[list[Dimension]] = Field(
        None, max_length=MAX_LIST_ITEMS, description="Vertraglich festgeschriebene Dimensionen")


class Clauses(Base):
    legal_claims_preserved: LegalClaimsClause = Field(
        default_factory=LegalClaimsClause, description="Individuelle Rechtsansprüche bleiben unberührt"
    )
    choice_of_provider: ChoiceClause = Field(
        default_factory=ChoiceClause, description="Wunsch- und Wahlrecht der Leistungsberechtigten"
    )
    provider_access: ProviderAccessClause = Field(
        default_factory=ProviderAccessClause,
        description="Zugang weiterer Träger, Exklusivität, Fallzuweisungsquoten",
    )
    selection_procedure: SelectionClause = Field(
        default_factory=SelectionClause, description="Auswahlverfahren der Budgetnehmer"
    )
    transparent_planning: TransparencyClause = Field(
        default_factory=TransparencyClause, description="Offene und transparente Verfahren in Planung und Umsetzung"
    )
    beneficiary_participation: Clause = Field(
        default_factory=Clause, description="Beteiligung der Leistungsberechtigten an der Weiterentwicklung"
    )
    cost_increases: CostIncreaseClause = Field(
        default_factory=CostIncreaseClause, description="Berücksichtigung von Kostensteigerungen (Tarif)"
    )
    framework_agreements: FrameworkClause = Field(
        default_factory=FrameworkClause, description="Landesrahmenverträge und Einzelvereinbarungen"
    )
    demand_adjustment: DemandAdjustmentClause = Field(
        default_factory=DemandAdjustmentClause, description="Budgetanpassung bei Nachfrageänderung"
    )
    overspending: OverspendingClause = Field(
        default_factory=OverspendingClause, description="Umgang mit Budgetüberschreitungen (Nachfinanzierung)"
    )
    surplus: SurplusClause = Field(default_factory=SurplusClause, description="Umgang mit Überschüssen")
    schiedsstelle: Clause = Field(
        default_factory=Clause,
        description="Schiedsstellenfähigkeit: vereinbart = erhalten, ausgeschlossen = ausgeschlossen",
    )
    schlichtungsstelle: SchlichtungClause = Field(
        default_factory=SchlichtungClause, description="Schlichtungsstelle für Konfliktfälle"
    )
    renegotiation: Clause = Field(
        default_factory=Clause, description="Nachverhandlung bei unvorhergesehener Veränderung"
    )
    termination: TerminationClause = Field(default_factory=TerminationClause, description="Kündigung")
    existing_cases: Clause = Field(default_factory=Clause, description="Überleitung bestehender Fälle (Altfälle)")
    fachkonzept_principles: PrinciplesClause = Field(
        default_factory=PrinciplesClause, description="Prinzipien des Fachkonzepts Sozialraumorientierung"
    )
    participatory_planning: Clause = Field(
        default_factory=Clause, description="Partizipative Hilfeplanung / Gesamtplanung"
    )
    cooperation_networking: Clause = Field(
        default_factory=Clause, description="Kooperation und Vernetzung mit anderen Fachkräften und Diensten"
    )
    steering_committee: SteeringClause = Field(default_factory=SteeringClause, description="Steuerungsgremium")
    anchoring_criteria: AnchoringClause = Field(
        default_factory=AnchoringClause, description="Kriterien der Verankerung im Quartier/Sozialraum"
    )
    evaluation_procedure: EvaluationClause = Field(
        default_factory=EvaluationClause, description="Verfahren zur Bewertung der geleisteten Arbeit"
    )
    scientific_evaluation: Clause = Field(
        default_factory=Clause, description="Wissenschaftliche Begleitung und Evaluation"
    )
    reporting_controlling: ControllingClause = Field(
        default_factory=ControllingClause, description="Berichtswesen, Systemcontrolling und Fallbegleitung"
    )
    training: TrainingClause = Field(default_factory=TrainingClause, description="Gemeinsame Fortbildung")
    public_body_decides: DecisionClause = Field(
        default_factory=DecisionClause,
        description="Der öffentliche Träger entscheidet über jede Hilfe (Hilfeplan, Regiekompetenz)",
    )
    sozialraumteams: Clause = Field(
        default_factory=Clause, description="Hilfeplanverfahren mit Sozialraumteams unter Regie des öffentlichen Trägers"
    )
    role_separation: Clause = Field(
        default_factory=Clause, description="Rollen von Gewährung und Leistungserbringung getrennt"
    )
    child_protection: ChildProtectionClause = Field(
        default_factory=ChildProtectionClause,
        description="Kinderschutz und Gewaltschutz (§ 8a Abs. 4, § 72a SGB VIII; § 37a SGB IX)"
    )
    sajf_sha_actual_costs: Clause = Field(
        default_factory=Clause, description="SAJF/SHA-Angebote mit ihren tatsächlichen Kosten"
    )
    high_need_safeguard: Clause = Field(
        default_factory=Clause, description="Absicherung für Personen mit erhöhtem Hilfebedarf"
    )
    youth_welfare_planning: PlanningClause = Field(
        default_factory=PlanningClause, description="Sozialräumliche Jugendhilfeplanung als Grundlage"
    )
    overall_concept: Clause = Field(
        default_factory=Clause, description="Mit den freien Trägern abgestimmtes sozialräumliches Gesamtkonzept"
    )
    work_dimensions: DimensionsClause = Field(
        default_factory=DimensionsClause, description="Dimensionen der Arbeit vertraglich festgeschrieben"
    )
    service_types_separated: Clause = Field(
        default_factory=Clause, description="Subjekt- und objektbezogene Leistungen getrennt ausgewiesen"
    )
    subcontracting: Clause = Field(
        default_factory=Clause, description="Regeln für Subunternehmer (Gewährleistungsträger-Modell)"
    )
    entity_governance: Clause = Field(
        default_factory=Clause,
        description="Haftung, Eintritt und Austritt (gemeinnützige Gesellschaft)",
    )
    carry_forward: Clause = Field(
        default_factory=Clause, description="Fortschreibungsverfahren des Budgets"
    )
    quality_assurance: Clause = Field(
        default_factory=Clause, description="Individuell bedarfsdeckende, qualitätsgesicherte Leistungen"
    )


class Waiver(Base):
    rule: Annotated[str, Field(max_length=64, pattern=r"^[A-Z][A-Z0-9-]*$")] = Field(
        description="Id der Regel, die ausgenommen wird"
    )
    reason: Annotated[str, Field(min_length=3, max_length=2_000)] = Field(description="Begründung (Pflicht)")
    granted_by: Optional[ShortText] = Field(None, description="Wer die Ausnahme erteilt hat")
    expires: Optional[Date] = Field(None, description="Ablaufdatum; danach gilt die Ausnahme nicht mehr")


def _no_notes() -> list[str]:
    return []


class Agreement(Base):
    """Strukturierte Beschreibung einer Budgetvereinbarung (Trägerbudget, Sozialraumbudget)."""

    format_version: int = Field(
        FORMAT_VERSION, ge=OLDEST_FORMAT_VERSION, le=FORMAT_VERSION, strict=True,
        description="Version des Formats (2; Format 1 wird mit Hinweis gelesen, 'budgetcheck migrate' stellt um)"
    )
    meta: Meta = Field(description="Stammdaten der Vereinbarung")
    field_of_work: Optional[list[FieldOfWork]] = Field(
        None, max_length=MAX_LIST_ITEMS, description="Arbeitsfeld(er)")
    parties: Optional[Parties] = Field(None, description="Vertragsparteien")
    model: Optional[BudgetModel] = Field(None, description="Budgetmodell")
    sozialraeume: Optional[list[Sozialraum]] = Field(
        None, max_length=MAX_LIST_ITEMS, description="Sozialräume")
    services: Optional[list[Service]] = Field(
        None, max_length=MAX_LIST_ITEMS, description="Einbezogene Leistungen")
    budget: Optional[Budget] = Field(None, description="Budget")
    clauses: Clauses = Field(default_factory=Clauses, description="Vertragsklauseln")
    waivers: Optional[list[Waiver]] = Field(
        None, max_length=MAX_LIST_ITEMS, description="Ausnahmen von Regeln, mit Begründung")
    # Notes of the loader for the person running the check (e.g. format 1 is deprecated); not data.
    # (a Python function, not ``list``: pydantic reads the factory's signature on the first instance,
    # and for a builtin that means parsing its text signature with the tokenizer's large regular
    # expressions, ~20 M instructions of a cold check)
    _input_notes: list[str] = PrivateAttr(default_factory=_no_notes)

    @property
    def input_notes(self) -> list[str]:
        return self._input_notes

    @input_notes.setter
    def input_notes(self, value: list[str]) -> None:
        self._input_notes = value

    def reference_date(self) -> Optional[dt.date]:
        """The date that decides which law applies: period start, else signing, else draft date."""
        period = self.meta.period
        if period and period.start:
            return period.start
        return self.meta.signing_date or self.meta.draft_date


# --------------------------------------------------------------------------- validators, cached
#
# Building the pydantic schemas and validators of these classes was the largest part of a cold
# ``budgetcheck check`` (about 150 M instructions of 1,600 M). The core schemas pydantic generates
# for them are plain data (dicts, lists, strings, numbers, and references to this module's classes
# and functions), so they are kept in the private cache directory (checker.cachefiles), keyed by
# this file's bytes and the Python, pydantic and pydantic-core versions: a later process makes the
# validators and serializers from them directly (the Agreement's validator at once, every other one
# when it is first used). Nothing else changes: the same core schema makes
# the same validator. What the cache holds is data from disk: it is unpickled with a whitelist (only
# names of this module), and anything missing, stale, foreign, corrupt or incomplete means the
# schemas are generated exactly as without a cache. ``__pydantic_core_schema__`` itself is left to
# pydantic (generated on first use, e.g. for the JSON Schema); the cached schemas leave out
# pydantic's ``metadata`` entries (JSON Schema hints; pydantic-core does not read them). Validators
# made from the cache do not pass through pydantic plugins (budgetcheck uses none).

_SCHEMA_CACHE_FORMAT = 1
_SCHEMA_CACHE_PREFIX = "models-"
_SCHEMA_CACHE_MAX_BYTES = 16 * 1024 * 1024
validators_from_cache = False  # whether this process made its validators from the cache (for tests)


def _model_classes() -> list[type[BaseModel]]:
    return [value for value in list(globals().values())
            if isinstance(value, type) and issubclass(value, BaseModel) and value.__module__ == __name__]


def _schema_cache_key() -> Optional[str]:
    from checker.cachefiles import source_key

    return source_key(_SCHEMA_CACHE_FORMAT, __file__)


def _without_metadata(node: object) -> object:
    if isinstance(node, dict):
        return {k: _without_metadata(v) for k, v in node.items() if k != "metadata"}
    if isinstance(node, list):
        return [_without_metadata(v) for v in node]
    return node


def _load_schemas(data: bytes, key: str) -> Optional[dict]:
    from checker.cachefiles import load_keyed

    schemas = load_keyed(data, key, (__name__,))  # only names of this module can be unpickled
    return schemas if isinstance(schemas, dict) else None


def _maker(cls: type, kind: str, schema: dict, config: Any) -> Any:
    """Makes ``cls``'s validator or serializer from its cached schema when it is first used (each
    class's schema holds those of the classes it nests, so making all at once would repeat work)."""

    def make(*_args: Any, **_kwargs: Any) -> Any:
        from pydantic_core import SchemaSerializer, SchemaValidator

        done: Any = SchemaValidator(schema, config) if kind == "validator" else SchemaSerializer(schema, config)
        setattr(cls, f"__pydantic_{kind}__", done)
        return done

    return make


def _complete_models() -> None:
    """Give every model class of this module its validator and serializer (see above)."""
    global validators_from_cache
    from checker import cachefiles

    models = _model_classes()
    key = _schema_cache_key()
    directory = cachefiles.cache_dir()
    path = directory / f"{_SCHEMA_CACHE_PREFIX}{key[:40]}.pickle" if key and directory else None
    data = cachefiles.read_private(path, _SCHEMA_CACHE_MAX_BYTES) if path else None
    schemas = _load_schemas(data, key) if data and key else None
    if schemas is not None and set(schemas) == {cls.__qualname__ for cls in models}:
        try:
            from pydantic._internal._config import ConfigWrapper
            from pydantic._internal._mock_val_ser import MockValSer

            made = {}
            for cls in models:
                config = ConfigWrapper(cls.model_config, check=False).core_config(title=cls.__name__)
                makers = [_maker(cls, kind, schemas[cls.__qualname__], config) for kind in ("validator", "serializer")]
                made[cls] = [MockValSer(f"{cls.__name__}: {kind} from the cache", code="class-not-fully-defined",
                                        val_or_ser=kind, attempt_rebuild=maker)
                             for kind, maker in zip(("validator", "serializer"), makers)]
                if cls is Agreement:  # the one a check uses, made now: a schema pydantic-core refuses shows here
                    made[cls][0] = makers[0]()
        except Exception:  # noqa: BLE001 - a schema this pydantic-core does not take: generate instead
            made = None
        if made is not None:
            for cls, (validator, serializer) in made.items():
                cls.__pydantic_validator__ = validator
                cls.__pydantic_serializer__ = serializer
            validators_from_cache = True
            return
    for cls in models:  # as without a cache
        cls.model_rebuild()
    if path is not None:
        import pickle

        try:
            data = pickle.dumps((key, {cls.__qualname__: _without_metadata(cls.__pydantic_core_schema__)
                                       for cls in models}), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 - not picklable (a later change to this module): no cache
            return
        if cachefiles.cache_write_bytes(path, data):
            cachefiles.prune(path.parent, f"{_SCHEMA_CACHE_PREFIX}*.pickle", 8)


_complete_models()


def inner_class(annotation: Any, base: type) -> Optional[type]:
    """The first class derived from ``base`` inside an annotation (``Optional[list[Service]]`` ->
    ``Service`` for ``BaseModel``; enums likewise), else None."""
    if isinstance(annotation, type) and issubclass(annotation, base):
        return annotation
    for argument in getattr(annotation, "__args__", ()) or ():
        found = inner_class(argument, base)
        if found is not None:
            return found
    return None
