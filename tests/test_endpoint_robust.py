"""The endpoint under stress and misuse: time limit, concurrent clients,
builds while serving, streaming memory, limits, writes with a token, CORS,
metrics, caching. All traffic to a `kg serve` on 127.0.0.1."""
from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest
import requests

from conftest import SEED_GRAPH, Server, descendants, run_kg

TOKEN = "s3cret-token"
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # 785^3 rows to count
COUNT_WORKS = "PREFIX schema: <http://schema.org/> SELECT (COUNT(DISTINCT ?w) AS ?n) WHERE { ?w a schema:ScholarlyArticle }"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def count(resp: requests.Response) -> int:
    assert resp.status_code == 200, resp.text
    return int(resp.json()["results"]["bindings"][0]["n"]["value"])


@pytest.fixture(scope="module")
def limited(tmp_path_factory, seed_path):
    """`kg serve` with a 2 s time limit, small limits and an update token."""
    store = tmp_path_factory.mktemp("limited") / "store"
    assert run_kg("build", str(seed_path), "--store", str(store)).returncode == 0
    srv = Server(store, "--timeout", "2", "--update-token", TOKEN, "--max-body", "20000", "--max-rows", "100",
                 "--workers", "2")
    srv.store = store
    yield srv
    srv.stop()


def test_slow_query_is_stopped_and_others_are_answered(limited):
    result: dict = {}

    def slow():
        t0 = time.monotonic()
        r = requests.get(limited.sparql, params={"query": SLOW}, timeout=30)
        result.update(status=r.status_code, text=r.text, seconds=time.monotonic() - t0)

    t = threading.Thread(target=slow)
    t.start()
    time.sleep(0.5)
    t0 = time.monotonic()
    assert count(requests.get(limited.sparql, params={"query": COUNT_WORKS, "format": "json", "x": "1"}, timeout=10)) == 11
    during = time.monotonic() - t0
    t.join(timeout=30)
    assert result["status"] == 503
    assert result["text"].strip() == "the query exceeded 2 seconds, this endpoint's time limit, and was stopped"
    assert 2.0 <= result["seconds"] <= 4.0
    assert during < 1.5 and "status" in result
    health = requests.get(limited.url + "/health", timeout=10)
    assert health.status_code == 200 and health.json()["triples"] == 785
    metrics = requests.get(limited.url + "/metrics").text
    assert "kg_queries_timed_out_total 1.0" in metrics


def test_metrics_exposition(limited):
    requests.get(limited.sparql, params={"query": "ASK {}"})
    requests.get(limited.sparql, params={"query": "ASK {"})
    text = requests.get(limited.url + "/metrics").text
    assert 'kg_http_requests_total{endpoint="sparql",status="200"}' in text
    assert 'kg_http_requests_total{endpoint="sparql",status="400"}' in text
    assert 'kg_http_request_duration_seconds_bucket{endpoint="sparql",le="0.1"}' in text


def test_cors(limited):
    r = requests.get(limited.sparql, params={"query": "ASK {}"}, headers={"Origin": "http://example.com"})
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    r = requests.options(limited.sparql, headers={"Origin": "http://example.com", "Access-Control-Request-Method": "POST",
                                                  "Access-Control-Request-Headers": "Content-Type"})
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in r.headers["Access-Control-Allow-Methods"]
    assert "content-type" in r.headers["Access-Control-Allow-Headers"].lower()


def test_request_body_limit(limited):
    r = requests.post(limited.sparql, data={"query": "ASK {} #" + "x" * 30000})
    assert r.status_code == 413 and "larger than 20000 bytes" in r.text


