"""Link runs: identifier links and matching against other graphs' records,
written to their own named graph ``{base}graph/links/{name}``.

* :func:`identifier_links`: every identifier a work or person already has
  (its ``schema:sameAs`` to a DOI, arXiv, ORCID, OpenAlex, Wikidata, dblp or
  Semantic Scholar IRI) becomes a mapping record (DatabaseCrossReference,
  confidence 1.0).
* :func:`match_against`: the graph's works are matched with records read by
  the importers (:mod:`kg.link.matcher`); person links follow work links.

A run replaces its links graph only, so it can be re-run or undone
(:func:`drop_links`) without touching the sources.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pyoxigraph as ox
from rdflib import Literal, URIRef

from kg.link.matcher import Matcher, align_authors
from kg.link.sssom import Mapping, mapping_triples
from kg.mapping import ID_IRIS, PERSON_ID_IRIS, slug
from kg.namespaces import DCTERMS, PROV, RDF, VOID, XSD
from kg.nquads import safe_iri
from kg.record import Person, Record
from kg.sources import read_source
from kg.store import replace_graph, to_quads

S = "http://schema.org/"
PRO = "http://purl.org/spar/pro/"

# Which identifier a link points at first: the most widely resolvable.
WORK_ORDER = ("doi", "arxiv", "openalex", "wikidata", "dblp", "semantic_scholar", "openreview")
PERSON_ORDER = ("orcid", "openalex", "wikidata", "dblp_pid", "semantic_scholar", "openreview")
# The canonical IRI forms a sameAs must have to count as an identifier link.
CANONICAL = re.compile(r"^(https://doi\.org/10\.|https://arxiv\.org/abs/|https://orcid\.org/\d{4}-|"
                       r"https://openalex\.org/[WA]\d|http://www\.wikidata\.org/entity/Q\d|https://dblp\.org/(rec|pid)/|"
                       r"https://www\.semanticscholar\.org/(paper|author)/|https://openreview\.net/)")


def _iris(ids: dict[str, str], order: tuple[str, ...], table: dict[str, str]) -> list[str]:
    return [safe_iri(table[k].format(ids[k])) for k in order if ids.get(k)]


def links_graph(base: str, name: str) -> str:
    return f"{base}graph/links/{slug(name)}"


def base_iri(store: ox.Store) -> str:
    """The base IRI the store was built with (from the meta graph)."""
    for r in store.query("SELECT ?b WHERE { ?g <https://w3id.org/kg/vocab#baseIRI> ?b } LIMIT 1",
                         use_default_graph_as_union=True):
        return r["b"].value
    raise ValueError("the store has no source graph yet (run `kg build` first)")


@dataclass
class GraphWork:
    """A work of the graph, with its authors' IRIs by position."""

    iri: str
    record: Record
    people: list[str] = field(default_factory=list)


def graph_works(store: ox.Store) -> list[GraphWork]:
    """The works of the store's graphs (union) as records for matching."""
    works: dict[str, GraphWork] = {}
    for r in store.query(f"""SELECT ?w (SAMPLE(?t) AS ?title) (SAMPLE(?d) AS ?date) WHERE {{
            ?w <{PRO}isDocumentContextFor> ?a ; <{S}name> ?t . OPTIONAL {{ ?w <{S}datePublished> ?d }} }}
            GROUP BY ?w""", use_default_graph_as_union=True):
        works[r["w"].value] = GraphWork(r["w"].value, Record(title=r["title"].value,
                                                             date=r["date"].value if r["date"] else None))
    authors: dict[str, dict[int, tuple[str, str, str | None]]] = defaultdict(dict)
    for r in store.query(f"""SELECT DISTINCT ?w ?pos ?name ?p ?fam WHERE {{ ?w <{PRO}isDocumentContextFor> ?a .
            ?a <{S}position> ?pos ; <{S}name> ?name ; <{PRO}isHeldBy> ?p . OPTIONAL {{ ?p <{S}familyName> ?fam }} }}""",
                         use_default_graph_as_union=True):
        authors[r["w"].value].setdefault(int(r["pos"].value),
                                         (r["name"].value, r["p"].value, r["fam"].value if r["fam"] else None))
    for w, by_pos in authors.items():
        if w in works:
            for pos in sorted(by_pos):
                name, person, fam = by_pos[pos]
                works[w].record.authors.append(Person(name=name, family=fam))
                works[w].people.append(person)
    return list(works.values())


