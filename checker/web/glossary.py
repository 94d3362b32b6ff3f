"""Glossary terms explained in place: the terms and German explanations of docs/glossary.md."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Optional

from markupsafe import Markup, escape

from checker.paths import IN_CHECKOUT, PACKAGE, REPO

# rows whose terms are everyday words in the interview (verdict names) are not marked
_SKIP = ("erfüllt", "zeichnungsreif", "Prüfbericht")


def glossary_file() -> Path:
    return REPO / "docs" / "glossary.md" if IN_CHECKOUT else PACKAGE / "data" / "docs" / "glossary.md"


@lru_cache(maxsize=1)
def glossary() -> list[dict]:
    """[{term, variants, text}] from the glossary table (German explanation, else the English one)."""
    try:
        lines = glossary_file().read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    out = []
    for line in lines:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or cells[0] in ("German term", "---") or set(cells[0]) <= {"-", " "}:
            continue
        term = cells[0]
        text = cells[3] if len(cells) > 3 and cells[3] else cells[2]
        text = text.replace("*", "")
        variants = []
        for part in re.split(r",| / ", re.sub(r"\s*\(([^)]*)\)", r", \1", term)):
            part = part.strip()
            if len(part) >= 3 and not part.islower() or part in ("ASD",):
                variants.append(part)
        if not term.startswith(_SKIP):
            out.append({"term": term, "variants": variants, "text": text})
        else:
            out.append({"term": term, "variants": [], "text": text})
    return out


@lru_cache(maxsize=1)
def _pattern() -> tuple[Optional[re.Pattern], dict[str, str]]:
    texts: dict[str, str] = {}
    for entry in glossary():
        for variant in entry["variants"]:
            texts.setdefault(variant, f"{entry['term']}: {entry['text']}")
    if not texts:
        return None, texts
    words = sorted(texts, key=len, reverse=True)
    return re.compile(r"(?<![\w-])(" + "|".join(re.escape(w) for w in words) + r")(?![\w-])"), texts


def explain(text: str) -> Markup:
    """``text`` (escaped) with the first mention of each glossary term marked and explained."""
    escaped = str(escape(text))
    pattern, texts = _pattern()
    if pattern is None:
        return Markup(escaped)
    seen: set[str] = set()

    def mark(match: re.Match) -> str:
        word = match.group(1)
        if word in seen:
            return word
        seen.add(word)
        title = escape(texts.get(word, ""))
        return f'<abbr class="term" title="{title}" tabindex="0">{word}</abbr>'

    return Markup(pattern.sub(mark, escaped))
