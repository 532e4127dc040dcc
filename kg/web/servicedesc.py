"""The SPARQL 1.1 Service Description of the endpoint, with a VoID description
of the dataset and the example queries of ``queries/``.

Vocabularies: SPARQL 1.1 Service Description (sd:), VoID (void:), W3C format
IRIs (http://www.w3.org/ns/formats/), and for the examples the SHACL-based
convention of the SIB SPARQL examples (``sh:SPARQLExecutable`` with
``sh:select``/``sh:ask``/``sh:construct`` and ``rdfs:comment``).
"""
from __future__ import annotations

import re
from collections.abc import Iterator

import pyoxigraph as ox

from kg.resources import resource_dir

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SH = "http://www.w3.org/ns/shacl#"
FORMATS = "http://www.w3.org/ns/formats/"
XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")

RESULT_FORMATS = ["SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                  "Turtle", "N-Triples", "N-Quads", "TriG", "RDF_XML", "JSON-LD"]


def example_queries() -> list[tuple[str, str, str]]:
    """(file name, comment, query text) of each ``queries/*.rq``, sorted by
    name; the comment is the query's opening ``#`` lines, joined."""
    out = []
    for path in sorted(resource_dir("queries").glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        lines = []
        for line in text.splitlines():
            if not line.startswith("#"):
                break
            lines.append(line.lstrip("#").strip())
        out.append((path.name, " ".join(lines), text))
    return out


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _form(text: str) -> str:
    body = re.sub(r"#[^\n]*", "", text)
    body = re.sub(r"PREFIX\s+\S*\s*<[^>]*>|BASE\s*<[^>]*>", "", body, flags=re.I)
    m = re.search(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", body, re.I)
    return (m.group(1) if m else "SELECT").lower()


def service_description(endpoint: str, graph_counts: dict[str, int], update: bool = False) -> Iterator[ox.Triple]:
    """Triples describing the service at ``endpoint``.

    :param graph_counts: triples per named graph (graph IRI -> count).
    :param update: whether SPARQL Update is enabled.
    """
    s = _n(endpoint)
    yield ox.Triple(s, RDF_TYPE, _n(SD + "Service"))
    yield ox.Triple(s, _n(SD + "endpoint"), s)
    yield ox.Triple(s, _n(SD + "supportedLanguage"), _n(SD + "SPARQL11Query"))
    if update:
        yield ox.Triple(s, _n(SD + "supportedLanguage"), _n(SD + "SPARQL11Update"))
    for feature in ("UnionDefaultGraph", "BasicFederatedQuery"):
        yield ox.Triple(s, _n(SD + "feature"), _n(SD + feature))
    for fmt in RESULT_FORMATS:
        yield ox.Triple(s, _n(SD + "resultFormat"), _n(FORMATS + fmt))
    ds = _n(endpoint + "#dataset")
    yield ox.Triple(s, _n(SD + "defaultDataset"), ds)
    yield ox.Triple(ds, RDF_TYPE, _n(SD + "Dataset"))
    yield ox.Triple(ds, RDF_TYPE, _n(VOID + "Dataset"))
    yield ox.Triple(ds, _n(VOID + "sparqlEndpoint"), s)
    yield ox.Triple(ds, _n(VOID + "triples"), ox.Literal(str(sum(graph_counts.values())), datatype=XSD_INTEGER))
    dg = _n(endpoint + "#default-graph")
    yield ox.Triple(ds, _n(SD + "defaultGraph"), dg)
    yield ox.Triple(dg, RDF_TYPE, _n(SD + "Graph"))
    yield ox.Triple(dg, _n(RDFS + "comment"), ox.Literal("The union of all named graphs."))
    for i, (g, n) in enumerate(sorted(graph_counts.items())):
        ng = _n(f"{endpoint}#named-graph-{i}")
        gr = _n(f"{endpoint}#graph-{i}")
        yield ox.Triple(ds, _n(SD + "namedGraph"), ng)
        yield ox.Triple(ng, RDF_TYPE, _n(SD + "NamedGraph"))
        yield ox.Triple(ng, _n(SD + "name"), _n(g))
        yield ox.Triple(ng, _n(SD + "graph"), gr)
        yield ox.Triple(gr, RDF_TYPE, _n(SD + "Graph"))
        yield ox.Triple(gr, RDF_TYPE, _n(VOID + "Dataset"))
        yield ox.Triple(gr, _n(VOID + "triples"), ox.Literal(str(n), datatype=XSD_INTEGER))
        yield ox.Triple(ds, _n(VOID + "subset"), gr)
    for name, comment, text in example_queries():
        ex = _n(f"{endpoint}#example-{name.removesuffix('.rq')}")
        yield ox.Triple(ex, RDF_TYPE, _n(SH + "SPARQLExecutable"))
        yield ox.Triple(ex, RDFS_LABEL, ox.Literal(name))
        yield ox.Triple(ex, _n(RDFS + "comment"), ox.Literal(comment))
        yield ox.Triple(ex, _n(SH + _form(text)), ox.Literal(text))
        # schema:target (the SIB convention) belongs to schema:Action: an
        # example query is a search action on this endpoint.
        yield ox.Triple(ex, RDF_TYPE, _n("http://schema.org/SearchAction"))
        yield ox.Triple(ex, _n("http://schema.org/target"), s)


RDFS_LABEL = ox.NamedNode(RDFS + "label")
