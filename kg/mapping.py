"""Works, people and authorships as schema.org + DCMI Terms triples (DESIGN.md §3).

Input: :class:`~kg.clean.Work` objects. Output: rdflib triples
``(URIRef, URIRef, URIRef | Literal)``. IRIs are minted from stable hashes of
identity keys, so the same input always gives the same IRIs:

* work: ``{base}work/{hash}`` of the strongest key (DOI, arXiv id, other ids,
  title fingerprint);
* person: ``{base}person/{hash}`` of the ORCID or of the normalised name within
  the source;
* authorship: ``{work}/authorship/{n}`` with ``n`` the byline position from 1
  (the OpenCitations pattern: ``pro:isDocumentContextFor`` / ``pro:isHeldBy`` /
  ``pro:withRole pro:author``, plus ``schema:position``).
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from rdflib import Literal, URIRef
from rdflib.term import Node

from kg.nquads import safe_iri
from kg.namespaces import BIBO, DCTERMS, KGV, PRO, PROV, RDF, SCHEMA, VOID, XSD
from kg.record import Person

if TYPE_CHECKING:
    from kg.identity import Resolved

Triple = tuple[URIRef, URIRef, Node]

#: Resolver IRIs for identifiers (``schema:sameAs`` targets).
ID_IRIS = {
    "doi": "https://doi.org/{}",
    "arxiv": "https://arxiv.org/abs/{}",
    "orcid": "https://orcid.org/{}",
    "openalex": "https://openalex.org/{}",
    "wikidata": "http://www.wikidata.org/entity/{}",
    "dblp": "https://dblp.org/rec/{}",
    "semantic_scholar": "https://www.semanticscholar.org/paper/{}",
    "openreview": "https://openreview.net/forum?id={}",
}
#: The same for people, whose Semantic Scholar, OpenReview and dblp pages differ.
PERSON_ID_IRIS = {
    **ID_IRIS,
    "semantic_scholar": "https://www.semanticscholar.org/author/{}",
    "openreview": "https://openreview.net/profile?id={}",
    "dblp_pid": "https://dblp.org/pid/{}",
}

WORK_TYPES = {"ScholarlyArticle", "Book", "Chapter", "Thesis", "Report", "Dataset", "CreativeWork"}


def short_hash(key: str) -> str:
    """16 hex digits of the SHA-256 of ``key``: the id part of a minted IRI."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def slug(name: str) -> str:
    """A graph or source name made safe for an IRI path segment: letters
    (any script, as IRIs allow), digits, ``.``, ``_`` and ``-`` kept, runs of
    anything else turned into ``-``.

    :raises ValueError: nothing usable is left (``..``, ``///``).
    """
    out = re.sub(r"[^\w.-]+", "-", name).strip("-")
    if not out.strip("."):
        raise ValueError(f"{name!r} cannot name a graph: use letters or digits")
    return out


class IRIs:
    """IRI minting under a base IRI (``/`` is added when missing).

    :raises ValueError: the base is not an absolute IRI, or has a query or
        fragment (minted IRIs extend its path).
    """

    def __init__(self, base: str):
        if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^\s<>\"{}|\\^`#?]+$", base):
            raise ValueError(f"--base-iri {base!r} must be an absolute IRI such as https://kg.example.org/ "
                             "(no spaces, no '#' or '?')")
        self.base = base if base.endswith("/") else base + "/"

    def work(self, key: str) -> URIRef:
        return URIRef(f"{self.base}work/{short_hash(key)}")

    def person(self, key: str) -> URIRef:
        return URIRef(f"{self.base}person/{short_hash(key)}")

    def source_graph(self, name: str) -> URIRef:
        return URIRef(f"{self.base}graph/source/{slug(name)}")

    def meta_graph(self) -> URIRef:
        return URIRef(f"{self.base}graph/meta")


