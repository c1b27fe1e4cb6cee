"""Diagnostics and the exception tree.

Every problem riskcheck finds in a file is a :class:`Diagnostic` with a location,
a stable code and one line of message. Codes are grouped by the stage that finds
them::

    RC1xx  reading YAML          (syntax, duplicate keys, aliases, tags, size, depth)
    RC2xx  schema                (unknown keys, missing keys, wrong types or values)
    RC3xx  semantic checks       (ids, references, thresholds, bands, citations ...)
    RC4xx  scenarios             (profiles, expectations)

Exceptions (every one riskcheck raises on purpose is a ``RiskcheckError``)::

    RiskcheckError                 exit_code 1
    ├── InputError                 carries a sorted list of Diagnostics (bad files)
    ├── UsageError                 exit_code 2 (the command line was wrong)
    │   └── PathRefused            a rule file name outside the rules folder (rule edits)
    ├── Conflict                   a rule file changed since the edit started (nothing written)
    ├── Busy                       another save of the same rules folder did not finish in time
    ├── WriteBusy                  the history database stayed locked past the bounded wait
    ├── AnchorError                an anchor file of chain heads that cannot be read as one
    ├── PathOutside                a path written in a file leads out of the folder it must stay in
    ├── RowNotScored               a batch application asked for has invalid values
    └── ExerciseError              a training action the exercise's state does not allow

Domain code raises these; only the front ends (CLI, app) turn them into exit codes and text.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True, order=True, slots=True)
class Location:
    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.path}:{self.line}:{self.col}"
        return self.path


@dataclass(frozen=True, order=True, slots=True)
class Diagnostic:
    location: Location
    code: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        return one_line(f"{self.location}: {self.severity} {self.code}: {self.message}")

    def as_dict(self) -> dict[str, object]:
        return {
            "path": self.location.path,
            "line": self.location.line,
            "col": self.location.col,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
        }


def one_line(text: str) -> str:
    """Escape anything that is not printable (newlines, U+0085, U+2028, control characters) so a
    diagnostic can never span two lines or hide text, whatever the input file contained."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)


class RiskcheckError(Exception):
    exit_code = 1


class InputError(RiskcheckError):
    """One or more files are invalid; every problem found is in ``diagnostics``."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = sorted(set(diagnostics))
        super().__init__("\n".join(str(d) for d in self.diagnostics))


class UsageError(RiskcheckError):
    exit_code = 2


class PathRefused(UsageError):
    """A file name that does not name a rule file directly inside the rules folder."""


class Conflict(RiskcheckError):
    """The file changed since the edit started: saving would lose someone else's change."""

    def __init__(self, name: str, base_sha256: str | None, current_sha256: str | None):
        self.name, self.base_sha256, self.current_sha256 = name, base_sha256, current_sha256
        now = "no longer exists" if current_sha256 is None else f"is now {current_sha256[:12]}"
        if base_sha256 is None:
            msg = f"{name} was created by someone else meanwhile (sha256 {str(current_sha256)[:12]})"
        else:
            msg = f"{name} changed since your edit started from sha256 {base_sha256[:12]}: it {now}"
        super().__init__(msg)


class Busy(RiskcheckError):
    """Another save of the same folder did not finish in time."""


class WriteBusy(RiskcheckError):
    """Another writer in this process held the database past the wait (like SQLite's 'locked')."""


class AnchorError(RiskcheckError):
    """An anchor file that cannot be read as one (the message says why)."""


class PathOutside(RiskcheckError):
    """A path written in a file leads outside the folder it must stay in, or cannot be followed
    (the message says why)."""


class RowNotScored(RiskcheckError):
    """The application asked for has invalid values."""


class ExerciseError(RiskcheckError):
    """An action the exercise's state does not allow (the message says why, in words)."""


def suggest(word: Any, choices: Any) -> str:
    """' (did you mean 'x'?)' or '': the suggestion every diagnostic about an unknown name carries."""
    # the word itself is never a suggestion: a key known in another kind of file is unknown here
    others = [str(c) for c in choices if str(c) != str(word)]
    match = difflib.get_close_matches(str(word), others, n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


def display_path(path: Path | str) -> str:
    """A path relative to the working directory when it lies below it (shorter messages)."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, RuntimeError, OSError):  # RuntimeError: a symbolic-link loop (Python 3.11)
        return str(p)
