"""Writes through the endpoint: SPARQL 1.1 Update and the Graph Store HTTP
Protocol's PUT, POST and DELETE.

The endpoint's query workers hold the store read-only; a write opens it
read-write for the length of one transaction (waiting for a running
``kg build`` to finish), then bumps the store generation so that workers
reopen and caches are dropped.
"""
from __future__ import annotations

import threading
from pathlib import Path

import pyoxigraph as ox

from kg.store import StoreError, bump_generation, open_for_writing

_LOCK = threading.Lock()


class WriteError(Exception):
    """A write that could not be applied: ``status`` 400 (bad update or data)
    or 503 (store busy or unavailable)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def _open(path: Path, wait: float) -> ox.Store:
    try:
        return open_for_writing(path, wait=wait)
    except StoreError as exc:
        raise WriteError(503, str(exc)) from None


def run_update(path: str | Path, update: str, base_iri: str | None = None, wait: float = 10.0) -> None:
    """Apply a SPARQL 1.1 Update (one transaction).

    :raises WriteError: 400 syntax or evaluation error, 503 store busy.
    """
    with _LOCK:
        store = _open(Path(path), wait)
        try:
            store.update(update, base_iri=base_iri)
            store.flush()
        except SyntaxError as exc:
            raise WriteError(400, f"SPARQL Update syntax {exc}") from None
        except (ValueError, OSError) as exc:
            raise WriteError(400, f"the update failed: {exc}") from None
        finally:
            del store
        bump_generation(Path(path))


def _graph_term(graph: str | None) -> str:
    return f"GRAPH <{graph}>" if graph else "DEFAULT"


def graph_exists(store: ox.Store, graph: str | None) -> bool:
    return graph is None or store.contains_named_graph(ox.NamedNode(graph))


def write_graph(path: str | Path, graph: str | None, data: bytes, rdf_format: ox.RdfFormat, *,
                replace: bool, base_iri: str | None = None, wait: float = 10.0) -> bool:
    """Replace (PUT) or add to (POST) a graph's content, atomically.

    :param graph: graph IRI, or None for the default graph.
    :param data: the RDF document (a triple format).
    :returns: True when the graph did not exist before (201 Created).
    :raises WriteError: 400 unparsable data, 503 store busy.
    """
    try:
        triples = [q.triple if isinstance(q, ox.Quad) else q
                   for q in ox.parse(data, format=rdf_format, base_iri=base_iri, without_named_graphs=True)]
    except (SyntaxError, ValueError) as exc:
        raise WriteError(400, f"cannot parse the {rdf_format.name} body: {exc}") from None
    body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8")
    target = f"GRAPH <{graph}> {{ {body} }}" if graph else body
    with _LOCK:
        store = _open(Path(path), wait)
        try:
            created = not graph_exists(store, graph)
            drop = f"DROP SILENT {_graph_term(graph)} ;\n" if replace else ""
            create = f"CREATE SILENT GRAPH <{graph}> ;\n" if graph else ""
            store.update(f"{drop}{create}INSERT DATA {{ {target} }}")
            store.flush()
        except (SyntaxError, ValueError, OSError) as exc:
            raise WriteError(400, f"the write failed: {exc}") from None
        finally:
            del store
        bump_generation(Path(path))
    return created


def delete_graph(path: str | Path, graph: str | None, wait: float = 10.0) -> bool:
    """Delete a named graph (or empty the default graph).

    :returns: False when the named graph does not exist (404).
    :raises WriteError: 503 store busy.
    """
    with _LOCK:
        store = _open(Path(path), wait)
        try:
            if not graph_exists(store, graph):
                return False
            store.update(f"DROP SILENT {_graph_term(graph)}")
            store.flush()
        finally:
            del store
        bump_generation(Path(path))
    return True
