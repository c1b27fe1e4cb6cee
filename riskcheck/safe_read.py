"""Reading an input file without trusting it: regular files only, a byte limit that does not
trust ``st_size``, and paths confined to a folder.

A special file passed where a file is expected is refused before it is opened: ``/dev/zero`` and
``/dev/urandom`` report a size of 0 and never end, and opening a FIFO blocks until someone writes
to it. The file is then opened with ``O_NONBLOCK`` (a FIFO swapped in after the check cannot make
the open hang) and checked again on the open descriptor, and at most ``limit + 1`` bytes are read
whatever its size claims. A symbolic-link loop is an ordinary "cannot read" problem, not a
``RuntimeError``.

:func:`confine` is for paths written inside a file (a rule set's ``reference_data``, a scenario's
profile): they may only name a file below the folder of the file that names them, so that
whoever can edit or upload that file cannot make the server read anything else.

Problems are :class:`InputError` with code RC106 (cannot read: missing, special file, link loop,
permission) or RC105 (over the limit), located at the file, as ``yamlfile.read_document`` reports
them, so that callers keep one way of turning them into messages.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import unicodedata
from pathlib import Path, PurePosixPath, PureWindowsPath

from .errors import Diagnostic, InputError, Location, PathOutside, display_path

_CHUNK = 1 << 16
_KINDS = (
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a directory"),
)


def _problem(shown: str, code: str, message: str) -> InputError:
    return InputError([Diagnostic(Location(shown), code, message)])


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _os_message(e: OSError) -> str:
    if e.errno == errno.ENOENT:
        return "file not found"
    if e.errno == errno.ELOOP:
        return "cannot read: a loop of symbolic links"
    if e.errno == errno.EISDIR:
        return "is a directory, not a file"
    return f"cannot read: {e.strerror or e}"


def regular_file_problem(path: Path) -> str | None:
    """Why ``path`` is not a readable regular file (following links), or None. Never opens it."""
    try:
        mode = os.stat(path).st_mode
    except OSError as e:
        return _os_message(e)
    except (RuntimeError, ValueError) as e:  # ValueError: a NUL in the path
        return f"cannot read: {e}"
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a directory, not a file"
    return f"is {_kind(mode)}, not a regular file: refused without reading it"


def read_bytes(path: Path | str, limit: int, *, shown: str | None = None) -> bytes:
    """The content of regular file ``path``, at most ``limit`` bytes, or :class:`InputError`."""
    p = Path(path)
    label = shown if shown is not None else display_path(p)
    problem = regular_file_problem(p)
    if problem:
        raise _problem(label, "RC106", problem)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(p, flags)
    except OSError as e:
        raise _problem(label, "RC106", _os_message(e)) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):  # swapped for something else between the check and the open
            raise _problem(
                label, "RC106", f"is {_kind(mode)}, not a regular file: refused without reading it"
            )
        parts: list[bytes] = []
        total = 0
        while total <= limit:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - total))
            if not chunk:
                break
            parts.append(chunk)
            total += len(chunk)
    except OSError as e:
        raise _problem(label, "RC106", _os_message(e)) from None
    finally:
        os.close(fd)
    if total > limit:
        raise _problem(label, "RC105", f"file is larger than {limit} bytes")
    return b"".join(parts)


def resolve(path: Path | str) -> Path:
    """``Path.resolve()`` that reports a symbolic-link loop as a located RC106 problem."""
    p = Path(path)
    try:
        return p.resolve()
    except (RuntimeError, OSError) as e:
        message = _os_message(e) if isinstance(e, OSError) else "cannot read: a loop of symbolic links"
        raise _problem(display_path(p), "RC106", message) from None


def confine(written: str, base: Path, *, absolute_ok: bool = False) -> Path:
    """The file that ``written`` (a relative path written inside a file in folder ``base``) names,
    or :class:`PathOutside` when it is absolute, climbs with ``..``, holds control characters or
    leads out of ``base`` through a symbolic link. ``absolute_ok``: for a document built by
    riskcheck itself (a register row), whose absolute path must still lie inside ``base``."""
    if any(unicodedata.category(ch) == "Cc" for ch in written):
        raise PathOutside("control characters are not allowed in a path")
    absolute = PurePosixPath(written).is_absolute() or PureWindowsPath(written).is_absolute()
    if not absolute_ok and (absolute or PureWindowsPath(written).drive):
        raise PathOutside("an absolute path is not allowed; name a file below this file's folder")
    if ".." in re.split(r"[\\/]", written):
        raise PathOutside("'..' is not allowed; name a file below this file's folder")
    try:
        root = resolve(base)
        target = resolve(root / written)
    except InputError as e:
        raise PathOutside(e.diagnostics[0].message) from None
    if not target.is_relative_to(root):
        raise PathOutside("it leads out of this file's folder (a symbolic link)")
    return target
