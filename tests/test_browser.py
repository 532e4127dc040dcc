"""The pages in a real headless browser: Debian's chromium driven by Playwright
for Python against a live `kg serve` on 127.0.0.1, with every request that
is not for that server refused (the pages must work offline).

A screenshot of each page is saved under tests/artifacts/ (not committed).
chromium is installed by .ci/run (`apt-get install -y chromium`); without it
these tests fail and say so, they are not skipped.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import requests

from conftest import BASE

# $KG_CHROMIUM points elsewhere (another Chromium build) when needed.
CHROMIUM = os.environ.get("KG_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
MIXTURES = "Mixtures of Experts Unlock Parameter Scaling for Deep RL"
MIXTURES_AUTHORS = ["Johan Samir Obando Ceron", "Ghada Sokar", "Timon Willi", "Clare Lyle", "Jesse Farebrother",
                    "Jakob Nicolaus Foerster"]


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright for Python is not installed: run `.venv/bin/pip install '.[test]'`")
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"chromium is not installed ({CHROMIUM} is missing): the browser tests drive Debian's "
                    "chromium; install it with `apt-get update && apt-get install -y chromium` (as .ci/run does)")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser, server):
    """A fresh browser tab; requests to anything but the server are aborted
    and remembered, and the test fails if the page made any."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    outside: list[str] = []

    def gate(route):
        if route.request.url.startswith(server.url + "/"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", gate)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert not outside, f"the page tried to reach other hosts: {outside}"
    assert not errors, f"JavaScript errors: {errors}"


def shot(tab, name: str) -> None:
    tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def cells(tab, selector: str = "#result-table") -> list[list[str]]:
    return tab.eval_on_selector_all(f"{selector} tbody tr",
                                    "rows => rows.map(r => Array.from(r.cells, c => c.textContent.trim()))")


def test_query_page_runs_an_example(page, server):
    page.goto(server.url + "/")
    assert page.title() == "SPARQL query · kg"
    options = page.eval_on_selector_all("#example option", "os => os.map(o => o.value).filter(Boolean)")
    assert options == ["author-list.rq", "coauthors.rq", "graph-stats.rq", "people-by-works.rq",
                       "works-with-authors.rq", "works-without-abstract.rq"]
    assert page.input_value("#example") == "author-list.rq"  # the first example is shown
    page.select_option("#example", "people-by-works.rq")
    assert page.input_value("#query").startswith("# People ranked by their number of works")
    page.select_option("#example", "author-list.rq")
    assert "GROUP_CONCAT" in page.input_value("#query")
    assert "full author list of one work" in page.text_content("#example-comment")
    page.click("#run")
    page.wait_for_selector("#result-table tbody tr")
    headers = page.eval_on_selector_all("#result-table thead th", "ths => ths.map(t => t.textContent)")
    assert headers == ["work", "title", "authors"]
    rows = cells(page)
    assert len(rows) == 1
    assert rows[0][1] == MIXTURES
    assert rows[0][2] == "; ".join(MIXTURES_AUTHORS)
    assert page.text_content("#status").startswith("1 row in ")
    # the IRI is a link to the work's page on this server
    href = page.get_attribute("#result-table tbody tr td a", "href")
    assert href.startswith("/work/") and rows[0][0] == BASE + href[1:]
    # a download link per result format, each giving the same answer
    formats = page.eval_on_selector_all("#downloads a", "as => as.map(a => a.dataset.format)")
    assert formats == ["json", "xml", "csv", "tsv"]
    csv_href = page.get_attribute('#downloads a[data-format="csv"]', "href")
    r = requests.get(server.url + csv_href)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    assert "; ".join(MIXTURES_AUTHORS) in r.text
    assert page.get_attribute('#downloads a[data-format="json"]', "download") == "results.srj"
    shot(page, "query-page")


def test_query_page_ranks_people(page, server):
    page.goto(server.url + "/sparql")
    page.select_option("#example", "people-by-works.rq")
    page.click("#run")
    page.wait_for_selector("#result-table tbody tr")
    rows = cells(page)
    assert len(rows) == 60
    assert rows[0][1:] == ["Jesse Farebrother", "2"]
    assert rows[0][0] == BASE + "person/dd1e3958af388605"
    assert all(r[2] == "1" for r in rows[1:])
    assert page.text_content("#status").startswith("60 rows in ")


def test_broken_query_shows_the_error(page, server):
    page.goto(server.url + "/")
    page.fill("#query", "SELECT ?x WHERE { ?x ?y }")
    page.focus("#query")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#error", state="visible")
    message = page.text_content("#error")
    assert message.startswith("SPARQL syntax error at 1:26")
    assert page.text_content("#status").startswith("Error 400")
    assert page.query_selector("#result-table") is None
    assert page.is_hidden("#downloads")
    shot(page, "query-error")
    # fixing the query clears the error
    page.fill("#query", "ASK { ?s ?p ?o }")
    page.click("#run")
    page.wait_for_selector("#boolean-result")
    assert page.text_content("#boolean-result") == "true" and page.is_hidden("#error")


def test_construct_results_are_a_triple_table(page, server):
    page.goto(server.url + "/")
    page.fill("#query", 'PREFIX schema: <http://schema.org/>\n'
                        'CONSTRUCT { ?w schema:name ?t } WHERE { ?w a schema:ScholarlyArticle ; schema:name ?t }')
    page.click("#run")
    page.wait_for_selector("#result-table tbody tr")
    rows = cells(page)
    assert len(rows) == 11
    assert MIXTURES in {r[2] for r in rows} and len({r[0] for r in rows}) == 11
    assert {r[1] for r in rows} == {"schema:name"}
    formats = page.eval_on_selector_all("#downloads a", "as => as.map(a => a.dataset.format)")
    assert formats == ["turtle", "ntriples", "nquads", "trig", "rdfxml", "jsonld"]


def test_result_links_lead_to_the_work_page(page, server):
    page.goto(server.url + "/")
    page.select_option("#example", "author-list.rq")
    page.click("#run")
    page.wait_for_selector("#result-table tbody tr td a")
    page.click("#result-table tbody tr td a")
    page.wait_for_selector("h1#title")
    assert page.text_content("h1#title") == MIXTURES
    authors = page.eval_on_selector_all("#authors li a", "as => as.map(a => a.textContent)")
    assert authors == MIXTURES_AUTHORS
    links = page.eval_on_selector_all("#authors li a", "as => as.map(a => a.getAttribute('href'))")
    assert links[4] == "/person/dd1e3958af388605"
    data = json.loads(page.text_content('script[type="application/ld+json"]'))
    assert data["type"] == "ScholarlyArticle" and data["name"] == MIXTURES
    assert [a["name"] for a in data["author"]] == MIXTURES_AUTHORS
    shot(page, "work-page")
    page.click("#authors li >> nth=4 >> a")
    page.wait_for_selector("h1#name")
    assert page.text_content("h1#name") == "Jesse Farebrother"
    works = cells(page, "#works")
    assert sorted(w[0] for w in works) == [
        MIXTURES, "Stop Regressing: Training Value Functions via Classification for Scalable Deep RL"]
    assert sorted(w[1] for w in works) == ["1 of 11", "5 of 6"]
    assert len(cells(page, "#coauthors")) == 15
    shot(page, "person-page")


def test_truncated_abstract_is_marked(page, server):
    r = requests.get(server.sparql, params={"query": 'SELECT ?w WHERE { ?w <https://w3id.org/kg/vocab#abstractTruncated> true }'},
                     headers={"Accept": "application/sparql-results+json"})
    (row,) = r.json()["results"]["bindings"]
    page.goto(server.url + "/" + row["w"]["value"][len(BASE):])
    assert page.is_visible("#truncated")
    assert page.text_content("#truncated") == "truncated in the source"
    assert page.text_content("#abstract").endswith("[…]")


def test_works_index_filters_as_you_type(page, server):
    page.goto(server.url + "/works")
    assert len(cells(page, "#works")) == 11
    assert page.text_content("#summary").split() == ["11", "works", "60", "people", "61", "authorships", "2",
                                                     "named", "graphs", "785", "quads"]
    page.fill("#filter", "farebrother")
    visible = page.eval_on_selector_all("#works tbody tr:not([hidden])", "rs => rs.map(r => r.cells[0].textContent)")
    assert sorted(visible) == [MIXTURES,
                               "Stop Regressing: Training Value Functions via Classification for Scalable Deep RL"]
    shot(page, "works-index")
    page.press("#filter", "Enter")  # the whole dataset, on the server
    page.wait_for_url("**/works?q=farebrother")
    assert len(cells(page, "#works")) == 2
    assert page.text_content("#count").startswith("2 works matching")


def test_statistics_page_draws_its_pictures(page, server):
    page.goto(server.url + "/stats")
    page.wait_for_load_state("networkidle")
    for chart in ("years", "people", "network", "graphs"):
        width = page.eval_on_selector(f"#chart-{chart}", "img => img.complete ? img.naturalWidth : 0")
        assert width > 100, chart
    top = cells(page, "#top-people")
    assert top[0] == ["Jesse Farebrother", "2"] and len(top) == 10
    assert cells(page, "#graphs") == [["mila-publications", "770"], ["meta", "15"]]
    shot(page, "stats-page")


def test_people_and_graph_pages(page, server):
    page.goto(server.url + "/people")
    rows = cells(page, "#people")
    assert len(rows) == 60 and rows[0] == ["Jesse Farebrother", "2"]
    shot(page, "people-index")
    page.goto(server.url + "/graph/source/mila-publications")
    assert page.text_content("#triples") == "770"
    assert len(cells(page, "#records")) == 12  # 12 records, 11 works: one duplicate merged
    shot(page, "graph-page")
