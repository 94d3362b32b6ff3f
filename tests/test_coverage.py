"""Every criterion of the sources has at least one rule, and the README table is current."""

from checker.coverage import coverage_table, load_coverage, update_readme
from tests.conftest import ROOT

# The items the catalogue issue lists; each must stay covered.
REQUIRED = {
    "dwh-fachkonzept", "dwh-sk-wahlrecht", "dwh-sk-subsidiaritaet", "dwh-sk-transparenz", "dwh-sk-kosten",
    "dwh-sk-landesrahmenvertrag", "dwh-sk-bedarfsdeckung", "dwh-sk-schiedsstelle", "dwh-sk-vergaberecht",
    "dwh-qs-prinzipien", "dwh-qs-hilfeplanung", "dwh-qs-kooperation", "dwh-qs-steuerung", "dwh-qs-verankerung",
    "dwh-qs-evaluation", "dwh-egh-beteiligung", "dwh-egh-ansprueche", "dwh-egh-bedarfsdeckend", "dwh-egh-betrag",
    "dwh-egh-leistungsvereinbarungen", "dwh-asp-vorjahr", "dwh-asp-pauschalen", "dwh-jh-traeger", "dwh-jh-auswahl",
    "dwh-jh-raeume", "dwh-jh-einzelvereinbarungen", "dwh-jh-ziffer1", "dwh-jh-ziffer2", "dwh-jh-ziffer3",
    "dwh-jh-ziffer4", "dwh-jh-leistungsarten",
    "issab-kritik-ansprueche", "issab-kritik-wahlrecht", "issab-kritik-risiko", "issab-kritik-infrastruktur",
    "issab-kritik-monopole", "issab-asd-budget", "issab-ueberschuss", "issab-nachfinanzierung", "issab-zeitraum",
    "issab-bewertung", "issab-bonus", "issab-auszahlung", "issab-zweckbindung", "issab-fortschreibung",
    "issab-vs-planung", "issab-vs-hilfeplan", "issab-vs-controlling", "issab-vs-kooperation", "issab-vs-mittel",
    "issab-vs-gesamtkonzept", "issab-vs-dimensionen", "issab-vs-fortbildung", "issab-vs-altfaelle",
    "issab-am-monopolist", "issab-am-verbund", "issab-am-gewaehrleistung", "issab-am-gesellschaft",
    "issab-verfuegungsfonds",
    "rs-exklusivitaet", "rs-pauschal", "rs-gewaehrung",
    "kon-teilbudgets", "kon-anteile", "kon-prozent-betrag", "kon-auszahlung", "kon-bedingungen", "kon-vorjahr",
    "kon-laufzeit",
}


def test_every_required_item_has_existing_rules(catalogue):
    items = {item["key"]: item for item in load_coverage()}
    assert REQUIRED <= set(items), sorted(REQUIRED - set(items))
    for key, item in items.items():
        assert item["rules"], f"{key} has no rule"
        unknown = [rid for rid in item["rules"] if rid not in catalogue.by_id]
        assert not unknown, f"{key}: unknown rules {unknown}"


def test_catalogue_size(catalogue):
    assert len(catalogue.rules) >= 45


def test_readme_table_is_current(catalogue):
    readme = ROOT / "rules" / "README.md"
    expected = update_readme(readme, coverage_table(catalogue, load_coverage()))
    assert readme.read_text(encoding="utf-8") == expected, "run: python -m checker.coverage"
