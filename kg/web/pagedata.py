"""What the linked-data pages show, read from the store inside a query worker.

The Flask process holds no store handle (the store is opened read-only in the
workers, :mod:`kg.web.worker`), so every page is one worker job that answers
with plain JSON data, which :mod:`kg.web.pages` renders with a template; RDF
representations are serialised here directly. Job kinds:

* ``resource``: the resource at a request path, as page data (``want`` =
  ``html``) or as RDF in one of :data:`kg.export.FORMATS`;
* ``works`` / ``people``: a filtered, paged list for the index pages;
* ``dataset``: :func:`kg.stats.dataset_stats` plus the base IRIs;
* ``plot``: a picture of the statistics (:mod:`kg.plots`).

Request paths map to IRIs under the base IRIs the builds recorded in the meta
graph (``kgv:baseIRI``), whatever host the server runs on: ``/work/{id}`` is
``{base}work/{id}``.
"""
from __future__ import annotations

import io
import json
import os
import re
import threading
from collections.abc import Iterable
from urllib.parse import quote

import pyoxigraph as ox

from kg.export import (FORMATS, RDF_TYPE, WORK_TYPE_IRIS, _grouped, _unique_triples, describe_quads,
                       frame_works, own_quads, prune_context, resource_exists, schema_context, serialize,
                       to_jsonld, write_jsonld)
from kg.mapping import ID_IRIS
from kg.namespaces import DEFAULT_BASE_IRI

JOBS = ("resource", "works", "people", "dataset", "plot")
#: Media type of page data (JSON rendered by the Flask process, never sent out).
PAGE_TYPE = "application/x-kg-page+json"

SCHEMA = "http://schema.org/"
DCTERMS = "http://purl.org/dc/terms/"
PRO = "http://purl.org/spar/pro/"
KGV = "https://w3id.org/kg/vocab#"
BIBO = "http://purl.org/ontology/bibo/"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
PERSON_TYPES = {SCHEMA + "Person", SCHEMA + "Organization"}

#: Which external service an IRI belongs to, for link labels.
LINK_KINDS = [
    ("DOI", re.compile(r"^https?://(dx\.)?doi\.org/(?P<id>.+)$")),
    ("arXiv", re.compile(r"^https?://arxiv\.org/abs/(?P<id>.+)$")),
    ("Wikidata", re.compile(r"^https?://(www\.)?wikidata\.org/(entity|wiki)/(?P<id>.+)$")),
    ("OpenAlex", re.compile(r"^https?://openalex\.org/(?P<id>.+)$")),
    ("dblp", re.compile(r"^https?://dblp\.org/(rec|pid)/(?P<id>.+)$")),
    ("ORCID", re.compile(r"^https?://orcid\.org/(?P<id>.+)$")),
    ("Semantic Scholar", re.compile(r"^https?://(www\.)?semanticscholar\.org/(paper|author)/(?P<id>.+)$")),
    ("OpenReview", re.compile(r"^https?://openreview\.net/forum\?id=(?P<id>.+)$")),
]
SCHEME_LABELS = {"doi": "DOI", "arxiv": "arXiv", "wikidata": "Wikidata", "openalex": "OpenAlex", "dblp": "dblp",
                 "orcid": "ORCID", "semantic_scholar": "Semantic Scholar", "openreview": "OpenReview"}


