"""SHACL validation (ontology/shapes.ttl, kg.validate, `kg validate`): the
seed graph conforms; each way of breaking it on purpose (SPARQL updates
through pyoxigraph on a copy of the store) gives exactly the expected
violations, focus node and message."""
from __future__ import annotations

import re
import shutil

import pyoxigraph as ox
import pytest
import rdflib

from conftest import SEED_GRAPH, run_kg
from kg.validate import load_shapes, shapes_file, validate

BASE = "https://kg.example.org/"
PREFIXES = """PREFIX schema: <http://schema.org/> PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX pro: <http://purl.org/spar/pro/> PREFIX bibo: <http://purl.org/ontology/bibo/>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")

# Seed works and people used below (IRIs are stable: hashes of identity keys).
STOP = BASE + "work/2f516bc51af09d2c"     # Stochastic positional embeddings ... (8 authors)
ROBUST = BASE + "work/c3807dc61fb301ad"   # Robust Data-driven Prescriptiveness Optimization (2 authors)
LSTM = BASE + "work/5b70675e4f01b02a"     # A self-attention-based CNN-Bi-LSTM model ... (2 authors)
SHOCHER = BASE + "person/a74c00bf324e9ade"  # 3rd author of STOP
TAIGA = BASE + "person/c50921d75f26452f"    # Adrien Ali Taiga: no author of ROBUST
POURSOLTANI = BASE + "person/735457866fe1b387"  # 1st author of ROBUST

# The shapes' messages.
NO_NAME = "a work needs a non-empty title (schema:name)"
NO_TITLE = "a work needs a non-empty title (dcterms:title)"
NO_AUTHORSHIP = "a work needs at least one authorship node (pro:isDocumentContextFor, an IRI)"
POSITION = "an authorship node has one schema:position, an xsd:integer from 1"
START = "author positions must start at 1; the lowest schema:position is this value"
GAP = "author positions must run 1, 2, 3, ... without gaps: position {} is followed by this value"
DUPLICATE = "several authorship nodes of this work share this schema:position"
AUTHOR_NO_AUTHORSHIP = ("this author has no authorship node in the work (no pro:isDocumentContextFor/pro:isHeldBy), "
                        "so the byline position is unknown")
AGENT = "schema:author must be a schema:Person or schema:Organization described in the graph"
HOLDER_NOT_AUTHOR = "the person holding this authorship is not a schema:author of its work"
ORPHAN = "an authorship node belongs to exactly one work (pro:isDocumentContextFor from the work)"
HOLDER = "an authorship node is held by exactly one person (pro:isHeldBy, an IRI)"
DATE = ("{} must be a valid xsd:date (YYYY-MM-DD), xsd:gYearMonth (YYYY-MM) or xsd:gYear (YYYY)")
DOI_FORM = "bibo:doi must be a bare DOI string, 10.NNNN/suffix (no doi: or https://doi.org/ prefix)"
DOI_CASE = "bibo:doi must be lower-case"
ORCID_IRI = "an ORCID IRI must be https://orcid.org/0000-0000-0000-000X"
DOI_IRI = "a DOI IRI must be https://doi.org/10.NNNN/suffix"
ARXIV_IRI = "an arXiv IRI must be https://arxiv.org/abs/ID with ID NNNN.NNNNN or archive/NNNNNNN, no version"
WORK_KIND = ("a work's schema:sameAs must be a DOI, arXiv, OpenAlex work (W...), Wikidata, dblp record, "
             "Semantic Scholar paper or OpenReview forum IRI")
PERSON_KIND = ("a person's schema:sameAs must be an ORCID, OpenAlex author (A...), Wikidata, dblp person (pid), "
               "Semantic Scholar author or OpenReview profile IRI")


def _set_position(authorship: str, value: str) -> str:
    return f"""DELETE {{ GRAPH ?g {{ <{authorship}> schema:position ?p }} }}
               INSERT {{ GRAPH ?g {{ <{authorship}> schema:position {value} }} }}
               WHERE {{ GRAPH ?g {{ <{authorship}> schema:position ?p }} }}"""


def _authorship(work: str, n: int, position: int, person: str) -> str:
    a = f"{work}/authorship/{n}"
    return f"""INSERT DATA {{ GRAPH <{SEED_GRAPH}> {{
        <{work}> pro:isDocumentContextFor <{a}> .
        <{a}> a schema:ListItem ; pro:isHeldBy <{person}> ; pro:withRole pro:author ;
              schema:position {position} ; schema:name "Someone" . }} }}"""


def _add(triples: str) -> str:
    return f"INSERT DATA {{ GRAPH <{SEED_GRAPH}> {{ {triples} }} }}"


# (update, expected violations as (focus, path, message, value)), sorted as kg.validate sorts them.
BREAKS = {
    "no title": (
        f"DELETE WHERE {{ GRAPH ?g {{ <{LSTM}> schema:name ?n ; dcterms:title ?t }} }}",
        [(f"<{LSTM}>", "dcterms:title", NO_TITLE, ""), (f"<{LSTM}>", "schema:name", NO_NAME, "")]),
    "empty title": (
        f"""DELETE WHERE {{ GRAPH ?g {{ <{LSTM}> schema:name ?n }} }};
            {_add(f'<{LSTM}> schema:name "" .')}""",
        [(f"<{LSTM}>", "schema:name", NO_NAME, '""')]),
    "no authorship": (
        f"""DELETE WHERE {{ GRAPH ?g {{ <{ROBUST}> pro:isDocumentContextFor ?a . ?a ?p ?o }} }};
            DELETE WHERE {{ GRAPH ?g {{ <{ROBUST}> schema:author ?x ; dcterms:creator ?y }} }}""",
        [(f"<{ROBUST}>", "pro:isDocumentContextFor", NO_AUTHORSHIP, "")]),
    "position 0": (
        _set_position(f"{STOP}/authorship/1", "0"),
        [(f"<{STOP}/authorship/1>", "schema:position", POSITION, '"0"^^xsd:integer'),
         (f"<{STOP}>", "pro:isDocumentContextFor", START, '"0"^^xsd:integer')]),
    "position not an integer": (
        _set_position(f"{STOP}/authorship/8", '"8"'),
        [(f"<{STOP}/authorship/8>", "schema:position", POSITION, '"8"')]),
    "duplicate position": (
        _authorship(STOP, 9, 3, SHOCHER),
        [(f"<{STOP}>", "pro:isDocumentContextFor", DUPLICATE, '"3"^^xsd:integer')]),
    "gap": (
        _set_position(f"{STOP}/authorship/8", "10"),
        [(f"<{STOP}>", "pro:isDocumentContextFor", GAP.format(7), '"10"^^xsd:integer')]),
    "author without authorship": (
        _add(f"<{ROBUST}> schema:author <{TAIGA}> ; dcterms:creator <{TAIGA}> ."),
        [(f"<{ROBUST}>", "schema:author", AUTHOR_NO_AUTHORSHIP, f"<{TAIGA}>")]),
    "authorship without author": (
        _authorship(ROBUST, 3, 3, TAIGA),
        [(f"<{ROBUST}/authorship/3>", "pro:isHeldBy", HOLDER_NOT_AUTHOR, f"<{TAIGA}>")]),
    "authorship of no work": (
        f"""DELETE WHERE {{ GRAPH ?g {{ <{ROBUST}> pro:isDocumentContextFor <{ROBUST}/authorship/2> }} }}""",
        [(f"<{ROBUST}/authorship/2>", "^pro:isDocumentContextFor", ORPHAN, ""),
         (f"<{ROBUST}>", "schema:author", AUTHOR_NO_AUTHORSHIP, f"<{BASE}person/555dd77346dfb8e6>")]),
    "two holders": (
        _add(f"<{ROBUST}/authorship/1> pro:isHeldBy <{TAIGA}> ."),
        [(f"<{ROBUST}/authorship/1>", "pro:isHeldBy", HOLDER, ""),
         (f"<{ROBUST}/authorship/1>", "pro:isHeldBy", HOLDER_NOT_AUTHOR, f"<{TAIGA}>")]),
    "author not described": (
        _add(f"<{ROBUST}> schema:author <{BASE}person/nobody> ."),
        [(f"<{ROBUST}>", "schema:author", AGENT, f"<{BASE}person/nobody>"),
         (f"<{ROBUST}>", "schema:author", AUTHOR_NO_AUTHORSHIP, f"<{BASE}person/nobody>")]),
    "identifier without value": (
        _add(f'<{ROBUST}> schema:identifier <{ROBUST}/id/doi> . '
             f'<{ROBUST}/id/doi> a schema:PropertyValue ; schema:propertyID "doi" .'),
        [(f"<{ROBUST}/id/doi>", "schema:value", "an identifier (schema:PropertyValue) needs its value (schema:value)",
          "")]),
    "impossible date": (
        _add(f'<{ROBUST}> schema:datePublished "2019-02-30"^^xsd:date ; dcterms:issued "2019-02-28"^^xsd:date .'),
        [(f"<{ROBUST}>", "schema:datePublished", DATE.format("schema:datePublished"), '"2019-02-30"^^xsd:date')]),
    "date typed xsd:string": (
        _add(f'<{ROBUST}> schema:datePublished "2019-02"^^xsd:gYearMonth ; dcterms:issued "2019-02-28"^^xsd:string .'),
        [(f"<{ROBUST}>", "dcterms:issued", DATE.format("dcterms:issued"), '"2019-02-28"')]),
    "malformed gYear and gYearMonth": (
        _add(f'<{ROBUST}> schema:datePublished "19"^^xsd:gYear ; dcterms:issued "2019-13"^^xsd:gYearMonth .'),
        [(f"<{ROBUST}>", "dcterms:issued", DATE.format("dcterms:issued"), '"2019-13"^^xsd:gYearMonth'),
         (f"<{ROBUST}>", "schema:datePublished", DATE.format("schema:datePublished"), '"19"^^xsd:gYear')]),
    "not a DOI": (
        _add(f'<{ROBUST}> bibo:doi "not-a-doi" .'),
        [(f"<{ROBUST}>", "bibo:doi", DOI_FORM, '"not-a-doi"')]),
    "DOI with resolver prefix": (
        _add(f'<{ROBUST}> bibo:doi "https://doi.org/10.1234/abc" .'),
        [(f"<{ROBUST}>", "bibo:doi", DOI_FORM, '"https://doi.org/10.1234/abc"')]),
    "upper-case DOI": (
        _add(f'<{ROBUST}> bibo:doi "10.1234/ABC.Def" .'),
        [(f"<{ROBUST}>", "bibo:doi", DOI_CASE, '"10.1234/ABC.Def"')]),
    "bad ORCID IRI": (
        _add(f"<{TAIGA}> schema:sameAs <https://orcid.org/1234> ."),
        [(f"<{TAIGA}>", "schema:sameAs", ORCID_IRI, "<https://orcid.org/1234>")]),
    "bad DOI IRI": (
        _add(f"<{ROBUST}> schema:sameAs <https://doi.org/nope> ."),
        [(f"<{ROBUST}>", "schema:sameAs", DOI_IRI, "<https://doi.org/nope>")]),
    "arXiv IRI with version": (
        _add(f"<{ROBUST}> schema:sameAs <https://arxiv.org/abs/2402.08609v2> ."),
        [(f"<{ROBUST}>", "schema:sameAs", ARXIV_IRI, "<https://arxiv.org/abs/2402.08609v2>")]),
    "ORCID on a work, DOI on a person": (
        _add(f"<{ROBUST}> schema:sameAs <https://orcid.org/0000-0002-1694-233X> . "
             f"<{TAIGA}> schema:sameAs <https://doi.org/10.1234/abc> ."),
        [(f"<{TAIGA}>", "schema:sameAs", PERSON_KIND, "<https://doi.org/10.1234/abc>"),
         (f"<{ROBUST}>", "schema:sameAs", WORK_KIND, "<https://orcid.org/0000-0002-1694-233X>")]),
}

# Well-formed values of every kind the shapes accept: no violation.
VALID = _add(f"""
    <{ROBUST}> schema:datePublished "2019-02-28"^^xsd:date , "2019-02"^^xsd:gYearMonth , "2019"^^xsd:gYear ;
        dcterms:issued "2019-02-28"^^xsd:date ; bibo:doi "10.1145/3368089.3409740" , "10.1000.10/a(b)c" ;
        schema:sameAs <https://doi.org/10.1145/3368089.3409740> , <https://arxiv.org/abs/2402.08609> ,
            <https://arxiv.org/abs/hep-th/9901001> , <https://openalex.org/W2741809807> ,
            <http://www.wikidata.org/entity/Q90000001> , <https://dblp.org/rec/conf/icml/Obando-CeronSWLF24> ,
            <https://www.semanticscholar.org/paper/0123456789abcdef0123456789abcdef01234567> ,
            <https://openreview.net/forum?id=FEEKR0Vl9s> .
    <{TAIGA}> schema:sameAs <https://orcid.org/0000-0002-1694-233X> , <https://openalex.org/A5023888391> ,
        <http://www.wikidata.org/entity/Q42> , <https://dblp.org/pid/179/2524> ,
        <https://www.semanticscholar.org/author/1234567> , <https://openreview.net/profile?id=~Adrien_Ali_Taiga1> .
