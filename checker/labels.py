"""Display labels (German and English) shared by every output format."""

from __future__ import annotations

import re

LANGS = ("de", "en")

VERDICT = {
    "erfuellt": ("erfüllt", "fulfilled"),
    "verletzt": ("verletzt", "violated"),
    "ungeklaert": ("ungeklärt", "unresolved"),
    "nicht_anwendbar": ("nicht anwendbar", "not applicable"),
    "ausgenommen": ("ausgenommen", "waived"),
}

SEVERITY = {
    "blocker": ("Blocker", "blocker"),
    "major": ("erheblich", "major"),
    "minor": ("gering", "minor"),
    "hinweis": ("Hinweis", "advice"),
}

GROUP = {
    "strukturelles_pruefkriterium": ("Strukturelles Prüfkriterium", "Structural criterion"),
    "qualitaetsstandard": ("Qualitätsstandard", "Quality standard"),
    "eckpunkt_jugendhilfe": ("Eckpunkt Jugendhilfe", "Youth-welfare key point"),
    "vertragsgestaltung": ("Vertragsgestaltung", "Contract design"),
    "voraussetzung": ("Voraussetzung", "Precondition"),
    "konsistenz": ("Konsistenz", "Consistency"),
}

OVERALL = {
    "nicht_zeichnungsreif": ("nicht zeichnungsreif", "not fit to sign"),
    "nicht_pruefbar": ("nicht prüfbar", "cannot be judged"),
    "nicht_zeichnungsreif_ohne_klaerung": ("nicht zeichnungsreif ohne Klärung", "not fit to sign without clarification"),
    "zeichnungsreif_mit_auflagen": ("zeichnungsreif mit Auflagen", "fit to sign with conditions"),
    "zeichnungsreif": ("zeichnungsreif", "fit to sign"),
}


def label(table: dict[str, tuple[str, str]], key: str, lang: str = "de") -> str:
    """The label of ``key`` in ``lang`` (falls back to the key itself)."""
    pair = table.get(key)
    if pair is None:
        return key
    return pair[LANGS.index(lang) if lang in LANGS else 0]


LAND = {
    "baden_wuerttemberg": ("Baden-Württemberg", "Baden-Württemberg"),
    "bayern": ("Bayern", "Bavaria"),
    "berlin": ("Berlin", "Berlin"),
    "brandenburg": ("Brandenburg", "Brandenburg"),
    "bremen": ("Bremen", "Bremen"),
    "hamburg": ("Hamburg", "Hamburg"),
    "hessen": ("Hessen", "Hesse"),
    "mecklenburg_vorpommern": ("Mecklenburg-Vorpommern", "Mecklenburg-Western Pomerania"),
    "niedersachsen": ("Niedersachsen", "Lower Saxony"),
    "nordrhein_westfalen": ("Nordrhein-Westfalen", "North Rhine-Westphalia"),
    "rheinland_pfalz": ("Rheinland-Pfalz", "Rhineland-Palatinate"),
    "saarland": ("Saarland", "Saarland"),
    "sachsen": ("Sachsen", "Saxony"),
    "sachsen_anhalt": ("Sachsen-Anhalt", "Saxony-Anhalt"),
    "schleswig_holstein": ("Schleswig-Holstein", "Schleswig-Holstein"),
    "thueringen": ("Thüringen", "Thuringia"),
}


# The two source documents the rules cite (see ../shared/sources/README.md).
LAW_TEXT = ("Gesetzeswortlaut", "Statute text")  # a rule that rests on the law alone (source kind: gesetz)


def source_origin(source, lang: str = "de") -> tuple[str, str]:
    """(name, file) of a rule's source as reports show it: the document and its file, or for a
    passage of the law itself "Gesetzeswortlaut" and the law (e.g. SGB VIII)."""
    if getattr(source, "kind", "quelle") == "gesetz":
        return LAW_TEXT[LANGS.index(lang) if lang in LANGS else 0], source.law
    return (label(SOURCE, source.file, lang) if source.file in SOURCE else ""), source.file


SOURCE = {
    "000_cfe332d5febb39fc.txt": ("Diakonisches Werk Hamburg 2018, Eckpunkte zu Trägerbudgets",
                                 "Diakonisches Werk Hamburg 2018, key points on Trägerbudgets"),
    "001_dde54a99f7067d07.txt": ("ISSAB 2002, Expertise sozialräumliche Budgetfinanzierung",
                                 "ISSAB 2002, expertise on neighbourhood budget financing"),
}


