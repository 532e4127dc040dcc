"""HTTP content negotiation (RFC 9110 §12.5.1) and the ``format=`` parameter.

Accept headers are parsed and matched by Werkzeug (q-values, ``*/*`` and
``type/*`` ranges, ``q=0`` excludes, the most specific range decides a
type's quality); ties go to the server's order of preference.
"""
from __future__ import annotations

import functools

from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from kg.export import ALIASES as RDF_ALIASES
from kg.export import FORMATS as RDF_FORMATS
from kg.sparql import RESULT_FORMATS

#: media type -> format name, in the server's order of preference.
SOLUTION_TYPES: dict[str, str] = {mt: name for name, (_, mt) in RESULT_FORMATS.items()}
SOLUTION_TYPES.update({"application/json": "json", "application/xml": "xml", "text/xml": "xml"})
GRAPH_TYPES: dict[str, str] = {v[1]: name for name, v in RDF_FORMATS.items()}
GRAPH_TYPES.update({"application/x-turtle": "turtle", "text/plain": "nt", "application/xml": "rdfxml",
                    "text/n3": "turtle", "application/json": "jsonld"})

# format= values, as kg's links and common clients (SPARQLWrapper, YASGUI) send them.
FORMAT_PARAM = {"json": "json", "xml": "xml", "csv": "csv", "tsv": "tsv",
                "turtle": "turtle", "ttl": "turtle", "n3": "turtle", "ntriples": "nt", "nt": "nt", "n-triples": "nt",
                "nquads": "nq", "nq": "nq", "trig": "trig", "rdfxml": "rdfxml", "rdf+xml": "rdfxml", "rdf": "rdfxml",
                "jsonld": "jsonld", "json-ld": "jsonld"}
# The same word names a graph format for CONSTRUCT/DESCRIBE results.
GRAPH_FOR = {"json": "jsonld", "xml": "rdfxml"}


class NotAcceptable(Exception):
    """No offered media type is acceptable (HTTP 406); ``available`` lists them."""

    def __init__(self, available: list[str]):
        super().__init__("none of the acceptable media types can be produced; available: " + ", ".join(available))
        self.available = available


def _without_parameters(accept: str) -> str:
    """The Accept value with media-type parameters other than ``q`` dropped:
    ``text/turtle; charset=utf-8`` asks for Turtle, which is always UTF-8."""
    out = []
    for item in accept.split(","):
        parts = [p.strip() for p in item.split(";")]
        keep = [parts[0]] + [p for p in parts[1:] if p.replace(" ", "").lower().startswith("q=")]
        if parts[0]:
            out.append(";".join(keep))
    return ", ".join(out)


def choose(accept: str | None, offers: dict[str, str]) -> tuple[str, str]:
    """Pick a format for an ``Accept`` header value.

    :param accept: the header value (None or empty: anything goes).
    :param offers: media type -> format name, in preference order.
    :returns: (media type, format name).
    :raises NotAcceptable: nothing offered is acceptable.
    """
    first = next(iter(offers))
    if not accept or not accept.strip():
        return first, offers[first]
    best = _best_match(accept, tuple(offers))
    if best is None:
        raise NotAcceptable(list(dict.fromkeys(offers)))
    return best, offers[best]


@functools.lru_cache(maxsize=256)
def _best_match(accept: str, offers: tuple[str, ...]) -> str | None:
    # Clients send the same few Accept values over and over: parse each once.
    return parse_accept_header(_without_parameters(accept), MIMEAccept).best_match(list(offers))


def format_param(value: str, form: str) -> tuple[str, str]:
    """Media type and format name for a ``format=`` parameter value (a name
    such as ``json``, ``turtle``, ``n3``, or a media type).

    :param form: ``"solutions"``, ``"boolean"`` or ``"graph"``.
    :raises NotAcceptable: unknown value or one that does not fit the form.
    """
    v = value.strip().lower()
    offers = GRAPH_TYPES if form == "graph" else SOLUTION_TYPES
    if v in offers:  # a media type
        return v, offers[v]
    name = FORMAT_PARAM.get(v)
    if form == "graph":
        name = GRAPH_FOR.get(name or "", name)
        name = RDF_ALIASES.get(name or "", name)
        if name in RDF_FORMATS:
            return RDF_FORMATS[name][1], name
        raise NotAcceptable(["turtle", "ntriples", "nquads", "trig", "rdfxml", "jsonld"])
    if name in RESULT_FORMATS:
        return RESULT_FORMATS[name][1], name
    raise NotAcceptable(list(RESULT_FORMATS))
