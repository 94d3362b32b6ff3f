"""Regenerate cases/defective/ from the exemplary Hamburg Jugendhilfe case: each draft breaks one or two criteria.

Run: python3 cases/tools/make_defective.py (after changing the exemplary case)."""
import pathlib, re, sys, yaml
SRC = pathlib.Path(__file__).resolve().parent.parent / "source" / "hamburg-jugendhilfe-eckpunkte.yaml"
OUT = pathlib.Path(__file__).resolve().parent.parent / "defective"
text = SRC.read_text(encoding="utf-8")
# body = everything from "format_version" on (the reference header is replaced)
body = text[text.index("format_version: 2"):]

def block(name):
    """Text of a clause block 'clauses.<name>' incl. its preceding comment lines."""
    m = re.search(r"\n  " + re.escape(name) + r":\n(?:    .*\n)+", body)
    assert m, name
    return m.group(0)

D = []  # (file, header lines, replacements [(old,new)])

D.append(("d01-keine-nachfinanzierung.yaml",
 ["Gedeckeltes Budget ohne Nachfinanzierung bei Budgetüberschreitung.",
  "Gebrochen: 001_dde54a99f7067d07.txt, Kap. 6.2 Vertragliche Regelungen, 'Umgang mit Budgetüberschreitungen'",
  "  (\"bedarf es klarer Nachfinanzierungsklauseln ... Ohne derartige Klauseln handelt es sich bei dem",
  "  Budget eindeutig um eine Deckelung\"), auch Kap. 6.2 'Bereitstellung ausreichender finanzieller Mittel'.",
  "Geändert: clauses.overspending (status: ausgeschlossen, mode: keine, wording; procedure entfällt)."],
 [("""    wording: "Überschreiten die Kosten der vom ASD im Hilfeplan festgestellten Hilfen das Budget, haben die Budgetnehmer Anspruch auf Nachfinanzierung in Höhe der nachgewiesenen Einzelfallkosten. Das Bezirksamt erhöht das Budget binnen sechs Wochen nach Nachweis."
    mode: anspruch
    procedure: "Nachweis der Einzelfallkosten der im Hilfeplan festgestellten Hilfen; Erhöhung des Budgets binnen sechs Wochen"
""", """    wording: "Das Budget ist für jedes Budgetjahr gedeckelt. Eine Nachfinanzierung bei Überschreitung des Budgets erfolgt nicht."
    mode: keine
"""),
  ("""  overspending:
    status: vereinbart""", """  overspending:
    status: ausgeschlossen""")]))

D.append(("d02-ausschreibung-gwb.yaml",
 ["Auswahl der Budgetnehmer durch eine öffentliche Ausschreibung nach Vergaberecht (GWB).",
  "Gebrochen: 000_cfe332d5febb39fc.txt, Strukturelle Prüfkriterien, Punkt 8 (\"Die Anwendung des",
  "  Vergaberechts im Sinne einer Auftragserteilung ist auszuschließen\"), und Eckpunkte für ein",
  "  Trägerbudget in der Jugendhilfe, Vorbemerkung (\"Auswahlverfahren über die Jugendhilfeausschüsse\").",
  "Geändert: clauses.selection_procedure (procedure: ausschreibung_gwb, committee_decides: false, wording)."],
 [("""    wording: "Die Budgetnehmer wurden nach den vom Jugendhilfeausschuss Altona am 4. September 2026 beschlossenen und veröffentlichten Qualitätskriterien (Anlage 1) ausgewählt. Die Anwendung des Vergaberechts im Sinne einer Auftragserteilung ist ausgeschlossen."
    procedure: jugendhilfeausschuss""",
   """    wording: "Die Budgetnehmer wurden in einem offenen Verfahren nach §§ 97 ff. GWB als Auftragnehmer eines öffentlichen Dienstleistungsauftrags ausgewählt; die Zuschlagskriterien (Anlage 1) wurden mit der Bekanntmachung veröffentlicht."
    procedure: ausschreibung_gwb
    committee_decides: false   # Zuschlag durch den öffentlichen Auftraggeber; kein Jugendhilfeausschuss genannt""")]))

