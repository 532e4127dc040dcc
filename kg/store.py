"""The embedded, on-disk Oxigraph store (pyoxigraph).

One process may hold a store read-write (``kg build``); readers (``kg serve``,
``kg query``) open it read-only and see the data as of their opening. Each
successful write bumps a generation number kept in the file ``kg-generation``
inside the store directory, so long-lived readers know when to reopen.

A source graph and its description in the meta graph are replaced in one
transaction (:func:`replace_graph`), or through the bulk loader for large
graphs (:func:`load_graph_file`).
"""
from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

GENERATION_FILE = "kg-generation"


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


def generation_token(path: Path) -> str:
    """The store's state token: ``"<generation> <random>"``, new at every
    write, so a store deleted and rebuilt is not taken for the old one ("" for
    a store never written by kg)."""
    try:
        return (Path(path) / GENERATION_FILE).read_text().strip()
    except OSError:
        return ""


class GenerationWatch:
    """The generation token of the store at ``path``, read again only when its
    file changed: one ``stat`` per call instead of a read, cheap enough to ask
    on every request. Every writer replaces the file (:func:`bump_generation`),
    so a new token always comes with a new inode."""

    def __init__(self, path: str | Path):
        self.file = Path(path) / GENERATION_FILE
        self._seen: tuple[int, int, int] | None = None
        self._token = ""

    def current(self) -> str:
        """The token now (``""`` for a store never written by kg)."""
        try:
            st = os.stat(self.file)
        except OSError:
            self._seen, self._token = None, ""
            return ""
        seen = (st.st_ino, st.st_mtime_ns, st.st_size)
        if seen != self._seen:
            self._token = generation_token(self.file.parent)
            self._seen = seen
        return self._token


def generation_number(token: str) -> int:
    """The generation number in a state token (0 for ``""`` or a malformed one)."""
    try:
        return int(token.split()[0])
    except (IndexError, ValueError):
        return 0


def read_generation(path: Path) -> int:
    """The store's generation number (0 when never written by kg)."""
    return generation_number(generation_token(path))


def bump_generation(path: Path) -> int:
    """Record that the store changed (readers reopen); returns the new number."""
    gen = read_generation(path) + 1
    tmp = Path(path) / f".{GENERATION_FILE}.{os.getpid()}"
    tmp.write_text(f"{gen} {uuid.uuid4().hex}\n")
    os.replace(tmp, Path(path) / GENERATION_FILE)  # atomic on POSIX
    return gen


