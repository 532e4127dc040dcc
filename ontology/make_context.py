"""Regenerate ontology/context.jsonld from the pinned schema.org context.

Usage: python ontology/make_context.py ../shared/data/vocab/schemaorg-30.0-context.jsonld

The result is the schema.org 30.0 context (http://schema.org/ terms) plus the
prefixes and the few terms kg adds (Dublin Core terms, PRO, BIBO, PROV, VoID,
kg's vocabulary). Dates keep their XSD datatypes (xsd:date, xsd:gYearMonth,
xsd:gYear), so ``datePublished`` drops the context's ``@type: Date`` coercion.
kg's IRI-valued non-schema.org properties are declared ``@type: @id`` so that
compact JSON-LD writes their values as plain strings (JSON-LD 1.1 §4.2.2).
"""
import json
import sys
from pathlib import Path

EXTRA_PREFIXES = {
    "bibo": "http://purl.org/ontology/bibo/",
    "pro": "http://purl.org/spar/pro/",
    "void": "http://rdfs.org/ns/void#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "sd": "http://www.w3.org/ns/sparql-service-description#",
    "sssom": "https://w3id.org/sssom/",
    "kgv": "https://w3id.org/kg/vocab#",
}
# Second prefixes for namespaces that already have one: compaction would pick
# either; kg writes dcterms: everywhere.
DROP = ["dct"]
# Terms whose schema.org coercion would not match kg's literals.
OVERRIDES = {
    "datePublished": {"@id": "schema:datePublished"},
    "dateCreated": {"@id": "schema:dateCreated"},
    "dateModified": {"@id": "schema:dateModified"},
}
# kg's own terms: properties whose values are IRIs (compact IRIs when a prefix
# fits, e.g. "pro:author"), keyed by their compact IRI so no schema.org term is
# shadowed.
EXTRA_TERMS = {
    term: {"@id": term, "@type": "@id"}
    for term in ("dcterms:creator", "dcterms:source", "pro:isDocumentContextFor", "pro:isHeldBy",
                 "pro:withRole", "prov:wasDerivedFrom")
}


def build(src: str) -> dict:
    """The context dict built from the schema.org context file ``src``."""
    ctx = json.loads(Path(src).read_text(encoding="utf-8"))["@context"]
    for k, v in EXTRA_PREFIXES.items():
        ctx.setdefault(k, v)
    ctx.update(OVERRIDES)
    ctx.update(EXTRA_TERMS)
    for alias in DROP:
        ctx.pop(alias, None)
    return ctx


def main(src: str) -> None:
    ctx = build(src)
    out = Path(__file__).with_name("context.jsonld")
    out.write_text(json.dumps({"@context": ctx}, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out} ({len(ctx)} entries)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/vocab/schemaorg-30.0-context.jsonld")