D.append(("d03-budget-beim-asd.yaml",
 ["Das Budget verbleibt verwaltungsintern beim ASD (kein befristeter Zwischenschritt).",
  "Gebrochen: 001_dde54a99f7067d07.txt, Kap. 6.1 (\"etwa ein beim ASD verbleibendes Budget [entfaltet]",
  "  keinerlei steuernde Wirkung ... Mogelpackungen\"; \"dass ein Budget durch den Erbringer der Hilfen",
  "  bewirtschaftet werden sollte und nicht von der bewilligenden Stelle\"; Fußnote 22: allenfalls als",
  "  temporärer Zwischenschritt denkbar - hier ausdrücklich nicht: temporary_step bleibt false).",
  "Geändert: model.budget_form (verwaltungsintern), model.holder (asd), model.managed_by (asd),",
  "  model.provider_has_full_disposal (false), budget.teilbudgets[0..2].holder (asd)."],
 [("""  budget_form: traegerbudget
  holder: traeger
  managed_by: traeger
  provider_has_full_disposal: true""", """  budget_form: verwaltungsintern
  holder: asd
  managed_by: asd
  provider_has_full_disposal: false"""),
  ("      holder: traeger\n", "      holder: asd\n", 3)]))

D.append(("d04-exklusive-fallzuweisungsquote.yaml",
 ["Exklusivität der Budgetnehmer und eine vorrangige Fallzuweisungsquote von 80 % für einen Träger.",
  "Gebrochen: 000_cfe332d5febb39fc.txt, Strukturelle Prüfkriterien, Punkt 2 (\"Erhalt des",
  "  Subsidiaritätsgrundsatzes, der u.a. die Vielfalt von Trägern unterschiedlicher Wertorientierungen",
  "  sichert\"); vgl. 001_dde54a99f7067d07.txt, Kap. 2.5 'Bildung von Monopolen'.",
  "Geändert: clauses.provider_access (exclusivity: true, referral_quota_percent: 80, wording)."],
 [("""    wording: "Jeder im Quartier verankerte Träger (§ 3 Abs. 2) kann dem Trägerverbund zum Beginn eines Budgetjahres beitreten oder ein eigenes Trägerbudget abschließen. Es gibt keine Exklusivität und keine Fallzuweisungsquoten. Laufende Hilfen bestehender Träger werden im ersten Budgetjahr nicht umgesteuert."
    open_to_new_providers: true
    agreements_open_to_all_suitable: true
    admission_rules: true
    exclusivity: false
    referral_quota_percent: 0""",
   """    wording: "Jeder im Quartier verankerte Träger (§ 3 Abs. 2) kann dem Trägerverbund zum Beginn eines Budgetjahres beitreten. Die Budgetnehmer sind für Hilfen im Quartier exklusiv zuständig; 80 % aller neuen Fälle werden vorrangig der Ev. Kinder- und Familienhilfe Elbvororte gGmbH zugewiesen. Laufende Hilfen bestehender Träger werden im ersten Budgetjahr nicht umgesteuert."
    open_to_new_providers: true
    agreements_open_to_all_suitable: true
    admission_rules: true
    exclusivity: true
    referral_quota_percent: 80""")]))

D.append(("d05-schiedsstelle-ausgeschlossen.yaml",
 ["Die Anrufung der Schiedsstelle ist ausgeschlossen.",
  "Gebrochen: 000_cfe332d5febb39fc.txt, Strukturelle Prüfkriterien, Punkt 7 (\"Die",
  "  Schiedsstellenfähigkeit muss auch bei Budgetvereinbarungen erhalten bleiben\").",
  "Geändert: clauses.schiedsstelle (status: ausgeschlossen, wording)."],
 [("""  schiedsstelle:
    status: vereinbart
    section: "§ 12 Abs. 3"
    wording: "Die Anrufung der Schiedsstelle nach § 78g SGB VIII bleibt für alle Entgeltfragen dieser Vereinbarung unberührt.\"""",
   """  schiedsstelle:
    status: ausgeschlossen
    section: "§ 12 Abs. 3"
    wording: "Die Anrufung der Schiedsstelle nach § 78g SGB VIII ist für Streitigkeiten aus dieser Vereinbarung ausgeschlossen; es entscheidet abschließend die Schlichtungsstelle.\"""")]))

D.append(("d06-keine-tarifklausel.yaml",
 ["Keine Berücksichtigung von Kostensteigerungen (auch nicht tariflicher).",
  "Gebrochen: 000_cfe332d5febb39fc.txt, Strukturelle Prüfkriterien, Punkt 4 (\"Berücksichtigung von",
  "  notwendigen Kostensteigerungen bspw. durch tarifliche Entwicklungen\").",
  "Geändert: clauses.cost_increases (status: ausgeschlossen, mechanism: keine, covers_tariff: false, wording)."],
 [("""  cost_increases:
    status: vereinbart
    section: "§ 9 Abs. 3"
    wording: "Die in der Vertragskommission nach den Hamburger Landesrahmenverträgen vereinbarten Entgeltsteigerungen werden zum 1. Januar jedes Budgetjahres auf die Teilbudgets A und B übertragen; Teilbudget C wird um die tariflichen Steigerungen der Personalkosten der Budgetnehmer angepasst."
    mechanism: index
    covers_tariff: true""",
   """  cost_increases:
    status: ausgeschlossen
    section: "§ 9 Abs. 3"
    wording: "Das Budget ist für die gesamte Laufzeit fest. Kostensteigerungen, auch tarifliche, werden während der Laufzeit nicht berücksichtigt."
    mechanism: keine
    covers_tariff: false""")]))