def open_read_only(path: str | Path) -> ox.Store:
    """Open an existing store for reading (retrying for up to ~10 s while a
    writer's compaction makes it momentarily unreadable).

    :raises StoreError: no store at ``path`` (with a hint to run ``kg build``),
        or it cannot be opened.
    """
    path = Path(path)
    if not path.is_dir() or not any(path.iterdir()):
        raise StoreError(f"{path}: no store here (run `kg build SOURCE --store {path}` first)")
    for attempt in range(20):
        try:
            return ox.Store.read_only(str(path))
        except (OSError, RuntimeError) as exc:
            # A writer in another process may be compacting: RocksDB then reports
            # files of its manifest as missing for a moment. Try again shortly.
            if attempt == 19:
                raise StoreError(f"{path}: cannot open the store: {exc}") from None
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def open_for_writing(path: str | Path, wait: float = 30.0) -> ox.Store:
    """Open (or create, with missing parent directories) the store read-write,
    waiting up to ``wait`` seconds for another writer to finish.

    :raises StoreError: still locked after ``wait`` seconds, not a store, or
        the directory cannot be created.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise StoreError(f"{path}: exists and is not a store directory")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        blocking = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
        why = f"{blocking} is a file, not a directory" if blocking else (exc.strerror or str(exc))
        raise StoreError(f"{path}: cannot create the store's directory: {why}") from None
    if path.is_dir() and any(path.iterdir()) and not (path / "CURRENT").exists():
        raise StoreError(f"{path}: is a directory with other files, not a kg store; give another --store")
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


#: Up to this many triples, a graph is replaced in one transaction; beyond it
#: the bulk loader is used. Transactional inserts ran at 6–40k triples/s here
#: (slower as the store grows), the bulk loader at 60k+.
ATOMIC_LIMIT = 20_000
BUILD_STATE = "https://w3id.org/kg/vocab#buildState"


def _meta_delete(meta_graph: str, graph: str) -> str:
    return (f"DELETE {{ GRAPH <{meta_graph}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{meta_graph}> {{ ?s ?p ?o "
            f"FILTER(?s = <{graph}> || STRSTARTS(STR(?s), \"{graph}#\")) }} }}")


def interrupted_builds(store: ox.Store, meta_graph: str) -> list[str]:
    """Graphs whose last (bulk) build did not finish: their content is partial."""
    rows = store.query(f"SELECT ?g WHERE {{ GRAPH <{meta_graph}> {{ ?g <{BUILD_STATE}> \"building\" }} }}")
    return [r["g"].value for r in rows]


def replace_graph(store: ox.Store, path: str | Path, graph: str, quads: Iterable[ox.Quad],
                  meta_graph: str, describe: Callable[[int], Iterable[tuple[Node, Node, Node]]]) -> int:
    """Replace named graph ``graph`` and its description in ``meta_graph`` in
    one Oxigraph transaction: every reader sees the old or the new graph.
    Meant for up to :data:`ATOMIC_LIMIT` triples (old and new together);
    larger graphs go through :func:`load_graph_file`.

    :param quads: the new content, in ``graph``.
    :param describe: given the number of triples, the description of ``graph``
        (subjects ``graph`` and ``{graph}#...``) replacing the previous one.
    :returns: the number of triples now in ``graph``.
    :raises StoreError: the write failed; the store is as it was.
    """
    g = ox.NamedNode(graph)
    try:
        new = {q.triple for q in quads}
        body = ox.serialize(new, format=ox.RdfFormat.N_TRIPLES).decode("utf-8")
        store.update(f"DROP SILENT GRAPH {g} ;\n{_meta_delete(meta_graph, graph)} ;\n"
                     f"INSERT DATA {{ GRAPH {g} {{ {body} }} GRAPH <{meta_graph}> {{ {_meta_text(describe(len(new)))} }} }}")
    except (OSError, SyntaxError, ValueError) as exc:
        raise StoreError(f"{path}: write failed, store unchanged: {exc}") from None
    bump_generation(Path(path))
    return len(new)  # the graph was dropped first: it holds exactly these


def load_graph_file(store: ox.Store, path: str | Path, graph: str, nquads: list[Path], meta_graph: str,
                    describe: Callable[[int], Iterable[tuple[Node, Node, Node]]]) -> int:
    """Replace named graph ``graph`` with the content of N-Quads files, with
    Oxigraph's bulk loader (one call per file).

    The description is first marked ``kgv:buildState "building"``, the graph
    emptied and the file loaded, then the description is written. The endpoint
    still switches at once (its read-only snapshots are reopened only after the
    generation bump); a build interrupted midway leaves the marker, reported
    by :func:`interrupted_builds` and cleared by the next build.

    :returns: the number of triples now in ``graph``.
    :raises StoreError: the write failed.
    """
    g = ox.NamedNode(graph)
    try:
        store.update(f"{_meta_delete(meta_graph, graph)} ;\n"
                     f"INSERT DATA {{ GRAPH <{meta_graph}> {{ {g} <{BUILD_STATE}> \"building\" }} }}")
        if _count(store, g):
            store.remove_graph(g)
        for part in nquads:
            store.bulk_load(path=str(part), format=ox.RdfFormat.N_QUADS)
        n = _count(store, g)
        store.update(f"{_meta_delete(meta_graph, graph)} ;\n"
                     f"INSERT DATA {{ GRAPH <{meta_graph}> {{ {_meta_text(describe(n))} }} }}")
    except (OSError, SyntaxError, ValueError) as exc:
        raise StoreError(f"{path}: write failed: {exc}") from None
    bump_generation(Path(path))
    return n


def _meta_text(triples: Iterable[tuple[Node, Node, Node]]) -> str:
    return "\n".join(f"{to_ox(s)} {to_ox(p)} {to_ox(o)} ." for s, p, o in triples)


def _count(store: ox.Store, g: ox.NamedNode) -> int:
    rows = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {g} {{ ?s ?p ?o }} }}")
    return int(next(iter(rows))["n"].value)


def quad_count(store: ox.Store) -> int:
    """Number of quads in the store (all graphs)."""
    return len(store)
