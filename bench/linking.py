"""Precision and recall of kg's record linking (issue 5 §5).

One command:  .venv/bin/python bench/linking.py

1. Take the 124 paperoni papers (../shared/data/paperoni), whose DOI, arXiv and
   dblp ids are known; strip every identifier and perturb the titles the way
   listings do (case, punctuation, typographic quotes, a "… (voir plus)" cut
   removed by the listing reader), keeping authors and year.
2. Build them into a fresh store with kg's pipeline (merge, identity, mapping).
3. Link the store's works against a pool of the original paperoni records plus
   the cmlbib BibTeX entries as distractors, with kg.link.run.match_against
   (the perturbed records go in as CSL-JSON, so that only the linking is
   measured, not the listing reader).
4. A work link is correct when the pool record it points to is the same paper:
   the original record, or a pool record with the same DOI or arXiv id. A person
   link is correct when its work link is, and the pool author at that position
   is the original author (same normalised name).
Prints precision and recall for works, precision for people, the time, and
every error. Targets: works precision >= 0.99, recall >= 0.95; people
precision >= 0.99; under 30 s.
"""
from __future__ import annotations

import json
import random
import re
import sys
import tempfile
import time
from pathlib import Path

from kg.build import Builder
from kg.clean import name_key
from kg.link.run import graph_works, match_against, read_external
from kg.record import Record
from kg.sources import read_source
from kg.store import open_read_only

DATA = Path(__file__).resolve().parents[2] / "shared/data"
QUOTES = str.maketrans({"'": "\u2019", '"': "\u201c"})


def perturb(title: str, rng: random.Random) -> str:
    """A title as a scraped listing might show it."""
    kind = rng.choice(["lower", "upper-words", "punct", "quotes", "cut", "cut", "none"])
    if kind == "lower":
        return title.lower()
    if kind == "upper-words":
        return title.title()
    if kind == "punct":
        return re.sub(r"[:,;.!?()\-]", " ", title)
    if kind == "quotes":
        return title.translate(QUOTES).replace("-", "\u2013")
    if kind == "cut" and len(title) > 40:
        cut = rng.randint(int(len(title) * 0.55), len(title) - 5)
        return title[:cut] + "\u2026 (voir plus)"  # the listing reader removes the label
    return title


def perturbed_items(records: list[Record], rng: random.Random) -> list[dict]:
    """CSL-JSON items of the perturbed records: no identifiers; a cut title is
    what the listing reader keeps once it removes the "(voir plus)" label."""
    items = []
    for i, r in enumerate(records):
        title = perturb(r.title, rng).replace("\u2026 (voir plus)", "")
        item = {"id": f"p{i}", "type": "paper-conference", "title": title,
                "author": [{"given": a.given, "family": a.family} if a.family else {"literal": a.name}
                           for a in r.authors]}
        if r.date:
            item["issued"] = {"date-parts": [[int(r.date[:4])]]}
        items.append(item)
    return items


def main() -> int:
    rng = random.Random(20261130)
    paperoni = DATA / "paperoni/mila-selected-papers.json"
    _, originals = read_source(paperoni)
    papers = originals.records
    bibs = sorted((DATA / "bibtex/cmlbib").glob("*/*.bib"))
    with tempfile.TemporaryDirectory() as tmp:
        items = perturbed_items(papers, rng)
        source = Path(tmp) / "perturbed.json"
        source.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
        store_path = Path(tmp) / "store"
        with Builder(store_path, base_iri="https://kg.example.org/") as b:
            report = b.build(source)
        started = time.perf_counter()
        store = open_read_only(store_path)
        works = graph_works(store)
        pool, _ = read_external([paperoni, *bibs])
        result = match_against(works, pool)
        seconds = time.perf_counter() - started
        # gold: each work's paper, by the item it was built from (dcterms:source <graph#item-N>)
        gold: dict[str, Record] = {}
        for row in store.query("SELECT ?w ?src WHERE { ?w <http://purl.org/dc/terms/source> ?src }",
                               use_default_graph_as_union=True):
            n = int(row["src"].value.rsplit("item-", 1)[1])
            gold[row["w"].value] = papers[n - 1]

    def same_paper(target: Record, truth: Record) -> bool:
        original = target.source == truth.source and target.locator == truth.locator
        ids = lambda r: {(k, v.lower()) for k, v in r.identifiers.items() if k in ("doi", "arxiv")}
        return original or bool(ids(target) & ids(truth))

    correct = wrong = 0
    errors = []
    work_links = {m.subject: m for m in result.links if m.subject in result.matched}
    for iri, idx in result.matched.items():
        target, truth = pool[idx], gold.get(iri)
        ok = truth is not None and same_paper(target, truth)
        correct += ok
        wrong += not ok
        if not ok:
            errors.append(f"WRONG  {work_links[iri].subject_label[:70]!r} -> {target.title[:70]!r} "
                          f"({target.source.rsplit('/', 1)[-1]} {target.locator}; {work_links[iri].comment})")
    for iri, truth in gold.items():
        if iri not in result.matched:
            cand = next((m for m in result.candidates if m.subject == iri), None)
            why = f"best candidate {cand.confidence:.2f}: {cand.comment}" if cand else "no candidate"
            errors.append(f"MISSED {truth.title[:80]!r} ({why})")
    p_correct = p_total = 0
    for m in result.links:
        if m.subject in result.matched:
            continue
        p_total += 1
        work_iri = m.comment.split("(")[1].split(")")[0]
        idx, truth = result.matched.get(work_iri), gold.get(work_iri)
        if idx is None or truth is None:
            continue
        names_ok = any(name_key(a.name) == name_key(m.object_label) for a in truth.authors)
        p_correct += same_paper(pool[idx], truth) and names_ok
    linked = correct + wrong
    print(f"works: {len(works)} in the graph ({report.records} records), pool {len(pool)} records")
    print(f"work links: {linked}; correct {correct}; precision {correct / linked if linked else 0:.3f}; "
          f"recall {correct / len(gold):.3f} (of {len(gold)})")
    print(f"person links: {p_total}; correct {p_correct}; precision {p_correct / p_total if p_total else 0:.3f}")
    print(f"candidates below the threshold (for review): {len(result.candidates)}")
    print(f"time: {seconds:.1f} s (reading the pool, indexing, matching)")
    for e in errors:
        print(e)
    return 0


if __name__ == "__main__":
    sys.exit(main())
