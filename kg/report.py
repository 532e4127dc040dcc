"""The data-quality report: what the build did and what the graph lacks.

Sources of the report:

* the meta graph (PROV-O / VoID description of each source graph: file,
  SHA-256, build time, records, works, people, triples);
* the build reports ``kg build`` keeps in ``<store>/kg-reports/NAME.json``
  (duplicates merged and why, works and people new or merged across sources,
  warnings, records skipped);
* the data (union of all graphs): truncated abstracts
  (``kgv:abstractTruncated true``), people (``schema:Person``) without any
  ``schema:sameAs``, works without ``bibo:doi``.

The report is Markdown (CommonMark with GitHub-style tables); the HTML version
is rendered from the same text with markdown-it-py, raw HTML disabled, so
data can never inject markup.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from kg.build import load_reports
from kg.mapping import WORK_TYPES

#: Rows listed per section at most (the heading always gives the full count).
DEFAULT_LIMIT = 500

_PREFIXES = """PREFIX schema: <http://schema.org/>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX bibo: <http://purl.org/ontology/bibo/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX void: <http://rdfs.org/ns/void#>
PREFIX kgv: <https://w3id.org/kg/vocab#>
"""
_WORK_TYPES = " ".join(f"schema:{t}" for t in sorted(WORK_TYPES))

# Words of the listing reader's doubts about a line's role (kg.sources.listing).
_CONFUSION = re.compile(r"\bread as an? (title|author)\b")


@dataclass
class SourceRow:
    """One source graph: from the meta graph and, when kept, its build report."""

    graph: str
    name: str
    files: list[tuple[str, str]] = field(default_factory=list)  # (file name, SHA-256)
    built: str = ""
    records: int | None = None
    works: int | None = None
    people: int | None = None
    triples: int | None = None
    build: dict | None = None  # the saved build report (kg.build.SourceReport as JSON)


@dataclass
class Item:
    """A row of a listing section: a resource with its label and details."""

    iri: str
    label: str
    sources: list[str] = field(default_factory=list)
    detail: str = ""
    count: int = 0


@dataclass
class ReportData:
    """Everything the report shows, collected by :func:`collect`."""

    store: str
    generated: str
    triples: int
    works: int
    people: int
    sources: list[SourceRow]
    merges: list[tuple[str, dict]]  # (source name, merge from the build report)
    skipped: list[tuple[str, dict]]  # (source name, problem)
    confusions: list[tuple[str, dict]]
    warnings: list[tuple[str, dict]]  # other warnings
    truncated: list[Item]
    people_without_ids: list[Item]
    works_without_doi: list[Item]


def _rows(store: ox.Store, query: str) -> list:
    return list(store.query(_PREFIXES + query, use_default_graph_as_union=True))


def _str(term) -> str:
    return term.value if term is not None else ""


def _int(term) -> int | None:
    return int(term.value) if term is not None else None


def _count(store: ox.Store, pattern: str) -> int:
    rows = _rows(store, f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ {pattern} }}")
    return int(rows[0]["n"].value)


def _distinct_triples(store: ox.Store) -> int:
    rows = _rows(store, "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }")
    return int(rows[0]["n"].value)


def _sources(store: ox.Store, reports: list[dict]) -> list[SourceRow]:
    rows: dict[str, SourceRow] = {}
    for r in _rows(store, """
        SELECT ?g ?name ?records ?works ?people ?triples ?when WHERE {
            ?g kgv:records ?records ; kgv:works ?works ; kgv:people ?people ; void:triples ?triples .
            OPTIONAL { ?g dcterms:title ?name }
            OPTIONAL { ?g prov:generatedAtTime ?when }
        }"""):
        g = r["g"].value
        rows[g] = SourceRow(graph=g, name=r["name"].value if r["name"] else g.rsplit("/", 1)[-1],
                            built=r["when"].value if r["when"] else "", records=_int(r["records"]),
                            works=_int(r["works"]), people=_int(r["people"]), triples=_int(r["triples"]))
    for r in _rows(store, """
        SELECT ?g ?file ?fname ?sha WHERE {
            ?g kgv:records ?records ; prov:wasDerivedFrom ?file .
            OPTIONAL { ?file schema:name ?fname } OPTIONAL { ?file schema:sha256 ?sha }
        } ORDER BY ?g ?file"""):
        rows[r["g"].value].files.append((r["fname"].value if r["fname"] else r["file"].value,
                                         r["sha"].value if r["sha"] else ""))
    for rep in reports:
        g = rep.get("graph", "")
        if g not in rows:  # a report whose graph is gone from the meta graph: still show what it says
            rows[g] = SourceRow(graph=g, name=rep.get("name", g))
        rows[g].build = rep
    return sorted(rows.values(), key=lambda s: s.name)


def _graph_names(sources: list[SourceRow]) -> dict[str, str]:
    return {s.graph: s.name for s in sources}


def _names(graphs: str, names: dict[str, str]) -> list[str]:
    return sorted({names.get(g, g) for g in graphs.split(" ") if g})


def _truncated(store: ox.Store, names: dict[str, str]) -> list[Item]:
    items = []
    for r in _rows(store, """
        SELECT ?w (MIN(?t) AS ?title) (MIN(?a) AS ?abstract) (GROUP_CONCAT(DISTINCT STR(?g); separator=" ") AS ?graphs)
        WHERE {
            GRAPH ?g { ?w kgv:abstractTruncated true }
            OPTIONAL { ?w schema:name ?t } OPTIONAL { ?w schema:abstract ?a }
        } GROUP BY ?w"""):
        items.append(Item(r["w"].value, _str(r["title"]), _names(_str(r["graphs"]), names),
                          detail=_str(r["abstract"])))
    return sorted(items, key=lambda i: (i.label.casefold(), i.iri))


def _people_without_ids(store: ox.Store, names: dict[str, str]) -> list[Item]:
    items = []
    for r in _rows(store, """
        SELECT ?p (MIN(?n) AS ?name) (COUNT(DISTINCT ?w) AS ?works) (GROUP_CONCAT(DISTINCT STR(?g); separator=" ") AS ?graphs)
        WHERE {
            GRAPH ?g { ?p a schema:Person }
            FILTER NOT EXISTS { ?p schema:sameAs ?id }
            OPTIONAL { ?p schema:name ?n }
            OPTIONAL { ?w schema:author ?p }
        } GROUP BY ?p"""):
        items.append(Item(r["p"].value, _str(r["name"]), _names(_str(r["graphs"]), names),
                          count=int(r["works"].value)))
    return sorted(items, key=lambda i: (i.label.casefold(), i.iri))


def _works_without_doi(store: ox.Store, names: dict[str, str]) -> list[Item]:
    items = []
    for r in _rows(store, f"""
        SELECT ?w (MIN(?t) AS ?title) (GROUP_CONCAT(DISTINCT STR(?g); separator=" ") AS ?graphs)
               (GROUP_CONCAT(DISTINCT ?scheme; separator=", ") AS ?ids)
        WHERE {{
            VALUES ?type {{ {_WORK_TYPES} }}
            GRAPH ?g {{ ?w a ?type }}
            FILTER NOT EXISTS {{ ?w bibo:doi ?doi }}
            OPTIONAL {{ ?w schema:name ?t }}
            OPTIONAL {{ ?w schema:identifier/schema:propertyID ?scheme }}
        }} GROUP BY ?w"""):
        ids = ", ".join(sorted(x for x in _str(r["ids"]).split(", ") if x))
        items.append(Item(r["w"].value, _str(r["title"]), _names(_str(r["graphs"]), names),
                          detail=ids))
    return sorted(items, key=lambda i: (i.label.casefold(), i.iri))


def collect(store: ox.Store, store_path: str | Path) -> ReportData:
    """Gather the report's content from an open store and its build reports.

    :param store: the store (read-only is enough).
    :param store_path: its directory (where ``kg-reports/`` is).
    :returns: a :class:`ReportData`.
    """
    sources = _sources(store, load_reports(store_path))
    names = _graph_names(sources)
    merges, skipped, confusions, warnings = [], [], [], []
    for s in sources:
        rep = s.build or {}
        merges += [(s.name, m) for m in rep.get("merges", [])]
        for p in rep.get("problems", []):
            if p.get("severity") == "skipped":
                skipped.append((s.name, p))
            elif _CONFUSION.search(p.get("message", "")):
                confusions.append((s.name, p))
            else:
                warnings.append((s.name, p))
    return ReportData(
        store=str(store_path),
        generated=datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        triples=_distinct_triples(store),
        works=_count(store, f"VALUES ?type {{ {_WORK_TYPES} }} ?x a ?type"),
        people=_count(store, "?x a schema:Person"),
        sources=sources, merges=merges, skipped=skipped, confusions=confusions, warnings=warnings,
        truncated=_truncated(store, names), people_without_ids=_people_without_ids(store, names),
        works_without_doi=_works_without_doi(store, names))


# --- Markdown ----------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|&])")


def md_text(text: str) -> str:
    """``text`` safe inside a Markdown table cell: one line, with the
    characters that would make emphasis, code, links, HTML, entities or cell
    breaks backslash-escaped (CommonMark §2.4)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def md_code(text: str) -> str:
    """``text`` as a Markdown code span that also survives a table cell."""
    text = " ".join(str(text).split()).replace("|", "\\|")
    fence = "``" if "`" in text else "`"
    return f"{fence}{text}{fence}" if fence == "`" else f"`` {text} ``"


