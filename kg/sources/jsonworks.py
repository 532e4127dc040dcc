"""Readers for JSON work records: CSL-JSON, OpenAlex, Crossref and paperoni.

Each takes the parsed JSON of one file and yields records; a record that
cannot be used is reported with its index in the file and skipped.

* CSL-JSON (citeproc / Zotero): a list of items; ``author[]`` with
  ``family``, ``given``, ``literal``, ``non-dropping-particle``,
  ``dropping-particle``, ``suffix``; ``issued`` date parts.
* OpenAlex work objects (a single work, an API list page ``{"results": []}``,
  or JSON Lines): authorships in order with OpenAlex author ids and ORCIDs;
  the abstract rebuilt from ``abstract_inverted_index``.
* Crossref REST API works (``{"message": {...}}``, a list page
  ``{"message": {"items": []}}`` or a list): authors with ``given``/
  ``family``/``name``/``ORCID``/``sequence``; JATS abstracts stripped.
* paperoni (Mila's collector) paper list: links of types doi, arxiv, dblp,
  semantic_scholar, openreview; author links (orcid, ...) and affiliations.
"""
from __future__ import annotations

from collections.abc import Iterable

from kg.clean import nfc
from kg.record import Record
from kg.sources.common import (RecordProblems, add_id, date_from_parts, date_from_text, person,
                               strip_tags)
from kg.worktypes import schema_type


def _text(value: object) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    return nfc(str(value or ""))


def _titled(items: Iterable[object], label: str, out: RecordProblems,
            title_of) -> Iterable[tuple[str, dict, str]]:
    """(locator, object, title) of each usable item, in order; an item that is
    not an object or has no title is reported with its index and skipped."""
    for i, item in enumerate(items, start=1):
        where = f"{label} {i}"
        if not isinstance(item, dict):
            out.skip(None, f"{where} skipped: not a JSON object")
            continue
        title = title_of(item)
        if not title:
            out.skip(None, f"{where} skipped: no title")
            continue
        yield where, item, title


# --- CSL-JSON ----------------------------------------------------------------

def csl_records(items: Iterable[object], src: str, out: RecordProblems) -> Iterable[Record]:
    """Records from CSL-JSON items (CSL-JSON schema 1.0)."""
    for where, item, title in _titled(items, "item", out, lambda item: _text(item.get("title"))):
        rec = Record(title=title, source=src, locator=where, work_type=schema_type(item.get("type")))
        for a in item.get("author") or []:
            if not isinstance(a, dict):
                continue
            if a.get("literal"):
                p = person(name=str(a["literal"]), literal=True)
            else:
                given = " ".join(x for x in (a.get("given"), a.get("dropping-particle")) if x) or None
                family = " ".join(x for x in (a.get("non-dropping-particle"), a.get("family")) if x) or None
                p = person(given=given, family=family, suffix=a.get("suffix"))
            if p is not None:
                rec.authors.append(p)
        rec.date = date_from_parts(item.get("issued"), out, None, where)
        add_id(rec.identifiers, "doi", item.get("DOI"), out, None, where)
        url = str(item.get("URL") or "")
        if url:
            rec.url = url
            if "arxiv.org/abs/" in url:
                add_id(rec.identifiers, "arxiv", url, out, None, where)
        rec.venue = _text(item.get("container-title")) or None
        if item.get("abstract"):
            rec.abstract = strip_tags(str(item["abstract"]))
        yield rec


# --- OpenAlex ----------------------------------------------------------------

def inverted_index_text(index: dict[str, list[int]]) -> str:
    """The abstract text of an OpenAlex ``abstract_inverted_index`` (word ->
    positions), words joined by single spaces in position order."""
    slots: dict[int, str] = {}
    for word, positions in index.items():
        for pos in positions:
            slots[pos] = word
    return nfc(" ".join(slots[i] for i in sorted(slots)))


def openalex_records(works: Iterable[object], src: str, out: RecordProblems) -> Iterable[Record]:
    """Records from OpenAlex work objects (OpenAlex API, Work object)."""
    for where, w, title in _titled(works, "record", out, lambda w: _text(w.get("title") or w.get("display_name"))):
        rec = Record(title=title, source=src, locator=where, work_type=schema_type(w.get("type")))
        add_id(rec.identifiers, "doi", w.get("doi"), out, None, where)
        add_id(rec.identifiers, "openalex", w.get("id"), out, None, where)
        ids = w.get("ids") or {}
        for scheme in ("wikidata",):
            add_id(rec.identifiers, scheme, ids.get(scheme), out, None, where)
        for loc in w.get("locations") or []:
            landing = str((loc or {}).get("landing_page_url") or "")
            if "arxiv.org/abs/" in landing:
                add_id(rec.identifiers, "arxiv", landing, out, None, where)
        rec.date = date_from_text(w.get("publication_date") or w.get("publication_year"), out, None, where)
        source = ((w.get("primary_location") or {}).get("source") or {})
        rec.venue = _text(source.get("display_name")) or None
        if w.get("abstract_inverted_index"):
            rec.abstract = inverted_index_text(w["abstract_inverted_index"])
        for a in w.get("authorships") or []:  # in byline order
            author = a.get("author") or {}
            name = author.get("display_name") or a.get("raw_author_name")
            p = person(name=str(name)) if name else None
            if p is None:
                continue
            add_id(p.identifiers, "openalex", author.get("id"), out, None, f"{where}, author {name!r}")
            add_id(p.identifiers, "orcid", author.get("orcid"), out, None, f"{where}, author {name!r}")
            p.affiliations = [_text(inst.get("display_name")) for inst in a.get("institutions") or []
                              if inst.get("display_name")]
            rec.authors.append(p)
        yield rec


