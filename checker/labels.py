"""Display labels (German and English) shared by every output format."""

from __future__ import annotations

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
SOURCE = {
    "000_cfe332d5febb39fc.txt": ("Diakonisches Werk Hamburg 2018, Eckpunkte zu Trägerbudgets",
                                 "Diakonisches Werk Hamburg 2018, key points on Trägerbudgets"),
    "001_dde54a99f7067d07.txt": ("ISSAB 2002, Expertise sozialräumliche Budgetfinanzierung",
                                 "ISSAB 2002, expertise on neighbourhood budget financing"),
}