class PageError(Exception):
    """A job that cannot be answered: ``status`` is the HTTP status (404, 400)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


# -- sending --------------------------------------------------------------------

def _send(conn, media_type: str, body: bytes, **head) -> None:
    from kg.web.worker import CHUNK

    conn.send_bytes(b"H" + json.dumps({"status": 200, "media_type": media_type, **head}).encode())
    for i in range(0, len(body), CHUNK):
        conn.send_bytes(b"D" + body[i:i + CHUNK])
    conn.send_bytes(b"E")


def _send_json(conn, data: dict, **head) -> None:
    _send(conn, PAGE_TYPE, json.dumps(data, ensure_ascii=False).encode("utf-8"), **head)


_PLOT_LOCK = threading.Lock()


def run(worker, job: dict, conn) -> None:
    """Answer one page job on ``worker`` (a :class:`kg.web.worker.Worker`).

    :raises PageError: unknown resource (404) or a bad job (400).
    """
    store = worker.current()
    kind = job["kind"]
    if kind == "resource":
        _resource(worker, store, job, conn)
    elif kind == "works":
        _send_json(conn, works_list(store, job.get("q") or "", job.get("offset", 0), job.get("limit", 100))
                   | {"bases": bases(worker, store)})
    elif kind == "people":
        _send_json(conn, people_list(store, job.get("q") or "", job.get("offset", 0), job.get("limit", 100))
                   | {"bases": bases(worker, store)})
    elif kind == "dataset":
        _send_json(conn, dataset(worker, store))
    elif kind == "plot":
        fmt = job.get("format", "svg")
        panels = tuple(job.get("panels") or ())
        key = ("plot", panels, fmt)
        if key not in worker.cache:
            from kg.plots import IMAGE_TYPES, PANELS, render

            buf = io.BytesIO()
            try:
                with _PLOT_LOCK:  # matplotlib's settings (rc_context) are global to the process
                    render(dataset(worker, store), buf, fmt, panels or PANELS)
            except ValueError as exc:
                raise PageError(404, str(exc)) from None
            worker.cache[key] = (IMAGE_TYPES[fmt], buf.getvalue())
        media_type, body = worker.cache[key]  # type: ignore[misc]
        _send(conn, media_type, body)
    else:
        raise PageError(400, f"unknown page job {kind!r}")


def dataset(worker, store: ox.Store) -> dict:
    """:func:`kg.stats.dataset_stats` and the base IRIs (cached per store generation)."""
    if "dataset" not in worker.cache:
        from kg.stats import dataset_stats

        worker.cache["dataset"] = dataset_stats(store) | {"bases": bases(worker, store),
                                                          "generation": worker.generation}
    return worker.cache["dataset"]  # type: ignore[return-value]


# -- request paths and IRIs -------------------------------------------------------

def bases(worker, store: ox.Store) -> list[str]:
    """Base IRIs to map request paths to: those recorded by builds
    (``kgv:baseIRI`` in the meta graph), then ``$KG_BASE_IRI`` or the default."""
    if "bases" not in worker.cache:
        rows = store.query(f"SELECT DISTINCT ?b WHERE {{ GRAPH ?g {{ ?s <{KGV}baseIRI> ?b }} }} ORDER BY ?b")
        found = [r["b"].value for r in rows]
        worker.cache["bases"] = list(dict.fromkeys(found + [os.environ.get("KG_BASE_IRI") or DEFAULT_BASE_IRI]))
    return worker.cache["bases"]  # type: ignore[return-value]


def candidates(path: str, base_iris: Iterable[str]) -> list[str]:
    """IRIs a request path may stand for: ``{base}{path}`` for each base, and
    the base's scheme and host with the whole path (for bases with a path)."""
    path = path.lstrip("/")
    forms = [path]
    quoted = quote(path, safe="/:@!$&'()*+,;=-._~%")
    if quoted != path:
        forms.append(quoted)
    out: list[str] = []
    for base in base_iris:
        origin = re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*", base)
        for p in forms:
            out.append(base + p)
            if origin:
                out.append(origin.group(0) + "/" + p)
    return list(dict.fromkeys(out))


def resolve(store: ox.Store, path: str, base_iris: list[str]) -> str | None:
    """The IRI in the store that ``path`` stands for, or None."""
    for iri in candidates(path, base_iris):
        if resource_exists(store, iri):
            return iri
    return None


def _resource(worker, store: ox.Store, job: dict, conn) -> None:
    known = bases(worker, store) + ([job["host"]] if job.get("host") else [])
    want = job.get("want", "html")
    iri = resolve(store, job["path"], known)
    used_stem = False
    if iri is None and job.get("stem"):
        iri = resolve(store, job["stem"], known)
        want, used_stem = job.get("ext_format", want), True
    if iri is None:
        tried = candidates(job["path"], known[:1])[0]
        raise PageError(404, f"nothing is known about <{tried}> here")
    head = {"iri": iri, "stem": used_stem}
    if want == "html":
        _send_json(conn, page_data(store, iri) | {"bases": known}, **head)
        return
    rdf_format, media_type, _, is_dataset = FORMATS[want]
    quads = describe_quads(store, iri)
    buf = io.BytesIO()
    if rdf_format is None:
        write_jsonld(_grouped(_unique_triples(quads), lambda t: t.subject), buf)
    elif is_dataset:
        serialize(_grouped(quads, lambda q: (q.graph_name, q.subject)), buf, want)
    else:
        serialize(_grouped(_unique_triples(quads), lambda t: t.subject), buf, want)
    _send(conn, media_type, buf.getvalue(), **head)


