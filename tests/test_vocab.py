"""Every schema.org term kg emits exists in schema.org 30.0 and is used on a type
in its domain.

The vocabulary is the pinned release in ../shared/data/vocab/ (the http://
flavour). The data is what kg really writes: the seed listing and every other
kind of source (paperoni, OpenAlex, Crossref, BibTeX) built with `kg build`,
the meta graph's descriptions, and the endpoint's service description. A
class counts with its superclasses (ScholarlyArticle is a CreativeWork); a
property without domainIncludes takes its super-property's.
"""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import run_kg

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
VOCAB = SHARED / "vocab" / "schemaorg-30.0-current-http.ttl"
SCHEMA = "http://schema.org/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SOURCES = [
    SHARED / "paperoni" / "mila-selected-papers.json",
    SHARED / "external" / "openalex" / "W2741809807.json",
    SHARED / "external" / "crossref" / "name-suffix.json",
    SHARED / "external" / "crossref" / "single-name-authors.json",
    SHARED / "bibtex" / "cmlbib" / "icml" / "icml2015.bib",
]


class Vocabulary:
    """schema.org classes, properties, their hierarchy and domains."""

    def __init__(self, path: Path):
        st = ox.Store()
        st.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE)
        self.classes = {q.subject.value for q in st.quads_for_pattern(None, RDF_TYPE, ox.NamedNode(RDFS + "Class"))}
        self.properties = {q.subject.value for q in st.quads_for_pattern(
            None, RDF_TYPE, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#Property"))}
        self.superseded = {q.subject.value: q.object.value for q in st.quads_for_pattern(
            None, ox.NamedNode(SCHEMA + "supersededBy"), None)}
        self.parents: dict[str, set[str]] = defaultdict(set)
        for q in st.quads_for_pattern(None, ox.NamedNode(RDFS + "subClassOf"), None):
            self.parents[q.subject.value].add(q.object.value)
        self.super_properties: dict[str, set[str]] = defaultdict(set)
        for q in st.quads_for_pattern(None, ox.NamedNode(RDFS + "subPropertyOf"), None):
            self.super_properties[q.subject.value].add(q.object.value)
        self.domains: dict[str, set[str]] = defaultdict(set)
        for q in st.quads_for_pattern(None, ox.NamedNode(SCHEMA + "domainIncludes"), None):
            self.domains[q.subject.value].add(q.object.value)

    def ancestors(self, cls: str) -> set[str]:
        """``cls`` and all its superclasses."""
        out, todo = set(), [cls]
        while todo:
            c = todo.pop()
            if c not in out:
                out.add(c)
                todo.extend(self.parents.get(c, ()))
        return out

    def domain(self, prop: str) -> set[str]:
        """domainIncludes of ``prop``, else of its nearest super-properties."""
        todo, seen = [prop], set()
        while todo:
            p = todo.pop(0)
            if p in seen:
                continue
            seen.add(p)
            if self.domains.get(p):
                return self.domains[p]
            todo.extend(self.super_properties.get(p, ()))
        return set()


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    assert VOCAB.is_file(), f"the pinned schema.org vocabulary is missing: {VOCAB}"
    return Vocabulary(VOCAB)


@pytest.fixture(scope="module")
def emitted(tmp_path_factory) -> ox.Store:
    """Everything kg writes for every kind of source, plus the endpoint's
    service description, in one in-memory store."""
    path = tmp_path_factory.mktemp("vocab") / "store"
    missing = [str(s) for s in SOURCES if not s.is_file()]
    assert not missing, f"shared test data missing: {missing}"
    r = run_kg("build", "--seed", *map(str, SOURCES), "--store", str(path), timeout=600)
    assert r.returncode == 0, r.stderr
    built = ox.Store.read_only(str(path))
    st = ox.Store()
    st.extend(built.quads_for_pattern(None, None, None, None))
    from kg.web.servicedesc import service_description

    counts = {g.value: 1 for g in built.named_graphs()}
    sd = ox.NamedNode("urn:kg:test:service-description")
    st.extend(ox.Quad(t.subject, t.predicate, t.object, sd)
              for t in service_description("http://127.0.0.1:8000/sparql", counts, update=False))
    return st


def _types(st: ox.Store, s) -> set[str]:
    return {q.object.value for q in st.quads_for_pattern(s, RDF_TYPE, None)}


def _uses(st: ox.Store) -> tuple[dict, set[str]]:
    """(schema.org property -> {frozenset(subject types) -> example subject},
    schema.org classes used as rdf:type)."""
    uses: dict[str, dict[frozenset, str]] = defaultdict(dict)
    classes: set[str] = set()
    types_of: dict = {}
    for q in st.quads_for_pattern(None, None, None, None):
        p = q.predicate.value
        if q.predicate == RDF_TYPE and isinstance(q.object, ox.NamedNode) and q.object.value.startswith(SCHEMA):
            classes.add(q.object.value)
        if p.startswith(SCHEMA):
            if q.subject not in types_of:
                types_of[q.subject] = frozenset(_types(st, q.subject))
            uses[p].setdefault(types_of[q.subject], q.subject.value)
    return uses, classes


def _short(iri: str) -> str:
    for prefix, ns in (("schema:", SCHEMA), ("pro:", "http://purl.org/spar/pro/"),
                       ("prov:", "http://www.w3.org/ns/prov#"), ("sh:", "http://www.w3.org/ns/shacl#"),
                       ("void:", "http://rdfs.org/ns/void#"), ("sd:", "http://www.w3.org/ns/sparql-service-description#")):
        if iri.startswith(ns):
            return prefix + iri[len(ns):]
    return f"<{iri}>"


def test_the_data_uses_schema_org_at_all(emitted):
    uses, classes = _uses(emitted)
    assert {SCHEMA + "ScholarlyArticle", SCHEMA + "Person", SCHEMA + "PropertyValue"} <= classes
    assert {SCHEMA + "name", SCHEMA + "author", SCHEMA + "abstract", SCHEMA + "sameAs",
            SCHEMA + "identifier", SCHEMA + "datePublished"} <= set(uses)


def test_every_schema_org_term_exists(vocab, emitted):
    uses, classes = _uses(emitted)
    unknown = sorted(_short(p) for p in uses if p not in vocab.properties)
    unknown += sorted(_short(c) for c in classes if c not in vocab.classes)
    assert not unknown, f"terms kg emits that schema.org 30.0 does not define: {', '.join(unknown)}"
    superseded = sorted(f"{_short(t)} (use {_short(vocab.superseded[t])})"
                        for t in [*uses, *classes] if t in vocab.superseded)
    assert not superseded, f"superseded schema.org terms: {', '.join(superseded)}"


def test_every_schema_org_property_is_used_in_its_domain(vocab, emitted):
    uses, _ = _uses(emitted)
    failures = []
    for prop, by_types in sorted(uses.items()):
        domain = vocab.domain(prop)
        for types, example in sorted(by_types.items(), key=lambda kv: sorted(kv[0])):
            closure = set().union(*(vocab.ancestors(t) for t in types)) if types else set()
            if domain and not (closure & domain):
                on = " + ".join(sorted(map(_short, types))) or "an untyped node"
                failures.append(f"{_short(prop)} on {on} (e.g. <{example}>); its domain is "
                                f"{', '.join(sorted(map(_short, domain)))}")
    assert not failures, "schema.org properties used outside their domain:\n  " + "\n  ".join(failures)


def test_the_shipped_context_maps_every_emitted_term(emitted):
    """Compact JSON-LD can only be compact if the context knows the terms."""
    ctx = json.loads((Path(__file__).resolve().parents[1] / "ontology" / "context.jsonld").read_text())["@context"]
    known = {v["@id"] if isinstance(v, dict) else v for v in ctx.values() if isinstance(v, (dict, str))}
    known = {SCHEMA + k.split(":", 1)[1] if k.startswith("schema:") else k for k in known}
    uses, classes = _uses(emitted)
    missing = sorted(_short(t) for t in [*uses, *classes] if t not in known)
    assert not missing, f"terms without a definition in ontology/context.jsonld: {', '.join(missing)}"
