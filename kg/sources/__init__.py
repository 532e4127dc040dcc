"""Readers, one per input format, each producing :class:`~kg.record.Record`.

:func:`read_source` picks the reader by ``--format``, else by file extension
and content sniffing:

=========  =========================================================
format     files
=========  =========================================================
listing    scraped publication listing (``.txt``)
bibtex     BibTeX (``.bib``)
csl        CSL-JSON (a list of items with string titles)
openalex   OpenAlex works (one work, ``{"results": [...]}``, JSON Lines)
crossref   Crossref works (``{"message": ...}``, a list with list titles)
paperoni   paperoni paper list (items with ``paper_id``)
wikidata   Wikidata entity JSON (``{"entities": {...}}``)
dblp       dblp XML (``.xml``)
=========  =========================================================
"""
from __future__ import annotations

import re
from pathlib import Path

from kg.record import ReadResult, SourceError
from kg.sources.common import RecordProblems, load_json
from kg.sources.textfile import read_bytes

_OA_KINDS = {"A": "author", "I": "institution", "S": "source", "C": "concept", "P": "publisher", "F": "funder",
             "T": "topic"}
FORMATS = ("listing", "bibtex", "csl", "openalex", "crossref", "paperoni", "wikidata", "dblp")
JSON_FORMATS = ("csl", "openalex", "crossref", "paperoni", "wikidata")


def _json_items(fmt: str, data: object) -> list:
    if fmt == "crossref":
        if isinstance(data, dict) and "message" in data:
            msg = data["message"]
            return list(msg.get("items", [])) if isinstance(msg, dict) and "items" in msg else [msg]
    if fmt == "openalex" and isinstance(data, dict):
        return list(data["results"]) if "results" in data else [data]
    if isinstance(data, dict):
        return [data]
    return list(data) if isinstance(data, list) else []


def sniff_json(data: object) -> str | None:
    """The JSON format of parsed ``data``, or None when it is none kg reads."""
    if isinstance(data, dict):
        if isinstance(data.get("entities"), dict):
            return "wikidata"
        if "message" in data and data.get("message-type", "work").startswith("work"):
            return "crossref"
        if "results" in data or str(data.get("id", "")).startswith("https://openalex.org/W"):
            return "openalex"
        if "paper_id" in data:
            return "paperoni"
        if "DOI" in data and isinstance(data.get("title"), list):
            return "crossref"
        if "title" in data:
            return "csl"
        return None
    if isinstance(data, list) and data:
        first = next((x for x in data if isinstance(x, dict)), None)
        if first is None:
            return None
        if "paper_id" in first or ("authors" in first and "links" in first and "releases" in first):
            return "paperoni"
        if str(first.get("id", "")).startswith("https://openalex.org/W"):
            return "openalex"
        if isinstance(first.get("title"), list):
            return "crossref"
        if "title" in first:
            return "csl"
    return None


def detect_format(path: Path) -> str:
    """The reader for ``path`` by extension, then by content.

    :raises SourceError: missing/empty file, or a content kg cannot place.
    """
    ext = path.suffix.lower()
    if ext == ".bib":
        return "bibtex"
    if ext == ".txt":
        return "listing"
    if ext == ".xml":
        return "dblp"
    head = read_bytes(path)[:4096].lstrip()
    if ext in (".json", ".jsonl", ".ndjson") or head[:1] in (b"{", b"["):
        data, _ = load_json(path)
        fmt = sniff_json(data)
        oa_id = str(data.get("id", "")) if isinstance(data, dict) else ""
        if fmt is None and re.match(r"https://openalex\.org/[AISCPFT]", oa_id):
            raise SourceError(f"{path}: an OpenAlex {_OA_KINDS.get(oa_id[21], 'entity')} record, not a work")
        if fmt is None:
            raise SourceError(f"{path}: JSON of an unknown shape; give --format ({', '.join(JSON_FORMATS)})")
        return fmt
    if head[:1] == b"@":
        return "bibtex"
    if head[:1] == b"<":
        return "dblp"
    return "listing"


def read_source(path: str | Path, fmt: str | None = None, listing_settings=None) -> tuple[str, ReadResult]:
    """Read one source file.

    :param fmt: one of :data:`FORMATS`, or None to detect it.
    :returns: (format used, records and problems).
    :raises SourceError: the file cannot be used at all (nothing is loaded).
    """
    path = Path(path)
    read_bytes(path)  # missing / directory / empty: one clear error first
    fmt = fmt or detect_format(path)
    if fmt == "listing":
        from kg.sources.listing import read_listing
        return fmt, read_listing(path, listing_settings)
    if fmt == "bibtex":
        from kg.sources.bibtex import read_bibtex
        return fmt, read_bibtex(path)
    if fmt == "dblp":
        from kg.sources.dblp import dblp_records, parse_dblp_xml
        from kg.sources.textfile import read_text

        text, problems = read_text(path)
        out = RecordProblems(str(path))
        out.problems.extend(problems)
        records = list(dblp_records(parse_dblp_xml(text, str(path)), str(path), out))
        if not records:
            raise SourceError(f"{path}: no dblp publication record")
        return fmt, ReadResult(records=records, problems=out.problems)
    if fmt not in JSON_FORMATS:
        raise SourceError(f"{path}: unknown format {fmt!r}; use one of: {', '.join(FORMATS)}")
    from kg.sources import jsonworks

    data, problems = load_json(path)
    out = RecordProblems(str(path))
    out.problems.extend(problems)
    if fmt == "wikidata":
        from kg.sources.wikidata import wikidata_records
        records = list(wikidata_records(data if isinstance(data, dict) else {}, str(path), out))
    else:
        reader = {"csl": jsonworks.csl_records, "openalex": jsonworks.openalex_records,
                  "crossref": jsonworks.crossref_records, "paperoni": jsonworks.paperoni_records}[fmt]
        records = list(reader(_json_items(fmt, data), str(path), out))
    if not records:
        detail = f" ({out.problems[0].message})" if out.problems else ""
        raise SourceError(f"{path}: no usable {fmt} record{detail}")
    return fmt, ReadResult(records=records, problems=out.problems)
