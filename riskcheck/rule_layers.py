"""A rule set that layers on another (``extends: baseline.yaml``): resolved into one document at load.

A national rule set is the baseline plus its own rules: it names the file it extends and adds
prohibitions, presumptions, escalations, criteria, mitigations, sources and notes. Resolving it gives
one document whose every value still points at the file and line it came from, so that a problem in
an inherited rule is reported in the base file and a problem in an added rule in the layer.

How the two files meet:
- ``id``, ``title``, ``version`` and ``description``: the layer's own (it must declare ``id`` and
  ``version``: a layer is a rule set of its own, never a silent copy of its base);
- other top-level values (``policy``, ``reference_data``, dates, the disclaimer): the layer's where
  it gives them, else the base's;
- ``sources``: the union; a key defined in both is an error (a layer cites, it does not redefine);
- rule lists: the base's elements, then the layer's; an id already in the base is an error (a layer
  adds rules, it does not replace them: a replaced prohibition would be a prohibition silently lost).

Errors (every one at the ``extends`` key or at the offending element): RC340 the base cannot be read
or is not a rule set, RC341 a cycle of ``extends``, RC342 an id or source defined twice, RC343 a layer
without its own ``id`` or ``version``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import Diagnostic, InputError, Location
from .safe_read import PathOutside, confine, resolve
from .yamlfile import Document, PathKey, read_document

LISTS = (
    "rejected_arguments",
    "not_formalised",
    "prohibitions",
    "presumptions",
    "escalations",
    "criteria",
    "mitigations",
)
OWN = ("id", "title", "version", "description")
MAX_DEPTH = 8


@dataclass
class LayeredDocument(Document):
    """A resolved layer: its data, with each inherited part located in the file it came from."""

    # (prefix in the resolved data, the document it came from, the same part's path there)
    parts: list[tuple[PathKey, Document, PathKey]] = field(default_factory=list)
    files: tuple[str, ...] = ()  # the layer first, then each base

    def locate(self, loc: PathKey) -> Location:
        probe = tuple(loc)
        best = max(
            (p for p in self.parts if probe[: len(p[0])] == p[0]), key=lambda p: len(p[0]), default=None
        )
        if best is None:
            return super().locate(probe)
        prefix, doc, there = best
        return doc.locate((*there, *probe[len(prefix) :]))


def resolve_layers(doc: Document, base_dir: Path, chain: tuple[str, ...] = ()) -> Document:
    """``doc`` with the rule set it extends folded in (recursively); ``doc`` itself if it extends none."""
    data = doc.data
    if not isinstance(data, dict) or "extends" not in data:
        return doc
    written = data["extends"]
    here = doc.locate(("extends",))
    chain = (*chain, str(resolve(base_dir / Path(doc.path).name)))
    if not isinstance(written, str) or not written:
        raise InputError([Diagnostic(here, "RC340", "extends: the path of the rule file this one layers on")])
    missing_own = [k for k in ("id", "version") if k not in data]
    if missing_own:
        raise InputError(
            [
                Diagnostic(
                    doc.locate(()),
                    "RC343",
                    f"a layer declares its own {' and '.join(missing_own)} (it is a rule set of its own)",
                )
            ]
        )
    try:
        base_path = confine(written, base_dir)
    except PathOutside as e:
        raise InputError([Diagnostic(here, "RC340", f"extends {written!r}: {e}")]) from None
    key = str(resolve(base_path))
    if key in chain or len(chain) > MAX_DEPTH:
        loop = " -> ".join(Path(p).name for p in (*chain, key))
        raise InputError([Diagnostic(here, "RC341", f"extends makes a cycle: {loop}")])
    try:
        base_doc = read_document(base_path)
    except InputError as e:
        first = e.diagnostics[0]
        if first.code == "RC106":
            raise InputError([Diagnostic(here, "RC340", f"extends {written!r}: {first.message}")]) from None
        raise
    if (
        not isinstance(base_doc.data, dict)
        or "criteria" not in base_doc.data
        and "extends" not in base_doc.data
    ):
        raise InputError([Diagnostic(here, "RC340", f"extends {written!r}: that file is not a rule set")])
    base = resolve_layers(base_doc, resolve(base_path).parent, chain)
    return _merge(doc, base)


def _merge(layer: Document, base: Document) -> LayeredDocument:
    top, low = layer.data, base.data
    merged: dict[str, Any] = {}
    parts: list[tuple[PathKey, Document, PathKey]] = []
    problems: list[Diagnostic] = []
    for k, value in low.items():
        if k in LISTS or k == "sources" or k == "extends":
            continue
        if k not in top and k not in OWN:
            merged[k] = value
            parts.append(((k,), base, (k,)))
    for k, value in top.items():
        if k not in LISTS and k != "sources":
            merged[k] = value
    sources: dict[str, Any] = {}
    for k, value in (low.get("sources") or {}).items():
        sources[k] = value
        parts.append((("sources", k), base, ("sources", k)))
    for k, value in (top.get("sources") or {}).items():
        if k in sources:
            problems.append(
                Diagnostic(
                    layer.locate(("sources", k)),
                    "RC342",
                    f"source {k!r} is already defined in {base.locate(('sources', k))}; cite it as it is",
                )
            )
            continue
        sources[k] = value
    merged["sources"] = sources
    for name in LISTS:
        inherited = list(low.get(name) or [])
        own = list(top.get(name) or [])
        if not inherited and not own:
            continue
        ids = {e["id"]: i for i, e in enumerate(inherited) if isinstance(e, dict) and "id" in e}
        for i in range(len(inherited)):
            parts.append(((name, i), base, (name, i)))
        for j, e in enumerate(own):
            parts.append(((name, len(inherited) + j), layer, (name, j)))
            if isinstance(e, dict) and e.get("id") in ids:
                there = base.locate((name, ids[e["id"]]))
                problems.append(
                    Diagnostic(
                        layer.locate((name, j, "id")),
                        "RC342",
                        f"{name[:-1] if name.endswith('s') else name} {e['id']!r} is already defined in "
                        f"{there}; a layer adds rules, it does not redefine them (give it its own id)",
                    )
                )
        merged[name] = inherited + own
    if problems:
        raise InputError(problems)
    files = (layer.path, *(base.files if isinstance(base, LayeredDocument) else (base.path,)))
    return LayeredDocument(
        path=layer.path,
        data=merged,
        text=layer.text + "\n# --- extends ---\n" + base.text,
        positions=layer.positions,
        parts=parts,
        files=files,
    )