D.append(("d07-laufzeit-ein-jahr.yaml",
 ["Laufzeit nur ein Jahr (12 Monate statt 36).",
  "Gebrochen: 001_dde54a99f7067d07.txt, Kap. 6.2 'Budgetzeitraum' (\"den Budgetzeitraum auf drei Jahre",
  "  auszulegen, da sich erst dann die Effekte nachhaltiger Arbeit (zumindest ansatzweise) zeigen\").",
  "Geändert: meta.period.end (2027-12-31 statt 2029-12-31)."],
 [("    end: 2029-12-31\n", "    end: 2027-12-31\n"),
  ("""# 001…, Kap. 6.2 Budgetzeitraum ("den Budgetzeitraum auf drei Jahre auszulegen") -> 36 Monate.""",
   """# DEFEKT: Laufzeit nur 12 Monate (Referenzfall: 36 Monate nach 001…, Kap. 6.2 Budgetzeitraum).""")]))

D.append(("d08-keine-nachfrageanpassung.yaml",
 ["Keine Budgetanpassung bei mengenmäßiger Nachfrageänderung.",
  "Gebrochen: 000_cfe332d5febb39fc.txt, Strukturelle Prüfkriterien, Punkt 6 (\"Das",
  "  Bedarfsdeckungsprinzip ist zu beachten. Eine mengenmäßige Nachfrageänderung muss eine",
  "  Budgetanpassung nach sich ziehen\").",
  "Geändert: clauses.demand_adjustment (status: ausgeschlossen, wording; trigger, threshold_percent,",
  "  timing, volume_changes_count und social_changes_count entfallen)."],
 [("""  demand_adjustment:
    status: vereinbart
    section: "§ 9 Abs. 1"
    wording: "Weicht das Fallaufkommen im Quartier um mehr als 5 % vom Planwert der bezirklichen Jugendhilfeplanung ab oder ändern sich demografische oder sozialstrukturelle Indikatoren erheblich, wird das Budget noch im laufenden Budgetjahr angepasst."
    trigger: "Abweichung des Fallaufkommens vom Planwert der bezirklichen Jugendhilfeplanung; erhebliche Änderung demografischer oder sozialstruktureller Indikatoren"
    threshold_percent: 5
    timing: unterjaehrig
    volume_changes_count: true
    social_changes_count: true
""", """  demand_adjustment:
    status: ausgeschlossen
    section: "§ 9 Abs. 1"
    wording: "Das Budget bleibt während der gesamten Laufzeit unabhängig von Veränderungen des Fallaufkommens unverändert."
""")]))

D.append(("d09-teilbudgets-ungleich-gesamt.yaml",
 ["Die Teilbudgets ergeben nicht das Gesamtbudget: Teilbudget B ist mit 725.000 EUR statt 675.000 EUR",
  "  ausgewiesen; Summe der Teilbudgets 3.050.000 EUR gegenüber amount_per_year 3.000.000 EUR (Anteil von B",
  "  unverändert 22,5 %, passt damit ebenfalls nicht mehr zum Betrag).",
  "Gebrochen: rechnerische Konsistenz der Teilbudgets, 001_dde54a99f7067d07.txt, Kap. 3.1 (\"Das daraus",
  "  entwickelte Gesamtbudget wird unterteilt in ein Teilbudget A ... und ein Teilbudget B\") und Kap. 6.2",
  "  (Auszahlungsmodalitäten und Zweckbindungen vertraglich fixiert).",
  "Geändert: budget.teilbudgets[1].amount (725000)."],
 [("      amount: 675000\n", "      amount: 725000\n")]))

