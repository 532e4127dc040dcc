"""Reader for dblp XML (records of the dblp dump or ``/rec/<key>.xml``).

dblp's XML uses the character entities of its DTD (``&eacute;``); they are
the HTML named entities, decoded here without fetching the DTD. Author names
lose dblp's homonym numbers (``Yoshua Bengio 0001`` -> ``Yoshua Bengio``);
``orcid`` attributes and ``pid`` attributes become identifiers; ``ee`` links
to doi.org and arxiv.org become the DOI and arXiv id; the record key is the
dblp id.
"""
from __future__ import annotations

import html.entities
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable

from kg.record import Record, SourceError
from kg.sources.common import RecordProblems, add_id, person
from kg.worktypes import schema_type

RECORD_TAGS = {"article": "article", "inproceedings": "inproceedings", "proceedings": "book", "book": "book",
               "incollection": "incollection", "phdthesis": "phdthesis", "mastersthesis": "mastersthesis"}
_XML_ENTITIES = {"amp", "lt", "gt", "quot", "apos"}


def _decode_entities(text: str) -> str:
    def repl(m: re.Match) -> str:
        name = m.group(1)
        if name in _XML_ENTITIES or name not in html.entities.name2codepoint:
            return m.group(0)
        return f"&#{html.entities.name2codepoint[name]};"
    return re.sub(r"&([A-Za-z][A-Za-z0-9]*);", repl, text)


def parse_dblp_xml(text: str, src: str) -> ET.Element:
    """The root element of a dblp XML document.

    :raises SourceError: not well-formed XML (line and column named).
    """
    text = re.sub(r"<!DOCTYPE[^>]*>", "", _decode_entities(text), count=1)
    try:
        return ET.fromstring(text.encode("utf-8"))
    except ET.ParseError as exc:
        line, col = exc.position
        raise SourceError(f"{src}:{line}: not well-formed XML (column {col})") from None


def dblp_records(root: ET.Element, src: str, out: RecordProblems) -> Iterable[Record]:
    """Records of the dblp publication elements under ``root``."""
    elements = [root] if root.tag in RECORD_TAGS else [e for e in root.iter() if e.tag in RECORD_TAGS]
    for i, e in enumerate(elements, start=1):
        key = e.get("key", "")
        where = f"record {key or i}"
        title = "".join(e.find("title").itertext()).strip().rstrip(".") if e.find("title") is not None else ""
        if not title:
            out.skip(None, f"{where} skipped: no title")
            continue
        rec = Record(title=title, source=src, locator=where, work_type=schema_type(RECORD_TAGS[e.tag]))
        if key:
            add_id(rec.identifiers, "dblp", key, out, None, where)
        for ee in e.findall("ee"):
            url = (ee.text or "").strip()
            if "doi.org/" in url:
                add_id(rec.identifiers, "doi", url, out, None, where)
            elif "arxiv.org/abs/" in url:
                add_id(rec.identifiers, "arxiv", url, out, None, where)
            rec.url = rec.url or url or None
        year = e.findtext("year")
        rec.date = year.strip() if year and year.strip().isdigit() else None
        rec.venue = (e.findtext("journal") or e.findtext("booktitle") or "").strip() or None
        for a in e.findall("author"):
            name = re.sub(r"\s+\d{4}$", "", "".join(a.itertext()).strip())
            p = person(name=name)
            if p is None:
                continue
            add_id(p.identifiers, "orcid", a.get("orcid"), out, None, f"{where}, author {name!r}")
            add_id(p.identifiers, "dblp_pid", a.get("pid"), out, None, f"{where}, author {name!r}")
            rec.authors.append(p)
        yield rec
