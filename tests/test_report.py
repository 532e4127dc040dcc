"""The data-quality report (kg.report, `kg report`): exact content from the
seed store and from a small listing with a skipped record, a doubtful line,
a truncated abstract and markup in a title."""
from __future__ import annotations

import hashlib
import re
import shutil

import pyoxigraph as ox
import pytest

from conftest import BASE, SEED_GRAPH, run_kg
from kg.build import build_source
from kg.report import collect, md_code, md_text, render_html, render_markdown

SMALL = """Publications

Graphs <b>and</b> Pipes | A *Study* of R&D
Ada Lovelace
Alan Turing
We study graph neural networks for molecular property prediction and show that careful pooling of node features improves accuracy on standard benchmarks by a wide margin over strong baselines.
An Orphan Title Without Any Author
Deep Learning for Protein Folding
Grace Hopper
Robust Marie Curie
This paper studies protein folding with deep networks and reports strong results on several public benchmarks that are widely used in the field today. Code and trained models are released for all
"""


def section(text: str, title: str) -> str:
    """The body of the Markdown section whose heading starts with ``## title``."""
    m = re.search(rf"^## {re.escape(title)}.*?(?=^## |\Z)", text, flags=re.MULTILINE | re.DOTALL)
    assert m, f"no section {title!r}"
    return m.group(0)


@pytest.fixture(scope="module")
def seed_report(seed_store) -> str:
    return render_markdown(collect(ox.Store.read_only(str(seed_store)), seed_store))


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    folder = tmp_path_factory.mktemp("small")
    listing = folder / "small.txt"
    listing.write_text(SMALL, encoding="utf-8")
    store = folder / "store"
    build_source(listing, store, base_iri=BASE)
    return listing, store


def test_seed_header(seed_report, seed_store):
    assert seed_report.startswith("# kg data-quality report\n\n")
    assert re.search(rf"^Store `{re.escape(str(seed_store))}`, report made \d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\dZ: "
                     r"1 source graph; 785 triples \(union of all graphs\), 11 works, 60 people\.$", seed_report, re.MULTILINE)


def test_seed_per_source_counts(seed_report, seed_store, seed_path):
    st = ox.Store.read_only(str(seed_store))
    [when] = [r[0].value for r in st.query(f"SELECT ?t WHERE {{ <{SEED_GRAPH}> <http://www.w3.org/ns/prov#generatedAtTime> ?t }}",
                                           use_default_graph_as_union=True)]
    sha = hashlib.sha256(seed_path.read_bytes()).hexdigest()
    assert section(seed_report, "Sources") == (
        "## Sources\n\n"
        "| source | file | SHA-256 | built | triples |\n"
        "|---|---|---|---|--:|\n"
        f"| mila-publications | `mila-publications.txt` | `{sha}` | {when} | 770 |\n\n")
    assert "| source | records | works | people | duplicates merged | works new / merged | people new / merged " \
           "| warnings | skipped |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|\n" \
           "| mila-publications | 12 | 11 | 60 | 1 | 11 / 0 | 60 / 0 | 1 | 0 |\n" in section(seed_report, "Counts per source")


def test_seed_duplicates_merged(seed_report):
    assert section(seed_report, "Duplicates merged") == (
        "## Duplicates merged (1)\n\n"
        "Records that are one work: within a source (merged into one record) or across sources "
        "(the work keeps the other source's IRI).\n\n"
        "| source | work | records | why |\n"
        "|---|---|---|---|\n"
        "| mila-publications | Nash Learning from Human Feedback | line 11, line 30 | "
        "same title and first author (typography, case and punctuation ignored) |\n\n")


def test_seed_problems(seed_report, seed_path):
    assert section(seed_report, "Records skipped") == "## Records skipped (0)\n\nNo record was skipped.\n\n"
    assert section(seed_report, "Suspected title/author confusions").endswith("\n\nNo doubtful line.\n\n")
    assert section(seed_report, "Other warnings") == (
        "## Other warnings (1)\n\n| source | where | warning |\n|---|---|---|\n"
        f"| mila-publications | `{seed_path}:80` | abstract looks truncated (no closing punctuation); kept and flagged |\n\n")


def test_seed_truncated_abstract(seed_report):
    body = section(seed_report, "Truncated abstracts")
    assert body.startswith("## Truncated abstracts (1)\n")
    assert body.endswith(
        "| work | IRI | source | abstract ends with |\n|---|---|---|---|\n"
        f"| Stochastic positional embeddings improve masked image modeling | `{BASE}work/2f516bc51af09d2c` "
        "| mila-publications | …MIM performance on a variety of downstream tasks, including |\n\n")


def test_seed_people_without_identifiers(seed_report):
    body = section(seed_report, "People without identifiers")
    assert body.startswith("## People without identifiers (60 of 60)\n")
    rows = [ln for ln in body.splitlines() if ln.startswith("| ") and not ln.startswith("| person")]
    assert len(rows) == 60
    assert rows[0] == f"| Adrien Ali Taiga | `{BASE}person/c50921d75f26452f` | 1 | mila-publications |"
    assert f"| Jesse Farebrother | `{BASE}person/dd1e3958af388605` | 2 | mila-publications |" in rows
    assert rows[-1] == f"| Zhaohan Daniel Guo | `{BASE}person/ddf529ee9caa7b6a` | 1 | mila-publications |"


