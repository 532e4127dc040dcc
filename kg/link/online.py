"""Online sources for linking, off by default (``kg link --online``).

Adapters look a work up by title in the OpenAlex API, the Crossref REST API,
dblp's publication search API and the Wikidata Query Service (scholarly
articles are on its scholarly endpoint), and return :class:`~kg.record.Record`
objects for :func:`kg.link.run.match_against`.

Polite by design:
* a contact address (``--contact``): sent in the User-Agent, and as
  ``mailto`` to OpenAlex and Crossref (their "polite pools");
* a minimum interval between requests to one host (rate limit);
* retries with exponential back-off on 429 and 5xx, honouring Retry-After
  (urllib3's Retry through a requests HTTPAdapter);
* an on-disk cache of responses (requests-cache, SQLite), so re-runs do not
  ask again;
* a timeout on every request.
Base URLs are settings, so tests point the adapters at a local server.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import requests
import requests_cache
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from kg import __version__
from kg.record import Person, Record
from kg.sources import jsonworks
from kg.sources.common import RecordProblems, add_id, person

DEFAULT_BASES = {
    "openalex": "https://api.openalex.org",
    "crossref": "https://api.crossref.org",
    "dblp": "https://dblp.org",
    "wikidata": "https://query-scholarly.wikidata.org/sparql",
}


@dataclass
class OnlineSettings:
    """Options of the online adapters.

    ``contact``: an e-mail address the services may write to (required by
    kg for online use). ``interval``: seconds between two requests to one
    host. ``retries``: attempts after a 429/5xx. ``timeout``: seconds per
    request. ``cache``: directory of the response cache. ``bases``: base URL
    of each service.
    """

    contact: str
    interval: float = 1.0
    retries: int = 4
    timeout: float = 20.0
    cache: Path = Path.home() / ".cache" / "kg" / "http"
    bases: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_BASES))


class PoliteSession:
    """A requests session with cache, retries, rate limit and timeout."""

    def __init__(self, settings: OnlineSettings):
        self.settings = settings
        settings.cache.mkdir(parents=True, exist_ok=True)
        self.session = requests_cache.CachedSession(str(settings.cache / "responses"), backend="sqlite",
                                                    allowable_methods=("GET",), expire_after=30 * 86400)
        retry = Retry(total=settings.retries, backoff_factor=0.5, status_forcelist=(429, 500, 502, 503, 504),
                      allowed_methods=("GET",), respect_retry_after_header=True)
        adapter = HTTPAdapter(max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = f"kg/{__version__} (mailto:{settings.contact})"
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def get_json(self, url: str, params: dict | None = None, headers: dict | None = None) -> object:
        """GET ``url`` and parse JSON (from the cache when seen before).

        :raises requests.RequestException: network failure or an error status
            after the retries.
        """
        req = requests.Request("GET", url, params=params).prepare()
        cached = self.session.cache.contains(request=req)
        if not cached:
            host = urlparse(url).netloc
            with self._lock:
                wait = self._last.get(host, 0) + self.settings.interval - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                self._last[host] = time.monotonic()
        resp = self.session.get(url, params=params, headers=headers, timeout=self.settings.timeout)
        resp.raise_for_status()
        return resp.json()


def openalex_search(s: PoliteSession, title: str, rows: int = 5) -> list[Record]:
    """OpenAlex works whose title matches ``title`` (``/works?search=``)."""
    base = s.settings.bases["openalex"]
    data = s.get_json(f"{base}/works", {"search": title, "per-page": rows, "mailto": s.settings.contact})
    out = RecordProblems(base)
    return list(jsonworks.openalex_records((data or {}).get("results", []), base, out))


def crossref_search(s: PoliteSession, title: str, rows: int = 5) -> list[Record]:
    """Crossref works for ``title`` (``/works?query.bibliographic=``)."""
    base = s.settings.bases["crossref"]
    data = s.get_json(f"{base}/works", {"query.bibliographic": title, "rows": rows, "mailto": s.settings.contact})
    items = ((data or {}).get("message") or {}).get("items", [])
    return list(jsonworks.crossref_records(items, base, RecordProblems(base)))


def dblp_search(s: PoliteSession, title: str, rows: int = 5) -> list[Record]:
    """dblp publications for ``title`` (``/search/publ/api?format=json``)."""
    base = s.settings.bases["dblp"]
    data = s.get_json(f"{base}/search/publ/api", {"q": title, "h": rows, "format": "json"})
    hits = (((data or {}).get("result") or {}).get("hits") or {}).get("hit", [])
    out, records = RecordProblems(base), []
    for hit in hits:
        info = hit.get("info") or {}
        rec = Record(title=str(info.get("title", "")).rstrip("."), source=base, locator=f"dblp {info.get('key', '')}",
                     date=str(info.get("year") or "") or None, venue=info.get("venue") if isinstance(info.get("venue"), str) else None)
        add_id(rec.identifiers, "dblp", info.get("key"), out, None, rec.locator)
        add_id(rec.identifiers, "doi", info.get("doi"), out, None, rec.locator)
        authors = (info.get("authors") or {}).get("author", [])
        for a in authors if isinstance(authors, list) else [authors]:
            name = a.get("text", "") if isinstance(a, dict) else str(a)
            p = person(name=" ".join(w for w in name.split() if not w.isdigit()))
            if p is not None:
                if isinstance(a, dict) and a.get("@pid"):
                    add_id(p.identifiers, "dblp_pid", a["@pid"], out, None, rec.locator)
                rec.authors.append(p)
        if rec.title:
            records.append(rec)
    return records


_WDQS = """SELECT ?item ?title ?doi ?date (GROUP_CONCAT(?name; SEPARATOR="\\t") AS ?names) WHERE {
  ?item wdt:P1476 ?title . FILTER(LCASE(STR(?title)) = LCASE(%s))
  OPTIONAL { ?item wdt:P356 ?doi } OPTIONAL { ?item wdt:P577 ?date }
  OPTIONAL { ?item wdt:P2093 ?name }
} GROUP BY ?item ?title ?doi ?date LIMIT 5"""


def wikidata_search(s: PoliteSession, title: str, rows: int = 5) -> list[Record]:
    """Wikidata items whose title (P1476) equals ``title`` (case-insensitive),
    through the Wikidata Query Service."""
    import json as _json

    base = s.settings.bases["wikidata"]
    query = "PREFIX wdt: <http://www.wikidata.org/prop/direct/>\n" + _WDQS % _json.dumps(title)
    data = s.get_json(base, {"query": query, "format": "json"}, headers={"Accept": "application/sparql-results+json"})
    out, records = RecordProblems(base), []
    for b in ((data or {}).get("results") or {}).get("bindings", [])[:rows]:
        item = b["item"]["value"]
        rec = Record(title=b["title"]["value"], source=base, locator=item,
                     date=b["date"]["value"][:10] if "date" in b else None)
        add_id(rec.identifiers, "wikidata", item, out, None, item)
        if "doi" in b:
            add_id(rec.identifiers, "doi", b["doi"]["value"], out, None, item)
        rec.authors = [Person(name=n) for n in (b.get("names", {}).get("value") or "").split("\t") if n]
        records.append(rec)
    return records


ADAPTERS = {"openalex": openalex_search, "crossref": crossref_search, "dblp": dblp_search,
            "wikidata": wikidata_search}


def fetch_candidates(titles: list[str], services: list[str], settings: OnlineSettings,
                     problems: list[str]) -> list[Record]:
    """Records from each of ``services`` for each title (deduplicated by
    service and identifier). A failing service is reported in ``problems``
    and skipped for the rest of the run."""
    session = PoliteSession(settings)
    out: dict[tuple, Record] = {}
    dead: set[str] = set()
    for title in titles:
        for name in services:
            if name in dead:
                continue
            try:
                for rec in ADAPTERS[name](session, title):
                    key = (name, tuple(sorted(rec.identifiers.items())) or rec.title)
                    out.setdefault(key, rec)
            except (requests.RequestException, ValueError) as exc:
                problems.append(f"{name}: {exc}; not asked again in this run")
                dead.add(name)
    return list(out.values())
