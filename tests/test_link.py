"""`kg link`: identifier links, matching against other graphs' records, review
round trip, undo. Real store, real command."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import BASE, run_kg

DATA = Path(__file__).resolve().parents[2] / "shared/data"
P = ("PREFIX schema: <http://schema.org/> PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
     "PREFIX owl: <http://www.w3.org/2002/07/owl#> PREFIX sssom: <https://w3id.org/sssom/> ")
MIXTURES = "Mixtures of Experts Unlock Parameter Scaling for Deep RL"


def q(store, sparql):
    st = ox.Store.read_only(str(store))
    return [[t.value if t is not None else None for t in r] for r in st.query(P + sparql, use_default_graph_as_union=True)]


def openalex_work(title, doi, authors, year=2024, wid="W4391000000"):
    return {"id": f"https://openalex.org/{wid}", "doi": f"https://doi.org/{doi}", "title": title,
            "publication_date": f"{year}-02-13", "type": "article",
            "authorships": [{"author": {"id": f"https://openalex.org/A{5000000000 + i}", "display_name": name,
                                        "orcid": orcid and f"https://orcid.org/{orcid}"}}
                            for i, (name, orcid) in enumerate(authors)]}


@pytest.fixture()
def seed_copy(tmp_path, seed_path):
    store = tmp_path / "store"
    assert run_kg("build", str(seed_path), "--store", str(store)).returncode == 0
    return store


@pytest.fixture()
def openalex_file(tmp_path):
    works = [
        openalex_work(MIXTURES, "10.5555/MOE.2024", [
            ("Johan S. Obando-Ceron", None), ("Ghada Sokar", "0000-0002-1694-233X"), ("Timon Willi", None),
            ("Clare Lyle", None), ("Jesse Farebrother", None), ("Jakob Foerster", None)]),
        # a near title by other people: a candidate for review, not a link
        openalex_work("Robust data-driven prescriptiveness optimisation", "10.5555/other",
                      [("Someone Else", None)], year=2019, wid="W4391000001"),
    ]
    path = tmp_path / "openalex.json"
    path.write_text(json.dumps({"results": works}), encoding="utf-8")
    return path


def test_match_links_work_and_people(seed_copy, openalex_file, tmp_path):
    cands = tmp_path / "review.tsv"
    r = run_kg("link", "--store", str(seed_copy), "--against", str(openalex_file), "--candidates", str(cands))
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == "matched 1 works and 6 people against 2 records; 1 candidates below 0.85"
    graph = BASE + "graph/links/match-openalex"
    rows = q(seed_copy, f"""SELECT ?o ?c ?j WHERE {{ GRAPH <{graph}> {{ ?m owl:annotatedSource ?w ;
             owl:annotatedProperty skos:exactMatch ; owl:annotatedTarget ?o ; sssom:confidence ?c ;
             sssom:mapping_justification ?j }} ?w schema:name "{MIXTURES}" }}""")
    assert [(o, j) for o, _, j in rows] == [("https://doi.org/10.5555/moe.2024", "https://w3id.org/semapv/vocab/LexicalMatching")]
    assert 0.85 <= float(rows[0][1]) <= 1.0
    same = q(seed_copy, f"""SELECT ?o WHERE {{ GRAPH <{graph}> {{ ?w schema:sameAs ?o }} ?w schema:name "{MIXTURES}" }} ORDER BY ?o""")
    assert [o for (o,) in same] == ["https://doi.org/10.5555/moe.2024", "https://openalex.org/W4391000000"]
    # authors at the same position with compatible names; the ORCID when the record has one
    people = q(seed_copy, f"""SELECT ?name ?o WHERE {{ GRAPH <{graph}> {{ ?p skos:exactMatch ?o }} ?p a schema:Person ;
                              schema:name ?name }} ORDER BY ?o""")
    assert people == [["Johan Samir Obando Ceron", "https://openalex.org/A5000000000"],
                      ["Timon Willi", "https://openalex.org/A5000000002"],
                      ["Clare Lyle", "https://openalex.org/A5000000003"],
                      ["Jesse Farebrother", "https://openalex.org/A5000000004"],
                      ["Jakob Nicolaus Foerster", "https://openalex.org/A5000000005"],
                      ["Ghada Sokar", "https://orcid.org/0000-0002-1694-233X"]]
    with cands.open(encoding="utf-8") as f:
        table = list(csv.DictReader((ln for ln in f if not ln.startswith("#")), delimiter="\t"))
    assert [(t["object_id"], t["predicate_id"]) for t in table] == [("https://doi.org/10.5555/other", "skos:exactMatch")]
    assert float(table[0]["confidence"]) < 0.85 and "title similarity" in table[0]["comment"]


def test_accept_reviewed_candidates_and_undo(seed_copy, openalex_file, tmp_path):
    cands = tmp_path / "review.tsv"
    run_kg("link", "--store", str(seed_copy), "--against", str(openalex_file), "--candidates", str(cands))
    r = run_kg("link", "--store", str(seed_copy), "--accept", str(cands))
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [f"accepted 1 mappings from {cands}",
                                     f"wrote <{BASE}graph/links/reviewed>: 10 triples"]
    rows = q(seed_copy, f"""SELECT ?j WHERE {{ GRAPH <{BASE}graph/links/reviewed> {{ ?m sssom:mapping_justification ?j }} }}""")
    assert rows == [["https://w3id.org/semapv/vocab/ManualMappingCuration"]]
    # a rejected row (predicate_modifier Not) is not loaded
    text = cands.read_text(encoding="utf-8").replace("\tskos:exactMatch\t\t", "\tskos:exactMatch\tNot\t")
    cands.write_text(text, encoding="utf-8")
    r = run_kg("link", "--store", str(seed_copy), "--accept", str(cands))
    assert r.stdout.splitlines()[0] == f"accepted 0 mappings from {cands}"
    r = run_kg("link", "--store", str(seed_copy), "--undo", "reviewed")
    assert r.returncode == 0 and r.stdout.strip() == f"removed <{BASE}graph/links/reviewed>"
    st = ox.Store.read_only(str(seed_copy))
    assert not st.contains_named_graph(ox.NamedNode(BASE + "graph/links/reviewed"))
    # the sources are untouched by linking and unlinking
    assert len(list(st.quads_for_pattern(None, None, None, ox.NamedNode(BASE + "graph/source/mila-publications")))) == 770


def test_rerun_replaces_its_graph(seed_copy, openalex_file):
    for _ in range(2):
        r = run_kg("link", "--store", str(seed_copy), "--against", str(openalex_file))
        assert r.returncode == 0
    graph = BASE + "graph/links/match-openalex"
    assert q(seed_copy, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?m a sssom:Mapping }} }}") == [["7"]]
    assert r.stdout.splitlines()[-1] == f"wrote <{graph}>: " + r.stdout.splitlines()[-1].split(": ")[1]


@pytest.mark.skipif(not DATA.exists(), reason=f"shared data not found at {DATA}")
def test_identifier_links_of_paperoni(tmp_path):
    store = tmp_path / "store"
    assert run_kg("build", str(DATA / "paperoni/mila-selected-papers.json"), "--store", str(store)).returncode == 0
    r = run_kg("link", "--store", str(store))
    assert r.returncode == 0, r.stderr
    n = int(r.stdout.split()[1])
    graph = BASE + "graph/links/identifiers"
    counts = q(store, f"""SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?m a sssom:Mapping ;
               sssom:confidence "1.0000"^^<http://www.w3.org/2001/XMLSchema#double> }} }}""")
    assert int(counts[0][0]) == n
    rows = q(store, f"""SELECT ?o WHERE {{ GRAPH <{graph}> {{ ?m owl:annotatedSource ?w ; owl:annotatedTarget ?o }}
                        ?w schema:name ?t FILTER(STRSTARTS(?t, "EditNTS")) }} ORDER BY ?o""")
    assert [o for (o,) in rows] == [
        "https://arxiv.org/abs/1906.08104", "https://dblp.org/rec/conf/acl/DongLRC19",
        "https://doi.org/10.18653/v1/p19-1331",
        "https://www.semanticscholar.org/paper/340b59e6ee93d30c055b5e89a7cfbc88874c9958"]
    orcid = q(store, f"""SELECT ?p WHERE {{ GRAPH <{graph}> {{ ?p skos:exactMatch <https://orcid.org/0000-0003-2161-8566> }} }}""")
    assert len(orcid) == 1 and orcid[0][0].startswith(BASE + "person/")


