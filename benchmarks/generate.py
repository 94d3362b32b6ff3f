"""Deterministic, varied agreements for benchmarks, built from the reference cases.

``Generator(seed).text(i)`` is the YAML text of agreement number ``i``; the same
seed and index give the same text (given the same files in ``cases/`` and the same
Python), and nothing is held between calls, so any number of agreements can be
produced one at a time in constant memory.

Every agreement starts from one of the cases (``cases/source``, ``cases/defective``)
and is varied: amounts scaled (and sometimes made inconsistent), takers, services,
Sozialräume, Teilbudgets and Zweckbindungen resampled from all cases (1-8, 0-8, 0-4,
0-6, 0-4 of them), clauses kept, swapped for another case's version, flipped to
``vereinbart``/``ausgeschlossen``, set to ``unbekannt`` or left out, model fields
resampled or left out, the period moved by whole years and now and then reversed
(end before start). The result is meant to be valid input: ``Generator.check`` loads
a sample through the real loader.
"""

from __future__ import annotations

import copy
import datetime as dt
import pickle
import random
from pathlib import Path
from typing import Any, Optional

import yaml

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "cases"

_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

LISTS = {  # (container path, key): (min, max) number of entries
    ("parties", "takers"): (1, 8),
    ((), "services"): (0, 8),
    ((), "sozialraeume"): (0, 4),
    ("budget", "teilbudgets"): (0, 6),
    ("budget", "earmarks"): (0, 4),
}
STATUSES = ("vereinbart", "ausgeschlossen")


def case_files(root: Path = CASES) -> list[Path]:
    """The agreement files among the cases (sorted; expectation files excluded)."""
    files = sorted((root / "source").glob("*.yaml")) + sorted((root / "defective").glob("*.yaml"))
    return [f for f in files if not f.name.endswith(".expected.yaml")]


def _get(data: dict, path: Any) -> Optional[dict]:
    if path == ():
        return data
    node = data.get(path)
    return node if isinstance(node, dict) else None