# One label per value of the model's choice fields (enums), by enum class name: the workbench
# offers these as choices, the report names a status with them. A value without an entry is
# shown by checker.interview.enum_label as the key with spaces and umlauts (never silently
# dropped); tests/test_web.py checks that every enum value of the model has one here.
ENUM = {
    "Land": LAND,
    "AgreementStatus": {
        "geplant": ("geplant (noch kein Vertragsentwurf)", "planned (no draft contract yet)"),
        "entwurf": ("Entwurf", "draft"),
        "unterzeichnet": ("unterzeichnet", "signed"),
        "beendet": ("beendet", "ended"),
    },
    "FieldOfWork": {
        "kinder_jugendhilfe": ("Kinder- und Jugendhilfe (SGB VIII)", "child and youth welfare (SGB VIII)"),
        # no law named where it changed over time (SGB IX since 2020, SGB XII since 2005, BSHG before):
        # the report states the law in force on the agreement's date (checker.regime)
        "eingliederungshilfe": ("Eingliederungshilfe für Menschen mit Behinderungen",
                                "integration assistance for disabled people"),
        "sozialhilfe": ("Sozialhilfe (ohne Eingliederungshilfe)", "social assistance (without integration assistance)"),
        "sonstiges": ("sonstiges Arbeitsfeld", "other field"),
    },
    "ProviderKind": {
        "frei_gemeinnuetzig": ("freier gemeinnütziger Träger", "non-profit provider"),
        "privat_gewerblich": ("privat-gewerblicher Träger", "commercial provider"),
        "oeffentlich": ("öffentlicher Träger", "public provider"),
    },
    "ProviderRole": {
        "alleiniger_traeger": ("alleiniger Träger", "sole provider"),
        "schwerpunkttraeger": ("Schwerpunktträger", "lead provider (Schwerpunktträger)"),
        "verbundmitglied": ("Mitglied eines Trägerverbunds", "member of a provider network"),
        "gewaehrleistungstraeger": ("Gewährleistungsträger", "guarantor provider (Gewährleistungsträger)"),
        "subunternehmer": ("Subunternehmer", "subcontractor"),
    },
    "BudgetForm": {
        "traegerbudget": ("Trägerbudget", "provider budget (Trägerbudget)"),
        "sozialraumbudget": ("Sozialraumbudget", "neighbourhood budget (Sozialraumbudget)"),
        "verwaltungsintern": ("verwaltungsinternes Budget (bleibt in der Verwaltung, z. B. ASD)",
                              "budget kept within the administration"),
        "verfuegungsfonds": ("Verfügungsfonds", "discretionary fund (Verfügungsfonds)"),
        "fachleistungsstunden": ("Fachleistungsstunden-Kontingent", "contingent of specialist hours"),
    },
    "BudgetHolder": {
        "traeger": ("freier Träger", "provider"),
        "traegerverbund": ("Trägerverbund", "provider network"),
        "gemeinnuetzige_gesellschaft": ("gemeinnützige Gesellschaft", "non-profit company"),
        "asd": ("Allgemeiner Sozialer Dienst (ASD)", "general social service (ASD)"),
        "wirtschaftliche_jugendhilfe": ("Wirtschaftliche Jugendhilfe", "youth welfare finance unit"),
        "verwaltung": ("Verwaltung", "administration"),
    },
    "AllocationModel": {
        "monopolist": ("ein Träger allein (Monopol)", "one provider alone (monopoly)"),
        "traegerverbund": ("Trägerverbund", "provider network"),
        "gewaehrleistungstraeger": ("Gewährleistungsträger mit Subunternehmern", "guarantor provider with subcontractors"),
        "gemeinnuetzige_gesellschaft": ("gemeinnützige Gesellschaft der Träger", "non-profit company of the providers"),
        "einzelvereinbarungen": ("Einzelvereinbarungen mit jedem Träger", "separate agreements with each provider"),
    },
    "Scope": {
        "quartier": ("Quartier", "neighbourhood (Quartier)"),
        "sozialraum": ("Sozialraum", "social area (Sozialraum)"),
        "planungsraum": ("Planungsraum", "planning area"),
        "bezirk": ("Bezirk", "district"),
        "gesamtstadt": ("ganze Stadt", "whole city"),
        "landkreis": ("Landkreis", "county"),
        "land": ("Bundesland", "federal state"),
    },
    "ClaimType": {
        "subjektbezogen": ("mit individuellem Rechtsanspruch (subjektbezogen)", "individual legal claim (person-related)"),
        "objektbezogen": ("ohne individuellen Rechtsanspruch: Infrastruktur (objektbezogen)",
                          "no individual claim: infrastructure (object-related)"),
    },
    "Setting": {
        "ambulant": ("ambulant", "outpatient"),
        "teilstationaer": ("teilstationär", "day care (semi-residential)"),
        "stationaer": ("stationär", "residential"),
        "offen": ("offenes, niedrigschwelliges Angebot", "open, low-threshold service"),
    },
    "Dimension": {
        "fallspezifisch": ("fallspezifisch", "case-specific"),
        "falluebergreifend": ("fallübergreifend", "across cases"),
        "fallunspezifisch": ("fallunspezifisch", "not case-related"),
    },
    "ServiceCategory": {
        "hilfen_zur_erziehung": ("Hilfen zur Erziehung (§§ 27 ff. SGB VIII)", "educational assistance (§§ 27 ff. SGB VIII)"),
        "erziehungsberatung": ("Erziehungsberatung und andere ohne vorherige Entscheidung des Jugendamts "
                               "zugängliche ambulante Hilfen",
                               "parenting counselling and other outpatient aid used without a prior decision of the "
                               "youth office"),
        "vollzeitpflege": ("Vollzeitpflege (§ 33 SGB VIII)", "foster care (§ 33 SGB VIII)"),
        "eingliederungshilfe": ("Eingliederungshilfe", "integration assistance"),
        "sajf_sha": ("sozialräumliche Angebote (SAJF/SHA)", "neighbourhood services (SAJF/SHA)"),
        "offene_kinder_jugendarbeit": ("Offene Kinder- und Jugendarbeit", "open child and youth work"),
        "jugendsozialarbeit": ("Jugendsozialarbeit", "youth social work"),
        "familienfoerderung": ("Familienförderung", "family support"),
        "sozialhilfe": ("Sozialhilfe", "social assistance"),
        "sonstiges": ("sonstige Leistung", "other service"),
    },
    "CalculationBasis": {
        "vorjahr_ist": ("tatsächliche Kosten des Vorjahres (Vorjahres-Ist)", "previous year's actual costs"),
        "mehrjahresdurchschnitt": ("Durchschnitt mehrerer Jahre", "average over several years"),
        "jahrespauschalen": ("Jahrespauschalen (Pauschale je Klient × Fallzahl)", "annual flat rates (per client × cases)"),
        "landesentgelte": ("auf Landesebene vereinbarte Leistungsentgelte", "fees agreed at state level"),
        "sozialindikatoren": ("Sozialindikatoren", "social indicators"),
        "fallprognose": ("Fallprognose", "case forecast"),
        "tatsaechliche_kosten": ("tatsächliche Kosten", "actual costs"),
    },
    "IncreaseMechanism": {
        "automatisch": ("automatisch (z. B. nach Tarifabschluss)", "automatic"),
        "index": ("nach einem Index", "by an index"),
        "nachverhandlung": ("durch Nachverhandlung", "by renegotiation"),
        "keine": ("gar nicht", "not at all"),
    },
    "AdjustmentTiming": {
        "unterjaehrig": ("noch im laufenden Jahr", "within the current year"),
        "folgejahr": ("erst im Folgejahr", "in the following year only"),
    },
    "OverspendingMode": {
        "anspruch": ("verbindliche Nachfinanzierung (Anspruch)", "binding additional funding (entitlement)"),
        "ermessen": ("Nachfinanzierung nach Ermessen des Budgetgebers", "additional funding at the giver's discretion"),
        "keine": ("keine Nachfinanzierung", "no additional funding"),
    },
    "SurplusHandling": {
        "verbleibt_beim_traeger": ("verbleiben beim Träger", "stay with the provider"),
        "teilweise": ("verbleiben teilweise beim Träger", "partly stay with the provider"),
        "rueckzahlung": ("werden zurückgezahlt", "are paid back"),
    },
    "SelectionProcedure": {
        "keines": ("kein Auswahlverfahren", "no selection procedure"),
        "interessenbekundung": ("Interessenbekundungsverfahren", "call for expressions of interest"),
        "jugendhilfeausschuss": ("Beschluss des Jugendhilfeausschusses", "decision of the youth welfare committee"),
        "ausschreibung_gwb": ("Ausschreibung nach GWB (EU-weit)", "tender under the GWB (EU-wide)"),
        "ausschreibung_vgv": ("Ausschreibung nach VgV", "tender under the VgV"),
        "ausschreibung_uvgo": ("Ausschreibung nach UVgO", "tender under the UVgO"),
        "bewerbungsverfahren": ("offenes Bewerbungsverfahren ohne Vergaberecht", "open application procedure without procurement law"),
    },
    "OutsideProviderPayer": {
        "budget": ("aus dem Budget", "from the budget"),
        "oeffentlicher_traeger": ("der öffentliche Träger zusätzlich", "the public agency in addition"),
        "leistungsberechtigte": ("die Leistungsberechtigten selbst", "the beneficiaries themselves"),
    },
    "Principle": {
        "wille": ("Orientierung am Willen der Menschen", "orientation to people's will"),
        "eigeninitiative": ("Eigeninitiative und Selbsthilfe", "own initiative and self-help"),
        "ressourcen": ("Ressourcen der Menschen und des Sozialraums", "resources of people and the neighbourhood"),
        "zielgruppenuebergreifend": ("zielgruppen- und bereichsübergreifend", "across target groups and fields"),
        "kooperation": ("Kooperation und Koordination", "cooperation and coordination"),
    },
    "EarmarkPurpose": {
        "ehrenamt": ("Ehrenamt", "volunteering"),
        "fortbildung": ("Fortbildung", "training"),
        "vernetzung": ("Vernetzung", "networking"),
        "fallunspezifische_arbeit": ("fallunspezifische Arbeit", "work not related to cases"),
        "sonstiges": ("sonstiger Zweck", "other purpose"),
    },
    "Instalments": {
        "monatlich": ("monatlich", "monthly"),
        "quartalsweise": ("vierteljährlich", "quarterly"),
        "halbjaehrlich": ("halbjährlich", "half-yearly"),
        "jaehrlich": ("jährlich", "yearly"),
        "nach_abrechnung": ("nach Abrechnung", "after invoicing"),
    },
    "ShareBase": {
        "gesamtbudget": ("Gesamtbudget", "whole budget"),
        "teilbudget": ("Teilbudget", "partial budget"),
        "landesentgelte": ("Landesentgelte", "state-level fees"),
        "tatsaechliche_kosten": ("tatsächliche Kosten", "actual costs"),
        "sonstiges": ("sonstiges", "other"),
    },
    "ClauseBasis": {
        "vertrag": ("steht im Vertrag", "in the contract"),
        "praxis": ("gelebte, dokumentierte Praxis", "documented practice"),
        "geplant": ("angekündigt oder vorgesehen", "announced or planned"),
    },
    "ClauseStatus": {
        "vereinbart": ("vereinbart", "agreed"),
        "ausgeschlossen": ("ausgeschlossen / widersprechend geregelt", "excluded / contrary provision"),
        "fehlt": ("fehlt im Entwurf", "absent from the draft"),
        "unbekannt": ("noch unbekannt", "not yet known"),
    },
}


