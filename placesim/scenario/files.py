"""Reading an input file safely: a regular file, within the size limit, UTF-8 text
without control characters.

Every input file placesim reads goes through :func:`read_text`: scenario files and the
files they ``extends``, options and calibration set-up files, observed-data CSVs. A
device (``/dev/zero``, ``/dev/urandom``), a folder, a pipe or a file larger than the limit
is refused before anything is read from it, and no more than the limit is ever read (a
file that grows while it is read is refused too). Messages never quote the file's
content.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from ..errors import Problem, ScenarioError
from .limits import MAX_FILE_MB_VARIABLE, max_file_bytes, megabytes

# What YAML 1.1 allows in a stream (PyYAML's Reader): tab, line breaks and printable
# characters. Anything else (NUL, the other C0 and C1 control characters, DEL, lone
# surrogates, U+FFFE/U+FFFF) is refused with its line.
_NOT_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

_NAMES = {0: "NUL", 0x7F: "DEL", 0x1B: "ESC", 0x08: "backspace", 0x0C: "form feed", 0x0B: "vertical tab"}


def file_problem(path: str | Path, what: str) -> ScenarioError:
    """A :class:`ScenarioError` about a whole file (no field, no line)."""
    return ScenarioError([Problem(what, "", str(path), None)])


def refer(exc: ScenarioError, name: str, what: str, at: Problem) -> ScenarioError:
    """``exc`` as problems of the file and line that named the file ``name``, when every
    problem of ``exc`` is about ``name`` as a whole (it cannot be read, is not text, is
    too large ...); else ``exc`` itself.

    Parameters
    ----------
    exc
        The error reading ``name``.
    name
        The file that was named.
    what
        How it was named, e.g. ``"extends '/dev/zero'"``; each problem becomes
        ``"<what>, which cannot be read: <problem>"``.
    at
        The file, field path and line that named it (its message is not used).
    """
    whole = [p for p in exc.problems if p.file == name and not p.path and p.line in (None, 1)]
    if len(whole) != len(exc.problems):
        return exc
    return ScenarioError([Problem(f"{what}, which cannot be read: {p.message}", at.path, at.file, at.line)
                          for p in whole], exc.subject)


def not_there(path: Path) -> str | None:
    """Why ``path`` names nothing: ``'not found'``, or why the system refuses to look it up (a
    name too long); None if it exists. A file names such paths (``extends``, ``scenario``)."""
    try:
        return None if path.exists() else "not found"
    except OSError as exc:
        return f"cannot be a file's path here ({exc.strerror or exc})"


def shown(text: str, width: int = 80) -> str:
    """``text`` cut to ``width`` characters for a message (a path a file gave may be any length)."""
    return text if len(text) <= width else text[: width - 3] + "..."


def check_file(path: Path, kind: str = "YAML file") -> os.stat_result:
    """``path``'s status, after checking that it names a regular file within the size limit.

    Raises
    ------
    ScenarioError
        Naming ``path``: it does not exist, is a folder, is not a regular file (a device,
        a pipe, a socket), cannot be read, or is larger than the limit.
    """
    try:
        st = path.stat()
    except FileNotFoundError:
        raise file_problem(path, "file not found") from None
    except PermissionError:
        raise file_problem(path, "permission denied: cannot read the file") from None
    except OSError as exc:
        raise file_problem(path, f"cannot read the file ({exc.strerror or exc})") from None
    if stat.S_ISDIR(st.st_mode):
        raise file_problem(path, f"is a directory, expected a {kind}")
    if not stat.S_ISREG(st.st_mode):
        raise file_problem(path, f"is {_kind_of(st.st_mode)}, not a regular file; expected a {kind}")
    limit = max_file_bytes()
    if st.st_size > limit:
        raise file_problem(path, _too_large(st.st_size, limit))
    return st


def read_text(path: str | Path, kind: str = "YAML file") -> str:
    """The text of a regular file of at most the size limit, checked to be UTF-8 without
    control characters.

    Parameters
    ----------
    path
        The file.
    kind
        What the file should be, for messages ("YAML file", "CSV file").

    Raises
    ------
    ScenarioError
        Naming the file (and the line, for a bad byte or character); never quoting its
        content.
    """
    p = Path(path)
    check_file(p, kind)
    limit = max_file_bytes()
    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except PermissionError:
        raise file_problem(p, "permission denied: cannot read the file") from None
    except OSError as exc:
        raise file_problem(p, f"cannot read the file ({exc.strerror or exc})") from None
    try:
        st = os.fstat(fd)  # the file opened, not the one looked at (it may have been swapped)
        if not stat.S_ISREG(st.st_mode):
            raise file_problem(p, f"is {_kind_of(st.st_mode)}, not a regular file; expected a {kind}")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise file_problem(p, f"cannot read the file ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
    if size > limit:
        raise file_problem(p, _too_large(size, limit, grew=True))
    return decode(b"".join(chunks), str(p))


def decode(data: bytes, name: str) -> str:
    """UTF-8 ``data`` as text, refused with the line of the first bad byte or control character."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ScenarioError([Problem(f"not UTF-8 text ({exc.reason} at byte {exc.start + 1}); save the file as "
                                     f"UTF-8", "", name, line)]) from None
    check_characters(text, name)
    return text


def check_characters(text: str, name: str) -> None:
    """Refuse text holding a character YAML does not allow (NUL and other control characters).

    Raises
    ------
    ScenarioError
        With the line and column of the first such character.
    """
    m = _NOT_PRINTABLE.search(text)
    if m is None:
        return
    line = text.count("\n", 0, m.start()) + 1
    column = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
    code = ord(m.group())
    what = f"U+{code:04X}" + (f", {_NAMES[code]}" if code in _NAMES else "")
    raise ScenarioError([Problem(f"a control character ({what}) in column {column}; the file must be plain "
                                 f"text (is it a binary file?)", "", name, line)])


def _kind_of(mode: int) -> str:
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def _too_large(size: int, limit: int, grew: bool = False) -> str:
    now = "grew past the limit while it was read" if grew else f"is {megabytes(size)}"
    return (f"the file {now}; the limit is {megabytes(limit)} (a scenario is a few kB; set {MAX_FILE_MB_VARIABLE} "
            f"to raise the limit)")