D.append(("d10-wahlrecht-nur-budgetnehmer.yaml",
 ["Wunsch- und Wahlrecht auf die Budgetnehmer beschränkt, keine Öffnungsklausel für Träger außerhalb.",
  "Gebrochen: 000_cfe332d5febb39fc.txt, Strukturelle Prüfkriterien, Punkt 1 (\"Erhalt von Wunsch und",
  "  Wahlrecht\"); 001_dde54a99f7067d07.txt, Kap. 2.5 'Gefährdung des Wunsch- und Wahlrechts' (\"bei einem",
  "  Fehlen von Öffnungsklauseln ... faktischen Einschränkung der Rechte der Leistungsberechtigten\").",
  "Geändert: clauses.choice_of_provider (opening_clause: false, limited_to_budget_holders: true, wording;",
  "  outside_provider_paid_by entfällt, weil es keine Wahl außerhalb gibt)."],
 [("""    wording: "Das Wunsch- und Wahlrecht nach §§ 5, 36 Abs. 1 SGB VIII bleibt gewahrt. Wählen Leistungsberechtigte einen Träger außerhalb dieser Vereinbarung, wird die Hilfe vom Bezirksamt nach den jeweils geltenden Entgeltvereinbarungen außerhalb des Budgets finanziert."
    opening_clause: true
    outside_provider_paid_by: oeffentlicher_traeger
    limited_to_budget_holders: false""",
   """    wording: "Leistungsberechtigte im Quartier können zwischen den Budgetnehmern wählen. Hilfen durch Träger außerhalb dieser Vereinbarung werden für Leistungsberechtigte im Quartier nicht finanziert."
    opening_clause: false
    limited_to_budget_holders: true""")]))

D.append(("d11-pauschalen-ohne-absicherung.yaml",
 ["Einheitliche Pauschalen je Klient ohne Absicherung für Personen mit erhöhtem Hilfebedarf.",
  "Gebrochen: 000_cfe332d5febb39fc.txt, Abschnitt 'Ambulante Sozialpsychiatrie' (\"pauschale",
  "  Finanzierungen [erhöhen] das Risiko, dass Personen mit erhöhtem Hilfebedarf diesen nicht immer in dem",
  "  Maße auch erhalten\"), zugleich Strukturelle Prüfkriterien, Punkt 6 (Bedarfsdeckungsprinzip).",
  "Geändert: model.flat_rate_per_client (true), clauses.high_need_safeguard (status: ausgeschlossen,",
  "  wording). calculation_basis bleibt absichtlich unverändert."],
 [("  flat_rate_per_client: false\n", "  flat_rate_per_client: true\n"),
  ("""  high_need_safeguard:
    status: vereinbart
    section: "§ 9 Abs. 4"
    wording: "Keine Pauschalen je Klient. Für Leistungsberechtigte mit erhöhtem oder besonders aufwändigem Hilfebedarf wird der festgestellte Mehrbedarf zusätzlich zum Budget finanziert.\"""",
   """  high_need_safeguard:
    status: ausgeschlossen
    section: "§ 9 Abs. 4"
    wording: "Die Hilfen werden über einheitliche Jahrespauschalen je betreutem Kind bzw. je Familie abgegolten. Ein erhöhter Hilfebedarf im Einzelfall wird nicht gesondert finanziert.\"""")]))

D.append(("d12-sajf-sha-ohne-tatsaechliche-kosten.yaml",
 ["SAJF/SHA-Angebote im Budget ohne Berücksichtigung ihrer tatsächlichen Kosten (Festbetrag nach Haushaltslage).",
  "Gebrochen: 000_cfe332d5febb39fc.txt, Eckpunkte für ein Trägerbudget in der Jugendhilfe, Ziffer 2",
  "  (\"Voraussetzung für die Einbindung dieser Angebote in ein Trägerbudget ist, dass hierfür auch die",
  "  tatsächlichen Kosten eines Trägers berücksichtigt werden\").",
  "Geändert: clauses.sajf_sha_actual_costs (status: ausgeschlossen, wording), services[2].actual_costs_covered",
  "  (false), budget.calculation_basis (ohne tatsaechliche_kosten), budget.earmarks[1].share_base (sonstiges:",
  "  5 % des Festbetrags), Texte in budget.teilbudgets[2].purpose und budget.earmarks[1].description."],
 [("""  sajf_sha_actual_costs:
    status: vereinbart
    section: "§ 6 Abs. 3"
    wording: "Teilbudget C wird nach den tatsächlichen Kosten der SAJF/SHA-Angebote der Budgetnehmer bemessen.\"""",
   """  sajf_sha_actual_costs:
    status: ausgeschlossen
    section: "§ 6 Abs. 3"
    wording: "Teilbudget C wird als Festbetrag nach Haushaltslage bemessen; die tatsächlichen Kosten der SAJF/SHA-Angebote der Budgetnehmer werden nicht berücksichtigt.\""""),
  ("    actual_costs_covered: true\n", "    actual_costs_covered: false\n"),
  ("  calculation_basis: [landesentgelte, fallprognose, sozialindikatoren, tatsaechliche_kosten]\n",
   "  calculation_basis: [landesentgelte, fallprognose, sozialindikatoren]\n"),
  ("mit den tatsächlichen Kosten der Budgetnehmer (500.000 EUR)", "als Festbetrag nach Haushaltslage (500.000 EUR)"),
  ("      share_base: tatsaechliche_kosten\n", "      share_base: sonstiges\n"),
  ("Zusätzlich 5 % auf die tatsächlichen Kosten der SAJF/SHA-Angebote (500.000 EUR)", "Zusätzlich 5 % auf den Festbetrag der SAJF/SHA-Angebote (500.000 EUR)")]))

