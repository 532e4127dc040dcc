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

from rdflib import Literal, URIRef
from rdflib.term import Node

from kg.clean import Work, person_key
from kg.namespaces import BIBO, DCTERMS, KGV, PRO, PROV, RDF, SCHEMA, VOID, XSD
from kg.record import Person

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

WORK_TYPES = {"ScholarlyArticle", "Book", "Chapter", "Thesis", "Report", "Dataset", "CreativeWork"}


def short_hash(key: str) -> str:
    """16 hex digits of the SHA-256 of ``key``: the id part of a minted IRI."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def slug(name: str) -> str:
    """A graph or source name made safe for an IRI path segment."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "source"


class IRIs:
    """IRI minting under a base IRI (which must end in ``/`` or ``#``)."""

    def __init__(self, base: str):
        if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s<>\"{}|\\^`]*$", base):
            raise ValueError(f"base IRI {base!r} is not an absolute IRI")
        self.base = base if base.endswith(("/", "#")) else base + "/"

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


def _identifier_triples(node: URIRef, identifiers: dict[str, str]) -> Iterator[Triple]:
    for scheme, value in sorted(identifiers.items()):
        if scheme not in ID_IRIS or not value:
            continue
        yield node, SCHEMA.sameAs, URIRef(ID_IRIS[scheme].format(value))
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
    yield from _identifier_triples(iri, person.identifiers)


def map_works(works: list[Work], iris: IRIs, graph: URIRef, scope: str) -> Iterator[Triple]:
    """Triples for ``works`` (one source), people included once each.

    :param works: merged works of one source.
    :param iris: IRI minting for the configured base IRI.
    :param graph: the source's named graph (records are cited as
        ``{graph}#line-{n}`` by ``dcterms:source``).
    :param scope: the source name; people without ORCID are identified by
        name within it.
    """
    seen_people: dict[URIRef, str] = {}
    for work in works:
        rec = work.record
        w = iris.work(work.key)
        wtype = rec.work_type if rec.work_type in WORK_TYPES else "CreativeWork"
        yield w, RDF.type, SCHEMA[wtype]
        yield w, SCHEMA.name, Literal(rec.title)
        yield w, DCTERMS.title, Literal(rec.title)
        if rec.abstract:
            yield w, SCHEMA.abstract, Literal(rec.abstract)
            yield w, DCTERMS.abstract, Literal(rec.abstract)
            if rec.abstract_truncated:
                yield w, KGV.abstractTruncated, Literal(True)
        if rec.date:
            yield w, SCHEMA.datePublished, _date_literal(rec.date)
            yield w, DCTERMS.issued, _date_literal(rec.date)
        if rec.venue:
            yield w, SCHEMA.isPartOf, Literal(rec.venue)
            yield w, DCTERMS.isPartOf, Literal(rec.venue)
        identifiers: dict[str, str] = {}
        for r in work.records:
            for k, v in r.identifiers.items():
                identifiers.setdefault(k, v)
            yield w, DCTERMS.source, URIRef(f"{graph}#{slug(r.locator)}")
        yield from _identifier_triples(w, identifiers)
        for pos, person in enumerate(rec.authors, start=1):
            p = iris.person(person_key(person, scope))
            a = URIRef(f"{w}/authorship/{pos}")
            yield w, SCHEMA.author, p
            yield w, DCTERMS.creator, p
            yield w, PRO.isDocumentContextFor, a
            yield a, RDF.type, PRO.RoleInTime
            yield a, PRO.isHeldBy, p
            yield a, PRO.withRole, PRO.author
            yield a, SCHEMA.position, Literal(pos, datatype=XSD.integer)
            yield a, SCHEMA.name, Literal(person.name)
            if p not in seen_people:
                seen_people[p] = person.name
                yield from map_person(p, person)
            elif seen_people[p] != person.name:
                yield p, SCHEMA.alternateName, Literal(person.name)


def describe_graph(iris: IRIs, graph: URIRef, *, name: str, path: str, sha256: str,
                   records: int, works: int, people: int, triples: int,
                   when: datetime | None = None) -> Iterator[Triple]:
    """Provenance (PROV-O) and statistics (VoID) of one source graph, for the
    meta graph. Subjects are ``graph`` and ``{graph}#file`` only, so the whole
    description can be replaced with the graph."""
    when = when or datetime.now(timezone.utc).replace(microsecond=0)
    f = URIRef(f"{graph}#file")
    yield graph, RDF.type, VOID.Dataset
    yield graph, RDF.type, PROV.Entity
    yield graph, DCTERMS.title, Literal(name)
    yield graph, PROV.wasDerivedFrom, f
    yield graph, PROV.generatedAtTime, Literal(when.isoformat(), datatype=XSD.dateTime)
    yield graph, VOID.triples, Literal(triples, datatype=XSD.integer)
    yield graph, VOID.entities, Literal(works + people, datatype=XSD.integer)
    yield graph, KGV.records, Literal(records, datatype=XSD.integer)
    yield graph, KGV.works, Literal(works, datatype=XSD.integer)
    yield graph, KGV.people, Literal(people, datatype=XSD.integer)
    yield graph, KGV.baseIRI, Literal(iris.base)
    yield f, RDF.type, PROV.Entity
    yield f, RDF.type, SCHEMA.MediaObject
    yield f, SCHEMA.name, Literal(path)
    yield f, SCHEMA.sha256, Literal(sha256)
