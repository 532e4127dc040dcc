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


def _identifier_triples(node: URIRef, identifiers: dict[str, str]) -> Iterator[Triple]:
    for scheme, value in sorted(identifiers.items()):
        if scheme == "arxiv_version":
            yield node, KGV.arxivVersion, Literal(value)
            continue
        if scheme not in ID_IRIS or not value:
            continue
        yield node, SCHEMA.sameAs, URIRef(safe_iri(ID_IRIS[scheme].format(value)))
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
        yield w, RDF.type, SCHEMA[wtype]
        yield w, SCHEMA.name, Literal(rec.title)
        yield w, DCTERMS.title, Literal(rec.title)
        if rec.abstract:
            yield w, SCHEMA.abstract, Literal(rec.abstract)
            yield w, DCTERMS.abstract, Literal(rec.abstract)
            if rec.abstract_truncated:
                yield w, KGV.abstractTruncated, Literal(True)
        date = next((r.date for r in work.records if r.date), None)
        if date:
            yield w, SCHEMA.datePublished, _date_literal(date)
            yield w, DCTERMS.issued, _date_literal(date)
        venue = next((r.venue for r in work.records if r.venue), None)
        if venue:
            yield w, SCHEMA.isPartOf, Literal(venue)
            yield w, DCTERMS.isPartOf, Literal(venue)
        if rec.authors_truncated:
            yield w, KGV.authorListTruncated, Literal(True)
        identifiers: dict[str, str] = {}
        for r in work.records:
            for k, v in r.identifiers.items():
                identifiers.setdefault(k, v)
            yield w, DCTERMS.source, URIRef(f"{graph}#{slug(r.locator)}")
        yield from _identifier_triples(w, identifiers)
        for pos, (person, p) in enumerate(zip(rec.authors, res.authors), start=1):
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
                continue
            if seen_people[p] != person.name:
                yield p, SCHEMA.alternateName, Literal(person.name)
            yield from _identifier_triples(p, person.identifiers)  # ids another record may add


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