def test_jsonld_row_limit(limited):
    r = requests.get(limited.sparql, params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"}, headers={"Accept": "application/ld+json"})
    assert r.status_code == 406 and "more than 100 triples" in r.text
    r = requests.get(limited.sparql, params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"}, headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.text.count("\n") > 100


def test_updates_need_the_token(limited):
    upd = "INSERT DATA { GRAPH <http://example.org/g1> { <http://example.org/s> <http://example.org/p> 1 } }"
    r = requests.post(limited.sparql, data=upd, headers={"Content-Type": "application/sparql-update"})
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")
    r = requests.post(limited.sparql, data=upd, headers={"Content-Type": "application/sparql-update",
                                                         "Authorization": "Bearer wrong"})
    assert r.status_code == 403
    r = requests.post(limited.sparql, data={"update": upd}, headers=AUTH)
    assert r.status_code == 204
    q = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <http://example.org/g1> { ?s ?p ?o } }"
    assert count(requests.get(limited.sparql, params={"query": q})) == 1
    r = requests.post(limited.sparql, data={"update": "INSERT DATA { <a> <b> "}, headers=AUTH)
    assert r.status_code == 400 and "syntax" in r.text
    r = requests.post(limited.sparql, data={"update": "DROP GRAPH <http://example.org/g1>"}, headers=AUTH)
    assert r.status_code == 204
    assert count(requests.get(limited.sparql, params={"query": q})) == 0


def test_every_server_process_sees_a_write_at_once(limited):
    """kg serve runs two server processes, each with its own answer cache: once
    a write is answered, no request gets an answer cached before it, whichever
    process takes it (each request opens a new connection)."""
    q = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <http://example.org/g2> { ?s ?p ?o } } # processes"
    assert [count(requests.get(limited.sparql, params={"query": q})) for _ in range(20)] == [0] * 20
    upd = "INSERT DATA { GRAPH <http://example.org/g2> { <http://example.org/s> <http://example.org/p> 2 } }"
    assert requests.post(limited.sparql, data={"update": upd}, headers=AUTH).status_code == 204
    assert [count(requests.get(limited.sparql, params={"query": q})) for _ in range(20)] == [1] * 20
    assert requests.post(limited.sparql, data={"update": "DROP GRAPH <http://example.org/g2>"},
                         headers=AUTH).status_code == 204
    assert [count(requests.get(limited.sparql, params={"query": q})) for _ in range(20)] == [0] * 20


def test_metrics_add_up_over_server_processes(limited):
    def answered() -> float:
        text = requests.get(limited.url + "/metrics").text
        found = re.search(r'^kg_http_requests_total\{endpoint="sparql",status="200"\} (\S+)$', text, re.M)
        return float(found.group(1)) if found else 0.0

    before = answered()
    for i in range(30):  # new connections: both server processes answer some
        assert requests.get(limited.sparql, params={"query": f"ASK {{}} # {i}"}).status_code == 200
    assert answered() - before == 30.0


def test_graph_store_protocol(limited):
    gsp = limited.url + "/rdf-graph-store"
    g = "http://example.org/gsp-test"
    ttl = "<http://example.org/a> <http://example.org/b> \"one\" .\n"
    assert requests.get(gsp, params={"graph": g}).status_code == 404
    r = requests.put(gsp, params={"graph": g}, data=ttl, headers={"Content-Type": "text/turtle"})
    assert r.status_code == 401
    r = requests.put(gsp, params={"graph": g}, data=ttl, headers={"Content-Type": "text/turtle", **AUTH})
    assert r.status_code == 201
    r = requests.put(gsp, params={"graph": g}, data=ttl, headers={"Content-Type": "text/turtle", **AUTH})
    assert r.status_code == 204
    r = requests.post(gsp, params={"graph": g}, data='<http://example.org/a> <http://example.org/b> "two" .',
                      headers={"Content-Type": "application/n-triples", **AUTH})
    assert r.status_code == 204
    r = requests.get(gsp, params={"graph": g}, headers={"Accept": "application/n-triples"})
    assert r.status_code == 200 and sorted(r.text.strip().splitlines()) == [
        '<http://example.org/a> <http://example.org/b> "one" .', '<http://example.org/a> <http://example.org/b> "two" .']
    h = requests.head(gsp, params={"graph": g}, headers={"Accept": "application/n-triples"})
    assert h.status_code == 200 and h.text == "" and int(h.headers["Content-Length"]) == len(r.content)
    r = requests.put(gsp, params={"graph": g}, data="not turtle <<<", headers={"Content-Type": "text/turtle", **AUTH})
    assert r.status_code == 400 and "cannot parse" in r.text
    r = requests.put(gsp, params={"graph": g}, data=ttl, headers={"Content-Type": "image/png", **AUTH})
    assert r.status_code == 415
    assert requests.delete(gsp, params={"graph": g}, headers=AUTH).status_code == 204
    assert requests.delete(gsp, params={"graph": g}, headers=AUTH).status_code == 404
    assert requests.get(gsp, params={"graph": g}).status_code == 404
    assert requests.get(gsp).status_code == 400
    r = requests.get(gsp, params={"graph": SEED_GRAPH}, headers={"Accept": "application/n-triples"})
    assert len(r.text.strip().splitlines()) == 770
    assert requests.get(gsp, params={"default": ""}, headers={"Accept": "application/n-triples"}).text == ""


def test_writes_are_off_without_a_token(server):
    r = requests.post(server.sparql, data={"update": "CLEAR ALL"})
    assert r.status_code == 403 and "--update-token" in r.text
    r = requests.delete(server.url + "/rdf-graph-store", params={"graph": SEED_GRAPH})
    assert r.status_code == 403
    assert requests.get(server.url + "/health").json()["triples"] == 785


def test_etag_and_cache(server):
    params = {"query": COUNT_WORKS + " # etag test"}
    r1 = requests.get(server.sparql, params=params)
    etag = r1.headers["ETag"]
    assert count(r1) == 11 and etag.startswith('"kg1-')
    r2 = requests.get(server.sparql, params=params, headers={"If-None-Match": etag})
    assert r2.status_code == 304 and r2.content == b""
    r3 = requests.get(server.sparql, params=params, headers={"Accept": "text/csv"})
    assert r3.headers["ETag"] != etag and r3.text.splitlines() == ["n", "11"]


def test_etag_changes_after_a_build(tmp_path, seed_path):
    store = tmp_path / "store"
    assert run_kg("build", str(seed_path), "--store", str(store)).returncode == 0
    srv = Server(store)
    try:
        params = {"query": COUNT_WORKS}
        r1 = requests.get(srv.sparql, params=params)
        assert count(r1) == 11
        other = tmp_path / "more.txt"
        other.write_text("Publications\n\nA paper about caches: and more\nAda Lovelace\n", encoding="utf-8")
        assert run_kg("build", str(other), "--store", str(store)).returncode == 0
        r2 = requests.get(srv.sparql, params=params, headers={"If-None-Match": r1.headers["ETag"]})
        assert r2.status_code == 200 and count(r2) == 12 and r2.headers["ETag"] != r1.headers["ETag"]
    finally:
        srv.stop()


def test_queries_during_a_build_see_old_or_new(tmp_path, seed_path):
    """While a source is rebuilt, every answer is the old or the new state."""
    store = tmp_path / "store"
    big = tmp_path / "big.txt"
    lines = ["Publications", ""]
    for i in range(3000):
        lines += [f"Study number {i}: on graphs and stores", f"Author{chr(65 + i % 26)} Person{chr(65 + i // 26 % 26)}"]
    big.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert run_kg("build", str(seed_path), "--store", str(store)).returncode == 0
    srv = Server(store, "--cache-entries", "0")
    seen: set[int] = set()
    stop = threading.Event()

    errors: list[str] = []

    def poll():
        while not stop.is_set():
            r = requests.get(srv.sparql, params={"query": COUNT_WORKS}, timeout=30)
            if r.status_code != 200:
                errors.append(f"{r.status_code} {r.text}")
            else:
                seen.add(count(r))

    try:
        threads = [threading.Thread(target=poll) for _ in range(2)]
        for t in threads:
            t.start()
        r = run_kg("build", str(big), "--store", str(store))
        assert r.returncode == 0, r.stderr
        finished = time.monotonic()
        while time.monotonic() - finished < 5 and 3011 not in seen:
            time.sleep(0.05)
        stop.set()
        for t in threads:
            t.join(timeout=30)
        assert errors == []
        assert seen == {11, 3011}
    finally:
        stop.set()
        srv.stop()


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def test_large_results_stream_in_flat_memory(server, capsys):
    """A 1,000,000-row result streams while the server's memory stays flat."""
    pids = [server.proc.pid, *descendants(server.proc.pid)]
    before = {p: _rss_kb(p) for p in pids}
    peak = dict(before)
    query = "SELECT ?p WHERE { ?a ?p ?c . ?d ?e ?f . ?g ?h ?i } LIMIT 1000000"
    rows = 0
    received = 0
    with requests.get(server.sparql, params={"query": query}, headers={"Accept": "text/tab-separated-values"},
                      stream=True, timeout=120) as r:
        assert r.status_code == 200 and "Content-Length" not in r.headers
        for i, chunk in enumerate(r.iter_content(chunk_size=1 << 16)):
            rows += chunk.count(b"\n")
            received += len(chunk)
            if i % 50 == 0:
                for p in pids:
                    peak[p] = max(peak[p], _rss_kb(p))
    assert rows == 1_000_001  # header line + 1,000,000 rows
    growth = {p: (peak[p] - before[p]) / 1024 for p in pids}
    with capsys.disabled():
        print(f"\n  streamed {rows - 1} rows, {received / 1e6:.1f} MB; RSS growth MB by process: "
              + ", ".join(f"{p}: {g:.1f}" for p, g in growth.items()))
    assert growth[server.proc.pid] < 40
    assert max(growth.values()) < 80 and received > 30e6


def test_a_client_leaving_mid_stream_stops_the_query_but_keeps_the_worker(server):
    """A client that drops a streamed answer stops the query; its worker stops
    at its next chunk and goes back to the pool, warm, instead of being killed."""
    before = set(descendants(server.proc.pid))
    query = "SELECT ?p WHERE { ?a ?p ?c . ?d ?e ?f . ?g ?h ?i } LIMIT 1000000 # leaves early"
    with requests.get(server.sparql, params={"query": query}, headers={"Accept": "text/tab-separated-values"},
                      stream=True, timeout=60) as r:
        assert r.status_code == 200
        first = next(r.iter_content(chunk_size=1 << 16))
        assert first.startswith(b"?p\n")
    time.sleep(2)
    assert set(descendants(server.proc.pid)) == before  # no worker killed and replaced
    assert count(requests.get(server.sparql, params={"query": COUNT_WORKS + " # after"})) == 11
    text = requests.get(server.url + "/metrics").text
    assert "kg_queries_timed_out_total 0.0" in text


def test_deep_nesting_is_refused_not_crashing(server):
    deep = "ASK { FILTER(" + "(" * 5000 + "1" + ")" * 5000 + ") }"
    r = requests.post(server.sparql, data={"query": deep})
    assert r.status_code == 400 and r.text.strip() == "the query nests brackets 5002 deep; the limit is 200"
    assert requests.get(server.url + "/health").status_code == 200


def test_failing_service_and_unknown_function(server):
    port = __import__("conftest").free_port()  # nothing listens there
    q = f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}"
    r = requests.get(server.sparql, params={"query": q})
    assert r.status_code == 502 and r.text.startswith("a SERVICE endpoint of the query failed:")
    r = requests.get(server.sparql, params={"query": "SELECT (<http://example.org/f>(1) AS ?x) {}"})
    assert r.status_code == 400 and r.text.startswith("the query cannot be evaluated:")
    assert requests.get(server.url + "/health").status_code == 200


def test_service_can_be_turned_off(tmp_path, seed_path):
    store = tmp_path / "store"
    assert run_kg("build", str(seed_path), "--store", str(store)).returncode == 0
    srv = Server(store, "--no-service")
    try:
        r = requests.get(srv.sparql, params={"query": "SELECT * { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }"})
        assert r.status_code == 400 and r.text.strip() == "SERVICE (federated query) is disabled on this endpoint"
    finally:
        srv.stop()


def test_head_and_accept_parameters_and_client_format_names(server):
    r = requests.head(server.sparql, params={"query": "ASK {}"})
    assert r.status_code == 200 and r.text == ""
    construct = "CONSTRUCT { <http://example.org/s> <http://example.org/p> 1 } WHERE {}"
    r = requests.get(server.sparql, params={"query": construct}, headers={"Accept": "text/turtle; charset=utf-8"})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/turtle")
    r = requests.get(server.sparql, params={"query": construct}, headers={
        "Accept": 'application/ld+json; profile="http://www.w3.org/ns/json-ld#compacted"'})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/ld+json")
    for value, ctype in [("n3", "text/turtle"), ("rdf+xml", "application/rdf+xml"), ("json", "application/ld+json"),
                         ("text/turtle", "text/turtle")]:
        r = requests.get(server.sparql, params={"query": construct, "format": value})
        assert r.status_code == 200 and r.headers["Content-Type"].startswith(ctype), value


def test_repeated_default_graph_counts_once(server):
    q = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    r = requests.get(server.sparql, params=[("query", q), ("default-graph-uri", SEED_GRAPH),
                                            ("default-graph-uri", SEED_GRAPH)])
    assert count(r) == 770


def test_rebuilt_store_is_reopened_even_at_the_same_generation(tmp_path, seed_path):
    import shutil
    store = tmp_path / "store"
    assert run_kg("build", str(seed_path), "--store", str(store)).returncode == 0
    srv = Server(store, "--cache-entries", "0")
    try:
        assert count(requests.get(srv.sparql, params={"query": COUNT_WORKS})) == 11
        shutil.rmtree(store)
        other = tmp_path / "other.txt"
        other.write_text("Publications\n\nOne lone paper: here\nAda Lovelace\n", encoding="utf-8")
        assert run_kg("build", str(other), "--store", str(store)).returncode == 0  # generation 1 again
        deadline = time.monotonic() + 5
        n = None
        while time.monotonic() < deadline and n != 1:
            r = requests.get(srv.sparql, params={"query": COUNT_WORKS})
            n = count(r) if r.status_code == 200 else None
            time.sleep(0.1)
        assert n == 1
    finally:
        srv.stop()


def test_if_none_match_gives_304_for_an_unchanged_store(server):
    """Regression: the ETag is compared as quoted by the client."""
    params = {"query": "ASK { ?s ?p ?o } # 304 check"}
    first = requests.get(server.sparql, params=params)
    again = requests.get(server.sparql, params=params, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.headers["ETag"] == first.headers["ETag"]
    other = requests.get(server.sparql, params=params, headers={"If-None-Match": '"kg0-nope"'})
    assert other.status_code == 200 and other.json() == {"head": {}, "boolean": True}


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_serve_stops_cleanly(seed_store, how):
    """Ctrl-C in a terminal (SIGINT to the whole process group) and SIGTERM to
    `kg serve` both stop every process it started, after it has served queries."""
    import os
    import signal
    import subprocess

    from conftest import KG, free_port

    port = free_port()
    proc = subprocess.Popen([*KG, "serve", "--store", str(seed_store), "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.2)
        for _ in range(4):  # fresh connections, so both server processes answer
            assert count(requests.get(f"http://127.0.0.1:{port}/sparql", params={"query": COUNT_WORKS},
                                      headers={"Connection": "close"}, timeout=10)) == 11
        group = descendants(proc.pid)
        assert len(group) >= 3  # server processes and the query worker
        if how == "ctrl-c":
            os.killpg(proc.pid, signal.SIGINT)
        else:
            proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
        deadline = time.monotonic() + 10
        while [p for p in group if Path(f"/proc/{p}").exists()] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [p for p in group if Path(f"/proc/{p}").exists()] == []
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