# -- terms ------------------------------------------------------------------------

def term(t) -> dict:
    """An RDF term as JSON: ``{"t": "iri"|"bnode"|"literal", "v": value}``
    plus ``dt`` (datatype IRI) or ``lang`` for literals."""
    if isinstance(t, ox.NamedNode):
        return {"t": "iri", "v": t.value}
    if isinstance(t, ox.BlankNode):
        return {"t": "bnode", "v": t.value}
    out = {"t": "literal", "v": t.value}
    if t.language:
        out["lang"] = t.language
    elif t.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
        out["dt"] = t.datatype.value
    return out


def _values(quads: list[ox.Quad], s, p: str) -> list:
    return list(dict.fromkeys(q.object for q in quads if q.subject == s and q.predicate.value == p))


def _first(quads: list[ox.Quad], s, *ps: str) -> str | None:
    for p in ps:
        for o in _values(quads, s, p):
            return o.value
    return None


def _label(store: ox.Store, node) -> str | None:
    for p in (SCHEMA + "name", DCTERMS + "title", RDFS_LABEL):
        for q in store.quads_for_pattern(node, ox.NamedNode(p), None, None):
            return q.object.value
    return None


def graph_titles(store: ox.Store) -> dict[str, str]:
    """Named graph IRI -> its ``dcterms:title`` in the meta graph (when it has one)."""
    rows = store.query(f"SELECT ?g (SAMPLE(?t) AS ?title) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} "
                       f"OPTIONAL {{ GRAPH ?m {{ ?g <{DCTERMS}title> ?t }} }} }} GROUP BY ?g")
    return {r["g"].value: (r["title"].value if r["title"] is not None else r["g"].value.rstrip("/").rsplit("/", 1)[-1])
            for r in rows}


def statements(store: ox.Store, quads: list[ox.Quad], subject) -> list[dict]:
    """The statements about ``subject``, each with the graphs that hold it
    (which source said what): ``{"p", "o", "graphs", "label"}``."""
    rows: dict = {}
    for q in quads:
        if q.subject != subject:
            continue
        key = (q.predicate, q.object)
        g = q.graph_name.value if isinstance(q.graph_name, (ox.NamedNode, ox.BlankNode)) else ""
        rows.setdefault(key, []).append(g)
    out = []
    for (p, o), graphs in rows.items():
        row = {"p": p.value, "o": term(o), "graphs": sorted(set(graphs))}
        if isinstance(o, ox.NamedNode) and p != RDF_TYPE:
            row["label"] = _label(store, o)
        out.append(row)
    return sorted(out, key=lambda r: (r["p"] != RDF_TYPE.value, r["p"], r["o"]["v"]))


def external_links(quads: list[ox.Quad], subject) -> list[dict]:
    """Identifiers and external links of ``subject`` (``schema:sameAs``,
    ``schema:identifier`` property values, ``bibo:doi``):
    ``{"label", "id", "url"}``, one per URL, DOI first."""
    found: dict[str, dict] = {}

    def add(url: str, label: str | None = None, ident: str | None = None) -> None:
        for name, pattern in LINK_KINDS:
            m = pattern.match(url)
            if m:
                label, ident = label or name, ident or m.group("id")
                break
        found.setdefault(url, {"label": label or "link", "id": ident or url, "url": url})

    for o in _values(quads, subject, SCHEMA + "sameAs"):
        if isinstance(o, ox.NamedNode):
            add(o.value)
    for pv in _values(quads, subject, SCHEMA + "identifier"):
        if isinstance(pv, ox.Literal):
            continue
        scheme, value = _first(quads, pv, SCHEMA + "propertyID"), _first(quads, pv, SCHEMA + "value")
        if scheme and value and scheme in ID_IRIS:
            add(ID_IRIS[scheme].format(value), SCHEME_LABELS.get(scheme, scheme), value)
    for doi in _values(quads, subject, BIBO + "doi"):
        add(ID_IRIS["doi"].format(doi.value), "DOI", doi.value)
    order = [name for name, _ in LINK_KINDS]
    return sorted(found.values(), key=lambda d: (order.index(d["label"]) if d["label"] in order else 99, d["url"]))


