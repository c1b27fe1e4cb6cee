"""Strict YAML reading that remembers where every value came from.

PyYAML's safe loader stops code execution but silently keeps the last of two
duplicate keys and expands aliases without limit (a few hundred bytes can
expand to hundreds of millions of nodes once validated). Rule and scenario
files need neither anchors nor custom tags, so both are refused, as are
oversized and over-deep documents. Positions are recorded per path of keys and
indexes so that schema errors can be reported as ``file:line:col``.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import Diagnostic, InputError, Location, display_path
from .safe_read import read_bytes

MAX_BYTES = 1_048_576
MAX_DEPTH = 40

_STD = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_STD + t for t in ("str", "int", "float", "bool", "null", "timestamp")}

PathKey = tuple[str | int, ...]


@dataclass
class Document:
    """Plain Python data plus, for every path in it, the position to report."""

    path: str
    data: Any
    text: str
    positions: dict[PathKey, tuple[int, int]] = field(default_factory=dict)

    def locate(self, loc: PathKey) -> Location:
        """The nearest recorded position for ``loc`` (walking up to the parent if absent)."""
        probe = tuple(loc)
        while probe not in self.positions and probe:
            probe = probe[:-1]
        line, col = self.positions.get(probe, (1, 1))
        return Location(self.path, line, col)


class _Problem(Exception):
    def __init__(self, code: str, message: str, mark: Any):
        self.code, self.message, self.mark = code, message, mark


class _StrictLoader(yaml.SafeLoader):
    """Composes nodes only: no aliases, no anchors, bounded depth."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:  # type: ignore[override]
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise _Problem("RC103", "aliases (*name) are not allowed in riskcheck files", event.start_mark)
        if getattr(event, "anchor", None):
            raise _Problem("RC103", "anchors (&name) are not allowed in riskcheck files", event.start_mark)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _Problem("RC105", f"nesting deeper than {MAX_DEPTH} levels", event.start_mark)
        try:
            return super().compose_node(parent, index)  # type: ignore[no-any-return, return-value]
        finally:
            self._depth -= 1


# libyaml's C parser reads files several times faster (it matters when a thousand scenarios are replayed);
# the strictness stays here: an event pre-scan, then the same build as the pure-Python path.
_LIBYAML = bool(getattr(yaml, "__with_libyaml__", False))


def _prescan(text: str) -> None:
    depth = 0
    for event in yaml.parse(text, Loader=yaml.CSafeLoader):
        if isinstance(event, yaml.AliasEvent):
            raise _Problem("RC103", "aliases (*name) are not allowed in riskcheck files", event.start_mark)
        if getattr(event, "anchor", None):
            raise _Problem("RC103", "anchors (&name) are not allowed in riskcheck files", event.start_mark)
        # Counted as the pure-Python composer counts: every node, a scalar one level below its collection.
        if isinstance(event, yaml.CollectionStartEvent | yaml.ScalarEvent) and depth + 1 > MAX_DEPTH:
            raise _Problem("RC105", f"nesting deeper than {MAX_DEPTH} levels", event.start_mark)
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _pos(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1)


