"""What every register reader shares: the chunk it yields, and opening only regular files.

Only regular files are read: a FIFO, a device (``/dev/zero``) or a socket is refused before a
byte is read (opened without blocking, checked with fstat). The shared helper the hostile-input
work adds for every input will do the same for rule files and scenarios; until the branches meet,
the register has this one.
"""

from __future__ import annotations

import os
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa

from ..errors import Diagnostic, InputError, Location, display_path
from .columns import RegisterProblem


@dataclass
class RawChunk:
    """A slice of the register as read: raw columns by name, and each row's number."""

    columns: dict[str, pa.Array]
    rows: np.ndarray  # int64 spreadsheet row numbers
    skipped: list[RegisterProblem]  # records that could not be read (not in this chunk)
    cell_problems: list[RegisterProblem] = field(default_factory=list)  # on rows of this chunk
    blank: int = 0  # blank records passed over (counted in the row numbers)
    position: int | None = None  # bytes of the file read so far (CSV), for the progress bar
    cells: dict[str, Any] = field(default_factory=dict)  # each column read (see register.read_cells)


class _NoPandas:
    """An import hook that finds no pandas (see ``arrow_without_pandas``)."""

    def find_spec(self, name: str, path: Any, target: Any = None) -> None:
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError("the batch path does not use pandas")


def arrow_without_pandas() -> None:
    """pyarrow imports pandas (0.5-0.8 s) the first time it builds an array, to recognise pandas
    objects among its inputs; the batch path never hands it one. Let that one look find no pandas.
    Nothing changes once pandas is loaded, and a later ``import pandas`` works as usual."""
    if "pandas" in sys.modules:
        return
    hook = _NoPandas()
    sys.meta_path.insert(0, hook)  # type: ignore[arg-type]
    try:
        pa.array([0])
    finally:
        sys.meta_path.remove(hook)  # type: ignore[arg-type]


def file_error(path: Path, message: str, row: int = 0, code: str = "RC604") -> InputError:
    """A problem with the file, at a row where one is known (``register.csv:17:1``)."""
    return InputError([Diagnostic(Location(display_path(path), row, 1 if row else 0), code, message)])


def open_regular(path: Path) -> IO[bytes]:
    """The file opened for reading, if it is a regular file. Opening does not block on a FIFO
    (O_NONBLOCK), and nothing is read from anything else."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as e:
        raise file_error(path, f"cannot read: {e.strerror}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = (
            "a FIFO"
            if stat.S_ISFIFO(mode)
            else "a device"
            if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a socket"
            if stat.S_ISSOCK(mode)
            else "not a file"
        )
        raise file_error(path, f"not a regular file ({kind}): a register must be a file", code="RC606")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def check_regular(path: Path) -> None:
    open_regular(path).close()
