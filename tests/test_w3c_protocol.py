"""The W3C SPARQL 1.1 Protocol tests, read from the manifest and run against a
live `kg serve` on 127.0.0.1.

The manifest (../shared/w3c/sparql11-protocol-manifest.ttl, or the copy in
tests/w3c/) encodes each test as HTTP requests (ht: vocabulary) and the
expected response (status class, result form, boolean). Tests declaring
ut:graphData get data1.nt–data3.nt loaded into the graphs named by their
labels first, through the Graph Store Protocol. Updates are allowed with a
bearer token; the runner plays an authorised client and sends it.
"""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import rdflib
import requests
from rdflib import RDF, RDFS, Namespace
from rdflib.collection import Collection

from conftest import Server, run_kg

HERE = Path(__file__).resolve().parent
CANDIDATES = [HERE.parents[1] / "shared/w3c", HERE / "w3c"]
W3C = next((p for p in CANDIDATES if (p / "sparql11-protocol-manifest.ttl").exists()), CANDIDATES[-1])
MANIFEST = W3C / "sparql11-protocol-manifest.ttl"

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
TOKEN = "w3c-protocol-tests"


def load_manifest() -> list[dict]:
    """The manifest's tests in order, each as a dict of plain values."""
    g = rdflib.Graph().parse(MANIFEST, format="turtle", publicID=MANIFEST.as_uri())
    manifest = next(g.subjects(RDF.type, MF.Manifest))
    tests = []
    for t in Collection(g, g.value(manifest, MF.entries)):
        action = g.value(t, MF.action)
        reqs = []
        for r in Collection(g, g.value(action, HT.requests)):
            body = g.value(r, HT.body)
            headers_list = g.value(r, HT.headers)
            headers = {}
            if headers_list is not None:
                for h in Collection(g, headers_list):
                    headers[str(g.value(h, HT.fieldName))] = str(g.value(h, HT.fieldValue))
            resp = g.value(r, HT.resp)
            expected_bool = g.value(resp, MF.expectedBoolean)
            reqs.append({
                "method": str(g.value(r, HT.methodName)),
                "path": str(g.value(r, HT.absolutePath)),
                "headers": headers,
                "body": None if body is None else (str(g.value(body, CNT.chars)),
                                                   str(g.value(body, CNT.characterEncoding) or "UTF-8")),
                "status": {str(s).rsplit("#", 1)[1] for s in g.objects(resp, MF.expectedStatus)},
                "format": str(g.value(resp, MF.expectedFormat) or "") or None,
                "boolean": None if expected_bool is None else expected_bool.toPython(),
            })
        data = [(W3C / Path(str(g.value(d, UT.graph))).name, str(g.value(d, RDFS.label)))
                for d in g.objects(t, UT.graphData)]
        tests.append({"id": str(t).rsplit("#", 1)[1], "name": str(g.value(t, MF.name)),
                      "requests": reqs, "graph_data": data})
    return tests


TESTS = load_manifest() if MANIFEST.exists() else []


def test_manifest_has_34_tests():
    assert MANIFEST.exists(), f"W3C manifest not found in {[str(p) for p in CANDIDATES]}"
    assert len(TESTS) == 34
    assert sum(1 for t in TESTS if t["graph_data"]) == 6


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    store = tmp_path_factory.mktemp("w3c") / "store"
    empty = store.parent / "empty.txt"
    empty.write_text("Publications\n\nA placeholder work for the protocol tests\nAda Lovelace\n", encoding="utf-8")
    assert run_kg("build", str(empty), "--store", str(store)).returncode == 0
    srv = Server(store, "--update-token", TOKEN)
    yield srv
    srv.stop()


def _load_graph_data(endpoint: Server, graph_data) -> None:
    for path, graph in graph_data:
        r = requests.put(endpoint.url + "/rdf-graph-store", params={"graph": graph}, data=path.read_bytes(),
                         headers={"Content-Type": "application/n-triples", "Authorization": f"Bearer {TOKEN}"})
        assert r.status_code in (201, 204), r.text


def _boolean(resp: requests.Response) -> bool:
    ctype = resp.headers.get("Content-Type", "").split(";")[0]
    if "json" in ctype:
        return json.loads(resp.text)["boolean"]
    root = ET.fromstring(resp.content)
    return root.find("{http://www.w3.org/2005/sparql-results#}boolean").text == "true"


RESULT_TYPES = {"application/sparql-results+json", "application/sparql-results+xml", "text/csv",
                "text/tab-separated-values", "application/json"}
RDF_TYPES = {"text/turtle": "turtle", "application/n-triples": "nt", "application/rdf+xml": "xml",
             "application/ld+json": "json-ld", "application/n-quads": "nquads", "application/trig": "trig"}


@pytest.mark.parametrize("test", TESTS, ids=[t["id"] for t in TESTS])
def test_protocol(endpoint, test):
    _load_graph_data(endpoint, test["graph_data"])
    for i, req in enumerate(test["requests"]):
        url = endpoint.url + req["path"]  # every path starts with /sparql/
        headers = {**req["headers"], "Authorization": f"Bearer {TOKEN}"}
        data = None
        if req["body"] is not None:
            chars, encoding = req["body"]
            data = chars.encode(encoding)
        resp = requests.request(req["method"], url, data=data, headers=headers, timeout=30)
        status_class = f"StatusCode{str(resp.status_code)[0]}xx"
        where = f"{test['id']} request {i + 1}: {req['method']} {req['path'][:80]} -> {resp.status_code} {resp.text[:200]!r}"
        assert status_class in req["status"], where
        if resp.status_code >= 400:
            assert resp.status_code != 500 and resp.text.strip(), where
            continue
        ctype = resp.headers.get("Content-Type", "").split(";")[0]
        if req["format"] in ("boolean", "tabular"):
            assert ctype in RESULT_TYPES, where
        if req["format"] == "RDF":
            assert ctype in RDF_TYPES, where
            rdflib.Graph().parse(data=resp.text, format=RDF_TYPES[ctype])
        if req["boolean"] is not None:
            assert _boolean(resp) is req["boolean"], where
