"""Editing a rule file safely: confine the name, check the text, preview its impact, save atomically.

The app's Rules page is a thin front end over these functions (no Streamlit here):

- :func:`resolve_rule_file` turns a file name into a path *directly inside* the rules folder
  (``riskcheck.paths.rules_dir()``); ``../x``, absolute paths, hidden names, other suffixes and
  symbolic links are refused, so nothing outside that folder is read or written through the app.
- :func:`check_text` validates edited text with the same loader and checks as ``riskcheck check``
  (every problem, located at ``file:line:col``).
- :func:`impact` is the replay of ``riskcheck diff``: the semantic diff of the file on disk and the
  edited text, and every scenario whose decision or refusal codes change, with why.
- :func:`save` writes only valid text, only if the file is still the one the edit started from
  (its sha256; otherwise :class:`Conflict`, and nothing is written), keeps the previous text in
  ``<rules>/.versions/<name>.<UTC time>.<sha256 prefix>.bak``, replaces the file atomically
  (``write_text_atomic``) and records who, when, why and both hashes in the history database.
  If the record cannot be written the file is put back, so the file and the log never disagree.
  Saves of one folder are serialised by a lock file (``.versions/.lock``) across threads and
  processes. ``.versions`` keeps the newest 20 copies per file (``RISKCHECK_KEEP_VERSIONS``).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import os
import re
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .atomic import write_text_atomic
from .diff import DiffReport, diff
from .errors import Busy, Conflict, Diagnostic, InputError, PathRefused, UsageError
from .history import History, RuleEdit
from .loader import LoadedRules, validate_rules_document
from .paths import PACKAGE, rules_dir, scenario_files, scenarios_dir
from .safe_read import read_bytes
from .spreadsheet import safe_value as spreadsheet_safe
from .yamlfile import MAX_BYTES, parse_text

VERSIONS = ".versions"
LOCK_NAME = ".lock"
LOCK_WAIT_S = 10.0
DEFAULT_KEEP_VERSIONS = 20
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}\.yaml$")
_THREAD_LOCK = threading.Lock()  # flock is per open file; this also orders threads cheaply


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def folder_of(folder: Path | None = None) -> Path:
    return (folder or rules_dir()).resolve()


def folder_problem(folder: Path | None = None) -> str | None:
    """Why rule files cannot be saved into this folder, or None. The copy packaged inside an
    installed riskcheck is never written to: edits belong in a folder named by RISKCHECK_HOME."""
    base = folder_of(folder)
    if base.is_relative_to(PACKAGE):
        return (
            f"the rules folder {base} is the copy installed with riskcheck; set RISKCHECK_HOME to a folder "
            "with your own rules/ and scenarios/ to edit rules"
        )
    if not os.access(base, os.W_OK):
        return f"the rules folder {base} is not writable by this process"
    return None


def resolve_rule_file(name: str, folder: Path | None = None, *, must_exist: bool = True) -> Path:
    """The path of rule file ``name`` directly inside the rules folder, or :class:`PathRefused`."""
    base = folder_of(folder)
    shown = name if isinstance(name, str) else repr(name)
    if not isinstance(name, str) or not _NAME.fullmatch(name) or ".." in name:
        raise PathRefused(
            f"{shown!r} is not a rule file name: use letters, digits, '.', '_' or '-', ending in .yaml, "
            "with no folder"
        )
    candidate = base / name
    if candidate.is_symlink():
        raise PathRefused(f"{name!r} is a symbolic link; only plain files in the rules folder can be edited")
    resolved = candidate.resolve()
    if resolved.parent != base:
        raise PathRefused(f"{name!r} is outside the rules folder")
    if must_exist and not resolved.is_file():
        raise PathRefused(f"{name!r} is not a file in the rules folder {base}")
    return resolved


def rule_file_names(folder: Path | None = None) -> list[str]:
    """The rule files of the folder (``*.yaml`` directly inside it; no links, no hidden files)."""
    base = folder_of(folder)
    out = []
    for p in sorted(base.glob("*.yaml")):
        with contextlib.suppress(PathRefused):
            out.append(resolve_rule_file(p.name, base).name)
    return out


def read_current(path: Path) -> str | None:
    """The file's text exactly as stored (no newline translation), or None when it does not exist."""
    if not os.path.lexists(path):
        return None
    return read_bytes(path, MAX_BYTES, shown=path.name).decode("utf-8", errors="replace")


