"""`kg export`: every format parses back (rdflib) to what the store holds."""
from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from conftest import BASE, SEED_GRAPH, run_kg


def store_graph(store_path, graph: str | None = None) -> rdflib.Graph:
    """The store's triples (one graph or the union) as an rdflib Graph."""
    st = ox.Store.read_only(str(store_path))
    g = rdflib.Graph()
    quads = st.quads_for_pattern(None, None, None, ox.NamedNode(graph) if graph else None)
    data = ox.serialize((q.triple for q in quads), format=ox.RdfFormat.N_TRIPLES)
    g.parse(data=data.decode("utf-8"), format="nt")
    return g


def export(store_path, tmp_path, fmt, *extra) -> bytes:
    out = tmp_path / f"export.{fmt}"
    r = run_kg("export", "--store", str(store_path), "--format", fmt, "--out", str(out), *extra)
    assert r.returncode == 0, r.stderr
    return out.read_bytes()


@pytest.mark.parametrize("fmt,rdflib_format", [
    ("turtle", "turtle"), ("nt", "nt"), ("rdfxml", "xml"), ("jsonld", "json-ld"),
])
def test_triple_formats_round_trip(seed_store, tmp_path, fmt, rdflib_format):
    data = export(seed_store, tmp_path, fmt)
    parsed = rdflib.Graph().parse(data=data.decode("utf-8"), format=rdflib_format)
    expected = store_graph(seed_store)
    assert len(parsed) == len(expected) == 785
    assert isomorphic(parsed, expected)


@pytest.mark.parametrize("fmt,rdflib_format", [("nq", "nquads"), ("trig", "trig")])
def test_dataset_formats_keep_graph_names(seed_store, tmp_path, fmt, rdflib_format):
    data = export(seed_store, tmp_path, fmt)
    ds = rdflib.Dataset()
    ds.parse(data=data.decode("utf-8"), format=rdflib_format)
    graphs = {str(g.identifier): len(g) for g in ds.graphs() if len(g)}
    assert graphs == {SEED_GRAPH: 770, BASE + "graph/meta": 15}
    assert isomorphic(ds.graph(rdflib.URIRef(SEED_GRAPH)), store_graph(seed_store, SEED_GRAPH))


def test_turtle_has_prefixes(seed_store, tmp_path):
    text = export(seed_store, tmp_path, "turtle").decode("utf-8")
    assert "@prefix schema: <http://schema.org/> ." in text
    assert "@prefix dcterms: <http://purl.org/dc/terms/> ." in text
    assert "schema:ScholarlyArticle" in text and text.count("<http://schema.org/") == 1


def test_jsonld_is_compact_with_schema_org_terms(seed_store, tmp_path):
    doc = json.loads(export(seed_store, tmp_path, "jsonld", "--graph", SEED_GRAPH))
    ctx = doc["@context"]
    assert ctx["@vocab"] == "http://schema.org/" and ctx["dcterms"] == "http://purl.org/dc/terms/"
    works = [n for n in doc["@graph"] if n.get("type") == "ScholarlyArticle"]
    assert len(works) == 11
    mixtures = next(w for w in works if w["name"] == "Mixtures of Experts Unlock Parameter Scaling for Deep RL")
    assert len(mixtures["author"]) == 6 and mixtures["dcterms:title"] == mixtures["name"]
    positions = sorted(n["position"] for n in doc["@graph"] if n.get("type") == "ListItem")
    assert positions[:3] == [1, 1, 1] and len(positions) == 61
    parsed = rdflib.Graph().parse(data=json.dumps(doc), format="json-ld")
    assert isomorphic(parsed, store_graph(seed_store, SEED_GRAPH))


def test_export_one_graph_and_unknown_graph(seed_store, tmp_path):
    nt = export(seed_store, tmp_path, "nt", "--graph", BASE + "graph/meta").decode()
    assert len(nt.strip().splitlines()) == 15
    r = run_kg("export", "--store", str(seed_store), "--format", "nt", "--graph", BASE + "graph/nope")
    assert r.returncode == 1 and f"no graph <{BASE}graph/nope> in the store" in r.stderr


def test_hard_literals_survive(tmp_path):
    path = tmp_path / "store"
    st = ox.Store(str(path))
    s, p, g = ox.NamedNode(BASE + "work/x"), ox.NamedNode("http://schema.org/abstract"), ox.NamedNode(BASE + "graph/source/x")
    values = ['say "hi"', "back\\slash", "line\nbreak", "tab\there", "emoji \U0001F600 \U00010348", "é" * 10 + "x" * 200_000]
    st.extend(ox.Quad(s, p, ox.Literal(v), g) for v in values)
    del st
    for fmt, rdflib_format in [("turtle", "turtle"), ("nt", "nt"), ("jsonld", "json-ld"), ("rdfxml", "xml")]:
        data = export(path, tmp_path, fmt)
        parsed = rdflib.Graph().parse(data=data.decode("utf-8"), format=rdflib_format)
        assert sorted(str(o) for o in parsed.objects()) == sorted(values), fmt
