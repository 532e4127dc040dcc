"""Text normalisation, name handling and duplicate merge.

Input: :class:`~kg.record.Record` objects from readers. Output: :class:`Work`
objects, one per distinct work, each remembering every record it came from.
No RDF here: :mod:`kg.mapping` turns works into triples.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from kg.record import Person, Record

# Typographic variants folded for comparison only; stored text keeps them.
_QUOTE_FOLD = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
    "\u00a0": " ",
})

NAME_PARTICLES = frozenset(
    "van von der den de del della di da dos das du la le ter ten bin ibn al el".split()
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
    text = re.sub(r"[^\w\s]", " ", text)
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
    ``records`` lists every record merged into it, in input order.
    """

    record: Record
    records: list[Record] = field(default_factory=list)
    key: str = ""


def work_key(record: Record) -> str:
    """The strongest identity key of a record: DOI, then arXiv id, then other
    external ids, then the title fingerprint (DESIGN.md §3 IRIs)."""
    ids = record.identifiers
    for scheme in ("doi", "arxiv", "openalex", "wikidata", "dblp", "semantic_scholar", "openreview"):
        if ids.get(scheme):
            value = ids[scheme].lower() if scheme == "doi" else ids[scheme]
            return f"{scheme}:{value}"
    return "title:" + title_fingerprint(record.title)


def merge_duplicates(records: list[Record]) -> list[Work]:
    """Group records that describe the same work.

    Two records are the same work when they share any identifier (DOI compared
    case-insensitively) or, lacking one, the same title fingerprint. Returns the
    works in order of first appearance.
    """
    works: list[Work] = []
    index: dict[str, Work] = {}
    for rec in records:
        keys = [f"{s}:{v.lower() if s == 'doi' else v}" for s, v in rec.identifiers.items() if v]
        keys.append("title:" + title_fingerprint(rec.title))
        found = next((index[k] for k in keys if k in index), None)
        if found is None:
            found = Work(record=rec, key=work_key(rec))
            works.append(found)
        found.records.append(rec)
        for k in keys:
            index.setdefault(k, found)
    return works


def person_key(person: Person, scope: str) -> str:
    """Identity key of a person: the ORCID when known, else the normalised
    name within ``scope`` (the source name): people with the same name are one
    person within one source."""
    orcid = person.identifiers.get("orcid")
    if orcid:
        return f"orcid:{orcid}"
    kind = "org" if person.is_organization else "name"
    return f"{kind}:{scope}:{name_key(person.name)}"
