"""Checking the graph against kg's SHACL shapes (W3C SHACL, with SHACL-SPARQL).

The shapes are ``ontology/shapes.ttl``: every work has a title and at least
one authorship node; authorship positions run 1..n without gaps or
duplicates; ``schema:author`` and the authorship nodes agree; dates are valid
``xsd:date``/``xsd:gYearMonth``/``xsd:gYear`` literals; ``bibo:doi`` is a bare
lower-case DOI; ``schema:sameAs`` identifier IRIs have their scheme's form.

The data (the union of all graphs, or one named graph) is written as
N-Triples by pyoxigraph and parsed by rdflib, which pySHACL needs; pySHACL
then runs without inference (the graph states its types explicitly) and with
SHACL-SPARQL constraints enabled. The seed takes under a second; beyond,
about 3,500 triples/s (minutes for hundreds of thousands of triples).
"""
from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import rdflib
from rdflib.namespace import NamespaceManager
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.sparql import Query

from kg.namespaces import PREFIXES
from kg.resources import ontology_file

SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")


@dataclass(frozen=True, order=True)
class Violation:
    """One SHACL validation result (``sh:ValidationResult``), as text.

    ``focus`` and ``value`` are N-Triples-like (``<iri>``, ``"lex"^^xsd:type``),
    ``path`` a compact property path (``schema:name``, ``^pro:isDocumentContextFor``),
    ``value`` and ``path`` empty when the result has none. ``severity`` is
    ``Violation``, ``Warning`` or ``Info``; ``shape`` the source shape
    (``kgs:WorkName``) and ``component`` the constraint components that
    failed, comma-separated (``sh:MinCountConstraintComponent``).
    """

    focus: str
    path: str
    message: str
    value: str = ""
    severity: str = "Violation"
    shape: str = ""
    component: str = ""

    def line(self) -> str:
        """The result as one line: ``<focus> path: message (value)``."""
        text = f"{self.focus} {self.path}: {self.message}" if self.path else f"{self.focus}: {self.message}"
        if self.value:
            text += f" ({self.value})"
        if self.severity != "Violation":
            text += f" [{self.severity}]"
        return text


@dataclass
class ValidationResult:
    """What :func:`validate` found.

    ``conforms`` is pySHACL's verdict; ``violations`` are sorted by focus
    node, path and message; ``triples`` is the number of distinct triples
    checked; ``report`` the SHACL validation report graph (rdflib).
    """

    conforms: bool
    triples: int
    violations: list[Violation] = field(default_factory=list)
    report: rdflib.Graph | None = None

    @property
    def focus_nodes(self) -> int:
        """How many distinct focus nodes have a result."""
        return len({v.focus for v in self.violations})


def shapes_file() -> Path:
    """The shapes shipped with kg (``ontology/shapes.ttl``)."""
    return ontology_file("shapes.ttl")


def load_shapes(path: str | Path | None = None) -> rdflib.Graph:
    """The shapes graph, parsed from ``path`` (default: :func:`shapes_file`).

    :raises OSError: the file cannot be read.
    :raises rdflib.plugins.parsers.notation3.BadSyntax: not valid Turtle.
    """
    return rdflib.Graph().parse(str(path or shapes_file()), format="turtle")


@contextlib.contextmanager
def _quiet_rdflib() -> Iterator[None]:
    # rdflib logs a traceback for each ill-typed literal ("2019-02-30"^^xsd:date);
    # reporting those is the shapes' job, so keep the console clean.
    log = logging.getLogger("rdflib.term")
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        log.setLevel(level)