# --- checking ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    """Edited text, checked: ``loaded`` when valid; ``problems`` are errors and lint warnings, sorted."""

    text: str
    sha256: str
    loaded: LoadedRules | None
    problems: tuple[Diagnostic, ...]

    @property
    def ok(self) -> bool:
        return self.loaded is not None

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.problems if d.severity == "error")

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.problems if d.severity != "error")


def check_text(text: str, path: Path, shown: str | None = None) -> Checked:
    """Validate ``text`` as the rule file at ``path`` (reference data is looked up beside it)."""
    label = shown or f"rules/{path.name}"
    try:
        loaded = validate_rules_document(parse_text(text, label), path.parent)
    except InputError as e:
        return Checked(text, sha256_text(text), None, tuple(e.diagnostics))
    return Checked(text, sha256_text(text), loaded, tuple(sorted(loaded.warnings)))


def excerpt(text: str, line: int, around: int = 2) -> str:
    """The lines around ``line`` (1-based), numbered, the line itself marked with '>'."""
    lines = text.splitlines()
    if not lines:
        return ""
    line = min(max(line, 1), len(lines))
    lo, hi = max(1, line - around), min(len(lines), line + around)
    width = len(str(hi))
    return "\n".join(f"{'>' if n == line else ' '} {n:>{width}} | {lines[n - 1]}" for n in range(lo, hi + 1))


def impact(old: LoadedRules, new: LoadedRules, scenarios: Sequence[Path] | None = None) -> DiffReport:
    """What the edit changes: the semantic diff, and every scenario whose outcome changes and why."""
    return diff(old, new, scenario_files(list(scenarios) if scenarios is not None else [scenarios_dir()]))


# --- saving -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Saved:
    path: Path
    sha256_before: str | None
    sha256_after: str
    previous_copy: Path | None
    edit: RuleEdit
    warnings: tuple[str, ...] = ()  # what went wrong after the save (it stands): old copies not pruned


@contextlib.contextmanager
def folder_lock(folder: Path, wait_s: float = LOCK_WAIT_S) -> Iterator[None]:
    """Serialise saves into ``folder`` across threads and processes (bounded wait)."""
    if not _THREAD_LOCK.acquire(timeout=wait_s):
        raise Busy("another save is still running; try again")
    try:
        versions = folder / VERSIONS
        versions.mkdir(exist_ok=True)
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not on POSIX: the thread lock is all there is
            yield
            return
        with (versions / LOCK_NAME).open("a") as fh:
            deadline = time.monotonic() + wait_s
            while True:
                try:
                    fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise Busy("another save is still running; try again") from None
                    time.sleep(0.02)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    finally:
        _THREAD_LOCK.release()


def _version_of(text: str | None, path: Path) -> str | None:
    if text is None:
        return None
    try:
        data = parse_text(text, path.name).data
    except InputError:
        return None
    version = data.get("version") if isinstance(data, dict) else None
    return None if version is None else str(version)[:40]


def keep_previous(folder: Path, name: str, text: str, sha: str, now: dt.datetime) -> Path:
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    copy = folder / VERSIONS / f"{name}.{stamp}.{sha[:12]}.bak"
    write_text_atomic(copy, text)
    return copy


def kept_versions() -> int:
    """How many previous copies of each rule file ``.versions`` keeps (``RISKCHECK_KEEP_VERSIONS``,
    default 20; 0 keeps every copy). Pruning loses no text: every edit's record in the history
    database holds the text before and after it."""
    raw = os.environ.get("RISKCHECK_KEEP_VERSIONS", "").strip()
    if not raw:
        return DEFAULT_KEEP_VERSIONS
    try:
        keep = int(raw)
    except ValueError:
        raise UsageError(
            f"RISKCHECK_KEEP_VERSIONS={raw!r}: expected a whole number (0 keeps every copy)"
        ) from None
    if keep < 0:
        raise UsageError(f"RISKCHECK_KEEP_VERSIONS={raw!r}: expected 0 or more")
    return keep


