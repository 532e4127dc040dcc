"""One work, one person across sources (issue 4 §3), on a real store."""
from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from conftest import BASE, SEED_GRAPH, run_kg
from kg.build import Builder, build_source

P = "PREFIX schema: <http://schema.org/> PREFIX pro: <http://purl.org/spar/pro/> PREFIX bibo: <http://purl.org/ontology/bibo/> "
MIXTURES_BIB = r"""
@inproceedings{obando2024mixtures,
  title = {Mixtures of Experts Unlock Parameter Scaling for Deep {RL}},
  author = {Obando Ceron, Johan Samir and Sokar, Ghada and Willi, Timon and Lyle, Clare and
            Farebrother, Jesse and Foerster, Jakob Nicolaus},
  booktitle = {Proceedings of the 41st International Conference on Machine Learning},
  year = {2024},
  eprint = {2402.08609}, archivePrefix = {arXiv},
}
@article{other, title = {A paper only here}, author = {Farebrother, Jesse}, year = {2020}}
"""


def rows(store, sparql):
    st = ox.Store.read_only(str(store))
    return [[t.value if t is not None else None for t in r] for r in st.query(P + sparql, use_default_graph_as_union=True)]


@pytest.fixture()
def two_sources(tmp_path, seed_path):
    store = tmp_path / "store"
    bib = tmp_path / "icml.bib"
    bib.write_text(MIXTURES_BIB, encoding="utf-8")
    with Builder(store, base_iri=BASE) as b:
        seed = b.build(seed_path)
        icml = b.build(bib)
    return store, seed, icml


def test_same_work_same_iri_provenance_per_graph(two_sources):
    store, seed, icml = two_sources
    assert (icml.works_new, icml.works_merged) == (1, 1)
    found = rows(store, """SELECT DISTINCT ?w ?g WHERE { GRAPH ?g { ?w schema:name ?t }
                           FILTER(STRSTARTS(?t, "Mixtures of Experts")) } ORDER BY ?g""")
    assert len({w for w, _ in found}) == 1
    assert [g for _, g in found] == [BASE + "graph/source/icml", SEED_GRAPH]
    # the BibTeX source adds the date and arXiv id in its own graph only
    assert rows(store, f"""SELECT ?d WHERE {{ GRAPH <{SEED_GRAPH}> {{ ?w schema:datePublished ?d }} }}""") == []
    assert rows(store, f"""SELECT ?d WHERE {{ GRAPH <{BASE}graph/source/icml> {{ ?w schema:datePublished ?d ;
                               schema:name "Mixtures of Experts Unlock Parameter Scaling for Deep RL" }} }}""") == [["2024"]]
    assert rows(store, "SELECT (COUNT(DISTINCT ?w) AS ?n) WHERE { ?w a schema:ScholarlyArticle }") == [["12"]]


def test_people_of_a_shared_work_are_the_same_people(two_sources):
    store, _, icml = two_sources
    # the six authors of the shared work were already in the listing's graph;
    # "Jesse Farebrother" of the other BibTeX entry is the same person, by name within the source
    assert (icml.people_new, icml.people_merged) == (0, 6)
    assert rows(store, """SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a schema:Person ; schema:name "Jesse Farebrother" }""") == [["1"]]
    assert rows(store, """SELECT (COUNT(DISTINCT ?w) AS ?n) WHERE { ?p schema:name "Jesse Farebrother" . ?w schema:author ?p }""") == [["3"]]


def test_same_name_in_another_source_without_shared_work_is_another_person(tmp_path, seed_path):
    store = tmp_path / "store"
    other = tmp_path / "other.txt"
    other.write_text("Publications\n\nAn unrelated paper: on things\nClare Lyle\n", encoding="utf-8")
    with Builder(store, base_iri=BASE) as b:
        b.build(seed_path)
        r = b.build(other)
    assert (r.people_new, r.people_merged) == (1, 0)
    assert rows(store, """SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a schema:Person ; schema:name "Clare Lyle" }""") == [["2"]]


def _crossref(doi, given, family, orcid, title="A shared result"):
    author = {"given": given, "family": family, "sequence": "first"}
    if orcid:
        author["ORCID"] = f"https://orcid.org/{orcid}"
    return {"message": {"DOI": doi, "title": [title], "author": [author], "issued": {"date-parts": [[2021]]}}}


def test_doi_case_and_orcid(tmp_path):
    store = tmp_path / "store"
    a, b, c = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "c.json"
    a.write_text(json.dumps(_crossref("10.1000/ABC.Def", "Ada", "Lovelace", "0000-0002-1694-233X")))
    b.write_text(json.dumps(_crossref("10.1000/abc.def", "A.", "Lovelace", "0000-0002-1694-233X")))
    c.write_text(json.dumps(_crossref("10.1000/other", "Ada", "Lovelace", "0000-0003-2161-8566", "Another result")))
    with Builder(store, base_iri=BASE) as builder:
        builder.build(a)
        rb = builder.build(b)
        builder.build(c)
    assert (rb.works_merged, rb.people_merged) == (1, 1)
    assert rows(store, 'SELECT (COUNT(DISTINCT ?w) AS ?n) WHERE { ?w bibo:doi "10.1000/abc.def" }') == [["1"]]
    people = rows(store, """SELECT DISTINCT ?p ?o WHERE { ?p a schema:Person ; schema:sameAs ?o } ORDER BY ?o""")
    # one IRI per ORCID; two different ORCIDs are never merged, whatever the name
    assert [o for _, o in people] == ["https://orcid.org/0000-0002-1694-233X", "https://orcid.org/0000-0003-2161-8566"]
    assert len({p for p, _ in people}) == 2


def test_organisation_author(tmp_path):
    bib = tmp_path / "org.bib"
    bib.write_text("@article{x, title={Scaling things}, author={{Google Brain} and Doe, Jane}, year=2020}")
    build_source(bib, tmp_path / "store", base_iri=BASE)
    assert rows(tmp_path / "store", "SELECT ?n WHERE { ?o a schema:Organization ; schema:name ?n }") == [["Google Brain"]]
    assert rows(tmp_path / "store", "SELECT ?n WHERE { ?o a schema:Person ; schema:name ?n }") == [["Jane Doe"]]


def test_cli_prints_the_per_source_summary(tmp_path, seed_path):
    bib = tmp_path / "icml.bib"
    bib.write_text(MIXTURES_BIB, encoding="utf-8")
    r = run_kg("build", str(seed_path), str(bib), "--store", str(tmp_path / "s"))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[2] == f"read {bib} (bibtex): 2 records, 2 works (0 duplicates merged), 6 people, 7 authorships, 0 warnings, 0 skipped"
    assert lines[3] == "  across sources: works 1 new / 1 merged, people 0 new / 6 merged"
