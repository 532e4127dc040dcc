"""Reading SPARQL 1.1 Protocol requests (W3C SPARQL 1.1 Protocol §2.1, §2.2).

:func:`read_operation` turns a Flask request into a :class:`Operation` (query or
update, with its RDF dataset parameters) or raises :class:`ClientError` with
the HTTP status the protocol asks for.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import Request

from kg.sparql_scan import scan


class ClientError(Exception):
    """A request the protocol rejects: ``status`` is a 4xx code, ``message`` says
    what to change."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


@dataclass
class Operation:
    """A protocol operation: ``kind`` is ``"query"`` or ``"update"``; the graph
    lists are ``default-graph-uri``/``named-graph-uri`` for a query and
    ``using-graph-uri``/``using-named-graph-uri`` for an update."""

    kind: str
    text: str
    default_graphs: list[str] = field(default_factory=list)
    named_graphs: list[str] = field(default_factory=list)


_UTF8 = ("utf-8", "utf8")


def _check_charset(req: Request) -> None:
    charset = req.mimetype_params.get("charset")
    if charset and charset.lower() not in _UTF8:
        raise ClientError(415, f"charset {charset} is not supported: send UTF-8 (SPARQL 1.1 Protocol §2)")


def _single(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        raise ClientError(400, f"the '{name}' parameter is given {len(values)} times; send exactly one")
    return values[0] if values else None


def read_operation(req: Request) -> Operation | None:
    """The query or update operation carried by ``req``, or None when the
    request carries neither (a GET of the endpoint itself).

    :raises ClientError: 400 (repeated or conflicting parameters, bad
        encoding), 405 (update by GET), 415 (wrong or missing content type, a
        charset other than UTF-8).
    """
    args = req.args
    if req.method in ("GET", "HEAD"):
        if "update" in args:
            raise ClientError(405, "SPARQL Update must be sent by POST (SPARQL 1.1 Protocol §2.2)",
                              {"Allow": "POST"})
        query = _single(args.getlist("query"), "query")
        if query is None:
            return None
        return Operation("query", query, args.getlist("default-graph-uri"), args.getlist("named-graph-uri"))
    ctype = req.mimetype
    if ctype == "application/x-www-form-urlencoded":
        _check_charset(req)
        try:
            form = req.form
        except UnicodeDecodeError:
            raise ClientError(400, "the form is not valid UTF-8") from None
        query = _single(form.getlist("query"), "query")
        update = _single(form.getlist("update"), "update")
        if query is not None and update is not None:
            raise ClientError(400, "send either 'query' or 'update', not both")
        if query is not None:
            return Operation("query", query, form.getlist("default-graph-uri") + args.getlist("default-graph-uri"),
                             form.getlist("named-graph-uri") + args.getlist("named-graph-uri"))
        if update is not None:
            return Operation("update", update,
                             form.getlist("using-graph-uri") + args.getlist("using-graph-uri"),
                             form.getlist("using-named-graph-uri") + args.getlist("using-named-graph-uri"))
        raise ClientError(400, "the form has neither a 'query' nor an 'update' parameter")
    if ctype in ("application/sparql-query", "application/sparql-update"):
        _check_charset(req)
        try:
            text = req.get_data().decode("utf-8")
        except UnicodeDecodeError:
            raise ClientError(400, "the request body is not valid UTF-8") from None
        if ctype == "application/sparql-query":
            return Operation("query", text, args.getlist("default-graph-uri"), args.getlist("named-graph-uri"))
        return Operation("update", text, args.getlist("using-graph-uri"), args.getlist("using-named-graph-uri"))
    got = f"got {ctype}" if ctype else "no Content-Type was sent"
    raise ClientError(415, "POST a query as application/x-www-form-urlencoded or application/sparql-query, "
                           f"an update as application/x-www-form-urlencoded or application/sparql-update ({got})")


# --- using-graph-uri / using-named-graph-uri for updates (Protocol §2.2.3) ---

_IRI = re.compile(r"<[^<>\"{}|^`\\\x00-\x20]*>")


def apply_using(update: str, using: list[str], using_named: list[str]) -> str:
    """Apply the protocol's ``using-graph-uri``/``using-named-graph-uri`` to an
    update by adding ``USING``/``USING NAMED`` to each DELETE/INSERT ... WHERE
    operation.

    :raises ClientError: 400 when the update has its own USING, USING NAMED or
        WITH (the protocol forbids both at once).
    """
    if not using and not using_named:
        return update
    keywords = scan(update).words(depth=0)
    if any(k in ("USING", "WITH") for _, k in keywords):
        raise ClientError(400, "the update has its own USING or WITH clause and the request gives "
                               "using-graph-uri/using-named-graph-uri: use one or the other (Protocol §2.2.3)")
    clause = "".join(f"USING <{g}> " for g in using) + "".join(f"USING NAMED <{g}> " for g in using_named)
    for g in using + using_named:
        if not _IRI.fullmatch(f"<{g}>"):
            raise ClientError(400, f"not an IRI: {g!r}")
    out = update
    previous = None
    positions = []
    for pos, word in keywords:
        if word == "WHERE" and previous != "DELETE":
            positions.append(pos)
        previous = word
    for pos in reversed(positions):
        out = out[:pos] + clause + out[pos:]
    return out
