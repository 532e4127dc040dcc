"""Dataset statistics: counts, works per year, the most prolific people, their
co-authorship network, triples per named graph.

Computed with SPARQL 1.1 queries over the union of all graphs, as plain data
(dicts, lists, numbers) that ``kg stats``, the endpoint's statistics page and
:mod:`kg.plots` share.
"""
from __future__ import annotations

import pyoxigraph as ox

from kg.mapping import WORK_TYPES

_PREFIXES = """PREFIX schema: <http://schema.org/>
PREFIX pro: <http://purl.org/spar/pro/>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""
_WORK_VALUES = "VALUES ?type { " + " ".join(f"schema:{t}" for t in sorted(WORK_TYPES)) + " }"


def _rows(store: ox.Store, query: str) -> list:
    return list(store.query(_PREFIXES + query, use_default_graph_as_union=True))


def _int(term) -> int:
    return int(term.value) if term is not None else 0


def _count(store: ox.Store, query: str) -> int:
    rows = _rows(store, query)
    return _int(rows[0]["n"]) if rows else 0


def ranked_people(store: ox.Store, limit: int) -> list[dict]:
    """The ``limit`` people with the most works (ties by name): dicts with
    ``iri``, ``name`` and ``works``."""
    rows = _rows(store, f"""
        SELECT ?person (MIN(?n) AS ?name) (COUNT(DISTINCT ?work) AS ?works) WHERE {{
          ?work schema:author ?person . ?person a schema:Person ; schema:name ?n .
        }} GROUP BY ?person ORDER BY DESC(?works) ?name ?person LIMIT {int(limit)}""")
    return [{"iri": r["person"].value, "name": r["name"].value, "works": _int(r["works"])} for r in rows]


def coauthor_network(store: ox.Store, people: list[dict]) -> list[dict]:
    """Co-authorship among ``people`` (from :func:`ranked_people`): one edge
    per pair that wrote together, ``{"source", "target", "works"}``, with
    ``source`` < ``target``."""
    if len(people) < 2:
        return []
    values = " ".join(f"<{p['iri']}>" for p in people)
    rows = _rows(store, f"""
        SELECT ?a ?b (COUNT(DISTINCT ?work) AS ?works) WHERE {{
          VALUES ?a {{ {values} }} VALUES ?b {{ {values} }}
          ?work schema:author ?a , ?b . FILTER(STR(?a) < STR(?b))
        }} GROUP BY ?a ?b ORDER BY ?a ?b""")
    return [{"source": r["a"].value, "target": r["b"].value, "works": _int(r["works"])} for r in rows]


def graph_sizes(store: ox.Store) -> list[dict]:
    """Triples per named graph, largest first: ``{"iri", "title", "triples"}``
    (``title`` from the graph's ``dcterms:title`` in the meta graph, else None)."""
    rows = _rows(store, """
        SELECT ?g (COUNT(*) AS ?n) (SAMPLE(?t) AS ?title) WHERE {
          GRAPH ?g { ?s ?p ?o }
          OPTIONAL { ?g dcterms:title ?t }
        } GROUP BY ?g ORDER BY DESC(?n) ?g""")
    return [{"iri": r["g"].value, "title": r["title"].value if r["title"] is not None else None,
             "triples": _int(r["n"])} for r in rows]


def dataset_stats(store: ox.Store, top: int = 10, network: int = 20) -> dict:
    """Statistics of the whole store.

    :param top: how many of the most prolific people to list.
    :param network: how many of them make the co-authorship network.
    :returns: ``{"quads", "works", "people", "authorships", "graphs": [...],
        "works_per_year": [[year, n], ...], "works_without_date",
        "top_people": [...], "network": {"nodes": [...], "edges": [...]}}``.
    """
    works = _count(store, f"SELECT (COUNT(DISTINCT ?w) AS ?n) WHERE {{ {_WORK_VALUES} ?w a ?type }}")
    years = _rows(store, f"""
        SELECT ?year (COUNT(?w) AS ?n) WHERE {{
          {{ SELECT ?w (MIN(SUBSTR(STR(?d), 1, 4)) AS ?year) WHERE {{
               {_WORK_VALUES} ?w a ?type ; schema:datePublished ?d }} GROUP BY ?w }}
        }} GROUP BY ?year ORDER BY ?year""")
    per_year = [[r["year"].value, _int(r["n"])] for r in years if r["year"] is not None]
    ranked = ranked_people(store, max(top, network))
    nodes = ranked[:network]
    return {
        "quads": len(store),
        "works": works,
        "people": _count(store, "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a schema:Person }"),
        "authorships": _count(store, "SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE { ?w pro:isDocumentContextFor ?a }"),
        "graphs": graph_sizes(store),
        "works_per_year": per_year,
        "works_without_date": works - sum(n for _, n in per_year),
        "top_people": ranked[:top],
        "network": {"nodes": nodes, "edges": coauthor_network(store, nodes)},
    }
