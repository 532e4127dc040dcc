"""The build pipeline: source file -> records -> works -> IRIs -> triples -> store.

Everything is read and merged in memory before the store is opened for
writing, so a source that fails to read leaves the store untouched. The
works' and people's IRIs are then resolved against what the store already
holds (:mod:`kg.identity`), and the source's named graph is replaced
(:func:`kg.store.replace_graph`). A JSON build report per source is kept in
the store directory (``kg-reports/NAME.json``) for ``kg report``.
"""
from __future__ import annotations

import gc
import hashlib
import json
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyoxigraph as ox

from kg.clean import merge_duplicates
from kg.identity import StoreIndex, resolve
from kg.mapping import IRIs, describe_graph, map_works, slug
from kg.record import Problem, SourceError
from kg.sources import read_source
from kg.sources.listing import ListingSettings
from kg.nquads import ChunkedFiles, write_nquads
from kg.progress import progress, status
from kg.store import (ATOMIC_LIMIT, interrupted_builds, load_graph_file, open_for_writing, replace_graph,
                      to_quads)

REPORTS_DIR = "kg-reports"


@dataclass
class SourceReport:
    """What one source gave: counts read and written, problems, timing (s).

    ``duplicates``: records merged into another record of the same source.
    ``works_merged``/``people_merged``: works and people already in another
    source's graph, whose IRI was reused.
    """

    path: str
    name: str
    format: str = ""
    graph: str = ""
    records: int = 0
    works: int = 0
    duplicates: int = 0
    works_new: int = 0
    works_merged: int = 0
    people: int = 0
    people_new: int = 0
    people_merged: int = 0
    authorships: int = 0
    triples: int = 0
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)
    merges: list[dict] = field(default_factory=list)

    @property
    def merged(self) -> int:
        """Duplicate records merged within the source."""
        return self.duplicates

    @property
    def skipped(self) -> int:
        return sum(1 for p in self.problems if p.severity == "skipped")

    @property
    def warnings(self) -> int:
        return sum(1 for p in self.problems if p.severity == "warning")


def source_name(path: Path) -> str:
    """Default graph name of a source file: its file name without extension."""
    return slug(path.stem)


