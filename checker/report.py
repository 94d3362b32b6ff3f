"""The human-readable audit report (*Prüfbericht*): text, Markdown and HTML.

:func:`render_report` turns a list of :class:`~checker.verdicts.AgreementResult`
into one document. The Result is the only input: verdicts, evidence, chains
and waivers are read from it, never recomputed. This module prepares a view
model (sorting, grouping, counts, labels, formatted values) and hands it to the
Jinja2 templates in ``templates/``, which only lay it out.

Every string that comes from an input (agreement file, waiver file, rule
catalogue) is passed through the format's escaping on output: HTML autoescape;
a Markdown escape that backslash-escapes the characters with meaning in GitHub
Markdown and flattens line breaks; for text, control characters are made
visible as ``⟨U+001B⟩``. The same applies in every format to control and
bidirectional-override characters, so nothing hidden reaches the reader.

The output is deterministic: no current time (the date is ``run.check_date``),
fixed sort orders, no dependence on dict or set order of the input.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import textwrap
import unicodedata
from decimal import Decimal
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Optional

from markupsafe import Markup
from pydantic import BaseModel

from checker.paths import templates_dir
from checker.facts import DERIVED
from checker.labels import ENUM, GROUP, LAND, OVERALL, SEVERITY, VERDICT, label, reader_text, source_origin
from checker.model import ABSENT, Agreement, Clauses, ClauseStatus, inner_class, silence_at
from checker.regime import Regime, cited
from checker.texts_en import description_en
from checker.rules import SEVERITY_ORDER, Group, Rule, Severity, Verdict
from checker.verdicts import (
    DERIVED_INPUTS,
    OVERALL_BLOCKED,
    OVERALL_CONDITIONAL,
    OVERALL_OK,
    OVERALL_OPEN,
    OVERALL_UNJUDGEABLE,
    AgreementResult,
    Evidence,
    Finding,
    Missing,
    RunInfo,
    blocker_tally,
    WaiverNote,
    path_tuple,
    value_at,
)

FORMATS = ("text", "markdown", "html")
LANGS = ("de", "en")
TEMPLATES_DIR = templates_dir()
TEMPLATE_FILES = {"text": "report.txt.j2", "markdown": "report.md.j2", "html": "report.html.j2"}

TEXT_WIDTH = 100  # target line length of the text format

# Fixed order of verdicts in every listing and table: what needs action first.
VERDICT_SEQUENCE = (Verdict.verletzt, Verdict.ungeklaert, Verdict.ausgenommen, Verdict.erfuellt,
                    Verdict.nicht_anwendbar)
VERDICT_RANK = {v: i for i, v in enumerate(VERDICT_SEQUENCE)}
SEVERITY_SEQUENCE = tuple(sorted(Severity, key=lambda s: -SEVERITY_ORDER[s]))  # blocker first
GROUP_SEQUENCE = tuple(Group)

# --------------------------------------------------------------------------- fixed wording

_W: dict[str, tuple[str, str]] = {
    "report": ("Prüfbericht", "Audit report"),
    "doc_title_one": ("Prüfbericht: {title}", "Audit report: {title}"),
    "doc_title_many": ("Prüfbericht: {n} Vereinbarungen", "Audit report: {n} agreements"),
    "produced_by": ("erstellt mit budgetcheck {version}, Regelkatalog {catalogue}, Prüfdatum {date}",
                    "produced by budgetcheck {version}, rule catalogue {catalogue}, date of check {date}"),
    "contents": ("Inhalt", "Contents"),
    "summary": ("Übersicht", "Summary"),
    "summary_intro": ("Geprüft wurden {n} Vereinbarungen. Einzelheiten folgen je Vereinbarung in einem eigenen Teil.",
                      "{n} agreements were checked. Each one follows in its own part."),
    "agreement_n": ("Vereinbarung {n}", "Agreement {n}"),
    "file": ("Datei", "File"),
    "title": ("Titel", "Title"),
    # header
    "identifier": ("Kennung / Aktenzeichen", "Identifier"),
    "status": ("Bearbeitungsstand", "Status"),
    "version": ("Fassung", "Version"),
    "draft_date": ("Datum des Entwurfs", "Draft date"),
    "signing_date": ("Datum der Unterzeichnung", "Signing date"),
    "land": ("Bundesland", "Land (federal state)"),
    "municipality": ("Kommune / Kreis", "Municipality"),
    "district": ("Bezirk", "District"),
    "period": ("Laufzeit", "Period"),
    "regime": ("Rechtsstand", "Legal regime"),
    "criticism": ("Beruht auf einer Kritik", "Rests on a criticism"),
    "proceeding_verified": ("am Primärtext geprüft", "checked against the decision's text"),
    "proceeding_summary": ("nur aus Sekundärquelle bekannt, nicht am Primärtext geprüft",
                           "known from a secondary summary only, not checked against the decision's text"),
    "giver": ("Budgetgeber", "Budget giver"),
    "regie": ("Regiekompetenz", "Regiekompetenz"),
    "takers": ("Budgetnehmer", "Budget takers"),
    "input_file": ("Eingabedatei", "Input file"),
    "sha256": ("SHA-256 der Eingabedatei", "SHA-256 of the input file"),
    "not_stated": ("nicht angegeben", "not stated"),
    **{f"status_{key}": pair for key, pair in ENUM["AgreementStatus"].items()},
    "open_start": ("offen", "open"),
    # sections
    "sec_overall": ("Gesamturteil", "Overall verdict"),
    "sec_counts": ("Übersicht nach Gruppe und Schwere", "Counts by group and severity"),
    "sec_criteria": ("Alle Kriterien", "All criteria"),
    "sec_findings": ("Befunde: verletzte und ungeklärte Kriterien", "Findings: violated and unresolved criteria"),
    "sec_questions": ("Klärungsbedarf", "Open questions (Klärungsbedarf)"),
    "sec_waivers": ("Ausnahmen", "Waivers"),
    "sec_settled": ("Erfüllte und nicht anwendbare Kriterien", "Fulfilled and not applicable criteria"),
    "sec_appendix": ("Anhang", "Appendix"),
    "sec_repro": ("Reproduzierbarkeit", "Reproducibility"),
    "sec_glossary": ("Begriffe", "Terms"),
    # overall
    "overall_is": ("Gesamturteil", "Overall verdict"),
    "meaning_" + OVERALL_BLOCKED: ("Die Vereinbarung sollte in dieser Fassung nicht unterzeichnet werden.",
                                   "The agreement should not be signed as it stands."),
    "meaning_" + OVERALL_UNJUDGEABLE: (
        "Die Beschreibung reicht für ein Urteil nicht aus. Erst die offenen Fragen (Klärungsbedarf) beantworten "
        "(oder im Entwurf nachsehen: vereinbart, ausgeschlossen oder fehlt), dann erneut prüfen.",
        "The description is too thin for a verdict. Answer the open questions first (or look them up in the "
        "draft: agreed, excluded or absent), then check again."),
    "meaning_" + OVERALL_OPEN: (
        "Nicht unterzeichnen, bevor die ungeklärten Blocker geklärt sind: die Antworten auf die offenen "
        "Fragen (Klärungsbedarf) entscheiden, ob die Vereinbarung zeichnungsreif ist.",
        "Do not sign before the unresolved blockers are settled: the answers to the open questions decide "
        "whether the agreement is fit to sign."),
    "unjudgeable_reason": ("{open} von {total} Blockern, die anwendbar sein können, sind ungeklärt",
                           "{open} of {total} blockers that may apply are unresolved"),
    "meaning_" + OVERALL_CONDITIONAL: ("Vor der Unterzeichnung sind die genannten Punkte zu ändern oder "
                                       "verbindlich zu klären.",
                                       "Before signing, the points named must be changed or settled in writing."),
    "meaning_" + OVERALL_OK: ("Nach den geprüften Kriterien steht einer Unterzeichnung nichts entgegen.",
                              "As far as the checked criteria go, nothing stands in the way of signing."),
    "blockers_violated": ("{n} Blocker verletzt", "{n} blocker violated|{n} blockers violated"),
    "majors_violated": ("{n} erhebliches Kriterium verletzt|{n} erhebliche Kriterien verletzt",
                        "{n} major criterion violated|{n} major criteria violated"),
    "blockers_open": ("{n} Blocker ungeklärt", "{n} blocker unresolved|{n} blockers unresolved"),
    "no_blocker_violated_but": ("Kein Blocker verletzt, aber {parts}", "No blocker violated, but {parts}"),
    "and": (" und ", " and "),
    "decisive": ("Ausschlaggebend", "Decisive"),
    "ok_reason": ("Kein Blocker und kein erhebliches Kriterium verletzt, kein Blocker ungeklärt",
                  "No blocker and no major criterion violated, no blocker unresolved"),
    "further_open": ("weitere {n} Kriterien sind verletzt oder ungeklärt (geringere Schwere)",
                     "{n} further criteria are violated or unresolved (lower severity)"),
    "further_open_1": ("ein weiteres Kriterium ist verletzt oder ungeklärt (geringere Schwere)",
                       "one further criterion is violated or unresolved (lower severity)"),
    "waived_count": ("{n} Kriterium ausgenommen|{n} Kriterien ausgenommen",
                     "{n} criterion waived|{n} criteria waived"),
    "reason_fallback": ("Begründung siehe Befunde", "For the reasons see the findings"),
    # counts
    "criteria_total": ("{n} Kriterien geprüft", "{n} criteria checked"),
    "group": ("Gruppe", "Group"),
    "severity": ("Schwere", "Severity"),
    "verdict": ("Urteil", "Verdict"),
    "total": ("Summe", "Total"),
    "id": ("Id", "Id"),
    "criterion": ("Kriterium", "Criterion"),
    # findings
    "no_findings": ("Kein Kriterium ist verletzt oder ungeklärt.", "No criterion is violated or unresolved."),
    "why_" + Verdict.verletzt.value: ("Die Angaben der Vereinbarung widersprechen dem Kriterium:",
                                      "The agreement's statements contradict the criterion:"),
    "why_" + Verdict.erfuellt.value: ("Belegt durch diese Angaben:", "Shown by these statements:"),
    "why_" + Verdict.nicht_anwendbar.value: ("Nicht anwendbar wegen dieser Angaben:",
                                             "Not applicable because of these statements:"),
    "why_" + Verdict.ungeklaert.value: ("Diese Angaben fehlen; sie würden das Kriterium entscheiden:",
                                        "These statements are missing; they would decide the criterion:"),
    "why_" + Verdict.ausgenommen.value: ("Angaben, auf denen das ausgesetzte Urteil beruht:",
                                         "Statements behind the verdict set aside:"),
    "applies_because": ("Das Kriterium gilt hier, weil", "The criterion applies here because"),
    "field": ("Angabe", "Field"),
    "value": ("Wert", "Value"),
    "section": ("Fundstelle im Vertrag", "Section of the agreement"),
    "line": ("Zeile", "Line"),
    "line_n": ("Zeile {n}", "line {n}"),
    "computed": ("berechnet", "computed"),
    "entries": ("{n} Eintrag|{n} Einträge", "{n} entry|{n} entries"),
    "yes": ("ja", "yes"),
    "no": ("nein", "no"),
    "conclusion_of": ("Zwischenergebnis von {id}", "intermediate finding of {id}"),
    "conclusion": ("Zwischenergebnis „{name}“", "intermediate finding “{name}”"),
    "clause_texts": ("Vertragstext laut Eingabe", "Agreement text as given"),
    "wording": ("Wortlaut", "Wording"),
    "reviewer_note": ("Anmerkung der prüfenden Person", "Reviewer's note"),
    "source": ("Quelle", "Source"),
    "source_section": ("Abschnitt", "section"),
    "bullet": ("Punkt {n}", "item {n}"),
    "legal_basis": ("Rechtsgrundlage", "Legal basis"),
    "rationale": ("Begründung", "Rationale"),
    "recommendation": ("Was zu ändern ist", "What to change"),
    "question_for": ("Frage an die andere Seite", "Question for the other party"),
    "depends_on": ("Beruht auf", "Based on"),
    "not_checked": ("nicht geprüft", "not checked"),
    "see_question": ("siehe Klärungsbedarf, Frage {n}", "see open questions, question {n}"),
    "see_questions": ("siehe Klärungsbedarf, Fragen {list}", "see open questions, questions {list}"),
    "verdict_set_aside": ("ausgesetztes Urteil", "verdict set aside"),
    "Verdict_set_aside": ("Ausgesetztes Urteil", "Verdict set aside"),
    "Granted_by": ("Erteilt von", "Granted by"),
    "Expires": ("Gültig bis", "Valid until"),
    "Waiver_origin": ("Eingetragen in", "Recorded in"),
    # questions
    "no_questions": ("Kein Klärungsbedarf: kein Kriterium ist ungeklärt.",
                     "No open questions: no criterion is unresolved."),
    "questions_intro": ("Eine Frage je entscheidender Angabe, auch wenn sie mehrere Kriterien entscheidet; "
                        "zuerst die Fragen, die über Blocker entscheiden. Wo unklar ist, ob ein Kriterium "
                        "überhaupt anwendbar ist, wird nur das gefragt.",
                        "One question per deciding fact, even where it decides several criteria; the questions "
                        "that decide blockers come first. Where it is unclear whether a criterion applies at "
                        "all, only that is asked."),
    "question_n": ("Frage {n}", "Question {n}"),
    "question_about": ("zu", "on"),
    "decided_by": ("Entscheidend sind", "Decided by"),
    "generated_question": ("Was regelt die Vereinbarung zu „{title}“? Bitte die fehlenden Angaben nennen.",
                           "What does the agreement provide on “{title}”? Please state the missing details."),
    "line_hint": ("Zeile: wo die Angabe in der Eingabedatei steht oder, wenn sie fehlt, der nächste "
                  "übergeordnete Eintrag, unter dem sie einzutragen ist.",
                  "Line: where the field stands in the input file or, if it is missing, the nearest "
                  "enclosing entry under which to add it."),
    # waivers
    "no_waivers": ("Keine Ausnahmen angewandt.", "No waivers applied."),
    "waiver_reason": ("Begründung der Ausnahme", "Reason for the waiver"),
    "granted_by": ("erteilt von", "granted by"),
    "expires": ("gültig bis", "valid until"),
    "no_expiry": ("unbefristet", "no expiry"),
    "unknown": ("nicht angegeben", "not stated"),
    "waiver_origin": ("eingetragen in", "recorded in"),
    "waiver_notes": ("Hinweise zu Ausnahmen", "Notes on waivers"),
    "run_notes": ("Hinweise zur Ausnahmedatei", "Notes on the waiver file"),
    "run_notes_intro": ("Diese Ausnahmen aus der Ausnahmedatei wirken auf keine der geprüften Vereinbarungen "
                        "oder sind fehlerhaft:",
                        "These waivers from the waiver file affect none of the checked agreements or are faulty:"),
    "note_expired": ("abgelaufen: die Ausnahme gilt nicht mehr, das Kriterium wird normal beurteilt",
                     "expired: the waiver no longer applies, the criterion is judged as usual"),
    "note_unused": ("ohne Wirkung: das Kriterium ist weder verletzt noch ungeklärt",
                    "without effect: the criterion is neither violated nor unresolved"),
    "note_unknown_rule": ("unbekannte Regel: keine Regel des Katalogs hat diese Id",
                          "unknown rule: no rule of the catalogue has this id"),
    "note_merged_rule": ("ohne Wirkung: die Regel wurde in {into} zusammengeführt, die mehr prüft; die Ausnahme "
                         "prüfen und gegebenenfalls für {into} neu erteilen",
                         "without effect: the rule was merged into {into}, which checks more; review the waiver "
                         "and grant it again for {into} if it still holds"),
    # settled
    "no_settled": ("Keine.", "None."),
    "settled_intro": ("Kurzfassung mit den Angaben, die das Urteil tragen.",
                      "In brief, with the statements the verdict rests on."),
    "evidence": ("Belege", "Evidence"),
    # text
    "text_open": ("Verletzt und ungeklärt", "Violated and unresolved"),
    "text_none": ("keine", "none"),
    "text_no_questions": ("keiner", "none"),
    # appendix
    "checker_version": ("budgetcheck-Version", "budgetcheck version"),
    "catalogue_version": ("Regelkatalog, Version", "Rule catalogue, version"),
    "catalogue_digest": ("Regelkatalog, SHA-256", "Rule catalogue, SHA-256"),
    "rule_count": ("Anzahl der Regeln", "Number of rules"),
    "check_date": ("Prüfdatum", "Date of check"),
    "repro_intro": ("Mit derselben budgetcheck-Version, demselben Regelkatalog, denselben Eingabedateien und "
                    "demselben Prüfdatum entsteht dieser Bericht Zeichen für Zeichen neu.",
                    "The same budgetcheck version, rule catalogue, input files and date of check reproduce "
                    "this report character for character."),
    "scope_note": ("Geprüft werden die Angaben der Eingabedatei, die den Vertrag strukturiert beschreibt, "
                   "gegen den Regelkatalog. Der Bericht ersetzt keine rechtliche Prüfung des Vertragstextes.",
                   "The statements of the input file, a structured description of the contract, are checked "
                   "against the rule catalogue. The report does not replace a legal review of the contract text."),
}

_NOTES_EN = {
    "kein Eintrag erfüllt die Bedingung": "no entry meets the condition",
    "kein Eintrag widerspricht der Bedingung": "no entry contradicts the condition",
    "keine (abgeleitet: der unbedingte Anteil beträgt 100 %)": "none (derived: the unconditional share is 100 %)",
}

_CLAUSE_PARTS = {
    "status": ("Regelung (vereinbart / ausgeschlossen / fehlt)", "provision (agreed / excluded / absent)"),
    "section": ("Fundstelle", "section"),
    "wording": ("Wortlaut", "wording"),
    "note": ("Anmerkung", "note"),
}

_DERIVED_EN = {
    "derived.access_restricted": "access of further providers is restricted: exclusivity, or a preferential "
                                 "referral quota above 0 %",
    "derived.choice_restricted_by_quota": "a preferential referral quota for the budget holders steers cases past "
                                          "the right to choose (true: quota above 0 %)",
    "derived.provider_decides_on_granting": "providers decide on granting aid: stated, the public body's decision on "
                                            "every aid excluded, granting and provision not kept apart, or the unit "
                                            "that directs the aid is a budget holder",
    "derived.services_subjektbezogen": "at least one service is subject-related (individual legal claim)",
    "derived.infrastructure_only": "only infrastructure services (all listed services without an individual claim)",
    "derived.no_granted_aid": "no aid granted by a decision of the public body (only infrastructure or direct access "
                              "under § 36a(2) SGB VIII)",
    "derived.services_objektbezogen": "at least one service is object-related (infrastructure)",
    "derived.services_sajf_sha": "at least one service is a SAJF/SHA offer",
    "derived.reference_date": "reference date: period start, else signing date, else draft date, else 1 January "
                              "of the start year",
    "derived.term_last_date": "last day of the term, else the reference date",
    "derived.period_months": "period in full months",
    "derived.budget_period_months": "budget period in months: budget.period_months, else the period",
    "derived.teilbudgets_amount_sum": "sum of the sub-budget amounts",
    "derived.teilbudgets_share_sum": "sum of the sub-budget shares in percent",
    "derived.payout_share_sum": "unconditional plus conditional payout shares in percent",
    "derived.earmark_share_sum": "sum of the earmarked shares in percent",
    "derived.taker_kinds_count": "number of different kinds of provider among the takers",
    "derived.wertorientierungen_count": "number of different value orientations of the takers",
    "derived.vernetzung_share": "earmarked share for networking in percent",
}

_GLOSSARY = (
    ("Prüfbericht", "Dieser Bericht: das Ergebnis der Prüfung einer Budgetvereinbarung gegen den Regelkatalog.",
     "This report: the result of checking a budget agreement against the rule catalogue."),
    ("Trägerbudget", "Ein fester Betrag, der mit einem Träger oder einem Trägerverbund für einen Zeitraum "
                     "vereinbart wird, statt Leistungen einzeln abzurechnen. Hilfen, auf die ein individueller "
                     "Rechtsanspruch besteht, kann er nicht ersetzen: sie bleiben über Einzelvereinbarungen und "
                     "Entgelte gesichert (siehe die Kriterien dazu).",
     "A fixed sum agreed with one provider (or a group of providers) for a period instead of billing "
     "services one by one. It cannot replace help to which there is an individual legal claim: that stays "
     "secured by individual agreements and fees (see the criteria on it)."),
    ("Sozialraumbudget", "Ein fester Betrag für alle oder bestimmte Leistungen in einem Sozialraum (Quartier), "
                         "der den dort zuständigen Trägern übergeben wird.",
     "A fixed sum for all (or defined) services in one neighbourhood, handed to the providers "
     "responsible there."),
    ("Budgetgeber / Budgetnehmer", "Wer das Budget gibt (der öffentliche Träger) / wer es erhält (ein oder "
                                   "mehrere freie Träger).",
     "The party that gives the budget (the public body) / the provider(s) that receive it."),
    ("Gesamturteil",
     "Nicht zeichnungsreif: mindestens ein Blocker ist verletzt. Nicht prüfbar: die Beschreibung ist zu dünn "
     "für ein Urteil (die meisten Blocker, die anwendbar sein können, sind ungeklärt). Nicht zeichnungsreif "
     "ohne Klärung: kein Blocker verletzt, aber ein Blocker ungeklärt; die offenen Fragen entscheiden. "
     "Zeichnungsreif mit Auflagen: kein Blocker verletzt oder offen, aber ein erhebliches Kriterium "
     "verletzt: vor der Unterzeichnung zu ändern. Zeichnungsreif: nichts davon.",
     "Not fit to sign (nicht zeichnungsreif): at least one blocker is violated. Cannot be judged (nicht "
     "prüfbar): the description is too thin (most blockers that may apply are unresolved). Not fit to sign "
     "without clarification (ohne Klärung): no blocker violated, but one unresolved; the open questions "
     "decide. Fit to sign with conditions (mit Auflagen): no blocker violated or open, but a major criterion "
     "violated, to be changed before signing. Fit to sign (zeichnungsreif): none of these."),
    ("erfüllt / verletzt / ungeklärt / nicht anwendbar / ausgenommen",
     "Die Urteile je Kriterium. Erfüllt: die Angaben belegen es. Verletzt: angegebene Tatsachen widersprechen "
     "ihm. Ungeklärt: es fehlen Angaben – Fehlendes gilt nie als erfüllt. Nicht anwendbar: das Kriterium gilt "
     "für diese Vereinbarung nicht. Ausgenommen: eine begründete Ausnahme setzt das Urteil aus.",
     "The verdicts per criterion. Fulfilled (erfüllt): the statements show it. Violated (verletzt): stated "
     "facts contradict it. Unresolved (ungeklärt): information is missing – missing is never taken as "
     "fulfilled. Not applicable (nicht anwendbar): the criterion does not apply to this agreement. Waived "
     "(ausgenommen): a justified waiver sets the verdict aside."),
    ("Blocker / erheblich / gering / Hinweis",
     "Die Schwere eines Kriteriums. Ein verletzter Blocker macht die Vereinbarung nicht zeichnungsreif, ein "
     "ungeklärter verlangt erst Klärung; ein verletztes erhebliches Kriterium führt zu Auflagen; gering und "
     "Hinweis ändern das Gesamturteil nicht.",
     "The severity of a criterion. A violated blocker makes the agreement not fit to sign, an unresolved one "
     "needs clarification first; a violated major criterion (erheblich) leads to conditions; minor (gering) "
     "and advice (Hinweis) do not change the overall verdict."),
    ("Klärungsbedarf", "Die offenen Fragen: was im Entwurf nachzusehen oder mit der anderen Vertragsseite zu "
                       "klären ist. Jede Frage steht einmal da, auch wenn sie mehrere Kriterien entscheidet.",
     "The open questions: what to look up in the draft or settle with the other party. Each question appears "
     "once, even where it decides several criteria."),
    ("Fundstelle", "Die Stelle im Vertrag (z. B. „§ 7 Abs. 2“), wie sie in der Eingabedatei angegeben ist.",
     "The place in the contract (e.g. “§ 7 Abs. 2”, section 7 paragraph 2) as given in the input file."),
    ("Zwischenergebnis", "Das Urteil einer Regel, auf dem eine andere Regel aufbaut („beruht auf“).",
     "The verdict of one rule that another rule builds on (“based on”)."),
    ("SHA-256", "Prüfsumme einer Datei. Stimmt sie überein, wurde genau diese Fassung geprüft.",
     "Checksum of a file. If it matches, exactly this version was checked."),
)


def _w(key: str, lang: str, n: Optional[int] = None, **values: Any) -> str:
    """Fixed wording ``key`` in ``lang``; ``singular|plural`` chosen by ``n``."""
    text = _W[key][LANGS.index(lang)]
    if "|" in text:
        one, many = text.split("|", 1)
        text = one if n == 1 else many
    if n is not None:
        values["n"] = n
    return text.format(**values) if values else text


# --------------------------------------------------------------------------- escaping


class Safe(str):
    """A string already escaped for the target format (passes the output filter unchanged)."""


_BIDI = {0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\u0085\u2028\u2029\v\f]")


# The characters clean() shows as ⟨U+XXXX⟩: category Cc (U+0000-U+001F, U+007F-U+009F; a kept line
# break aside) and _BIDI.
_SHOWN = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _visible(ch: str) -> str:
    return f"⟨U+{ord(ch):04X}⟩"


def clean(value: Any, *, keep_newlines: bool = False) -> str:
    """A display string: control and bidi-override characters shown as ``⟨U+XXXX⟩``, tabs as spaces.

    Line breaks become spaces unless ``keep_newlines`` (then ``\\n``).
    """
    text = _LINE_BREAKS.sub("\n" if keep_newlines else " ", str(value)).replace("\t", " ")
    if not _SHOWN.search(text):  # nothing to show (nearly always): the loop below would copy every character
        return text
    out = []
    for ch in text:
        if ch == "\n":
            out.append(ch)
        elif ord(ch) in _BIDI or unicodedata.category(ch) == "Cc":
            out.append(_visible(ch))
        else:
            out.append(ch)
    return "".join(out)


# Characters with meaning in GitHub Markdown inline text (links and images need "[", so "(", ")" and "!"
# are harmless once "[" and "]" are escaped; "&" would start an entity, "$" inline math).
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~&$])")
# At the start of a line: list markers, ordered-list numbers, thematic breaks and setext underlines.
_MD_LEADING = re.compile(r"^(\d{1,9})([.)])(?=\s|$)|^([-+=])(?=\s|$|[-=]+$)")


def md_escape(value: Any) -> str:
    """Backslash-escape Markdown syntax; one line, so a value can't open a block, table row or heading."""
    text = " ".join(clean(value).split())
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return _MD_LEADING.sub(lambda m: f"{m.group(1)}\\{m.group(2)}" if m.group(1) else f"\\{m.group(3)}", text)


