"""The embedded, on-disk Oxigraph store (pyoxigraph).

One process may hold a store read-write (``kg build``); readers (``kg serve``,
``kg query``) open it read-only and see the data as of their opening. Each
successful write bumps a generation number kept in the file ``kg-generation``
inside the store directory, so long-lived readers know when to reopen.

A source graph is replaced atomically: its new triples are bulk-loaded into a
staging graph, then one SPARQL Update (a single Oxigraph transaction) moves
them over the old graph and rewrites the graph's description in the meta graph.
"""
from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

GENERATION_FILE = "kg-generation"
STAGING_MARK = "/staging/"


class StoreError(Exception):
    """The store cannot be opened or written (missing, locked, corrupt)."""


def default_store_path() -> Path:
    """``$KG_STORE`` if set, else ``./kg-store``."""
    return Path(os.environ.get("KG_STORE") or "kg-store")


def to_ox(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """Convert an rdflib term to the pyoxigraph term with the same RDF meaning."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    raise TypeError(f"cannot store {term!r}")


def to_quads(triples: Iterable[tuple[Node, Node, Node]], graph: str) -> Iterator[ox.Quad]:
    """rdflib triples as pyoxigraph quads in the named graph ``graph``."""
    g = ox.NamedNode(graph)
    for s, p, o in triples:
        yield ox.Quad(to_ox(s), to_ox(p), to_ox(o), g)


def read_generation(path: Path) -> int:
    """The store's generation number (0 when never written by kg)."""
    try:
        return int((Path(path) / GENERATION_FILE).read_text().strip() or 0)
    except (OSError, ValueError):
        return 0


def bump_generation(path: Path) -> int:
    """Record that the store changed (readers reopen); returns the new number."""
    gen = read_generation(path) + 1
    tmp = Path(path) / f".{GENERATION_FILE}.{os.getpid()}"
    tmp.write_text(f"{gen}\n")
    os.replace(tmp, Path(path) / GENERATION_FILE)  # atomic on POSIX
    return gen


def open_read_only(path: str | Path) -> ox.Store:
    """Open an existing store for reading.

    :raises StoreError: no store at ``path`` (with a hint to run ``kg build``),
        or it cannot be opened.
    """
    path = Path(path)
    if not path.is_dir() or not any(path.iterdir()):
        raise StoreError(f"{path}: no store here (run `kg build SOURCE --store {path}` first)")
    try:
        return ox.Store.read_only(str(path))
    except OSError as exc:
        raise StoreError(f"{path}: cannot open the store: {exc}") from None


def open_for_writing(path: str | Path, wait: float = 30.0) -> ox.Store:
    """Open (or create) the store read-write, waiting up to ``wait`` seconds for
    another writer to finish.

    :raises StoreError: still locked after ``wait`` seconds, or not a store.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise StoreError(f"{path}: exists and is not a store directory")
    deadline = time.monotonic() + wait
    while True:
        try:
            return ox.Store(str(path))
        except OSError as exc:
            locked = "lock" in str(exc).lower()
            if not locked or time.monotonic() >= deadline:
                why = "locked by another kg build" if locked else str(exc)
                raise StoreError(f"{path}: cannot open the store for writing: {why}") from None
            time.sleep(0.2)


def replace_graph(store: ox.Store, path: str | Path, graph: str, quads: Iterable[ox.Quad],
                  meta_graph: str, meta_triples: Iterable[tuple[Node, Node, Node]]) -> int:
    """Replace named graph ``graph`` and its description in ``meta_graph`` in
    one atomic step.

    :param quads: the new content; their graph component is ignored.
    :param meta_triples: the description of ``graph`` (subjects ``graph`` and
        ``{graph}#...``), replacing the previous one.
    :returns: the number of triples now in ``graph``.
    :raises StoreError: the write failed; the store is as it was.
    """
    staging = ox.NamedNode(f"{graph}{STAGING_MARK}{uuid.uuid4().hex}")
    for old in list(store.named_graphs()):
        if STAGING_MARK in old.value:  # left over by an interrupted build
            store.remove_graph(old)
    try:
        store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, staging) for q in quads)
        meta = "\n".join(
            f"{to_ox(s)} {to_ox(p)} {to_ox(o)} ." for s, p, o in meta_triples
        )
        g = f"<{graph}>"
        store.update(
            f"MOVE SILENT GRAPH {staging} TO GRAPH {g} ;\n"
            f"DELETE {{ GRAPH <{meta_graph}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{meta_graph}> {{ ?s ?p ?o "
            f"FILTER(?s = {g} || STRSTARTS(STR(?s), \"{graph}#\")) }} }} ;\n"
            f"INSERT DATA {{ GRAPH <{meta_graph}> {{ {meta} }} }}"
        )
    except (OSError, SyntaxError, ValueError) as exc:
        try:
            store.remove_graph(staging)
        except OSError:
            pass
        raise StoreError(f"{path}: write failed, store unchanged: {exc}") from None
    store.flush()
    bump_generation(Path(path))
    n = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {g} {{ ?s ?p ?o }} }}")
    return int(next(iter(n))["n"].value)


def quad_count(store: ox.Store) -> int:
    """Number of quads in the store (all graphs)."""
    return len(store)