def _where(p: dict) -> str:
    return f"{p.get('source', '')}:{p['line']}" if p.get("line") else str(p.get("source", ""))


def _num(v: int | None) -> str:
    return "—" if v is None else str(v)


def _table(header: list[str], rows: list[list[str]], right: set[int] = frozenset()) -> list[str]:
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("--:" if i in right else "---" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return lines + [""]


def _limited(rows: list, limit: int) -> tuple[list, str]:
    if len(rows) <= limit:
        return rows, ""
    return rows[:limit], f"… and {len(rows) - limit} more (raise `--limit` to list them all).\n"


def _ending(abstract: str, width: int = 60) -> str:
    text = " ".join(abstract.split())
    return text if len(text) <= width else "…" + text[-width:].lstrip()


def render_markdown(data: ReportData, limit: int = DEFAULT_LIMIT) -> str:
    """The report as Markdown (CommonMark + GitHub tables).

    :param data: what :func:`collect` gathered.
    :param limit: rows listed per section at most; headings give full counts.
    """
    n = len(data.sources)
    summary = (f"Store {md_code(data.store)}, report made {data.generated}: {n} source graph{'s' if n != 1 else ''}; "
               f"{data.triples} triples (union of all graphs), {data.works} works, {data.people} people.")
    out = ["# kg data-quality report", "", summary, ""]

    out += ["## Sources", ""]
    if not data.sources:
        out += ["No source graph: build one with `kg build`.", ""]
    else:
        out += _table(["source", "file", "SHA-256", "built", "triples"],
                      [[md_text(s.name), ", ".join(md_code(f) for f, _ in s.files) or "—",
                        ", ".join(md_code(h) for _, h in s.files) or "—", md_text(s.built) or "—",
                        _num(s.triples)] for s in data.sources], right={4})
        legend = ("Records read; works and people in the graph; duplicate records merged into one work; works and "
                  "people new to the store or merged with another source's; reader warnings; records skipped.")
        out += ["## Counts per source", "", legend, ""]
        rows = []
        for s in data.sources:
            b = s.build
            rows.append([md_text(s.name), _num(s.records), _num(s.works), _num(s.people),
                         _num(b.get("duplicates")) if b else "—",
                         f"{b.get('works_new', 0)} / {b.get('works_merged', 0)}" if b else "—",
                         f"{b.get('people_new', 0)} / {b.get('people_merged', 0)}" if b else "—",
                         str(sum(p.get("severity") != "skipped" for p in b["problems"])) if b else "—",
                         str(sum(p.get("severity") == "skipped" for p in b["problems"])) if b else "—"])
        out += _table(["source", "records", "works", "people", "duplicates merged", "works new / merged",
                       "people new / merged", "warnings", "skipped"], rows, right=set(range(1, 9)))
        if any(s.build is None for s in data.sources):
            out += ["— : no build report kept for this source (built by an older kg).", ""]

    def section(title: str, total: int, empty: str, header: list[str], rows: list[list[str]],
                right: set[int] = frozenset(), of: int | None = None, note: str = "") -> None:
        count = f"{total} of {of}" if of is not None else str(total)
        out.extend([f"## {title} ({count})", ""])
        if note:
            out.extend([note, ""])
        if not rows:
            out.extend([empty, ""])
            return
        shown, more = _limited(rows, limit)
        out.extend(_table(header, shown, right))
        if more:
            out.extend([more])

    section("Duplicates merged", len(data.merges), "No duplicate records.",
            ["source", "work", "records", "why"],
            [[md_text(src), md_text(m.get("title", "")), md_text(", ".join(m.get("records", []))),
              md_text("; ".join(m.get("why", [])))] for src, m in data.merges],
            note="Records that are one work: within a source (merged into one record) or across sources "
                 "(the work keeps the other source's IRI).")
    section("Records skipped", len(data.skipped), "No record was skipped.",
            ["source", "where", "reason"],
            [[md_text(src), md_code(_where(p)), md_text(p.get("message", ""))] for src, p in data.skipped])
    section("Suspected title/author confusions", len(data.confusions), "No doubtful line.",
            ["source", "where", "doubt"],
            [[md_text(src), md_code(_where(p)), md_text(p.get("message", ""))] for src, p in data.confusions],
            note="Lines the listing reader classified against their shape: check them in the file.")
    section("Other warnings", len(data.warnings), "No other warning.",
            ["source", "where", "warning"],
            [[md_text(src), md_code(_where(p)), md_text(p.get("message", ""))] for src, p in data.warnings])
    section("Truncated abstracts", len(data.truncated), "No truncated abstract.",
            ["work", "IRI", "source", "abstract ends with"],
            [[md_text(i.label), md_code(i.iri), md_text(", ".join(i.sources)), md_text(_ending(i.detail))]
             for i in data.truncated],
            note="Abstracts without closing punctuation (`kgv:abstractTruncated true`): kept as found.")
    section("People without identifiers", len(data.people_without_ids), "Every person has an identifier.",
            ["person", "IRI", "works", "source"],
            [[md_text(i.label), md_code(i.iri), str(i.count), md_text(", ".join(i.sources))]
             for i in data.people_without_ids], right={2}, of=data.people,
            note="People (`schema:Person`) with no `schema:sameAs` (ORCID, OpenAlex, Wikidata, ...): "
                 "they are told apart by name only.")
    section("Works without DOI", len(data.works_without_doi), "Every work has a DOI.",
            ["work", "IRI", "other identifiers", "source"],
            [[md_text(i.label), md_code(i.iri), md_text(i.detail) or "—", md_text(", ".join(i.sources))]
             for i in data.works_without_doi], of=data.works,
            note="Works with no `bibo:doi`.")
    return "\n".join(out).rstrip("\n") + "\n"


# --- HTML --------------------------------------------------------------------

_CSS = """body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:0 0 1.5rem}th,td{border:1px solid #ccc;padding:.25rem .5rem;vertical-align:top;text-align:left}
th{background:#f3f3f3}code{font-size:.85em;word-break:break-all}h2{margin-top:2rem}"""


def render_html(markdown_text: str, title: str = "kg data-quality report") -> str:
    """A standalone HTML page rendered from the report's Markdown
    (markdown-it-py, CommonMark with tables; raw HTML in the text is
    escaped, never passed through)."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    body = md.render(markdown_text)
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{html.escape(title)}</title>\n<style>\n{_CSS}\n</style>\n</head>\n<body>\n{body}</body>\n</html>\n")


def build_report(store: ox.Store, store_path: str | Path, limit: int = DEFAULT_LIMIT) -> tuple[str, str]:
    """The report as (Markdown, HTML).

    :param store: the open store (read-only is enough).
    :param store_path: its directory (for the build reports).
    :param limit: rows listed per section at most.
    """
    text = render_markdown(collect(store, store_path), limit)
    return text, render_html(text)


__all__ = ["DEFAULT_LIMIT", "Item", "ReportData", "SourceRow", "build_report", "collect", "md_code", "md_text",
           "render_html", "render_markdown"]
