"""The example queries of queries/ run with `kg query` on the seed graph."""
from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import BASE, SEED_GRAPH, run_kg
from kg.resources import resource_dir

QUERIES = resource_dir("queries")
MIXTURES = "Mixtures of Experts Unlock Parameter Scaling for Deep RL"


def run_json(store: Path, *args: str) -> list[dict[str, str]]:
    r = run_kg("query", "--store", str(store), "--format", "json", *args)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    return [{k: v["value"] for k, v in b.items()} for b in doc["results"]["bindings"]]


def run_file(store: Path, name: str) -> list[dict[str, str]]:
    return run_json(store, "--file", str(QUERIES / name))


def test_every_query_opens_with_a_comment():
    files = sorted(p.name for p in QUERIES.glob("*.rq"))
    assert files == ["author-list.rq", "coauthors.rq", "graph-stats.rq", "people-by-works.rq",
                     "works-with-authors.rq", "works-without-abstract.rq"]
    for f in files:
        first = (QUERIES / f).read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# ") and len(first) > 20, f


def test_works_with_authors(seed_store):
    rows = run_file(seed_store, "works-with-authors.rq")
    assert len(rows) == 61
    assert len({r["work"] for r in rows}) == 11
    mixtures = [(r["position"], r["name"]) for r in rows if r["title"] == MIXTURES]
    assert mixtures == [("1", "Johan Samir Obando Ceron"), ("2", "Ghada Sokar"), ("3", "Timon Willi"),
                        ("4", "Clare Lyle"), ("5", "Jesse Farebrother"), ("6", "Jakob Nicolaus Foerster")]
    assert rows[0]["title"] == "A self-attention-based CNN-Bi-LSTM model for accurate state-of-charge estimation of lithium-ion batteries"


def test_coauthors(seed_store):
    rows = run_file(seed_store, "coauthors.rq")
    assert [r["name"] for r in rows] == sorted(
        ["Johan Samir Obando Ceron", "Ghada Sokar", "Timon Willi", "Clare Lyle", "Jakob Nicolaus Foerster",
         "Jordi Orbay", "Quan Vuong", "Adrien Ali Taiga", "Yevgen Chebotar", "Ted Xiao", "Alex Irpan",
         "Sergey Levine", "Aleksandra Faust", "Aviral Kumar", "Rishabh Agarwal"])
    assert {r["works"] for r in rows} == {"1"}


def test_people_by_works(seed_store):
    rows = run_file(seed_store, "people-by-works.rq")
    assert len(rows) == 60
    assert (rows[0]["name"], rows[0]["works"]) == ("Jesse Farebrother", "2")
    assert [r["works"] for r in rows[1:]] == ["1"] * 59
    assert rows[1]["name"] == "Adrien Ali Taiga"


def test_works_without_abstract(seed_store):
    rows = run_file(seed_store, "works-without-abstract.rq")
    assert [r["title"] for r in rows] == [
        "A self-attention-based CNN-Bi-LSTM model for accurate state-of-charge estimation of lithium-ion batteries",
        "Patient-Centered Surgical Care for Children in Low and Lower-Middle Income Countries (LMICs) - A Systematic Scoping Review of the Literature",
        "Refining SARS-CoV-2 Intra-host Variation by Leveraging Large-scale Sequencing Data",
        "Robust Data-driven Prescriptiveness Optimization",
        "Sarah Frank-Wolfe: Methods for Constrained Optimization with Best Rates and Practical Features",
        "Stop Regressing: Training Value Functions via Classification for Scalable Deep RL",
    ]


def test_author_list(seed_store):
    rows = run_file(seed_store, "author-list.rq")
    assert [r["authors"] for r in rows] == [
        "Johan Samir Obando Ceron; Ghada Sokar; Timon Willi; Clare Lyle; Jesse Farebrother; Jakob Nicolaus Foerster"]


def test_graph_stats(seed_store):
    rows = run_file(seed_store, "graph-stats.rq")
    assert [(r["graph"], r["triples"]) for r in rows] == [(SEED_GRAPH, "770"), (BASE + "graph/meta", "15")]


