"""Hand-written columns of the case table in cases/README.md (merged by expected.py --readme).

One entry per case (key: path from the repository root): ``origin`` (source section; for drafts it
is generated when left out) and ``finding``: one sentence on what the checker finds and why. Kept as a
Python dict, not YAML, so that ``budgetcheck check cases/`` does not take it for an agreement.
Update the sentence when a case's verdicts change.
"""

S = "cases/source/"
D = "cases/defective/"

SUMMARIES: dict[str, dict[str, str]] = {
    S + "hamburg-2014-eingliederungshilfe-traegerbudget.yaml": {
        "origin": "000, Aktuelle Trägerbudgets in der Eingliederungshilfe",
        "finding": "The four common frame conditions (participation, legal claims kept, needs-covering quality, "
                   "existing Leistungsvereinbarungen stay) and the five-year term are erfüllt; Wahlrecht, Schiedsstelle, "
                   "Vergabe and demand adjustment are not in the source, so blockers stay open; the stated "
                   "'konkreter Geldbetrag' cannot be encoded (R6).",
    },
    S + "hamburg-asp-ambulante-sozialpsychiatrie.yaml": {
        "origin": "000, Ambulante Sozialpsychiatrie",
        "finding": "Prospective annual budget from lump sums per client: it follows the previous year's case numbers "
                   "(Bedarfsdeckung erfüllt), but in-year changes count only next year and the budget period is one "
                   "year, both rightly verletzt (minor) but invisible to the checker (R4, R5); a safeguard for higher "
                   "needs is not mentioned (ungeklärt).",
    },
    S + "hamburg-jugendhilfe-eckpunkte.yaml": {
        "origin": "fictional exemplary agreement after 000 (Prüfkriterien, Qualitätsstandards, Eckpunkte) and 001 ch. 5–7",
        "finding": "Every applicable rule is erfüllt; the nicht anwendbar ones are Eingliederungshilfe rules, flat "
                   "rates and allocation models it does not use; the base of the 14 defective drafts.",
    },
    S + "issab-3-01-stuttgart.yaml": {
        "origin": "001, ch. 3.1 and table 3.12",
        "finding": "Monopolist Trägerbudget per district: conditional payout, bonus, surplus, teams, controlling and "
                   "evaluation criteria erfüllt; Wahlrecht, plurality and renegotiation were only 'diskutiert', so the "
                   "blockers stay open; its two violations are Hamburg Eckpunkte that do not apply (R1).",
    },
    S + "issab-3-02-hannover.yaml": {
        "origin": "001, ch. 3.2 and table 3.12",
        "finding": "Four-part budget adjusted to changing social indicators: the social-risk rule is erfüllt, but "
                   "whether case numbers adjust the budget is open, so Bedarfsdeckung should be ungeklärt (R3); its "
                   "two violations are Hamburg Eckpunkte (R1).",
    },
    S + "issab-3-03-bremen.yaml": {
        "origin": "001, ch. 3.3 and table 3.12",
        "finding": "Planned administration-internal budget of the municipal Sozialzentren with free providers "
                   "'zunächst' excluded: access of further providers is verletzt (blocker, a genuine finding, L2), "
                   "so nicht zeichnungsreif; the transitional guarantee is wrongly verletzt (R2).",
    },
    S + "issab-3-04-frankfurt-oder.yaml": {
        "origin": "001, ch. 3.4, 6.2 and table 3.12",
        "finding": "Trägerbudget for one ASD planning district managed by the Wirtschaftliche Jugendhilfe: surplus, "
                   "teams and controlling erfüllt; whether the providers fully dispose of the WJH-managed budget "
                   "(001, 6.1) is open; its violation is a Hamburg Eckpunkt (R1).",
    },
    S + "issab-3-05-wiesbaden.yaml": {
        "origin": "001, ch. 3.5 and table 3.12",
        "finding": "Abandoned administration-internal budget for KJHG services other than HzE (material costs "
                   "only): almost nothing to test, two erfüllt, the rest open or not applicable.",
    },
    S + "issab-3-06-celle.yaml": {
        "origin": "001, ch. 3.6, 6.2 and table 3.12",
        "finding": "City-wide budget of all four ambulant providers as a Verbund: the three dimensions, separate "
                   "case and infrastructure funds and management by the Verbund erfüllt; opening clause and "
                   "Nachfinanzierung are not stated; its violation is a Hamburg Eckpunkt (R1).",
    },
    S + "issab-3-07-siegen.yaml": {
        "origin": "001, ch. 3.7 and table 3.12",
        "finding": "KiJuFaz Trägerverbund whose budget must be raised for social-structural change or influx: the "
                   "whole Nachfinanzierung chain (no cap, Mehrausgaben, legal claims) is erfüllt and nothing is "
                   "verletzt; access of providers and Wahlrecht are not stated.",
    },
    S + "issab-3-08-tuebingen.yaml": {
        "origin": "001, ch. 3.8 and table 3.12",
        "finding": "Planned two-part budgets with four Schwerpunktträger: only the separation of case and "
                   "infrastructure funds, cooperation and controlling are erfüllt; everything else is open.",
    },
    S + "issab-3-09-kamp-lintfort.yaml": {
        "origin": "001, ch. 3.9 and table 3.12",
        "finding": "City-wide budget for non-stationary HzE of a Verbund of all previous providers, managed by the "
                   "WJH: jointly developed concept, teams, transparency and the transfer guarantee erfüllt; its "
                   "violations are Hamburg Eckpunkte (R1).",
    },
    S + "issab-3-10-neunkirchen.yaml": {
        "origin": "001, ch. 3.10, 6.3 and table 3.12",
        "finding": "HzE 'aus einer Hand' by a Verbund of six providers from an administration-internal budget: the "
                   "quality criteria are still to be developed in a three-year introduction phase, so the evaluation "
                   "procedure is verletzt (genuine, L2); the other two violations are Hamburg Eckpunkte (R1).",
    },
    S + "issab-3-11-nordfriesland.yaml": {
        "origin": "001, ch. 3.11, 6.2 and table 3.12",
        "finding": "Four-part budget after a public call for five Sozialräume: anchoring criteria, carry-forward, "
                   "old cases and teams erfüllt; whether procurement law applied and whether overruns are refinanced "
                   "as of right is not stated, so the Vergabe blocker stays open; its violation is R1.",
    },
    D + "d01-keine-nachfinanzierung.yaml": {
        "finding": "Overspending excluded: only the Nachfinanzierung rule is verletzt (major); the in-year demand "
                   "adjustment still keeps the budget from being a cap.",
    },
    D + "d02-ausschreibung-gwb.yaml": {
        "finding": "Budget holders chosen by a GWB tender: the procurement blocker and the Jugendhilfeausschuss "
                   "procedure are verletzt.",
    },
    D + "d03-budget-beim-asd.yaml": {
        "finding": "Budget kept at the ASD as an administration-internal budget, not as a temporary step: verletzt "
                   "(major); the rules for Träger- and Sozialraumbudgets no longer apply (P3).",
    },
    D + "d04-exklusive-fallzuweisungsquote.yaml": {
        "finding": "Exclusivity and an 80 % referral quota: the access and case-law blockers are verletzt, and the "
                   "quota restricts the Wahlrecht (derived); the draft also keeps access open to new providers, a "
                   "contradiction the consistency rule names; the monopoly rules apply and are met.",
    },
    D + "d05-schiedsstelle-ausgeschlossen.yaml": {
        "finding": "Schiedsstelle excluded: the blocker for (teil)stationary youth welfare is verletzt.",
    },
    D + "d06-keine-tarifklausel.yaml": {
        "finding": "No cost or tariff increases during the term: the cost-increase rule is verletzt (major).",
    },
    D + "d07-laufzeit-ein-jahr.yaml": {
        "finding": "Twelve-month term: only the three-year budget period rule is verletzt, a minor rule, so the "
                   "draft stays zeichnungsreif.",
    },
    D + "d08-keine-nachfrageanpassung.yaml": {
        "finding": "No adjustment to demand: the Bedarfsdeckung blocker is verletzt; the Nachfinanzierung clause "
                   "still keeps the other refinancing rules erfüllt.",
    },
    D + "d09-teilbudgets-ungleich-gesamt.yaml": {
        "finding": "Teilbudget B 50,000 EUR too high: the sum and the share/amount consistency rules are verletzt.",
    },
    D + "d10-wahlrecht-nur-budgetnehmer.yaml": {
        "finding": "Choice limited to the budget holders without an opening clause: both Wahlrecht blockers are "
                   "verletzt.",
    },
    D + "d11-pauschalen-ohne-absicherung.yaml": {
        "finding": "Flat rates per client without a safeguard for higher needs: verletzt (major).",
    },
    D + "d12-sajf-sha-ohne-tatsaechliche-kosten.yaml": {
        "finding": "SAJF/SHA included as a fixed sum instead of their actual costs: verletzt (major).",
    },
    D + "d13-verfuegungsfonds-im-hze-budget.yaml": {
        "finding": "A Verfügungsfonds inside the HzE budget: verletzt (major).",
    },
    D + "d14-tarifklausel-fehlt.yaml": {
        "finding": "The full draft has no clause on cost or tariff increases (`status: fehlt`, format 2): the draft "
                   "is silent, so the cost-increase rule is verletzt (major), not ungeklärt.",
    },
}
