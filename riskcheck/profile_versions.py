"""Every change to a profile file kept as a version: who, when, why, what changed, and the text.

Storage: an append-only JSON-lines log beside the profiles, ``<folder>/.versions/<file>.jsonl``,
one entry per version, each holding the full text of the profile as it became, its sha256, the
indicators changed (before and after) and ``hash``: the sha256 of the entry and of the previous
entry's hash, so that an edited or removed entry breaks the chain (``read_log`` refuses it, RC610).
Why a file and not the history database: a profile is a file reviewers diff and carry between
machines; its history travels with it (copy the folder, the versions come along), needs no
database to assess offline, and does not depend on the history database's chains, which are
being merged into one ledger on another branch.

The file stays the truth for today: assessments read it as it is, and record its sha256. A change
made in an editor outside riskcheck is noticed at the next write and recorded first as a version
of its own (``kind: outside``, who unknown, dated by the file's modification time), so the log
never hides a change. The first time riskcheck writes a profile it had no log for, the file as it
was is recorded (``kind: baseline``) and counts as in force since the beginning: it is all that is
known of the profile's past.

``text_as_of(path, day)`` gives the version in force at the end of that day (UTC), for
``riskcheck assess --as-of``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .atomic import write_text_atomic
from .errors import Diagnostic, InputError, Location, display_path

FOLDER = ".versions"
GENESIS = "0" * 64
KINDS = ("baseline", "outside", "import", "edit")


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def log_path(profile: Path) -> Path:
    return profile.parent / FOLDER / f"{profile.name}.jsonl"


@dataclass(frozen=True)
class Version:
    n: int
    at: str  # UTC, ISO 8601 with Z
    by: str
    why: str
    kind: str
    sha256: str
    previous_sha256: str | None
    changes: list[dict[str, Any]]
    text: str
    prev: str = GENESIS
    hash: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def when(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.at.replace("Z", "+00:00"))

    def content(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("hash")
        return d

    def expected_hash(self) -> str:
        text = json.dumps(self.content(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256((self.prev + "\n" + text).encode("utf-8")).hexdigest()


def read_log(profile: Path) -> list[Version]:
    """The versions of a profile, oldest first (empty when none were recorded); a log whose chain
    is broken is an error naming the first bad line."""
    path = log_path(profile)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    shown = display_path(path)
    out: list[Version] = []
    prev = GENESIS
    for i, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            v = Version(**json.loads(line))
        except (ValueError, TypeError) as e:
            raise InputError(
                [Diagnostic(Location(shown, i, 1), "RC610", f"not a version entry: {e}")]
            ) from None
        if v.prev != prev or v.hash != v.expected_hash() or v.sha256 != sha256_text(v.text):
            raise InputError(
                [
                    Diagnostic(
                        Location(shown, i, 1),
                        "RC610",
                        f"version {v.n} was changed or an earlier one removed: the log's hash chain is broken",
                    )
                ]
            )
        out.append(v)
        prev = v.hash
    return out


def text_as_of(profile: Path, day: dt.date) -> tuple[str, Version] | None:
    """The profile's text in force at the end of ``day`` (UTC), with its version; None when riskcheck
    keeps no versions of it (the file is all there is). A profile whose first version came later
    did not exist on that day: an error (RC403), not today's evidence passed off as that day's."""
    versions = read_log(profile)
    if not versions:
        return None
    end = dt.datetime.combine(day, dt.time.max, tzinfo=dt.UTC)
    found = None
    for v in versions:
        if v.kind == "baseline" or v.when <= end:
            found = v
    if found is None:
        raise InputError(
            [
                Diagnostic(
                    Location(display_path(profile)),
                    "RC403",
                    f"the profile has no version in force on {day}: its first was recorded on "
                    f"{versions[0].at[:10]} (assess as of a later date, or without --as-of)",
                )
            ]
        )
    return found.text, found


@contextlib.contextmanager
def _locked(profile: Path) -> Iterator[None]:
    """One writer per profile folder at a time (several officers may import into one folder)."""
    folder = profile.parent / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    lock = folder / ".lock"
    with open(lock, "a+") as fh:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: no lock between processes
            yield
            return
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _now(now: dt.datetime | None) -> str:
    t = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    return t.isoformat().replace("+00:00", "Z")


def _append(path: Path, versions: list[Version], entry: dict[str, Any]) -> Version:
    prev = versions[-1].hash if versions else GENESIS
    v = Version(n=len(versions) + 1, prev=prev, **entry)
    v = Version(**{**asdict(v), "hash": v.expected_hash()})
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(asdict(v), ensure_ascii=False, sort_keys=True) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    versions.append(v)
    return v


def commit(
    profile: Path,
    new_text: str,
    *,
    by: str,
    why: str,
    kind: str,
    changes: list[dict[str, Any]],
    expected_sha256: str | None,
    now: dt.datetime | None = None,
    meta: dict[str, Any] | None = None,
) -> Version:
    """Write ``new_text`` to the profile and record it as a version.

    ``expected_sha256`` is the sha256 of the text the change was computed from (None: a new file);
    if the file changed since, nothing is written (another writer came first). The previous state
    is recorded first when the log does not know it (``baseline``, ``outside``). If the log cannot
    be written, the file is put back.
    """
    assert kind in KINDS
    changes = json.loads(json.dumps(changes, default=str))  # dates as ISO text, as in the YAML
    with _locked(profile):
        versions = read_log(profile)
        path = log_path(profile)
        try:
            old_text: str | None = profile.read_text(encoding="utf-8")
        except FileNotFoundError:
            old_text = None
        old_sha = sha256_text(old_text) if old_text is not None else None
        if old_sha != expected_sha256:
            raise InputError(
                [
                    Diagnostic(
                        Location(display_path(profile)),
                        "RC611",
                        "the profile changed while the import ran: run it again",
                    )
                ]
            )
        if old_text is not None and (not versions or versions[-1].sha256 != old_sha):
            first = not versions
            mtime = dt.datetime.fromtimestamp(profile.stat().st_mtime, dt.UTC)
            if versions:
                mtime = max(mtime, versions[-1].when)
            _append(
                path,
                versions,
                {
                    "at": _now(None if first else mtime),
                    "by": "unknown",
                    "why": "the file as found when riskcheck began keeping its versions"
                    if first
                    else "changed outside riskcheck (found at the next write)",
                    "kind": "baseline" if first else "outside",
                    "sha256": old_sha,
                    "previous_sha256": versions[-1].sha256 if versions else None,
                    "changes": [],
                    "text": old_text,
                    "meta": {},
                },
            )
        write_text_atomic(profile, new_text)
        try:
            return _append(
                path,
                versions,
                {
                    "at": _now(now),
                    "by": by,
                    "why": why,
                    "kind": kind,
                    "sha256": sha256_text(new_text),
                    "previous_sha256": old_sha,
                    "changes": changes,
                    "text": new_text,
                    "meta": meta or {},
                },
            )
        except BaseException:
            if old_text is None:
                profile.unlink(missing_ok=True)
            else:
                write_text_atomic(profile, old_text)
            raise
