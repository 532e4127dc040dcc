"""Mapping and store: exact counts of the seed graph, stable IRIs, atomic
rebuilds, and bad input through the real `kg` command."""
from __future__ import annotations

import pyoxigraph as ox
import pytest

from conftest import BASE, SEED_GRAPH, run_kg
from kg.build import build_source
from kg.clean import title_fingerprint
from kg.mapping import short_hash

P = "PREFIX schema: <http://schema.org/> PREFIX pro: <http://purl.org/spar/pro/> " \
    "PREFIX dcterms: <http://purl.org/dc/terms/> PREFIX kgv: <https://w3id.org/kg/vocab#> " \
    "PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX void: <http://rdfs.org/ns/void#> "
MIXTURES = "Mixtures of Experts Unlock Parameter Scaling for Deep RL"


def q(store_path, sparql):
    st = ox.Store.read_only(str(store_path))
    return list(st.query(P + sparql, use_default_graph_as_union=True))


def one(store_path, sparql):
    rows = q(store_path, sparql)
    assert len(rows) == 1
    return rows[0][0].value


def all_quads(path) -> set[str]:
    st = ox.Store.read_only(str(path))
    return {str(x) for x in st}


@pytest.mark.parametrize("sparql,expected", [
    ("SELECT (COUNT(DISTINCT ?w) AS ?n) WHERE { ?w a schema:ScholarlyArticle }", "11"),
    ("SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a schema:Person }", "60"),
    ("SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE { ?w pro:isDocumentContextFor ?a . ?a schema:position ?i }", "61"),
    ("SELECT (COUNT(DISTINCT ?w) AS ?n) WHERE { ?w a schema:ScholarlyArticle ; schema:abstract ?x }", "5"),
    ("SELECT (COUNT(DISTINCT ?w) AS ?n) WHERE { ?w a schema:ScholarlyArticle ; dcterms:abstract ?x }", "5"),
    ("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER(isLiteral(?o) && CONTAINS(STR(?o), 'voir plus')) }", "0"),
    ("SELECT (COUNT(DISTINCT ?w) AS ?n) WHERE { ?w kgv:abstractTruncated true }", "1"),
    ("SELECT (COUNT(*) AS ?n) WHERE { ?w schema:author ?p . ?w dcterms:creator ?p }", "61"),
    ("SELECT (COUNT(*) AS ?n) WHERE { ?w schema:name ?t . ?w dcterms:title ?t }", "11"),
    ("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER(isBlank(?s) || isBlank(?o)) }", "0"),
])
def test_seed_graph_counts(seed_store, sparql, expected):
    assert one(seed_store, sparql) == expected