# -- pages ------------------------------------------------------------------------

def page_data(store: ox.Store, iri: str) -> dict:
    """Everything the HTML page of ``iri`` shows. ``kind`` says which page:
    ``work``, ``person``, ``graph`` or ``resource`` (anything else)."""
    node = ox.NamedNode(iri)
    quads = own_quads(store, iri)
    types = {o.value for o in _values(quads, node, RDF_TYPE.value)}
    titles = graph_titles(store)
    data = {
        "iri": iri, "types": sorted(types), "label": _label(store, node) or iri,
        "statements": statements(store, quads, node), "graph_titles": titles,
    }
    if types & set(WORK_TYPE_IRIS):
        data |= work_data(store, node, quads)
    elif types & PERSON_TYPES:
        data |= person_data(store, node, quads)
    elif store.contains_named_graph(node):
        data |= graph_data(store, node, quads)
    else:
        data |= {"kind": "resource"}
    data["inbound"] = inbound(store, node, exclude_prefix=iri)
    data["graphs"] = sorted({g for row in data["statements"] for g in row["graphs"]})
    data["by_graph"] = [{"graph": g, "statements": sum(1 for r in data["statements"] if g in r["graphs"]),
                         "properties": sorted({r["p"] for r in data["statements"] if g in r["graphs"]})}
                        for g in data["graphs"]]
    return data


def inbound(store: ox.Store, node, exclude_prefix: str, limit: int = 200) -> list[dict]:
    """Statements pointing at ``node`` (other than from its own sub-resources):
    ``{"s", "label", "p", "graph"}``, at most ``limit``."""
    out = []
    for q in store.quads_for_pattern(None, None, node, None):
        s = q.subject
        if isinstance(s, ox.NamedNode) and s.value.startswith((exclude_prefix + "/", exclude_prefix + "#")):
            continue
        out.append({"s": term(s), "label": _label(store, s), "p": q.predicate.value,
                    "graph": q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else ""})
        if len(out) >= limit:
            break
    return out


