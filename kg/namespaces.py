"""RDF namespaces used by kg (DESIGN.md §3).

schema.org is declared with ``http://`` as its official JSON-LD context and
Wikidata do; rdflib's built-in ``SDO`` uses ``https://`` and is not used.
"""
from rdflib import Namespace
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, VOID, XSD

SCHEMA = Namespace("http://schema.org/")
BIBO = Namespace("http://purl.org/ontology/bibo/")
PRO = Namespace("http://purl.org/spar/pro/")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
SSSOM = Namespace("https://w3id.org/sssom/")
#: kg's own small vocabulary (ontology/kg.ttl): only what no standard term says.
KGV = Namespace("https://w3id.org/kg/vocab#")

PREFIXES: dict[str, str] = {
    "schema": str(SCHEMA),
    "dcterms": str(DCTERMS),
    "bibo": str(BIBO),
    "pro": str(PRO),
    "prov": str(PROV),
    "void": str(VOID),
    "sd": str(SD),
    "xsd": str(XSD),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "kgv": str(KGV),
    "sh": "http://www.w3.org/ns/shacl#",
}

DEFAULT_BASE_IRI = "https://kg.example.org/"

__all__ = ["SCHEMA", "BIBO", "PRO", "SD", "SKOS", "SSSOM", "KGV", "DCTERMS", "PROV", "RDF", "RDFS",
           "VOID", "XSD", "PREFIXES", "DEFAULT_BASE_IRI"]
