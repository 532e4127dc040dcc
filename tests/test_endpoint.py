"""The SPARQL endpoint over real HTTP on 127.0.0.1 (`kg serve` in a subprocess),
with requests and SPARQLWrapper as clients."""
from __future__ import annotations

import csv
import io
import json
import time
import xml.etree.ElementTree as ET

import pytest
import rdflib
import requests
from SPARQLWrapper import JSON, SPARQLWrapper, TURTLE

from conftest import BASE, SEED_GRAPH, Server, run_kg

COUNT_WORKS = "PREFIX schema: <http://schema.org/> SELECT (COUNT(DISTINCT ?w) AS ?n) WHERE { ?w a schema:ScholarlyArticle }"
CONSTRUCT = ("PREFIX schema: <http://schema.org/> CONSTRUCT { ?w schema:name ?t } "
             "WHERE { ?w a schema:ScholarlyArticle ; schema:name ?t }")


def count(resp: requests.Response) -> int:
    return int(resp.json()["results"]["bindings"][0]["n"]["value"])


def test_get_query_json_by_default(server):
    r = requests.get(server.sparql, params={"query": COUNT_WORKS})
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/sparql-results+json; charset=utf-8"
    assert count(r) == 11
    assert r.headers["Server"] == "kg"  # set by kg behind granian, not the Flask development server