def _build(loader: _StrictLoader, node: Node, path: PathKey, doc: Document) -> Any:
    if isinstance(node, ScalarNode):
        if node.tag not in _SCALAR_TAGS:
            raise _Problem("RC104", f"tag {node.tag!r} is not allowed", node.start_mark)
        doc.positions.setdefault(path, _pos(node.start_mark))
        return loader.construct_object(node, deep=True)
    if isinstance(node, SequenceNode):
        if node.tag != _STD + "seq":
            raise _Problem("RC104", f"tag {node.tag!r} is not allowed", node.start_mark)
        doc.positions.setdefault(path, _pos(node.start_mark))
        return [_build(loader, item, (*path, i), doc) for i, item in enumerate(node.value)]
    if isinstance(node, MappingNode):
        if node.tag != _STD + "map":
            raise _Problem("RC104", f"tag {node.tag!r} is not allowed", node.start_mark)
        doc.positions.setdefault(path, _pos(node.start_mark))
        out: dict[Any, Any] = {}
        first_seen: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag not in _SCALAR_TAGS:
                raise _Problem("RC104", "mapping keys must be plain scalars", key_node.start_mark)
            if key_node.tag == _STD + "merge" or key_node.value == "<<":
                raise _Problem("RC103", "merge keys (<<) are not allowed", key_node.start_mark)
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | bool) or key is None:
                raise _Problem("RC104", "mapping keys must be strings or numbers", key_node.start_mark)
            if key in first_seen:
                line = first_seen[key].line + 1
                raise _Problem(
                    "RC102",
                    f"duplicate key {key!r} (first defined on line {line})",
                    key_node.start_mark,
                )
            first_seen[key] = key_node.start_mark
            # Errors about a key point at the key, not at the (possibly multi-line) value below it.
            child = (*path, key)
            if isinstance(value_node, ScalarNode):
                doc.positions[child] = _pos(value_node.start_mark)
            else:
                doc.positions[child] = _pos(key_node.start_mark)
            out[key] = _build(loader, value_node, child, doc)
        return out
    raise _Problem("RC104", "unsupported YAML node", node.start_mark)  # pragma: no cover


def parse_text(text: str, path: str) -> Document:
    """Parse one YAML document; raise InputError with a located RC1xx diagnostic on failure."""
    doc = Document(path=path, data=None, text=text)
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise InputError(
            [Diagnostic(Location(path, 1, 1), "RC105", f"file is larger than {MAX_BYTES} bytes")]
        )
    loader: Any = None
    # The cyclic garbage collector rescans the growing node tree again and again while it is built:
    # that made a 1 MiB file take 4 s instead of 1 (quadratic). The tree has no cycles to collect,
    # so collection waits until the document is built.
    collecting = gc.isenabled()
    gc.disable()
    try:
        if _LIBYAML:
            _prescan(text)  # refuses aliases, anchors and over-deep nesting before anything is composed
            loader = yaml.CSafeLoader(text)
        else:
            loader = _StrictLoader(text)
        node = loader.get_single_node()
        if node is None:
            raise InputError(
                [Diagnostic(Location(path, 1, 1), "RC107", "the file is empty; expected a YAML mapping")]
            )
        doc.data = _build(loader, node, (), doc)
    except _Problem as p:
        line, col = _pos(p.mark)
        raise InputError([Diagnostic(Location(path, line, col), p.code, p.message)]) from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line, col = _pos(mark) if mark else (1, 1)
        msg = " ".join(str(x) for x in (e.context, e.problem) if x) or "invalid YAML"
        raise InputError([Diagnostic(Location(path, line, col), "RC101", f"YAML syntax: {msg}")]) from None
    except yaml.reader.ReaderError as e:  # control characters: located by character offset
        line = text.count("\n", 0, e.position) + 1
        col = e.position - (text.rfind("\n", 0, e.position) + 1) + 1
        msg = f"YAML: character {e.character:#06x} is not allowed ({e.reason})"
        raise InputError([Diagnostic(Location(path, line, col), "RC101", msg)]) from None
    except yaml.YAMLError as e:
        raise InputError([Diagnostic(Location(path, 1, 1), "RC101", f"YAML: {e}")]) from None
    except (ValueError, OverflowError, RecursionError) as e:  # e.g. an impossible date 2014-02-30
        raise InputError([Diagnostic(Location(path, 1, 1), "RC101", f"YAML value: {e}")]) from None
    finally:
        if loader is not None:
            loader.dispose()
        if collecting:
            gc.enable()
    if not isinstance(doc.data, dict):
        raise InputError(
            [Diagnostic(Location(path, 1, 1), "RC107", "expected a YAML mapping at the top of the file")]
        )
    return doc


def read_document(path: Path) -> Document:
    """Read and parse a file; unreadable, oversized, special (FIFO, device) or non-UTF-8 files are
    located errors, found without reading more than ``MAX_BYTES`` + 1 bytes."""
    shown = display_path(path)
    raw = read_bytes(path, MAX_BYTES, shown=shown)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        col = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
        raise InputError([Diagnostic(Location(shown, line, col), "RC106", "not valid UTF-8 text")]) from None
    return parse_text(text, shown)
