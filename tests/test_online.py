"""`kg link --online` against a local HTTP server on 127.0.0.1 serving
recorded responses: the real OpenAlex work and Crossref message of
../shared/data/external (wrapped in the APIs' list shapes), and dblp search
and Wikidata Query Service answers written in those services' JSON shapes
(tests/data). Never the internet."""
from __future__ import annotations

import json
import threading
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from flask import Flask, Response, request
from werkzeug.serving import make_server

from conftest import BASE, free_port, run_kg

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[1] / "shared/data"
pytestmark = pytest.mark.skipif(not DATA.exists(), reason=f"shared data not found at {DATA}")
TITLE = "The state of OA: a large-scale analysis of the prevalence and impact of Open Access articles"


@pytest.fixture()
def services():
    """A fake of the four APIs; counts requests and fails the first OpenAlex one with a 429."""
    app = Flask("fake-apis")
    hits: Counter = Counter()
    seen_agents: list[str] = []
    work = json.loads((DATA / "external/openalex/W2741809807.json").read_text(encoding="utf-8"))
    crossref = json.loads((DATA / "external/crossref/name-suffix.json").read_text(encoding="utf-8"))["message"]

    @app.get("/openalex/works")
    def openalex():
        hits["openalex"] += 1
        seen_agents.append(request.headers.get("User-Agent", ""))
        assert request.args["mailto"] == "tester@example.org"
        if hits["openalex"] == 1:
            return Response("slow down", status=429, headers={"Retry-After": "0"})
        return {"meta": {"count": 1}, "results": [work]}

    @app.get("/crossref/works")
    def crossref_works():
        hits["crossref"] += 1
        return {"status": "ok", "message-type": "work-list", "message": {"items": [crossref]}}

    @app.get("/dblp/search/publ/api")
    def dblp():
        hits["dblp"] += 1
        return json.loads((HERE / "data/dblp-search.json").read_text(encoding="utf-8"))

    @app.get("/wdqs")
    def wdqs():
        hits["wikidata"] += 1
        assert "P1476" in request.args["query"]
        return json.loads((HERE / "data/wdqs-results.json").read_text(encoding="utf-8"))

    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}", hits, seen_agents
    server.shutdown()


@pytest.fixture()
def oa_store(tmp_path):
    items = [{"id": "oa", "type": "article-journal", "title": TITLE,
              "author": [{"given": g, "family": f} for g, f in [("Heather", "Piwowar"), ("Jason", "Priem"),
                                                                 ("Vincent", "Larivière")]],
              "issued": {"date-parts": [[2018]]}}]
    src = tmp_path / "oa.json"
    src.write_text(json.dumps(items), encoding="utf-8")
    store = tmp_path / "store"
    assert run_kg("build", str(src), "--store", str(store)).returncode == 0
    return store


def test_online_link_with_cache_retry_and_contact(services, oa_store, tmp_path):
    base, hits, agents = services
    args = ["link", "--store", str(oa_store), "--online", "openalex,crossref,dblp,wikidata",
            "--contact", "tester@example.org", "--cache", str(tmp_path / "cache"),
            "--api-base", f"openalex={base}/openalex", "--api-base", f"crossref={base}/crossref",
            "--api-base", f"dblp={base}/dblp", "--api-base", f"wikidata={base}/wdqs"]
    r = run_kg(*args)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0].startswith("matched 1 works and 3 people against 4 records")
    assert hits == {"openalex": 2, "crossref": 1, "dblp": 1, "wikidata": 1}  # one retry after the 429
    assert agents[-1].startswith("kg/") and "mailto:tester@example.org" in agents[-1]
    st = ox.Store.read_only(str(oa_store))
    graph = BASE + "graph/links/match-online-openalex-crossref-dblp-wikidata"
    same = sorted(r["o"].value for r in st.query(f"SELECT ?o WHERE {{ GRAPH <{graph}> {{ ?w <http://schema.org/sameAs> ?o }} }}"))
    assert "https://doi.org/10.7717/peerj.4375" in same
    orcids = sorted(r["o"].value for r in st.query(f"""SELECT ?o WHERE {{ GRAPH <{graph}> {{ ?p <http://www.w3.org/2004/02/skos/core#exactMatch> ?o }}
                                                       FILTER(STRSTARTS(STR(?o), "https://orcid.org/")) }}"""))
    assert orcids == ["https://orcid.org/0000-0001-6187-6610", "https://orcid.org/0000-0002-2733-0689",
                      "https://orcid.org/0000-0003-1613-5981"]
    # a second run is answered from the on-disk cache
    r = run_kg(*args)
    assert r.returncode == 0 and hits == {"openalex": 2, "crossref": 1, "dblp": 1, "wikidata": 1}


def test_online_needs_a_contact_and_reports_a_dead_service(services, oa_store, tmp_path):
    base, hits, _ = services
    r = run_kg("link", "--store", str(oa_store), "--online", "openalex")
    assert r.returncode == 2 and "--contact" in r.stderr
    port = free_port()  # nothing listens there
    r = run_kg("link", "--store", str(oa_store), "--online", "crossref", "--contact", "t@example.org",
               "--cache", str(tmp_path / "c2"), "--api-base", f"crossref=http://127.0.0.1:{port}/crossref")
    assert r.returncode == 0
    assert "crossref: " in r.stderr and "not asked again in this run" in r.stderr
    assert r.stdout.splitlines()[0] == "matched 0 works and 0 people against 0 records; 0 candidates below 0.85"