def _finalize_markdown(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, (Safe, Markup)) else Safe(md_escape(value))


def _finalize_text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, (Safe, Markup)) else Safe(clean(value))


def _raw(value: Any) -> Safe:
    """The output of a template macro: already escaped piece by piece."""
    return Safe(value)


def _finalize_html(value: Any) -> Any:
    if value is None:
        return ""
    return value if isinstance(value, Markup) else clean(value, keep_newlines=True)


_CODE_SAFE = re.compile(r"^[A-Za-z0-9_.:/\[\]\-]+$")


def _md_code(value: Any) -> Safe:
    """Inline code for identifiers and paths; anything else is escaped as text."""
    text = str(value)
    return Safe(f"`{text}`") if _CODE_SAFE.match(text) else Safe(md_escape(text))


def _md_filter(value: Any) -> Safe:
    return value if isinstance(value, Safe) else Safe(md_escape(value))


def _pad(value: Any, width: int) -> Safe:
    return Safe(clean(value).ljust(width))


def _wrap(text: str, width: int, sep: Optional[str]) -> list[str]:
    if not sep:
        return textwrap.wrap(text, max(width, 20), break_long_words=False, break_on_hyphens=False) or [""]
    lines: list[str] = []
    for token in text.split(sep):
        if lines and len(lines[-1]) + len(sep) + len(token) <= width:
            lines[-1] += sep + token
        else:
            if lines:
                lines[-1] += sep.rstrip()
            lines.append(token)
    return lines or [""]