# --- Crossref ----------------------------------------------------------------

def crossref_records(works: Iterable[object], src: str, out: RecordProblems) -> Iterable[Record]:
    """Records from Crossref REST API work messages."""
    for where, w, title in _titled(works, "record", out, lambda w: _text(w.get("title"))):
        rec = Record(title=title, source=src, locator=where, work_type=schema_type(w.get("type")))
        add_id(rec.identifiers, "doi", w.get("DOI"), out, None, where)
        rec.date = (date_from_parts(w.get("issued"), out, None, where)
                    or date_from_parts(w.get("published"), out, None, where))
        rec.venue = _text(w.get("container-title")) or None
        if w.get("abstract"):
            rec.abstract = strip_tags(str(w["abstract"]))
        authors = [a for a in w.get("author") or [] if isinstance(a, dict)]
        # "sequence": "first" marks the first author; the rest keep their order
        authors.sort(key=lambda a: 0 if a.get("sequence") == "first" else 1)
        for a in authors:
            if a.get("name") and not a.get("family"):
                p = person(name=str(a["name"]), literal=True)
            elif a.get("family") and not a.get("given"):
                p = person(name=str(a["family"]))  # one name only (a mononym): kept, not split
                if p is not None:
                    p.family = nfc(str(a["family"]))
            else:
                p = person(given=a.get("given"), family=a.get("family"), suffix=a.get("suffix"))
            if p is None:
                continue
            add_id(p.identifiers, "orcid", a.get("ORCID"), out, None, f"{where}, author {p.name!r}")
            p.affiliations = [_text(x.get("name")) for x in a.get("affiliation") or [] if x.get("name")]
            rec.authors.append(p)
        yield rec


# --- paperoni ----------------------------------------------------------------

_PAPERONI_WORK_IDS = {"doi": "doi", "arxiv": "arxiv", "dblp": "dblp", "semantic_scholar": "semantic_scholar",
                      "openreview": "openreview"}
_PAPERONI_AUTHOR_IDS = {"orcid": "orcid", "openreview": "openreview", "semantic_scholar": "semantic_scholar"}


def paperoni_records(papers: Iterable[object], src: str, out: RecordProblems) -> Iterable[Record]:
    """Records from paperoni paper objects (``title``, ``abstract``,
    ``authors[].author.{name,links}``, ``authors[].affiliations``,
    ``releases[].venue``, ``links[]``)."""
    for where, paper, title in _titled(papers, "paper", out, lambda paper: _text(paper.get("title"))):
        rec = Record(title=title, source=src, locator=where)
        if paper.get("abstract"):
            rec.abstract = nfc(str(paper["abstract"]))
        for link in paper.get("links") or []:
            kind = str(link.get("type", "")).split(".")[0]
            if kind in _PAPERONI_WORK_IDS:
                add_id(rec.identifiers, _PAPERONI_WORK_IDS[kind], link.get("link"), out, None, where)
        releases = [r for r in paper.get("releases") or [] if isinstance(r, dict)]
        # prefer the peer-reviewed release for venue and date
        releases.sort(key=lambda r: 0 if r.get("peer_reviewed") else 1)
        if releases:
            venue = releases[0].get("venue") or {}
            rec.venue = _text(venue.get("name")) or None
            rec.date = date_from_text((venue.get("date") or {}).get("text"), out, None, where)
            rec.work_type = schema_type(venue.get("type"))
        for a in paper.get("authors") or []:
            author = (a or {}).get("author") or {}
            p = person(name=str(author.get("name") or ""))
            if p is None:
                continue
            for link in author.get("links") or []:
                kind = str(link.get("type", ""))
                if kind in _PAPERONI_AUTHOR_IDS:  # "!semantic_scholar" marks a rejected link
                    add_id(p.identifiers, _PAPERONI_AUTHOR_IDS[kind], link.get("link"), out, None,
                           f"{where}, author {p.name!r}")
            p.affiliations = [_text(x.get("name")) for x in a.get("affiliations") or [] if x.get("name")]
            rec.authors.append(p)
        yield rec