class Builder:
    """Builds sources into one store, one named graph each.

    The store is opened for writing at the first source that reads
    successfully (a source that fails to read never touches it) and kept open
    until :meth:`close`; the index of what the store holds, used to give the
    same work or person one IRI across sources, is loaded once and extended
    after each source.

    :param store_path: the Oxigraph store directory (created when missing).
    :param base_iri: base for minted IRIs.
    :raises ValueError: bad base IRI.
    """

    def __init__(self, store_path: str | Path, *, base_iri: str, settings: ListingSettings | None = None):
        self.store_path = Path(store_path)
        self.iris = IRIs(base_iri)
        self.settings = settings
        self.store: ox.Store | None = None
        self.index: StoreIndex | None = None
        self.wrote = False

    def __enter__(self) -> Builder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Compact the store after a build (queries then read one sorted run
        per index instead of many files: the large-result benchmark query took
        about 25 % less CPU), flush and release the store (and its write lock)."""
        if self.store is not None:
            if self.wrote:
                try:
                    self.store.optimize()
                except OSError:
                    pass  # an optimisation only: the data is committed already
            self.store.flush()
        self.store = None
        self.index = None

    def build(self, path: str | Path | list[Path], name: str | None = None, fmt: str | None = None) -> SourceReport:
        """Read one source and replace its named graph in the store.

        :param path: the source file (listing, BibTeX, CSL-JSON, OpenAlex,
            Crossref or paperoni JSON; see :mod:`kg.sources`), or several
            files making one source (then ``name`` is required).
        :param name: graph name (default: file stem); the graph IRI is
            ``{base}graph/source/{name}``.
        :param fmt: the source format (default: detected).
        :returns: a :class:`SourceReport`.
        :raises SourceError: the source cannot be used (nothing written).
        :raises ValueError: bad graph name.
        :raises kg.store.StoreError: the store cannot be written.
        """
        started = time.perf_counter()
        paths = [Path(p) for p in path] if isinstance(path, list) else [Path(path)]
        if len(paths) > 1 and not name:
            raise ValueError("several files make one source only under a --name")
        iris = self.iris
        name = slug(name) if name else source_name(paths[0])
        records, problems, formats = [], [], []
        for p in progress(paths, "reading", unit="file"):
            used, result = read_source(p, fmt, self.settings)
            records.extend(result.records)
            problems.extend(result.problems)
            formats.append(used)
        works = merge_duplicates(records)
        del records
        graph = iris.source_graph(name)
        files = [(_printable(p.name), hashlib.sha256(p.read_bytes()).hexdigest()) for p in paths]
        shown = str(paths[0]) if len(paths) == 1 else f"{paths[0]} and {len(paths) - 1} more files"
        report = SourceReport(path=shown, name=name, format="+".join(dict.fromkeys(formats)),
                              graph=str(graph), records=sum(len(w.records) for w in works), works=len(works),
                              duplicates=sum(len(w.records) - 1 for w in works), problems=problems,
                              authorships=sum(len(w.record.authors) for w in works))
        for w in works:
            if len(w.records) > 1:
                report.merges.append({"title": w.record.title, "records": [r.locator for r in w.records],
                                      "why": w.reasons[1:]})
        if self.store is None:
            self.store = open_for_writing(self.store_path)
        store = self.store
        if self.index is None:
            self.index = StoreIndex(store)
        for g in interrupted_builds(store, str(iris.meta_graph())):
            if g == str(graph):
                report.problems.append(Problem(report.path, None, "the previous build of this source was "
                                                                "interrupted; its graph is replaced now"))
        resolution = resolve(works, iris, name, self.index, str(graph))
        self.index.add(resolution, str(graph))
        report.problems.extend(resolution.problems)
        report.works_new, report.works_merged = resolution.works_new, resolution.works_merged
        report.people_new, report.people_merged = resolution.people_new, resolution.people_merged
        report.people = resolution.people_new + resolution.people_merged
        for res in resolution.works:
            if res.matched:
                report.merges.append({"title": res.work.record.title, "records": [r.locator for r in res.work.records],
                                      "why": [f"matches {res.iri} of another source: {res.matched}"]})
        estimate = 14 * len(works) + 8 * report.authorships
        triples = map_works(progress(resolution.works, "mapping", unit="work"), graph)

        def describe(n: int):
            return describe_graph(iris, graph, name=name, files=files, records=report.records, works=report.works,
                                  people=report.people, triples=n)

        if estimate <= ATOMIC_LIMIT:
            report.triples = replace_graph(store, self.store_path, str(graph), to_quads(triples, str(graph)),
                                           str(iris.meta_graph()), describe)
        else:
            with tempfile.TemporaryDirectory(prefix=".kg-build-", dir=self.store_path.parent) as tmp:
                parts = ChunkedFiles(Path(tmp))
                write_nquads(triples, str(graph), parts)
                parts.close()
                del triples, resolution, works  # free the records before the bulk loader runs
                gc.collect()
                with status("loading into the store"):
                    report.triples = load_graph_file(store, self.store_path, str(graph), parts.paths,
                                                     str(iris.meta_graph()), describe)
        self.wrote = True
        report.seconds = time.perf_counter() - started
        _save_report(self.store_path, report)
        return report


def build_source(path: str | Path | list[Path], store_path: str | Path, *, base_iri: str, name: str | None = None,
                 settings: ListingSettings | None = None, fmt: str | None = None) -> SourceReport:
    """Build one source into the store (see :meth:`Builder.build`).

    :raises SourceError: the source cannot be used (nothing written).
    :raises ValueError: bad base IRI or graph name.
    :raises kg.store.StoreError: the store cannot be written.
    """
    with Builder(store_path, base_iri=base_iri, settings=settings) as builder:
        return builder.build(path, name, fmt)


def _printable(name: str) -> str:
    """A file name as text even when it is not valid UTF-8 on disk."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _save_report(store_path: Path, report: SourceReport) -> None:
    folder = store_path / REPORTS_DIR
    folder.mkdir(exist_ok=True)
    data = asdict(report)
    data["problems"] = [asdict(p) for p in report.problems]
    (folder / f"{report.name}.json").write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")


def load_reports(store_path: str | Path) -> list[dict]:
    """The saved build reports of a store, one dict per source (by name)."""
    folder = Path(store_path) / REPORTS_DIR
    if not folder.is_dir():
        return []
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]


__all__ = ["Builder", "SourceReport", "SourceError", "build_source", "source_name", "load_reports"]
