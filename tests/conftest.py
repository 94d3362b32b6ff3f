import datetime as dt
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECK_DATE = dt.date(2026, 1, 1)


@pytest.fixture(scope="session")
def catalogue():
    from checker.rules import load_catalogue

    return load_catalogue()


def deep_merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out