""")


def _broken(seed_store, tmp_path, update: str):
    path = tmp_path / "broken"
    shutil.copytree(seed_store, path)
    store = ox.Store(str(path))
    store.update(PREFIXES + update)
    store.flush()
    return path, store


def _rows(result) -> list[tuple[str, str, str, str]]:
    return [(v.focus, v.path, v.message, v.value) for v in result.violations]


def test_seed_conforms(seed_store):
    result = validate(ox.Store.read_only(str(seed_store)))
    assert (result.conforms, result.triples, result.violations) == (True, 785, [])


def test_seed_graph_alone_conforms(seed_store):
    result = validate(ox.Store.read_only(str(seed_store)), graph=SEED_GRAPH)
    assert (result.conforms, result.triples, result.violations) == (True, 770, [])


def test_unknown_graph(seed_store):
    with pytest.raises(LookupError, match=r"no named graph <https://kg.example.org/graph/source/nope>"):
        validate(ox.Store.read_only(str(seed_store)), graph=BASE + "graph/source/nope")


@pytest.mark.parametrize("name", list(BREAKS))
def test_break(seed_store, tmp_path, name):
    update, expected = BREAKS[name]
    _, store = _broken(seed_store, tmp_path, update)
    result = validate(store)
    assert result.conforms is False
    assert _rows(result) == expected
    assert all(v.severity == "Violation" for v in result.violations)


def test_valid_identifiers_and_dates_conform(seed_store, tmp_path):
    _, store = _broken(seed_store, tmp_path, VALID)
    result = validate(store)
    assert (result.conforms, _rows(result)) == (True, [])


def test_result_fields(seed_store, tmp_path):
    _, store = _broken(seed_store, tmp_path, _set_position(f"{STOP}/authorship/8", "10"))
    [v] = validate(store).violations
    assert (v.shape, v.component, v.severity) == ("kgs:PositionsWithoutGaps", "sh:SPARQLConstraintComponent",
                                                   "Violation")
    assert v.line() == (f"<{STOP}> pro:isDocumentContextFor: author positions must run 1, 2, 3, ... without gaps: "
                        'position 7 is followed by this value ("10"^^xsd:integer)')


def test_every_reporting_shape_has_a_message():
    shapes = load_shapes()
    assert shapes_file().name == "shapes.ttl"
    props = set(shapes.subjects(rdflib.RDF.type, SH.PropertyShape))
    assert len(props) == 32
    assert [p for p in props if shapes.value(p, SH.message) is None] == []
    # node shapes that only group property shapes report nothing themselves
    for node in shapes.subjects(rdflib.RDF.type, SH.NodeShape):
        own = {p for p, _ in shapes.predicate_objects(node)} - {rdflib.RDF.type, rdflib.RDFS.comment, SH.property,
                                                                 SH.targetClass, SH.targetSubjectsOf,
                                                                 SH.targetObjectsOf}
        assert own == set() or shapes.value(node, SH.message) is not None, node


# --- the `kg validate` command -------------------------------------------------

def test_cli_seed_conforms(seed_store):
    r = run_kg("validate", "--store", str(seed_store))
    assert r.returncode == 0, r.stderr
    assert re.fullmatch(r"conforms: 785 triples checked, no violations \(\d+\.\d s\)\n", r.stdout)
    assert r.stderr == "checking 785 triples of the union of all graphs against shapes.ttl ...\n"


def test_cli_one_graph(seed_store):
    r = run_kg("validate", "--store", str(seed_store), "--graph", SEED_GRAPH)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("conforms: 770 triples checked, no violations")
    assert r.stderr == f"checking 770 triples of graph <{SEED_GRAPH}> against shapes.ttl ...\n"


def test_cli_broken(seed_store, tmp_path):
    update = ";\n".join([
        _set_position(f"{STOP}/authorship/1", "0"),
        _add(f'<{ROBUST}> schema:datePublished "2019-02-30"^^xsd:date ; bibo:doi "not-a-doi" , "10.1234/ABC" ; '
             f"schema:sameAs <https://doi.org/nope> . <{TAIGA}> schema:sameAs <https://orcid.org/1234> ."),
        f"DELETE WHERE {{ GRAPH ?g {{ <{LSTM}> schema:name ?n }} }}",
    ])
    path, store = _broken(seed_store, tmp_path, update)
    del store  # release the write lock for the subprocess
    r = run_kg("validate", "--store", str(path))
    assert r.returncode == 1, r.stderr
    lines = r.stdout.splitlines()
    assert lines[:-1] == [
        f"<{TAIGA}> schema:sameAs: {ORCID_IRI} (<https://orcid.org/1234>)",
        f'<{STOP}/authorship/1> schema:position: {POSITION} ("0"^^xsd:integer)',
        f'<{STOP}> pro:isDocumentContextFor: {START} ("0"^^xsd:integer)',
        f"<{LSTM}> schema:name: {NO_NAME}",
        f'<{ROBUST}> bibo:doi: {DOI_FORM} ("not-a-doi")',
        f'<{ROBUST}> bibo:doi: {DOI_CASE} ("10.1234/ABC")',
        f'<{ROBUST}> schema:datePublished: {DATE.format("schema:datePublished")} ("2019-02-30"^^xsd:date)',
        f"<{ROBUST}> schema:sameAs: {DOI_IRI} (<https://doi.org/nope>)",
    ]
    assert re.fullmatch(r"does not conform: 8 violations on 5 focus nodes, 789 triples checked \(\d+\.\d s\)",
                        lines[-1])
    assert r.stderr == "checking 789 triples of the union of all graphs against shapes.ttl ...\n"

    r = run_kg("validate", "--store", str(path), "--format", "turtle")
    assert r.returncode == 1
    report = rdflib.Graph().parse(data=r.stdout, format="turtle")
    assert list(report.objects(None, SH.conforms)) == [rdflib.Literal(False)]
    assert len(set(report.subjects(rdflib.RDF.type, SH.ValidationResult))) == 8
    assert "@prefix schema: <http://schema.org/> ." in r.stdout
    assert r.stderr.splitlines()[-1].startswith("does not conform: 8 violations on 5 focus nodes")


def test_cli_usage_errors(seed_store, tmp_path):
    r = run_kg("validate", "--store", str(seed_store), "--graph", BASE + "graph/source/nope")
    assert r.returncode == 2
    assert r.stderr == (f"kg: error: no named graph <{BASE}graph/source/nope> in the store (its named graphs: "
                        f"<{BASE}graph/meta>, <{SEED_GRAPH}>)\n")
    r = run_kg("validate", "--store", str(tmp_path / "none"))
    assert r.returncode == 2
    assert r.stderr.startswith(f"kg: error: {tmp_path / 'none'}: no store here")
    r = run_kg("validate", "--store", str(seed_store), "--format", "json")
    assert r.returncode == 2
    assert "Invalid value for '--format'" in r.stderr


def test_cli_help():
    r = run_kg("validate", "--help")
    assert r.returncode == 0
    assert "Examples:\n    kg validate\n" in r.stdout
    assert "Exit status: 0 the graph conforms, 1 it does not, 2 usage error or no store." in r.stdout
