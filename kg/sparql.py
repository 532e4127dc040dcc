"""Running SPARQL 1.1 queries on the store and writing their results.

Shared by ``kg query`` and the HTTP endpoint. SELECT and ASK results are
written in the SPARQL 1.1 Query Results formats (JSON, XML, CSV, TSV);
CONSTRUCT and DESCRIBE results in the RDF formats of :mod:`kg.export`.
"""
from __future__ import annotations

import json
from typing import IO

import pyoxigraph as ox

from kg.export import FORMATS as GRAPH_FORMATS
from kg.export import format_name, serialize, to_jsonld
from kg.namespaces import PREFIXES
from kg.sparql_scan import scan

#: name -> (pyoxigraph format, media type)
RESULT_FORMATS: dict[str, tuple[ox.QueryResultsFormat, str]] = {
    "json": (ox.QueryResultsFormat.JSON, "application/sparql-results+json"),
    "xml": (ox.QueryResultsFormat.XML, "application/sparql-results+xml"),
    "csv": (ox.QueryResultsFormat.CSV, "text/csv"),
    "tsv": (ox.QueryResultsFormat.TSV, "text/tab-separated-values"),
}

Result = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples


class QueryError(Exception):
    """A query that cannot be run: syntax error (with line:column) or a bad
    dataset description. A client error (HTTP 400), never a server fault."""


def execute(store: ox.Store, query: str, default_graphs: list[str] | None = None,
            named_graphs: list[str] | None = None, base_iri: str | None = None,
            allow_service: bool = True) -> Result:
    """Run a SPARQL 1.1 query.

    Without ``default_graphs`` the default graph is the union of all graphs
    (what users of kg expect). ``default_graphs``/``named_graphs`` set the RDF
    dataset as the protocol's ``default-graph-uri``/``named-graph-uri`` do
    (SPARQL 1.1 Protocol §2.1.4), overriding FROM / FROM NAMED. ``base_iri``
    resolves relative IRIs in the query.

    :raises QueryError: syntax error (message says line and column) or an
        invalid graph IRI.
    """
    check_query(query, allow_service)
    default_graphs = list(dict.fromkeys(default_graphs or []))  # a repeated graph would count twice
    named_graphs = list(dict.fromkeys(named_graphs or []))
    kwargs: dict = {"base_iri": base_iri} if base_iri else {}
    try:
        if default_graphs:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
        if named_graphs:
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
        if not default_graphs:
            kwargs["use_default_graph_as_union"] = True
        return store.query(query, **kwargs)
    except SyntaxError as exc:
        raise QueryError(f"SPARQL syntax {exc}") from None
    except ValueError as exc:
        raise QueryError(f"bad dataset graph IRI: {exc}") from None


#: Deepest bracket nesting accepted: far beyond real queries, well within what
#: the engine's recursive parser handles without exhausting its stack.
MAX_NESTING = 200


def check_query(text: str, allow_service: bool = True) -> None:
    """Refuse, before parsing, what the engine should not be given.

    :raises QueryError: empty query, nesting deeper than :data:`MAX_NESTING`,
        or ``SERVICE`` when federation is off.
    """
    if not text.strip():
        raise QueryError("the query is empty")
    if allow_service and text.count("{") + text.count("(") + text.count("[") <= MAX_NESTING:
        return  # cannot nest deeper than it has opening brackets: no need to scan
    found = scan(text)
    if found.max_nesting > MAX_NESTING:
        raise QueryError(f"the query nests brackets {found.max_nesting} deep; the limit is {MAX_NESTING}")
    if not allow_service and any(w == "SERVICE" for _, w in found.words()):
        raise QueryError("SERVICE (federated query) is disabled on this endpoint")


def query_form(result: Result) -> str:
    """``"solutions"`` (SELECT), ``"boolean"`` (ASK) or ``"graph"`` (CONSTRUCT/DESCRIBE)."""
    if isinstance(result, ox.QuerySolutions):
        return "solutions"
    if isinstance(result, ox.QueryBoolean):
        return "boolean"
    return "graph"


def write_result(result: Result, fmt: str, out: IO[bytes]) -> None:
    """Write ``result`` to ``out`` in format ``fmt``.

    :param fmt: a results format name (json, xml, csv, tsv) for SELECT/ASK, an
        RDF format name (turtle, nt, nq, trig, rdfxml, jsonld) for graph results.
    :raises ValueError: the format does not fit the query form.
    """
    if query_form(result) == "graph":
        name = format_name(fmt)
        rdf_format = GRAPH_FORMATS[name][0]
        if rdf_format is None:
            out.write(json.dumps(to_jsonld(result), indent=2, ensure_ascii=False).encode("utf-8"))
            return
        serialize(result, out, name)
        return
    if fmt not in RESULT_FORMATS:
        raise ValueError(f"format {fmt!r} is not a SPARQL results format; use one of: {', '.join(RESULT_FORMATS)}")
    if query_form(result) == "boolean" and fmt in ("csv", "tsv"):
        out.write(b"true\n" if bool(result) else b"false\n")
        return
    result.serialize(out, format=RESULT_FORMATS[fmt][0])


def term_text(term: object, prefixes: dict[str, str] | None = None) -> str:
    """A short readable form of an RDF term for tables: IRIs compacted with
    ``prefixes`` when possible, literals as their lexical form."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        for p, ns in (prefixes or PREFIXES).items():
            if term.value.startswith(ns):
                return f"{p}:{term.value[len(ns):]}"
        return f"<{term.value}>"
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return term.value  # Literal