D.append(("d13-verfuegungsfonds-im-hze-budget.yaml",
 ["Ein Verfügungsfonds für Bewohnerinitiativen ist Teil des Budgets für Hilfen zur Erziehung.",
  "Gebrochen: 001_dde54a99f7067d07.txt, Kap. 7 (\"Wer indes ... ein Budget für die Hilfen zur Erziehung",
  "  im Kontext mit Verfügungsfonds im Rahmen von Quartiermanagement diskutiert, wird die kommunalen",
  "  Akteure konzeptionell verwirren\"; \"Wenn Verfügungsfonds, regionale Budgets für Hilfen zur Erziehung",
  "  ... in einen Topf geworfen werden\") und Kap. 5 (Verfügungsfonds: \"vollständig andere Fragestellungen\").",
  "Geändert: model.includes_verfuegungsfonds (true), Text in budget.teilbudgets[2].purpose."],
 [("  includes_verfuegungsfonds: false\n", "  includes_verfuegungsfonds: true\n"),
  ("; nicht in die Teilbudgets A und B verschiebbar\"", "; nicht in die Teilbudgets A und B verschiebbar. Teil dieses Budgets ist außerdem ein Verfügungsfonds Quartier für Bewohnerinitiativen (Vergabe durch den Stadtteilbeirat)\"")]))

D.append(("d14-tarifklausel-fehlt.yaml",
 ["Der Entwurf regelt Kostensteigerungen nicht: keine Klausel zu Tarif- oder Sachkostensteigerungen (Format 2:",
  "  status: fehlt, der Entwurf wurde gelesen und schweigt dazu; nicht unbekannt).",
  "Gebrochen: 000_cfe332d5febb39fc.txt, Strukturelle Prüfkriterien, Punkt 4 (\"Berücksichtigung von",
  "  notwendigen Kostensteigerungen bspw. durch tarifliche Entwicklungen\").",
  "Geändert: clauses.cost_increases (status: fehlt; section, wording, mechanism und covers_tariff entfallen)."],
 [("""  cost_increases:
    status: vereinbart
    section: "§ 9 Abs. 3"
    wording: "Die in der Vertragskommission nach den Hamburger Landesrahmenverträgen vereinbarten Entgeltsteigerungen werden zum 1. Januar jedes Budgetjahres auf die Teilbudgets A und B übertragen; Teilbudget C wird um die tariflichen Steigerungen der Personalkosten der Budgetnehmer angepasst."
    mechanism: index
    covers_tariff: true""",
   """  cost_increases:
    status: fehlt
    note: "Der Entwurf enthält keine Regelung zu Kosten- oder Tarifsteigerungen (§ 9 regelt nur die Höhe des Budgets)." """.rstrip())]))

for fname, header, reps in D:
    out = body
    for r in reps:
        old, new = r[0], r[1]
        n = r[2] if len(r) > 2 else 1
        c = out.count(old)
        assert c == n, (fname, c, old[:80])
        out = out.replace(old, new)
    num = fname[1:3]
    head = [f"# Defekter Entwurf d{num} (fiktiv): Kopie von cases/source/hamburg-jugendhilfe-eckpunkte.yaml,",
            "# die sich NUR in den unten genannten Feldern unterscheidet; alle anderen Regeln sollen ihr Urteil behalten.",
            "#"]
    head += ["# Defekt: " + header[0]] + ["# " + h for h in header[1:]]
    head += ["#", "# Die Quellenkommentare unten stammen aus dem Referenzfall und beschreiben dessen (korrekte) Fassung."]
    (OUT / fname).write_text("\n".join(head) + "\n" + out, encoding="utf-8")
print("written", len(D))
