"""The Flask application: a SPARQL 1.1 Protocol endpoint over the store.

Routes:

* ``GET|POST /sparql``: SPARQL 1.1 Protocol query operation (§2.1): ``query``
  by GET, by POST form (``application/x-www-form-urlencoded``) or directly
  (``application/sparql-query``), with ``default-graph-uri`` and
  ``named-graph-uri``. Results negotiated by ``Accept`` or ``format=``.
* ``GET /health``: 200 with the triple count when the store answers, else 503.

Client mistakes get a 4xx with a plain-text message; never a 500.
"""
from __future__ import annotations

import io
import threading
from pathlib import Path

import pyoxigraph as ox
from flask import Flask, Response, render_template, request
from werkzeug.exceptions import HTTPException

from kg.sparql import QueryError, execute, query_form, write_result
from kg.store import StoreError, open_read_only, read_generation
from kg.web.negotiate import GRAPH_TYPES, SOLUTION_TYPES, NotAcceptable, choose, format_param

TEXT = "text/plain; charset=utf-8"


class StoreHandle:
    """A read-only view of the store that is reopened after each build.

    Oxigraph read-only instances see the data as of their opening; ``kg build``
    bumps the store's generation number, and :meth:`get` reopens when it moved.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._generation = read_generation(self.path)
        self._store = open_read_only(self.path)

    def get(self) -> ox.Store:
        """The current store (reopened if a build happened since)."""
        gen = read_generation(self.path)
        if gen != self._generation:
            with self._lock:
                if gen != self._generation:
                    self._store = open_read_only(self.path)
                    self._generation = gen
        return self._store


def _error(status: int, message: str, **headers: str) -> Response:
    return Response(message.rstrip() + "\n", status=status, mimetype="text/plain", headers=headers)


def create_app(store_path: str | Path) -> Flask:
    """Build the WSGI application serving the store at ``store_path``.

    :raises StoreError: there is no store at ``store_path``.
    """
    app = Flask(__name__)
    handle = StoreHandle(store_path)
    app.config["KG_STORE"] = handle

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        # Plain text for people and scripts alike; Allow etc. are kept.
        resp = _error(exc.code or 500, f"{exc.code} {exc.name}: {exc.description}")
        for k, v in exc.get_headers():
            if k.lower() != "content-type":
                resp.headers[k] = v
        return resp

    @app.get("/health")
    def health() -> Response:
        try:
            n = len(handle.get())
        except (StoreError, OSError) as exc:
            return _error(503, f"store unavailable: {exc}")
        return Response(f'{{"status":"ok","triples":{n}}}\n', mimetype="application/json")

    @app.route("/", methods=["GET"])
    def index() -> Response:
        return Response(render_template("query.html"), mimetype="text/html")

    @app.route("/sparql", methods=["GET", "POST"])
    def sparql() -> Response:
        try:
            query, default_graphs, named_graphs = _read_query_request()
        except _ClientError as exc:
            return _error(exc.status, exc.message)
        if query is None:
            if (request.accept_mimetypes.best_match(["text/html", "text/turtle"]) == "text/html"):
                return Response(render_template("query.html"), mimetype="text/html")
            return _error(400, "missing the 'query' parameter (SPARQL 1.1 Protocol §2.1)")
        try:
            result = execute(handle.get(), query, default_graphs, named_graphs)
        except QueryError as exc:
            return _error(400, str(exc))
        form = query_form(result)
        try:
            fmt_param = request.args.get("format") or request.form.get("format")
            if fmt_param:
                media_type, fmt = format_param(fmt_param, form)
            else:
                offers = GRAPH_TYPES if form == "graph" else SOLUTION_TYPES
                media_type, fmt = choose(request.headers.get("Accept"), offers)
        except NotAcceptable as exc:
            return _error(406, str(exc))
        buf = io.BytesIO()
        write_result(result, fmt, buf)
        return Response(buf.getvalue(), content_type=media_type + "; charset=utf-8",
                        headers={"Vary": "Accept"})

    return app


class _ClientError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def _read_query_request() -> tuple[str | None, list[str], list[str]]:
    """The query text and dataset of a protocol request (SPARQL 1.1 Protocol §2.1)."""
    args = request.args
    if request.method == "GET":
        queries = args.getlist("query")
        if len(queries) > 1:
            raise _ClientError(400, "the 'query' parameter is given more than once")
        return (queries[0] if queries else None,
                args.getlist("default-graph-uri"), args.getlist("named-graph-uri"))
    ctype = request.mimetype
    if ctype == "application/x-www-form-urlencoded":
        form = request.form
        queries = form.getlist("query")
        if len(queries) > 1:
            raise _ClientError(400, "the 'query' parameter is given more than once")
        if not queries:
            raise _ClientError(400, "the form has no 'query' parameter")
        return (queries[0], form.getlist("default-graph-uri") + args.getlist("default-graph-uri"),
                form.getlist("named-graph-uri") + args.getlist("named-graph-uri"))
    if ctype == "application/sparql-query":
        charset = request.mimetype_params.get("charset", "utf-8").lower()
        if charset not in ("utf-8", "utf8"):
            raise _ClientError(415, f"charset {charset} is not supported: send UTF-8")
        try:
            text = request.get_data().decode("utf-8")
        except UnicodeDecodeError:
            raise _ClientError(400, "the query is not valid UTF-8") from None
        return text, args.getlist("default-graph-uri"), args.getlist("named-graph-uri")
    raise _ClientError(415, "POST a query as application/x-www-form-urlencoded or application/sparql-query"
                            f" (got {ctype or 'no content type'})")
