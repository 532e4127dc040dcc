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

    UTF-8 (with or without BOM) is expected. A file that is not UTF-8 but has no
    NUL bytes is decoded as Windows-1252/Latin-1 and a warning names the first
    line that was not UTF-8.

    :returns: the text and the problems met.
    :raises SourceError: missing, directory, empty or binary file.
    """
    data = read_bytes(path)
    sample = data[:8192]
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    if b"\x00" in sample or controls > len(sample) // 20:
        raise SourceError(f"{path}: binary file, not a text listing")
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
        return text, [Problem(str(path), line, "not UTF-8; read as Windows-1252 (Latin-1): check accented letters")]
