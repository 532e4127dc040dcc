"""The endpoint's pages for people and its linked-data views for machines.

Routes (registered on the app by :func:`register`):

* ``GET /`` and ``GET /sparql`` from a browser: the query page
  (:func:`query_page`; ``kg.web.app`` decides when a browser is asking);
* ``GET /works``, ``GET /people``: index pages with a text filter (``?q=``);
* ``GET /stats``: dataset statistics with pictures; ``/stats.json``,
  ``/stats/{panel}.svg|png`` (panels of :mod:`kg.plots`, ``all`` for every one);
* ``GET /{path}``: every IRI under the base IRI, dereferenced (Linked Data:
  W3C "Cool URIs for the Semantic Web"): HTML for browsers; Turtle, JSON-LD,
  N-Triples, RDF/XML, N-Quads or TriG by ``Accept`` (RFC 9110 §12.5.1) or by
  extension (``/work/{id}.ttl``, ``.jsonld``, ``.nt``, ``.rdf``, ``.nq``,
  ``.trig``, ``.html``); ``Link`` headers (RFC 8288) name the alternates;
  404 for an unknown IRI.

The data comes from query workers (:mod:`kg.web.pagedata`); answers are cached
per store generation, so a new build shows at once.
"""
from __future__ import annotations

import json
from urllib.parse import urlencode

from flask import Flask, Response, current_app, g, redirect, render_template, request
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from kg.export import FORMATS
from kg.namespaces import PREFIXES
from kg.web.cache import GenerationCache
from kg.web.negotiate import GRAPH_TYPES
from kg.web.pagedata import PAGE_TYPE
from kg.web.pool import PoolBusy, QueryTimeout, WorkerDied

#: File extension -> representation (an RDF format name of kg.export, or html).
EXTENSIONS = {"ttl": "turtle", "jsonld": "jsonld", "nt": "nt", "rdf": "rdfxml", "nq": "nq", "trig": "trig",
              "html": "html"}
#: Media types a resource is offered in, in the server's order of preference.
OFFERS = {"text/html": "html", "application/xhtml+xml": "html", **GRAPH_TYPES}
#: Result formats offered as downloads on the query page.
SOLUTION_DOWNLOADS = [("json", "SPARQL JSON"), ("xml", "SPARQL XML"), ("csv", "CSV"), ("tsv", "TSV")]
GRAPH_DOWNLOADS = [("turtle", "Turtle"), ("ntriples", "N-Triples"), ("nquads", "N-Quads"), ("trig", "TriG"),
                   ("rdfxml", "RDF/XML"), ("jsonld", "JSON-LD")]
PAGE_SIZE = 100


class Unavailable(Exception):
    """The workers could not answer (busy, too slow, crashed): HTTP 503."""