def test_table_is_the_default_format(seed_store):
    r = run_kg("query", "--store", str(seed_store), "--file", str(QUERIES / "works-without-abstract.rq"))
    assert r.returncode == 0
    assert "Robust Data-driven Prescriptiveness Optimization" in r.stdout
    assert r.stdout.rstrip().endswith("6 rows")


def test_csv_tsv_xml_formats(seed_store):
    query = "PREFIX schema: <http://schema.org/> SELECT ?name WHERE { ?p a schema:Person ; schema:name ?name } ORDER BY ?name LIMIT 3"
    expected = ["Adrien Ali Taiga", "Adrien Peyrache", "Aleksandr Beznosikov"]
    out = run_kg("query", "--store", str(seed_store), "--format", "csv", query).stdout
    assert [row["name"] for row in csv.DictReader(io.StringIO(out))] == expected
    out = run_kg("query", "--store", str(seed_store), "--format", "tsv", query).stdout.splitlines()
    assert out[0] == "?name" and out[1:4] == [f'"{n}"' for n in expected]
    out = run_kg("query", "--store", str(seed_store), "--format", "xml", query).stdout
    ns = {"r": "http://www.w3.org/2005/sparql-results#"}
    assert [e.text for e in ET.fromstring(out).findall(".//r:literal", ns)] == expected


def test_construct_formats(seed_store):
    query = 'PREFIX schema: <http://schema.org/> CONSTRUCT { ?w schema:name ?t } WHERE { ?w schema:name ?t ; a schema:ScholarlyArticle }'
    ttl = run_kg("query", "--store", str(seed_store), "--format", "turtle", query).stdout
    assert "@prefix schema: <http://schema.org/> ." in ttl and ttl.count("schema:name") == 11
    nt = run_kg("query", "--store", str(seed_store), "--format", "nt", query).stdout
    assert len(nt.strip().splitlines()) == 11
    doc = json.loads(run_kg("query", "--store", str(seed_store), "--format", "jsonld", query).stdout)
    assert sorted(n["name"] for n in doc["@graph"])[0].startswith("A self-attention")
    assert doc["@context"]["@vocab"] == "http://schema.org/"


@pytest.mark.parametrize("args,message", [
    (["SELEC * WHERE { ?s ?p ?o }"], "SPARQL syntax error at 1:1"),
    (["--format", "turtle", "SELECT * WHERE { ?s ?p ?o }"], "does not fit this query's result"),
    (["--file", "/nonexistent/q.rq"], "/nonexistent/q.rq: cannot read the query"),
    ([], "give a QUERY or --file"),
])
def test_query_errors_are_one_line(seed_store, args, message):
    r = run_kg("query", "--store", str(seed_store), *args)
    assert r.returncode != 0
    assert message in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_query_without_store(tmp_path):
    r = run_kg("query", "--store", str(tmp_path / "none"), "ASK {}")
    assert r.returncode == 1
    assert r.stderr.strip() == f"kg: error: {tmp_path / 'none'}: no store here (run `kg build SOURCE --store {tmp_path / 'none'}` first)"


@pytest.mark.parametrize("command", ["", "build", "query", "export", "serve"])
def test_help_explains_with_an_example(command):
    r = run_kg(*([command] if command else []), "--help")
    assert r.returncode == 0
    assert "Example" in r.stdout and "kg " in r.stdout


def test_check_query_nesting_limit_is_exact():
    """200 nested brackets pass and 201 are refused, also when the quick count
    of opening brackets lets a query skip the full scan."""
    from kg.sparql import MAX_NESTING, QueryError, check_query

    def nested(depth: int) -> str:  # the braces of ASK { } count as one level
        return "ASK { FILTER(" + "(" * (depth - 2) + "1" + ")" * (depth - 2) + ") }"

    check_query(nested(MAX_NESTING))
    with pytest.raises(QueryError, match="the query nests brackets 201 deep; the limit is 200"):
        check_query(nested(MAX_NESTING + 1))
    # many brackets side by side are not nesting: scanned, and accepted
    check_query("ASK { " + "FILTER(1) " * 300 + "}")
    # SERVICE is looked for whenever federation is off, however short the query
    with pytest.raises(QueryError, match="SERVICE"):
        check_query("ASK { SERVICE <http://127.0.0.1:1/> { } }", allow_service=False)
