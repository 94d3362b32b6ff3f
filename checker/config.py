"""Project configuration for ``budgetcheck check``: ``budgetcheck.toml`` or ``[tool.budgetcheck]``.

Where it is found (the first that applies):

1. ``--config FILE`` on the command line (``--no-config`` ignores every file);
2. walking from the current directory upwards, in each directory first
   ``budgetcheck.toml`` (settings at its top level, or under ``[tool.budgetcheck]``),
   then ``pyproject.toml`` if it has a ``[tool.budgetcheck]`` table. A
   ``pyproject.toml`` without that table is skipped, the search goes on upwards.

Keys (all optional; command-line flags override them)::

    [tool.budgetcheck]
    select = ["ISSAB-VR", "konsistenz"]   # rule ids, id prefixes or group names
    ignore = ["DWH-QS-FORTBILDUNG"]
    fail-on = "major"                     # blocker | major | minor | hinweis
    fail-on-unresolved = false
    lang = "de"                           # de | en
    format = "text"                       # the format for the standard output
    output = ["sarif:out/budgetcheck.sarif", "html:out/bericht.html"]
    waivers = "ausnahmen.yaml"            # or a list; relative to the config file

Unknown keys and wrong types are input errors (exit code 2), reported with file, line
and key, and for a misspelt key a suggestion. Relative file names in ``output`` and
``waivers`` are taken relative to the directory of the config file.
"""

# (no ``from __future__ import annotations``: pydantic would turn every annotation of the model
# classes here back from a string into a type at import, with compile and eval; cold start)

import dataclasses
import re
from enum import Enum
from pathlib import Path
from typing import Any, Optional, Union

from pydantic import BaseModel, ConfigDict, Field

from checker.loader import ErrorItem, InputError, Locations, validate
from checker.rules import Severity

CONFIG_FILE = "budgetcheck.toml"
PYPROJECT = "pyproject.toml"
MAX_CONFIG_BYTES = 1024 * 1024

_TEXTS = {
    "unknown_key": ("unbekannter Schlüssel {key}", "unknown key {key}"),
    "did_you_mean": ("meinten Sie '{suggestion}'?", "did you mean '{suggestion}'?"),
    "toml": ("kein gültiges TOML: {detail}", "not valid TOML: {detail}"),
    "unreadable": ("Datei kann nicht gelesen werden: {reason}", "cannot read file: {reason}"),
    "too_large": ("Konfiguration größer als {limit} Bytes", "configuration larger than {limit} bytes"),
    "unsafe_dir": (
        "{file}: ignoriert, weil das Verzeichnis {dir} einem anderen Benutzer gehört oder für andere "
        "beschreibbar ist (mit --config ausdrücklich angeben, um sie zu verwenden)",
        "{file}: ignored because the directory {dir} belongs to another user or is writable by others "
        "(name it with --config to use it)",
    ),
    "not_table": ("[tool.budgetcheck] muss eine Tabelle sein", "[tool.budgetcheck] must be a table"),
    "no_section": (
        "enthält keine Tabelle [tool.budgetcheck]",
        "has no [tool.budgetcheck] table",
    ),
}


def _text(lang: str, message: str, /, **values: Any) -> str:
    return _TEXTS[message][0 if lang == "de" else 1].format(**values)


class Lang(str, Enum):
    de = "de"
    en = "en"


class _Settings(BaseModel):
    """The keys of the configuration, with TOML's dashes turned into underscores."""

    model_config = ConfigDict(extra="forbid", defer_build=True)  # validator built when a file is read

    select: Optional[Union[list[str], str]] = None
    ignore: Optional[Union[list[str], str]] = None
    fail_on: Optional[Severity] = None
    fail_on_unresolved: Optional[bool] = Field(None, strict=True)
    lang: Optional[Lang] = None
    format: Optional[str] = None
    output: Optional[Union[list[str], str]] = None
    waivers: Optional[Union[list[str], str]] = None
    exclude: Optional[Union[list[str], str]] = None


