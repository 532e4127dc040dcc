"""SERVICE (SPARQL 1.1 Federated Query) from kg's endpoint to a second local
endpoint: `oxigraph serve` on 127.0.0.1 holding a few external records."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from conftest import Server, free_port, run_kg

OXIGRAPH = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
EXTERNAL = """
<http://www.wikidata.org/entity/Q90000001> <http://www.wikidata.org/prop/direct/P356> "10.5555/MOE.2024" .
<http://www.wikidata.org/entity/Q90000001> <http://www.wikidata.org/prop/direct/P1104> "14"^^<http://www.w3.org/2001/XMLSchema#integer> .
<http://www.wikidata.org/entity/Q90000003> <http://www.wikidata.org/prop/direct/P356> "10.5555/UNRELATED" .
"""
QUERY = """PREFIX bibo: <http://purl.org/ontology/bibo/> PREFIX schema: <http://schema.org/>
PREFIX wdt: <http://www.wikidata.org/prop/direct/>
SELECT ?title ?item ?pages WHERE {
  ?work bibo:doi ?doi ; schema:name ?title .
  BIND(UCASE(?doi) AS ?DOI)
  SERVICE <%s> { ?item wdt:P356 ?DOI . OPTIONAL { ?item wdt:P1104 ?pages } }
}"""


@pytest.fixture()
def remote(tmp_path):
    if not Path(OXIGRAPH).exists():
        pytest.fail("the `oxigraph` command is missing: pip install '.[test]' brings it")
    data = tmp_path / "external.nt"
    data.write_text(EXTERNAL, encoding="utf-8")
    location = tmp_path / "external-store"
    subprocess.run([OXIGRAPH, "load", "--location", str(location), "--file", str(data)], check=True,
                   capture_output=True)
    port = free_port()
    proc = subprocess.Popen([OXIGRAPH, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/query"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if requests.get(url, params={"query": "ASK {}"}, timeout=2).status_code == 200:
                break
        except requests.RequestException:
            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def test_service_joins_remote_and_local_data(tmp_path, remote):
    items = [{"id": "a", "type": "article-journal", "title": "Mixtures of Experts Unlock Parameter Scaling for Deep RL",
              "DOI": "10.5555/moe.2024", "author": [{"family": "Obando Ceron", "given": "Johan Samir"}]},
             {"id": "b", "type": "article-journal", "title": "A work Wikidata does not know", "DOI": "10.5555/absent",
              "author": [{"family": "Lovelace", "given": "Ada"}]}]
    src = tmp_path / "works.json"
    src.write_text(json.dumps(items), encoding="utf-8")
    store = tmp_path / "store"
    assert run_kg("build", str(src), "--store", str(store)).returncode == 0
    srv = Server(store)
    try:
        r = requests.get(srv.sparql, params={"query": QUERY % remote}, timeout=30)
        assert r.status_code == 200, r.text
        rows = [{k: v["value"] for k, v in b.items()} for b in r.json()["results"]["bindings"]]
        assert rows == [{"title": "Mixtures of Experts Unlock Parameter Scaling for Deep RL",
                         "item": "http://www.wikidata.org/entity/Q90000001", "pages": "14"}]
    finally:
        srv.stop()


def test_example_federated_query_parses():
    text = (Path(__file__).resolve().parents[1] / "queries/federated/wikidata-items-by-doi.rq").read_text()
    import pyoxigraph as ox
    # parsed (not run: no network here); an empty store answers without calling out
    # only when the local pattern has no solution, which is the case in an empty store
    assert list(ox.Store().query(text)) == []
