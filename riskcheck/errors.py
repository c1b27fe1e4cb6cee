"""Diagnostics and the exception tree.

Every problem riskcheck finds in a file is a :class:`Diagnostic` with a location,
a stable code and one line of message. Codes are grouped by the stage that finds
them::

    RC1xx  reading YAML          (syntax, duplicate keys, aliases, tags, size, depth)
    RC2xx  schema                (unknown keys, missing keys, wrong types or values)
    RC3xx  semantic checks       (ids, references, thresholds, bands, citations ...)
    RC4xx  scenarios             (profiles, expectations)

Exceptions::

    RiskcheckError                 exit_code 1
    ├── InputError                 carries a sorted list of Diagnostics (bad files)
    └── UsageError                 exit_code 2 (the command line was wrong)

Domain code raises these; only the CLI turns them into exit codes and text.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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


def display_path(path: Path | str) -> str:
    """A path relative to the working directory when it lies below it (shorter messages)."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, RuntimeError, OSError):  # RuntimeError: a symbolic-link loop (Python 3.11)
        return str(p)