def test_authorship_nodes_in_byline_order(seed_store):
    rows = q(seed_store, f"""SELECT ?a ?pos ?name ?p WHERE {{
        ?w schema:name "{MIXTURES}" ; pro:isDocumentContextFor ?a .
        ?a pro:isHeldBy ?p ; pro:withRole pro:author ; schema:position ?pos ; schema:name ?name ;
           a schema:ListItem .
        ?w schema:author ?p . }} ORDER BY ?pos""")
    # minted from the title fingerprint, first author and (no) year
    work = BASE + "work/" + short_hash(f"title:{title_fingerprint(MIXTURES)}|johan samir obando ceron|")
    assert [(r["a"].value, r["pos"].value, r["name"].value) for r in rows] == [
        (f"{work}/authorship/{i}", str(i), n) for i, n in enumerate(
            ["Johan Samir Obando Ceron", "Ghada Sokar", "Timon Willi", "Clare Lyle",
             "Jesse Farebrother", "Jakob Nicolaus Foerster"], start=1)]
    assert all(r["pos"].datatype == ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer") for r in rows)


def test_person_properties_and_one_farebrother(seed_store):
    rows = q(seed_store, """SELECT ?p (COUNT(?w) AS ?n) WHERE { ?p schema:name "Jesse Farebrother" ;
             schema:givenName "Jesse" ; schema:familyName "Farebrother" . ?w schema:author ?p } GROUP BY ?p""")
    assert len(rows) == 1 and rows[0]["n"].value == "2"
    assert rows[0]["p"].value.startswith(BASE + "person/")
    # an uncertain split keeps only the printed name
    assert one(seed_store, """SELECT (COUNT(*) AS ?n) WHERE { ?p a schema:Person ; schema:name "Johan Samir Obando Ceron" .
                                 OPTIONAL { ?p schema:familyName ?f } FILTER(!BOUND(?f)) }""") == "1"


def test_truncated_abstract_flag_and_text(seed_store):
    rows = q(seed_store, """SELECT ?t ?abs WHERE { ?w kgv:abstractTruncated true ; schema:name ?t ; schema:abstract ?abs }""")
    assert rows[0]["t"].value == "Stochastic positional embeddings improve masked image modeling"
    assert rows[0]["abs"].value.endswith("including")
    assert "a model's performance scales proportionally to its size" in one(
        seed_store, f'SELECT ?a WHERE {{ ?w schema:name "{MIXTURES}" ; schema:abstract ?a }}')


def test_named_graphs_and_meta(seed_store):
    st = ox.Store.read_only(str(seed_store))
    assert sorted(g.value for g in st.named_graphs()) == [BASE + "graph/meta", SEED_GRAPH]
    assert len(list(st.quads_for_pattern(None, None, None, ox.DefaultGraph()))) == 0
    rows = q(seed_store, f"""SELECT ?triples ?records ?works ?people ?sha ?file WHERE {{ GRAPH <{BASE}graph/meta> {{
        <{SEED_GRAPH}> a void:Dataset, prov:Entity ; void:triples ?triples ; kgv:records ?records ;
          kgv:works ?works ; kgv:people ?people ; prov:generatedAtTime ?t ; prov:wasDerivedFrom ?f .
        ?f schema:sha256 ?sha ; schema:name ?file }} }}""")
    r = rows[0]
    assert (r["triples"].value, r["records"].value, r["works"].value, r["people"].value, r["file"].value) == (
        "770", "12", "11", "60", "mila-publications.txt")
    assert len(list(st.quads_for_pattern(None, None, None, ox.NamedNode(SEED_GRAPH)))) == 770
    import hashlib
    from kg.resources import seed_listing
    assert r["sha"].value == hashlib.sha256(seed_listing().read_bytes()).hexdigest()


def test_work_cites_its_source_records(seed_store):
    rows = q(seed_store, 'SELECT ?src WHERE { ?w schema:name "Nash Learning from Human Feedback" ; dcterms:source ?src } ORDER BY ?src')
    assert [r[0].value for r in rows] == [f"{SEED_GRAPH}#line-11", f"{SEED_GRAPH}#line-30"]


def test_build_twice_changes_nothing(fresh_store, seed_path):
    before = all_quads(fresh_store)
    build_source(seed_path, fresh_store, base_iri=BASE)
    after = all_quads(fresh_store)
    assert len(after) == len(before) == 785
    stamp = "generatedAtTime"
    assert {x for x in before if stamp not in x} == {x for x in after if stamp not in x}


def test_base_iri_is_configurable(tmp_path, seed_path):
    build_source(seed_path, tmp_path / "s", base_iri="http://data.example.edu/kg/")
    assert one(tmp_path / "s", "SELECT (COUNT(DISTINCT ?w) AS ?n) WHERE { ?w a schema:ScholarlyArticle "
                               "FILTER(STRSTARTS(STR(?w), 'http://data.example.edu/kg/work/')) }") == "11"


def test_store_directory_and_its_parents_are_created(tmp_path, seed_path):
    store = tmp_path / "a" / "b" / "store"
    r = run_kg("build", str(seed_path), "--store", str(store))
    assert r.returncode == 0, r.stderr
    assert one(store, "SELECT (COUNT(DISTINCT ?w) AS ?n) WHERE { ?w a schema:ScholarlyArticle }") == "11"


def test_store_under_a_file_is_a_clear_error(tmp_path, seed_path):
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    store = tmp_path / "notes.txt" / "sub" / "store"
    r = run_kg("build", str(seed_path), "--store", str(store))
    assert r.returncode == 1
    assert r.stderr.strip() == (f"kg: error: {store}: cannot create the store's directory: "
                                f"{tmp_path / 'notes.txt'} is a file, not a directory")


def test_changed_source_replaces_its_graph_only(fresh_store, seed_path, tmp_path):
    other = tmp_path / "other.txt"
    other.write_text("Publications\n\nA paper from another source\nAda Lovelace\n", encoding="utf-8")
    build_source(other, fresh_store, base_iri=BASE)
    changed = tmp_path / "mila-publications.txt"
    lines = seed_path.read_text(encoding="utf-8").splitlines()
    # drop the last record (title, 4 authors, abstract) from the listing
    changed.write_text("\n".join(lines[:-6]) + "\n", encoding="utf-8")
    r = build_source(changed, fresh_store, base_iri=BASE)
    assert (r.records, r.works) == (11, 10)
    assert one(fresh_store, f"SELECT (COUNT(DISTINCT ?w) AS ?n) WHERE {{ GRAPH <{SEED_GRAPH}> {{ ?w a schema:ScholarlyArticle }} }}") == "10"
    assert one(fresh_store, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{BASE}graph/source/other> {{ ?w a schema:ScholarlyArticle }} }}") == "1"
    assert one(fresh_store, f"SELECT ?n WHERE {{ GRAPH <{BASE}graph/meta> {{ <{SEED_GRAPH}> kgv:records ?n }} }}") == "11"


