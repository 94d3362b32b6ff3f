"""The coverage table: every criterion of the sources and the rules that encode it."""

from __future__ import annotations

from pathlib import Path

import yaml

from checker.rules import RULES_DIR, Catalogue

START, END = "<!-- coverage:start -->", "<!-- coverage:end -->"


def load_coverage(rules_dir: Path = RULES_DIR) -> list[dict]:
    return yaml.safe_load((Path(rules_dir) / "coverage.yaml").read_text(encoding="utf-8"))["items"]


def coverage_table(catalogue: Catalogue, items: list[dict]) -> str:
    """Markdown table: criterion, source, rules (with severity)."""
    lines = ["| criterion (Kriterium) | source | rules |", "| --- | --- | --- |"]
    for item in items:
        rules = ", ".join(f"`{rid}` ({catalogue.by_id[rid].rule.severity.value})" if rid in catalogue.by_id
                          else f"`{rid}` (unknown)" for rid in item["rules"])
        lines.append(f"| {item['text']} | {item['source']} | {rules} |")
    return "\n".join(lines) + "\n"


def update_readme(readme: Path, table: str) -> str:
    """The README text with the table between the coverage markers replaced."""
    text = readme.read_text(encoding="utf-8")
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{table}{END}{tail}"


if __name__ == "__main__":  # python -m checker.coverage  (rewrites the table in rules/README.md)
    from checker.rules import load_catalogue

    readme = RULES_DIR / "README.md"
    readme.write_text(update_readme(readme, coverage_table(load_catalogue(), load_coverage())), encoding="utf-8")