def test_link_errors(tmp_path, seed_copy):
    r = run_kg("link", "--store", str(tmp_path / "none"))
    assert r.returncode == 1 and "no store here" in r.stderr
    r = run_kg("link", "--store", str(seed_copy), "--undo", "nothing")
    assert r.returncode == 1 and "no links graph" in r.stderr
    bad = tmp_path / "bad.tsv"
    bad.write_text("a\tb\n1\t2\n")
    r = run_kg("link", "--store", str(seed_copy), "--accept", str(bad))
    assert r.returncode == 1 and "missing SSSOM column(s): object_id, predicate_id, subject_id" in r.stderr


HERE = Path(__file__).resolve().parent


def test_link_against_wikidata_and_dblp(seed_copy):
    r = run_kg("link", "--store", str(seed_copy), "--against", str(HERE / "data/wikidata-entities.json"),
               "--against", str(HERE / "data/dblp-records.xml"), "--name", "wd-dblp")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0].startswith("matched 1 works and ")
    graph = BASE + "graph/links/wd-dblp"
    same = q(seed_copy, f"""SELECT ?o WHERE {{ GRAPH <{graph}> {{ ?w schema:sameAs ?o }} ?w schema:name "{MIXTURES}" }} ORDER BY ?o""")
    # the best of the two records (Wikidata: full date) brings its arXiv id and its own IRI
    assert same == [["http://www.wikidata.org/entity/Q90000001"], ["https://arxiv.org/abs/2402.08609"]]
    jesse = q(seed_copy, f"""SELECT ?o WHERE {{ GRAPH <{graph}> {{ ?p skos:exactMatch ?o }} ?p schema:name "Jesse Farebrother" }}""")
    assert jesse == [["https://orcid.org/0000-0003-0000-0011"]]