class Generator:
    """Agreement ``i`` of a seeded series, as YAML text (or as data)."""

    def __init__(self, seed: int = 1, files: Optional[list[Path]] = None):
        self.seed = seed
        self.templates: list[dict] = []
        for file in files or case_files():
            data = yaml.load(file.read_text(encoding="utf-8"), Loader=_Loader)
            if isinstance(data, dict) and isinstance(data.get("meta"), dict):
                self.templates.append(data)
        if not self.templates:
            raise RuntimeError(f"no agreement files found below {CASES}")
        self.pools: dict[tuple, list] = {key: [] for key in LISTS}
        self.clauses: dict[str, list[dict]] = {}
        self.model_values: dict[str, list] = {}
        self.fields_of_work: list = []
        self.payouts: list[dict] = []
        for data in self.templates:
            for (where, key) in LISTS:
                container = _get(data, where)
                if container and isinstance(container.get(key), list):
                    self.pools[(where, key)].extend(container[key])
            for name, clause in (data.get("clauses") or {}).items():
                self.clauses.setdefault(name, []).append(clause)
            for name, value in (data.get("model") or {}).items():
                if name != "note" and value not in self.model_values.setdefault(name, []):
                    self.model_values[name].append(value)
            if data.get("field_of_work"):
                self.fields_of_work.append(data["field_of_work"])
            payout = (data.get("budget") or {}).get("payout")
            if payout:
                self.payouts.append(payout)
        self._frozen = [pickle.dumps(t) for t in self.templates]
        self.amounts = sorted({d["budget"]["amount_per_year"] for d in self.templates
                               if (d.get("budget") or {}).get("amount_per_year")}) or [1_000_000]

    # ----------------------------------------------------------------- public

    def text(self, index: int) -> str:
        return yaml.dump(self.data(index), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)

    def data(self, index: int) -> dict:
        rng = random.Random(self.seed * 1_000_003 + index)
        data = pickle.loads(rng.choice(self._frozen))  # a fresh copy of a template
        light = rng.random() < 0.12  # only names, dates and amounts change: mostly clean agreements
        self._meta(rng, data, index, light)
        if not light:
            self._lists(rng, data, index)
            self._model(rng, data)
        self._budget(rng, data, light)
        if not light:
            self._clauses(rng, data)
        return data

    def check(self, count: int = 200, directory: Optional[Path] = None) -> int:
        """Load ``count`` agreements with the real loader; the number refused (should be 0)."""
        import tempfile

        from checker.loader import InputError, load_agreement

        refused = 0
        with tempfile.TemporaryDirectory(dir=directory) as tmp:
            path = Path(tmp) / "a.yaml"
            for i in range(count):
                path.write_text(self.text(i), encoding="utf-8")
                try:
                    load_agreement(path)
                except InputError as err:
                    refused += 1
                    print(f"agreement {i}: {err}")
        return refused

    # ----------------------------------------------------------------- parts

    def _meta(self, rng: random.Random, data: dict, index: int, light: bool) -> None:
        meta = data["meta"]
        meta["title"] = f"{meta.get('title', 'Vereinbarung')} – Variante {index}"
        if rng.random() < 0.5:
            meta["identifier"] = f"BENCH-{self.seed}-{index:06d}"
        shift = rng.randint(-6, 4)
        for key in ("draft_date", "signing_date"):
            if isinstance(meta.get(key), dt.date):
                meta[key] = _shift(meta[key], shift)
                if not light and rng.random() < 0.1:
                    del meta[key]  # unstated
        period = meta.get("period")
        if isinstance(period, dict):
            for key in ("start", "end"):
                if isinstance(period.get(key), dt.date):
                    period[key] = _shift(period[key], shift)
            if not light and rng.random() < 0.03 and isinstance(period.get("start"), dt.date) and isinstance(period.get("end"), dt.date):
                period["start"], period["end"] = period["end"], period["start"]  # dates out of order
            if not light and rng.random() < 0.08:
                del meta["period"]
        if light:
            return
        if rng.random() < 0.2 and self.fields_of_work:
            data["field_of_work"] = list(rng.choice(self.fields_of_work))
        elif rng.random() < 0.05:
            data.pop("field_of_work", None)

    def _lists(self, rng: random.Random, data: dict, index: int) -> None:
        for (where, key), (low, high) in LISTS.items():
            pool = self.pools[(where, key)]
            if not pool or rng.random() < 0.3:  # keep the template's own list
                continue
            container = _get(data, where)
            if container is None:
                if where == ():
                    continue
                container = data.setdefault(where, {})
            count = rng.randint(low, high)
            items = [copy.deepcopy(rng.choice(pool)) for _ in range(count)]
            for n, item in enumerate(items):
                if "name" in item and isinstance(item["name"], str):
                    item["name"] = f"{item['name']} [{index}.{n}]"
            if rng.random() < 0.05 and low == 0:
                container.pop(key, None)  # the list is not stated at all
            else:
                container[key] = items

    def _model(self, rng: random.Random, data: dict) -> None:
        model = data.get("model")
        if model is None:
            if rng.random() < 0.7:
                return
            model = data["model"] = {}
        for name, values in self.model_values.items():
            r = rng.random()
            if r < 0.12:
                model[name] = rng.choice(values)
            elif r < 0.17:
                model.pop(name, None)

    def _budget(self, rng: random.Random, data: dict, light: bool) -> None:
        budget = data.get("budget")
        if budget is None:
            if light or rng.random() < 0.5:
                return
            budget = data["budget"] = {}
        total = budget.get("amount_per_year")
        if total is None and not light and rng.random() < 0.5:
            total = rng.choice(self.amounts)
        if total is not None:
            total = round(min(total * rng.lognormvariate(0, 0.6), 9e12), 2)
            budget["amount_per_year"] = total
            if light and budget.get("previous_year_actual_costs") is not None:
                budget["previous_year_actual_costs"] = round(total * rng.uniform(0.9, 0.99), 2)
            elif not light and rng.random() < 0.6:
                budget["previous_year_actual_costs"] = round(total * rng.uniform(0.85, 1.1), 2)
        teilbudgets = budget.get("teilbudgets")
        if teilbudgets:
            shares = _split(rng, len(teilbudgets))
            consistent = light or rng.random() < 0.8
            for item, share in zip(teilbudgets, shares):
                item.pop("amount", None)
                item.pop("share_percent", None)
                if consistent or rng.random() < 0.5:
                    item["share_percent"] = share
                else:
                    item["share_percent"] = round(min(share * rng.uniform(0.5, 1.5), 100), 2)
                if total is not None and (light or rng.random() < 0.9):
                    item["amount"] = round(total * item["share_percent"] / 100, 2)
        if light:
            return
        for earmark in budget.get("earmarks") or []:
            if rng.random() < 0.5:
                earmark["share_percent"] = round(rng.uniform(0, 10), 1)
            earmark.pop("amount", None)
            if total is not None and earmark.get("share_percent") is not None and rng.random() < 0.5:
                earmark["amount"] = round(total * earmark["share_percent"] / 100, 2)
        if rng.random() < 0.2 and self.payouts:
            budget["payout"] = copy.deepcopy(rng.choice(self.payouts))
        payout = budget.get("payout")
        if isinstance(payout, dict) and rng.random() < 0.3:
            unconditional = rng.choice([100, 97, 95, 90, 80])
            payout["unconditional_share_percent"] = unconditional
            rest = 100 - unconditional
            if rest and rng.random() < 0.8:
                payout["conditional_shares"] = [{"share_percent": rest, "condition": "Vorlage des Jahresberichts"}]
            elif rest:
                payout["conditional_shares"] = [{"share_percent": rest, "condition_defined": False}]
            else:
                payout.pop("conditional_shares", None)
        if not budget:
            del data["budget"]

    def _clauses(self, rng: random.Random, data: dict) -> None:
        clauses = data.setdefault("clauses", {})
        for name in sorted(self.clauses):
            r = rng.random()
            if r < 0.55:
                continue  # as in the template (stated or not)
            if r < 0.75:
                clauses[name] = copy.deepcopy(rng.choice(self.clauses[name]))
            elif r < 0.85:
                clause = clauses.setdefault(name, {})
                clause["status"] = rng.choice(STATUSES)
            elif r < 0.93:
                clause = clauses.setdefault(name, {})
                clause["status"] = "unbekannt"
            else:
                clauses.pop(name, None)
        if not clauses:
            del data["clauses"]


def _shift(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _split(rng: random.Random, parts: int) -> list[float]:
    """``parts`` shares in percent (two decimals) that add up to exactly 100."""
    if parts == 0:
        return []
    weights = [rng.uniform(0.2, 1.0) for _ in range(parts)]
    total = sum(weights)
    shares = [round(w / total * 100, 2) for w in weights[:-1]]
    shares.append(round(100 - sum(shares), 2))
    return shares


if __name__ == "__main__":  # python -m benchmarks.generate [COUNT]: load a sample through the loader
    import sys

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    refused = Generator().check(count)
    print(f"{count - refused} of {count} generated agreements load")
    sys.exit(1 if refused else 0)