def prune_versions(folder: Path, name: str, keep: int) -> list[Path]:
    """Remove all but the newest ``keep`` copies of rule file ``name`` (0: remove none); returns
    what was removed. Only files named as :func:`keep_previous` names them are touched."""
    if keep <= 0:
        return []
    pattern = re.compile(re.escape(name) + r"\.\d{8}T\d{6}\.\d{6}Z\.[0-9a-f]{12}\.bak")
    copies = sorted(p for p in (folder / VERSIONS).iterdir() if pattern.fullmatch(p.name))
    removed = copies[:-keep]  # the UTC stamp in the name sorts them oldest first
    for old in removed:
        old.unlink(missing_ok=True)
    return removed


def save(
    name: str,
    text: str,
    *,
    base_sha256: str | None,
    user: str,
    auth: str,
    reason: str,
    history: History,
    folder: Path | None = None,
    origin: str = "app",
    now: dt.datetime | None = None,
) -> Saved:
    """Save ``text`` as rule file ``name`` if it is valid and the file still has ``base_sha256``
    (None: the file must not exist yet). Raises PathRefused, InputError, Conflict, UsageError, Busy;
    in each case the file is left as it was."""
    base = folder_of(folder)
    path = resolve_rule_file(name, base, must_exist=base_sha256 is not None)
    problem = folder_problem(base)
    if problem:
        raise UsageError(problem)
    if not user.strip():
        raise UsageError("a rule edit needs a user to record")
    if not reason.strip():
        raise UsageError("say why you make this change: it is recorded with the edit")
    keep = kept_versions()  # a bad setting is refused before anything is written
    checked = check_text(text, path)
    if not checked.ok:
        raise InputError(list(checked.errors))
    assert checked.loaded is not None
    with folder_lock(base):
        current = read_current(path)
        current_sha = None if current is None else sha256_text(current)
        if current_sha != base_sha256:
            raise Conflict(name, base_sha256, current_sha)
        if current == text:
            raise UsageError(f"{name} already has this text: nothing to save")
        when = now or dt.datetime.now(dt.UTC)
        copy = None
        if current is not None and current_sha is not None:
            copy = keep_previous(base, path.name, current, current_sha, when)
        write_text_atomic(path, text)
        try:
            edit = history.record_rule_edit(
                user=user.strip(),
                auth=auth,
                reason=reason.strip(),
                rule_file=path.name,
                rule_set_id=checked.loaded.model.id,
                version_before=_version_of(current, path),
                version_after=checked.loaded.model.version,
                sha256_before=current_sha,
                sha256_after=checked.sha256,
                text_before=current,
                text_after=text,
                previous_copy=str(copy.relative_to(base)) if copy else None,
                origin=origin,
                now=when,
            )
        except BaseException:
            if current is None:  # put the folder back as it was: the log and the files must agree
                path.unlink(missing_ok=True)
            else:
                write_text_atomic(path, current)
            raise
        warnings: tuple[str, ...] = ()
        try:
            prune_versions(base, path.name, keep)
        except OSError as e:  # the file is saved and recorded: say so, never report it as not saved
            warnings = (f"older copies in {VERSIONS} could not be pruned: {e.strerror or e}",)
    return Saved(path, current_sha, checked.sha256, copy, edit, warnings)


# --- exports ----------------------------------------------------------------------------------

EDIT_COLUMNS = (
    "id",
    "created_at",
    "user",
    "auth",
    "reason",
    "rule_file",
    "rule_set_id",
    "version_before",
    "version_after",
    "sha256_before",
    "sha256_after",
    "previous_copy",
)


def edits_csv(edits: Sequence[RuleEdit]) -> str:
    """The edit log as CSV for a spreadsheet, every text cell neutralised."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(EDIT_COLUMNS)
    for e in edits:
        row = [getattr(e, c) for c in EDIT_COLUMNS]
        row[1] = e.created_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        w.writerow([spreadsheet_safe(x) if x is not None else "" for x in row])
    return out.getvalue()
