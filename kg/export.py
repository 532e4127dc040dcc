"""Serialisations of the store: Turtle, TriG, N-Triples, N-Quads, RDF/XML and
JSON-LD (compact, or framed per work), of the whole dataset, one named graph
or one resource.

pyoxigraph writes every format but JSON-LD (fast, in Rust), streaming from the
store. Compact JSON-LD (JSON-LD 1.1 §6 Compaction) is done by rdflib, a few
thousand triples at a time, with the schema.org context shipped in
``ontology/context.jsonld``; framed JSON-LD (JSON-LD 1.1 Framing) by PyLD. No
context is ever fetched from the network: the context is always given inline
and PyLD's document loader refuses every URL. The ``@context`` written out
keeps only the entries the document uses.
"""
from __future__ import annotations

import json
import math
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import IO

import pyoxigraph as ox
import rdflib

from kg.mapping import WORK_TYPES
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
#: JSON-LD shapes of ``export(..., frame=...)``.
FRAMES = ("work",)

SCHEMA = "http://schema.org/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
WORK_TYPE_IRIS = tuple(SCHEMA + t for t in sorted(WORK_TYPES))

# Triples compacted per rdflib call (whole subjects): bounds memory while
# keeping rdflib's per-call overhead small.
CHUNK_TRIPLES = 2000
# Works framed per PyLD call.
FRAME_BATCH = 64


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
    kg's prefixes and terms), as a dict."""
    with ontology_file("context.jsonld").open(encoding="utf-8") as f:
        return json.load(f)["@context"]


# -- contexts ---------------------------------------------------------------

def _used_terms(node: object, terms: set[str]) -> None:
    """Add to ``terms`` what ``node`` needs from a context: its keys, its type
    names, and the prefix (``"pro:"``) of each compact IRI among its values.
    Only those, so the set stays small however long the document."""
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
        prefix, sep, rest = node.partition(":")
        if sep and prefix and not rest.startswith("//") and " " not in prefix:
            terms.add(prefix + ":")


def _prune(used: set[str], ctx: dict) -> dict:
    prefixes = {u.split(":", 1)[0] for u in used if ":" in u and not u.startswith(("http:", "https:", "urn:"))}
    out = {k: v for k, v in ctx.items() if k.startswith("@") or k in used or k in ("id", "type")}
    # prefixes used by the document or by the term definitions kept
    for k, v in list(out.items()):
        if ":" in k and not k.startswith("@"):
            prefixes.add(k.split(":", 1)[0])
        for iri in (v.get("@id"), v.get("@type")) if isinstance(v, dict) else ():
            if isinstance(iri, str) and ":" in iri:
                prefixes.add(iri.split(":", 1)[0])
    out.update({p: ctx[p] for p in sorted(prefixes) if p in ctx})
    return out


def prune_context(doc: dict, ctx: dict) -> dict:
    """Keep only the context entries ``doc`` needs: ``@vocab``, prefixes used in
    compact IRIs, and term definitions whose term appears."""
    used: set[str] = set()
    _used_terms(doc.get("@graph", doc), used)
    return _prune(used, ctx)


def _expand(value: str, ctx: dict) -> str:
    prefix, sep, rest = value.partition(":")
    if sep and isinstance(ctx.get(prefix), str) and not rest.startswith("//"):
        return ctx[prefix] + rest
    return value


def _term_index(ctx: dict) -> tuple[dict, dict[str, list[str]]]:
    """(entries every compaction needs: keywords, aliases, prefixes;
    IRI -> the terms defined for it)."""
    base: dict = {}
    by_iri: dict[str, list[str]] = {}
    for k, v in ctx.items():
        if k.startswith("@") or isinstance(v, str):
            base[k] = v
        elif isinstance(v, dict) and isinstance(v.get("@id"), str):
            by_iri.setdefault(_expand(v["@id"], ctx), []).append(k)
    return base, by_iri


@lru_cache(maxsize=1)
def _schema_index() -> tuple[dict, dict[str, list[str]]]:
    return _term_index(schema_context())


