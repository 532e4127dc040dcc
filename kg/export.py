"""Serialisations of the store: Turtle, TriG, N-Triples, N-Quads, RDF/XML and
compact JSON-LD.

pyoxigraph writes every format but JSON-LD (fast, in Rust). Compact JSON-LD
(JSON-LD 1.1 §6 Compaction) is done by rdflib with the schema.org context
shipped in ``ontology/context.jsonld``; no context is ever fetched from the
network. The ``@context`` written out keeps only the entries the document uses.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import IO

import pyoxigraph as ox
import rdflib

from kg.namespaces import PREFIXES
from kg.resources import ontology_file

#: name -> (pyoxigraph format or None for JSON-LD, media type, file extension, is a dataset format)
FORMATS: dict[str, tuple[ox.RdfFormat | None, str, str, bool]] = {
    "turtle": (ox.RdfFormat.TURTLE, "text/turtle", "ttl", False),
    "nt": (ox.RdfFormat.N_TRIPLES, "application/n-triples", "nt", False),
    "nq": (ox.RdfFormat.N_QUADS, "application/n-quads", "nq", True),
    "trig": (ox.RdfFormat.TRIG, "application/trig", "trig", True),
    "rdfxml": (ox.RdfFormat.RDF_XML, "application/rdf+xml", "rdf", False),
    "jsonld": (None, "application/ld+json", "jsonld", False),
}
ALIASES = {"ttl": "turtle", "ntriples": "nt", "n-triples": "nt", "nquads": "nq", "n-quads": "nq",
           "xml": "rdfxml", "rdf": "rdfxml", "json-ld": "jsonld"}


def format_name(name: str) -> str:
    """Canonical format name for ``name`` (accepts aliases such as ``ttl``).

    :raises ValueError: unknown format, with the list of known ones.
    """
    key = ALIASES.get(name.lower(), name.lower())
    if key not in FORMATS:
        raise ValueError(f"unknown RDF format {name!r}; use one of: {', '.join(FORMATS)}")
    return key


@lru_cache(maxsize=1)
def schema_context() -> dict:
    """The JSON-LD context of ``ontology/context.jsonld`` (schema.org 30.0 plus
    kg's prefixes), as a dict."""
    with ontology_file("context.jsonld").open(encoding="utf-8") as f:
        return json.load(f)["@context"]


def _used_terms(node: object, terms: set[str]) -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            terms.add(k)
            if k in ("@type", "type"):
                for t in v if isinstance(v, list) else [v]:
                    if isinstance(t, str):
                        terms.add(t)
            _used_terms(v, terms)
    elif isinstance(node, list):
        for v in node:
            _used_terms(v, terms)
    elif isinstance(node, str):
        terms.add(node)


def prune_context(doc: dict, ctx: dict) -> dict:
    """Keep only the context entries ``doc`` needs: ``@vocab``, prefixes used in
    compact IRIs, and term definitions whose term appears."""
    used: set[str] = set()
    _used_terms(doc.get("@graph", doc), used)
    prefixes = {u.split(":", 1)[0] for u in used if ":" in u and not u.startswith(("http:", "https:", "urn:"))}
    out = {k: v for k, v in ctx.items() if k.startswith("@") or k in used or k in ("id", "type")}
    # prefixes used by the document or by the term definitions kept
    for v in out.values():
        for iri in (v.get("@id"), v.get("@type")) if isinstance(v, dict) else ():
            if isinstance(iri, str) and ":" in iri:
                prefixes.add(iri.split(":", 1)[0])
    out.update({p: ctx[p] for p in sorted(prefixes) if p in ctx})
    return out


def to_jsonld(triples: Iterable[ox.Triple], context: dict | None = None) -> dict:
    """Compact JSON-LD (one ``@graph``) for ``triples``.

    :param triples: pyoxigraph triples (a graph's content or a query result).
    :param context: the context to compact with (default: :func:`schema_context`).
    :returns: a JSON-serialisable dict with a pruned ``@context`` and ``@graph``.
    """
    ctx = context or schema_context()
    g = rdflib.Graph()
    nt = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    if nt:
        g.parse(data=nt.decode("utf-8"), format="nt")
    doc = json.loads(g.serialize(format="json-ld", context=ctx, auto_compact=True, use_native_types=True))
    if "@graph" not in doc:
        body = {k: v for k, v in doc.items() if k != "@context"}
        doc = {"@context": ctx, "@graph": [body] if body else []}
    doc["@context"] = prune_context(doc, ctx)
    return doc


def store_triples(store: ox.Store, graph: str | None) -> Iterator[ox.Triple]:
    """Triples of named graph ``graph``, or of the union of all graphs (each
    triple once) when ``graph`` is None."""
    if graph:
        for q in store.quads_for_pattern(None, None, None, ox.NamedNode(graph)):
            yield q.triple
        return
    # The all-graphs scan runs on the SPOG index: a triple held by several
    # graphs comes out in adjacent quads, so dropping repeats of the previous
    # triple de-duplicates while streaming, with subjects grouped.
    previous = None
    for q in store.quads_for_pattern(None, None, None, None):
        t = q.triple
        if t != previous:
            yield t
            previous = t


def export(store: ox.Store, fmt: str, out: IO[bytes], graph: str | None = None) -> None:
    """Write the store (or one named graph) to ``out`` in format ``fmt``.

    Dataset formats (``nq``, ``trig``) keep graph names; triple formats write
    the union of graphs (or the one ``graph``). N-Triples and N-Quads stream
    from the store; JSON-LD is built in memory.

    :raises ValueError: unknown format, or ``graph`` not in the store.
    """
    fmt = format_name(fmt)
    rdf_format, _, _, is_dataset = FORMATS[fmt]
    if graph and not store.contains_named_graph(ox.NamedNode(graph)):
        known = ", ".join(sorted(g.value for g in store.named_graphs()))
        raise ValueError(f"no graph <{graph}> in the store; graphs: {known}")
    if rdf_format is None:
        doc = to_jsonld(store_triples(store, graph))
        out.write(json.dumps(doc, indent=2, ensure_ascii=False).encode("utf-8"))
        out.write(b"\n")
        return
    if is_dataset:
        g = ox.NamedNode(graph) if graph else None
        data: Iterable = (q for q in store.quads_for_pattern(None, None, None, g)
                          if not isinstance(q.graph_name, ox.DefaultGraph) or g is None)
    else:
        data = store_triples(store, graph)
    kwargs = {"prefixes": PREFIXES} if fmt in ("turtle", "trig", "rdfxml") else {}
    ox.serialize(data, out, format=rdf_format, **kwargs)