class _PreparedQueries(rdflib.Graph):
    """An rdflib graph that parses each SPARQL query text once.

    pySHACL runs every SHACL-SPARQL constraint once per focus node with the
    same text (``$this`` goes in as a binding); rdflib would parse it again
    each time, which took half of the validation time.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._prepared: dict[str, Query] = {}

    def query(self, query_object, *args, **kwargs):
        """:meth:`rdflib.Graph.query`, with query texts parsed once."""
        if isinstance(query_object, str):
            prepared = self._prepared.get(query_object)
            if prepared is None:
                prepared = self._prepared[query_object] = prepareQuery(query_object)
            query_object = prepared
        return super().query(query_object, *args, **kwargs)


def store_graph(store: ox.Store, graph: str | None = None) -> rdflib.Graph:
    """The triples of ``store`` as an rdflib graph: the union of all graphs
    (each triple once), or the named graph ``graph`` only.

    :raises LookupError: ``graph`` is not a named graph of the store.
    """
    if graph is not None:
        g = ox.NamedNode(graph)
        if not store.contains_named_graph(g):
            raise LookupError(f"no named graph <{graph}> in the store")
        quads = store.quads_for_pattern(None, None, None, g)
    else:
        quads = store.quads_for_pattern(None, None, None, None)
    buf = io.BytesIO()
    ox.serialize((q.triple for q in quads), buf, ox.RdfFormat.N_TRIPLES)
    data = _PreparedQueries()
    with _quiet_rdflib():
        data.parse(data=buf.getvalue(), format="nt")
    return data


def validate_graph(data: rdflib.Graph, shapes: rdflib.Graph | None = None) -> ValidationResult:
    """Validate an rdflib graph against SHACL shapes with pySHACL.

    :param data: the data graph. pySHACL works on it in place, without a
        copy: shapes with SHACL rules (sh:rule) would add their triples to it;
        kg's have none. Graphs from :func:`store_graph` validate faster (each
        SPARQL constraint is parsed once).
    :param shapes: the shapes graph (default: kg's, :func:`load_shapes`).
    :returns: a :class:`ValidationResult`.
    :raises pyshacl.errors.ReportableRuntimeError: the shapes are not valid SHACL.
    """
    import pyshacl

    shapes = shapes if shapes is not None else load_shapes()
    with _quiet_rdflib():
        conforms, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", advanced=True,
                                               inplace=True, abort_on_first=False, meta_shacl=False, debug=False)
    return ValidationResult(conforms=bool(conforms), triples=len(data), violations=_violations(report),
                            report=report)


def validate(store: ox.Store, graph: str | None = None, shapes: str | Path | None = None) -> ValidationResult:
    """Validate the store's union graph (or one named graph) against kg's
    SHACL shapes (W3C SHACL Core and SHACL-SPARQL, run by pySHACL).

    :param store: an open pyoxigraph store (read-only is enough).
    :param graph: IRI of one named graph to check instead of the union.
    :param shapes: a shapes file to use instead of ``ontology/shapes.ttl``.
    :returns: a :class:`ValidationResult` (``conforms`` false when any result
        has severity Violation, Warning or Info).
    :raises LookupError: ``graph`` is not in the store.
    """
    return validate_graph(store_graph(store, graph), load_shapes(shapes))


_SHAPES_NS = "https://w3id.org/kg/shapes#"


def _namespaces(graph: rdflib.Graph | None = None) -> NamespaceManager:
    nm = NamespaceManager(graph if graph is not None else rdflib.Graph(), bind_namespaces="none")
    for prefix, iri in {**PREFIXES, "kgs": _SHAPES_NS}.items():
        nm.bind(prefix, iri, override=True, replace=True)
    return nm


def report_turtle(result: ValidationResult) -> bytes:
    """The W3C SHACL validation report of ``result`` as Turtle (UTF-8), with
    kg's prefixes (``schema:`` is ``http://schema.org/``)."""
    report = result.report if result.report is not None else rdflib.Graph()
    report.namespace_manager = _namespaces(report)
    return report.serialize(format="turtle", encoding="utf-8")


def term_text(node: rdflib.term.Node | None, nm: NamespaceManager | None = None) -> str:
    """A term as in N-Triples, datatypes shortened with kg's prefixes when
    ``nm`` is given: ``<https://…>``, ``"2019-02-30"^^xsd:date``, ``"text"``."""
    if node is None:
        return ""
    if isinstance(node, rdflib.Literal):
        lex = str(node).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        if node.language:
            return f'"{lex}"@{node.language}'
        if node.datatype:
            return f'"{lex}"^^{_compact(node.datatype, nm)}'
        return f'"{lex}"'
    if isinstance(node, rdflib.URIRef):
        return f"<{node}>"
    return f"_:{node}"


def _compact(iri: rdflib.URIRef, nm: NamespaceManager | None) -> str:
    if nm is not None:
        try:
            prefix, _, local = nm.compute_qname(str(iri), generate=False)
            return f"{prefix}:{local}"
        except (KeyError, ValueError):
            pass
    return f"<{iri}>"


def _path_text(report: rdflib.Graph, path: rdflib.term.Node | None, nm: NamespaceManager) -> str:
    if path is None:
        return ""
    if isinstance(path, rdflib.URIRef):
        return _compact(path, nm)
    inverse = report.value(path, SH.inversePath)
    if inverse is not None:
        return "^" + _path_text(report, inverse, nm)
    return "(complex path)"


def _violations(report: rdflib.Graph) -> list[Violation]:
    nm = _namespaces()
    # One value failing several constraints of one shape ("8"^^xsd:string: sh:datatype
    # and sh:minInclusive) gives one result per constraint with the same message:
    # they become one Violation naming every component.
    merged: dict[tuple, set[str]] = {}
    for r in report.subjects(rdflib.RDF.type, SH.ValidationResult):
        shape = report.value(r, SH.sourceShape)
        messages = sorted(str(m) for m in report.objects(r, SH.resultMessage))
        severity = report.value(r, SH.resultSeverity)
        key = (term_text(report.value(r, SH.focusNode), nm),
               _path_text(report, report.value(r, SH.resultPath), nm),
               "; ".join(messages) or "(no message)",
               term_text(report.value(r, SH.value), nm),
               str(severity).rsplit("#", 1)[-1] if severity else "Violation",
               _compact(shape, nm) if isinstance(shape, rdflib.URIRef) else "")
        merged.setdefault(key, set()).add(_compact(report.value(r, SH.sourceConstraintComponent), nm))
    return sorted(Violation(*key, component=", ".join(sorted(c))) for key, c in merged.items())


__all__ = ["ValidationResult", "Violation", "load_shapes", "report_turtle", "shapes_file", "store_graph", "term_text",
           "validate", "validate_graph"]
