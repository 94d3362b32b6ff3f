"""Write an edited agreement back to YAML, keeping the file's comments and layout where possible.

The workbench edits the plain document the loader produced; on save, the new content is laid
over the file's previous text with ruamel.yaml's round-trip mode: keys that did not change keep
their comments, order and style, changed values are replaced in place, new keys are appended,
removed keys disappear. ruamel.yaml is only ever given text that already passed budgetcheck's
own loader (size, depth, alias and tag limits), and what it writes is loaded again with that
loader and must equal the edited document, or the save is refused.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any, Optional

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

_Resolver = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _yaml() -> YAML:
    out = YAML(typ="rt")
    out.preserve_quotes = True
    out.width = 4096  # never re-wrap long lines of the file
    out.indent(mapping=2, sequence=4, offset=2)
    return out


def _plain(value: Any) -> Any:
    """A string that PyYAML (YAML 1.1, which budgetcheck's loader follows) would read as something
    else (``ja``? no, but ``yes``, ``on``, ``2027-01-01``, ``12``) is written in quotes."""
    if isinstance(value, str) and not isinstance(value, DoubleQuotedScalarString):
        try:
            read = yaml.load(value, Loader=_Resolver)
        except yaml.YAMLError:
            return DoubleQuotedScalarString(value)
        if read != value or not isinstance(read, str):
            return DoubleQuotedScalarString(value)
    return value


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, bool) or isinstance(new, bool):
        return type(old) is type(new) and old == new
    if isinstance(old, (dict, list)) or isinstance(new, (dict, list)):
        return False
    if isinstance(old, dt.datetime) or isinstance(new, dt.datetime):
        return False
    return type(old) is type(new) and old == new if not isinstance(old, str) else (
        isinstance(new, str) and str(old) == new)


def _convert(value: Any) -> Any:
    """A new plain value as ruamel round-trip nodes."""
    if isinstance(value, dict):
        out = CommentedMap()
        for key, item in value.items():
            out[key] = _convert(item)
        return out
    if isinstance(value, list):
        seq = CommentedSeq()
        seq.extend(_convert(item) for item in value)
        return seq
    return _plain(value)


def _sync(node: Any, new: Any) -> Any:
    """``node`` (ruamel) changed in place to hold ``new`` (plain); returns the node to keep."""
    if isinstance(new, dict) and isinstance(node, CommentedMap):
        for key in [k for k in node if k not in new]:
            del node[key]
        for key, value in new.items():
            if key in node:
                synced = _sync(node[key], value)
                if synced is not node[key]:
                    node[key] = synced
            else:
                node[key] = _convert(value)
        return node
    if isinstance(new, list) and isinstance(node, CommentedSeq):
        for index, value in enumerate(new):
            if index < len(node):
                synced = _sync(node[index], value)
                if synced is not node[index]:
                    node[index] = synced
            else:
                node.append(_convert(value))
        del node[len(new):]
        return node
    if _same(node, new):
        return node
    return _convert(new)


def dump(document: dict, previous: Optional[str] = None, header: str = "") -> str:
    """YAML text of ``document``; laid over ``previous`` (keeping its comments) when given."""
    engine = _yaml()
    root: Any = None
    if previous is not None and previous.strip():
        try:
            root = engine.load(previous)
        except Exception:  # noqa: BLE001 - ruamel refuses what it cannot round-trip; write afresh
            root = None
    if isinstance(root, CommentedMap):
        root = _sync(root, document)
    else:
        root = _convert(document)
        if header:
            root.yaml_set_start_comment(header)
    buffer = io.StringIO()
    engine.dump(root, buffer)
    return buffer.getvalue()
