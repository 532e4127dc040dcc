"""Linked-data pages on a live `kg serve`: every IRI under the base IRI
dereferences, in HTML for people and in RDF for machines (by Accept or by
extension), with Link headers; work, person, graph, index and statistics
pages; `kg stats`."""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
import requests

from conftest import BASE, SEED_GRAPH, Server, run_kg

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SCHEMA = "http://schema.org/"
HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
MIXTURES = "Mixtures of Experts Unlock Parameter Scaling for Deep RL"
MIXTURES_AUTHORS = ["Johan Samir Obando Ceron", "Ghada Sokar", "Timon Willi", "Clare Lyle", "Jesse Farebrother",
                    "Jakob Nicolaus Foerster"]
JESSE = "person/dd1e3958af388605"
HYENA = "Laughing Hyena Distillery: Extracting Compact Recurrences From Convolutions"
#: Accept value -> (media type answered, rdflib parser)
RDF_TYPES = {
    "text/turtle": ("text/turtle", "turtle"),
    "application/ld+json": ("application/ld+json", "json-ld"),
    "application/n-triples": ("application/n-triples", "nt"),
    "application/rdf+xml": ("application/rdf+xml", "xml"),
    "application/n-quads": ("application/n-quads", "nquads"),
    "application/trig": ("application/trig", "trig"),
    "text/plain": ("application/n-triples", "nt"),
}
EXTENSIONS = {"ttl": "text/turtle", "jsonld": "application/ld+json", "nt": "application/n-triples",
              "rdf": "application/rdf+xml", "nq": "application/n-quads", "trig": "application/trig"}


