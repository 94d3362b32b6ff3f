"""English texts of the model's field descriptions (the model's own descriptions are German).

Keyed by the German description, so one entry serves every field that shares it (every clause's
``status``, ``section``, ``wording``). Used where a report in English (``--lang en``) names a
field: the questions of the Klärungsbedarf and the meaning of a statement in the evidence.
``tests/test_texts_en.py`` fails when a description of the model has no English text here: add
one beside the field you add.
"""

from __future__ import annotations

DESCRIPTION_EN: dict[str, str] = {
    "Version des Formats (2; Format 1 wird mit Hinweis gelesen, 'budgetcheck migrate' stellt um)":
        "Format version (2; format 1 is read with a note, 'budgetcheck migrate' converts it)",
    "Stammdaten der Vereinbarung": "Basic data of the agreement",
    "Titel der Vereinbarung": "Title of the agreement",
    "Aktenzeichen oder Kennung": "File number or identifier",
    "geplant, Entwurf, unterzeichnet oder beendet": "planned, draft, signed or ended",
    "Fassung bzw. Versionsstand": "Version",
    "Datum des Entwurfs": "Date of the draft",
    "Bundesland": "Land (federal state)",
    "Kommune bzw. Kreis": "Municipality or district",
    "Bezirk": "Borough",
    "Datum der Unterzeichnung": "Date of signing",
    "Laufzeit": "Term",
    "Beginn der Laufzeit": "Start of the term",
    "Ende der Laufzeit": "End of the term",
    "Laufzeit in Monaten, wenn sie ohne genaue Daten angegeben ist (z. B. 'fünf Jahre')":
        "Term in months where it is stated without exact dates (e.g. 'five years')",
    "Jahr des Laufzeitbeginns, wenn kein Tagesdatum bekannt ist (z. B. 'im Jahr 2014'); bestimmt mit "
    "duration_months den Rechtsstand (Eingliederungshilfe: altes Recht bis 2019, neues ab 2020)":
        "Year the term starts where no exact date is known (e.g. 'in 2014'); with the duration it decides "
        "the law that applies (integration assistance: old law until 2019, new law from 2020)",
    "Anmerkung, z. B. wenn nur das Jahr bekannt ist": "Note, e.g. when only the year is known",
    "Anmerkung der prüfenden Person": "Reviewer's note",
    "Arbeitsfeld(er)": "Field(s) of work",
    "Vertragsparteien": "Parties",
    "Budgetgeber": "Budget giver",
    "Budgetgeber (öffentlicher Träger)": "Budget giver (public body)",
    "Stelle mit Regiekompetenz, z. B. ASD oder Jugendamt":
        "Unit that directs the aid (Regiekompetenz), e.g. the social services department or youth office",
    "Budgetnehmer (ein oder mehrere Träger)": "Budget holders (one or more providers)",
    "Name des Budgetnehmers": "Name of the budget holder",
    "Art des Trägers": "Kind of provider",
    "Wertorientierung, z. B. evangelisch, katholisch, weltanschaulich neutral":
        "Value orientation, e.g. Protestant, Catholic, non-denominational",
    "Rolle im Budgetmodell": "Role in the budget model",
    "Im Quartier/Sozialraum verankert (laut Vereinbarung oder Nachweis)":
        "Anchored in the neighbourhood/area (by the agreement or by evidence)",
    "Nachweise der Verankerung im Sozialraum (frei formuliert)": "Evidence of anchoring in the area (free text)",
    "Budgetmodell": "Budget model",
    "Form des Budgets": "Form of the budget",
    "Wer das Budget hält": "Who holds the budget",
    "Wer das Budget verwaltet/bewirtschaftet": "Who manages the budget",
    "Träger verfügt in vollem Umfang über das Budget, unabhängig von der Fallzahl (wichtig, wenn die "
    "Wirtschaftliche Jugendhilfe verwaltet)":
        "The provider has full disposal of the budget, whatever the number of cases (matters where the "
        "youth office's finance unit manages it)",
    "Aufteilungsmodell (ISSAB 6.3)": "Allocation model (ISSAB 6.3)",
    "Räumlicher Zuschnitt des Budgets": "Area the budget covers",
    "Ausdrücklich als befristeter Zwischenschritt vereinbart": "Expressly agreed as a temporary step",
    "Ein Verfügungsfonds ist Teil dieses Budgets": "A disposal fund (Verfügungsfonds) is part of this budget",
    "Finanzierung über einheitliche Pauschalen je Klient": "Funding by uniform flat rates per client",
    "Sozialräume": "Areas (Sozialräume)",
    "Name des Sozialraums": "Name of the area",
    "Einwohnerzahl": "Number of inhabitants",
    "Planungsraum": "Planning area",
    "Einbezogene Leistungen": "Services included",
    "Bezeichnung der Leistung": "Name of the service",
    "Rechtsgrundlage, z. B. '§§ 27 ff. SGB VIII'": "Legal basis, e.g. '§§ 27 ff. SGB VIII'",
    "Leistungsbereich (erziehungsberatung: Erziehungsberatung und andere ambulante Hilfen, die nach § 36a "
    "Abs. 2 SGB VIII ohne vorherige Entscheidung des Jugendamts in Anspruch genommen werden; "
    "vollzeitpflege: § 33 SGB VIII)":
        "Area of service (erziehungsberatung: parenting counselling and other outpatient aids used without a "
        "prior decision of the youth office under § 36a(2) SGB VIII; vollzeitpflege: foster care, § 33 SGB VIII)",
    "subjektbezogen (individueller Rechtsanspruch) oder objektbezogen (Infrastruktur)":
        "claim-based (individual legal claim) or infrastructure",
    "ambulant, teilstationär, stationär oder offen": "outpatient, day care, residential or open",
    "Dimensionen der Arbeit": "Dimensions of the work",
    "Tatsächliche Kosten des Trägers werden berücksichtigt (SAJF/SHA)":
        "The provider's actual costs are covered (SAJF/SHA)",
    "Budget": "Budget",
    "Budget pro Jahr in EUR": "Budget per year in EUR",
    "Budget für den ganzen Budgetzeitraum in EUR": "Budget for the whole budget period in EUR",
    "Die Vereinbarung nennt einen konkreten Betrag (auch wenn er hier nicht eingetragen ist); bei "
    "angegebenem Betrag über 0 automatisch true":
        "The agreement states a concrete amount (even if it is not entered here); true when an amount above "
        "0 is given",
    "Budgetzeitraum in Monaten, wenn er von der Laufzeit abweicht (z. B. 12 bei einem jährlich neu "
    "berechneten Budget in einer unbefristeten Vereinbarung)":
        "Budget period in months where it differs from the term (e.g. 12 for a budget recalculated every "
        "year in an open-ended agreement)",
    "Berechnungsgrundlage(n)": "Basis (bases) of calculation",
    "Tatsächliche Kosten des Vorjahres in EUR, soweit bekannt": "Actual costs of the previous year in EUR, if known",
    "Begründung, falls das Budget unter den Vorjahreskosten liegt":
        "Reason given where the budget is below the previous year's costs",
    "Die Vereinbarung begründet ein Budget unter den Vorjahreskosten (false: keine Begründung); bei "
    "angegebener Begründung automatisch true":
        "The agreement gives a reason for a budget below the previous year's costs (false: no reason); true "
        "when a reason is given",
    "Teilbudgets": "Partial budgets",
    "Bezeichnung, z. B. 'Teilbudget A'": "Name, e.g. 'partial budget A'",
    "Teil des Gesamtbudgets (false: nur nachrichtlich aufgeführt, z. B. beim öffentlichen Träger "
    "verbleibend); nicht angegeben gilt als Teil":
        "Part of the total budget (false: listed for information only, e.g. kept by the public body); part "
        "of it when not stated",
    "Zweck": "Purpose",
    "Betrag pro Jahr in EUR": "Amount per year in EUR",
    "Anteil am Gesamtbudget in Prozent": "Share of the total budget in per cent",
    "Wer dieses Teilbudget hält": "Who holds this partial budget",
    "Mittel zwischen Teilbudgets verschiebbar": "Funds can be shifted between partial budgets",
    "Dimension der Arbeit, die es finanziert": "Dimension of the work it funds",
    "Finanziert Altfälle": "Funds existing cases",
    "Finanziert besonders kostenintensive, unbeeinflussbare Einzelfälle":
        "Funds particularly costly individual cases beyond the provider's influence",
    "Auszahlungsmodalitäten": "Terms of payment",
    "Auszahlungsrhythmus": "Payment instalments",
    "Unbedingt ausgezahlter Anteil in Prozent": "Share paid unconditionally, in per cent",
    "Bedingt ausgezahlte Anteile mit ihren Bedingungen": "Shares paid on conditions, with their conditions",
    "Anteil in Prozent": "Share in per cent",
    "Bedingung für die Auszahlung": "Condition of payment",
    "Die Vereinbarung benennt die Bedingung (false: Anteil ist an eine nicht benannte Bedingung geknüpft); "
    "bei angegebener Bedingung automatisch true":
        "The agreement names the condition (false: the share depends on a condition not named); true when a "
        "condition is given",
    "Mittel stehen zu Beginn des Abrechnungszeitraums zur Verfügung":
        "Funds are available at the start of the accounting period",
    "Fundstelle in der Vereinbarung": "Section of the agreement",
    "Leistungsbonus": "Performance bonus",
    "Leistungsbonus in Prozent des Budgets": "Performance bonus in per cent of the budget",
    "Bedingungen des Leistungsbonus": "Conditions of the performance bonus",
    "Zweckbindungen": "Earmarks",
    "Zweck der Zweckbindung": "Purpose of the earmark",
    "Worauf sich der Anteil bezieht (Gesamtbudget, Teilbudget, Landesentgelte, ...)":
        "What the share refers to (total budget, partial budget, Land fees, ...)",
    "Betrag in EUR": "Amount in EUR",
    "Beschreibung": "Description",
    "Vertragsklauseln": "Contract clauses",
    "Individuelle Rechtsansprüche bleiben unberührt": "Individual legal claims remain untouched",
    "Vertrag, Praxis oder nur geplant": "Contract, practice or only planned",
    "vereinbart; ausgeschlossen (oder widersprechend geregelt); fehlt (der Entwurf regelt es nicht); "
    "unbekannt (noch nicht geprüft, Standard)":
        "agreed; excluded (or provided otherwise); absent (the draft does not regulate it); unknown (not "
        "examined yet, the default)",
    "Fundstelle, z. B. '§ 7 Abs. 2'": "Section, e.g. '§ 7 (2)'",
    "Wortlaut (optional)": "Wording (optional)",
    "Wunsch- und Wahlrecht der Leistungsberechtigten": "Right of the persons entitled to choose their provider",
    "Öffnungsklausel: Leistungsberechtigte können Träger außerhalb des Budgets wählen":
        "Opening clause: persons entitled can choose providers outside the budget",
    "Wer bei Wahl eines Trägers außerhalb des Budgets zahlt": "Who pays when a provider outside the budget is chosen",
    "Wahl ist auf die Budgetnehmer beschränkt": "Choice is limited to the budget holders",
    "Zugang weiterer Träger, Exklusivität, Fallzuweisungsquoten":
        "Access of further providers, exclusivity, referral quotas",
    "Weitere im Sozialraum verankerte Träger können ein Budget abschließen":
        "Further providers anchored in the area can conclude a budget",
    "Regeln zur Aufnahme neuer Kooperationspartner": "Rules for admitting new cooperation partners",
    "Exklusivität für die Budgetnehmer": "Exclusivity for the budget holders",
    "Vorrangige Fallzuweisungsquote für ausgewählte Träger in Prozent":
        "Preferential referral quota for selected providers in per cent",
    "Leistungsvereinbarungen bleiben jedem geeigneten Träger offen, unabhängig vom Budget":
        "Service agreements remain open to every suitable provider, independent of the budget",
    "Befristete Bestandsgarantie für bestehende Träger in der Einstiegsphase":
        "Temporary guarantee for existing providers in the starting phase",
    "Auswahlverfahren der Budgetnehmer": "Selection procedure of the budget holders",
    "Auswahlverfahren": "Selection procedure",
    "Transparente jugendhilfespezifische Qualitätskriterien": "Transparent quality criteria specific to youth welfare",
    "Verfahren und Kriterien sind veröffentlicht": "Procedure and criteria are published",
    "Der Jugendhilfeausschuss entscheidet über die Auswahl (welches Verfahren auch immer)":
        "The youth welfare committee decides on the selection (whatever the procedure)",
    "Hilfen werden nur im Rahmen der Budgetmittel gewährt (die Gewährung selbst hängt vom Budget ab)":
        "Aid is granted only within the budget's means (granting itself depends on the budget)",
    "Offene und transparente Verfahren in Planung und Umsetzung":
        "Open and transparent procedures in planning and implementation",
    "Nachvollziehbar ausgewiesen, welche Mittel mit welchen Zielen und Wirkungen ausgegeben werden "
    "(ISSAB 2002, Kap. 6.2)":
        "Shown traceably which funds are spent on which goals and with which effects (ISSAB 2002, ch. 6.2)",
    "Beteiligung der Leistungsberechtigten an der Weiterentwicklung":
        "Participation of the persons entitled in further development",
    "Berücksichtigung von Kostensteigerungen (Tarif)": "Cost increases taken into account (pay scales)",
    "Wie Kostensteigerungen berücksichtigt werden": "How cost increases are taken into account",
    "Tarifsteigerungen sind erfasst": "Pay-scale increases are covered",
    "Landesrahmenverträge und Einzelvereinbarungen": "Land framework agreements and individual agreements",
    "Landesrahmenvertrag, der gilt": "Land framework agreement that applies",
    "Einzelvereinbarungen (Leistungs-, Entgelt- bzw. Vergütungsvereinbarungen mit jedem Träger) bleiben "
    "neben dem Budget bestehen":
        "Individual agreements (service, fee or remuneration agreements with each provider) remain beside the "
        "budget",
    "Budgetanpassung bei Nachfrageänderung": "Budget adjustment when demand changes",
    "Auslöser der Anpassung": "Trigger of the adjustment",
    "Schwelle in Prozent": "Threshold in per cent",
    "Wirkung unterjährig oder erst im Folgejahr": "Effective within the year or only in the following year",
    "Mengenmäßige Nachfrageänderungen (Fallzahlen, Fallvolumen) lösen die Anpassung aus":
        "Changes in the volume of demand (numbers of cases, case volume) trigger the adjustment",
    "Demografische und sozialstrukturelle Veränderungen zählen als Anlass":
        "Demographic and social-structural changes count as an occasion",
    "Umgang mit Budgetüberschreitungen (Nachfinanzierung)": "Overspending of the budget (additional funding)",
    "Nachfinanzierung: anspruch, ermessen, keine": "Additional funding: as of right, at discretion, none",
    "Verfahren der Nachfinanzierung": "Procedure of additional funding",
    "Umgang mit Überschüssen": "Surpluses",
    "Anteil der Überschüsse, der beim Träger verbleibt, in Prozent":
        "Share of surpluses the provider keeps, in per cent",
    "Verwendung der Überschüsse": "Use of surpluses",
    "Überschüsse verbleiben nur unter der Voraussetzung, dass nachweislich alle notwendigen Hilfen "
    "geleistet worden sind (ISSAB 2002, Kap. 3.1)":
        "Surpluses stay only provided that all necessary help has demonstrably been given (ISSAB 2002, ch. 3.1)",
    "Schiedsstellenfähigkeit: vereinbart = erhalten, ausgeschlossen = ausgeschlossen":
        "Recourse to the statutory arbitration board: agreed = kept, excluded = excluded",
    "Schlichtungsstelle für Konfliktfälle": "Conciliation body for disputes",
    "Budgetgeber und Budgetnehmer können die Schlichtungsstelle anrufen":
        "Budget giver and budget holders can call on the conciliation body",
    "Nachverhandlung bei unvorhergesehener Veränderung": "Renegotiation on unforeseen changes",
    "Kündigung": "Termination",
    "Kündigungsfrist in Monaten": "Notice period in months",
    "Überleitung bestehender Fälle (Altfälle)": "Transfer of existing cases",
    "Prinzipien des Fachkonzepts Sozialraumorientierung": "Principles of the area-based approach (Sozialraumorientierung)",
    "Ausdrücklich vereinbarte Prinzipien des Fachkonzepts Sozialraumorientierung":
        "Principles of the area-based approach expressly agreed",
    "Partizipative Hilfeplanung / Gesamtplanung": "Participatory care planning / overall planning",
    "Kooperation und Vernetzung mit anderen Fachkräften und Diensten":
        "Cooperation and networking with other professionals and services",
    "Steuerungsgremium": "Steering committee",
    "Paritätisch besetzt": "Equally composed",
    "Begleitet und überprüft die Vereinbarungen": "Accompanies and reviews the agreements",
    "Zusammensetzung": "Composition",
    "Kriterien der Verankerung im Quartier/Sozialraum": "Criteria of anchoring in the neighbourhood/area",
    "Kriterien der Verankerung im Quartier": "Criteria of anchoring in the neighbourhood",
    "Verfahren zur Bewertung der geleisteten Arbeit": "Procedure for assessing the work done",
    "Kriterienkatalog vor Aufnahme der Tätigkeit vereinbart": "Catalogue of criteria agreed before work starts",
    "Wissenschaftliche Begleitung und Evaluation": "Scientific monitoring and evaluation",
    "Berichtswesen, Systemcontrolling und Fallbegleitung": "Reporting, system controlling and case monitoring",
    "Verfahren der Fallbegleitung: der öffentliche Träger wird regelmäßig über den Fallverlauf und den Grad "
    "der Zielerreichung informiert (ISSAB 2002, Kap. 6.2)":
        "Case monitoring: the public body is informed regularly about the course of each case and how far "
        "its goals are met (ISSAB 2002, ch. 6.2)",
    "Gemeinsame Fortbildung": "Joint further training",
    "Anteil für gemeinsame Fortbildung in Prozent": "Share for joint further training in per cent",
    "Gemeinsame Fortbildung von öffentlichem und freiem Träger": "Joint further training of public body and providers",
    "Der öffentliche Träger entscheidet über jede Hilfe (Hilfeplan, Regiekompetenz)":
        "The public body decides on every aid (care plan, Regiekompetenz)",
    "Der Leistungserbringer entscheidet über die Gewährung von Hilfen": "The provider decides on granting aid",
    "Hilfeplanverfahren mit Sozialraumteams unter Regie des öffentlichen Trägers":
        "Care planning with area teams under the public body's lead",
    "Rollen von Gewährung und Leistungserbringung getrennt": "Roles of granting and providing aid kept apart",
    "Kinderschutz und Gewaltschutz (§ 8a Abs. 4, § 72a SGB VIII; § 37a SGB IX)":
        "Child protection and protection from violence (§ 8a(4), § 72a SGB VIII; § 37a SGB IX)",
    "Vereinbarung nach § 8a Abs. 4 SGB VIII (Schutzauftrag bei Kindeswohlgefährdung), in der "
    "Budgetvereinbarung oder in einer eigenen Vereinbarung, auf die sie verweist":
        "Agreement under § 8a(4) SGB VIII (child-protection mandate), in the budget agreement or in a "
        "separate agreement it refers to",
    "Vereinbarung nach § 72a Abs. 2, 4 SGB VIII (Tätigkeitsausschluss einschlägig vorbestrafter Personen, "
    "erweitertes Führungszeugnis)":
        "Agreement under § 72a(2), (4) SGB VIII (exclusion of persons with relevant convictions, extended "
        "certificate of good conduct)",
    "Eingliederungshilfe: Maßnahmen zum Schutz vor Gewalt, insbesondere ein auf die Einrichtung oder den "
    "Dienst zugeschnittenes Gewaltschutzkonzept (§ 37a SGB IX)":
        "Eingliederungshilfe: measures protecting against violence, in particular a protection concept "
        "tailored to the facility or service (§ 37a SGB IX)",
    "SAJF/SHA-Angebote mit ihren tatsächlichen Kosten": "SAJF/SHA offers funded at their actual costs",
    "Absicherung für Personen mit erhöhtem Hilfebedarf": "Safeguard for persons with higher need",
    "Sozialräumliche Jugendhilfeplanung als Grundlage": "Area-based youth welfare planning as the basis",
    "Sozialräumliche Indikatoren": "Area-based indicators",
    "Kleinräumige Daten": "Small-area data",
    "Mit den freien Trägern abgestimmtes sozialräumliches Gesamtkonzept":
        "Area-based overall concept agreed with the independent providers",
    "Dimensionen der Arbeit vertraglich festgeschrieben": "Dimensions of the work laid down in the contract",
    "Vertraglich festgeschriebene Dimensionen": "Dimensions laid down in the contract",
    "Subjekt- und objektbezogene Leistungen getrennt ausgewiesen":
        "Claim-based and infrastructure services shown separately",
    "Regeln für Subunternehmer (Gewährleistungsträger-Modell)": "Rules for subcontractors (guarantor model)",
    "Haftung, Eintritt und Austritt (gemeinnützige Gesellschaft)": "Liability, joining and leaving (non-profit company)",
    "Fortschreibungsverfahren des Budgets": "Procedure for carrying the budget forward",
    "Individuell bedarfsdeckende, qualitätsgesicherte Leistungen":
        "Services that meet individual need, with quality assurance",
    "Ausnahmen von Regeln, mit Begründung": "Waivers of rules, with reasons",
    "Id der Regel, die ausgenommen wird": "Id of the rule waived",
    "Begründung (Pflicht)": "Reason (required)",
    "Wer die Ausnahme erteilt hat": "Who granted the waiver",
    "Ablaufdatum; danach gilt die Ausnahme nicht mehr": "Expiry date; the waiver no longer applies after it",
}


def description_en(german: str) -> str:
    """The English text of a German model description (the German one where none is known)."""
    return DESCRIPTION_EN.get(german, german)