def test_post_form_and_direct(server):
    r = requests.post(server.sparql, data={"query": COUNT_WORKS})
    assert r.status_code == 200 and count(r) == 11
    r = requests.post(server.sparql, data=COUNT_WORKS.encode(), headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 200 and count(r) == 11


@pytest.mark.parametrize("accept,ctype", [
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv", "text/csv"),
    ("text/tab-separated-values", "text/tab-separated-values"),
    ("application/json", "application/json"),
])
def test_select_formats_by_accept(server, accept, ctype):
    query = "PREFIX schema: <http://schema.org/> SELECT ?name WHERE { ?p a schema:Person ; schema:name ?name } ORDER BY ?name LIMIT 2"
    r = requests.get(server.sparql, params={"query": query}, headers={"Accept": accept})
    assert r.status_code == 200 and r.headers["Content-Type"].split(";")[0] == ctype
    body = r.text
    if ctype == "text/csv":
        assert [row["name"] for row in csv.DictReader(io.StringIO(body))] == ["Adrien Ali Taiga", "Adrien Peyrache"]
    elif ctype.endswith("xml"):
        ns = {"r": "http://www.w3.org/2005/sparql-results#"}
        assert [e.text for e in ET.fromstring(body).findall(".//r:literal", ns)] == ["Adrien Ali Taiga", "Adrien Peyrache"]
    elif ctype.startswith("text/tab"):
        assert body.splitlines() == ["?name", '"Adrien Ali Taiga"', '"Adrien Peyrache"']
    else:  # SPARQL JSON, labelled as the client asked
        assert [b["name"]["value"] for b in json.loads(body)["results"]["bindings"]] == ["Adrien Ali Taiga", "Adrien Peyrache"]


def test_ask(server):
    r = requests.get(server.sparql, params={"query": "ASK { ?s <http://schema.org/name> \"Nash Learning from Human Feedback\" }"})
    assert r.json() == {"head": {}, "boolean": True}


@pytest.mark.parametrize("accept,ctype,rdflib_format", [
    (None, "text/turtle", "turtle"),
    ("application/n-triples", "application/n-triples", "nt"),
    ("application/ld+json", "application/ld+json", "json-ld"),
    ("application/rdf+xml", "application/rdf+xml", "xml"),
])
def test_construct_formats(server, accept, ctype, rdflib_format):
    headers = {"Accept": accept} if accept else {}
    r = requests.get(server.sparql, params={"query": CONSTRUCT}, headers=headers)
    assert r.status_code == 200 and r.headers["Content-Type"].split(";")[0] == ctype
    g = rdflib.Graph().parse(data=r.text, format=rdflib_format)
    assert len(g) == 11
    assert rdflib.Literal("Robust Data-driven Prescriptiveness Optimization") in set(g.objects())


def test_format_parameter(server):
    r = requests.get(server.sparql, params={"query": COUNT_WORKS, "format": "csv"})
    assert r.headers["Content-Type"].startswith("text/csv") and r.text.splitlines() == ["n", "11"]
    r = requests.get(server.sparql, params={"query": CONSTRUCT, "format": "ntriples"})
    assert r.headers["Content-Type"].startswith("application/n-triples") and len(r.text.splitlines()) == 11


def test_syntax_error_is_400_with_position(server):
    r = requests.get(server.sparql, params={"query": "SELECT * WHERE { ?s ?p }"})
    assert r.status_code == 400
    assert r.text.startswith("SPARQL syntax error at 1:")


@pytest.mark.parametrize("method,kwargs,status", [
    ("get", {"params": [("query", "ASK {}"), ("query", "ASK {}")]}, 400),
    ("put", {"data": "ASK {}"}, 405),
    ("delete", {}, 405),
    ("post", {"data": "ASK {}", "headers": {"Content-Type": "text/plain"}}, 415),
    ("post", {"data": "ASK {}", "headers": {"Content-Type": "application/sparql-query; charset=latin-1"}}, 415),
    ("get", {"params": {"query": "ASK {}"}, "headers": {"Accept": "image/png"}}, 406),
    ("get", {"headers": {"Accept": "application/sparql-results+json"}}, 400),
])
def test_client_errors(server, method, kwargs, status):
    r = getattr(requests, method)(server.sparql, **kwargs)
    assert r.status_code == status
    assert r.headers["Content-Type"].startswith("text/plain") and r.text.strip()


def test_browser_gets_the_query_page(server):
    r = requests.get(server.sparql, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    assert '<form method="get" action="/sparql">' in r.text


def test_dataset_parameters(server):
    q = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    assert count(requests.get(server.sparql, params={"query": q, "default-graph-uri": BASE + "graph/meta"})) == 15
    assert count(requests.get(server.sparql, params={"query": q, "default-graph-uri": SEED_GRAPH})) == 770
    q = "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert count(requests.get(server.sparql, params={"query": q, "named-graph-uri": SEED_GRAPH})) == 1


def test_sparqlwrapper_select_and_construct(server):
    sw = SPARQLWrapper(server.sparql)
    sw.setQuery("PREFIX schema: <http://schema.org/> SELECT ?name WHERE { ?p a schema:Person ; schema:name ?name } ORDER BY ?name")
    sw.setReturnFormat(JSON)
    names = [b["name"]["value"] for b in sw.query().convert()["results"]["bindings"]]
    assert len(names) == 60 and names[0] == "Adrien Ali Taiga" and "C\u00f4me Fiegel" in names
    sw.setQuery(CONSTRUCT)
    sw.setReturnFormat(TURTLE)
    g = rdflib.Graph().parse(data=sw.query().convert(), format="turtle")
    assert len(g) == 11
    sw.setMethod("POST")
    sw.setQuery(COUNT_WORKS)
    sw.setReturnFormat(JSON)
    assert sw.query().convert()["results"]["bindings"][0]["n"]["value"] == "11"


def test_health(server):
    r = requests.get(server.url + "/health")
    assert r.status_code == 200 and r.json() == {"status": "ok", "triples": 785, "generation": 1, "workers": 8,
                                                "processes": 2, "allocator": "system"}


def test_build_while_serving_is_picked_up(tmp_path, seed_path):
    store = tmp_path / "store"
    assert run_kg("build", str(seed_path), "--store", str(store)).returncode == 0
    srv = Server(store)
    try:
        other = tmp_path / "more.txt"
        other.write_text("Publications\n\nA new paper about graphs\nAda Lovelace\n", encoding="utf-8")
        r = run_kg("build", str(other), "--store", str(store))
        assert r.returncode == 0, r.stderr
        deadline = time.monotonic() + 5
        n = 0
        while time.monotonic() < deadline and n != 12:
            n = count(requests.get(srv.sparql, params={"query": COUNT_WORKS}))
            time.sleep(0.1)
        assert n == 12
    finally:
        srv.stop()


def test_serve_without_store_fails_cleanly(tmp_path):
    r = run_kg("serve", "--store", str(tmp_path / "nothing"), "--port", "1", timeout=30)
    assert r.returncode == 1 and "no store here" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("choice, message", [
    ("tcmalloc", "kg: error: --malloc: unknown allocator 'tcmalloc': use auto, system, mimalloc, jemalloc or the path "
                 "of a shared library"),
    ("/nowhere/libfast.so", "kg: error: --malloc: /nowhere/libfast.so: no such file"),
])
def test_serve_with_unknown_allocator_fails_cleanly(seed_store, choice, message):
    r = run_kg("serve", "--store", str(seed_store), "--port", "1", "--malloc", choice, timeout=30)
    assert r.returncode == 1 and r.stderr.strip() == message


def test_service_description(server):
    r = requests.get(server.sparql, headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/turtle")
    g = rdflib.Graph().parse(data=r.text, format="turtle")
    SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
    SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    svc = rdflib.URIRef(server.sparql)
    assert (svc, rdflib.RDF.type, SD.Service) in g
    assert (svc, SD.endpoint, svc) in g
    assert (svc, SD.supportedLanguage, SD.SPARQL11Query) in g
    assert (svc, SD.supportedLanguage, SD.SPARQL11Update) not in g  # writes are off
    assert (svc, SD.feature, SD.UnionDefaultGraph) in g
    assert (svc, SD.resultFormat, rdflib.URIRef("http://www.w3.org/ns/formats/SPARQL_Results_JSON")) in g
    counts = {str(g.value(ng, SD.name)): g.value(g.value(ng, SD.graph), VOID.triples).toPython()
              for ng in g.subjects(rdflib.RDF.type, SD.NamedGraph)}
    assert counts == {SEED_GRAPH: 770, BASE + "graph/meta": 15}
    examples = {str(g.value(e, rdflib.RDFS.label)) for e in g.subjects(rdflib.RDF.type, SH.SPARQLExecutable)}
    assert examples == {"author-list.rq", "coauthors.rq", "graph-stats.rq", "people-by-works.rq",
                        "works-with-authors.rq", "works-without-abstract.rq"}
    sparqlwrapper_like = requests.get(server.sparql, headers={"Accept": "application/rdf+xml"})
    assert sparqlwrapper_like.headers["Content-Type"].startswith("application/rdf+xml")


@pytest.mark.parametrize("accept,expected", [
    ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
    ("text/*;q=0.8, application/sparql-results+json;q=0.1", "text/csv"),
    ("text/csv;q=0, text/*", "text/tab-separated-values"),
    ("*/*", "application/sparql-results+json"),
    ("*/*;q=0.1, text/tab-separated-values", "text/tab-separated-values"),
    ("application/*;q=0.5, application/sparql-results+json;q=0", "application/sparql-results+xml"),
])
def test_negotiation_follows_rfc9110(server, accept, expected):
    r = requests.get(server.sparql, params={"query": COUNT_WORKS}, headers={"Accept": accept})
    assert r.status_code == 200 and r.headers["Content-Type"].split(";")[0] == expected


def test_not_acceptable_lists_formats(server):
    r = requests.get(server.sparql, params={"query": CONSTRUCT}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 406
    assert "text/turtle" in r.text and "application/ld+json" in r.text and "application/n-triples" in r.text
    r = requests.get(server.sparql, params={"query": COUNT_WORKS, "format": "png"})
    assert r.status_code == 406 and "json" in r.text