def identifier_links(store: ox.Store) -> list[Mapping]:
    """Mapping records for the identifiers works and people already have."""
    out = []
    for r in store.query(f"""SELECT DISTINCT ?s ?o WHERE {{ ?s <{S}sameAs> ?o .
            {{ ?s a <{S}Person> }} UNION {{ ?s <{PRO}isDocumentContextFor> ?a }} }} ORDER BY ?s ?o""",
                         use_default_graph_as_union=True):
        s, o = r["s"].value, r["o"].value
        if CANONICAL.match(o):
            out.append(Mapping(subject=s, object=o, confidence=1.0, justification="DatabaseCrossReference",
                               comment="method: identifier (the source record gives this identifier)",
                               same_as=(o,)))
    return out


@dataclass
class MatchResult:
    """Work and person links at or above the threshold, and the candidates
    below it, of one matching run."""

    links: list[Mapping] = field(default_factory=list)
    candidates: list[Mapping] = field(default_factory=list)
    person_links: int = 0
    external: list[Record] = field(default_factory=list)
    matched: dict[str, int] = field(default_factory=dict)  # work IRI -> index in external


def read_external(files: list[Path]) -> tuple[list[Record], list[str]]:
    """Records of the files to link against (any format kg reads), and the
    problems met (as text)."""
    records, problems = [], []
    for f in files:
        _, result = read_source(f)
        records.extend(result.records)
        problems.extend(str(p) for p in result.problems)
    return records, problems


def match_against(works: list[GraphWork], external: list[Record], threshold: float = 0.85,
                  floor: float = 0.5) -> MatchResult:
    """Match ``works`` with ``external`` records.

    :param threshold: confidence at or above which a link is made.
    :param floor: candidates between ``floor`` and ``threshold`` are kept for
        review (:func:`kg.link.sssom.write_tsv`).
    """
    matcher = Matcher(external)
    out = MatchResult(external=external)
    for gw in works:
        best = matcher.best(gw.record, floor)
        if best is None:
            continue
        other = external[best.other]
        target = (_iris(other.identifiers, WORK_ORDER, ID_IRIS) or ([safe_iri(other.url)] if other.url else []))
        if not target:
            continue  # nothing to point at: the record has no identifier or URL
        m = Mapping(subject=gw.iri, object=target[0], confidence=best.confidence, justification="LexicalMatching",
                    comment=best.justification(), subject_label=gw.record.title, object_label=other.title,
                    same_as=tuple(i for i in _iris(other.identifiers, WORK_ORDER, ID_IRIS)))
        if best.confidence < threshold:
            out.candidates.append(m)
            continue
        out.links.append(m)
        out.matched[gw.iri] = best.other
        for i, j in align_authors(gw.record, other):
            person_iris = _iris(other.authors[j].identifiers, PERSON_ORDER, PERSON_ID_IRIS)
            if not person_iris or i >= len(gw.people):
                continue
            out.links.append(Mapping(
                subject=gw.people[i], object=person_iris[0], confidence=best.confidence,
                justification="LexicalMatching", subject_label=gw.record.authors[i].name,
                object_label=other.authors[j].name, same_as=tuple(person_iris),
                comment=f"author {i + 1} of a matched work ({gw.iri}) with a compatible name"))
            out.person_links += 1
    return out


def write_links(store: ox.Store, store_path: Path, graph: str, mappings: list[Mapping], title: str) -> int:
    """Replace links graph ``graph`` with ``mappings`` (and its description in
    the meta graph). Returns the number of triples written."""
    triples = [t for m in mappings for t in mapping_triples(m, graph)]
    meta_graph = graph.split("graph/links/")[0] + "graph/meta"
    g = URIRef(graph)

    def describe(n: int):
        yield g, RDF.type, VOID.Dataset
        yield g, RDF.type, PROV.Entity
        yield g, DCTERMS.title, Literal(title)
        yield g, PROV.generatedAtTime, Literal(datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
                                               datatype=XSD.dateTime)
        yield g, VOID.triples, Literal(n, datatype=XSD.integer)
        yield g, URIRef("https://w3id.org/kg/vocab#mappings"), Literal(len(mappings), datatype=XSD.integer)

    return replace_graph(store, store_path, graph, to_quads(triples, graph), meta_graph, describe)


def drop_links(store: ox.Store, store_path: Path, graph: str) -> bool:
    """Remove a links graph and its description (undo a run)."""
    from kg.store import _meta_delete, bump_generation

    g = ox.NamedNode(graph)
    meta_graph = graph.split("graph/links/")[0] + "graph/meta"
    described = bool(store.query(f"ASK {{ GRAPH <{meta_graph}> {{ {g} ?p ?o }} }}"))
    if not store.contains_named_graph(g) and not described:  # an empty run has a description only
        return False
    store.update(f"DROP SILENT GRAPH {g} ;\n{_meta_delete(meta_graph, graph)}")
    bump_generation(store_path)
    return True
