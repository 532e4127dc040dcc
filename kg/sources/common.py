"""Helpers shared by the readers: identifiers, dates, names, JSON files."""
from __future__ import annotations

import json
import re
from pathlib import Path

from kg.clean import is_organization, nfc, split_name
from kg.dates import from_parts, parse_date
from kg.identifiers import InvalidId, normalize, normalize_arxiv
from kg.record import Person, Problem, SourceError
from kg.sources.textfile import read_text


class RecordProblems:
    """Collects the problems of one file, each tagged with the record's place."""

    def __init__(self, source: str):
        self.source = source
        self.problems: list[Problem] = []

    def warn(self, line: int | None, message: str) -> None:
        self.problems.append(Problem(self.source, line, message))

    def skip(self, line: int | None, message: str) -> None:
        self.problems.append(Problem(self.source, line, message, "skipped"))


def add_id(ids: dict[str, str], scheme: str, value: object, problems: RecordProblems, line: int | None,
           where: str) -> None:
    """Normalise ``value`` and store it under ``scheme`` in ``ids`` (first value
    wins); an invalid value is reported and left out. For arXiv the version is
    kept separately as ``arxiv_version``."""
    if value in (None, ""):
        return
    try:
        if scheme == "arxiv":
            norm, version = normalize_arxiv(str(value))
            if version and "arxiv_version" not in ids:
                ids["arxiv_version"] = version
        else:
            norm = normalize(scheme, str(value))
    except InvalidId as exc:
        problems.warn(line, f"{where}: {exc}; not linked")
        return
    ids.setdefault(scheme, norm)


def date_from_parts(parts: object, problems: RecordProblems, line: int | None, where: str) -> str | None:
    """CSL/Crossref ``{"date-parts": [[y, m, d]]}`` (or ``raw``) as an ISO prefix."""
    if not isinstance(parts, dict):
        return None
    dp = parts.get("date-parts")
    if isinstance(dp, list) and dp and isinstance(dp[0], list) and dp[0] and dp[0][0] is not None:
        date, msg = from_parts(*dp[0][:3])
    elif parts.get("raw"):
        date, msg = parse_date(str(parts["raw"]))
    else:
        return None
    if msg:
        problems.warn(line, f"{where}: {msg}")
    return date


def date_from_text(text: object, problems: RecordProblems, line: int | None, where: str) -> str | None:
    if not text:
        return None
    date, msg = parse_date(str(text))
    if msg:
        problems.warn(line, f"{where}: {msg}")
    return date


def person(name: str | None = None, given: str | None = None, family: str | None = None,
           suffix: str | None = None, literal: bool = False) -> Person | None:
    """A :class:`Person` (or organisation) from structured name parts.

    ``literal``: the name is one unsplittable string (CSL ``literal``,
    Crossref ``name``, a braced BibTeX author) — an organisation when it reads
    like one (``Google Brain``), else a person with only a printed name.
    """
    given = nfc(given) if given else None
    family = nfc(family) if family else None
    if name is None:
        name = " ".join(p for p in (given, family) if p)
        if suffix:
            name = f"{name} {nfc(suffix)}"
    name = nfc(name or "")
    if not name:
        return None
    if literal:
        return Person(name=name, is_organization=is_organization(name))
    if not given and not family:
        given, family = split_name(name)
    return Person(name=name, given=given, family=family)


def load_json(path: Path) -> tuple[object, list[Problem]]:
    """Parse a JSON file (or JSON Lines, one value per line).

    :returns: the value (a list of values for JSON Lines) and problems (a
        JSON Lines line that does not parse is reported and skipped).
    :raises SourceError: not JSON, with the line and column of the error.
    """
    text, problems = read_text(path)
    try:
        return json.loads(text), problems
    except json.JSONDecodeError as exc:
        lines = [ln for ln in text.splitlines() if ln.strip()]
        if len(lines) > 1 and lines[0].lstrip().startswith("{") and exc.msg == "Extra data":
            values = []
            for n, ln in enumerate(text.splitlines(), start=1):
                if not ln.strip():
                    continue
                try:
                    values.append(json.loads(ln))
                except json.JSONDecodeError as e:
                    problems.append(Problem(str(path), n, f"JSON Lines record skipped: {e.msg} (column {e.colno})",
                                            "skipped"))
            return values, problems
        raise SourceError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg} (column {exc.colno})") from None


def strip_tags(text: str) -> str:
    """Text of a JATS/HTML fragment (Crossref abstracts): tags removed,
    entities decoded, white space collapsed."""
    import html

    text = re.sub(r"<jats:title>.*?</jats:title>", " ", text, flags=re.S | re.I)
    text = re.sub(r"<[^>]+>", " ", text)
    return nfc(html.unescape(text))