def _hang(value: Any, column: int, width: int = TEXT_WIDTH, min_room: int = 40, sep: Optional[str] = None) -> Safe:
    """Wrap ``value`` to ``width`` with continuation lines indented to ``column``.

    With ``sep``, lines break only between the parts ``sep`` separates. When less than ``min_room``
    characters remain after ``column``, the text starts on the next line, indented by six spaces.
    """
    text = clean(value)
    if width - column >= min_room:
        lines = _wrap(text, width - column, sep)
        if all(len(line) <= width - column for line in lines):
            return Safe(("\n" + " " * column).join(lines))
    indent = 6
    return Safe("\n" + " " * indent + ("\n" + " " * indent).join(_wrap(text, width - indent, sep)))


_ANSI = {"verletzt": "31", "ungeklaert": "33", "ausgenommen": "36", "erfuellt": "32", "nicht_anwendbar": "2",
         OVERALL_BLOCKED: "1;31", OVERALL_UNJUDGEABLE: "1;35", OVERALL_OPEN: "1;31", OVERALL_CONDITIONAL: "1;33", OVERALL_OK: "1;32", "bold": "1"}


def _make_paint(color: bool):
    def paint(value: Any, kind: str) -> Safe:
        text = value if isinstance(value, Safe) else clean(value)
        code = _ANSI.get(kind)
        return Safe(f"\x1b[{code}m{text}\x1b[0m") if color and code else Safe(text)
    return paint


@lru_cache(maxsize=None)
def _template_cache_class() -> type:
    """The bytecode cache class (defined on first use: Jinja2 is imported only when a template is
    rendered; the text report does without it, see :func:`render_text`)."""
    import jinja2
    import jinja2.bccache

    class _TemplateCache(_TemplateCacheBase, jinja2.bccache.BytecodeCache):
        __doc__ = _TemplateCacheBase.__doc__

    return _TemplateCache


class _TemplateCacheBase:
    """Compiled templates in the catalogue's cache directory (``rules.cache_dir``), one set per
    format (the compiled code depends on the environment's options): the first report of a
    process then skips compiling its template (about 20 ms). Read only as the catalogue cache
    is: a regular file of this user (O_NOFOLLOW, non-blocking, bounded) in a private directory
    (0700, ours, not group/world-writable); Jinja checks the template's checksum and its own
    and Python's version in every file and compiles the template again on any mismatch."""

    MAX_BYTES = 4 * 1024 * 1024

    def __init__(self, fmt: str):
        self.fmt = fmt

    def _path(self, bucket: Any) -> Optional[Path]:
        from checker.rules import cache_dir

        directory = cache_dir()
        return directory / f"jinja-{self.fmt}-{bucket.key}.bytecode" if directory else None

    def load_bytecode(self, bucket: Any) -> None:
        from checker.rules import _private_dir
        from checker.safeio import read_regular

        path = self._path(bucket)
        if path is None or not _private_dir(path.parent, create=False):
            return
        try:
            if hasattr(os, "getuid") and os.lstat(path).st_uid != os.getuid():
                return
            bucket.bytecode_from_string(read_regular(path, self.MAX_BYTES, nofollow=True))
        except Exception:  # noqa: BLE001 - missing, truncated, foreign: compile instead
            bucket.reset()

    def dump_bytecode(self, bucket: Any) -> None:
        from checker.rules import cache_write_bytes

        path = self._path(bucket)
        if path is not None:
            cache_write_bytes(path, bucket.bytecode_to_string())


@lru_cache(maxsize=None)
def _environment(fmt: str) -> Any:
    import jinja2

    common = dict(loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)), undefined=jinja2.StrictUndefined,
                  keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
                  bytecode_cache=_template_cache_class()(fmt))
    if fmt == "html":
        env = jinja2.Environment(autoescape=True, finalize=_finalize_html, **common)
    elif fmt == "markdown":
        env = jinja2.Environment(autoescape=False, finalize=_finalize_markdown, **common)
        env.filters["md"] = _md_filter
        env.filters["code"] = _md_code
        env.filters["raw"] = _raw
    else:
        env = jinja2.Environment(autoescape=False, finalize=_finalize_text, **common)
        env.filters["pad"] = _pad
        env.filters["hang"] = _hang
        env.filters["raw"] = _raw
    return env


# --------------------------------------------------------------------------- value formatting


BABEL_LOCALE = {"de": "de_DE", "en": "en_GB"}  # en_GB: 1,234.5 and €1,234.50, as the reports had


def _exact(value: float | int) -> Decimal | int:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e18:
        return int(value)
    return value if isinstance(value, int) else Decimal(repr(value))


def format_number(value: float | int, lang: str) -> str:
    """Exact decimal notation with the locale's separators (Babel, CLDR): 3.000.000 / 94,3396 (de).
    Never rounded: the report shows what the draft states."""
    from babel.numbers import format_decimal  # imported when a report is rendered, not at start-up

    return format_decimal(_exact(value), locale=BABEL_LOCALE.get(lang, "de_DE"), decimal_quantization=False)