def _date_literal(date: str) -> Literal:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        return Literal(date, datatype=XSD.date)
    if re.fullmatch(r"\d{4}-\d{2}", date):
        return Literal(date, datatype=XSD.gYearMonth)
    return Literal(date[:4], datatype=XSD.gYear)


def _identifier_triples(node: URIRef, identifiers: dict[str, str],
                        iris: dict[str, str] = ID_IRIS) -> Iterator[Triple]:
    for scheme, value in sorted(identifiers.items()):
        if scheme == "arxiv_version":
            yield node, KGV.arxivVersion, Literal(value)
            continue
        if scheme not in iris or not value:
            continue
        yield node, SCHEMA.sameAs, URIRef(safe_iri(iris[scheme].format(value)))
        if scheme == "orcid":
            continue
        pv = URIRef(f"{node}/id/{scheme}")
        yield node, SCHEMA.identifier, pv
        yield pv, RDF.type, SCHEMA.PropertyValue
        yield pv, SCHEMA.propertyID, Literal(scheme)
        yield pv, SCHEMA.value, Literal(value)
        yield node, DCTERMS.identifier, Literal(f"{scheme}:{value}")
        if scheme == "doi":
            yield node, BIBO.doi, Literal(value.lower())


def map_person(iri: URIRef, person: Person) -> Iterator[Triple]:
    """Triples describing one person (``schema:Person``) or organisation
    (``schema:Organization``): name as printed, given/family name when known,
    ORCID and other ids as ``schema:sameAs``."""
    yield iri, RDF.type, SCHEMA.Organization if person.is_organization else SCHEMA.Person
    yield iri, SCHEMA.name, Literal(person.name)
    if person.given and not person.is_organization:
        yield iri, SCHEMA.givenName, Literal(person.given)
    if person.family and not person.is_organization:
        yield iri, SCHEMA.familyName, Literal(person.family)
    yield from _identifier_triples(iri, person.identifiers, PERSON_ID_IRIS)


# Terms used per triple, made once (a Namespace attribute builds a new URIRef each time).
_TYPE = RDF.type
_NAME = SCHEMA.name
_TITLE = DCTERMS.title
_ABSTRACT = SCHEMA.abstract
_DC_ABSTRACT = DCTERMS.abstract
_TRUNCATED = KGV.abstractTruncated
_DATE = SCHEMA.datePublished
_ISSUED = DCTERMS.issued
_PART_OF = SCHEMA.isPartOf
_DC_PART_OF = DCTERMS.isPartOf
_AUTHORS_TRUNCATED = KGV.authorListTruncated
_SOURCE = DCTERMS.source
_AUTHOR = SCHEMA.author
_CREATOR = DCTERMS.creator
_CONTEXT_FOR = PRO.isDocumentContextFor
_LIST_ITEM = SCHEMA.ListItem  # schema:position and schema:name need it; PRO entails pro:RoleInTime
_HELD_BY = PRO.isHeldBy
_WITH_ROLE = PRO.withRole
_PRO_AUTHOR = PRO.author
_POSITION = SCHEMA.position
_ALT_NAME = SCHEMA.alternateName
_TRUE = Literal(True)
_POSITIONS = [Literal(i, datatype=XSD.integer) for i in range(0, 201)]


def _position(n: int) -> Literal:
    return _POSITIONS[n] if n < len(_POSITIONS) else Literal(n, datatype=XSD.integer)