class Page(HTMLParser):
    """The parts of a page the tests look at: text by element id, links
    inside an element, JSON-LD scripts."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.ids: dict[str, list[str]] = {}
        self.links: dict[str, list[tuple[str, str]]] = {}
        self.jsonld: list[dict] = []
        self._open: list[tuple[str, str | None]] = []
        self._href: str | None = None
        self._text: list[str] = []
        self._script = False
        self.feed(html)

    def _boundary(self) -> None:
        for _, ident in self._open:  # elements separate words, as a browser shows them
            if ident:
                self.ids[ident].append(" ")

    def handle_starttag(self, tag, attrs):
        self._boundary()
        a = dict(attrs)
        if tag == "script" and a.get("type") == "application/ld+json":
            self._script, self._text = True, []
        if tag in ("br", "img", "input", "link", "meta"):
            return
        self._open.append((tag, a.get("id")))
        if a.get("id"):
            self.ids.setdefault(a["id"], [])
        if tag == "a":
            self._href, self._text = a.get("href"), []

    def handle_endtag(self, tag):
        self._boundary()
        if tag == "script" and self._script:
            self.jsonld.append(json.loads("".join(self._text)))
            self._script = False
        if tag == "a" and self._href is not None:
            for _, ident in self._open:
                if ident:
                    self.links.setdefault(ident, []).append((self._href, "".join(self._text).strip()))
            self._href = None
        while self._open:
            t, _ = self._open.pop()
            if t == tag:
                break

    def handle_data(self, data):
        for _, ident in self._open:
            if ident:
                self.ids[ident].append(data)
        if self._href is not None or self._script:
            self._text.append(data)

    def text(self, ident: str) -> str:
        return re.sub(r"\s+", " ", "".join(self.ids.get(ident, []))).replace(" ,", ",").replace(" .", ".").strip()


def iri_of(store: Path, title: str) -> str:
    st = ox.Store.read_only(str(store))
    rows = list(st.query(f"SELECT DISTINCT ?w WHERE {{ ?w a <{SCHEMA}ScholarlyArticle> ; <{SCHEMA}name> {json.dumps(title)} }}",
                         use_default_graph_as_union=True))
    assert len(rows) == 1
    return rows[0]["w"].value


@pytest.fixture(scope="module")
def rich(tmp_path_factory, seed_path):
    """`kg serve` over the seed listing built twice (two named graphs that say
    the same about the works), Mila's paperoni export (DOI, arXiv, dblp,
    ORCID, dates) and an OpenAlex work."""
    path = tmp_path_factory.mktemp("rich") / "store"
    sources = [SHARED / "paperoni" / "mila-selected-papers.json", SHARED / "external" / "openalex" / "W2741809807.json"]
    r = run_kg("build", "--seed", *map(str, sources), "--store", str(path), timeout=600)
    assert r.returncode == 0, r.stderr
    r = run_kg("build", str(seed_path), "--name", "listing-again", "--store", str(path))
    assert r.returncode == 0, r.stderr
    srv = Server(path)
    srv.store = path
    yield srv
    srv.stop()


def get(server, path: str, **headers) -> requests.Response:
    return requests.get(server.url + path, headers=headers or HTML, timeout=60)


def work_path(server, title: str) -> str:
    r = requests.get(server.sparql, params={"query": f"SELECT DISTINCT ?w WHERE {{ ?w <{SCHEMA}name> {json.dumps(title)} ; "
                                                     f"a <{SCHEMA}ScholarlyArticle> }}"},
                     headers={"Accept": "application/sparql-results+json"})
    (row,) = r.json()["results"]["bindings"]
    return "/" + row["w"]["value"][len(BASE):]


# -- the work page ----------------------------------------------------------------

def test_work_page(server):
    path = work_path(server, MIXTURES)
    r = get(server, path)
    assert r.status_code == 200 and r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert r.headers["Vary"] == "Accept" and r.headers["Content-Location"] == path + ".html"
    page = Page(r.text)
    assert page.text("title") == MIXTURES
    assert page.text("iri") == BASE + path[1:]
    assert [text for _, text in page.links["authors"]] == MIXTURES_AUTHORS
    assert page.links["authors"][4][0] == "/" + JESSE
    assert page.text("abstract").startswith("The recent rapid progress in (self) supervised learning models")
    assert "truncated" not in page.ids
    assert page.text("date") == "no date"
    assert page.text("links") == "No identifiers or external links known."
    # which sources said what
    assert page.links["sources"] == [("/graph/source/mila-publications", "mila-publications")]
    statements = page.text("statements")
    assert "schema:name" in statements and "pro:isDocumentContextFor" in statements
    # the schema.org JSON-LD search engines read
    (doc,) = page.jsonld
    assert doc["@context"]["@vocab"] == SCHEMA
    assert doc["type"] == "ScholarlyArticle" and doc["id"] == BASE + path[1:] and doc["name"] == MIXTURES
    assert [a["name"] for a in doc["author"]] == MIXTURES_AUTHORS
    assert doc["author"][4]["id"] == BASE + JESSE
    assert not any(k.startswith(("dcterms:", "pro:")) for k in doc)
    assert rdflib.Graph().parse(data=json.dumps(doc), format="json-ld")


def test_truncated_abstract_is_marked(server):
    r = requests.get(server.sparql, params={"query": "SELECT ?w WHERE { ?w <https://w3id.org/kg/vocab#abstractTruncated> true }"},
                     headers={"Accept": "application/sparql-results+json"})
    (row,) = r.json()["results"]["bindings"]
    page = Page(get(server, "/" + row["w"]["value"][len(BASE):]).text)
    assert page.text("truncated") == "truncated in the source"
    assert page.text("abstract").endswith("[…]")


def test_identifiers_links_and_dates(rich):
    page = Page(get(rich, work_path(rich, HYENA)).text)
    assert page.text("date") == "2023-09-21"
    assert page.text("venue") == "NeurIPS.cc/2023/Conference"
    assert page.links["links"] == [
        ("https://doi.org/10.48550/arxiv.2310.18780", "10.48550/arxiv.2310.18780"),
        ("https://arxiv.org/abs/2310.18780", "2310.18780"),
        ("https://dblp.org/rec/journals/corr/abs-2310-18780", "journals/corr/abs-2310-18780"),
        ("https://www.semanticscholar.org/paper/bd50f83024e313dc2e0d4bef5cbde23284317f8e",
         "bd50f83024e313dc2e0d4bef5cbde23284317f8e"),
        ("https://openreview.net/forum?id=OWELckerm6", "OWELckerm6"),
    ]
    assert page.text("links").startswith("DOI: 10.48550/arxiv.2310.18780 arXiv: 2310.18780 dblp:")
    (doc,) = page.jsonld
    assert doc["datePublished"] == {"type": "xsd:date", "@value": "2023-09-21"}
    assert "https://doi.org/10.48550/arxiv.2310.18780" in doc["sameAs"]
    ids = {pv["propertyID"]: pv["value"] for pv in doc["identifier"]}
    assert ids["doi"] == "10.48550/arxiv.2310.18780" and ids["arxiv"] == "2310.18780"
    oa = Page(get(rich, work_path(rich, "The state of OA: a large-scale analysis of the prevalence and impact of "
                                        "Open Access articles")).text)
    assert ("https://openalex.org/W2741809807", "W2741809807") in oa.links["links"]
    assert oa.text("links").startswith("DOI: 10.7717/peerj.4375")


def test_orcid_link_on_a_person_page(rich):
    r = requests.get(rich.sparql, params={"query": f"SELECT ?p WHERE {{ ?p <{SCHEMA}sameAs> "
                                                   "<https://orcid.org/0000-0002-7979-5509> }"},
                     headers={"Accept": "application/sparql-results+json"})
    (row,) = r.json()["results"]["bindings"]
    page = Page(get(rich, "/" + row["p"]["value"][len(BASE):]).text)
    assert page.text("name") == "Baihan Lin"
    assert ("https://orcid.org/0000-0002-7979-5509", "0000-0002-7979-5509") in page.links["links"]
    assert page.text("links").startswith("ORCID: 0000-0002-7979-5509")


def test_external_link_kinds():
    """Wikidata and the other services are recognised from their IRIs."""
    from kg.web.pagedata import external_links

    s = ox.NamedNode(BASE + "work/x")
    same = ox.NamedNode(SCHEMA + "sameAs")
    quads = [ox.Quad(s, same, ox.NamedNode(u)) for u in (
        "http://www.wikidata.org/entity/Q42", "https://openalex.org/W1", "https://orcid.org/0000-0001-2345-6789",
        "https://doi.org/10.1/X", "https://example.org/elsewhere")]
    assert [(d["label"], d["id"]) for d in external_links(quads, s)] == [
        ("DOI", "10.1/X"), ("Wikidata", "Q42"), ("OpenAlex", "W1"), ("ORCID", "0000-0001-2345-6789"),
        ("link", "https://example.org/elsewhere")]


def test_which_source_said_what(rich):
    page = Page(get(rich, work_path(rich, MIXTURES)).text)
    assert page.links["sources"] == [("/graph/source/listing-again", "listing-again"),
                                     ("/graph/source/mila-publications", "mila-publications")]
    rows = page.text("sources")
    assert rows.count("schema:name") == 2
    statements = page.text("statements")
    assert "listing-again, mila-publications" in statements


# -- the person page --------------------------------------------------------------

def test_person_page(server):
    page = Page(get(server, "/" + JESSE).text)
    assert page.text("name") == "Jesse Farebrother"
    works = page.links["works"]
    assert sorted(t for _, t in works) == [
        MIXTURES, "Stop Regressing: Training Value Functions via Classification for Scalable Deep RL"]
    assert all(href.startswith("/work/") for href, _ in works)
    assert "5 of 6" in page.text("works") and "1 of 11" in page.text("works")
    coauthors = page.links["coauthors"]
    assert len(coauthors) == 15
    assert {"Clare Lyle", "Sergey Levine", "Jakob Nicolaus Foerster"} <= {t for _, t in coauthors}
    (doc,) = page.jsonld
    assert (doc["type"], doc["name"], doc["givenName"], doc["familyName"]) == (
        "Person", "Jesse Farebrother", "Jesse", "Farebrother")


# -- content negotiation -------------------------------------------------------------

@pytest.mark.parametrize("accept", list(RDF_TYPES))
def test_rdf_by_accept(server, accept):
    path = work_path(server, MIXTURES)
    r = get(server, path, Accept=accept)
    media_type, parser = RDF_TYPES[accept]
    assert r.status_code == 200 and r.headers["Content-Type"] == f"{media_type}; charset=utf-8"
    ext = {v: k for k, v in EXTENSIONS.items()}[media_type]
    assert r.headers["Content-Location"] == f"{path}.{ext}"
    assert r.headers["Vary"] == "Accept"
    if parser in ("nquads", "trig"):
        ds = rdflib.Dataset()
        ds.parse(data=r.text, format=parser)
        assert {str(g.identifier) for g in ds.graphs() if len(g)} == {SEED_GRAPH}
        g = ds.graph(rdflib.URIRef(SEED_GRAPH))
    else:
        g = rdflib.Graph().parse(data=r.text, format=parser)
    work = rdflib.URIRef(BASE + path[1:])
    assert str(g.value(work, rdflib.URIRef(SCHEMA + "name"))) == MIXTURES
    authors = {str(g.value(p, rdflib.URIRef(SCHEMA + "name"))) for p in g.objects(work, rdflib.URIRef(SCHEMA + "author"))}
    assert authors == set(MIXTURES_AUTHORS)
    positions = sorted((int(g.value(a, rdflib.URIRef(SCHEMA + "position"))), str(g.value(a, rdflib.URIRef(SCHEMA + "name"))))
                       for a in g.objects(work, rdflib.URIRef("http://purl.org/spar/pro/isDocumentContextFor")))
    assert [name for _, name in positions] == MIXTURES_AUTHORS


@pytest.mark.parametrize("ext", list(EXTENSIONS))
def test_rdf_by_extension(server, ext):
    path = work_path(server, MIXTURES)
    by_ext = get(server, f"{path}.{ext}")  # a browser's Accept: the extension wins
    assert by_ext.status_code == 200 and by_ext.headers["Content-Type"] == f"{EXTENSIONS[ext]}; charset=utf-8"
    assert "Content-Location" not in by_ext.headers
    by_accept = get(server, path, Accept=EXTENSIONS[ext])
    assert by_ext.content == by_accept.content


def test_link_headers_name_every_alternate(server):
    path = work_path(server, MIXTURES)
    for r in (get(server, path), get(server, path + ".ttl"), get(server, path, Accept="application/ld+json")):
        links = requests.utils.parse_header_links(r.headers["Link"])
        alternates = {link["type"]: link["url"] for link in links if link["rel"] == "alternate"}
        assert alternates == {"text/html": f"{server.url}{path}.html",
                              **{mt: f"{server.url}{path}.{ext}" for ext, mt in EXTENSIONS.items()}}
    page = get(server, path).text
    assert f'<link rel="alternate" type="text/turtle" href="{path}.ttl">' in page


def test_browsers_and_curl_get_html(server):
    path = work_path(server, MIXTURES)
    for accept in ("*/*", "text/html", None):  # None: no Accept header at all
        r = requests.get(server.url + path, headers={"Accept": accept})
        assert r.headers["Content-Type"] == "text/html; charset=utf-8", accept
    r = get(server, path, Accept="application/pdf")
    assert r.status_code == 406 and "text/turtle" in r.text
    r = requests.head(server.url + path + ".ttl")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/turtle") and not r.content


def test_unknown_ids_are_404(server):
    for path in ("/work/0000000000000000", "/person/0000000000000000.ttl", "/nothing/here"):
        r = get(server, path, Accept="text/turtle")
        assert r.status_code == 404 and r.headers["Content-Type"].startswith("text/plain"), path
        assert "nothing is known about <https://kg.example.org/" in r.text
        page = get(server, path)
        assert page.status_code == 404 and page.headers["Content-Type"].startswith("text/html")
        assert Page(page.text).text("message").startswith("nothing is known about")


def test_every_iri_under_the_base_resolves(seed_store, server):
    """Each work, person, authorship, identifier, graph and source record."""
    st = ox.Store.read_only(str(seed_store))
    iris = {t.value.split("#")[0] for q in st.quads_for_pattern(None, None, None, None)
            for t in (q.subject, q.object, q.graph_name) if isinstance(t, ox.NamedNode) and t.value.startswith(BASE)}
    assert len(iris) == 11 + 60 + 61 + 2  # works, people, authorships, graphs
    for iri in sorted(iris):
        r = requests.get(server.url + "/" + iri[len(BASE):], headers={"Accept": "application/n-triples"})
        assert r.status_code == 200, iri
        if iri != BASE + "graph/meta":  # a graph name only: nothing describes it
            assert f"<{iri}>" in r.text, iri
    authorship = sorted(i for i in iris if "/authorship/" in i)[0]
    page = Page(get(server, "/" + authorship[len(BASE):]).text)
    assert page.text("iri") == authorship and "schema:position" in page.text("statements")


def test_another_base_iri_maps_to_the_same_paths(tmp_path, seed_path):
    """A store minted under http://data.example.net/kg/ is served at
    /work/{id} (and at /kg/work/{id}) on 127.0.0.1."""
    base = "http://data.example.net/kg/"
    store = tmp_path / "store"
    r = run_kg("build", str(seed_path), "--base-iri", base, "--store", str(store))
    assert r.returncode == 0, r.stderr
    iri = iri_of(store, MIXTURES)
    assert iri.startswith(base + "work/")
    srv = Server(store)
    try:
        for path in ("/" + iri[len(base):], "/kg/" + iri[len(base):]):
            r = requests.get(srv.url + path, headers={"Accept": "text/turtle"})
            assert r.status_code == 200, path
            assert str(rdflib.Graph().parse(data=r.text, format="turtle").value(
                rdflib.URIRef(iri), rdflib.URIRef(SCHEMA + "name"))) == MIXTURES
        page = Page(requests.get(srv.url + "/" + iri[len(base):], headers=HTML).text)
        assert page.links["authors"][4][0] == "/person/" + page.links["authors"][4][0].rsplit("/", 1)[1]
        assert all(href.startswith("/person/") for href, _ in page.links["authors"])
    finally:
        srv.stop()


def test_graph_page(server):
    page = Page(get(server, "/graph/source/mila-publications").text)
    assert page.text("title") == "mila-publications"
    assert page.text("triples") == "770"
    records = page.links["records"]
    assert len(records) == 12  # 12 records, 11 works: the two "Nash Learning" copies are one work
    assert "line-3" in page.ids
    nash = [href for href, text in records if text == "Nash Learning from Human Feedback"]
    assert len(nash) == 2 and nash[0] == nash[1]
    assert "mila-publications.txt" in page.text("file")


# -- index and statistics pages ----------------------------------------------------

def test_works_index(server):
    page = Page(get(server, "/works").text)
    assert len(page.links["works"]) == 11
    assert page.text("summary") == "11 works 60 people 61 authorships 2 named graphs 785 quads"
    assert page.text("count") == "11 works"
    titles = [t for _, t in page.links["works"]]
    assert titles == sorted(titles, key=str.lower)
    page = Page(get(server, "/works?q=nash").text)
    assert [t for _, t in page.links["works"]] == ["Nash Learning from Human Feedback"]
    assert page.text("count") == "1 work matching “nash”"
    page = Page(get(server, "/works?q=Foerster").text)  # an author's name
    assert [t for _, t in page.links["works"]] == [MIXTURES]
    page = Page(get(server, '/works?q=%22%5C%7D').text)  # quotes and backslashes are only text
    assert page.text("count").startswith("0 works")
    assert get(server, "/work/").url.endswith("/works")


def test_people_index(server):
    page = Page(get(server, "/people").text)
    assert len(page.links["people"]) == 60
    assert page.links["people"][0] == ("/" + JESSE, "Jesse Farebrother")
    page = Page(get(server, "/people?q=lyle").text)
    assert [t for _, t in page.links["people"]] == ["Clare Lyle"]


def test_statistics_page_and_pictures(server):
    page = Page(get(server, "/stats").text)
    assert page.text("summary") == "11 works 60 people 61 authorships 2 named graphs 785 quads"
    assert page.text("years") == "No work has a publication date."
    assert page.links["top-people"][0] == ("/" + JESSE, "Jesse Farebrother")
    assert "Jesse Farebrother 2" in page.text("top-people")
    assert page.text("graphs") == "Graph Triples mila-publications 770 meta 15"
    data = requests.get(server.url + "/stats.json").json()
    assert (data["works"], data["people"], data["authorships"], data["quads"]) == (11, 60, 61, 785)
    assert data["works_per_year"] == [] and data["works_without_date"] == 11
    assert data["top_people"][0] == {"iri": BASE + JESSE, "name": "Jesse Farebrother", "works": 2}
    assert len(data["network"]["nodes"]) == 20
    for panel in ("years", "people", "network", "graphs"):
        r = requests.get(f"{server.url}/stats/{panel}.svg")
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("image/svg+xml"), panel
    assert "Jesse Farebrother" in requests.get(server.url + "/stats/people.svg").text
    assert "no publication dates in the data" in requests.get(server.url + "/stats/years.svg").text
    png = requests.get(server.url + "/stats/all.png")
    assert png.headers["Content-Type"] == "image/png" and png.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert requests.get(server.url + "/stats/nope.svg").status_code == 404


def test_statistics_with_dates(rich):
    data = requests.get(rich.url + "/stats.json").json()
    st = ox.Store.read_only(str(rich.store))
    from kg.export import WORK_TYPE_IRIS

    types = " ".join(f"<{t}>" for t in WORK_TYPE_IRIS)
    rows = st.query(f"""SELECT ?y (COUNT(?w) AS ?n) WHERE {{ {{ SELECT ?w (MIN(SUBSTR(STR(?d), 1, 4)) AS ?y)
                        WHERE {{ VALUES ?t {{ {types} }} ?w a ?t ; <{SCHEMA}datePublished> ?d }} GROUP BY ?w }} }}
                        GROUP BY ?y ORDER BY ?y""", use_default_graph_as_union=True)
    expected = [[r["y"].value, int(r["n"].value)] for r in rows]
    assert data["works_per_year"] == expected and len(expected) >= 5
    assert expected[0] == ["2018", 1]  # the OpenAlex work, 2018-02-13
    page = Page(get(rich, "/stats").text)
    assert page.text("years").startswith("Year Works " + " ".join(f"{y} {n}" for y, n in expected[:2]))


def test_pages_follow_a_new_build(tmp_path, seed_path):
    """A build while serving shows at once: page caches are per store generation."""
    store = tmp_path / "store"
    assert run_kg("build", str(seed_path), "--store", str(store)).returncode == 0
    listing = tmp_path / "extra.txt"
    listing.write_text("Publications\n\nA Brand New Result on Knowledge Graphs\nAda Lovelace\nJesse Farebrother\n",
                       encoding="utf-8")
    srv = Server(store)
    try:
        assert Page(requests.get(srv.url + "/works", headers=HTML).text).text("count") == "11 works"
        r = run_kg("build", str(listing), "--store", str(store))
        assert r.returncode == 0, r.stderr
        page = Page(requests.get(srv.url + "/works", headers=HTML).text)
        assert page.text("count") == "12 works"
        assert "A Brand New Result on Knowledge Graphs" in [t for _, t in page.links["works"]]
    finally:
        srv.stop()


# -- kg stats -------------------------------------------------------------------------

def test_kg_stats(seed_store, tmp_path):
    out = tmp_path / "stats.png"
    r = run_kg("stats", "--store", str(seed_store), "--plot", str(out))
    assert r.returncode == 0, r.stderr
    assert "11 works, 60 people, 61 authorships, 2 named graphs, 785 quads" in r.stdout
    assert "Jesse Farebrother" in r.stdout and "no work has a publication date" in r.stdout
    assert out.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and f"wrote {out}" in r.stderr
    r = run_kg("stats", "--store", str(seed_store), "--format", "json", "--top", "3")
    data = json.loads(r.stdout)
    assert [p["name"] for p in data["top_people"]] == ["Jesse Farebrother", "Adrien Ali Taiga", "Adrien Peyrache"]
    assert data["graphs"] == [{"iri": SEED_GRAPH, "title": "mila-publications", "triples": 770},
                              {"iri": BASE + "graph/meta", "title": None, "triples": 15}]
    svg = tmp_path / "stats.svg"
    assert run_kg("stats", "--store", str(seed_store), "--plot", str(svg)).returncode == 0
    assert svg.read_text().count("<svg") == 1
    r = run_kg("stats", "--store", str(seed_store), "--plot", str(tmp_path / "stats.gif"))
    assert r.returncode == 2 and ".png, .svg or .pdf" in r.stderr