def format_eur(value: float | int, lang: str) -> str:
    """An amount in euro as the locale writes it (Babel, CLDR): 3.000.000,00 € (de), €3,000,000.00 (en);
    cents beyond two places are kept, never rounded."""
    from babel.numbers import format_currency

    return format_currency(_exact(value), "EUR", locale=BABEL_LOCALE.get(lang, "de_DE"),
                           decimal_quantization=False)


def format_date(value: Any, lang: str) -> str:
    """02.11.2026 (de) or 2026-11-02 (en); accepts dates, ISO strings and YYYYMMDD integers."""
    day: Optional[dt.date] = None
    if isinstance(value, dt.date):
        day = value
    elif isinstance(value, str):
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            return value
    elif isinstance(value, int) and 10000101 <= value <= 99991231:
        try:
            day = dt.date(value // 10000, value // 100 % 100, value % 100)
        except ValueError:
            return str(value)
    if day is None:
        return str(value)
    return f"{day.day:02}.{day.month:02}.{day.year:04}" if lang == "de" else day.isoformat()  # strftime: year 1 -> "1"


_PERCENT = re.compile(r"(_percent|_share_sum|vernetzung_share)$")
_EUR = re.compile(r"(^|\.)(amount|amount_per_year|previous_year_actual_costs|teilbudgets_amount_sum)$")
_MONTHS = re.compile(r"(_months)$")
_DATE_PATHS = re.compile(r"(^|\.)(draft_date|signing_date|start|end|reference_date|term_last_date|expires)$")


def absent_text(status_path: str, lang: str) -> str:
    """The finding of a clause the draft is silent on: 'Die Vereinbarung regelt … nicht'."""
    clause = status_path[len("clauses."): -len(".status")]
    field = Clauses.model_fields.get(clause)
    what = field.description if field and field.description else clause
    if lang == "de":
        return f"fehlt: Die Vereinbarung regelt „{reader_text(what)}“ nicht"
    return f"absent: the agreement does not regulate “{description_en(what)}”"


def absent_fact_text(path: str, lang: str) -> str:
    """A yes/no or enum fact the draft is silent on: 'fehlt: Die Vereinbarung regelt „…“ nicht'
    and what the rules read (no / none)."""
    what = describe_path(path, lang)
    silence = silence_at(path)
    reads = silence.value if silence is not None else None
    if lang == "de":
        shown = "nein" if reads is False else str(reads)
        return f"fehlt: Die Vereinbarung regelt „{what}“ nicht (gilt als „{shown}“)"
    shown = "no" if reads is False else str(reads)
    return f"absent: the agreement does not regulate “{what}” (read as “{shown}”)"


def format_value(path: str, value: Any, lang: str, agreement: Agreement) -> str:
    """A stated or computed value as a reader expects it (units, separators, dates, yes/no)."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return _w("yes" if value else "no", lang)
    if isinstance(value, int) and isinstance(value_at(agreement, path), list):
        return _w("entries", lang, n=value)
    if _DATE_PATHS.search(path):
        return format_date(value, lang)
    if isinstance(value, (int, float)):
        number = format_number(value, lang)
        if _PERCENT.search(path):
            return f"{number} %"
        if _EUR.search(path):
            return format_eur(value, lang)
        if _MONTHS.search(path):
            return f"{number} {'Monate' if lang == 'de' else 'months'}"
        return number
    if isinstance(value, list):
        return ", ".join(format_value(path, v, lang, agreement) for v in value)
    if value == "fehlt" and path.startswith("clauses.") and path.endswith(".status"):
        return absent_text(path, lang)
    if value == ABSENT and silence_at(path) is not None:
        return absent_fact_text(path, lang)
    if isinstance(value, (Enum, str)):
        # a choice: its label (checker.labels.ENUM, as the workbench offers it); clause statuses keep
        # the report's own wording above
        key = value.value if isinstance(value, Enum) else value
        enum = _enum_of(path)
        table = ENUM.get(enum.__name__) if enum is not None and enum is not ClauseStatus else None
        return label(table, key, lang) if table and key in table else str(key)
    return str(value)


@lru_cache(maxsize=4096)
def _enum_of(path: str) -> Optional[type[Enum]]:
    """The enum type of the field at a model path (None for anything else)."""
    model: Optional[type[BaseModel]] = Agreement
    found: Any = None
    for part in path_tuple(path):
        if isinstance(part, int):
            continue
        info = model.model_fields.get(part) if model is not None else None
        if info is None:
            return None
        found = inner_class(info.annotation, Enum)
        model = inner_class(info.annotation, BaseModel)
    return found


# --------------------------------------------------------------------------- field descriptions


@lru_cache(maxsize=4096)
def _field_chain(path: str) -> tuple[tuple[str, Optional[int], Optional[str]], ...]:
    """(name, index or None, German description) for each named part of a model path."""
    model: Optional[type[BaseModel]] = Agreement
    out: list[list] = []
    for part in path_tuple(path):
        if isinstance(part, int):
            if out:
                out[-1][1] = part
            continue
        info = model.model_fields.get(part) if model is not None else None
        out.append([part, None, info.description if info else None])
        model = inner_class(info.annotation, BaseModel) if info else None
    return tuple(tuple(x) for x in out)  # type: ignore[misc]


def describe_path(path: str, lang: str) -> str:
    """What a path means, for readers who do not read the format: the model's descriptions (German;
    in English from checker.texts_en), computed values and intermediate findings."""
    if path in DERIVED:
        text = DERIVED[path][1] if lang == "de" else _DERIVED_EN.get(path, "")
        return f"{text} ({_w('computed', lang)})" if text else _w("computed", lang)
    if path.startswith("conclusions."):
        return _w("conclusion", lang, name=path.split(".", 1)[1])
    chain = _field_chain(path)
    if not chain or chain[-1][2] is None and chain[-1][0] not in _CLAUSE_PARTS:
        return ""
    # German: the description as a reader sees it (no notes for format authors); English: its translation
    tr = (lambda d: reader_text(d) if d else d) if lang == "de" else (lambda d: description_en(d) if d else d)  # noqa: E731
    leaf, leaf_index, leaf_desc = chain[-1]
    if lang == "de" and leaf_desc:
        enum = _enum_of(path)
        leaf_desc = reader_text(leaf_desc, frozenset(m.value for m in enum) if enum is not None else frozenset())
    else:
        leaf_desc = tr(leaf_desc)
    parent = chain[-2] if len(chain) > 1 else None
    number = "Nr." if lang == "de" else "no."
    if leaf in _CLAUSE_PARTS and parent is not None and parent[0] != "meta" and chain[0][0] == "clauses":
        part = _CLAUSE_PARTS[leaf][0] if lang == "de" else _CLAUSE_PARTS[leaf][1]
        text = f"{tr(parent[2])}: {part}" if parent[2] else ""
    elif leaf_index is not None:
        text = f"{leaf_desc} {number} {leaf_index + 1}"
    else:
        text = leaf_desc or ""
        indexed = [c for c in chain[:-1] if c[1] is not None]
        if indexed and text:
            coll = indexed[-1]
            text = f"{tr(coll[2])} {number} {coll[1] + 1}: {text}" if coll[2] else text
    return text


# --------------------------------------------------------------------------- view model


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def _finding_key(f: Finding) -> tuple:
    return (VERDICT_RANK.get(f.verdict, 99), -SEVERITY_ORDER[f.severity], f.id)


def _evidence_key(e: Evidence) -> tuple:
    return (e.line is not None, e.line or 0, e.column or 0, e.path, e.note or "")


_INDEX = re.compile(r"\[\d+\]")


def _generic(path: str) -> str:
    """A concrete path with its list indices removed: services[2].category -> services[].category."""
    return _INDEX.sub("[]", path).removesuffix(".count")


def _atom_paths(conjunctions: Iterable[Iterable[Any]], skip: Iterable[Any] = ()) -> set[str]:
    out: set[str] = set()
    skipped = list(skip)
    for conj in conjunctions:
        for lit in conj:
            if any(lit is other or lit == other for other in skipped):
                continue
            for path, _key in lit.atoms:
                path = _generic(path)
                out.add(path)
                out.update(_generic(p) for p in DERIVED_INPUTS.get(path, ()))
    return out


def _applicability_only(rule: Any) -> frozenset[str]:
    """Paths a rule reads only to decide whether it applies (not in its condition)."""
    appl_lits = [lit for conj in rule.applies_true for lit in conj]
    appl = _atom_paths(list(rule.applies_true) + list(rule.applies_false))
    cond = _atom_paths(list(rule.holds) + list(rule.violated), skip=appl_lits)
    return frozenset(appl - cond)


def _text(obj: Any, lang: str) -> str:
    return getattr(obj, lang) if obj is not None else ""


def _note_key(note: WaiverNote) -> tuple:
    w = note.waiver
    return (note.kind, w.rule, w.origin, w.line or 0, w.reason, w.granted_by or "", w.expires or "")


def _note_view(note: WaiverNote, lang: str) -> dict:
    w = note.waiver
    key = f"note_{note.kind}"
    text = _w(key, lang) if key in _W else note.kind
    if note.kind == "unknown_rule":
        from checker.rules import retired_rules

        into = retired_rules().get(w.rule)
        if into:
            text = _w("note_merged_rule", lang).format(into=into)
    return {"kind": note.kind, "text": text, "rule": w.rule,
            "reason": w.reason, "granted_by": w.granted_by or _w("unknown", lang),
            "expires": format_date(w.expires, lang) if w.expires else _w("no_expiry", lang),
            "origin": f"{w.origin}:{w.line}" if w.line else w.origin}


def _legal(ref: Any, lang: str = "de") -> str:
    """'§ 77 SGB VIII (note)'; a decision as 'OVG Hamburg, … – Beschluss im Eilverfahren (…); verified-or-not'
    (the proceeding after a dash, so its own brackets are never nested in ours)."""
    if not ref.decision:
        text = " ".join(x for x in (ref.ref, ref.law) if x)
        return f"{text} ({ref.note})" if ref.note else text
    notes = []
    if getattr(ref, "proceeding", None):
        notes.append(ref.proceeding)
    if getattr(ref, "verified", None) is not None:
        notes.append(_w("proceeding_verified" if ref.verified else "proceeding_summary", lang))
    if ref.note:
        notes.append(ref.note)
    return " – ".join([ref.decision, "; ".join(notes)]) if notes else ref.decision


class _AgreementView:
    """Builds the view of one AgreementResult (dicts and lists of strings/ints only)."""

    def __init__(self, result: AgreementResult, index: int, lang: str):
        self.r = result
        self.a = result.agreement
        self.lang = lang
        self.anchor = f"a{index}"
        self.index = index
        self.findings = sorted(result.findings, key=_finding_key)
        self.by_id = {f.id: f for f in result.findings}
        self.regime = Regime.of(self.a)
        self.question_numbers: dict[str, list[int]] = {}  # rule id -> the questions that decide it
        for q in result.questions:
            for rule_id in q.rules:
                self.question_numbers.setdefault(rule_id, []).append(q.n)

    def w(self, key: str, n: Optional[int] = None, **values: Any) -> str:
        return _w(key, self.lang, n, **values)

    def anchor_for(self, rule_id: str) -> str:
        return f"{self.anchor}-{_slug(rule_id)}"

    def verdict(self, v: Verdict) -> dict:
        return {"key": v.value, "label": label(VERDICT, v.value, self.lang)}

    # ---- header

    def header(self) -> dict:
        m = self.a.meta
        ns = self.w("not_stated")
        status = self.w(f"status_{m.status.value}") if m.status else None
        period = None
        if m.period and (m.period.start or m.period.end):
            start = format_date(m.period.start, self.lang) if m.period.start else self.w("open_start")
            end = format_date(m.period.end, self.lang) if m.period.end else self.w("open_start")
            period = f"{start} – {end}"
        parties = self.a.parties
        giver = parties.giver if parties else None
        takers = [t.name or f"{self.w('not_stated')} ({self.w('takers')} {i + 1})"
                  for i, t in enumerate((parties.takers if parties else None) or [])]
        rows: list[tuple[str, Optional[str]]] = [
            ("identifier", m.identifier),
            ("status", status),
            ("version", m.version),
            ("draft_date", format_date(m.draft_date, self.lang) if m.draft_date else None),
            ("signing_date", format_date(m.signing_date, self.lang) if m.signing_date else None),
            ("land", label(LAND, m.land.value, self.lang) if m.land else None),
            ("municipality", m.municipality),
            ("district", m.district),
            ("period", period),
            ("regime", self.regime.label(self.lang)),
            ("giver", giver.name if giver else None),
        ]
        if giver and giver.unit_with_regiekompetenz:
            rows.append(("regie", giver.unit_with_regiekompetenz))
        return {
            "title": m.title,
            "rows": [{"label": self.w(k), "value": v if v else ns, "stated": bool(v)} for k, v in rows],
            "takers_label": self.w("takers"),
            "takers": takers,
            "takers_none": ns,
            "file": self.r.path,
            "sha256": self.r.sha256,
        }

    # ---- overall

    def overall(self) -> dict:
        """The overall verdict (from the Result) with a one-sentence reason and the decisive criteria."""
        key = self.r.overall
        pick = lambda v, sev: [f for f in self.findings if f.verdict == v and f.severity == sev]  # noqa: E731
        blockers = pick(Verdict.verletzt, Severity.blocker)
        majors = pick(Verdict.verletzt, Severity.major)
        open_blockers = pick(Verdict.ungeklaert, Severity.blocker)
        parts = [self.w(k, n=len(fs)) for k, fs in (("blockers_violated", blockers), ("majors_violated", majors),
                                                     ("blockers_open", open_blockers)) if fs]
        decisive: list[Finding] = []
        if key == OVERALL_BLOCKED and blockers:
            reason = self._join(parts)
            decisive = blockers + majors + open_blockers
        elif key == OVERALL_UNJUDGEABLE:
            open_, judged = blocker_tally(self.r.findings)
            reason = self.w("unjudgeable_reason", open=open_, total=open_ + judged)
            if blockers or majors:
                reason += "; " + self._join(parts[:-1] if open_blockers else parts)
        elif key == OVERALL_OPEN and open_blockers:
            reason = self.w("no_blocker_violated_but", parts=self._join(parts))
            decisive = open_blockers + majors
        elif key == OVERALL_CONDITIONAL and majors:
            reason = self.w("no_blocker_violated_but", parts=self._join(parts))
            decisive = majors
        elif key == OVERALL_OK:
            rest = [f for f in self.findings if f.verdict in (Verdict.verletzt, Verdict.ungeklaert)]
            reason = self.w("ok_reason")
            if rest:
                reason += "; " + (self.w("further_open_1") if len(rest) == 1 else self.w("further_open", n=len(rest)))
        else:  # an overall verdict this module does not know how to explain
            reason = self.w("reason_fallback")
        reason += "."
        waived = sum(1 for f in self.findings if f.verdict == Verdict.ausgenommen)
        if waived:
            reason += " " + self.w("waived_count", n=waived) + "."
        decisive.sort(key=_finding_key)
        return {"key": key, "label": label(OVERALL, key, self.lang),
                "upper": label(OVERALL, key, self.lang).upper(), "reason": reason,
                "meaning": self.w(f"meaning_{key}"),
                "decisive": [self.link(f.id) | {"severity": label(SEVERITY, f.severity.value, self.lang)}
                             for f in decisive]}

    def _join(self, parts: list[str]) -> str:
        if len(parts) <= 1:
            return "".join(parts)
        return ", ".join(parts[:-1]) + self.w("and") + parts[-1]

    # ---- counts

    def verdict_counts(self) -> list[dict]:
        counts = self.r.counts()
        return [{"key": v.value, "label": label(VERDICT, v.value, self.lang), "n": counts.get(v.value, 0)}
                for v in VERDICT_SEQUENCE]

    def _matrix(self, keys: Iterable[Any], attr: str, table: dict) -> dict:
        rows = []
        for key in keys:
            subset = [f for f in self.findings if getattr(f.rule.rule, attr) == key]
            if not subset:
                continue
            cells = [sum(1 for f in subset if f.verdict == v) for v in VERDICT_SEQUENCE]
            rows.append({"label": label(table, key.value, self.lang), "key": key.value, "cells": cells,
                         "total": len(subset)})
        totals = [sum(1 for f in self.findings if f.verdict == v) for v in VERDICT_SEQUENCE]
        return {"rows": rows, "totals": totals, "total": len(self.findings)}

    # ---- findings

    def evidence_rows(self, f: Finding) -> list[dict]:
        rows = []
        appl_only = _applicability_only(f.rule) if f.verdict != Verdict.nicht_anwendbar else frozenset()
        for e in sorted(f.evidence, key=_evidence_key):
            if e.note:
                value = e.note if self.lang == "de" else _NOTES_EN.get(e.note, e.note)
            else:
                value = format_value(e.path, e.value, self.lang, self.a)
            described = describe_path(e.path, self.lang)
            link = None
            if e.rule:
                described = self.w("conclusion_of", id=e.rule)
                link = self.link(e.rule)
            rows.append({"path": e.path, "label": described, "value": value, "section": e.section or "",
                         "line": e.line, "line_text": self.w("line_n", n=e.line) if e.line else "",
                         "is_note": bool(e.note), "rule": link,
                         "applicability": _generic(e.path) in appl_only})
        return rows

    def missing_rows(self, missing: list[Missing]) -> list[dict]:
        return [{"path": m.path, "label": describe_path(m.path, self.lang), "line": m.line,
                 "line_text": self.w("line_n", n=m.line) if m.line else ""} for m in missing]

    def clause_texts(self, f: Finding) -> list[dict]:
        """Section, wording and reviewer's note of the clauses the finding's evidence or missing paths name."""
        names: list[str] = []
        for path in [e.path for e in f.evidence] + [m.path for m in f.missing]:
            parts = path_tuple(path)
            if len(parts) >= 2 and parts[0] == "clauses" and isinstance(parts[1], str):
                names.append(parts[1])
        out = []
        for name in dict.fromkeys(names):
            clause = getattr(self.a.clauses, name, None)
            if not isinstance(clause, BaseModel):
                continue
            wording, note, section = (getattr(clause, k, None) for k in ("wording", "note", "section"))
            if wording or note:
                out.append({"path": f"clauses.{name}", "label": describe_path(f"clauses.{name}", self.lang),
                            "section": section or "", "wording": wording or "", "note": note or ""})
        return out

    def link(self, rule_id: str) -> dict:
        target = self.by_id.get(rule_id)
        if target is None:
            return {"id": rule_id, "anchor": "", "title": "", "verdict_key": "",
                    "verdict_label": self.w("not_checked")}
        return {"id": rule_id, "anchor": self.anchor_for(rule_id),
                "title": _text(target.rule.rule.title, self.lang),
                "verdict_key": target.verdict.value, "verdict_label": label(VERDICT, target.verdict.value, self.lang)}

    def sources(self, rule: Rule) -> list[dict]:
        out = []
        for s in rule.source:
            name, file = source_origin(s, self.lang)
            out.append({"name": name, "file": file,
                        "section": s.section, "bullet": self.w("bullet", n=s.bullet) if s.bullet is not None else "",
                        "passage": s.passage})
        return out

    def question(self, f: Finding) -> str:
        rule = f.rule.rule
        question = self.regime.wording(rule, "question")
        if question is not None:
            return _text(question, self.lang)
        return self.w("generated_question", title=_text(rule.title, self.lang))

    def location(self, f: Finding, evidence: list[dict]) -> str:
        """file:line of the first decisive statement (or, when unresolved, of the first missing one)."""
        if f.verdict == Verdict.ungeklaert:
            lines = [m.line for m in f.missing if m.line]
        else:
            lines = [e["line"] for e in evidence if e["line"] and not e["applicability"]] or \
                [e["line"] for e in evidence if e["line"]]
        return f"{self.r.path}:{min(lines)}" if lines else self.r.path

    def waiver(self, f: Finding) -> Optional[dict]:
        if f.waiver is None:
            return None
        w = f.waiver
        return {"reason": w.reason, "granted_by": w.granted_by or self.w("unknown"),
                "expires": format_date(w.expires, self.lang) if w.expires else self.w("no_expiry"),
                "origin": f"{w.origin}:{w.line}" if w.line else w.origin,
                "underlying": self.verdict(f.underlying) if f.underlying else
                {"key": "", "label": self.w("unknown")}}

    def finding_brief(self, f: Finding) -> dict:
        """What the text report shows of a finding: the keys of :meth:`finding` it uses, with the
        same values, without formatting the evidence (no number formatting, no path descriptions)."""
        if f.verdict == Verdict.ungeklaert:
            location = self.location(f, [])
        else:
            appl_only = _applicability_only(f.rule) if f.verdict != Verdict.nicht_anwendbar else frozenset()
            location = self.location(f, [{"line": e.line, "applicability": _generic(e.path) in appl_only}
                                         for e in f.evidence])
        return {
            "id": f.id,
            "title": _text(f.rule.rule.title, self.lang),
            "verdict": self.verdict(f.verdict),
            "severity": {"key": f.severity.value, "label": label(SEVERITY, f.severity.value, self.lang)},
            "waiver": self.waiver(f),
            "location": location,
        }

    def finding(self, f: Finding) -> dict:
        rule = f.rule.rule
        waiver = self.waiver(f)
        why_key = f.verdict.value
        evidence = self.evidence_rows(f)
        return {
            "id": f.id,
            "anchor": self.anchor_for(f.id),
            "title": _text(rule.title, self.lang),
            "verdict": self.verdict(f.verdict),
            "severity": {"key": f.severity.value, "label": label(SEVERITY, f.severity.value, self.lang)},
            "group": label(GROUP, rule.group.value, self.lang),
            "why": self.w(f"why_{why_key}"),
            "why_missing": self.w("why_ungeklaert"),
            "evidence": [e for e in evidence if not e["applicability"]],
            "applicability": [e for e in evidence if e["applicability"]],
            "applies_because": self.w("applies_because"),
            "missing": self.missing_rows(f.missing),
            "clause_texts": self.clause_texts(f),
            "sources": self.sources(rule),
            "legal": [_legal(ref, self.lang) for ref in cited(rule.legal_basis, self.regime)],
            "rationale": _text(self.regime.wording(rule, "rationale"), self.lang),
            "criticism": _text(rule.criticism, self.lang) if rule.criticism else "",
            "recommendation": _text(self.regime.wording(rule, "recommendation"), self.lang),
            "question": "",  # the questions are printed once, in the Klärungsbedarf (see question_ref)
            "question_ref": self.question_ref(f.id),
            "question_anchor": f"{self.anchor}-q{self.question_numbers[f.id][0]}" if f.id in self.question_numbers
            else "",
            "chain": [self.link(rid) for rid in f.chain],
            "waiver": waiver,
            "location": self.location(f, evidence),
        }

    def question_ref(self, rule_id: str) -> str:
        numbers = self.question_numbers.get(rule_id)
        if not numbers:
            return ""
        if len(numbers) == 1:
            return self.w("see_question", n=numbers[0])
        return self.w("see_questions", list=", ".join(str(n) for n in numbers))

    def question_views(self, views: dict) -> list[dict]:
        out = []
        for q in self.r.questions:
            rules = [self.link(rule_id) for rule_id in q.rules]
            missing = self.missing_rows([Missing(f.path, f.line, f.column) for f in q.fields])
            out.append({"n": q.n, "anchor": f"{self.anchor}-q{q.n}", "label": self.w("question_n", n=q.n),
                        "question": q.text(self.lang) + (f" ({q.section})" if q.section else ""),
                        "severity": {"key": q.severity.value, "label": label(SEVERITY, q.severity.value, self.lang)},
                        "stage": q.stage, "kind": q.kind, "rules": rules,
                        "id": ", ".join(q.rules), "finding_anchor": rules[0]["anchor"] if rules else "",
                        "title": rules[0]["title"] if len(rules) == 1 else "",
                        "missing": missing})
        return out

    def waiver_notes(self) -> list[dict]:
        return [_note_view(n, self.lang) | {"rule_link": self.link(n.waiver.rule) if n.waiver.rule in self.by_id
                                            else None}
                for n in sorted(self.r.waiver_notes, key=_note_key)]

    def build(self, brief: bool = False) -> dict:
        """The agreement's view; ``brief``: only what the text report shows (see :func:`render_text`)."""
        if brief:
            shown = (Verdict.verletzt, Verdict.ungeklaert, Verdict.ausgenommen)
            views = {f.id: self.finding_brief(f) for f in self.findings if f.verdict in shown}
        else:
            views = {f.id: self.finding(f) for f in self.findings}
        open_ = [views[f.id] for f in self.findings if f.verdict in (Verdict.verletzt, Verdict.ungeklaert)]
        questions = self.question_views(views)
        waived = [views[f.id] for f in self.findings if f.verdict == Verdict.ausgenommen]
        text_width = {
            "id": max((len(v["id"]) for v in open_ + waived), default=0),
            "verdict": max((len(v["verdict"]["label"]) for v in open_), default=0),
            "severity": max((len(v["severity"]["label"]) for v in open_), default=0),
        }
        text_width["title_col"] = 3 + text_width["id"] + 2 + text_width["verdict"] + 2 + text_width["severity"] + 2
        counts = self.verdict_counts()
        view = {
            "anchor": self.anchor,
            "index": self.index,
            "header": self.header(),
            "overall": self.overall(),
            "counts": counts,
            "counts_text": " · ".join(f"{c['n']} {c['label']}" for c in counts),
            "total": len(self.findings),
            "total_text": self.w("criteria_total", n=len(self.findings)),
            "open": open_,
            "questions": questions,
            "waived": waived,
            "waiver_notes": self.waiver_notes(),
            "text_width": text_width,
        }
        if not brief:
            view["by_group"] = self._matrix(GROUP_SEQUENCE, "group", GROUP)
            view["by_severity"] = self._matrix(SEVERITY_SEQUENCE, "severity", SEVERITY)
            view["criteria"] = [views[f.id] for f in self.findings]
            view["settled"] = [views[f.id] for f in self.findings
                               if f.verdict in (Verdict.erfuellt, Verdict.nicht_anwendbar)]
        return view