def map_works(works: list[Resolved], graph: URIRef) -> Iterator[Triple]:
    """Triples for the resolved works of one source, people included once each.

    :param works: works with their IRIs and their authors' IRIs
        (:func:`kg.identity.resolve`).
    :param graph: the source's named graph (records are cited as
        ``{graph}#line-{n}`` or ``#item-{n}`` by ``dcterms:source``).
    """
    seen_people: dict[URIRef, str] = {}
    for res in works:
        work, w = res.work, res.iri
        rec = work.record
        wtype = rec.work_type if rec.work_type in WORK_TYPES else "CreativeWork"
        yield w, _TYPE, SCHEMA[wtype]
        yield w, _NAME, Literal(rec.title)
        yield w, _TITLE, Literal(rec.title)
        if rec.abstract:
            yield w, _ABSTRACT, Literal(rec.abstract)
            yield w, _DC_ABSTRACT, Literal(rec.abstract)
            if rec.abstract_truncated:
                yield w, _TRUNCATED, _TRUE
        date = next((r.date for r in work.records if r.date), None)
        if date:
            yield w, _DATE, _date_literal(date)
            yield w, _ISSUED, _date_literal(date)
        venue = next((r.venue for r in work.records if r.venue), None)
        if venue:
            yield w, _PART_OF, Literal(venue)
            yield w, _DC_PART_OF, Literal(venue)
        if rec.authors_truncated:
            yield w, _AUTHORS_TRUNCATED, _TRUE
        identifiers: dict[str, str] = {}
        for r in work.records:
            for k, v in r.identifiers.items():
                identifiers.setdefault(k, v)
            yield w, _SOURCE, URIRef(f"{graph}#{slug(r.locator)}")
        yield from _identifier_triples(w, identifiers)
        for pos, (person, p) in enumerate(zip(rec.authors, res.authors), start=1):
            a = URIRef(f"{w}/authorship/{pos}")
            yield w, _AUTHOR, p
            yield w, _CREATOR, p
            yield w, _CONTEXT_FOR, a
            yield a, _TYPE, _LIST_ITEM
            yield a, _HELD_BY, p
            yield a, _WITH_ROLE, _PRO_AUTHOR
            yield a, _POSITION, _position(pos)
            yield a, _NAME, Literal(person.name)
            if p not in seen_people:
                seen_people[p] = person.name
                yield from map_person(p, person)
                continue
            if seen_people[p] != person.name:
                yield p, _ALT_NAME, Literal(person.name)
            yield from _identifier_triples(p, person.identifiers, PERSON_ID_IRIS)  # ids another record may add


def describe_graph(iris: IRIs, graph: URIRef, *, name: str, files: list[tuple[str, str]],
                   records: int, works: int, people: int, triples: int,
                   when: datetime | None = None) -> Iterator[Triple]:
    """Provenance (PROV-O) and statistics (VoID) of one source graph, for the
    meta graph.

    :param files: (file name, SHA-256 hex) of each file the source was read
        from; each is described as ``{graph}#file`` (one file) or
        ``{graph}#file-N``. Subjects are ``graph`` and ``{graph}#…`` only, so
        the whole description can be replaced with the graph.
    """
    when = when or datetime.now(timezone.utc).replace(microsecond=0)
    yield graph, RDF.type, VOID.Dataset
    yield graph, RDF.type, PROV.Entity
    yield graph, DCTERMS.title, Literal(name)
    yield graph, PROV.generatedAtTime, Literal(when.isoformat(), datatype=XSD.dateTime)
    yield graph, VOID.triples, Literal(triples, datatype=XSD.integer)
    yield graph, VOID.entities, Literal(works + people, datatype=XSD.integer)
    yield graph, KGV.records, Literal(records, datatype=XSD.integer)
    yield graph, KGV.works, Literal(works, datatype=XSD.integer)
    yield graph, KGV.people, Literal(people, datatype=XSD.integer)
    yield graph, KGV.baseIRI, Literal(iris.base)
    for i, (path, sha256) in enumerate(files, start=1):
        f = URIRef(f"{graph}#file" if len(files) == 1 else f"{graph}#file-{i}")
        yield graph, PROV.wasDerivedFrom, f
        yield f, RDF.type, PROV.Entity
        yield f, RDF.type, SCHEMA.MediaObject
        yield f, SCHEMA.name, Literal(path)
        yield f, SCHEMA.sha256, Literal(sha256)