def _jsonld_script(doc: dict) -> str:
    # "<" escaped so no string can close the <script> element (HTML §4.12.1.3)
    return json.dumps(doc, indent=2, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e") \
        .replace("&", "\\u0026")


def work_data(store: ox.Store, node, quads: list[ox.Quad]) -> dict:
    """Title, authors in byline order, abstract (and whether it is truncated),
    dates, venue, identifiers and links, source records and the framed
    schema.org JSON-LD of one work."""
    authors = []
    for a in _values(quads, node, PRO + "isDocumentContextFor"):
        person = _values(quads, a, PRO + "isHeldBy")
        pos = _first(quads, a, SCHEMA + "position")
        p = person[0] if person else None
        authors.append({
            "position": int(pos) if pos and pos.isdigit() else None,
            "name": _first(quads, a, SCHEMA + "name") or (p and _label(store, p)) or "",
            "iri": p.value if isinstance(p, ox.NamedNode) else None,
            "person_name": _label(store, p) if p is not None else None,
        })
    authors.sort(key=lambda x: (x["position"] is None, x["position"] or 0, x["name"]))
    listed = {a["iri"] for a in authors}
    for p in _values(quads, node, SCHEMA + "author"):  # authors without a byline position
        if isinstance(p, ox.NamedNode) and p.value not in listed:
            name = _label(store, p) or p.value
            authors.append({"position": None, "name": name, "iri": p.value, "person_name": name})
    truncated = any(o.value == "true" for o in _values(quads, node, KGV + "abstractTruncated"))
    # The page embeds the schema.org view that search engines read
    # (ScholarlyArticle with its authors in order); the rest is in the RDF.
    triples = [t for t in _unique_triples(describe_quads(store, node.value, inbound=False))
               if t.predicate == RDF_TYPE or t.predicate.value.startswith(SCHEMA)]
    works, ctx = frame_works(triples, schema_context())
    doc = {}
    if works:
        order = {a["iri"]: i for i, a in enumerate(authors)}
        work = works[0]
        if "author" in work:
            work["author"] = sorted(work["author"], key=lambda p: order.get(p.get("id") if isinstance(p, dict) else p,
                                                                            len(order)))
        doc = {"@context": prune_context(work, ctx), **work}
    return {
        "kind": "work",
        "title": _first(quads, node, SCHEMA + "name", DCTERMS + "title") or node.value,
        "authors": authors,
        "abstract": _first(quads, node, SCHEMA + "abstract", DCTERMS + "abstract"),
        "abstract_truncated": truncated,
        "dates": [o.value for o in _values(quads, node, SCHEMA + "datePublished")],
        "venues": [term(o) for o in _values(quads, node, SCHEMA + "isPartOf")],
        "links": external_links(quads, node),
        "records": [o.value for o in _values(quads, node, DCTERMS + "source")],
        "jsonld": _jsonld_script(doc) if doc else None,
    }


def _query(store: ox.Store, query: str) -> list:
    return list(store.query(query, use_default_graph_as_union=True))


def _lit(text: str) -> str:
    """``text`` as a SPARQL string literal (SPARQL 1.1 §19.8 STRING_LITERAL_QUOTE)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def person_data(store: ox.Store, node, quads: list[ox.Quad]) -> dict:
    """Name(s), links, works (with the person's byline position) and
    co-authors (with the number of works together) of one person."""
    rows = _query(store, f"""PREFIX schema: <{SCHEMA}> PREFIX pro: <{PRO}>
        SELECT ?w (MIN(?t) AS ?title) (MIN(STR(?d)) AS ?date) (MIN(?pos) AS ?position)
               (COUNT(DISTINCT ?other) AS ?authors)
        WHERE {{ ?w schema:author {node} ; schema:name ?t ; schema:author ?other .
                 OPTIONAL {{ ?w schema:datePublished ?d }}
                 OPTIONAL {{ ?w pro:isDocumentContextFor ?a . ?a pro:isHeldBy {node} ; schema:position ?pos }} }}
        GROUP BY ?w ORDER BY DESC(?date) ?title""")
    works = [{"iri": r["w"].value, "title": r["title"].value,
              "date": r["date"].value if r["date"] is not None else None,
              "position": int(r["position"].value) if r["position"] is not None else None,
              "authors": int(r["authors"].value)} for r in rows]
    rows = _query(store, f"""PREFIX schema: <{SCHEMA}>
        SELECT ?c (MIN(?n) AS ?name) (COUNT(DISTINCT ?w) AS ?works)
        WHERE {{ ?w schema:author {node} , ?c . FILTER(?c != {node}) ?c schema:name ?n }}
        GROUP BY ?c ORDER BY DESC(?works) ?name""")
    coauthors = [{"iri": r["c"].value, "name": r["name"].value, "works": int(r["works"].value)} for r in rows]
    own = [q for q in quads if q.subject == node]
    doc = to_jsonld(_unique_triples(own))
    graph = doc.pop("@graph")
    if len(graph) == 1:
        doc |= graph[0]
    else:
        doc["@graph"] = graph
    return {
        "kind": "person",
        "name": _first(quads, node, SCHEMA + "name") or node.value,
        "alternate_names": [o.value for o in _values(quads, node, SCHEMA + "alternateName")],
        "given_name": _first(quads, node, SCHEMA + "givenName"),
        "family_name": _first(quads, node, SCHEMA + "familyName"),
        "links": external_links(quads, node),
        "works": works,
        "coauthors": coauthors,
        "jsonld": _jsonld_script(doc),
    }


def graph_data(store: ox.Store, node, quads: list[ox.Quad], limit: int = 5000) -> dict:
    """A named graph: its description in the meta graph, its size and the
    source records it holds (``dcterms:source`` anchors, at most ``limit``)."""
    size = _query(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {node} {{ ?s ?p ?o }} }}")
    rows = _query(store, f"""PREFIX schema: <{SCHEMA}> PREFIX dcterms: <{DCTERMS}>
        SELECT ?src ?w (MIN(?t) AS ?title) WHERE {{ GRAPH {node} {{ ?w dcterms:source ?src . ?w schema:name ?t }} }}
        GROUP BY ?src ?w LIMIT {int(limit)}""")

    def line(r) -> tuple:
        frag = r["src"].value.partition("#")[2]
        m = re.search(r"(\d+)$", frag)
        return (int(m.group(1)) if m else 0, frag)
    records = [{"anchor": r["src"].value.partition("#")[2], "source": r["src"].value, "work": r["w"].value,
                "title": r["title"].value} for r in sorted(rows, key=line)]
    file_node = _values(quads, node, "http://www.w3.org/ns/prov#wasDerivedFrom")
    f = file_node[0] if file_node else None
    return {
        "kind": "graph",
        "triples": int(size[0]["n"].value) if size else 0,
        "title": _first(quads, node, DCTERMS + "title") or node.value,
        "generated": _first(quads, node, "http://www.w3.org/ns/prov#generatedAtTime"),
        "file": {"name": _first(quads, f, SCHEMA + "name"), "sha256": _first(quads, f, SCHEMA + "sha256")}
        if f is not None else None,
        "file_statements": statements(store, quads, f) if f is not None else [],
        "records": records,
    }


# -- index pages ----------------------------------------------------------------

_WORK_VALUES = "VALUES ?type { " + " ".join(f"<{t}>" for t in WORK_TYPE_IRIS) + " }"


def works_list(store: ox.Store, q: str, offset: int = 0, limit: int = 100) -> dict:
    """Works whose title or an author's name contains ``q`` (case-insensitive),
    by title: ``{"total", "works": [{"iri", "title", "date", "authors",
    "authors_total"}], "q", "offset", "limit"}``; ``authors`` are the first
    eight names in byline order."""
    needle = _lit(q.strip().lower())
    match = "" if not q.strip() else f"""FILTER(CONTAINS(LCASE(?t), {needle}) ||
                 EXISTS {{ ?w <{SCHEMA}author>/<{SCHEMA}name> ?an FILTER(CONTAINS(LCASE(?an), {needle})) }})"""
    where = f"{_WORK_VALUES} ?w a ?type ; <{SCHEMA}name> ?t . {match}"
    total = _query(store, f"SELECT (COUNT(DISTINCT ?w) AS ?n) WHERE {{ {where} }}")
    rows = _query(store, f"""SELECT ?w (MIN(?t) AS ?title) (MIN(STR(?d)) AS ?date) WHERE {{ {where}
        OPTIONAL {{ ?w <{SCHEMA}datePublished> ?d }} }} GROUP BY ?w ORDER BY LCASE(?title) ?w
        LIMIT {int(limit)} OFFSET {int(offset)}""")
    works = [{"iri": r["w"].value, "title": r["title"].value,
              "date": r["date"].value if r["date"] is not None else None, "authors": [], "authors_total": 0}
             for r in rows]
    if works:
        by_iri = {w["iri"]: w for w in works}
        values = " ".join(f"<{w['iri']}>" for w in works)
        for r in _query(store, f"""SELECT ?w ?pos ?name WHERE {{ VALUES ?w {{ {values} }}
                ?w <{PRO}isDocumentContextFor> ?a . ?a <{SCHEMA}position> ?pos ; <{SCHEMA}name> ?name }}
                ORDER BY ?w ?pos"""):
            w = by_iri[r["w"].value]
            w["authors_total"] += 1
            if len(w["authors"]) < 8:
                w["authors"].append(r["name"].value)
    return {"total": int(total[0]["n"].value) if total else 0, "works": works, "q": q, "offset": offset,
            "limit": limit}


def people_list(store: ox.Store, q: str, offset: int = 0, limit: int = 100) -> dict:
    """People whose name contains ``q``, most works first: ``{"total",
    "people": [{"iri", "name", "works"}], ...}``."""
    needle = _lit(q.strip().lower())
    match = f"FILTER(CONTAINS(LCASE(?n), {needle}))" if q.strip() else ""
    where = f"?w <{SCHEMA}author> ?p . ?p a <{SCHEMA}Person> ; <{SCHEMA}name> ?n . {match}"
    total = _query(store, f"SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE {{ {where} }}")
    rows = _query(store, f"""SELECT ?p (MIN(?n) AS ?name) (COUNT(DISTINCT ?w) AS ?works) WHERE {{ {where} }}
        GROUP BY ?p ORDER BY DESC(?works) ?name ?p LIMIT {int(limit)} OFFSET {int(offset)}""")
    people = [{"iri": r["p"].value, "name": r["name"].value, "works": int(r["works"].value)} for r in rows]
    return {"total": int(total[0]["n"].value) if total else 0, "people": people, "q": q, "offset": offset,
            "limit": limit}
