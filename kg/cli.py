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
@click.option("--name", default=None, help="Graph name for the source (default: file name without extension). One source only.")
@click.option("--see-more", "see_more", multiple=True,
              help="Label of the listing's 'see more' button to remove from abstracts (repeatable; default: 'voir plus', 'see more').")
def build(sources: tuple[Path, ...], seed: bool, store: Path | None, base_iri: str, name: str | None,
          see_more: tuple[str, ...]) -> None:
    """Read SOURCE files and (re)build their named graphs in the store.

    Each source becomes the named graph <BASE>graph/source/NAME, replaced in one
    atomic step; a source that cannot be read leaves the store untouched.

    \b
    Example:
      kg build publications.txt --store ./kg-store --base-iri https://kg.example.org/
    """
    from kg.build import build_source
    from kg.resources import seed_listing
    from kg.sources.listing import DEFAULT_SEE_MORE_LABELS, ListingSettings

    paths = list(sources) + ([seed_listing()] if seed else [])
    if not paths:
        _fail("no source given (try `kg build --seed` or `kg build FILE`)", 2)
    if name and len(paths) > 1:
        _fail("--name applies to one source only", 2)
    settings = ListingSettings(see_more_labels=tuple(see_more) or DEFAULT_SEE_MORE_LABELS)
    store_path = _store(store)
    failed = skipped = 0
    for path in paths:
        try:
            r = build_source(path, store_path, base_iri=base_iri, name=name, settings=settings)
        except (SourceError, StoreError, ValueError) as exc:
            click.echo(f"kg: error: {exc}", err=True)
            failed += 1
            continue
        for p in r.problems:
            click.echo(f"  {p}", err=True)
        warnings = sum(1 for p in r.problems if p.severity == "warning")
        skipped += r.skipped
        click.echo(f"read {r.path}: {r.records} records, {r.works} works ({r.merged} duplicates merged), "
                   f"{r.people} people, {r.authorships} authorships, {warnings} warnings, {r.skipped} skipped")
        click.echo(f"wrote <{r.graph}>: {r.triples} triples in {store_path} ({r.seconds:.2f} s)")
    if failed:
        sys.exit(1)


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
    if query_file is not None:
        try:
            query = query_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            _fail(f"{query_file}: cannot read the query: {getattr(exc, 'strerror', None) or exc}")
    try:
        st = open_read_only(_store(store))
        result = execute(st, query)
    except (StoreError, QueryError) as exc:
        _fail(str(exc))
    form = query_form(result)
    out = sys.stdout.buffer
    if fmt == "table":
        if form == "graph":
            fmt = "turtle"
        elif form == "boolean":
            click.echo("true" if bool(result) else "false")
            return
        else:
            _print_table(result)
            return
    graph_formats = {"turtle", "jsonld", "nt", "nq", "trig", "rdfxml"}
    if (form == "graph") != (fmt in graph_formats):
        kind = "an RDF format (turtle, jsonld, nt, ...)" if form == "graph" else "json, xml, csv or tsv"
        _fail(f"--format {fmt} does not fit this query's result; use {kind}", 2)
    write_result(result, fmt, out)
    out.write(b"\n")
    out.flush()


def _print_table(result) -> None:
    from rich.console import Console
    from rich.table import Table

    from kg.sparql import term_text

    names = [v.value for v in result.variables]
    table = Table(*names, show_lines=False)
    rows = 0
    for sol in result:
        table.add_row(*(term_text(sol[n]) for n in names))
        rows += 1
    console = Console(width=max(120, Console().width))
    console.print(table)
    console.print(f"{rows} row{'s' if rows != 1 else ''}")


@main.command()
@_store_option
@click.option("--format", "fmt", default="turtle", show_default=True,
              type=click.Choice(["turtle", "jsonld", "nt", "nq", "trig", "rdfxml"]),
              help="Turtle (with prefixes), compact JSON-LD (schema.org context), N-Triples, N-Quads, TriG or RDF/XML.")
@click.option("--graph", default=None, help="Export only this named graph (IRI).")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Write to FILE instead of standard output.")
def export(store: Path | None, fmt: str, graph: str | None, out: Path | None) -> None:
    """Write the whole dataset (or one named graph) in an RDF format.

    \b
    Examples:
      kg export --format turtle --out graph.ttl
      kg export --format jsonld --graph https://kg.example.org/graph/source/mila-publications
    """
    from kg.export import export as do_export
    from kg.store import open_read_only

    try:
        st = open_read_only(_store(store))
    except StoreError as exc:
        _fail(str(exc))
    if out is None:
        try:
            do_export(st, fmt, sys.stdout.buffer, graph)
        except ValueError as exc:
            _fail(str(exc))
        sys.stdout.buffer.flush()
        return
    tmp = out.with_name(out.name + ".part")
    try:
        with tmp.open("wb") as f:
            do_export(st, fmt, f, graph)
        tmp.replace(out)
    except (ValueError, OSError) as exc:
        tmp.unlink(missing_ok=True)
        _fail(f"{out}: {getattr(exc, 'strerror', None) or exc}")
    click.echo(f"wrote {out} ({out.stat().st_size} bytes, {fmt})", err=True)


@main.command()
@_store_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="TCP port.")
@click.option("--threads", default=16, show_default=True, type=int, help="HTTP threads of the WSGI server.")
@click.option("--workers", default=4, show_default=True, type=click.IntRange(1, 64), help="Query worker processes.")
@click.option("--timeout", default=30.0, show_default=True, type=click.FloatRange(0.1), help="Seconds a query may run (streaming included).")
@click.option("--max-body", default=1024 * 1024, show_default=True, type=click.IntRange(1), help="Largest request body, in bytes.")
@click.option("--max-rows", default=100_000, show_default=True, type=click.IntRange(1), help="Most triples in a non-streamed (JSON-LD) result.")
@click.option("--cache-entries", default=512, show_default=True, type=click.IntRange(0), help="Answers kept in the in-memory cache (0: no cache).")
@click.option("--update-token", envvar="KG_UPDATE_TOKEN", default=None,
              help="Allow SPARQL Update and Graph Store writes to clients sending 'Authorization: Bearer TOKEN' ($KG_UPDATE_TOKEN).")
def serve(store: Path | None, host: str, port: int, threads: int, workers: int, timeout: float, max_body: int,
          max_rows: int, cache_entries: int, update_token: str | None) -> None:
    """Serve the store over HTTP: the SPARQL 1.1 Protocol endpoint at /sparql,
    the Graph Store Protocol at /rdf-graph-store, /health and /metrics.

    The store is opened read-only, so `kg build` can run meanwhile; the endpoint
    serves the new data after each build. Queries run in worker processes and
    are stopped at the time limit. Writes are off unless an update token is set.

    \b
    Example:
      kg serve --port 8000 --timeout 10
      curl 'http://127.0.0.1:8000/sparql?query=ASK%7B%3Fs%20%3Fp%20%3Fo%7D'
    """
    from kg.web.app import Settings
    from kg.web.server import run

    settings = Settings(timeout=timeout, max_body=max_body, max_rows=max_rows, workers=workers,
                        update_token=update_token or None, cache_entries=cache_entries)
    try:
        run(_store(store), host=host, port=port, threads=threads, settings=settings)
    except (StoreError, OSError) as exc:
        _fail(str(exc))


if __name__ == "__main__":  # pragma: no cover
    main()