def _context_for(triples: Iterable[ox.Triple], ctx: dict) -> dict:
    """The part of ``ctx`` that can matter when compacting ``triples``: every
    keyword, alias and prefix, and the terms of the predicates, classes and
    datatypes they use. Compacting with it gives the same document as with all
    of ``ctx`` (schema.org's has 3,000 terms), only faster."""
    base, by_iri = _schema_index() if ctx is schema_context() else _term_index(ctx)
    iris: set[str] = set()
    for t in triples:
        iris.add(t.predicate.value)
        o = t.object
        if isinstance(o, ox.Literal):
            iris.add(o.datatype.value)
        elif isinstance(o, ox.NamedNode) and t.predicate == RDF_TYPE:
            iris.add(o.value)
    out = dict(base)
    for iri in sorted(iris):
        for term in by_iri.get(iri, ()):
            out[term] = ctx[term]
    return out


# -- rdflib bridge ----------------------------------------------------------

def _rdflib_term(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> rdflib.term.Node:
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)  # same label in every chunk
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    dt = term.datatype.value
    if dt == XSD_STRING:
        return rdflib.Literal(term.value)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(dt), normalize=False)


def _rdflib_graph(triples: Iterable[ox.Triple]) -> rdflib.Graph:
    g = rdflib.Graph()
    for t in triples:
        g.add((_rdflib_term(t.subject), _rdflib_term(t.predicate), _rdflib_term(t.object)))
    return g


def _compact_nodes(triples: list[ox.Triple], ctx: dict) -> tuple[list[dict], dict]:
    """Node objects of ``triples`` compacted with ``ctx`` (rdflib), and the
    context used."""
    local = _context_for(triples, ctx)
    g = _rdflib_graph(triples)
    doc = json.loads(g.serialize(format="json-ld", context=local, auto_compact=True, use_native_types=True))
    if "@graph" in doc:
        nodes = doc["@graph"]
    else:
        body = {k: v for k, v in doc.items() if k != "@context"}
        nodes = [body] if body else []
    return sorted((_stable(_finite(n)) for n in nodes), key=_node_key), local