KEYS = [name.replace("_", "-") for name in _Settings.model_fields]


# --------------------------------------------------------------------------- the settings' validator, cached
#
# As for the agreement model (checker.model, "validators, cached"): generating _Settings' core schema
# and validator took ~70 M instructions of a cold check that reads a configuration file (pydantic's
# schema generation and its plugin lookup through importlib.metadata), four times reading the file.
# The core schema is plain data (dicts, strings and the Severity and Lang enums) and is kept in the
# private cache directory, keyed by this file's and rules.py's bytes and the Python, pydantic and
# pydantic-core versions. It is unpickled with a whitelist (classes and functions of checker.config
# and checker.rules only), and anything missing, stale, corrupt, foreign or unsafe means pydantic
# builds the validator as without a cache. The same core schema makes the same validator, so values
# and errors are the same (tests/test_coldstart.py); a validator made from the cache does not pass
# through pydantic plugins (budgetcheck uses none).

_SETTINGS_CACHE_PREFIX = "config-"
_SETTINGS_CACHE_MAX_BYTES = 1024 * 1024
_settings_state: dict[str, bool] = {}  # "ready": the validator is made; "cached": it came from the cache


def _settings_cache_key() -> Optional[str]:
    from checker import rules
    from checker.cachefiles import source_key

    return source_key(1, __file__, rules.__file__)


def _load_settings_schema(data: bytes, key: str) -> Optional[dict]:
    from checker.cachefiles import load_keyed

    schema = load_keyed(data, key, ("checker.config", "checker.rules"))  # the enums of the schema
    return schema if isinstance(schema, dict) else None


