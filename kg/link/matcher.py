"""Matching works that share no identifier: blocking, then scoring.

Input: the graph's works and another graph's records, both as
:class:`~kg.record.Record`. Output: for each work, its best candidate with a
confidence in [0, 1] and a justification.

Blocking (no all-pairs comparison): each external record is indexed under
the rarest words of its normalised title and under its first author's family
name; a work is compared only with the records sharing one of its own three
rarest title words or its first author's family name.

Scoring (rapidfuzz): title similarity (a title cut short by a listing's "see
more" button compares as a prefix), overlap of author family names, and year
agreement, weighted 0.55 / 0.30 / 0.15 (without a year on both sides, title
and authors alone, re-weighted); a title similarity below 0.8 caps the
confidence at 0.5 so that authors and year alone never make a match.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from rapidfuzz import fuzz

from kg.clean import fold, name_key
from kg.record import Person, Record

_STOP = frozenset("""a an the of for and or in on with to from by via at as is are we our its into using
towards toward under over between through without new based learning""".split())
WEIGHTS = (0.55, 0.30, 0.15)


def family(person: Person) -> str:
    """Folded family name of a person (the last name token when not given)."""
    if person.family:
        return fold(person.family).replace(" ", "")
    parts = name_key(person.name).split()
    return parts[-1] if parts else ""


def initials(person: Person) -> str:
    parts = name_key(person.given or person.name).split()
    return parts[0][:1] if parts else ""


def compatible_names(a: Person, b: Person) -> bool:
    """Same family name (or one the last part of the other: ``Obando Ceron``
    ~ ``Ceron``) and compatible first initial (``J. Smith`` ~ ``John Smith``),
    diacritics, case and hyphens ignored."""
    fa, fb = family(a), family(b)
    if not fa or not fb or not (fa == fb or (min(len(fa), len(fb)) >= 3 and (fa.endswith(fb) or fb.endswith(fa)))):
        return False
    ia, ib = initials(a), initials(b)
    return not ia or not ib or ia == ib


@dataclass
class Candidate:
    """A scored pair: ``work`` of the graph, ``other`` an external record."""

    work: int
    other: int
    confidence: float
    title: float
    authors: float
    year: float

    def justification(self) -> str:
        return (f"title similarity {self.title:.2f}, author family names overlap {self.authors:.2f}, "
                f"year agreement {self.year:.2f}")


class Matcher:
    """An index of external records for matching (see the module docstring)."""

    def __init__(self, others: list[Record]):
        self.others = others
        self.fp = [fold(r.title) for r in others]
        self.tokens = [[t for t in fp.split() if t not in _STOP and len(t) > 2] for fp in self.fp]
        self.df: dict[str, int] = defaultdict(int)
        for toks in self.tokens:
            for t in set(toks):
                self.df[t] += 1
        self.by_token: dict[str, list[int]] = defaultdict(list)
        self.by_family: dict[str, list[int]] = defaultdict(list)
        for i, toks in enumerate(self.tokens):
            for t in sorted(set(toks), key=lambda t: (self.df[t], t))[:4]:
                self.by_token[t].append(i)
            if others[i].authors:
                self.by_family[family(others[i].authors[0])].append(i)
        self.families = [{family(a) for a in r.authors if family(a)} for r in others]

    def block(self, work: Record) -> set[int]:
        """Indexes of the external records worth scoring against ``work``."""
        fp = fold(work.title)
        toks = [t for t in fp.split() if t not in _STOP and len(t) > 2]
        rare = sorted(set(toks), key=lambda t: (self.df.get(t, 0), t))[:3]
        out: set[int] = set()
        for t in rare:
            out.update(self.by_token.get(t, ()))
        if work.authors:
            out.update(self.by_family.get(family(work.authors[0]), ()))
        return out

    def score(self, work: Record, i: int) -> Candidate:
        a, b = fold(work.title), self.fp[i]
        title = fuzz.ratio(a, b) / 100
        short, long_ = sorted((a, b), key=len)
        if len(short) >= 20 and len(short) < len(long_) and long_.startswith(short[: max(10, len(short) - 3)]):
            title = max(title, fuzz.partial_ratio(short, long_[: len(short) + 2]) / 100)  # a title cut short
        fams = {family(p) for p in work.authors if family(p)}
        theirs = self.families[i]
        authors = _overlap(fams, theirs) if fams and theirs else 0.5
        ya, yb = (work.date or "")[:4], (self.others[i].date or "")[:4]
        if ya and yb:
            year = 1.0 if ya == yb else 0.7 if abs(int(ya) - int(yb)) == 1 else 0.0
            confidence = WEIGHTS[0] * title + WEIGHTS[1] * authors + WEIGHTS[2] * year
        else:  # an unknown year is no evidence either way: weigh the rest
            year = 0.5
            confidence = (WEIGHTS[0] * title + WEIGHTS[1] * authors) / (WEIGHTS[0] + WEIGHTS[1])
        if title < 0.8:
            confidence = min(confidence, 0.5)
        return Candidate(work=-1, other=i, confidence=round(confidence, 4), title=title, authors=authors, year=year)

    def best(self, work: Record, floor: float = 0.5) -> Candidate | None:
        """The best-scoring external record for ``work`` (None below ``floor``)."""
        best: Candidate | None = None
        for i in self.block(work):
            c = self.score(work, i)
            if c.confidence >= floor and (best is None or c.confidence > best.confidence):
                best = c
        return best


def _overlap(ours: set[str], theirs: set[str]) -> float:
    """Share of the shorter list's family names found in the other list (a
    listing may print only the first authors); a two-part family name matches
    its last part (``obandoceron`` ~ ``ceron``)."""
    def same(a: str, b: str) -> bool:
        return a == b or (min(len(a), len(b)) >= 3 and (a.endswith(b) or b.endswith(a)))
    short, other = sorted((ours, theirs), key=len)
    return sum(1 for a in short if any(same(a, b) for b in other)) / len(short)


def align_authors(work: Record, other: Record) -> list[tuple[int, int]]:
    """(position in ``work``, position in ``other``), from 0, of authors at
    the same position with compatible names: person links follow work links,
    never on name alone."""
    return [(i, i) for i, (a, b) in enumerate(zip(work.authors, other.authors)) if compatible_names(a, b)]
