"""The build pipeline: source file -> records -> works -> triples -> store.

Everything is read, merged and mapped in memory before the store is opened
for writing, so a source that fails to read leaves the store untouched.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

from kg.clean import merge_duplicates, person_key
from kg.mapping import IRIs, describe_graph, map_works, slug
from kg.record import Problem, SourceError
from kg.sources.listing import ListingSettings, read_listing
from kg.store import open_for_writing, replace_graph, to_quads


@dataclass
class SourceReport:
    """What one source gave: counts read and written, problems, timing (s)."""

    path: str
    name: str
    graph: str = ""
    records: int = 0
    works: int = 0
    merged: int = 0
    people: int = 0
    authorships: int = 0
    triples: int = 0
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return sum(1 for p in self.problems if p.severity == "skipped")


def source_name(path: Path) -> str:
    """Default graph name of a source file: its file name without extension."""
    return slug(path.stem)


def build_source(path: str | Path, store_path: str | Path, *, base_iri: str,
                 name: str | None = None, settings: ListingSettings | None = None) -> SourceReport:
    """Read one source and replace its named graph in the store.

    :param path: the source file (a publication listing, text).
    :param store_path: the Oxigraph store directory (created when missing).
    :param base_iri: base for minted IRIs.
    :param name: graph name (default: file stem); the graph IRI is
        ``{base}graph/source/{name}``.
    :returns: a :class:`SourceReport`.
    :raises SourceError: the source cannot be used (nothing written).
    :raises kg.store.StoreError: the store cannot be written (nothing written).
    """
    started = time.perf_counter()
    path = Path(path)
    iris = IRIs(base_iri)
    name = slug(name) if name else source_name(path)
    result = read_listing(path, settings)
    works = merge_duplicates(result.records)
    graph = iris.source_graph(name)
    triples = list(map_works(works, iris, graph, scope=name))
    people = {person_key(a, name) for w in works for a in w.record.authors}
    report = SourceReport(
        path=str(path), name=name, graph=str(graph), records=len(result.records),
        works=len(works), merged=len(result.records) - len(works), people=len(people),
        authorships=sum(len(w.record.authors) for w in works), problems=result.problems,
    )
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    meta = list(describe_graph(
        iris, graph, name=name, path=path.name, sha256=sha, records=report.records,
        works=report.works, people=report.people, triples=len(set(triples)),
    ))
    store = open_for_writing(store_path)
    try:
        report.triples = replace_graph(store, store_path, str(graph), list(to_quads(triples, str(graph))),
                                       str(iris.meta_graph()), meta)
    finally:
        del store
    report.seconds = time.perf_counter() - started
    return report


__all__ = ["SourceReport", "SourceError", "build_source", "source_name"]
