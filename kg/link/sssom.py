"""Mapping records in the SSSOM vocabulary (Simple Standard for Sharing
Ontological Mappings, https://w3id.org/sssom/), as RDF and as SSSOM/TSV.

A record says: ``subject`` (a kg work or person) ``predicate``
(``skos:exactMatch``) ``object`` (an external IRI), with a confidence, a
justification (SEMAPV term) and a human-readable comment. In RDF it is an
``owl:Axiom`` (the SSSOM RDF shape) with an IRI of its own, plus the direct
triple ``subject skos:exactMatch object`` for simple queries.
"""
from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rdflib import Literal, Namespace, URIRef
from rdflib.namespace import OWL, RDF, SKOS, XSD

from kg.namespaces import SCHEMA

SSSOM = Namespace("https://w3id.org/sssom/")
SEMAPV = Namespace("https://w3id.org/semapv/vocab/")
CURIES = {"skos": str(SKOS), "semapv": str(SEMAPV), "schema": str(SCHEMA), "sssom": str(SSSOM)}


@dataclass
class Mapping:
    """One mapping record. ``justification`` is a SEMAPV term name
    (``LexicalMatching``, ``DatabaseCrossReference``, ``ManualMappingCuration``)."""

    subject: str
    object: str
    confidence: float
    justification: str
    comment: str = ""
    predicate: str = str(SKOS.exactMatch)
    subject_label: str = ""
    object_label: str = ""
    same_as: tuple[str, ...] = ()  # identifier IRIs the match brings (schema:sameAs)


def mapping_triples(m: Mapping, graph: str, when: date | None = None) -> Iterator[tuple]:
    """Triples of a mapping record in ``graph`` (the links graph)."""
    when = when or date.today()
    key = hashlib.sha256(f"{m.subject} {m.predicate} {m.object}".encode()).hexdigest()[:16]
    node = URIRef(f"{graph}/mapping/{key}")
    s, o = URIRef(m.subject), URIRef(m.object)
    yield node, RDF.type, OWL.Axiom
    yield node, RDF.type, SSSOM.Mapping
    yield node, OWL.annotatedSource, s
    yield node, OWL.annotatedProperty, URIRef(m.predicate)
    yield node, OWL.annotatedTarget, o
    yield node, SSSOM.confidence, Literal(f"{m.confidence:.4f}", datatype=XSD.double)
    yield node, SSSOM.mapping_justification, SEMAPV[m.justification]
    yield node, SSSOM.mapping_date, Literal(when.isoformat(), datatype=XSD.date)
    if m.comment:
        yield node, SSSOM.comment, Literal(m.comment)
    yield s, URIRef(m.predicate), o
    for iri in m.same_as:
        yield s, SCHEMA.sameAs, URIRef(iri)


TSV_COLUMNS = ["subject_id", "subject_label", "predicate_id", "predicate_modifier", "object_id", "object_label",
               "mapping_justification", "confidence", "comment"]


def _curie(iri: str) -> str:
    for prefix, ns in CURIES.items():
        if iri.startswith(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def _expand(curie: str) -> str:
    prefix, _, rest = curie.partition(":")
    return CURIES[prefix] + rest if prefix in CURIES and not rest.startswith("//") else curie


def write_tsv(mappings: Iterable[Mapping], path: Path) -> int:
    """Write mapping candidates as SSSOM/TSV (a ``#`` YAML metadata block,
    then one row per mapping) for a person to review.

    :returns: the number of rows.
    """
    n = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("# curie_map:\n" + "".join(f"#   {k}: {v}\n" for k, v in CURIES.items()))
        f.write("# mapping_set_id: kg-link-candidates\n# license: https://creativecommons.org/publicdomain/zero/1.0/\n")
        f.write("# To accept a row keep it; to reject it set predicate_modifier to Not or delete it.\n")
        w = csv.DictWriter(f, TSV_COLUMNS, delimiter="\t", lineterminator="\n")
        w.writeheader()
        for m in mappings:
            w.writerow({"subject_id": m.subject, "subject_label": m.subject_label, "predicate_id": _curie(m.predicate),
                        "predicate_modifier": "", "object_id": m.object, "object_label": m.object_label,
                        "mapping_justification": _curie(str(SEMAPV[m.justification])),
                        "confidence": f"{m.confidence:.4f}", "comment": m.comment})
            n += 1
    return n


class TSVError(ValueError):
    """A reviewed SSSOM/TSV file that cannot be read (file and line named)."""


def read_reviewed(path: Path) -> list[Mapping]:
    """Accepted mappings of a reviewed SSSOM/TSV file: rows kept without the
    ``Not`` predicate modifier, recorded as manual curation.

    :raises TSVError: missing columns or a bad confidence, naming the line.
    """
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]
    reader = csv.DictReader(lines, delimiter="\t")
    missing = {"subject_id", "predicate_id", "object_id"} - set(reader.fieldnames or [])
    if missing:
        raise TSVError(f"{path}: missing SSSOM column(s): {', '.join(sorted(missing))}")
    out = []
    for n, row in enumerate(reader, start=2):
        if (row.get("predicate_modifier") or "").strip() == "Not":
            continue
        try:
            confidence = float(row.get("confidence") or 1.0)
        except ValueError:
            raise TSVError(f"{path}: row {n}: confidence {row.get('confidence')!r} is not a number") from None
        out.append(Mapping(subject=row["subject_id"].strip(), object=row["object_id"].strip(),
                           predicate=_expand(row["predicate_id"].strip()), confidence=confidence,
                           justification="ManualMappingCuration",
                           comment=(row.get("comment") or "").strip() or "accepted by a reviewer"))
    return out