def test_seed_works_without_doi(seed_report):
    body = section(seed_report, "Works without DOI")
    assert body.startswith("## Works without DOI (11 of 11)\n\nWorks with no `bibo:doi`.\n\n"
                           "| work | IRI | other identifiers | source |\n|---|---|---|---|\n")
    rows = [ln for ln in body.splitlines() if ln.startswith("| ") and not ln.startswith("| work")]
    assert len(rows) == 11
    assert rows[0] == (f"| A self-attention-based CNN-Bi-LSTM model for accurate state-of-charge estimation of "
                       f"lithium-ion batteries | `{BASE}work/5b70675e4f01b02a` | — | mila-publications |")
    assert f"| Nash Learning from Human Feedback | `{BASE}work/1c5080038dfb4ea3` | — | mila-publications |" in rows


def test_limit(seed_store):
    text = render_markdown(collect(ox.Store.read_only(str(seed_store)), seed_store), limit=5)
    body = section(text, "People without identifiers")
    assert len([ln for ln in body.splitlines() if ln.startswith("| ")]) == 1 + 5  # header + rows
    assert body.endswith("\n\n… and 55 more (raise `--limit` to list them all).\n\n")


def test_small_listing(small):
    listing, store = small
    text = render_markdown(collect(ox.Store.read_only(str(store)), store))
    assert "| small | 2 | 2 | 4 | 0 | 2 / 0 | 4 / 0 | 2 | 1 |\n" in section(text, "Counts per source")
    assert section(text, "Records skipped") == (
        "## Records skipped (1)\n\n| source | where | reason |\n|---|---|---|\n"
        f"| small | `{listing}:7` | record skipped: title 'An Orphan Title Without Any Author' has no author |\n\n")
    assert section(text, "Suspected title/author confusions").endswith(
        "| source | where | doubt |\n|---|---|---|\n"
        f"| small | `{listing}:10` | read as an author, though it has title words (Robust): 'Robust Marie Curie' |\n\n")
    assert section(text, "Other warnings").endswith(
        f"| small | `{listing}:11` | abstract looks truncated (no closing punctuation); kept and flagged |\n\n")
    assert "| Deep Learning for Protein Folding | `" in section(text, "Truncated abstracts")
    assert "| …he field today. Code and trained models are released for all |\n" in section(text, "Truncated abstracts")
    works = section(text, "Works without DOI")
    assert works.startswith("## Works without DOI (2 of 2)\n")
    # markup in data is escaped: no emphasis, no HTML, no table cell break
    assert r"| Deep Learning for Protein Folding | `" in works
    assert r"| Graphs \<b\>and\</b\> Pipes \| A \*Study\* of R\&D | `" in works
    page = render_html(text)
    assert "<td>Graphs &lt;b&gt;and&lt;/b&gt; Pipes | A *Study* of R&amp;D</td>" in page
    assert "<b>" not in page
    assert section(text, "People without identifiers").startswith("## People without identifiers (4 of 4)\n")


def test_no_build_reports(seed_store, tmp_path):
    copy = tmp_path / "store"
    shutil.copytree(seed_store, copy)
    shutil.rmtree(copy / "kg-reports")
    text = render_markdown(collect(ox.Store.read_only(str(copy)), copy))
    assert "| mila-publications | 12 | 11 | 60 | — | — | — | — | — |\n\n" \
           "— : no build report kept for this source (built by an older kg).\n" in text
    assert section(text, "Duplicates merged").startswith("## Duplicates merged (0)\n")
    assert section(text, "Truncated abstracts").startswith("## Truncated abstracts (1)\n")


def test_markdown_escaping():
    assert md_text("a|b *c* _d_ <x> [l](u) R&D \\ `t`\nnext") == \
        r"a\|b \*c\* \_d\_ \<x\> \[l\](u) R\&D \\ \`t\` next"
    assert md_code("file|name.txt") == r"`file\|name.txt`"
    assert md_code("a`b") == "`` a`b ``"


# --- the `kg report` command ---------------------------------------------------

def test_cli_report_files(seed_store, tmp_path):
    md, page = tmp_path / "report.md", tmp_path / "report.html"
    r = run_kg("report", "--store", str(seed_store), "--out", str(md), "--html", str(page))
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    assert r.stderr == (f"wrote {md} ({md.stat().st_size} bytes)\n"
                        f"wrote {page} ({page.stat().st_size} bytes)\n")
    text = md.read_text(encoding="utf-8")
    assert section(text, "Duplicates merged").endswith(
        "| mila-publications | Nash Learning from Human Feedback | line 11, line 30 | "
        "same title and first author (typography, case and punctuation ignored) |\n\n")
    assert "## People without identifiers (60 of 60)\n" in text
    assert "## Works without DOI (11 of 11)\n" in text
    html = page.read_text(encoding="utf-8")
    assert html.startswith('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
                           "<title>kg data-quality report</title>")
    assert "<h2>Duplicates merged (1)</h2>" in html
    assert "<td>Nash Learning from Human Feedback</td>\n<td>line 11, line 30</td>" in html
    assert "<h2>People without identifiers (60 of 60)</h2>" in html
    assert ('<td>mila-publications</td>\n<td style="text-align:right">12</td>\n<td style="text-align:right">11</td>\n'
            '<td style="text-align:right">60</td>') in html


def test_cli_report_stdout(small):
    listing, store = small
    r = run_kg("report", "--store", str(store))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("# kg data-quality report\n")
    assert f"| small | `{listing}:7` | record skipped: title 'An Orphan Title Without Any Author' has no author |" \
        in r.stdout
    assert r.stderr == ""


def test_cli_report_no_store(tmp_path):
    r = run_kg("report", "--store", str(tmp_path / "none"))
    assert r.returncode == 1
    assert r.stderr.startswith(f"kg: error: {tmp_path / 'none'}: no store here")


def test_cli_help():
    r = run_kg("report", "--help")
    assert r.returncode == 0
    assert "Examples:\n    kg report --out report.md --html report.html\n" in r.stdout