class NotFound(Exception):
    """A worker answered with a client error (404 unknown resource, 400)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def call(job: dict) -> tuple[dict, bytes]:
    """Run a page job on a query worker, through the per-generation cache.

    :returns: (head: ``status``, ``media_type`` and job-specific keys, body).
    :raises Unavailable: no worker answered in time, or it died.
    :raises NotFound: the worker answered 4xx (``status``, ``message``).
    """
    kg = current_app.extensions["kg"]
    cache: GenerationCache[tuple[dict, bytes]] = kg["page_cache"]
    generation = kg["watch"].current()
    key = json.dumps(job, sort_keys=True)
    hit = cache.get(key, generation)
    if hit is None:
        try:
            head, body = kg["pool"].run(job, timeout=kg["settings"].timeout)
        except (QueryTimeout, PoolBusy, WorkerDied) as exc:
            raise Unavailable(type(exc).__name__) from None
        if head.get("status") != 200:
            if head.get("status", 503) >= 500:
                raise Unavailable(head.get("message", "store unavailable"))
            raise NotFound(head["status"], head.get("message", "not found"))
        hit = (head, body)
        cache.put(key, generation, hit)
    return hit


def _data(job: dict) -> dict:
    head, body = call(job)
    return json.loads(body)


# -- template helpers -----------------------------------------------------------

def href(iri: str) -> str:
    """Where a link to ``iri`` goes: its page on this server when it is under
    one of the base IRIs, else the IRI itself."""
    for base in g.get("kg_bases", ()):
        if iri.startswith(base):
            return "/" + iri[len(base):]
    return iri


def short(iri: str) -> str:
    """``iri`` as a prefixed name when a known prefix fits (``schema:name``)."""
    for p, ns in PREFIXES.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{p}:{iri[len(ns):]}"
    return iri


def _wants_html() -> bool:
    accept = request.headers.get("Accept")
    if not accept:
        return True
    best = parse_accept_header(accept, MIMEAccept).best_match(list(OFFERS))
    return best is None or OFFERS[best] == "html"


def _error_page(status: int, message: str) -> Response:
    if _wants_html():
        body = render_template("error.html", status=status, message=message)
        return Response(body, status=status, mimetype="text/html")
    return Response(message.rstrip() + "\n", status=status, mimetype="text/plain")


def query_page() -> Response:
    """The SPARQL query page: an editor, the example queries of ``queries/``, a
    Run button, results as a table and download links (static/query.js)."""
    from kg.web.servicedesc import example_queries

    examples = [{"name": name, "comment": comment, "query": text} for name, comment, text in example_queries()]
    try:
        bases = _data({"kind": "dataset"})["bases"]
    except (Unavailable, NotFound):
        bases = []
    g.kg_bases = bases
    # A query in the address (?q=, kept by each run) is shown, else the first example.
    asked = request.args.get("q")
    selected = None if asked or not examples else examples[0]
    body = render_template("query.html", examples=examples, bases=bases, prefixes=PREFIXES,
                           solution_downloads=SOLUTION_DOWNLOADS, graph_downloads=GRAPH_DOWNLOADS,
                           initial=asked or (selected["query"] if selected else ""),
                           selected=selected["name"] if selected else None,
                           comment=selected["comment"] if selected else "")
    return Response(body, mimetype="text/html")


def _negotiated() -> str | None:
    """The representation the ``Accept`` header asks for (html or an RDF
    format name), or None when nothing offered is acceptable."""
    accept = request.headers.get("Accept")
    if not accept or not accept.strip():
        return "html"
    best = parse_accept_header(accept, MIMEAccept).best_match(list(OFFERS))
    return OFFERS[best] if best else None


def _alternates(stem: str) -> str:
    root = request.host_url.rstrip("/")
    links = [f'<{root}/{stem}.html>; rel="alternate"; type="text/html"']
    for ext, name in EXTENSIONS.items():
        if name != "html":
            links.append(f'<{root}/{stem}.{ext}>; rel="alternate"; type="{FORMATS[name][1]}"')
    return ", ".join(links)


def resource(path: str) -> Response:
    """Dereference the IRI that request path ``path`` stands for."""
    stem, dot, ext = path.rpartition(".")
    ext_format = EXTENSIONS.get(ext.lower()) if dot and "/" not in ext else None
    want = _negotiated()
    if want is None and ext_format is None:
        offered = ", ".join(dict.fromkeys(OFFERS))
        return Response(f"none of the acceptable media types can be produced; available: {offered}\n",
                        status=406, mimetype="text/plain")
    job = {"kind": "resource", "path": path, "want": want or ext_format, "host": request.host_url,
           "stem": stem if ext_format else None, "ext_format": ext_format}
    try:
        head, body = call(job)
    except Unavailable as exc:
        return _error_page(503, f"the store did not answer ({exc}); try again")
    except NotFound as exc:
        return _error_page(exc.status, exc.message)
    served_stem = stem if head.get("stem") else path
    headers = {"Vary": "Accept", "Link": _alternates(served_stem)}
    if head["media_type"] != PAGE_TYPE:
        if not head.get("stem"):
            ext_of = {v: k for k, v in EXTENSIONS.items()}
            headers["Content-Location"] = f"/{served_stem}.{ext_of[want]}"  # type: ignore[index]
        return Response(body, content_type=head["media_type"] + "; charset=utf-8", headers=headers)
    data = json.loads(body)
    g.kg_bases = data.get("bases", [])
    if not head.get("stem"):
        headers["Content-Location"] = f"/{served_stem}.html"
    template = {"work": "work.html", "person": "person.html", "graph": "graph.html"}.get(data["kind"], "resource.html")
    html = render_template(template, r=data, path=served_stem, formats=[
        (ext, FORMATS[name][1]) for ext, name in EXTENSIONS.items() if name != "html"])
    return Response(html, mimetype="text/html", headers=headers)


def register(app: Flask) -> None:
    """Add the pages' routes to ``app`` (built by :func:`kg.web.app.create_app`,
    whose ``extensions["kg"]`` holds the worker pool)."""
    app.extensions["kg"]["page_cache"] = GenerationCache(256)
    app.jinja_env.globals.update(href=href, short=short)

    @app.get("/works")
    def works_index() -> Response:
        return _index("works")

    @app.get("/people")
    def people_index() -> Response:
        return _index("people")

    @app.get("/work/")
    @app.get("/work")
    def works_redirect() -> Response:
        return redirect("/works", code=303)

    @app.get("/person/")
    @app.get("/person")
    def people_redirect() -> Response:
        return redirect("/people", code=303)

    @app.get("/favicon.ico")
    def favicon() -> Response:
        return Response(status=204)  # browsers ask; no need to wake a worker

    @app.get("/stats")
    @app.get("/stats.json")
    def stats_page() -> Response:
        try:
            data = _data({"kind": "dataset"})
        except Unavailable as exc:
            return _error_page(503, f"the store did not answer ({exc}); try again")
        g.kg_bases = data["bases"]
        best = request.accept_mimetypes.best_match(["text/html", "application/json"])
        wants_json = request.path.endswith(".json") or (
            best == "application/json" and request.accept_mimetypes["application/json"] > request.accept_mimetypes["text/html"])
        if wants_json:
            return Response(json.dumps(data, ensure_ascii=False) + "\n", mimetype="application/json")
        return Response(render_template("stats.html", s=data), mimetype="text/html")

    @app.get("/stats/<panel>.<fmt>")
    def stats_picture(panel: str, fmt: str) -> Response:
        from kg.plots import IMAGE_TYPES, PANELS

        if fmt not in IMAGE_TYPES or (panel != "all" and panel not in PANELS):
            return _error_page(404, f"no picture /stats/{panel}.{fmt}; panels: all, {', '.join(PANELS)}; "
                                    f"formats: {', '.join(IMAGE_TYPES)}")
        panels = [] if panel == "all" else [panel]
        try:
            head, body = call({"kind": "plot", "panels": panels, "format": fmt})
        except Unavailable as exc:
            return _error_page(503, f"the store did not answer ({exc}); try again")
        except NotFound as exc:
            return _error_page(exc.status, exc.message)
        return Response(body, mimetype=head["media_type"])

    @app.get("/<path:path>")
    def dereference(path: str) -> Response:
        return resource(path)

    def _index(kind: str) -> Response:
        q = request.args.get("q", "").strip()
        try:
            page = max(1, int(request.args.get("page", "1")))
        except ValueError:
            page = 1
        try:
            data = _data({"kind": kind, "q": q, "offset": (page - 1) * PAGE_SIZE, "limit": PAGE_SIZE})
            stats = _data({"kind": "dataset"})
        except Unavailable as exc:
            return _error_page(503, f"the store did not answer ({exc}); try again")
        g.kg_bases = data["bases"]
        pages = max(1, (data["total"] + PAGE_SIZE - 1) // PAGE_SIZE)

        def page_url(n: int) -> str:
            return f"/{kind}?" + urlencode({k: v for k, v in (("q", q), ("page", n)) if v})
        return Response(render_template(f"{kind}.html", d=data, s=stats, q=q, page=page, pages=pages,
                                        page_url=page_url), mimetype="text/html")