BAD_INPUTS = {
    "missing": (None, "no such file"),
    "empty.txt": (b"", "file is empty"),
    "binary.txt": (bytes(range(256)) * 4, "binary file"),
    "header-only.txt": (b"Publications\n\n", "only a header"),
    "a-directory": ("dir", "is a directory"),
}


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_input_leaves_store_untouched(fresh_store, tmp_path, name):
    content, message = BAD_INPUTS[name]
    path = tmp_path / name
    if content == "dir":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    before = all_quads(fresh_store)
    r = run_kg("build", str(path), "--store", str(fresh_store), "--name", "mila-publications")
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert lines == [f"kg: error: {path}: " + lines[0].split(f"{path}: ", 1)[1]]
    assert message in lines[0] and "Traceback" not in r.stderr
    assert all_quads(fresh_store) == before


def test_record_without_author_skipped_others_load(tmp_path):
    src = tmp_path / "listing.txt"
    src.write_text("Publications\n\nOrphan Title: No Authors Here\nA Good Paper: With People\nAda Lovelace\n"
                   "Alan Turing\n", encoding="utf-8")
    store = tmp_path / "store"
    r = run_kg("build", str(src), "--store", str(store))
    assert r.returncode == 3  # loaded, with a record skipped
    assert f"{src}:3: skipped: record skipped: title 'Orphan Title: No Authors Here' has no author" in r.stderr
    assert "1 records, 1 works (0 duplicates merged), 2 people, 2 authorships, 0 warnings, 1 skipped" in r.stdout
    assert one(store, "SELECT (COUNT(*) AS ?n) WHERE { ?w a schema:ScholarlyArticle }") == "1"


def test_cli_build_reports_counts(tmp_path):
    r = run_kg("build", "--seed", "--store", str(tmp_path / "s"))
    assert r.returncode == 0, r.stderr
    out = r.stdout.splitlines()
    assert out[0].endswith("mila-publications.txt (listing): 12 records, 11 works (1 duplicates merged), 60 people, "
                           "61 authorships, 1 warnings, 0 skipped")
    assert out[1].startswith(f"wrote <{SEED_GRAPH}>: 770 triples in {tmp_path / 's'} (")
    assert out[1].endswith(" s)")


def test_kg_store_environment_variable(tmp_path):
    r = run_kg("build", "--seed", env={"KG_STORE": str(tmp_path / "envstore")})
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "envstore" / "kg-generation").read_text().split()[0] == "1"
    r = run_kg("query", "ASK { ?w a <http://schema.org/ScholarlyArticle> }", env={"KG_STORE": str(tmp_path / "envstore")})
    assert r.stdout.strip() == "true"


def test_default_store_is_kg_store_in_cwd(tmp_path):
    import os
    import subprocess
    import sys
    env = {k: v for k, v in os.environ.items() if k != "KG_STORE"}
    r = subprocess.run([sys.executable, "-m", "kg.cli", "build", "--seed"], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "kg-store" / "kg-generation").exists()


@pytest.mark.parametrize("args,message", [
    (["--base-iri", "https://x.org/kg#"], "must be an absolute IRI"),
    (["--base-iri", "not an iri"], "must be an absolute IRI"),
    (["--name", ".."], "cannot name a graph"),
])
def test_usage_errors_exit_2(tmp_path, args, message):
    r = run_kg("build", "--seed", "--store", str(tmp_path / "s"), *args)
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "s").exists()


def test_two_sources_with_one_graph_name_are_refused(tmp_path, seed_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for d in "ab":
        (tmp_path / d / "pubs.txt").write_text(seed_path.read_text(encoding="utf-8"), encoding="utf-8")
    r = run_kg("build", str(tmp_path / "a/pubs.txt"), str(tmp_path / "b/pubs.txt"), "--store", str(tmp_path / "s"))
    assert r.returncode == 2 and "several sources would share the graph name pubs" in r.stderr


def test_unicode_file_names_keep_their_letters(tmp_path):
    src = tmp_path / "出版物.txt"
    src.write_text("Publications\n\nA paper: with a title\nAda Lovelace\n", encoding="utf-8")
    r = run_kg("build", str(src), "--store", str(tmp_path / "s"))
    assert r.returncode == 0, r.stderr
    assert f"wrote <{BASE}graph/source/出版物>" in r.stdout


def test_a_directory_that_is_not_a_store_is_refused(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("x")
    r = run_kg("build", "--seed", "--store", str(tmp_path / "notes"))
    assert r.returncode == 1 and "not a kg store" in r.stderr
    assert sorted(p.name for p in (tmp_path / "notes").iterdir()) == ["todo.txt"]
