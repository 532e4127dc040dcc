"""Reader for Wikidata entity JSON (the ``wbgetentities`` / Special:EntityData
shape: ``{"entities": {"Q…": {...}}}``) of scholarly articles.

Properties read: P1476 title (else the English label), P356 DOI, P818 arXiv
id, P50 author items and P2093 author name strings ordered by their P1545
series ordinal (P1932 "stated as" names an item author; else its label when
the same payload holds it), P577 publication date at its precision
(9 year, 10 month, 11 day), P1433 venue item label, P496 ORCID of author
items present in the payload.
"""
from __future__ import annotations

from collections.abc import Iterable

from kg.record import Person, Record
from kg.sources.common import RecordProblems, add_id, person
from kg.worktypes import schema_type


def _values(entity: dict, prop: str) -> list[dict]:
    return [c for c in (entity.get("claims") or {}).get(prop, []) if (c.get("mainsnak") or {}).get("datavalue")]


def _value(claim: dict):
    return claim["mainsnak"]["datavalue"]["value"]


def _qualifier(claim: dict, prop: str) -> str | None:
    for q in (claim.get("qualifiers") or {}).get(prop, []):
        if q.get("datavalue"):
            v = q["datavalue"]["value"]
            return v if isinstance(v, str) else None
    return None


def _label(entity: dict | None) -> str | None:
    labels = (entity or {}).get("labels") or {}
    for lang in ("en", "mul", *labels.keys()):
        if lang in labels:
            return labels[lang]["value"]
    return None


def _date(claim: dict) -> str | None:
    v = _value(claim)
    t, precision = str(v.get("time", "")), int(v.get("precision", 9))
    y, m, d = t.lstrip("+")[:4], t.lstrip("+")[5:7], t.lstrip("+")[8:10]
    if not y.isdigit():
        return None
    if precision >= 11 and m != "00" and d != "00":
        return f"{y}-{m}-{d}"
    if precision >= 10 and m != "00":
        return f"{y}-{m}"
    return y


def wikidata_records(payload: dict, src: str, out: RecordProblems) -> Iterable[Record]:
    """Records of the scholarly works among the entities of ``payload``
    (entities without a DOI, arXiv id or author claim are context, e.g. the
    author items themselves)."""
    entities: dict = payload.get("entities") or {}
    for i, (qid, e) in enumerate(entities.items(), start=1):
        claims = e.get("claims") or {}
        if not any(p in claims for p in ("P356", "P818", "P50", "P2093")):
            continue
        where = f"entity {qid}"
        titles = _values(e, "P1476")
        title = (_value(titles[0]).get("text") if titles else None) or _label(e)
        if not title:
            out.skip(None, f"{where} skipped: no title")
            continue
        rec = Record(title=title, source=src, locator=where, work_type=schema_type("article"))
        add_id(rec.identifiers, "wikidata", qid, out, None, where)
        for c in _values(e, "P356")[:1]:
            add_id(rec.identifiers, "doi", _value(c), out, None, where)
        for c in _values(e, "P818")[:1]:
            add_id(rec.identifiers, "arxiv", _value(c), out, None, where)
        dates = [d for d in (_date(c) for c in _values(e, "P577")) if d]
        rec.date = max(dates, key=len) if dates else None
        for c in _values(e, "P1433")[:1]:
            rec.venue = _label(entities.get(_value(c).get("id")))
        authors: list[tuple[int, Person]] = []
        for c in _values(e, "P50"):
            aid = _value(c).get("id")
            item = entities.get(aid)
            name = _qualifier(c, "P1932") or _label(item) or aid
            p = person(name=name)
            if p is None:
                continue
            add_id(p.identifiers, "wikidata", aid, out, None, f"{where}, author {name!r}")
            for oc in _values(item or {}, "P496")[:1]:
                add_id(p.identifiers, "orcid", _value(oc), out, None, f"{where}, author {name!r}")
            authors.append((_ordinal(c), p))
        for c in _values(e, "P2093"):
            p = person(name=str(_value(c)))
            if p is not None:
                authors.append((_ordinal(c), p))
        rec.authors = [p for _, p in sorted(authors, key=lambda x: x[0])]
        yield rec


def _ordinal(claim: dict) -> int:
    v = _qualifier(claim, "P1545")
    return int(v) if v and v.isdigit() else 10_000
