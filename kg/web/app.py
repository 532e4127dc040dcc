"""The Flask application: SPARQL 1.1 Protocol, Graph Store Protocol, health,
metrics.

Routes:

* ``GET|POST /sparql``: queries (SPARQL 1.1 Protocol §2.1) by GET, POST form or
  POST ``application/sparql-query``; updates (§2.2) by POST form or
  ``application/sparql-update`` when an update token is set. Without an
  operation: the query page for browsers, the Service Description otherwise.
* ``/rdf-graph-store?graph=IRI`` or ``?default``: SPARQL 1.1 Graph Store HTTP
  Protocol (GET, HEAD open; PUT, POST, DELETE with the update token).
* ``GET /health``: 200 with the triple count when the store answers, else 503.
* ``GET /metrics``: Prometheus text exposition.
* the pages of :mod:`kg.web.pages`: query page, work and person pages (every
  IRI under the base IRI), index and statistics pages.

Queries run on the threads of a killable worker process (:mod:`kg.web.pool`) under a time
limit. Answers of up to ``cache_body`` bytes are cached in memory and carry an
ETag keyed to the store generation, so a repeated query is answered without
running it (304 for ``If-None-Match``). Client mistakes get a 4xx with a
plain-text message; never a 500.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Response, g, request
from flask_cors import CORS
from werkzeug.exceptions import HTTPException

from kg.store import GenerationWatch, open_read_only
from kg.web.cache import GenerationCache
from kg.web.metrics import Metrics
from kg.web.negotiate import GRAPH_TYPES
from kg.web.pages import query_page, register
from kg.web.pool import PoolBusy, QueryPool, QueryTimeout, Session, WorkerDied
from kg.web.protocol import ClientError, Operation, apply_using, read_operation
from kg.web.writes import WriteError, delete_graph, run_update, write_graph


@dataclass
class Settings:
    """Endpoint limits and options (all configurable from ``kg serve``).

    ``timeout``: seconds a query may run, streaming included.
    ``max_body``: largest request body accepted, in bytes (413 beyond).
    ``max_rows``: most triples in a non-streamed result (JSON-LD).
    ``workers``: queries each server process runs at once (threads of its
    query worker process);
    ``processes``: server processes (sharing one query worker process).
    ``allocator``: the memory allocator of the query worker process, as
    reported by ``/health`` (``system``: the C library's malloc).
    ``query_address``: Unix socket of the query worker process shared by the
    server processes (:class:`kg.web.pool.QueryService`); None: each
    application starts a private one.
    ``update_token``: bearer token that enables writes; None disables them.
    ``cache_entries``/``cache_body``: in-memory answer cache (0 disables).
    ``allow_service``: whether queries may use SERVICE (federation).
    """

    timeout: float = 30.0
    max_body: int = 1024 * 1024
    max_rows: int = 100_000
    workers: int = 4
    processes: int = 1
    query_address: str | None = None
    allocator: str = "system"
    update_token: str | None = None
    cache_entries: int = 512
    cache_body: int = 1024 * 1024
    allow_service: bool = True


# Bytes buffered before an answer is committed to a 200 and streamed: a
# shorter answer is sent whole, with Content-Length, and can be cached.
COMMIT_BYTES = 1024 * 1024


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(message.rstrip() + "\n", status=status, mimetype="text/plain", headers=headers or {})


def create_app(store_path: str | Path, settings: Settings | None = None, check_store: bool = True) -> Flask:
    """Build the WSGI application serving the store at ``store_path``.

    ``check_store=False`` skips opening the store first (``kg serve`` checks it
    once; a server process restarted while a build replaces the store must
    still start, and answers 503 until the store is back).

    :raises kg.store.StoreError: there is no store at ``store_path`` (when checked).
    """
    settings = settings or Settings()
    store_path = Path(store_path)
    if check_store:
        open_read_only(store_path)  # fail now, with a clear message, if there is no store
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body
    CORS(app, resources={r"/(sparql|rdf-graph-store).*": {"origins": "*"}}, send_wildcard=True,
         expose_headers=["ETag", "Content-Type", "Content-Length"],
         allow_headers=["Content-Type", "Accept", "Authorization", "If-None-Match"])
    pool = QueryPool(str(store_path), size=settings.workers, timeout=settings.timeout, address=settings.query_address)
    cache: GenerationCache[tuple[str, bytes]] = GenerationCache(settings.cache_entries)
    metrics = Metrics()
    watch = GenerationWatch(store_path)  # one stat per request: fresh across server processes
    app.extensions["kg"] = {"pool": pool, "settings": settings, "metrics": metrics, "store": store_path,
                            "watch": watch}

    @app.before_request
    def _start() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def _count(resp: Response) -> Response:
        metrics.observe(request.endpoint or "unknown", resp.status_code, time.perf_counter() - g.get("started", time.perf_counter()))
        resp.headers["Server"] = "kg"
        return resp

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        code = exc.code or 500
        text = exc.description
        if code == 413:
            text = f"the request body is larger than {settings.max_body} bytes, this endpoint's limit"
        resp = _error(code, f"{code} {exc.name}: {text}")
        for k, v in exc.get_headers():
            if k.lower() != "content-type":
                resp.headers[k] = v
        return resp

    # -- answering through the pool ---------------------------------------

    def answer(job: dict, cache_key: str | None = None, head_only: bool = False) -> Response:
        generation = watch.current()
        etag = None
        if cache_key is not None:
            tag = hashlib.sha256(f"{generation}|{cache_key}".encode()).hexdigest()[:24]
            etag = f'"kg{generation.split(" ")[0]}-{tag}"'
            if request.method in ("GET", "HEAD") and request.if_none_match.contains(etag.strip('"')):
                return Response(status=304, headers={"ETag": etag, "Vary": "Accept"})
            hit = cache.get(cache_key, generation)
            if hit is not None:
                return _whole(hit[0], hit[1], etag, head_only)
        try:
            session = pool.start(job)
        except PoolBusy:
            metrics.timeouts.inc()
            return _error(503, f"all {pool.size} query workers of this server process stayed busy for {settings.timeout:g} s; "
                               "try again later", {"Retry-After": "5"})
        try:
            msg = session.next()
            if msg.kind == "X":
                err = msg.json()
                session.close()
                return _error(err["status"], err["message"])
            head = msg.json()
            body = bytearray()
            while len(body) < COMMIT_BYTES:
                msg = session.next()
                if msg.kind == "E":
                    session.close()
                    # cache only what the worker computed on the state this request saw
                    if cache_key is not None and len(body) <= settings.cache_body and \
                            head.get("generation") == generation:
                        cache.put(cache_key, generation, (head["media_type"], bytes(body)))
                    return _whole(head["media_type"], bytes(body), etag, head_only, head["status"])
                if msg.kind == "X":
                    err = msg.json()
                    session.close()
                    return _error(err["status"], err["message"])
                body += msg.payload
        except QueryTimeout:
            metrics.timeouts.inc()
            return _error(503, f"the query exceeded {settings.timeout:g} seconds, this endpoint's time limit, "
                               "and was stopped")
        except WorkerDied:
            return _error(503, "the query worker stopped unexpectedly; try again", {"Retry-After": "1"})
        return Response(_stream(session, bytes(body)), status=head["status"],
                        content_type=head["media_type"] + "; charset=utf-8", headers={"Vary": "Accept"})

    def _stream(session: Session, first: bytes) -> Iterator[bytes]:
        try:
            yield first
            while True:
                msg = session.next()
                if msg.kind == "X":  # failed mid-stream: the status is gone, cut the body short
                    raise RuntimeError(msg.json()["message"])
                if msg.kind != "D":
                    break
                yield msg.payload
        except (QueryTimeout, WorkerDied):
            metrics.timeouts.inc()
            # Headers are gone: closing the connection mid-body tells the client.
            raise
        finally:
            session.cancel()  # the client left early: stop the job, keep the worker (no-op once ended)

    def _whole(media_type: str, body: bytes, etag: str | None, head_only: bool, status: int = 200) -> Response:
        headers = {"Vary": "Accept"}
        if etag:
            headers["ETag"] = etag
        resp = Response(b"" if head_only else body, status=status,
                        content_type=media_type + "; charset=utf-8", headers=headers)
        if head_only:
            resp.headers["Content-Length"] = str(len(body))
        return resp

    def _check_token() -> Response | None:
        if not settings.update_token:
            return _error(403, "writes are disabled on this endpoint; start it with "
                               "`kg serve --update-token TOKEN` (or $KG_UPDATE_TOKEN) to allow them")
        auth = request.headers.get("Authorization", "")
        if not auth:
            return _error(401, "this write needs 'Authorization: Bearer TOKEN'",
                          {"WWW-Authenticate": 'Bearer realm="kg"'})
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), settings.update_token.encode()):
            return _error(403, "the bearer token is not the endpoint's update token")
        return None

    # -- routes -----------------------------------------------------------

    @app.get("/health")
    def health() -> Response:
        try:
            head, body = pool.run({"kind": "stats"}, timeout=min(10.0, settings.timeout))
        except (QueryTimeout, PoolBusy, WorkerDied):
            return _error(503, "the store did not answer within 10 s")
        if head.get("status") != 200:
            return _error(503, head.get("message", "store unavailable"))
        stats = json.loads(body)
        return Response(json.dumps({"status": "ok", "triples": stats["triples"],
                                    "generation": stats["generation"], "workers": settings.workers * settings.processes,
                                    "processes": settings.processes, "allocator": settings.allocator}) + "\n",
                        mimetype="application/json")

    @app.get("/metrics")
    def prometheus() -> Response:
        return Response(metrics.render(), mimetype="text/plain; version=0.0.4")

    @app.get("/")
    def index() -> Response:
        return query_page()

    @app.route("/sparql", methods=["GET", "POST"])
    @app.route("/sparql/", methods=["GET", "POST"])
    def sparql() -> Response:
        try:
            op = read_operation(request)
        except ClientError as exc:
            return _error(exc.status, exc.message, exc.headers)
        if op is None:
            return service_or_page()
        if op.kind == "update":
            return update(op)
        fmt = request.args.get("format") or (request.form.get("format") if request.method == "POST" else None)
        job = {"kind": "query", "query": op.text, "default_graphs": op.default_graphs,
               "named_graphs": op.named_graphs, "base_iri": request.base_url,
               "accept": request.headers.get("Accept"), "format": fmt, "max_rows": settings.max_rows,
               "allow_service": settings.allow_service}
        key = json.dumps([job["query"], job["default_graphs"], job["named_graphs"], job["base_iri"],
                          job["accept"], fmt])
        return answer(job, cache_key=key)

    def service_or_page() -> Response:
        best = request.accept_mimetypes.best_match(["text/html", *GRAPH_TYPES])
        if best == "text/html" and request.accept_mimetypes["text/html"] > request.accept_mimetypes["text/turtle"]:
            return query_page()
        if request.headers.get("Accept") and not request.args.get("format") and \
                request.accept_mimetypes.best_match(list(GRAPH_TYPES)) is None:
            return _error(400, "missing the 'query' parameter (SPARQL 1.1 Protocol §2.1); "
                               "GET /sparql with an RDF Accept type returns the service description")
        job = {"kind": "service", "endpoint": request.base_url.rstrip("/"), "update": bool(settings.update_token),
               "accept": request.headers.get("Accept"), "format": request.args.get("format")}
        return answer(job, cache_key=json.dumps(["sd", job["endpoint"], job["accept"], job["format"], job["update"]]))

    def update(op: Operation) -> Response:
        denied = _check_token()
        if denied is not None:
            return denied
        try:
            text = apply_using(op.text, op.default_graphs, op.named_graphs)
            run_update(store_path, text, base_iri=request.base_url, wait=settings.timeout)
        except ClientError as exc:
            return _error(exc.status, exc.message)
        except WriteError as exc:
            return _error(exc.status, exc.message)
        return Response(status=204)

    @app.route("/rdf-graph-store", methods=["GET", "HEAD", "PUT", "POST", "DELETE"])
    def graph_store() -> Response:
        graphs = request.args.getlist("graph")
        default = "default" in request.args
        if default == bool(graphs) or len(graphs) > 1:
            return _error(400, "name one graph: ?graph=IRI or ?default (Graph Store Protocol §4)")
        graph = graphs[0] if graphs else None
        if request.method in ("GET", "HEAD"):
            job = {"kind": "graph", "graph": graph, "accept": request.headers.get("Accept"),
                   "format": request.args.get("format"), "max_rows": settings.max_rows}
            key = json.dumps(["gsp", graph, job["accept"], job["format"]])
            return answer(job, cache_key=key, head_only=request.method == "HEAD")
        denied = _check_token()
        if denied is not None:
            return denied
        if request.method == "DELETE":
            try:
                found = delete_graph(store_path, graph, wait=settings.timeout)
            except WriteError as exc:
                return _error(exc.status, exc.message)
            return Response(status=204) if found else _error(404, f"no graph <{graph}> in the store")
        rdf_format = _rdf_format(request.mimetype)
        if rdf_format is None:
            return _error(415, f"send the graph as one of: {', '.join(sorted(_WRITE_TYPES))} "
                               f"(got {request.mimetype or 'no Content-Type'})")
        try:
            created = write_graph(store_path, graph, request.get_data(), rdf_format,
                                  replace=request.method == "PUT", base_iri=graph or request.base_url,
                                  wait=settings.timeout)
        except WriteError as exc:
            return _error(exc.status, exc.message)
        return Response(status=201 if created else 204)

    register(app)
    return app


_WRITE_TYPES = {
    "text/turtle": "TURTLE", "application/x-turtle": "TURTLE", "application/n-triples": "N_TRIPLES",
    "text/plain": "N_TRIPLES", "application/rdf+xml": "RDF_XML", "application/ld+json": "JSON_LD",
    "text/n3": "N3",
}


def _rdf_format(media_type: str):
    import pyoxigraph as ox

    name = _WRITE_TYPES.get(media_type or "")
    return getattr(ox.RdfFormat, name) if name else None