def reader_text(description: str, values: frozenset[str] = frozenset()) -> str:
    """A model description as a reader of a report or a question sees it: without the notes written
    for the authors of the format ("(false: keine Begründung)", "…; bei … automatisch true", an
    explanation of values in parentheses "(x: …; y: …)" or after a colon "x = …, y = …", a list of the
    enum's own values after a colon, a note after a semicolon that names a field of the format)."""
    text = re.sub(r";\s*bei .+? automatisch true\Z", "", description)
    text = re.sub(r"\s*\(false: [^)]*\)", "", text)
    text = re.sub(r";[^;]*\b[a-z]+_[a-z_]+\b[^;]*\Z", "", text)  # "; bestimmt mit duration_months …"
    head, sep, rest = text.partition(" (")
    if sep and ":" in rest and rest.endswith(")") and re.match(r"[a-z_]+: ", rest):
        text = head
    head, sep, tail = text.rpartition(": ")
    if sep and re.fullmatch(r"[a-z_]+ = [^,=]+(, [a-z_]+ = [^,=]+)*", tail.strip()):
        text = head  # "Schiedsstellenfähigkeit: vereinbart = erhalten, ausgeschlossen = ausgeschlossen"
    elif sep and values and all(w in values for w in re.split(r",\s*|\s+oder\s+", tail.strip())):
        text = head
    return text.strip() or description
