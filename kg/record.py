"""The shape every reader produces: plain dataclasses, no RDF.

A reader turns one source file into :class:`Record` objects (one per entry it
found) plus :class:`Problem` objects for what it could not use. Everything
downstream (cleaning, duplicate merge, RDF mapping) works on these.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)  # slots: a build holds one per authorship
class Person:
    """An author as printed in a source.

    ``name`` is the name exactly as printed (Unicode NFC). ``given`` and
    ``family`` are set only when the split is certain (see
    :func:`kg.clean.split_name`); a reader that gets structured names (BibTeX,
    CSL, Crossref) fills them directly. ``identifiers`` maps a scheme
    (``orcid``, ``openalex``, ...) to a normalised id.
    """

    name: str
    given: str | None = None
    family: str | None = None
    identifiers: dict[str, str] = field(default_factory=dict)
    is_organization: bool = False
    affiliations: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Record:
    """One bibliographic entry read from a source.

    ``authors`` are in byline order; ``authors_truncated`` says the source cut
    the list (BibTeX ``and others``). ``date`` is an ISO 8601 prefix
    (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``) or ``None``. ``identifiers`` maps a
    scheme (``doi``, ``arxiv``, ...) to a normalised id. ``locator`` says where
    the record is in its file (``line 3``, ``entry 12``) for messages and
    provenance.
    """

    title: str
    authors: list[Person] = field(default_factory=list)
    abstract: str | None = None
    abstract_truncated: bool = False
    date: str | None = None
    venue: str | None = None
    work_type: str = "ScholarlyArticle"
    identifiers: dict[str, str] = field(default_factory=dict)
    authors_truncated: bool = False
    url: str | None = None
    source: str = ""
    locator: str = ""
    line: int | None = None


@dataclass
class Problem:
    """Something a reader could not use or is unsure about.

    ``severity`` is ``"warning"`` (the record loaded, or the doubt is noted) or
    ``"skipped"`` (the record was left out). ``source`` is the file path and
    ``line`` the 1-based line number where known.
    """

    source: str
    line: int | None
    message: str
    severity: str = "warning"

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where}: {self.severity}: {self.message}"


@dataclass
class ReadResult:
    """What a reader produced from one file: records in file order and the
    problems met (records skipped, values dropped, doubts)."""

    records: list[Record] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


class SourceError(Exception):
    """A source that cannot be read at all (missing, empty, binary, ...).

    The message names the file (and the line where there is one); a build that
    meets it writes nothing.
    """