def view_globals(*, lang: str, run: RunInfo, run_notes: Iterable[WaiverNote] = ()) -> dict:
    """What every part of a report view shares (words, run, glossary, the run's waiver notes)."""
    words = {k: _w(k, lang) for k in _W if "{" not in _W[k][0] and "|" not in _W[k][0]}
    return {
        "lang": lang,
        "t": words,
        "produced_by": _w("produced_by", lang, version=run.checker_version, catalogue=run.catalogue_version,
                          date=format_date(run.check_date, lang)),
        "verdicts": [{"key": v.value, "label": label(VERDICT, v.value, lang)} for v in VERDICT_SEQUENCE],
        "run": {"checker_version": run.checker_version, "catalogue_version": run.catalogue_version,
                "catalogue_digest": run.catalogue_digest, "rule_count": run.rule_count,
                "check_date": format_date(run.check_date, lang), "check_date_iso": run.check_date},
        "glossary": [{"term": term, "text": de if lang == "de" else en} for term, de, en in _GLOSSARY],
        "run_notes": [_note_view(n, lang) for n in sorted(run_notes, key=_note_key)],
        "mark_on": "", "mark_off": "",  # around what differs with one agreement (see DocumentParts)
    }


def summary_entry(a: dict, lang: str) -> dict:
    """One agreement's entry of the report's summary (``a``: its built view)."""
    return {"anchor": a["anchor"], "label": _w("agreement_n", lang, n=a["index"]), "file": a["header"]["file"],
            "title": a["header"]["title"], "overall": a["overall"], "counts": a["counts"], "total": a["total"],
            "counts_text": a["counts_text"]}


