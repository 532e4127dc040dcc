"""Readers of BibTeX, CSL-JSON, OpenAlex, Crossref and paperoni; identifiers,
dates, names, format detection. Exact values from ../shared/data."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from kg.dates import from_parts, parse_date
from kg.identifiers import InvalidId, normalize, normalize_arxiv, normalize_doi, normalize_orcid
from kg.record import SourceError
from kg.sources import detect_format, read_source
from kg.sources.bibtex import read_bibtex

DATA = Path(__file__).resolve().parents[2] / "shared/data"
needs_data = pytest.mark.skipif(not DATA.exists(), reason=f"shared data not found at {DATA}")

BIB = r"""
@inproceedings{names,
  author = {Hal Daum{\'e} III and van de Meent, Jan-Willem and Van den Broeck, Guy and De Haan, Kevin and
            {Google Brain} and M{\"u}ller, J{\"o}rg and Stra{\ss}e, A. and others},
  title = {{B}ayesian {Deep} Learning for {NLP}},
  booktitle = {Proc. ICML},
  year = 2019, month = jul,
  doi = {https://doi.org/10.1000/ABC},
  eprint = {1906.08104v2}, archivePrefix = {arXiv},
  url = {https://example.org/paper.pdf},
}
@article{bad,
  author = {X Y},
  title = {Unclosed
@misc{ok2, title={Fine}, author={A B}, year={2019}, month={00}, journal = {J. Things}}
@article{notitle, author = {A B}, year = 2020}
"""


@pytest.fixture()
def bib(tmp_path):
    path = tmp_path / "t.bib"
    path.write_text(BIB, encoding="utf-8")
    return read_bibtex(path), path


def test_bibtex_names_accents_particles_suffixes(bib):
    result, _ = bib
    rec = result.records[0]
    assert rec.title == "Bayesian Deep Learning for NLP"
    assert [(a.name, a.given, a.family, a.is_organization) for a in rec.authors] == [
        ("Hal Daumé III", "Hal", "Daumé", False),
        ("Jan-Willem van de Meent", "Jan-Willem", "van de Meent", False),
        ("Guy Van den Broeck", "Guy", "Van den Broeck", False),
        ("Kevin De Haan", "Kevin", "De Haan", False),
        ("Google Brain", None, None, True),
        ("Jörg Müller", "Jörg", "Müller", False),
        ("A. Straße", "A.", "Straße", False),
    ]
    assert rec.authors_truncated is True


def test_bibtex_fields(bib):
    rec = bib[0].records[0]
    assert rec.identifiers == {"doi": "10.1000/abc", "arxiv": "1906.08104", "arxiv_version": "v2"}
    assert (rec.date, rec.venue, rec.url, rec.work_type) == ("2019-07", "Proc. ICML", "https://example.org/paper.pdf",
                                                           "ScholarlyArticle")


def test_bibtex_bad_entries_reported_rest_loaded(bib):
    result, path = bib
    assert [r.title for r in result.records] == ["Bayesian Deep Learning for NLP", "Fine"]
    assert [(p.line, p.severity, p.message) for p in result.problems] == [
        (12, "skipped", "malformed BibTeX entry skipped: Unexpected block start: `@misc`. "
                        "Was still looking for field-value closing `}`"),
        (15, "warning", "entry 'ok2': impossible date '2019-00' reduced to 2019"),
        (16, "skipped", "entry 'notitle' skipped: no title"),
    ]
    assert all(p.source == str(path) for p in result.problems)
    assert result.records[1].date == "2019" and result.records[1].venue == "J. Things"


@needs_data
def test_cmlbib_all_entries():
    total, problems = 0, []
    for f in sorted((DATA / "bibtex/cmlbib").glob("*/*.bib")):
        r = read_bibtex(f)
        total += len(r.records)
        problems += r.problems
    # 15,671 "@" lines, one of which is an @comment wrapping an entry
    assert total == 15670
    assert sum(p.severity == "skipped" for p in problems) == 0
    assert sum("read as 'Sham'" in p.message for p in problems) == 2


@needs_data
def test_openalex_work():
    fmt, r = read_source(DATA / "external/openalex/W2741809807.json")
    rec = r.records[0]
    assert fmt == "openalex" and len(r.records) == 1
    assert rec.abstract.startswith("Despite growing interest in Open Access (OA) to scholarly literature")
    assert [a.name for a in rec.authors] == [
        "Heather Piwowar", "Jason Priem", "Vincent Larivière", "Juan Pablo Alperín", "Lisa Matthias",
        "Bree Norlander", "Ashley Farley", "Jevin D. West", "Stefanie Haustein"]
    assert rec.authors[1].identifiers == {"openalex": "A5023888391", "orcid": "0000-0001-6187-6610"}
    assert rec.identifiers == {"doi": "10.7717/peerj.4375", "openalex": "W2741809807"}
    assert (rec.date, rec.venue) == ("2018-02-13", "PeerJ")


@needs_data
def test_openalex_list_page_and_json_lines(tmp_path):
    work = json.loads((DATA / "external/openalex/W2741809807.json").read_text(encoding="utf-8"))
    page = tmp_path / "page.json"
    page.write_text(json.dumps({"meta": {"count": 2}, "results": [work, {**work, "id": "https://openalex.org/W12"}]}))
    assert [r.identifiers["openalex"] for r in read_source(page)[1].records] == ["W2741809807", "W12"]
    lines = tmp_path / "works.jsonl"
    lines.write_text(json.dumps(work) + "\n{broken\n" + json.dumps({**work, "title": "Other"}) + "\n")
    fmt, r = read_source(lines)
    assert fmt == "openalex" and [x.title[:5] for x in r.records] == ["The s", "Other"]
    assert [(p.line, p.severity) for p in r.problems] == [(2, "skipped")]


@needs_data
def test_openalex_non_work_records_are_refused():
    with pytest.raises(SourceError, match="an OpenAlex author record, not a work"):
        read_source(DATA / "external/openalex/A5023888391.json")


@needs_data
def test_crossref_single_names_and_suffix():
    fmt, r = read_source(DATA / "external/crossref/single-name-authors.json")
    assert fmt == "crossref"
    assert [(a.name, a.given, a.family) for a in r.records[0].authors] == [
        ("Sheherazade", None, "Sheherazade"), ("Ardiantiono", None, "Ardiantiono")]
    assert r.records[0].identifiers == {"doi": "10.1038/d41586-020-02761-z"} and r.records[0].date == "2020-09-29"
    _, r = read_source(DATA / "external/crossref/name-suffix.json")
    a = r.records[0].authors[0]
    assert (a.name, a.given, a.family) == ("Amos B. Smith III", "Amos B.", "Smith")


def test_crossref_jats_abstract_orcid_and_order(tmp_path):
    msg = {"message": {"DOI": "10.1/X", "title": ["A work"], "issued": {"date-parts": [[2019, 2, 30]]},
                       "abstract": "<jats:title>Abstract</jats:title><jats:p>Text with <jats:italic>style</jats:italic> &amp; more.</jats:p>",
                       "author": [{"given": "B", "family": "Second", "sequence": "additional",
                                   "ORCID": "http://orcid.org/0000-0003-2161-8567"},
                                  {"given": "A", "family": "First", "sequence": "first",
                                   "ORCID": "https://orcid.org/0000-0002-1694-233X"},
                                  {"name": "The ATLAS Collaboration", "sequence": "additional"}]}}
    path = tmp_path / "cr.json"
    path.write_text(json.dumps(msg))
    fmt, r = read_source(path)
    rec = r.records[0]
    assert rec.abstract == "Text with style & more."
    assert [a.name for a in rec.authors] == ["A First", "B Second", "The ATLAS Collaboration"]
    assert rec.authors[0].identifiers == {"orcid": "0000-0002-1694-233X"}
    assert rec.authors[1].identifiers == {} and rec.authors[2].is_organization
    assert rec.date == "2019-02" and rec.identifiers == {"doi": "10.1/x"}
    assert [p.message for p in r.problems] == [
        "record 1: impossible date '2019-2-30' reduced to 2019-02",
        "record 1, author 'B Second': not a valid ORCID iD (form or check digit): "
        "'http://orcid.org/0000-0003-2161-8567'; not linked"]


def test_csl_json(tmp_path):
    items = [{"id": "a", "type": "article-journal", "title": "A CSL item", "DOI": "10.5555/ABC",
              "author": [{"family": "Meent", "given": "Jan-Willem", "non-dropping-particle": "van de"},
                         {"literal": "Google Brain"}, {"family": "Smith", "given": "John", "suffix": "Jr."}],
              "issued": {"date-parts": [[2021, 5]]}, "container-title": "Journal of Things"},
             {"id": "b", "type": "book"}]
    path = tmp_path / "items.json"
    path.write_text(json.dumps(items))
    fmt, r = read_source(path)
    assert fmt == "csl"
    rec = r.records[0]
    assert [(a.name, a.family, a.is_organization) for a in rec.authors] == [
        ("Jan-Willem van de Meent", "van de Meent", False), ("Google Brain", None, True),
        ("John Smith Jr.", "Smith", False)]
    assert (rec.date, rec.venue, rec.identifiers, rec.work_type) == ("2021-05", "Journal of Things",
                                                                     {"doi": "10.5555/abc"}, "ScholarlyArticle")
    assert [(p.message, p.severity) for p in r.problems] == [("item 2 skipped: no title", "skipped")]


@needs_data
def test_paperoni():
    fmt, r = read_source(DATA / "paperoni/mila-selected-papers.json")
    assert fmt == "paperoni" and len(r.records) == 124 and r.problems == []
    rec = r.records[0]
    assert rec.identifiers == {"doi": "10.18653/v1/p19-1331", "arxiv": "1906.08104", "dblp": "conf/acl/DongLRC19",
                               "semantic_scholar": "340b59e6ee93d30c055b5e89a7cfbc88874c9958"}
    assert rec.authors[0].identifiers["orcid"] == "0000-0003-2161-8566" and rec.authors[0].affiliations == ["MILA"]
    assert (rec.date, rec.venue) == ("2019-07", "Proceedings of the 57th Annual Meeting of the Association for "
                                                "Computational Linguistics")
    kinds = {k for rec in r.records for k in rec.identifiers}
    assert kinds == {"doi", "arxiv", "dblp", "semantic_scholar", "openreview"}
    assert [sum(k in rec.identifiers for rec in r.records) for k in ("doi", "arxiv", "dblp")] == [88, 81, 103]


@pytest.mark.parametrize("value,expected", [
    ("https://doi.org/10.1038/NATURE12373", "10.1038/nature12373"),
    ("doi:10.48550/arXiv:1906.08104", "10.48550/arxiv.1906.08104"),
    ("https://dx.doi.org/10.1000/ABC", "10.1000/abc"),
])
def test_doi(value, expected):
    assert normalize_doi(value) == expected


@pytest.mark.parametrize("value,expected", [
    ("arXiv:1906.08104v2", ("1906.08104", "v2")), ("https://arxiv.org/abs/1906.08104v3", ("1906.08104", "v3")),
    ("hep-th/9901001v1", ("hep-th/9901001", "v1")), ("10.48550/arXiv.1906.08104", ("1906.08104", None)),
])
def test_arxiv(value, expected):
    assert normalize_arxiv(value) == expected


def test_orcid_checksum_and_patterns():
    assert normalize_orcid("https://orcid.org/0000-0002-1694-233x") == "0000-0002-1694-233X"
    with pytest.raises(InvalidId, match="check digit"):
        normalize_orcid("0000-0003-2161-8567")
    assert normalize("openalex", "https://openalex.org/W2741809807") == "W2741809807"
    assert normalize("wikidata", "http://www.wikidata.org/entity/Q42") == "Q42"
    assert normalize("dblp", "https://dblp.uni-trier.de/rec/conf/acl/DongLRC19") == "conf/acl/DongLRC19"
    for scheme, bad in [("openalex", "X123"), ("wikidata", "Q0"), ("dblp", "not a key"), ("doi", "11.1/x")]:
        with pytest.raises(InvalidId):
            normalize(scheme, bad)


@pytest.mark.parametrize("text,expected", [
    ("2019", ("2019", None)), ("2019-07", ("2019-07", None)), ("2019-07-15T00:00:00Z", ("2019-07-15", None)),
    ("2019-00-00", ("2019", "impossible date '2019-00-00' reduced to 2019")),
    ("2019-02-30", ("2019-02", "impossible date '2019-02-30' reduced to 2019-02")),
    ("sometime", (None, "unusable date 'sometime'")),
])
def test_dates(text, expected):
    assert parse_date(text) == expected


def test_month_names():
    assert from_parts(2019, "jul") == ("2019-07", None)
    assert from_parts("2020", "September", 3) == ("2020-09-03", None)


def test_format_detection(tmp_path):
    cases = {"a.bib": "@article{x, title={T}}", "b.txt": "Publications\n", "c.json": '[{"title": "T"}]',
             "d.json": '{"message": {"DOI": "10.1/x", "title": ["T"]}}',
             "e.json": '{"id": "https://openalex.org/W1", "title": "T"}', "f.data": "@misc{x, title={T}}",
             "g.json": '[{"paper_id": "x", "title": "T", "authors": [], "links": [], "releases": []}]'}
    got = {}
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
        got[name] = detect_format(tmp_path / name)
    assert got == {"a.bib": "bibtex", "b.txt": "listing", "c.json": "csl", "d.json": "crossref",
                   "e.json": "openalex", "f.data": "bibtex", "g.json": "paperoni"}


def test_json_syntax_error_names_line(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('[\n {"title": "A"},\n {"title": }\n]')
    with pytest.raises(SourceError) as err:
        read_source(path)
    assert str(err.value) == f"{path}:3: not valid JSON: Expecting value (column 12)"


HERE = Path(__file__).resolve().parent


def test_wikidata_entities():
    fmt, r = read_source(HERE / "data/wikidata-entities.json")
    assert fmt == "wikidata" and len(r.records) == 1 and r.problems == []
    rec = r.records[0]
    assert rec.identifiers == {"wikidata": "Q90000001", "arxiv": "2402.08609"} and rec.date == "2024-02-13"
    # P2093 strings and the P50 item (named by its P1932 qualifier) in P1545 order
    assert [a.name for a in rec.authors] == ["Johan Samir Obando Ceron", "Ghada Sokar", "Timon Willi", "Clare Lyle",
                                             "Jesse Farebrother", "Jakob Nicolaus Foerster"]
    assert rec.authors[4].identifiers == {"wikidata": "Q90000002", "orcid": "0000-0003-0000-0011"}


def test_dblp_xml_with_entities():
    fmt, r = read_source(HERE / "data/dblp-records.xml")
    assert fmt == "dblp" and r.problems == []
    moe, editnts, muller = r.records
    assert moe.title == "Mixtures of Experts Unlock Parameter Scaling for Deep RL"
    assert moe.identifiers == {"dblp": "conf/icml/Obando-CeronSWLF24"} and (moe.date, moe.venue) == ("2024", "ICML")
    assert moe.authors[3].identifiers == {"orcid": "0000-0002-1694-233X", "dblp_pid": "179/2524"}
    assert editnts.authors[0].name == "Yue Dong"  # homonym number dropped
    assert editnts.identifiers == {"dblp": "journals/corr/abs-1906-08104", "arxiv": "1906.08104",
                                   "doi": "10.48550/arxiv.1906.08104"}
    assert (muller.title, muller.authors[0].name) == ("On Straßen & Wege", "Jörg Müller")


def test_dblp_malformed_xml(tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_text("<dblp>\n<article key='a'><title>T</title>\n</dblp>")
    with pytest.raises(SourceError, match=r"bad.xml:3: not well-formed XML"):
        read_source(bad)
