"""Opening source files as text, with errors that name the file."""
from __future__ import annotations

from pathlib import Path

from kg.record import Problem, SourceError


def read_bytes(path: Path) -> bytes:
    """Return the bytes of ``path``.

    :raises SourceError: the path does not exist, is a directory, cannot be
        read, or is empty.
    """
    if not path.exists():
        raise SourceError(f"{path}: no such file")
    if path.is_dir():
        raise SourceError(f"{path}: is a directory, not a file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if not data.strip():
        raise SourceError(f"{path}: file is empty")
    return data


def read_text(path: Path) -> tuple[str, list[Problem]]:
    """Read ``path`` as text.

    UTF-8 (with or without BOM) is expected; UTF-16 with a BOM is read too.
    Lines that are not valid UTF-8 are decoded as Windows-1252 (Latin-1), each
    reported with its line number; the other lines stay UTF-8.

    :returns: the text and the problems met.
    :raises SourceError: missing, directory, empty or binary file.
    """
    data = read_bytes(path)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), []
        except UnicodeDecodeError:
            raise SourceError(f"{path}: starts like UTF-16 but does not decode as UTF-16") from None
    sample = data[:8192]
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    if b"\x00" in sample or controls > len(sample) // 20:
        raise SourceError(f"{path}: binary file, not text")
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    problems: list[Problem] = []
    lines = []
    for n, raw in enumerate(data.removeprefix(b"\xef\xbb\xbf").split(b"\n"), start=1):
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            lines.append(raw.decode("cp1252", errors="replace"))
            problems.append(Problem(str(path), n, "line is not UTF-8; read as Windows-1252 (Latin-1): check accented letters"))
    return "\n".join(lines), problems