def build_view(results: list[AgreementResult], *, lang: str, run: RunInfo,
               run_notes: Iterable[WaiverNote] = (), brief: bool = False) -> dict:
    """The complete view model of a report (only dicts, lists, strings and ints); ``brief``: the
    agreements with only what the text report shows."""
    agreements = [_AgreementView(r, i + 1, lang).build(brief) for i, r in enumerate(results)]
    return _document_view(len(results), results[0].agreement.meta.title if results else "", lang=lang, run=run,
                          run_notes=run_notes, summary=[summary_entry(a, lang) for a in agreements],
                          agreements=agreements, inputs=[_input_entry(a) for a in agreements])


def _input_entry(a: dict) -> dict:
    return {"file": a["header"]["file"], "sha256": a["header"]["sha256"]}


def _document_view(count: int, first_title: str, *, lang: str, run: RunInfo, run_notes: Iterable[WaiverNote],
                   summary: list, agreements: list, inputs: list) -> dict:
    """The full report's view around its agreements' parts (``first_title``: the title of the
    first agreement, the document's title when it is the only one)."""
    if count == 1:
        doc_title = _w("doc_title_one", lang, title=first_title)
    else:
        doc_title = _w("doc_title_many", lang, n=count)
    return {
        **view_globals(lang=lang, run=run, run_notes=run_notes),
        "doc_title": doc_title,
        "many": count > 1,
        "summary_intro": _w("summary_intro", lang, n=count),
        "summary": summary,
        "agreements": agreements,
        "inputs": inputs,
    }


class TextParts:
    """The terminal report one agreement at a time (a streamed ``check`` of many files):
    :meth:`part` renders an agreement's summary line and section, :meth:`frame` the report
    around them, with ``placeholders`` where the parts go. The parts in order, put in
    place of the placeholders, are :func:`render_report`'s text, byte for byte. Written by
    :func:`render_text`'s functions, without Jinja2 (see there)."""

    fmt = "text"

    def __init__(self, *, lang: str, run: RunInfo, color: bool = False):
        self.lang = lang
        self.run = run
        self.paint = _make_paint(color)
        self.words = {k: _w(k, lang) for k in _W if "{" not in _W[k][0] and "|" not in _W[k][0]}

    @staticmethod
    def _clean(text: str) -> str:  # as render_report: padding before a wrapped title may leave trailing blanks
        return "\n".join(line.rstrip() for line in text.split("\n"))

    def part(self, result: AgreementResult) -> tuple[str, str]:
        """(summary line, section) of one agreement."""
        view = _AgreementView(result, 1, self.lang).build(brief=True)  # the index is not shown in text
        summary = text_summary_entry(summary_entry(view, self.lang), self.paint)
        return self._clean(summary), self._clean(text_agreement(view, self.words, self.paint))

    def frame(self, count: int, run_notes: Iterable[WaiverNote], placeholders: tuple[str, str],
              errors: Iterable[Any] = ()) -> str:
        summary, agreements = placeholders
        view = {**view_globals(lang=self.lang, run=self.run, run_notes=run_notes), "many": count > 1,
                "summary": [Safe(summary)] if count else [], "agreements": [Safe(agreements)] if count else []}
        return self._clean(render_text(view, self.paint))


class MarkdownParts(TextParts):
    """The short Markdown report (``-o markdown``) one agreement at a time, as :class:`TextParts`;
    :data:`MARKDOWN_SEPARATOR` goes between two agreements. (The short HTML report is not
    streamed: its sections carry their place in the report in every anchor.)"""

    fmt = "markdown"

    def __init__(self, *, lang: str, run: RunInfo, color: bool = False):
        super().__init__(lang=lang, run=run)
        self.environment = _environment(self.fmt)
        self.words.update({k: _sw(k, lang) for k in _SW if "{" not in _SW[k][0]})
        self.produced_by = _w("produced_by", lang, version=run.checker_version, catalogue=run.catalogue_version,
                              date=format_date(run.check_date, lang))

    def part(self, result: AgreementResult) -> tuple[str, str]:
        view = _short_agreement(result, 1, self.lang)  # the index is not shown in Markdown
        section = self.environment.get_template("report_short.md.agreement.j2").render(
            a=view, t=self.words, produced_by=self.produced_by)
        return "", section

    def frame(self, count: int, run_notes: Iterable[WaiverNote], placeholders: tuple[str, str],
              errors: Iterable[Any] = ()) -> str:
        _summary, agreements = placeholders
        return self.environment.get_template(SHORT_TEMPLATES["markdown"]).render(
            t=self.words, produced_by=self.produced_by, agreements=[Safe(agreements)] if count else [],
            run_notes=[_note_view(n, self.lang) for n in sorted(run_notes, key=_note_key)],
            errors=[e.format() for e in errors])


MARKDOWN_SEPARATOR = "\n---\n\n"  # report_short.md.j2 between two agreements


# --------------------------------------------------------------------------- entry point


