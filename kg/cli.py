"""The ``kg`` command: build, query, export and serve the knowledge graph."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from kg import __version__
from kg.namespaces import DEFAULT_BASE_IRI
from kg.record import SourceError
from kg.store import StoreError, default_store_path

STORE_HELP = "Store directory (default: $KG_STORE, else ./kg-store)."


def _store_option(f):
    return click.option("--store", "store", type=click.Path(path_type=Path), default=None,
                        help=STORE_HELP)(f)


def _store(path: Path | None) -> Path:
    return path or default_store_path()


def _fail(message: str, code: int = 1) -> None:
    click.echo(f"kg: error: {message}", err=True)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kg")
def main() -> None:
    """Build a schema.org + Dublin Core knowledge graph of scholarly works,
    keep it in an embedded Oxigraph store, query it with SPARQL, export it
    and serve it over HTTP.

    \b
    Example (the bundled institute listing, then the endpoint):
      kg build --seed
      kg serve            # http://127.0.0.1:8000/sparql
    """


@main.command()
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path))
@click.option("--seed", is_flag=True, help="Also build the bundled institute listing (mila-publications.txt).")
@_store_option
@click.option("--base-iri", default=lambda: os.environ.get("KG_BASE_IRI", DEFAULT_BASE_IRI),
              show_default=DEFAULT_BASE_IRI, help="Base IRI for minted work, person and graph IRIs ($KG_BASE_IRI).")
@click.option("--name", default=None, help="Graph name (default: each file's name without extension); with several files, they make one source under this name.")
@click.option("--format", "fmt", default=None, type=click.Choice(["listing", "bibtex", "csl", "openalex", "crossref", "paperoni", "wikidata", "dblp"]),
              help="Source format (default: by extension and content).")
@click.option("--see-more", "see_more", multiple=True,
              help="Label of the listing's 'see more' button to remove from abstracts (repeatable; default: 'voir plus', 'see more').")
def build(sources: tuple[Path, ...], seed: bool, store: Path | None, base_iri: str, name: str | None,
          fmt: str | None, see_more: tuple[str, ...]) -> None:
    """Read SOURCE files and (re)build their named graphs in the store.

    Formats: publication listing (.txt), BibTeX (.bib), CSL-JSON, OpenAlex,
    Crossref and paperoni JSON, chosen by extension and content (or --format).
    Each source becomes the named graph <BASE>graph/source/NAME, replaced in one
    step; a source that cannot be read leaves the store untouched. Works and
    people already in the store from other sources keep their IRIs.

    Exit status: 0 all loaded, 1 a source could not be used, 2 usage error,
    3 loaded but some records were skipped (see the messages).

    \b
    Example:
      kg build publications.txt --store ./kg-store --base-iri https://kg.example.org/
    """
    from kg.build import Builder, source_name
    from kg.mapping import IRIs, slug
    from kg.resources import seed_listing
    from kg.sources.listing import DEFAULT_SEE_MORE_LABELS, ListingSettings

    paths = list(sources) + ([seed_listing()] if seed else [])
    if not paths:
        _fail("no source given (try `kg build --seed` or `kg build FILE`)", 2)
    settings = ListingSettings(see_more_labels=tuple(see_more) or DEFAULT_SEE_MORE_LABELS)
    store_path = _store(store)
    try:
        IRIs(base_iri)
        names = [slug(name)] if name else [source_name(p) for p in paths]
    except ValueError as exc:
        _fail(str(exc), 2)
    clash = sorted({n for n in names if names.count(n) > 1})
    if clash:
        _fail(f"several sources would share the graph name {', '.join(clash)}: build them separately "
              "with --name, or rename the files", 2)
    failed = skipped = 0
    with Builder(store_path, base_iri=base_iri, settings=settings) as builder:
        for path in ([paths] if name else paths):  # --name: all files make one source
            try:
                r = builder.build(path, name=name, fmt=fmt)
            except (SourceError, StoreError, ValueError) as exc:
                click.echo(f"kg: error: {exc}", err=True)
                failed += 1
                continue
            for p in r.problems:
                click.echo(f"  {p}", err=True)
            skipped += r.skipped
            click.echo(f"read {r.path} ({r.format}): {r.records} records, {r.works} works ({r.duplicates} duplicates merged), "
                       f"{r.people} people, {r.authorships} authorships, {r.warnings} warnings, {r.skipped} skipped")
            if r.works_merged or r.people_merged:
                click.echo(f"  across sources: works {r.works_new} new / {r.works_merged} merged, "
                           f"people {r.people_new} new / {r.people_merged} merged")
            click.echo(f"wrote <{r.graph}>: {r.triples} triples in {store_path} ({r.seconds:.2f} s)")
    if failed:
        sys.exit(1)
    if skipped:
        sys.exit(3)


@main.command()
@click.argument("query", required=False)
@click.option("--file", "query_file", type=click.Path(path_type=Path), help="Read the query from a .rq file.")
@_store_option
@click.option("--format", "fmt", default="table", show_default=True,
              type=click.Choice(["table", "json", "xml", "csv", "tsv", "turtle", "jsonld", "nt", "nq", "trig", "rdfxml"]),
              help="table (readable), SPARQL results json/xml/csv/tsv, or an RDF format for CONSTRUCT/DESCRIBE.")
def query(query: str | None, query_file: Path | None, store: Path | None, fmt: str) -> None:
    """Run a SPARQL QUERY on the union of all graphs and print the result.

    \b
    Examples:
      kg query 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }'
      kg query --file queries/people-by-works.rq --format csv
    """
    from kg.sparql import QueryError, execute, query_form, write_result
    from kg.store import open_read_only

    if (query is None) == (query_file is None):
        _fail("give a QUERY or --file FILE.rq (one of them)", 2)
    where = ""
    if query_file is not None:
        where = f"{query_file}: "
        try:
            query = query_file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            _fail(f"{query_file}: cannot read the query: {getattr(exc, 'strerror', None) or exc}")
    try:
        st = open_read_only(_store(store))
        result = execute(st, query)
    except StoreError as exc:
        _fail(str(exc))
    except QueryError as exc:
        _fail(f"{where}{exc}")
    form = query_form(result)
    out = sys.stdout.buffer
    graph_formats = {"turtle", "jsonld", "nt", "nq", "trig", "rdfxml"}
    if fmt != "table" and (form == "graph") != (fmt in graph_formats):
        kind = "an RDF format (turtle, jsonld, nt, ...)" if form == "graph" else "json, xml, csv or tsv"
        _fail(f"--format {fmt} does not fit this query's result; use {kind}", 2)
    try:
        if fmt == "table" and form == "boolean":
            click.echo("true" if bool(result) else "false")
        elif fmt == "table" and form == "solutions":
            _print_table(result)
        else:
            write_result(result, "turtle" if fmt == "table" else fmt, out)
            out.flush()
    except (OSError, RuntimeError, ValueError, TypeError) as exc:
        # evaluation is lazy: a failing SERVICE call or function surfaces here
        _fail(f"{where}the query failed while running: {exc}")


def _print_table(result) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from kg.sparql import term_text

    names = [v.value for v in result.variables]
    table = Table(*names, show_lines=False)
    rows = 0
    for sol in result:
        table.add_row(*(Text(term_text(sol[n])) for n in names))  # Text: no [markup] in data
        rows += 1
    console = Console(width=max(120, Console().width))
    console.print(table)
    console.print(f"{rows} row{'s' if rows != 1 else ''}")


@main.command()
@_store_option
@click.option("--format", "fmt", default="turtle", show_default=True,
              type=click.Choice(["turtle", "jsonld", "nt", "nq", "trig", "rdfxml"]),
              help="Turtle (with prefixes), JSON-LD (schema.org context), N-Triples, N-Quads, TriG or RDF/XML.")
@click.option("--graph", default=None, help="Export only this named graph (IRI).")
@click.option("--resource", default=None, metavar="IRI",
              help="Export only the description of this resource (a work, a person, ...): what is served at its IRI.")
@click.option("--frame", type=click.Choice(["work"]), default=None,
              help="JSON-LD only: one object per work, its authors embedded in byline order (schema.org ScholarlyArticle).")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Write to FILE instead of standard output.")
def export(store: Path | None, fmt: str, graph: str | None, resource: str | None, frame: str | None,
           out: Path | None) -> None:
    """Write the whole dataset, one named graph or one resource in an RDF format.

    Everything streams from the store, so memory stays flat on large graphs.
    JSON-LD is compact (one @graph, schema.org terms, the context of
    ontology/context.jsonld), or framed per work with --frame work. No
    JSON-LD context is ever fetched from the network.

    \b
    Examples:
      kg export --format turtle --out graph.ttl
      kg export --format jsonld --graph https://kg.example.org/graph/source/mila-publications
      kg export --format jsonld --frame work --out works.jsonld
      kg export --format turtle --resource https://kg.example.org/person/dd1e3958af388605
    """
    from kg.export import export as do_export
    from kg.store import open_read_only

    if frame and fmt != "jsonld":
        _fail("--frame applies to JSON-LD only (add --format jsonld)", 2)
    try:
        st = open_read_only(_store(store))
    except StoreError as exc:
        _fail(str(exc))
    if out is not None and (not out.name or out.is_dir()):
        _fail(f"--out {str(out)!r} must name a file, not a directory", 2)
    if out is None:
        try:
            do_export(st, fmt, sys.stdout.buffer, graph, resource=resource, frame=frame)
        except ValueError as exc:
            _fail(str(exc))
        except BrokenPipeError:  # `kg export | head`: the reader had enough
            sys.stderr.close()
            sys.exit(0)
        sys.stdout.buffer.flush()
        return
    tmp = out.with_name(out.name + ".part")
    try:
        with tmp.open("wb") as f:
            do_export(st, fmt, f, graph, resource=resource, frame=frame)
        tmp.replace(out)
    except (ValueError, OSError) as exc:
        tmp.unlink(missing_ok=True)
        _fail(f"{out}: {getattr(exc, 'strerror', None) or exc}")
    click.echo(f"wrote {out} ({out.stat().st_size} bytes, {fmt}{', framed per ' + frame if frame else ''})", err=True)


@main.command()
@_store_option
@click.option("--format", "fmt", default="table", show_default=True, type=click.Choice(["table", "json"]),
              help="Readable tables, or JSON.")
@click.option("--top", default=10, show_default=True, type=click.IntRange(1), help="How many prolific people to list.")
@click.option("--plot", type=click.Path(path_type=Path), default=None, metavar="FILE",
              help="Also draw the statistics to FILE (.png, .svg or .pdf).")
def stats(store: Path | None, fmt: str, top: int, plot: Path | None) -> None:
    """Print dataset statistics: works, people, works per year, the most
    prolific people, co-authorship among them, triples per named graph.

    \b
    Examples:
      kg stats
      kg stats --plot stats.png      # four charts in one picture (matplotlib)
      kg stats --format json
    """
    import json

    from kg.stats import dataset_stats
    from kg.store import open_read_only

    if plot is not None and plot.suffix.lower() not in (".png", ".svg", ".pdf"):
        _fail(f"--plot {plot}: give a .png, .svg or .pdf file name", 2)
    try:
        data = dataset_stats(open_read_only(_store(store)), top=top)
    except StoreError as exc:
        _fail(str(exc))
    if fmt == "json":
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        _print_stats(data)
    if plot is not None:
        from kg.plots import render

        tmp = plot.with_name(plot.name + ".part")
        try:
            render(data, str(tmp), plot.suffix.lower().lstrip("."))
            tmp.replace(plot)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            _fail(f"{plot}: {exc.strerror or exc}")
        click.echo(f"wrote {plot} ({plot.stat().st_size} bytes)", err=True)


def _print_stats(data: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(100, Console().width))
    console.print(f"{data['works']} works, {data['people']} people, {data['authorships']} authorships, "
                  f"{len(data['graphs'])} named graphs, {data['quads']} quads")
    graphs = Table("named graph", "triples", title="Triples per named graph")
    for g in data["graphs"]:
        graphs.add_row(g["iri"], str(g["triples"]))
    console.print(graphs)
    if data["works_per_year"]:
        years = Table("year", "works", title="Works per year")
        for year, n in data["works_per_year"]:
            years.add_row(year, str(n))
        years.caption = f"{data['works_without_date']} works without a date"
        console.print(years)
    else:
        console.print("works per year: no work has a publication date")
    people = Table("person", "works", title=f"The {len(data['top_people'])} most prolific people")
    for p in data["top_people"]:
        people.add_row(p["name"], str(p["works"]))
    console.print(people)
    net = data["network"]
    console.print(f"co-authorship among the top {len(net['nodes'])} people: {len(net['edges'])} pairs wrote together")


@main.command()
@_store_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="TCP port (0: any free port).")
@click.option("--processes", default=2, show_default=True, type=click.IntRange(1, 64),
              help="HTTP server processes (granian); about one per core.")
@click.option("--threads", default=16, show_default=True, type=click.IntRange(1, 256),
              help="Application threads of each server process (requests handled at once).")
@click.option("--workers", default=4, show_default=True, type=click.IntRange(1, 64),
              help="Queries each server process runs at once (threads of its query worker process).")
@click.option("--timeout", default=30.0, show_default=True, type=click.FloatRange(0.1), help="Seconds a query may run (streaming included).")
@click.option("--max-body", default=1024 * 1024, show_default=True, type=click.IntRange(1), help="Largest request body, in bytes.")
@click.option("--max-rows", default=100_000, show_default=True, type=click.IntRange(1), help="Most triples in a non-streamed (JSON-LD) result.")
@click.option("--cache-entries", default=512, show_default=True, type=click.IntRange(0), help="Answers kept in the in-memory cache (0: no cache).")
@click.option("--service/--no-service", "allow_service", default=True, show_default=True,
              help="Allow SERVICE (federated queries to other endpoints) in queries.")
@click.option("--malloc", "allocator", default="system", show_default=True, metavar="system|auto|mimalloc|jemalloc|PATH",
              help="Memory allocator of the query worker process: system is the C library's; mimalloc (Debian: "
                   "libmimalloc2.0) made aggregates about 10% faster but large streamed results slower; auto takes "
                   "mimalloc, else jemalloc, when installed.")
@click.option("--update-token", envvar="KG_UPDATE_TOKEN", default=None,
              help="Allow SPARQL Update and Graph Store writes to clients sending 'Authorization: Bearer TOKEN' ($KG_UPDATE_TOKEN).")
def serve(store: Path | None, host: str, port: int, processes: int, threads: int, workers: int, timeout: float,
          max_body: int,
          max_rows: int, cache_entries: int, allow_service: bool, allocator: str, update_token: str | None) -> None:
    """Serve the store over HTTP: the SPARQL 1.1 Protocol endpoint at /sparql,
    the Graph Store Protocol at /rdf-graph-store, /health and /metrics.

    The store is opened read-only, so `kg build` can run meanwhile; the endpoint
    serves the new data after each build. Queries run in a worker process (on threads) and
    are stopped at the time limit. Writes are off unless an update token is set.

    \b
    Example:
      kg serve --port 8000 --timeout 10
      curl 'http://127.0.0.1:8000/sparql?query=ASK%7B%3Fs%20%3Fp%20%3Fo%7D'
    """
    from kg.web.app import Settings
    from kg.web.malloc import AllocatorError
    from kg.web.server import run

    settings = Settings(timeout=timeout, max_body=max_body, max_rows=max_rows, workers=workers,
                        update_token=update_token or None, cache_entries=cache_entries, allow_service=allow_service)
    try:
        run(_store(store), host=host, port=port, threads=threads, processes=processes, settings=settings,
            allocator=allocator)
    except (StoreError, OSError) as exc:
        _fail(str(exc))
    except AllocatorError as exc:
        _fail(f"--malloc: {exc}")


@main.command()
@_store_option
@click.option("--against", "against", multiple=True, type=click.Path(path_type=Path),
              help="Match the graph's works with the records of FILE (any format kg reads; repeatable).")
@click.option("--threshold", default=0.85, show_default=True, type=click.FloatRange(0, 1),
              help="Confidence at or above which a match becomes a link.")
@click.option("--candidates", "candidates_out", type=click.Path(path_type=Path),
              help="Write the matches below the threshold to this SSSOM/TSV file for review.")
@click.option("--accept", "accept", type=click.Path(path_type=Path),
              help="Load the mappings kept in a reviewed SSSOM/TSV file.")
@click.option("--name", default=None, help="Name of the links graph (<BASE>graph/links/NAME).")
@click.option("--undo", default=None, metavar="NAME", help="Remove the links graph NAME.")
@click.option("--online", default=None, metavar="SERVICES",
              help="Look works up online: a comma list of openalex, crossref, dblp, wikidata (off by default).")
@click.option("--contact", default=None, envvar="KG_CONTACT", help="Your e-mail address, sent to online services ($KG_CONTACT).")
@click.option("--api-base", "api_bases", multiple=True, metavar="SERVICE=URL", help="Base URL of a service (mirrors, tests).")
@click.option("--cache", "cache_dir", type=click.Path(path_type=Path), default=None,
              help="Directory of the online response cache (default: ~/.cache/kg/http).")
@click.option("--limit", default=None, type=click.IntRange(1), help="Look up at most this many works online.")
def link(store: Path | None, against: tuple[Path, ...], threshold: float, candidates_out: Path | None,
         accept: Path | None, name: str | None, undo: str | None, online: str | None, contact: str | None,
         api_bases: tuple[str, ...], cache_dir: Path | None, limit: int | None) -> None:
    """Link works and people to external graphs (DOI, arXiv, ORCID, OpenAlex,
    Wikidata, dblp, Semantic Scholar) in a links graph of their own.

    Without --against: every identifier already known becomes a link
    (graph links/identifiers). With --against: the works are matched with the
    records of the given files (title, authors, year); matches at or above the
    threshold become SSSOM mapping records, their authors at the same position
    with compatible names are linked too. Re-running replaces the run's graph;
    --undo removes it.

    \b
    With --online: the works are looked up by title in the services named
    (OpenAlex, Crossref, dblp, Wikidata), politely (contact address, rate
    limit, retries, an on-disk cache), then matched the same way.

    \b
    Examples:
      kg link
      kg link --against openalex-works.json --candidates review.tsv
      kg link --online openalex,crossref --contact you@example.org --limit 50
      kg link --accept review.tsv --name reviewed
      kg link --undo match-openalex-works
    """
    from kg.link.run import (base_iri, drop_links, graph_works, identifier_links, links_graph, match_against,
                             read_external, write_links)
    from kg.link.sssom import TSVError, read_reviewed, write_tsv
    from kg.store import open_for_writing

    store_path = _store(store)
    if not (store_path / "CURRENT").exists():
        _fail(f"{store_path}: no store here (run `kg build SOURCE --store {store_path}` first)")
    if sum(bool(x) for x in (against, accept, undo, online)) > 1:
        _fail("give one of --against, --accept, --undo, --online", 2)
    services = [x.strip() for x in (online or "").split(",") if x.strip()]
    from kg.link.online import ADAPTERS, OnlineSettings
    unknown = [x for x in services if x not in ADAPTERS]
    if unknown:
        _fail(f"unknown online service(s): {', '.join(unknown)}; use {', '.join(ADAPTERS)}", 2)
    if services and not contact:
        _fail("online services ask for a contact address: give --contact EMAIL (or $KG_CONTACT)", 2)
    external = []
    if against:
        try:
            external, problems = read_external(list(against))
        except SourceError as exc:
            _fail(str(exc))
        for p in problems:
            click.echo(f"  {p}", err=True)
    reviewed = []
    if accept:
        try:
            reviewed = read_reviewed(accept)
        except (OSError, TSVError) as exc:
            _fail(str(getattr(exc, "strerror", None) and f"{accept}: {exc.strerror}" or exc))
    try:
        st = open_for_writing(store_path)
        base = base_iri(st)
        if undo:
            graph = links_graph(base, undo)
            if not drop_links(st, store_path, graph):
                _fail(f"no links graph <{graph}>")
            click.echo(f"removed <{graph}>")
            return
        if against or services:
            works_in_graph = graph_works(st)
            if services:
                from kg.link.online import fetch_candidates
                settings = OnlineSettings(contact=contact or "")
                if cache_dir:
                    settings.cache = cache_dir
                for item in api_bases:
                    key, _, url = item.partition("=")
                    settings.bases[key.strip()] = url.strip()
                problems: list[str] = []
                titles = [w.record.title for w in works_in_graph][:limit]
                external = fetch_candidates(titles, services, settings, problems)
                for p in problems:
                    click.echo(f"  {p}", err=True)
                against = (Path("online-" + "-".join(services)),)
            graph = links_graph(base, name or "match-" + Path(against[0]).stem)
            result = match_against(works_in_graph, external, threshold=threshold)
            n = write_links(st, store_path, graph, result.links, f"matches against {', '.join(map(str, against))}")
            works = len(result.links) - result.person_links
            click.echo(f"matched {works} works and {result.person_links} people against {len(external)} records; "
                       f"{len(result.candidates)} candidates below {threshold:g}")
            if candidates_out:
                rows = write_tsv(result.candidates, candidates_out)
                click.echo(f"wrote {rows} candidates to {candidates_out}")
        elif accept:
            graph = links_graph(base, name or "reviewed")
            n = write_links(st, store_path, graph, reviewed, f"reviewed mappings from {accept}")
            click.echo(f"accepted {len(reviewed)} mappings from {accept}")
        else:
            graph = links_graph(base, name or "identifiers")
            mappings = identifier_links(st)
            n = write_links(st, store_path, graph, mappings, "identifier links")
            click.echo(f"linked {len(mappings)} identifiers")
        click.echo(f"wrote <{graph}>: {n} triples")
    except (StoreError, ValueError) as exc:
        _fail(str(exc))


@main.command()
@_store_option
@click.option("--graph", default=None, metavar="IRI", help="Check only this named graph (default: the union of all graphs).")
@click.option("--format", "fmt", default="text", show_default=True, type=click.Choice(["text", "turtle"]),
              help="One line per violation, or the W3C SHACL validation report as Turtle.")
def validate(store: Path | None, graph: str | None, fmt: str) -> None:
    """Check the graph with kg's SHACL shapes (pySHACL).

    The shapes (W3C SHACL, ontology/shapes.ttl) check that every work has a
    title and at least one authorship node; that author positions run 1, 2,
    3, ... without gaps or duplicates; that schema:author and the authorship
    nodes agree; that dates are valid xsd:date/gYearMonth/gYear literals; that
    bibo:doi is a bare lower-case DOI; and that identifier IRIs (schema:sameAs)
    have their scheme's form. Each violation is printed as
    `<focus node> path: message (value)`, then a summary line.

    Exit status: 0 the graph conforms, 1 it does not, 2 usage error or no store.

    \b
    Examples:
      kg validate
      kg validate --graph https://kg.example.org/graph/source/mila-publications
      kg validate --format turtle > validation-report.ttl
    """
    import time

    from kg.store import open_read_only
    from kg.validate import report_turtle, shapes_file, store_graph, validate_graph

    try:
        st = open_read_only(_store(store))
        data = store_graph(st, graph)
    except StoreError as exc:
        _fail(str(exc), 2)
    except LookupError as exc:
        names = ", ".join(sorted(f"<{g.value}>" for g in st.named_graphs())) or "none"
        _fail(f"{exc.args[0]} (its named graphs: {names})", 2)
    except ValueError as exc:  # not an IRI
        _fail(f"--graph {graph!r}: {exc}", 2)
    what = f"graph <{graph}>" if graph else "the union of all graphs"
    click.echo(f"checking {len(data)} triples of {what} against {shapes_file().name} ...", err=True)
    started = time.perf_counter()
    result = validate_graph(data)
    seconds = time.perf_counter() - started
    if result.conforms:
        summary = f"conforms: {result.triples} triples checked, no violations ({seconds:.1f} s)"
    else:
        n = len(result.violations)
        summary = (f"does not conform: {n} violation{'s' if n != 1 else ''} on {result.focus_nodes} "
                   f"focus node{'s' if result.focus_nodes != 1 else ''}, {result.triples} triples checked "
                   f"({seconds:.1f} s)")
    if fmt == "turtle":
        sys.stdout.buffer.write(report_turtle(result))
        sys.stdout.buffer.flush()
        click.echo(summary, err=True)
    else:
        for v in result.violations:
            click.echo(v.line())
        click.echo(summary)
    sys.exit(0 if result.conforms else 1)


@main.command()
@_store_option
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Write the Markdown report to FILE (default: standard output, unless only --html is given).")
@click.option("--html", "html_out", type=click.Path(path_type=Path), default=None,
              help="Also write the report as an HTML page to FILE.")
@click.option("--limit", default=500, show_default=True, type=click.IntRange(1),
              help="Rows listed per section at most (headings always give the full counts).")
def report(store: Path | None, out: Path | None, html_out: Path | None, limit: int) -> None:
    """Write a data-quality report of the store in Markdown (and HTML).

    Sections: per-source counts (file, SHA-256, build time, records, works,
    people, triples, duplicates, works and people new or merged, warnings,
    skipped); duplicates merged and why; records skipped (file:line and
    reason); suspected title/author confusions; other warnings; truncated
    abstracts; people without identifiers; works without DOI. Counts come
    from the meta graph and from the build reports `kg build` keeps in the
    store (kg-reports/), the rest from the data.

    \b
    Examples:
      kg report --out report.md --html report.html
      kg report | less
    """
    from kg.report import build_report
    from kg.store import open_read_only

    store_path = _store(store)
    try:
        text, page = build_report(open_read_only(store_path), store_path, limit=limit)
    except StoreError as exc:
        _fail(str(exc))
    targets = [(out, text)] if out is not None else []
    if html_out is not None:
        targets.append((html_out, page))
    for path, content in targets:
        tmp = path.with_name(path.name + ".part")
        try:
            tmp.write_text(content, encoding="utf-8")
            tmp.replace(path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            _fail(f"{path}: {exc.strerror or exc}")
        click.echo(f"wrote {path} ({path.stat().st_size} bytes)", err=True)
    if out is None and html_out is None:
        click.echo(text, nl=False)


if __name__ == "__main__":  # pragma: no cover
    main()
