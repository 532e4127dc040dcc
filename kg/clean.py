"""Text normalisation, name handling and duplicate merge.

Input: :class:`~kg.record.Record` objects from readers. Output: :class:`Work`
objects, one per distinct work, each remembering every record it came from.
No RDF here: :mod:`kg.mapping` turns works into triples.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from kg.record import Record

# Typographic variants folded for comparison only; stored text keeps them.
_QUOTE_FOLD = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
    "\u00a0": " ",
})

NAME_PARTICLES = frozenset(
    "van von der den de del della di da dos das du la le ter ten bin ibn al el los las y zu af av".split()
)


def nfc(text: str) -> str:
    """Return ``text`` in Unicode Normalization Form C with runs of white space
    collapsed to one space and the ends stripped (UAX #15)."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def fold(text: str) -> str:
    """Comparison key for free text: quotes and dashes folded to ASCII,
    accents removed, case folded, punctuation dropped, spaces collapsed.

    Used for duplicate detection only, never for stored text.
    """
    text = unicodedata.normalize("NFKD", text.translate(_QUOTE_FOLD))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.casefold()
    text = re.sub(r"[^\w\s+#]", " ", text)  # keep + and # ("C++", "C#" are not "C")
    return re.sub(r"\s+", " ", text).strip()


def title_fingerprint(title: str) -> str:
    """Normalised title used to recognise the same work (see :func:`fold`)."""
    return fold(title)


def name_key(name: str) -> str:
    """Normalised person name: accents, case, periods and hyphens ignored
    (``Jean-Christophe`` == ``Jean Christophe``, ``Côme`` == ``Come``)."""
    return fold(name.replace("-", " ").replace(".", " "))


def split_name(name: str) -> tuple[str | None, str | None]:
    """Split a printed name into (given, family) when the split is certain.

    Certain: two tokens (``Ghada Sokar``); a family name introduced by a
    particle (``Jan-Willem van de Meent``); given names followed by initials
    (``Daniel J Mankowitz``). Otherwise (``Johan Samir Obando Ceron``: middle
    name or two-word family name?) returns ``(None, None)`` and only the printed
    name is kept: a wrong split would be worse than none.
    """
    tokens = name.split()
    if len(tokens) < 2:
        return None, None
    if len(tokens) == 2:
        return tokens[0], tokens[1]
    for i, tok in enumerate(tokens[1:-1], start=1):
        if tok.lower() in NAME_PARTICLES:
            return " ".join(tokens[:i]), " ".join(tokens[i:])
    middle = tokens[1:-1]
    if all(re.fullmatch(r"[A-Z]\.?", t) for t in middle):
        return " ".join(tokens[:-1]), tokens[-1]
    return None, None


_ORG_WORDS = frozenset("""
team group lab labs laboratory laboratories brain research inc inc. ltd ltd. llc corp corp. corporation company
university universite université institute institut centre center consortium collaboration project committee
council association society foundation department ministry agency network initiative alliance deepmind openai
""".split())


def is_organization(name: str) -> bool:
    """True when a printed author name reads as an organisation (``Google
    Brain``, ``The ATLAS Collaboration``, ``OpenAI``) rather than a person."""
    words = [w.strip(".,()").lower() for w in name.split()]
    return bool(words) and (any(w in _ORG_WORDS for w in words) or words[0] == "the")


@dataclass
class Work:
    """One distinct work after duplicate merge.

    ``record`` is the first record seen (its text is what gets stored);
    ``records`` lists every record merged into it, in input order, and
    ``reasons`` says why each was merged (the first entry is "first seen").
    """

    record: Record
    records: list[Record] = field(default_factory=list)
    key: str = ""
    reasons: list[str] = field(default_factory=list)


def work_key(record: Record) -> str:
    """The strongest identity key of a record: DOI, then arXiv id, then other
    external ids, then the title fingerprint with the first author and year
    (DESIGN.md §3 IRIs)."""
    ids = record.identifiers
    for scheme in ("doi", "arxiv", "openalex", "wikidata", "dblp", "semantic_scholar", "openreview"):
        if ids.get(scheme):
            value = ids[scheme].lower() if scheme == "doi" else ids[scheme]
            return f"{scheme}:{value}"
    first = name_key(record.authors[0].name) if record.authors else ""
    year = record.date[:4] if record.date else ""
    return f"title:{title_fingerprint(record.title)}|{first}|{year}"


def _year(rec: Record) -> str | None:
    return rec.date[:4] if rec.date else None


def _compatible(a: Record, b: Record) -> bool:
    """Records matched by title may still be different works: a different
    year or a different DOI says so."""
    ya, yb = _year(a), _year(b)
    da, db = a.identifiers.get("doi"), b.identifiers.get("doi")
    return not (ya and yb and ya != yb) and not (da and db and da.lower() != db.lower())


def merge_duplicates(records: list[Record]) -> list[Work]:
    """Group the records of one source that describe the same work.

    Same work: a shared identifier (DOI compared case-insensitively, arXiv id,
    ...), or the same title fingerprint and first author with no conflicting
    year or DOI. Returns the works in order of first appearance; each keeps
    all its records (the first one's text is stored).
    """
    works: list[Work] = []
    by_id: dict[str, Work] = {}
    by_title: dict[tuple[str, str], list[Work]] = {}
    for rec in records:
        keys = [f"{s}:{v.lower() if s == 'doi' else v}" for s, v in rec.identifiers.items()
                if v and s != "arxiv_version"]
        hit = next((k for k in keys if k in by_id), None)
        found = by_id[hit] if hit else None
        why = f"same {hit.split(':', 1)[0]} {hit.split(':', 1)[1]}" if hit else ""
        first = name_key(rec.authors[0].name) if rec.authors else ""
        tkey = (title_fingerprint(rec.title), first)
        if found is None:
            found = next((w for w in by_title.get(tkey, []) if all(_compatible(rec, r) for r in w.records)), None)
            why = "same title and first author (typography, case and punctuation ignored)"
        if found is None:
            found = Work(record=rec, key=work_key(rec))
            works.append(found)
            by_title.setdefault(tkey, []).append(found)
            why = "first seen"
        found.records.append(rec)
        found.reasons.append(why)
        for k in keys:
            by_id.setdefault(k, found)
    return works