def render_report(results: list[AgreementResult], fmt: str, *, lang: str = "de", run: RunInfo,
                  color: bool = False, run_notes: Iterable[WaiverNote] = (), detail: str = "full",
                  errors: Iterable[Any] = ()) -> str:
    """Render the audit report of ``results`` as ``fmt`` ("text", "markdown" or "html") in ``lang``.

    ``color`` adds ANSI colours to the verdict words of the text format (ignored for the others).
    ``run_notes`` are the notes on waivers of a separate waiver file that belong to the whole run
    (``checker.waivers.settle``); they are shown before the agreements.
    The same input gives the same output, byte for byte.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r} (expected one of {', '.join(FORMATS)})")
    if lang not in LANGS:
        raise ValueError(f"unsupported language {lang!r} (expected one of {', '.join(LANGS)})")
    if detail == "short" and fmt in SHORT_TEMPLATES:
        short = build_short_view(list(results), lang=lang, run=run, run_notes=run_notes, errors=errors)
        return _environment(fmt).get_template(SHORT_TEMPLATES[fmt]).render(**short)
    if fmt == "text":  # without Jinja2 (start-up time); templates/report.txt.j2 is its reference
        view = build_view(list(results), lang=lang, run=run, run_notes=run_notes, brief=True)
        out = render_text(view, _make_paint(color))
    else:
        view = build_view(list(results), lang=lang, run=run, run_notes=run_notes)
        out = _render_template(view, fmt, color)
    if fmt == "text":  # padding before a wrapped title may leave trailing blanks
        out = "\n".join(line.rstrip() for line in out.split("\n"))
    return out


def _render_template(view: dict, fmt: str, color: bool = False) -> str:
    """``view`` through the format's Jinja2 template (for "text" the reference of :func:`render_text`)."""
    template = _environment(fmt).get_template(TEMPLATE_FILES[fmt])
    extra = {"paint": _make_paint(color and fmt == "text"), "width": TEXT_WIDTH}
    return template.render(**view, **extra)


def render_text(view: dict, paint: Any) -> str:
    """The text report of ``view`` (a brief or full :func:`build_view`), laid out as
    ``templates/report.txt.j2`` lays it out, byte for byte (tests/test_report.py compares the two
    on every case): the terminal report needs no Jinja2, whose import and template loading were
    about a tenth of a cold ``check``. Every value goes through the template's output filter
    (``_finalize_text``) and filters (``_pad``, ``_hang``); ``paint`` is :func:`_make_paint`'s.
    A string in place of a summary entry or an agreement is written as it is (a part rendered
    elsewhere, or a placeholder for one)."""
    out = _finalize_text
    t = view["t"]
    chunks = [_hang(_cat(t["report"], " · ", view["produced_by"]), 0) + "\n"]
    if view["many"]:
        chunks.append("\n" + out(t["summary"]) + ":\n")
        chunks += [s if isinstance(s, str) else text_summary_entry(s, paint) for s in view["summary"]]
    if view["run_notes"]:
        chunks.append("\n" + out(t["run_notes"]) + ":\n")
        chunks += ["  - " + _hang(_note_line(n), 4) + "\n" for n in view["run_notes"]]
    chunks += [a if isinstance(a, str) else text_agreement(a, t, paint) for a in view["agreements"]]
    return "".join(chunks)


def text_summary_entry(s: dict, paint: Any) -> str:
    """One agreement's lines in the text report's summary (``s``: its summary entry)."""
    upper = s["overall"]["upper"]
    return ("  " + _finalize_text(s["file"]) + "\n"
            + "      " + paint(upper, s["overall"]["key"]) + " · "
            + _hang(s["counts_text"], 9 + len(upper), sep=" · ") + "\n")


def text_agreement(a: dict, t: dict, paint: Any) -> str:
    """One agreement's section of the text report (``a``: its view, ``t``: the words)."""
    out = _finalize_text
    h = a["header"]
    w = a["text_width"]
    overall = a["overall"]
    lines = ["", "== " + out(h["file"]),
             "   " + _hang(h["title"], 3),
             "   " + out(t["overall_is"]) + ": " + paint(overall["upper"], overall["key"]),
             "   " + _hang(overall["reason"], 3),
             "   " + _hang(_cat(a["total_text"], ": ", a["counts_text"]), 3, sep=" · ")]
    if a["open"]:
        lines += ["", "   " + out(t["text_open"]) + ":"]
        for f in a["open"]:
            lines.append("   " + _pad(f["id"], w["id"]) + "  "
                         + paint(_pad(f["verdict"]["label"], w["verdict"]), f["verdict"]["key"]) + "  "
                         + _pad(f["severity"]["label"], w["severity"]) + "  "
                         + _hang(_cat(f["title"], "  (", f["location"], ")"), w["title_col"]))
    if a["questions"]:
        lines += ["", "   " + out(t["sec_questions"]) + ":"]
        for q in a["questions"]:
            digits = len(str(q["n"]))
            col = 3 + digits + 2
            blank = out(" " * (digits + 2))
            lines.append("   " + _hang(_cat(q["n"], ". ", q["question"]), col))
            lines.append("   " + blank
                         + _hang(_cat(q["severity"]["label"], " · ", t["question_about"], " ", q["id"]), col))
            if q["missing"]:
                paths = ", ".join(str(m["path"]) for m in q["missing"])
                lines.append("   " + blank + _hang(_cat(t["decided_by"], ": ", paths), col, 99, sep=", "))
    else:
        lines += ["", "   " + out(t["sec_questions"]) + ": " + out(t["text_no_questions"])]
    if a["waived"] or a["waiver_notes"]:
        lines += ["", "   " + out(t["sec_waivers"]) + ":"]
        for f in a["waived"]:
            waiver = f["waiver"]
            lines.append("   " + _pad(f["id"], w["id"]) + "  " + paint(f["verdict"]["label"], f["verdict"]["key"])
                         + " (" + out(t["verdict_set_aside"]) + ": " + out(waiver["underlying"]["label"]) + ") · "
                         + out(f["severity"]["label"]))
            lines.append("      " + _hang(_cat(t["waiver_reason"], ": ", waiver["reason"], " · ", t["granted_by"],
                                           ": ", waiver["granted_by"], " · ", t["expires"], ": ",
                                           waiver["expires"]), 6))
        if a["waiver_notes"]:
            lines.append("   " + out(t["waiver_notes"]) + ":")
        for n in a["waiver_notes"]:
            lines.append("   - " + _hang(_note_line(n), 5))
    return "\n".join(lines) + "\n"


def _cat(*parts: Any) -> str:
    """Jinja2's ``~``: every part as ``str()``, joined."""
    return "".join(str(p) for p in parts)


def _note_line(n: dict) -> str:
    return _cat(n["rule"], ": ", n["text"], " (", n["origin"], ")")


# --------------------------------------------------------------------------- short report

# The short report (default for Markdown, HTML and PDF): page 1 parties and overall verdict,
# each violation once (what the draft says, what the criterion requires with source and legal
# basis, what to change), the open questions once and grouped by topic, then compactly what
# holds and what does not apply. No YAML paths, file lines or hashes: those are in
# ``--detail full``.

_SW: dict[str, tuple[str, str]] = {
    "short_kicker": ("Prüfbericht (Kurzfassung)", "Audit report (short version)"),
    "toc": ("Inhalt", "Contents"),
    "parties": ("Vertragsparteien", "Parties"),
    "reviewer_meta_note": ("Anmerkung der prüfenden Person", "Reviewer's note"),
    "sec_violations": ("Verstöße", "Violations"),
    "no_violations": ("Kein Kriterium ist verletzt.", "No criterion is violated."),
    "draft_says": ("Was der Entwurf sagt", "What the draft says"),
    "draft_silent": ("Der Entwurf enthält dazu keine Regelung.", "The draft contains no provision on this."),
    "criterion_requires": ("Was das Kriterium verlangt", "What the criterion requires"),
    "sec_open": ("Offene Fragen", "Open questions"),
    "open_intro": ("Diese Fragen entscheiden die offenen Kriterien; jede steht einmal da. Was der Entwurf "
                   "regelt, dort nachsehen; was er offenlässt, mit der anderen Vertragsseite klären. Fragen, "
                   "die das Gesamturteil entscheiden (ungeklärte Blocker), sind markiert.",
                   "These questions decide the open criteria; each appears once. Look up in the draft what it "
                   "provides; settle with the other party what it leaves open. Questions that decide the "
                   "overall verdict (unresolved blockers) are marked."),
    "decides_overall": ("entscheidet das Gesamturteil", "decides the overall verdict"),
    "no_open": ("Keine offenen Fragen.", "No open questions."),
    "sec_rest": ("Was erfüllt ist und was nicht anwendbar ist", "What holds and what does not apply"),
    "holds": ("Erfüllt", "Fulfilled"),
    "not_applicable": ("Nicht anwendbar", "Not applicable"),
    "waived": ("Ausgenommen", "Waived"),
    "none": ("keine", "none"),
    "sec_about": ("Zu diesem Bericht", "About this report"),
    "about_detail": ("Die vollständigen Einzelnachweise (jedes Kriterium mit den Angaben der Beschreibung, "
                     "auf die sich das Urteil stützt) enthält der ausführliche Prüfnachweis, den budgetcheck "
                     "aus derselben Beschreibung erzeugt.",
                     "The full evidence (every criterion with the statements of the description its verdict "
                     "rests on) is in the detailed evidence report that budgetcheck produces from the same "
                     "description."),
    "why": ("Warum das wichtig ist", "Why it matters"),
    "input": ("Eingabe", "Input"),
    "page": ("Seite", "Page"),
    "of": ("von", "of"),
    "topic_meta": ("Vertragsdaten", "Contract data"),
    "topic_parties": ("Beteiligte", "Parties"),
    "topic_model": ("Budgetmodell", "Budget model"),
    "topic_sozialraeume": ("Sozialräume", "Neighbourhoods"),
    "topic_services": ("Leistungen", "Services"),
    "topic_budget": ("Budget und Finanzierung", "Budget and funding"),
    "topic_clauses": ("Vertragsklauseln", "Contract clauses"),
    "topic_other": ("Weitere Fragen", "Further questions"),
    "rule_ids": ("Kriterien", "Criteria"),
    "unreadable": ("Nicht lesbare Eingaben", "Unreadable inputs"),
    "unreadable_intro": ("Diese Dateien konnten nicht gelesen werden und sind nicht geprüft:",
                         "These files could not be read and were not checked:"),
}

TOPIC_ORDER = ("meta", "parties", "model", "sozialraeume", "services", "budget", "clauses", "other")

SHORT_TEMPLATES = {"markdown": "report_short.md.j2", "html": "report_short.html.j2"}


def _sw(key: str, lang: str, **values: Any) -> str:
    return _SW[key][0 if lang == "de" else 1].format(**values)


def citation(source: Any, lang: str) -> str:
    """A source as a reader cites it: 'Diakonisches Werk Hamburg 2018, Eckpunkte zu Trägerbudgets,
    Strukturelle Prüfkriterien, Punkt 4' or 'ISSAB 2002, Kap. 6.2 Voraussetzungen: …'."""
    name, _file = source_origin(source, lang)
    if getattr(source, "kind", "quelle") == "gesetz":
        return f"{name}, {source.section}"
    section = source.section
    match = re.match(r"^(\d+(?:\.\d+)*)\.?\s*(.*)$", section)
    if match:
        number, rest = match.groups()
        name = name.split(",")[0] if name else name  # "ISSAB 2002"
        section = (f"Kap. {number}" if lang == "de" else f"ch. {number}") + (f" {rest}" if rest else "")
    parts = [p for p in (name, section) if p]
    if source.bullet is not None:
        parts.append(_w("bullet", lang, n=source.bullet))
    return ", ".join(parts)