def _settings_validator() -> None:
    """Give _Settings its validator: from the private cache if it holds its schema, else as
    pydantic builds it (then cached for the next process)."""
    if _settings_state.get("ready"):
        return
    from checker import cachefiles

    key = _settings_cache_key()
    directory = cachefiles.cache_dir()
    path = directory / f"{_SETTINGS_CACHE_PREFIX}{key[:40]}.pickle" if key and directory else None
    data = cachefiles.read_private(path, _SETTINGS_CACHE_MAX_BYTES) if path else None
    schema = _load_settings_schema(data, key) if data and key else None
    if schema is not None:
        try:
            from pydantic._internal._config import ConfigWrapper
            from pydantic_core import SchemaValidator

            config = ConfigWrapper(_Settings.model_config, check=False).core_config(title=_Settings.__name__)
            _Settings.__pydantic_validator__ = SchemaValidator(schema, config)  # type: ignore[assignment]
            _settings_state.update(ready=True, cached=True)
            return
        except Exception:  # noqa: BLE001 - a schema this pydantic-core does not take: generate instead
            pass
    _Settings.model_rebuild(force=True)
    _settings_state.update(ready=True, cached=False)
    if path is not None:
        import pickle

        from checker.model import _without_metadata

        try:
            data = pickle.dumps((key, _without_metadata(_Settings.__pydantic_core_schema__)),
                                protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 - not picklable (a later change to this module): no cache
            return
        if cachefiles.cache_write_bytes(path, data):
            cachefiles.prune(path.parent, f"{_SETTINGS_CACHE_PREFIX}*.pickle", 8)


@dataclasses.dataclass(frozen=True)
class Config:
    """Settings read from a file; None means "not set there"."""

    file: Optional[str] = None
    select: Optional[list[str]] = None
    ignore: Optional[list[str]] = None
    fail_on: Optional[Severity] = None
    fail_on_unresolved: Optional[bool] = None
    lang: Optional[str] = None
    format: Optional[str] = None
    output: Optional[list[str]] = None  # FORMAT[:FILE] specs, files relative to the config's directory
    waivers: Optional[list[str]] = None  # resolved against the config's directory
    exclude: Optional[list[str]] = None  # glob patterns skipped when scanning directories
    lines: tuple[tuple[str, int], ...] = ()  # (key as written, line) of each key set in the file

    def where(self, key: str) -> str:
        """``FILE:LINE: KEY`` for messages about a value taken from the file."""
        line = dict(self.lines).get(key)
        return f"{self.file}:{line}: {key}" if line else f"{self.file}: {key}"


def find_config(start: Union[str, Path, None] = None, lang: str = "de",
                warn: Optional[Any] = None) -> Optional[Path]:
    """The nearest ``budgetcheck.toml`` or ``pyproject.toml`` with ``[tool.budgetcheck]``.

    Like git's ``safe.directory``: a file found in a directory that belongs to another user
    (other than root) or is writable by group or others -- a shared /tmp, a colleague's
    checkout -- is ignored with a warning (``warn(message)``, stderr by default), and so is a
    file owned by another user: anyone could have put it there to switch checks off or to
    redirect the output. ``--config FILE`` still reads any file the user names."""
    directory = Path(start or Path.cwd()).resolve()
    for folder in (directory, *directory.parents):
        for name in (CONFIG_FILE, PYPROJECT):
            candidate = folder / name
            if not candidate.is_file() or (name == PYPROJECT and not _has_section(candidate)):
                continue
            unsafe = _unsafe_owner(folder, candidate)
            if unsafe is None:
                return candidate
            message = _text(lang, "unsafe_dir", file=str(candidate), dir=str(unsafe))
            if warn is None:
                import sys

                print(message, file=sys.stderr)
            else:
                warn(message)
    return None


def _unsafe_owner(folder: Path, candidate: Path) -> Optional[Path]:
    """The directory or file that makes ``candidate`` untrusted (owned by another user than this one
    or root, or writable by group or others), or None."""
    import os

    if not hasattr(os, "getuid"):
        return None
    for path in (folder, candidate):
        try:
            st = os.stat(path)
        except OSError:
            return path
        if st.st_uid not in (os.getuid(), 0) or st.st_mode & 0o022:
            return path
    return None


def _toml() -> Any:
    """tomllib (tomli on Python 3.10), imported when a configuration file is read (start-up time)."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    return tomllib


def _has_section(path: Path) -> bool:
    from checker.safeio import read_regular

    tomllib = _toml()
    try:
        raw = read_regular(path, MAX_CONFIG_BYTES)
    except OSError:
        return False
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        # A broken pyproject.toml that mentions us is still ours: loading it reports the error.
        return b"[tool.budgetcheck]" in raw
    return isinstance(data.get("tool"), dict) and "budgetcheck" in data["tool"]


_UNION_TAG = re.compile(r"\[['\"]?(?:list\[str\]|str)['\"]?\]|\.(?:list\[str\]|str)\b")
_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)$")


def load_config(path: Union[str, Path], lang: str = "de") -> Config:
    """Read and check one configuration file (raises :class:`InputError`)."""
    file = str(path)
    from checker.safeio import FileTooLarge, read_regular

    tomllib = _toml()
    try:
        content = read_regular(path, MAX_CONFIG_BYTES).decode("utf-8")
    except FileTooLarge:
        raise InputError([_item(file, None, _text(lang, "too_large", limit=MAX_CONFIG_BYTES), lang)]) from None
    except OSError as exc:
        raise InputError([_item(file, None, _text(lang, "unreadable", reason=exc.strerror or str(exc)), lang)]) from None
    except UnicodeDecodeError as exc:
        raise InputError([_item(file, None, _text(lang, "toml", detail=str(exc)), lang)]) from None
    try:
        document = tomllib.loads(content)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = _TOML_POSITION.search(message)
        position = (int(match.group(1)), int(match.group(2))) if match else None
        detail = _TOML_POSITION.sub("", message).strip()
        raise InputError([_item(file, position, _text(lang, "toml", detail=detail), lang)]) from None

    prefix: tuple[str, ...] = ()
    table: Any = document
    if Path(path).name == PYPROJECT or "tool" in document:
        table = document.get("tool", {}).get("budgetcheck") if isinstance(document.get("tool"), dict) else None
        prefix = ("tool", "budgetcheck")
        if table is None:
            raise InputError([_item(file, None, _text(lang, "no_section"), lang)])
        if not isinstance(table, dict):
            raise InputError([_item(file, None, _text(lang, "not_table"), lang)])
    locations = _locations(content, prefix)

    unknown = [key for key in table if key not in KEYS]
    if unknown:
        errors = []
        for key in unknown:
            import difflib

            suggestion = difflib.get_close_matches(key.replace("_", "-").lower(), KEYS, n=1, cutoff=0.6)
            errors.append(ErrorItem(file, *(locations.get((key,)) or (None, None)), ".".join((*prefix, key)),
                                    _text(lang, "unknown_key", key=repr(key)), "",
                                    suggestion[0] if suggestion else None, lang))
        raise InputError(errors)
    raw = {key.replace("-", "_"): value for key, value in table.items()}
    located = {(key.replace("-", "_"), *rest): pos for (key, *rest), pos in locations.items()}
    _settings_validator()
    try:
        settings = validate(_Settings, raw, located, file, lang)
    except InputError as err:  # name the keys as they are written: tool.budgetcheck.fail-on
        raise InputError([dataclasses.replace(e, path=".".join((*prefix, _UNION_TAG.sub("", e.path).replace("_", "-"))))
                          for e in err.errors]) from None

    base = Path(path).parent
    return Config(
        file=file,
        select=_list(settings.select),
        ignore=_list(settings.ignore),
        fail_on=settings.fail_on,
        fail_on_unresolved=settings.fail_on_unresolved,
        lang=settings.lang.value if settings.lang else None,
        format=settings.format,
        output=[_relative_output(spec, base) for spec in _list(settings.output) or []] or None,
        waivers=[str(base / name) if not Path(name).is_absolute() else name
                 for name in _list(settings.waivers) or []] or None,
        exclude=_list(settings.exclude),
        lines=tuple((key, position[0]) for (key, *_rest), position in locations.items() if not _rest),
    )


def _item(file: str, position: Optional[tuple[int, int]], message: str, lang: str) -> ErrorItem:
    line, column = position if position else (None, None)
    return ErrorItem(file, line, column, "", message, lang=lang)


def _list(value: Union[list[str], str, None]) -> Optional[list[str]]:
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else value
    return [item.strip() for item in items if item.strip()]


def _relative_output(spec: str, base: Path) -> str:
    """``FORMAT:FILE`` with FILE taken relative to the config's directory."""
    fmt, sep, name = spec.partition(":")
    if not sep or not name or name == "-" or Path(name).is_absolute():
        return spec
    return f"{fmt}:{base / name}"


_KEY_LINE = re.compile(r"""^\s*(?:"([^"]+)"|'([^']+)'|([A-Za-z0-9_-]+))\s*=""")
_TABLE_LINE = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]\s*(#.*)?$")


def _locations(content: str, prefix: tuple[str, ...]) -> Locations:
    """Line and column of each top-level key of our table (good enough for messages).

    TOML's parser in the standard library keeps no positions; keys of our table are
    simple ``key = value`` lines below its header (or at the top of budgetcheck.toml).
    """
    out: Locations = {}
    current: tuple[str, ...] = ()
    for number, line in enumerate(content.splitlines(), start=1):
        table = _TABLE_LINE.match(line)
        if table:
            current = tuple(part.strip().strip("\"'") for part in table.group(1).split("."))
            continue
        key = _KEY_LINE.match(line)
        if key and current == prefix:
            name = next(group for group in key.groups() if group)
            out.setdefault((name,), (number, line.index(name[0]) + 1))
    return out
