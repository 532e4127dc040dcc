"""`kg export`: every format, of the whole dataset, one graph and one resource,
parsed back by rdflib and by pyoxigraph to exactly what the store holds;
compact and framed JSON-LD; hard literals; streaming with flat memory; no
network for JSON-LD contexts."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from conftest import BASE, SEED_GRAPH, run_kg

SCHEMA = "http://schema.org/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
MIXTURES = "Mixtures of Experts Unlock Parameter Scaling for Deep RL"
MIXTURES_AUTHORS = ["Johan Samir Obando Ceron", "Ghada Sokar", "Timon Willi", "Clare Lyle", "Jesse Farebrother",
                    "Jakob Nicolaus Foerster"]
JESSE = BASE + "person/dd1e3958af388605"
#: kg format name -> (rdflib parser, pyoxigraph format, is a dataset format)
FORMATS = {
    "turtle": ("turtle", ox.RdfFormat.TURTLE, False),
    "nt": ("nt", ox.RdfFormat.N_TRIPLES, False),
    "rdfxml": ("xml", ox.RdfFormat.RDF_XML, False),
    "jsonld": ("json-ld", ox.RdfFormat.JSON_LD, False),
    "nq": ("nquads", ox.RdfFormat.N_QUADS, True),
    "trig": ("trig", ox.RdfFormat.TRIG, True),
}


def export(store_path, tmp_path, fmt, *extra) -> bytes:
    out = tmp_path / f"export-{fmt}-{len(list(tmp_path.iterdir()))}"
    r = run_kg("export", "--store", str(store_path), "--format", fmt, "--out", str(out), *extra)
    assert r.returncode == 0, r.stderr
    return out.read_bytes()


def stored_quads(store_path, graph: str | None = None) -> set[ox.Quad]:
    st = ox.Store.read_only(str(store_path))
    return set(st.quads_for_pattern(None, None, None, ox.NamedNode(graph) if graph else None))


def as_triples(quads) -> set[ox.Triple]:
    return {q.triple for q in quads}


def parse_ox(data: bytes, fmt: str) -> tuple[set[ox.Quad], list[ox.Quad]]:
    """(distinct quads, quads as written) parsed by pyoxigraph."""
    quads = list(ox.parse(data, format=FORMATS[fmt][1]))
    return set(quads), quads


def rdflib_graph(triples) -> rdflib.Graph:
    g = rdflib.Graph()
    nt = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    g.parse(data=nt.decode("utf-8"), format="nt")
    return g


def rdflib_parse(data: bytes, fmt: str):
    parser, _, dataset = FORMATS[fmt]
    if dataset:
        ds = rdflib.Dataset()
        ds.parse(data=data.decode("utf-8"), format=parser)
        return ds
    return rdflib.Graph().parse(data=data.decode("utf-8"), format=parser)


def work_iri(store_path, title: str) -> str:
    """The IRI of the one work titled ``title``."""
    st = ox.Store.read_only(str(store_path))
    rows = list(st.query(f"SELECT ?w WHERE {{ ?w a <{SCHEMA}ScholarlyArticle> ; <{SCHEMA}name> {json.dumps(title)} }}",
                         use_default_graph_as_union=True))
    assert len(rows) == 1, rows
    return rows[0]["w"].value


@pytest.fixture(scope="module")
def two_sources(tmp_path_factory, seed_path) -> Path:
    """The seed built twice, as two named graphs: works (keyed by title) are
    the same IRIs in both, so the union holds each of their triples twice."""
    path = tmp_path_factory.mktemp("two") / "store"
    for name in ("mila-publications", "second-copy"):
        r = run_kg("build", str(seed_path), "--name", name, "--store", str(path))
        assert r.returncode in (0, 3), r.stderr
    return path


# -- round trips ----------------------------------------------------------------

@pytest.mark.parametrize("fmt", list(FORMATS))
def test_whole_dataset_round_trips(two_sources, tmp_path, fmt):
    data = export(two_sources, tmp_path, fmt)
    quads = stored_quads(two_sources)
    distinct, written = parse_ox(data, fmt)
    if FORMATS[fmt][2]:
        assert distinct == quads and len(written) == len(quads)
        ds = rdflib_parse(data, fmt)
        assert {str(g.identifier) for g in ds.graphs() if len(g)} == {
            SEED_GRAPH, BASE + "graph/source/second-copy", BASE + "graph/meta"}
        assert sum(len(g) for g in ds.graphs()) == len(quads)
    else:
        union = as_triples(quads)
        assert len(union) < len(quads)  # the two copies share the works' triples
        assert {q.triple for q in distinct} == union
        assert len(written) == len(union), "each triple of the union is written once"
        assert isomorphic(rdflib_parse(data, fmt), rdflib_graph(union))


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_one_graph_round_trips(two_sources, tmp_path, fmt):
    data = export(two_sources, tmp_path, fmt, "--graph", SEED_GRAPH)
    quads = stored_quads(two_sources, SEED_GRAPH)
    assert len(quads) == 770
    distinct, _ = parse_ox(data, fmt)
    if FORMATS[fmt][2]:
        assert distinct == quads
    else:
        assert {q.triple for q in distinct} == as_triples(quads)
        assert isomorphic(rdflib_parse(data, fmt), rdflib_graph(as_triples(quads)))


def test_turtle_and_trig_write_each_subject_once(two_sources, tmp_path):
    text = export(two_sources, tmp_path, "turtle").decode()
    assert "@prefix schema: <http://schema.org/> ." in text
    subjects = [line.split(" ", 1)[0] for line in text.splitlines() if line.startswith("<")]
    assert len(subjects) == len(set(subjects)) == len({q.subject for q in stored_quads(two_sources)})
    trig = export(two_sources, tmp_path, "trig").decode()
    blocks = [line for line in trig.splitlines() if line.endswith("{")]
    assert sorted(blocks) == sorted(f"<{g}> {{" for g in (SEED_GRAPH, BASE + "graph/source/second-copy",
                                                           BASE + "graph/meta"))


# -- JSON-LD --------------------------------------------------------------------

def test_compact_jsonld_has_one_graph_and_schema_org_terms(seed_store, tmp_path):
    doc = json.loads(export(seed_store, tmp_path, "jsonld"))
    assert set(doc) == {"@context", "@graph"}
    ctx = doc["@context"]
    assert ctx["@vocab"] == SCHEMA and ctx["dcterms"] == "http://purl.org/dc/terms/"
    nodes = {n["id"]: n for n in doc["@graph"]}
    assert len(nodes) == len(doc["@graph"]), "one node object per subject"
    works = [n for n in nodes.values() if n.get("type") == "ScholarlyArticle"]
    assert len(works) == 11
    mixtures = next(w for w in works if w["name"] == MIXTURES)
    assert mixtures["dcterms:title"] == MIXTURES and len(mixtures["author"]) == 6
    assert sorted(mixtures["dcterms:creator"]) == sorted(a["id"] for a in mixtures["author"])
    people = [n for n in nodes.values() if n.get("type") == "Person"]
    assert len(people) == 60
    jesse = nodes[JESSE]
    assert (jesse["name"], jesse["givenName"], jesse["familyName"]) == ("Jesse Farebrother", "Jesse", "Farebrother")
    roles = [n for n in nodes.values() if n.get("type") == "ListItem"]
    assert len(roles) == 61 and all(isinstance(r["position"], int) for r in roles)
    # only what the document uses is in its context (schema.org's has 3,000 terms)
    assert len(ctx) < 40 and "Book" not in ctx


def test_framed_jsonld_one_object_per_work_authors_in_order(seed_store, tmp_path):
    doc = json.loads(export(seed_store, tmp_path, "jsonld", "--frame", "work"))
    works = doc["@graph"]
    assert len(works) == 11 and all(w["type"] == "ScholarlyArticle" for w in works)
    mixtures = next(w for w in works if w["name"] == MIXTURES)
    assert [a["name"] for a in mixtures["author"]] == MIXTURES_AUTHORS
    assert all(a["id"].startswith(BASE + "person/") and a["type"] == "Person" for a in mixtures["author"])
    assert mixtures["author"][4]["id"] == JESSE
    assert [r["position"] for r in mixtures["pro:isDocumentContextFor"]] == [1, 2, 3, 4, 5, 6]
    st = ox.Store.read_only(str(seed_store))
    for w in works:  # every work's author array follows schema:position
        rows = st.query(f"""SELECT ?p WHERE {{ <{w['id']}> <http://purl.org/spar/pro/isDocumentContextFor> ?a .
                            ?a <http://purl.org/spar/pro/isHeldBy> ?p ; <{SCHEMA}position> ?n }} ORDER BY ?n""",
                        use_default_graph_as_union=True)
        authors = w["author"] if isinstance(w["author"], list) else None
        assert authors is not None, "author is always an array"
        assert [a["id"] for a in authors] == [r["p"].value for r in rows]
    single = [w for w in works if len(w["author"]) == 1]
    assert all(isinstance(w["author"], list) for w in single)
    # framing loses nothing: the works with everything they hold are the source graph
    parsed = rdflib.Graph().parse(data=json.dumps(doc), format="json-ld")
    assert isomorphic(parsed, rdflib_graph(as_triples(stored_quads(seed_store, SEED_GRAPH))))
    distinct, _ = parse_ox(json.dumps(doc).encode(), "jsonld")
    assert {q.triple for q in distinct} == as_triples(stored_quads(seed_store, SEED_GRAPH))


def test_framed_jsonld_of_one_work(seed_store, tmp_path):
    iri = work_iri(seed_store, MIXTURES)
    doc = json.loads(export(seed_store, tmp_path, "jsonld", "--frame", "work", "--resource", iri))
    assert [w["id"] for w in doc["@graph"]] == [iri]
    assert [a["name"] for a in doc["@graph"][0]["author"]] == MIXTURES_AUTHORS


def test_frame_needs_jsonld(seed_store):
    r = run_kg("export", "--store", str(seed_store), "--format", "turtle", "--frame", "work")
    assert r.returncode == 2 and "--frame applies to JSON-LD only" in r.stderr


def test_jsonld_never_touches_the_network(seed_store, monkeypatch):
    """Compaction and framing run with every socket refused."""
    from kg.export import export as do_export

    def refuse(*args, **kwargs):
        raise AssertionError("kg opened a network connection while writing JSON-LD")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    import io

    st = ox.Store.read_only(str(seed_store))
    for frame in (None, "work"):
        buf = io.BytesIO()
        do_export(st, "jsonld", buf, frame=frame)
        assert json.loads(buf.getvalue())["@graph"]


def test_pyld_document_loader_refuses_urls():
    from pyld import jsonld

    from kg.export import _no_network

    with pytest.raises(jsonld.JsonLdError):
        jsonld.expand({"@context": "https://schema.org/", "name": "x"}, options={"documentLoader": _no_network})


def test_shipped_context_is_built_from_the_pinned_schema_org_context():
    root = Path(__file__).resolve().parents[1]
    pinned = root.parent / "shared" / "data" / "vocab" / "schemaorg-30.0-context.jsonld"
    sys.path.insert(0, str(root / "ontology"))
    try:
        import make_context
    finally:
        sys.path.pop(0)
    built = make_context.build(str(pinned))
    shipped = json.loads((root / "ontology" / "context.jsonld").read_text(encoding="utf-8"))["@context"]
    assert shipped == built, "ontology/context.jsonld is stale: run python ontology/make_context.py"
    assert shipped["@vocab"] == SCHEMA and shipped["schema"] == SCHEMA
    assert shipped["pro"] == "http://purl.org/spar/pro/" and shipped["kgv"] == "https://w3id.org/kg/vocab#"


# -- one resource ---------------------------------------------------------------

def test_one_person(seed_store, tmp_path):
    text = export(seed_store, tmp_path, "turtle", "--resource", JESSE).decode()
    g = rdflib.Graph().parse(data=text, format="turtle")
    s = rdflib.URIRef(JESSE)
    assert str(g.value(s, rdflib.URIRef(SCHEMA + "name"))) == "Jesse Farebrother"
    works = set(g.subjects(rdflib.URIRef(SCHEMA + "author"), s))
    titles = sorted(str(g.value(w, rdflib.URIRef(SCHEMA + "name"))) for w in works)
    assert titles == [MIXTURES, "Stop Regressing: Training Value Functions via Classification for Scalable Deep RL"]
    subjects = [line.split(" ", 1)[0] for line in text.splitlines() if line.startswith("<")]
    assert len(subjects) == len(set(subjects)), "grouped by subject"


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_one_work_in_every_format(seed_store, tmp_path, fmt):
    iri = work_iri(seed_store, MIXTURES)
    from kg.export import describe_quads

    expected = set(describe_quads(ox.Store.read_only(str(seed_store)), iri))
    data = export(seed_store, tmp_path, fmt, "--resource", iri)
    distinct, _ = parse_ox(data, fmt)
    if FORMATS[fmt][2]:
        assert distinct == expected
    else:
        assert {q.triple for q in distinct} == as_triples(expected)
        assert isomorphic(rdflib_parse(data, fmt), rdflib_graph(as_triples(expected)))
    # the work, its 6 authorships and its 6 authors with their names
    g = rdflib_graph(as_triples(expected))
    names = {str(o) for o in g.objects(None, rdflib.URIRef(SCHEMA + "name"))}
    assert set(MIXTURES_AUTHORS) | {MIXTURES} <= names


def test_unknown_resource(seed_store):
    r = run_kg("export", "--store", str(seed_store), "--format", "nt", "--resource", BASE + "work/0000000000000000")
    assert r.returncode == 1
    assert f"nothing is known about <{BASE}work/0000000000000000> in the store" in r.stderr


# -- hard literals --------------------------------------------------------------

HARD = ['say "hi"', "it's", "back\\slash", "line\nbreak", "cr\rhere", "tab\there", "emoji \U0001F600 \U00010348",
        "<b>not markup</b> & co", "]]> &amp; &#13;", "é" * 10 + "x" * 200_000]


@pytest.fixture(scope="module")
def hard_store(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("hard") / "store"
    st = ox.Store(str(path))
    g = ox.NamedNode(BASE + "graph/source/hard")
    w = ox.NamedNode(BASE + "work/hard")
    p = ox.NamedNode(BASE + "person/hard")
    a = ox.NamedNode(BASE + "work/hard/authorship/1")
    quads = [ox.Quad(w, RDF_TYPE, ox.NamedNode(SCHEMA + "ScholarlyArticle"), g),
             ox.Quad(w, ox.NamedNode(SCHEMA + "name"), ox.Literal("Hard \"literals\"\n"), g),
             ox.Quad(w, ox.NamedNode(SCHEMA + "author"), p, g),
             ox.Quad(w, ox.NamedNode("http://purl.org/spar/pro/isDocumentContextFor"), a, g),
             ox.Quad(a, ox.NamedNode("http://purl.org/spar/pro/isHeldBy"), p, g),
             ox.Quad(a, ox.NamedNode(SCHEMA + "position"), ox.Literal("1", datatype=XSD_INTEGER), g),
             ox.Quad(p, RDF_TYPE, ox.NamedNode(SCHEMA + "Person"), g),
             ox.Quad(p, ox.NamedNode(SCHEMA + "name"), ox.Literal("Zoë \U0001F600 O'Brien-\"Q\""), g),
             ox.Quad(w, ox.NamedNode(SCHEMA + "inLanguage"), ox.Literal("chat", language="fr"), g)]
    quads += [ox.Quad(w, ox.NamedNode(SCHEMA + "abstract"), ox.Literal(v), g) for v in HARD]
    st.extend(quads)
    st.flush()
    del st
    return path


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_hard_literals_survive(hard_store, tmp_path, fmt):
    data = export(hard_store, tmp_path, fmt)
    expected = stored_quads(hard_store)
    distinct, _ = parse_ox(data, fmt)
    assert {q.triple for q in distinct} == as_triples(expected)
    parsed = rdflib_parse(data, fmt)
    graphs = list(parsed.graphs()) if FORMATS[fmt][2] else [parsed]
    abstracts = sorted(str(o) for g in graphs for o in g.objects(None, rdflib.URIRef(SCHEMA + "abstract")))
    assert abstracts == sorted(HARD)
    if not FORMATS[fmt][2]:
        assert isomorphic(parsed, rdflib_graph(as_triples(expected)))


def test_hard_literals_survive_framing(hard_store, tmp_path):
    data = export(hard_store, tmp_path, "jsonld", "--frame", "work")
    doc = json.loads(data)
    assert sorted(doc["@graph"][0]["abstract"]) == sorted(HARD)
    assert doc["@graph"][0]["author"][0]["name"] == "Zoë \U0001F600 O'Brien-\"Q\""
    distinct, _ = parse_ox(data, "jsonld")
    assert {q.triple for q in distinct} == as_triples(stored_quads(hard_store))
    assert isomorphic(rdflib_parse(data, "jsonld"), rdflib_graph(as_triples(stored_quads(hard_store))))


# -- streaming --------------------------------------------------------------------

PEAK = ("import sys\nfrom kg.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit as e:\n"
        "    assert not e.code, e.code\n"
        "print('PEAK-KB', next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')), file=sys.stderr)")


def synthetic_store(path: Path, works: int) -> int:
    """A store of ``works`` works with 5 authors each; returns its size."""
    st = ox.Store(str(path))
    g = ox.NamedNode(BASE + "graph/source/big")
    n = lambda local: ox.NamedNode(SCHEMA + local)  # noqa: E731
    quads = []
    for i in range(works):
        w = ox.NamedNode(f"{BASE}work/{i:016x}")
        quads += [ox.Quad(w, RDF_TYPE, n("ScholarlyArticle"), g), ox.Quad(w, n("name"), ox.Literal(f"Work {i}"), g),
                  ox.Quad(w, n("abstract"), ox.Literal("An abstract. " * 20), g)]
        for j in range(1, 6):
            p = ox.NamedNode(f"{BASE}person/{(i * 7 + j) % (2 * works):016x}")
            a = ox.NamedNode(f"{w.value}/authorship/{j}")
            quads += [ox.Quad(w, n("author"), p, g),
                      ox.Quad(w, ox.NamedNode("http://purl.org/spar/pro/isDocumentContextFor"), a, g),
                      ox.Quad(a, ox.NamedNode("http://purl.org/spar/pro/isHeldBy"), p, g),
                      ox.Quad(a, n("position"), ox.Literal(str(j), datatype=XSD_INTEGER), g),
                      ox.Quad(p, RDF_TYPE, n("Person"), g), ox.Quad(p, n("name"), ox.Literal(f"Person {j}"), g)]
    st.bulk_extend(quads)
    st.flush()
    count = len(st)
    del st
    return count


def peak_kb(store: Path, out: Path, *args: str) -> int:
    r = subprocess.run([sys.executable, "-c", PEAK, "export", "--store", str(store), "--out", str(out), *args],
                       capture_output=True, text=True, timeout=600)
    line = next((x for x in r.stderr.splitlines() if x.startswith("PEAK-KB")), None)
    assert line, r.stderr
    return int(line.split()[1])


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="peak memory is read from /proc (Linux)")
def test_memory_stays_flat_on_large_graphs(tmp_path):
    """Ten times the data, and `kg export` needs no more memory than reading
    the store does: N-Quads (written by pyoxigraph straight from the store) is
    the yardstick, as the store's own cache grows with what it has read; the
    other formats stay within a few MB of it, JSON-LD within a fixed margin
    (one chunk compacted at a time), framed JSON-LD too (64 works at a time)."""
    small, medium, large = tmp_path / "small", tmp_path / "medium", tmp_path / "large"
    assert synthetic_store(large, 10_000) > 9 * synthetic_store(small, 1_000) > 250_000
    synthetic_store(medium, 3_000)

    base = {st: peak_kb(st, tmp_path / f"{st.name}.nq", "--format", "nq") for st in (small, medium, large)}

    def overhead(store: Path, *args: str) -> tuple[int, int]:
        out = tmp_path / f"{store.name}.{'-'.join(args)}"
        return peak_kb(store, out, *args) - base[store], out.stat().st_size

    for args, stores, slack_mb in ((("--format", "nt"), (small, large), 6), (("--format", "turtle"), (small, large), 6),
                                   (("--format", "rdfxml"), (small, large), 6), (("--format", "trig"), (small, large), 6),
                                   (("--format", "jsonld"), (small, large), 12),
                                   (("--format", "jsonld", "--frame", "work"), (small, medium), 12)):
        (a, size_a), (b, size_b) = (overhead(st, *args) for st in stores)
        assert size_b > 2.5 * size_a
        assert b - a < slack_mb * 1024, f"{args}: {a // 1024} MB over the store scan, then {b // 1024} MB"
        assert b < 60 * 1024, f"{args}: {b // 1024} MB over the store scan"
