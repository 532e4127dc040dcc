"""One work, one person, across sources: IRIs for a new source's works and
people, reusing those already in the store when they are the same.

Rules (README "Identity rules"):

* a work already in the store with the same DOI (case-insensitive), arXiv id
  or other external id, or else the same normalised title and first author
  with no conflicting year or DOI, keeps its IRI;
* a person with an ORCID gets the IRI of that ORCID; without one, people with
  the same normalised name are one person within a source, and the same
  person as one of another source only when they share a work (same name, or
  same byline position with the same family name and initial). Two different
  ORCIDs never merge.

Input: :class:`~kg.clean.Work` objects of one source and the store. Output:
:class:`Resolved` works with their IRI and their authors' IRIs, plus counts.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import URIRef

from kg.clean import Work, name_key, title_fingerprint
from kg.mapping import IRIs
from kg.record import Person, Problem

ID_SCHEMES = ("doi", "arxiv", "openalex", "wikidata", "dblp", "semantic_scholar", "openreview")
S = "http://schema.org/"
PRO = "http://purl.org/spar/pro/"


def _year(date: str | None) -> str | None:
    return date[:4] if date else None


def _initial_key(p_name: str) -> tuple[str, str]:
    """(family name, first initial) of a printed name, folded."""
    parts = name_key(p_name).split()
    return (parts[-1], parts[0][:1]) if len(parts) >= 2 else (parts[0] if parts else "", "")


@dataclass
class Resolved:
    """A work with its IRI, its authors' IRIs (byline order) and how it was
    identified (``new`` or the key that matched a work of another source)."""

    work: Work
    iri: URIRef
    authors: list[URIRef] = field(default_factory=list)
    matched: str | None = None


@dataclass
class Resolution:
    """The resolved works of one source and its counts."""

    works: list[Resolved]
    works_new: int = 0
    works_merged: int = 0
    people_new: int = 0
    people_merged: int = 0
    problems: list[Problem] = field(default_factory=list)


class StoreIndex:
    """What the store already holds, for matching: works by identifier and by
    (title fingerprint, first author), their graphs, and their authors."""

    def __init__(self, store: ox.Store | None):
        self.store = store
        self.by_id: dict[str, str] = {}
        self.by_title: dict[tuple[str, str], list[tuple[str, str | None, str | None]]] = defaultdict(list)
        self.graphs: dict[str, set[str]] = defaultdict(set)  # work or person IRI -> graphs holding it
        if store is None:
            return
        q = store.query
        for r in q(f"""SELECT ?g ?w ?s ?v WHERE {{ GRAPH ?g {{ ?w <{S}identifier> ?pv .
                       ?pv <{S}propertyID> ?s ; <{S}value> ?v }} }}"""):
            self.by_id.setdefault(f"{r['s'].value}:{r['v'].value.lower() if r['s'].value == 'doi' else r['v'].value}",
                                  r["w"].value)
            self.graphs[r["w"].value].add(r["g"].value)
        dois: dict[str, str] = {}
        for r in q("SELECT ?w ?d WHERE { ?w <http://purl.org/ontology/bibo/doi> ?d }",
                   use_default_graph_as_union=True):
            dois[r["w"].value] = r["d"].value
        dates: dict[str, str] = {}
        for r in q(f"SELECT ?w ?d WHERE {{ ?w <{S}datePublished> ?d }}", use_default_graph_as_union=True):
            dates[r["w"].value] = r["d"].value
        for r in q(f"""SELECT ?g ?w ?t ?n WHERE {{ GRAPH ?g {{ ?w <{S}name> ?t ; <{PRO}isDocumentContextFor> ?a .
                       ?a <{S}position> 1 ; <{S}name> ?n }} }}"""):
            w = r["w"].value
            self.graphs[w].add(r["g"].value)
            key = (title_fingerprint(r["t"].value), name_key(r["n"].value))
            entry = (w, _year(dates.get(w)), dois.get(w))
            if entry not in self.by_title[key]:
                self.by_title[key].append(entry)

    def add(self, resolution: Resolution, graph: str) -> None:
        """Record the works of a source just resolved (built into ``graph``),
        so that later sources of the same run match them too."""
        for res in resolution.works:
            w = str(res.iri)
            self.graphs[w].add(graph)
            rec = res.work.record
            ids: dict[str, str] = {}
            for r in res.work.records:
                for k, v in r.identifiers.items():
                    ids.setdefault(k, v)
            for scheme in ID_SCHEMES:
                if ids.get(scheme):
                    v = ids[scheme].lower() if scheme == "doi" else ids[scheme]
                    self.by_id.setdefault(f"{scheme}:{v}", w)
            if rec.authors:
                key = (title_fingerprint(rec.title), name_key(rec.authors[0].name))
                entry = (w, _year(rec.date), ids.get("doi"))
                if entry not in self.by_title[key]:
                    self.by_title[key].append(entry)

    def authors_of(self, works: list[str]) -> dict[str, list[tuple[int, str, str]]]:
        """(position, printed name, person IRI) of the authors of ``works``."""
        out: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
        if self.store is None or not works:
            return out
        for i in range(0, len(works), 500):
            values = " ".join(f"<{w}>" for w in works[i:i + 500])
            for r in self.store.query(f"""SELECT DISTINCT ?w ?pos ?n ?p WHERE {{ VALUES ?w {{ {values} }}
                    ?w <{PRO}isDocumentContextFor> ?a . ?a <{S}position> ?pos ; <{S}name> ?n ; <{PRO}isHeldBy> ?p }}""",
                                      use_default_graph_as_union=True):
                out[r["w"].value].append((int(r["pos"].value), r["n"].value, r["p"].value))
        return out

    def people_graphs(self, people: list[str]) -> dict[str, set[str]]:
        """Graphs in which each of ``people`` is described."""
        out: dict[str, set[str]] = defaultdict(set)
        if self.store is None or not people:
            return out
        for i in range(0, len(people), 500):
            values = " ".join(f"<{p}>" for p in people[i:i + 500])
            for r in self.store.query(f"SELECT DISTINCT ?p ?g WHERE {{ VALUES ?p {{ {values} }} GRAPH ?g {{ ?p a ?t }} }}"):
                out[r["p"].value].add(r["g"].value)
        return out

    def match_work(self, work: Work) -> tuple[str, str] | None:
        """(IRI, why) of the stored work that is ``work``, or None."""
        rec = work.record
        ids: dict[str, str] = {}
        for r in work.records:
            for k, v in r.identifiers.items():
                ids.setdefault(k, v)
        for scheme in ID_SCHEMES:
            v = ids.get(scheme)
            if v:
                hit = self.by_id.get(f"{scheme}:{v.lower() if scheme == 'doi' else v}")
                if hit:
                    return hit, f"same {scheme} {v}"
        if not rec.authors:
            return None
        key = (title_fingerprint(rec.title), name_key(rec.authors[0].name))
        year, doi = _year(rec.date), ids.get("doi")
        for iri, y, d in self.by_title.get(key, []):
            if year and y and year != y:
                continue
            if doi and d and doi.lower() != d.lower():
                continue
            return iri, "same title and first author" + (f" and year {year}" if year and y else "")
        return None


def resolve(works: list[Work], iris: IRIs, scope: str, index: StoreIndex, graph: str) -> Resolution:
    """IRIs for the works and people of one source (``scope`` is its name and
    ``graph`` its graph IRI), matched against what ``index`` knows of the store."""
    out = Resolution(works=[])
    shared: list[str] = []
    for w in works:
        hit = index.match_work(w)
        if hit and (index.graphs.get(hit[0], set()) - {graph}):
            res = Resolved(work=w, iri=URIRef(hit[0]), matched=hit[1])
            out.works_merged += 1
            shared.append(hit[0])
        elif hit:  # this source's own earlier build: keep its IRI, not a merge
            res = Resolved(work=w, iri=URIRef(hit[0]))
            out.works_new += 1
        else:
            res = Resolved(work=w, iri=iris.work(w.key))
            out.works_new += 1
        out.works.append(res)

    # People: ORCID first, then one IRI per name within the source, reusing a
    # person of another source met on a shared work.
    orcids_by_name: dict[str, set[str]] = defaultdict(set)
    for w in works:
        for a in w.record.authors:
            if a.identifiers.get("orcid"):
                orcids_by_name[name_key(a.name)].add(a.identifiers["orcid"])
    existing = index.authors_of(shared)
    by_name: dict[str, str] = {}
    for res in out.works:
        if not res.matched:
            continue
        theirs = existing.get(str(res.iri), [])
        for pos, a in enumerate(res.work.record.authors, start=1):
            if a.identifiers.get("orcid") or a.is_organization:
                continue
            k = name_key(a.name)
            fam_init = _initial_key(a.name)
            for their_pos, their_name, their_iri in theirs:
                same = name_key(their_name) == k or (their_pos == pos and _initial_key(their_name) == fam_init)
                if same and their_iri.startswith(iris.base + "person/"):
                    if k in by_name and by_name[k] != their_iri:
                        out.problems.append(Problem(res.work.record.source, res.work.record.line,
                                                    f"{a.name!r} matches two people of other sources; kept the first"))
                    by_name.setdefault(k, their_iri)
                    break

    def person_iri(a: Person) -> URIRef:
        orcid = a.identifiers.get("orcid")
        if orcid:
            return iris.person(f"orcid:{orcid}")
        k = name_key(a.name)
        if a.is_organization:
            return iris.person(f"org:{scope}:{k}")
        candidates = orcids_by_name.get(k, set())
        if len(candidates) == 1:  # the same name with one ORCID in this source
            return iris.person(f"orcid:{next(iter(candidates))}")
        if k in by_name:
            return URIRef(by_name[k])
        return iris.person(f"name:{scope}:{k}")

    people: set[str] = set()
    for res in out.works:
        res.authors = [person_iri(a) for a in res.work.record.authors]
        people.update(str(p) for p in res.authors)
    where = index.people_graphs(sorted(people))
    out.people_merged = sum(1 for p in people if where.get(p, set()) - {graph})
    out.people_new = len(people) - out.people_merged
    return out


__all__ = ["Resolved", "Resolution", "StoreIndex", "resolve"]
