"""Normalising and validating external identifiers.

idutils (inveniosoftware) recognises DOIs, arXiv ids, ORCIDs (with the
ISO 7064 MOD 11-2 checksum), OpenAlex and Wikidata ids. Its gaps, handled
here: DOIs keep their case (DOIs are case-insensitive, DOI Handbook §2.4, so
kg lower-cases them); resolver URLs of arXiv are not recognised; the arXiv
version is kept in the id; DataCite's arXiv DOIs (``10.48550/arXiv.…``) are
written in mixed case; dblp keys have no checker.

Each ``normalize_*`` returns the canonical form or raises :class:`InvalidId`.
"""
from __future__ import annotations

import re

import idutils


class InvalidId(ValueError):
    """An identifier that does not have its scheme's form (or checksum)."""


_DOI_PREFIX = re.compile(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/|info:doi/)", re.I)
_ARXIV_PREFIX = re.compile(r"^(?:arxiv:\s*|https?://(?:www\.)?arxiv\.org/(?:abs|pdf)/)", re.I)
_ARXIV_NEW = re.compile(r"^(\d{4}\.\d{4,5})(v\d+)?(?:\.pdf)?$")
_ARXIV_OLD = re.compile(r"^([a-z\-]+(?:\.[A-Z]{2})?/\d{7})(v\d+)?(?:\.pdf)?$")
_DBLP_REC = re.compile(r"^(?:journals|conf|books|phd|series|reference|tr|persons|ms|www|homepages|informal)/[\w.\-]+(?:/[\w.\-]+)+$")
_DBLP_PID = re.compile(r"^\d+/\d+(?:-\d+)?$|^[a-z]/[\w\-]+$")
_OPENALEX = re.compile(r"^(?:https?://openalex\.org/)?([WAISCPFT]\d{2,})$", re.I)
_WIKIDATA = re.compile(r"^(?:https?://www\.wikidata\.org/(?:wiki|entity)/)?(Q[1-9]\d*)$")


def normalize_doi(value: str) -> str:
    """Bare lower-case DOI (``10.xxxx/…``) from a DOI, ``doi:`` form or resolver
    URL. DataCite arXiv DOIs with an ``arXiv:`` suffix are repaired to
    ``10.48550/arxiv.NNNN.NNNNN``.

    :raises InvalidId: not a DOI.
    """
    v = _DOI_PREFIX.sub("", value.strip()).strip()
    v = re.sub(r"(?i)^(10\.48550/)arxiv:", r"\1arxiv.", v)
    if not v.startswith("10.") or not idutils.is_doi(v) or " " in v:
        raise InvalidId(f"not a DOI: {value!r}")
    return v.lower()


def normalize_arxiv(value: str) -> tuple[str, str | None]:
    """(arXiv id without version, version such as ``v2`` or None) from an id,
    ``arXiv:`` form, abs/pdf URL, or arXiv DOI.

    :raises InvalidId: not an arXiv id.
    """
    v = value.strip()
    m = re.match(r"(?i)^(?:https?://(?:dx\.)?doi\.org/)?10\.48550/arxiv\.(.+)$", v)
    if m:
        v = m.group(1)
    v = _ARXIV_PREFIX.sub("", v)
    m = _ARXIV_NEW.match(v) or _ARXIV_OLD.match(v)
    if not m or not idutils.is_arxiv(m.group(1)):
        raise InvalidId(f"not an arXiv id: {value!r}")
    return m.group(1), m.group(2)


def normalize_orcid(value: str) -> str:
    """ORCID iD ``0000-0000-0000-000X`` from a bare id or orcid.org URL, with
    its ISO 7064 MOD 11-2 check digit verified.

    :raises InvalidId: wrong form or wrong check digit.
    """
    v = value.strip()
    if not idutils.is_orcid(v):
        raise InvalidId(f"not a valid ORCID iD (form or check digit): {value!r}")
    return idutils.normalize_orcid(v).upper()


def normalize_openalex(value: str) -> str:
    """OpenAlex id such as ``W2741809807`` (from an id or openalex.org URL).

    :raises InvalidId: wrong form.
    """
    m = _OPENALEX.match(value.strip())
    if not m:
        raise InvalidId(f"not an OpenAlex id: {value!r}")
    return m.group(1).upper()


def normalize_wikidata(value: str) -> str:
    """Wikidata item id ``Q…`` (from an id or wikidata.org URL).

    :raises InvalidId: wrong form.
    """
    m = _WIKIDATA.match(value.strip())
    if not m:
        raise InvalidId(f"not a Wikidata item id: {value!r}")
    return m.group(1)


def _dblp(value: str, kind: str, pattern: re.Pattern[str], what: str) -> str:
    v = re.sub(rf"^https?://dblp\.(?:org|uni-trier\.de)/{kind}/(?:bibtex/)?", "", value.strip())
    v = re.sub(r"\.(?:html|xml|bib)$", "", v)
    if not pattern.match(v):
        raise InvalidId(f"not a dblp {what}: {value!r}")
    return v


def normalize_dblp(value: str) -> str:
    """dblp record key (``conf/acl/DongLRC19``) from a key or dblp URL.

    :raises InvalidId: wrong form.
    """
    return _dblp(value, "rec", _DBLP_REC, "record key")


def normalize_dblp_pid(value: str) -> str:
    """dblp person id (``95/7233``, ``b/YoshuaBengio``) from an id or URL.

    :raises InvalidId: wrong form.
    """
    return _dblp(value, "pid", _DBLP_PID, "person id")


_SIMPLE = {
    "semantic_scholar": re.compile(r"^[0-9a-f]{40}$|^\d+$"),
    "openreview": re.compile(r"^~?\S+$"),
}

NORMALIZERS = {
    "doi": normalize_doi,
    "orcid": normalize_orcid,
    "openalex": normalize_openalex,
    "wikidata": normalize_wikidata,
    "dblp": normalize_dblp,
    "dblp_pid": normalize_dblp_pid,
}


def normalize(scheme: str, value: str) -> str:
    """Canonical form of ``value`` in ``scheme`` (doi, arxiv, orcid, openalex,
    wikidata, dblp, dblp_pid, semantic_scholar, openreview).

    :raises InvalidId: the value does not fit the scheme.
    :raises KeyError: unknown scheme.
    """
    if scheme == "arxiv":
        return normalize_arxiv(value)[0]
    if scheme in NORMALIZERS:
        return NORMALIZERS[scheme](value)
    pattern = _SIMPLE[scheme]
    v = value.strip()
    if not pattern.match(v):
        raise InvalidId(f"not a valid {scheme} id: {value!r}")
    return v
