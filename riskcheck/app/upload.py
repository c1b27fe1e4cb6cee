"""A scenario file brought by the user: size-capped, strictly read, validated, never stored.

``read_upload`` turns the uploaded bytes into either a form document (the same one opening a
bundled scenario gives) or a list of located messages (``name.yaml:12:5: error RC102: ...``).
It has no streamlit in it, so every refusal is tested directly; the sidebar only calls it.

The upload is checked in the order that bounds the work done on hostile input: its length
before anything is decoded, UTF-8 before YAML, the strict YAML reader (no aliases, anchors,
tags, duplicate keys or deep nesting) before the schema, and the profile path before the loader
opens it. Reading an upload writes nothing: the bytes and the document live in the session. (The
assessment made from it is then recorded in the history like any other, with the file's name.)
"""

from __future__ import annotations

import copy
import logging
import math
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from ..errors import Diagnostic, InputError, Location, one_line
from ..loader import scenario_from_document
from ..paths import rules_dir, rules_file_for, scenarios_dir
from ..yamlfile import MAX_BYTES, Document, parse_text
from . import catalog, forms

log = logging.getLogger(__name__)

MIB = 1024 * 1024
# For st.file_uploader(max_upload_size=...): whole megabytes, which Streamlit's server counts as
# 1024 * 1024 bytes. Rounded up so that the app's own check below, not the widget, has the last word.
MAX_UPLOAD_MB = max(1, math.ceil(MAX_BYTES / MIB))
FALLBACK_NAME = "uploaded.yaml"


@dataclass(frozen=True)
class Upload:
    """What became of one uploaded file: a form document, or why there is none."""

    name: str  # as shown in messages: the file's base name, printable
    data: dict[str, Any] | None
    errors: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.data is not None


def read_upload(name: str, raw: bytes, root: Path | None = None) -> Upload:
    """The uploaded scenario as a form document, or located messages; profiles come from ``root``
    (the bundled scenarios folder unless a test says otherwise), never from a path the file chose."""
    shown = display_name(name)
    base = (root or scenarios_dir()).resolve()
    try:
        return Upload(shown, _form_document(shown, raw, base))
    except InputError as e:
        return Upload(shown, None, tuple(str(d) for d in e.diagnostics))
    except Exception:  # a file nobody foresaw is a message, never a traceback; the bug is logged for us
        log.exception("uploaded scenario %s could not be read", shown)
        return Upload(shown, None, (f"{shown}: error: the file could not be read (an error in riskcheck)",))


def display_name(name: str) -> str:
    """The base name only: the browser sends whatever name it likes, and it ends up in messages."""
    base = re.split(r"[\\/]", str(name))[-1].strip()
    return one_line(base)[:120] or FALLBACK_NAME


def size_text(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    unit, scale = ("KiB", 1024) if n < MIB else ("MiB", MIB)
    return f"{n / scale:.1f}".removesuffix(".0") + f" {unit}"


def _form_document(shown: str, raw: bytes, base: Path) -> dict[str, Any]:
    _check_size(shown, raw)
    doc = parse_text(_decode(shown, raw), shown)
    _check_profile_path(doc, base)
    scenario = scenario_from_document(doc, base)
    _check_rule_set(doc, scenario.model.rules)
    data = catalog.form_document(copy.deepcopy(doc.data))
    # The form re-validates its document on every run: refuse here what it would refuse there,
    # so that a refused upload never replaces the case being worked on.
    built = forms.build(data, str(base), path=shown)
    if not built.ok:
        raise InputError(
            [Diagnostic(Location(shown), "RC107", msg) for msgs in built.errors.values() for msg in msgs]
        )
    return data


def _check_size(shown: str, raw: bytes) -> None:
    # Checked here as well as by Streamlit: its per-widget cap is enforced by the browser only.
    if len(raw) > MAX_BYTES:
        msg = f"the file is {size_text(len(raw))} ({len(raw):,} bytes); the limit is {size_text(MAX_BYTES)}"
        raise InputError([Diagnostic(Location(shown), "RC105", msg)])


def _decode(shown: str, raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        col = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
        raise InputError([Diagnostic(Location(shown, line, col), "RC106", "not valid UTF-8 text")]) from None


def _check_profile_path(doc: Document, base: Path) -> None:
    """The loader follows a profile path wherever it leads (``..``, absolute paths, links), which
    is right for files on the officer's own disk but would let an upload read the server's."""
    evidence = doc.data.get("evidence")
    rel = evidence.get("profile") if isinstance(evidence, dict) else None
    if not isinstance(rel, str):
        return  # no profile, or a wrong type the schema reports
    problem = _profile_path_problem(rel, base)
    if problem:
        where = doc.locate(("evidence", "profile"))
        msg = f"profile {rel!r}: {problem}; name a file in the bundled scenarios folder, e.g. profiles/x.yaml"
        raise InputError([Diagnostic(where, "RC401", msg)])


def _profile_path_problem(rel: str, base: Path) -> str | None:
    if any(unicodedata.category(ch) == "Cc" for ch in rel):
        return "control characters are not allowed in a path"
    if PurePosixPath(rel).is_absolute() or PureWindowsPath(rel).is_absolute() or PureWindowsPath(rel).drive:
        return "an absolute path is not allowed in an uploaded scenario"
    if ".." in re.split(r"[\\/]", rel):
        return "'..' is not allowed in an uploaded scenario"
    if not (base / rel).resolve().is_relative_to(base):
        return "it leads out of the bundled scenarios folder (a symbolic link)"
    return None


def _check_rule_set(doc: Document, rule_set_id: str) -> None:
    # The id's pattern (no '/', no leading '.') keeps it inside the rules folder; a rule set that is
    # not installed would load a case that cannot be assessed.
    path = rules_file_for(rule_set_id)
    if not path.is_file():
        installed = ", ".join(sorted(p.stem for p in rules_dir().glob("*.yaml")))
        msg = f"rule set {rule_set_id!r} is not installed here; installed: {installed}"
        raise InputError([Diagnostic(doc.locate(("rules",)), "RC106", msg)])