def _finite(node: object) -> object:
    """JSON has no infinities or NaN: such doubles stay typed value objects
    (``{"@value": "INF", "@type": "xsd:double"}``) instead of native numbers."""
    if isinstance(node, float) and not math.isfinite(node):
        lexical = "NaN" if math.isnan(node) else ("INF" if node > 0 else "-INF")
        return {"@value": lexical, "@type": "http://www.w3.org/2001/XMLSchema#double"}
    if isinstance(node, dict):
        return {k: _finite(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_finite(v) for v in node]
    return node


def _stable(node: object) -> object:
    """``node`` with its arrays in a fixed order: rdflib's follows Python's
    per-process string hashing, and the same data should give the same bytes.
    (Arrays without ``@list`` are sets in JSON-LD, so nothing changes.)"""
    if isinstance(node, dict):
        return {k: _stable(v) for k, v in node.items()}
    if isinstance(node, list):
        items = [_stable(v) for v in node]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
    return node


def _node_key(node: dict) -> str:
    return str(node.get("id", node.get("@id", "")))


def to_jsonld(triples: Iterable[ox.Triple], context: dict | None = None) -> dict:
    """Compact JSON-LD (one ``@graph``) for ``triples``, built in memory.

    :param triples: pyoxigraph triples (a graph's content or a query result).
    :param context: the context to compact with (default: :func:`schema_context`).
    :returns: a JSON-serialisable dict with a pruned ``@context`` and ``@graph``.
    """
    ctx = context or schema_context()
    nodes, local = _compact_nodes(list(triples), ctx)
    doc = {"@context": local, "@graph": nodes}
    doc["@context"] = prune_context(doc, local)
    return doc


def _subject_batches(triples: Iterable[ox.Triple], size: int) -> Iterator[list[ox.Triple]]:
    """Consecutive triples in lists of about ``size``, never splitting a run of
    one subject (so each node object is written once when subjects come grouped)."""
    batch: list[ox.Triple] = []
    for t in triples:
        if len(batch) >= size and t.subject != batch[-1].subject:
            yield batch
            batch = []
        batch.append(t)
    if batch:
        yield batch


def _write_graph_doc(nodes: Iterable[tuple[list[dict], dict]], out: IO[bytes]) -> None:
    """Write ``{"@context": ..., "@graph": [...]}`` from (node objects, context)
    batches. Nodes go to a temporary file while the terms they use are
    collected, so the pruned context can come first."""
    used: set[str] = set()
    ctx: dict = {}
    with tempfile.TemporaryFile() as spool:
        first = True
        for batch, local in nodes:
            ctx.update(local)
            for node in batch:
                _used_terms(node, used)
                # One node object per line: json's C encoder (indent=None) is
                # several times faster than its indenting Python one.
                text = json.dumps(node, ensure_ascii=False, separators=(", ", ": "))
                spool.write(("    " if first else ",\n    ").encode("utf-8") + text.encode("utf-8"))
                first = False
        head = json.dumps(_prune(used, ctx), indent=2, ensure_ascii=False).replace("\n", "\n  ")
        out.write(b'{\n  "@context": ' + head.encode("utf-8") + b',\n  "@graph": [\n')
        spool.seek(0)
        shutil.copyfileobj(spool, out)
        out.write(b"\n  ]\n}\n" if not first else b"  ]\n}\n")


def write_jsonld(triples: Iterable[ox.Triple], out: IO[bytes], context: dict | None = None) -> None:
    """Write compact JSON-LD (JSON-LD 1.1 §6, one ``@graph``) of ``triples`` to
    ``out``, streaming: triples are compacted a few thousand at a time, so
    memory stays flat whatever the size (give them grouped by subject, as
    :func:`store_triples` does, for one node object per subject)."""
    ctx = context or schema_context()
    _write_graph_doc((_compact_nodes(b, ctx) for b in _subject_batches(triples, CHUNK_TRIPLES)), out)


# -- framed JSON-LD -----------------------------------------------------------

def _no_network(url: str, options: dict | None = None):
    from pyld import jsonld

    raise jsonld.JsonLdError(f"kg never loads JSON-LD documents from the network (asked for {url})",
                             "jsonld.LoadDocumentError", {"url": url}, code="loading document failed")


def work_frame(ctx: dict) -> dict:
    """The JSON-LD 1.1 frame of a work: the work at the top, its authors
    (``schema:author``), identifiers and authorship nodes embedded; persons and
    IRIs that are referenced elsewhere are left as references."""
    types = []
    for iri in WORK_TYPE_IRIS:
        local = iri[len(SCHEMA):]
        types.append(local if local in ctx else iri)
    return {
        "@context": ctx,
        "@type": types,
        "author": {"@embed": "@always"},
        "identifier": {"@embed": "@always"},
        "dcterms:creator": {"@embed": "@never"},
        "pro:isDocumentContextFor": {"@embed": "@always", "pro:isHeldBy": {"@embed": "@never"}},
    }


def _as_list(v: object) -> list:
    return v if isinstance(v, list) else [] if v is None else [v]


def _ref(v: object) -> str | None:
    return v if isinstance(v, str) else v.get("id", v.get("@id")) if isinstance(v, dict) else None


def _int(v: object) -> int | None:
    if isinstance(v, dict):
        v = v.get("@value")
    try:
        return int(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _order_authors(work: dict) -> dict:
    """Sort ``author`` (always a list) and the authorship nodes by byline position."""
    positions: dict[str, int] = {}
    roles = _as_list(work.get("pro:isDocumentContextFor"))
    for a in roles:
        if not isinstance(a, dict):
            continue
        pos = _int(a.get("position"))
        for held in _as_list(a.get("pro:isHeldBy")):
            ref = _ref(held)
            if ref is not None and pos is not None:
                positions[ref] = min(pos, positions.get(ref, pos))
    if "author" in work:
        def key(p: object) -> tuple:
            ref = _ref(p) or ""
            name = p.get("name", "") if isinstance(p, dict) else ""
            return (ref not in positions, positions.get(ref, 0), str(name), ref)
        work["author"] = sorted(_as_list(work["author"]), key=key)
    if roles:
        work["pro:isDocumentContextFor"] = sorted(
            roles, key=lambda a: (_int(a.get("position")) is None, _int(a.get("position")) or 0, _ref(a) or "")
            if isinstance(a, dict) else (True, 0, str(a)))
    return work


_NATIVE_TYPES = {bool: "http://www.w3.org/2001/XMLSchema#boolean", int: "http://www.w3.org/2001/XMLSchema#integer"}


def _native(node: object) -> object:
    """Drop the ``@type`` of native booleans and integers in expanded JSON-LD:
    it is implied (JSON-LD 1.1 §8.6), and leaving it makes compaction write
    ``{"@value": 1, "type": "xsd:integer"}`` instead of ``1``."""
    if isinstance(node, list):
        return [_native(v) for v in node]
    if isinstance(node, dict):
        v = node.get("@value")
        if "@type" in node and type(v) in _NATIVE_TYPES and node["@type"] == _NATIVE_TYPES[type(v)]:
            return {k: x for k, x in node.items() if k != "@type"}
        return {k: _native(x) for k, x in node.items()}
    return node


def frame_works(triples: list[ox.Triple], context: dict | None = None) -> tuple[list[dict], dict]:
    """Frame ``triples`` per work (JSON-LD 1.1 Framing, by PyLD): one object per
    work (``schema:ScholarlyArticle``, ``Book``, ...), with ``author`` an array
    of embedded person objects (``id``, ``name``, ...) sorted by byline
    position (``schema:position`` of the authorship nodes).

    :returns: (work objects, the context they are compacted with).
    """
    from pyld import jsonld

    ctx = context or schema_context()
    local = _context_for(triples, ctx)
    g = _rdflib_graph(triples)
    expanded = _finite(_native(json.loads(g.serialize(format="json-ld", use_native_types=True))))
    framed = jsonld.frame(expanded, work_frame(local), options={"documentLoader": _no_network, "omitDefault": True})
    works = framed.get("@graph") if "@graph" in framed else [{k: v for k, v in framed.items() if k != "@context"}]
    return sorted((_order_authors(_stable(w)) for w in works if w), key=_node_key), local


# -- reading the store --------------------------------------------------------

def _graph_names(store: ox.Store) -> list:
    return [ox.DefaultGraph(), *sorted(store.named_graphs(), key=lambda g: g.value)]


def _has_subject(store: ox.Store, s, graph) -> bool:
    return next(iter(store.quads_for_pattern(s, None, None, graph)), None) is not None


def union_triples(store: ox.Store) -> Iterator[ox.Triple]:
    """The union of all graphs (default graph included), each triple once,
    grouped by subject, streaming.

    Graphs are scanned one after the other (Oxigraph's graph-subject-predicate
    order). A subject met in an earlier graph was already written; one that
    also appears in a later graph is written whole at once, from every graph,
    without repeats; any other (most of them) is written as it is scanned.
    Memory holds one subject's triples at most, never the dataset."""
    graphs = [g for g in _graph_names(store)
              if not isinstance(g, ox.DefaultGraph) or _has_subject(store, None, g)]
    for i, g in enumerate(graphs):
        earlier, later = graphs[:i], graphs[i + 1:]
        current = None
        mode = "skip"
        for q in store.quads_for_pattern(None, None, None, g):
            s = q.subject
            if s != current:
                current = s
                if any(_has_subject(store, s, h) for h in earlier):
                    mode = "skip"
                elif any(_has_subject(store, s, h) for h in later):
                    mode = "skip"  # written whole now, the rest of this run skipped
                    seen: set = set()
                    for q2 in store.quads_for_pattern(s, None, None, None):
                        t = q2.triple
                        if t not in seen:
                            seen.add(t)
                            yield t
                else:
                    mode = "stream"
            if mode == "stream":
                yield q.triple


def store_triples(store: ox.Store, graph: str | None) -> Iterator[ox.Triple]:
    """Triples of named graph ``graph``, or of the union of all graphs (each
    triple once) when ``graph`` is None; grouped by subject either way."""
    if graph:
        for q in store.quads_for_pattern(None, None, None, ox.NamedNode(graph)):
            yield q.triple
        return
    yield from union_triples(store)


def _store_quads(store: ox.Store, graph: str | None) -> Iterator[ox.Quad]:
    if graph:
        yield from store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
        return
    for g in _graph_names(store):  # one graph after the other: one TriG block each
        yield from store.quads_for_pattern(None, None, None, g)


def resource_exists(store: ox.Store, iri: str) -> bool:
    """Whether ``iri`` is a subject, an object or a graph name in the store."""
    node = ox.NamedNode(iri)
    return (_has_subject(store, node, None)
            or next(iter(store.quads_for_pattern(None, None, node, None)), None) is not None
            or store.contains_named_graph(node))


def own_quads(store: ox.Store, iri: str, graph: str | None = None) -> list[ox.Quad]:
    """The quads describing ``iri`` itself: its Concise Bounded Description
    (W3C Member Submission, 2005: its triples, following blank nodes), extended
    to the resources it owns, i.e. those whose IRI starts with ``iri/`` or
    ``iri#`` (a work's authorships and identifiers, a graph's file).

    :param graph: only quads of this named graph (default: all graphs).
    """
    g = ox.NamedNode(graph) if graph else None
    root = ox.NamedNode(iri)
    owned = (iri + "/", iri + "#")
    out: list[ox.Quad] = []
    todo = [root]
    seen = {root}
    while todo:
        s = todo.pop(0)
        for q in store.quads_for_pattern(s, None, None, g):
            out.append(q)
            o = q.object
            if o in seen:
                continue
            if isinstance(o, ox.BlankNode) or (isinstance(o, ox.NamedNode) and o.value.startswith(owned)):
                seen.add(o)
                todo.append(o)
    return out


LABELS = (RDF_TYPE, ox.NamedNode(SCHEMA + "name"), ox.NamedNode("http://purl.org/dc/terms/title"))


def describe_quads(store: ox.Store, iri: str, graph: str | None = None, *, inbound: bool = True,
                   inbound_limit: int = 10_000) -> list[ox.Quad]:
    """The description of one resource, as served at its IRI and written by
    ``kg export --resource``: :func:`own_quads` of ``iri``; the same for each
    resource it links to (a work's authors, with their names and ids); and,
    when ``inbound``, the quads pointing at it (a person's works) with the
    type and name of their subjects, at most ``inbound_limit`` of them.

    :param graph: only what this named graph says (default: every graph).
    :returns: distinct quads, in a stable order; empty when the store holds
        nothing about ``iri``.
    """
    g = ox.NamedNode(graph) if graph else None
    quads = own_quads(store, iri, graph)
    mine = {q.subject for q in quads}
    linked: dict = {}
    for q in quads:
        o = q.object
        if isinstance(o, ox.NamedNode) and o not in mine and q.predicate != RDF_TYPE:
            linked.setdefault(o, None)
    for o in linked:
        quads.extend(own_quads(store, o.value, graph))
    if inbound:
        subjects: dict = {}
        for n, q in enumerate(store.quads_for_pattern(None, None, ox.NamedNode(iri), g)):
            if n >= inbound_limit:
                break
            if q.subject not in mine:
                quads.append(q)
                subjects.setdefault(q.subject, None)
        for s in subjects:
            for p in LABELS:
                quads.extend(store.quads_for_pattern(s, p, None, g))
    return list(dict.fromkeys(quads))


def _unique_triples(quads: Iterable[ox.Quad]) -> list[ox.Triple]:
    return list(dict.fromkeys(q.triple for q in quads))


def _grouped(items: list, key) -> list:
    """``items`` grouped by ``key`` (groups in order of first appearance), so
    Turtle and TriG write each subject once."""
    groups: dict = {}
    for x in items:
        groups.setdefault(key(x), []).append(x)
    return [x for group in groups.values() for x in group]


def work_iris(store: ox.Store, graph: str | None = None) -> Iterator[str]:
    """IRIs of the works (``schema:ScholarlyArticle``, ``Book``, ...), each once,
    streaming (one type after the other, in index order)."""
    g = ox.NamedNode(graph) if graph else None
    types = [ox.NamedNode(t) for t in WORK_TYPE_IRIS]
    for i, t in enumerate(types):
        previous = None
        for q in store.quads_for_pattern(None, RDF_TYPE, t, g):
            s = q.subject
            if s == previous or not isinstance(s, ox.NamedNode):
                continue
            previous = s
            if any(next(iter(store.quads_for_pattern(s, RDF_TYPE, u, g)), None) for u in types[:i]):
                continue  # typed twice: written under the first type
            yield s.value


def _framed_batches(store: ox.Store, works: Iterable[str], graph: str | None,
                    ctx: dict) -> Iterator[tuple[list[dict], dict]]:
    batch: list[str] = []

    def run() -> tuple[list[dict], dict]:
        triples = _unique_triples(q for w in batch for q in describe_quads(store, w, graph, inbound=False))
        return frame_works(triples, ctx)

    for w in works:
        batch.append(w)
        if len(batch) >= FRAME_BATCH:
            yield run()
            batch = []
    if batch:
        yield run()


# -- export -------------------------------------------------------------------

class _XmlCarriageReturns:
    """Writes RDF/XML with carriage returns as ``&#13;``: pyoxigraph writes them
    raw, and XML parsers turn a raw CR into LF (XML 1.0 §2.11). The writer
    itself never emits a CR, so every one comes from a literal."""

    def __init__(self, out: IO[bytes]):
        self.out = out

    def write(self, data: bytes) -> int:
        self.out.write(bytes(data).replace(b"\r", b"&#13;"))
        return len(data)

    def flush(self) -> None:
        self.out.flush()


_XML_NAME_START = re.compile(r"[A-Za-z_\u00C0-\u02FF\u0370-\u1FFF\u2C00-\uD7FF][\w.\-\u00B7]*$")


def _rdfxml_predicates(data: Iterable) -> Iterator:
    """Pass triples through, refusing a predicate that RDF/XML cannot write
    (its IRI must end in an XML name, RDF/XML §2.2): pyoxigraph would write
    a broken element instead."""
    seen: set[str] = set()
    for t in data:
        p = t.predicate.value
        if p not in seen:
            if not _XML_NAME_START.search(p.rsplit("#", 1)[-1].rsplit("/", 1)[-1]):
                raise ValueError(f"RDF/XML cannot express the predicate <{p}> (its IRI does not end in an "
                                 "XML name); use Turtle, N-Triples or JSON-LD")
            seen.add(p)
        yield t


def serialize(data: Iterable, out: IO[bytes], fmt: str) -> None:
    """Write triples (or quads, for ``nq``/``trig``) with pyoxigraph in format
    ``fmt`` (any of :data:`FORMATS` but ``jsonld``), with kg's prefixes where
    the format has them.

    :raises ValueError: a predicate RDF/XML cannot express (``rdfxml`` only).
    """
    rdf_format = FORMATS[fmt][0]
    kwargs = {"prefixes": PREFIXES} if fmt in ("turtle", "trig", "rdfxml") else {}
    if fmt == "rdfxml":
        ox.serialize(_rdfxml_predicates(data), _XmlCarriageReturns(out), format=rdf_format, **kwargs)
        return
    ox.serialize(data, out, format=rdf_format, **kwargs)


def export(store: ox.Store, fmt: str, out: IO[bytes], graph: str | None = None, *,
           resource: str | None = None, frame: str | None = None) -> None:
    """Write the store, one named graph or one resource to ``out`` in format ``fmt``.

    * whole dataset / ``graph``: dataset formats (``nq``, ``trig``) keep graph
      names; triple formats write the union of graphs, each triple once (or
      the one ``graph``). Everything streams from the store, grouped by
      subject; JSON-LD is compacted a few thousand triples at a time.
    * ``resource``: its description (:func:`describe_quads`), restricted to
      ``graph`` when given.
    * ``frame="work"`` (JSON-LD only): one object per work with its authors
      in byline order (:func:`frame_works`), for the whole store, ``graph``
      or the one work ``resource``.

    :raises ValueError: unknown format or frame, a frame with a format other
        than JSON-LD, ``graph`` not in the store, nothing known about ``resource``.
    """
    fmt = format_name(fmt)
    rdf_format, _, _, is_dataset = FORMATS[fmt]
    if frame is not None:
        if frame not in FRAMES:
            raise ValueError(f"unknown frame {frame!r}; use one of: {', '.join(FRAMES)}")
        if fmt != "jsonld":
            raise ValueError("a frame applies to JSON-LD only (--format jsonld)")
    if graph and not store.contains_named_graph(ox.NamedNode(graph)):
        known = ", ".join(sorted(g.value for g in store.named_graphs()))
        raise ValueError(f"no graph <{graph}> in the store; graphs: {known}")
    if resource is not None:
        quads = describe_quads(store, resource, graph)
        if not quads and not resource_exists(store, resource):
            raise ValueError(f"nothing is known about <{resource}> in the store"
                             + (f" (graph <{graph}>)" if graph else ""))
    ctx = schema_context()
    if frame == "work":
        works = [resource] if resource is not None else work_iris(store, graph)
        _write_graph_doc(_framed_batches(store, works, graph, ctx), out)
        return
    if resource is not None:
        if is_dataset:
            data: Iterable = _grouped(quads, lambda q: (q.graph_name, q.subject))
        else:
            data = _grouped(_unique_triples(quads), lambda t: t.subject)
    else:
        data = _store_quads(store, graph) if is_dataset else store_triples(store, graph)
    if rdf_format is None:
        write_jsonld(data, out, ctx)
        return
    serialize(data, out, fmt)