def _topic(key: str) -> str:
    """The part of the draft a question's fact belongs to (``clauses.overspending`` -> clauses)."""
    head = str(path_tuple(key)[0]) if key else ""
    return head if head in TOPIC_ORDER else "other"


# "ausgeschlossen" means: the draft regulates the opposite of the protective content (clause labels
# name topics, e.g. "Zugang weiterer Träger, Exklusivität", so "schließt aus: Exklusivität" would read
# as the good outcome).
_STATUS_SENTENCE = {
    "ausgeschlossen": ("{subject} regelt das Gegenteil dessen, was das Kriterium verlangt (Thema: {clause}).",
                       "{subject} provides the opposite of what the criterion requires (topic: {clause})."),
    "fehlt": ("{subject} enthält dazu keine Regelung (Thema: {clause}).",
              "{subject} contains no provision on this (topic: {clause})."),
    "vereinbart": ("{subject} regelt das (Thema: {clause}).", "{subject} provides for it (topic: {clause})."),
}
# who "says" it: a plan without contract text (meta.status geplant) is no draft
_SUBJECT = {False: ("Der Entwurf", "The draft"), True: ("Das geplante Modell", "The planned model")}


def _short_says(view: "_AgreementView", f: Finding) -> list[dict]:
    """What the draft says, in the reader's terms: the clause wording with its § reference, else a
    sentence for the clause's status, else the statements with their meaning (no paths, no lines)."""
    lang = view.lang
    out: list[dict] = []
    done: set[str] = set()
    clauses = {c["path"]: c for c in view.clause_texts(f)}
    planned = getattr(view.a.meta.status, "value", None) == "geplant"
    for e in view.evidence_rows(f):
        if e["applicability"] or e["is_note"]:
            continue
        parts = path_tuple(e["path"])
        if len(parts) >= 2 and parts[0] == "clauses" and isinstance(parts[1], str):
            key = f"clauses.{parts[1]}"
            if key in done:
                continue
            done.add(key)
            clause = getattr(view.a.clauses, parts[1], None)
            name = describe_path(key, lang) or parts[1].replace("_", " ")
            c = clauses.get(key, {})
            status = getattr(getattr(clause, "status", None), "value", None)
            i = 0 if lang == "de" else 1
            sentence = _STATUS_SENTENCE.get(status or "", ("", ""))[i]
            text = sentence.format(clause=name, subject=_SUBJECT[planned][i]) if sentence else ""
            out.append({"quote": c.get("wording", ""), "text": text,
                        "section": e["section"] or c.get("section", ""), "note": c.get("note", "")})
            continue
        text = f"{e['label']}: {e['value']}" if e["label"] else e["value"]
        out.append({"quote": "", "text": text, "section": e["section"], "note": ""})
    return out


def _short_agreement(result: AgreementResult, index: int, lang: str) -> dict:
    view = _AgreementView(result, index, lang)
    full = view.build()
    w = lambda key, **v: _sw(key, lang, **v)  # noqa: E731
    violations = []
    for f in view.findings:
        if f.verdict != Verdict.verletzt:
            continue
        rule = f.rule.rule
        violations.append({
            "id": f.id, "anchor": view.anchor_for(f.id), "title": _text(rule.title, lang),
            "severity": {"key": f.severity.value, "label": label(SEVERITY, f.severity.value, lang)},
            "says": _short_says(view, f),
            "sources": [{"passage": s.passage, "citation": citation(s, lang)} for s in rule.source],
            # the law in force for the agreement's field and dates, as in the full report (issue 14)
            "legal": [_legal(ref, lang) for ref in cited(rule.legal_basis, view.regime)],
            "criticism": _text(rule.criticism, lang) if rule.criticism else "",
            "rationale": _text(view.regime.wording(rule, "rationale"), lang),
            "recommendation": _text(view.regime.wording(rule, "recommendation"), lang),
        })
    # questions: the Result's deduplicated list (one per deciding fact, numbered by severity),
    # grouped here by the part of the draft they ask about; within a topic in their order
    grouped: dict[str, list[dict]] = {}
    for q in getattr(result, "questions", None) or []:
        grouped.setdefault(_topic((getattr(q, "facts", None) or [q.key])[0]), []).append({
            "n": q.n, "question": q.text(lang), "section": q.section or "", "ids": list(q.rules),
            "decides": q.severity == Severity.blocker})
    topics = [{"key": key, "label": w(f"topic_{key}"), "questions": sorted(grouped[key], key=lambda e: e["n"])}
              for key in TOPIC_ORDER if key in grouped]
    # numbered as printed (1, 2, 3 … through the topics): the priority shows as the "decides" mark,
    # a number jumping 16, 7, 5 inside a topic only puzzled readers
    for i, q in enumerate((q for t in topics for q in t["questions"]), start=1):
        q["n"] = i
    number = sum(len(t["questions"]) for t in topics)
    rest = lambda v: [{"id": f.id, "title": _text(f.rule.rule.title, lang)}  # noqa: E731
                      for f in view.findings if f.verdict == v]
    a = result.agreement
    header = full["header"]
    notes = []
    if a.meta.note:
        notes.append(a.meta.note)
    return {
        "anchor": full["anchor"], "index": index, "header": header, "overall": full["overall"],
        "meta_note": a.meta.note or "",
        "file_name": Path(result.path).name if result.path else "",
        "counts": full["counts"], "counts_text": full["counts_text"], "total_text": full["total_text"],
        "violations": violations,
        "topics": topics, "question_count": number,
        "holds": rest(Verdict.erfuellt), "not_applicable": rest(Verdict.nicht_anwendbar),
        "waived": [{"id": v["id"], "title": v["title"], "reason": v["waiver"]["reason"] if v["waiver"] else ""}
                   for v in full["waived"]],
    }


def build_short_view(results: list[AgreementResult], *, lang: str, run: RunInfo,
                     run_notes: Iterable[WaiverNote] = (), errors: Iterable[Any] = ()) -> dict:
    """The view model of the short report."""
    agreements = [_short_agreement(r, i + 1, lang) for i, r in enumerate(results)]
    return _short_document(len(results), results[0].agreement.meta.title if results else "", lang=lang, run=run,
                           run_notes=run_notes, errors=errors, agreements=agreements,
                           inputs=[{"file": r.path, "sha256": r.sha256} for r in results])


def _short_document(count: int, first_title: str, *, lang: str, run: RunInfo, run_notes: Iterable[WaiverNote],
                    errors: Iterable[Any], agreements: list, inputs: list) -> dict:
    """The short report's view around its agreements' parts (see :func:`_document_view`)."""
    words = {k: _w(k, lang) for k in _W if "{" not in _W[k][0] and "|" not in _W[k][0]}
    words.update({k: _sw(k, lang) for k in _SW if "{" not in _SW[k][0]})
    if count == 1:
        doc_title = _w("doc_title_one", lang, title=first_title)
        running = first_title
    else:
        doc_title = _w("doc_title_many", lang, n=count)
        running = doc_title
    return {
        "lang": lang, "t": words, "doc_title": doc_title, "running_title": running,
        "produced_by": _w("produced_by", lang, version=run.checker_version, catalogue=run.catalogue_version,
                          date=format_date(run.check_date, lang)),
        "many": count > 1, "agreements": agreements,
        "run_notes": [_note_view(n, lang) for n in sorted(run_notes, key=_note_key)],
        "errors": [e.format() for e in errors],
        "inputs": inputs,
    }


class _Loop:
    """``loop`` of an agreement's block rendered alone: not the first of several (see DocumentParts)."""

    first = False
    index0 = 0


class DocumentParts:
    """The HTML reports (short and full) and the full Markdown report one agreement at a time (a
    streamed ``check`` of many files).

    The report template's loops over the agreements have their bodies in blocks (``summary_row``,
    ``agreement``, ``input_row``). :meth:`part` renders one agreement's blocks alone, with
    ``index`` (a placeholder the caller replaces) as its number; :meth:`frame` renders the
    document with each block replaced by a placeholder. The parts in order, put in place of
    the placeholders, are :func:`render_report`'s document, byte for byte. Parts are rendered as
    in a report of several agreements; what a report of one agreement leaves out (its page break
    and kicker) stands between the two ``marks`` (the caller removes it, or the marks).
    """

    BLOCKS = {"summary_row": "s", "agreement": "a", "input_row": "i"}

    def __init__(self, fmt: str, *, detail: str, lang: str, run: RunInfo, marks: tuple[str, str] = ("", "")):
        self.fmt = fmt
        self.lang = lang
        self.run = run
        self.short = detail == "short" and fmt in SHORT_TEMPLATES
        self.name = SHORT_TEMPLATES[fmt] if self.short else TEMPLATE_FILES[fmt]
        self.environment = _environment(fmt)
        self.template = self.environment.get_template(self.name)
        self.blocks = [name for name in self.BLOCKS if name in self.template.blocks]
        self.marks = marks
        self.extra = {} if self.short else {"paint": _make_paint(False), "width": TEXT_WIDTH}
        self._vars: Optional[dict] = None

    def _document(self, count: int, first_title: str, run_notes: Iterable[WaiverNote] = (),
                  errors: Iterable[Any] = (), **lists: list) -> dict:
        lists = {name: lists.get(name, []) for name in ("summary", "agreements", "inputs")}
        if self.short:
            del lists["summary"]
            return _short_document(count, first_title, lang=self.lang, run=self.run, run_notes=run_notes,
                                   errors=errors, **lists)
        return {**_document_view(count, first_title, lang=self.lang, run=self.run, run_notes=run_notes, **lists),
                **self.extra}

    def part(self, result: AgreementResult, index: str) -> dict[str, str]:
        """Block name -> this agreement's text, numbered ``index``."""
        if self._vars is None:  # the template's macros and what every block shares, once per process
            shared = self._document(2, "")
            module = self.template.make_module(shared)
            self._vars = {**shared, **{k: getattr(module, k) for k in dir(module) if not k.startswith("_")}}
            if not self.short:
                self._vars["mark_on"], self._vars["mark_off"] = self.marks
        if self.short:
            local = {"a": _short_agreement(result, index, self.lang)}  # type: ignore[arg-type]
        else:
            view = _AgreementView(result, index, self.lang).build()  # type: ignore[arg-type]
            entry = summary_entry(view, self.lang)
            local = {"a": view, "s": entry, "i": _input_entry(view), "summary": [entry]}
        context = self.template.new_context({**self._vars, **local, "loop": _Loop})
        return {name: "".join(self.template.blocks[name](context)) for name in self.blocks}

    def frame(self, count: int, first_title: str, run_notes: Iterable[WaiverNote], placeholders: dict[str, str],
              errors: Iterable[Any] = ()) -> str:
        """The document of ``count`` agreements with ``placeholders[block]`` in place of its parts."""
        child = self.environment.from_string(f'{{% extends "{self.name}" %}}' + "".join(
            f"{{% block {name} %}}{{{{ {var} }}}}{{% endblock %}}" for name, var in self.BLOCKS.items()
            if name in self.blocks))
        lists = {"summary_row": "summary", "agreement": "agreements", "input_row": "inputs"}
        filled = {lists[name]: [Markup(placeholders[name])] if count else [] for name in self.blocks}
        return child.render(**self._document(count, first_title, run_notes, errors, **filled))
