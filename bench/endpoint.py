"""Side-by-side SPARQL endpoint benchmark: kg serve vs oxigraph vs rdflib-endpoint.

One command::

    .venv/bin/python bench/endpoint.py [--records 20000] [--rounds 6] [--duration 5] [--connections 8]

What it does, in order:

1. generates a synthetic listing (``bench/gen_listing.py``), builds it with
   ``kg build`` into a store in a temporary directory and exports it as
   N-Triples with ``kg export --format nt``;
2. starts three servers on 127.0.0.1 over the same data:
   ``kg serve --store DIR``, ``oxigraph serve-read-only --location DIR
   --union-default-graph`` (same store; the flag makes its default graph the
   union of the named graphs, as kg's is) and ``rdflib-endpoint serve data.nt``;
3. asks every server every query once and checks that the answers agree (row
   count and literal values), keeping any ETag for the dashboard run;
4. drives each server in turn with ``wrk`` (same connections, threads and
   duration for kg and oxigraph) on: a point lookup of a work by title, an
   aggregate (people ranked by works), a large result (every title), and a
   "dashboard" of 5 identical queries re-run in a loop with ``If-None-Match``;
5. prints a Markdown table of requests/s and mean latency per query and server,
   the ratios kg/oxigraph and kg/rdflib-endpoint and the targets;
6. stops every server and removes the temporary directory, also on error,
   Ctrl-C or SIGTERM.

By default the point lookup, aggregate and large-result requests each carry a
unique trailing SPARQL comment (``# 1-42``), so that no server can answer them
from a cache keyed on the query text: these three measure query evaluation.
The dashboard sends identical requests and measures caching (``--no-cache-bust``
sends identical text everywhere).

The load generator shares the 2 cores with the server under test; the script
reports the CPU share each took so the numbers can be read with that in mind.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.metadata
import json
import os
import random
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import psutil
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_listing  # noqa: E402  (sibling script, importable once its folder is on the path)

BIN = Path(sys.executable).parent  # kg, oxigraph and rdflib-endpoint live beside this Python
ACCEPT = "application/sparql-results+json"
S = "http://schema.org/"

POINT = 'SELECT ?p ?o WHERE {{ ?w <http://schema.org/name> "{title}" ; ?p ?o }}'
AGGREGATE = (f"SELECT ?person (COUNT(DISTINCT ?work) AS ?n) WHERE {{ ?work <{S}author> ?person }} "
             "GROUP BY ?person ORDER BY DESC(?n) LIMIT 100")
LARGE = f"SELECT ?w ?t WHERE {{ ?w a <{S}ScholarlyArticle> ; <{S}name> ?t }}"
# A dashboard page: five summary queries a front page would show, re-run on every visit.
DASHBOARD = [
    AGGREGATE,
    f"SELECT (COUNT(DISTINCT ?w) AS ?works) (COUNT(DISTINCT ?p) AS ?people) "
    f"WHERE {{ ?w a <{S}ScholarlyArticle> ; <{S}author> ?p }}",
    f"SELECT ?authors (COUNT(?w) AS ?works) WHERE {{ {{ SELECT ?w (COUNT(DISTINCT ?p) AS ?authors) "
    f"WHERE {{ ?w <{S}author> ?p }} GROUP BY ?w }} }} GROUP BY ?authors ORDER BY ?authors",
    f"SELECT (COUNT(DISTINCT ?w) AS ?n) WHERE {{ ?w a <{S}ScholarlyArticle> "
    f"FILTER NOT EXISTS {{ ?w <{S}abstract> ?a }} }}",
    f"SELECT ?position (COUNT(*) AS ?n) WHERE {{ ?a <{S}position> ?position }} "
    "GROUP BY ?position ORDER BY ?position",
]

# Targets for kg, as ratios of requests/s: (query, reference server, minimum).
TARGETS = [
    ("point", "oxigraph", 0.15),
    ("aggregate", "oxigraph", 0.9),
    ("large", "oxigraph", 0.9),
    ("dashboard", "oxigraph", 5.0),
    ("aggregate", "rdflib-endpoint", 10.0),
]
QUERY_LABELS = {
    "point": "(a) point lookup by title",
    "aggregate": "(b) aggregate: people by works",
    "large": "(c) large result: every title",
    "dashboard": "(d) dashboard: 5 queries, If-None-Match",
}


class BenchError(Exception):
    """A step failed; the message says which and why."""


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """One endpoint under test: its command line, query URL and process."""

    name: str
    cmd: list[str]
    url: str
    log: Path
    proc: subprocess.Popen | None = None
    started: float = 0.0
    ready_after: float = 0.0

    def start(self, cwd: Path) -> None:
        # A session of its own: Ctrl-C in the terminal reaches only us, and we
        # can stop the server with all its children (kg's query workers) at once.
        self.started = time.monotonic()
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(self.cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)

    def wait_ready(self, timeout: float) -> None:
        """Poll with a cheap ASK until the server answers 200, dies or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise BenchError(f"{self.name} exited with status {self.proc.returncode} while starting:\n{self.log_tail()}")
            with contextlib.suppress(requests.RequestException):
                r = requests.get(self.url, params={"query": "ASK {}"}, headers={"Accept": ACCEPT}, timeout=5)
                if r.status_code == 200:
                    self.ready_after = time.monotonic() - self.started
                    return
            time.sleep(0.5)
        raise BenchError(f"{self.name} not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 15) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def processes(self) -> list[psutil.Process]:
        """The server process and its descendants (kg runs queries in worker processes)."""
        if self.proc is None or self.proc.poll() is not None:
            return []
        try:
            root = psutil.Process(self.proc.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def cpu_seconds(self) -> float:
        total = 0.0
        for p in self.processes():
            with contextlib.suppress(psutil.Error):
                t = p.cpu_times()
                total += t.user + t.system
        return total

    def rss_mib(self) -> float:
        total = 0
        for p in self.processes():
            with contextlib.suppress(psutil.Error):
                total += p.memory_info().rss
        return total / 2**20

    def wait_idle(self, limit: float = 180.0) -> float:
        """Wait until the server uses < 5% of a core, so that work left over from
        the previous run (queries wrk abandoned at its deadline keep running)
        does not steal CPU from the next. Returns the seconds waited."""
        t0 = time.monotonic()
        last = self.cpu_seconds()
        while time.monotonic() - t0 < limit:
            time.sleep(0.5)
            now = self.cpu_seconds()
            if now - last < 0.025:
                break
            last = now
        return time.monotonic() - t0

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


# --------------------------------------------------------------------------- correctness


def signature(result: dict) -> tuple[int, list[str]]:
    """Row count and the sorted literal values of a SPARQL JSON result: equal
    for equal answers whatever the row order, IRIs minted or ties broken."""
    rows = result["results"]["bindings"]
    values = sorted(b["value"] for row in rows for b in row.values() if b["type"] in ("literal", "typed-literal"))
    return len(rows), values


def fetch(server: Server, query: str) -> tuple[dict, str | None, float]:
    """Run ``query`` once: the parsed JSON result, the ETag (if any) and the seconds taken."""
    t0 = time.monotonic()
    r = requests.get(server.url, params={"query": query}, headers={"Accept": ACCEPT}, timeout=600)
    elapsed = time.monotonic() - t0
    if r.status_code != 200:
        raise BenchError(f"{server.name}: HTTP {r.status_code} for {query[:80]!r}: {r.text[:300]}")
    return r.json(), r.headers.get("ETag"), elapsed


# --------------------------------------------------------------------------- load


def lua_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def wrk_script(paths: list[str], etags: list[str | None], bust: bool, count_status: bool, run_id: str = "0") -> str:
    """A wrk Lua script that cycles through ``paths`` (each with its own
    If-None-Match, if any), optionally makes every request's text unique, and
    prints its figures as one JSON line (``BENCH-JSON {...}``) when done."""
    entries = ",\n".join(f"  {{{lua_str(p)}, {lua_str(e or '')}}}" for p, e in zip(paths, etags))
    # response() makes wrk hand every body to Lua, which costs wrk CPU: only
    # define it where we need status counts (the dashboard's 304s).
    response = """
function response(status, headers, body)
  if status == 304 then n304 = n304 + 1
  elseif status >= 200 and status < 300 then n2xx = n2xx + 1
  else nother = nother + 1 end
end
""" if count_status else ""
    return f"""-- generated by bench/endpoint.py
local entries = {{
{entries}
}}
local bust = {str(bust).lower()}
local threads = {{}}
local reqs = {{}}
local i = 0
local counter = 0
n2xx, n304, nother = 0, 0, 0

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  -- prebuild the fixed requests once; wrk.format would otherwise run per request
  for k, e in ipairs(entries) do
    local h = {{["Accept"] = "{ACCEPT}", ["Host"] = wrk.headers["Host"]}}
    if e[2] ~= "" then h["If-None-Match"] = e[2] end
    reqs[k] = {{path = e[1], headers = h, fixed = wrk.format("GET", e[1], h)}}
  end
end

function request()
  i = i % #reqs + 1
  local r = reqs[i]
  if not bust then return r.fixed end
  counter = counter + 1
  -- a trailing comment "# <run>-<thread>-<n>": same query, text never seen before
  return wrk.format("GET", r.path .. "%0A%23%20{run_id}-" .. tid .. "-" .. counter, r.headers)
end
{response}
function done(summary, latency, requests)
  local a, b, c = 0, 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("n2xx"); b = b + t:get("n304"); c = c + t:get("nother")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH-JSON {{"requests": %d, "duration_us": %d, "bytes": %d, "lat_mean_us": %.1f, ' ..
    '"lat_p50_us": %d, "lat_p99_us": %d, "lat_max_us": %d, "err_connect": %d, "err_read": %d, ' ..
    '"err_write": %d, "err_timeout": %d, "err_status": %d, "s2xx": %d, "s304": %d, "sother": %d}}\\n',
    summary.requests, summary.duration, summary.bytes, latency.mean,
    latency:percentile(50), latency:percentile(99), latency.max, e.connect, e.read,
    e.write, e.timeout, e.status, a, b, c))
end
"""


@dataclass
class Run:
    """Figures of one wrk run against one server."""

    server: str
    query: str
    duration: float
    requests: int = 0
    rps: float = 0.0
    lat_mean_ms: float = 0.0
    lat_p99_ms: float = 0.0
    errors: int = 0
    s304: int | None = None
    server_cpu: float = 0.0  # share of one core used by the server during the run
    wrk_cpu: float = 0.0
    other_cpu: float = 0.0  # every other process on the machine: noise from outside the benchmark
    note: str = ""
    raw: dict = field(default_factory=dict)


def merge_runs(runs: list[Run]) -> Run:
    """One server's rounds on one query as one run: requests and durations
    add up, mean latency and CPU shares are weighted, p99 is the worst round's."""
    first = runs[0]
    if len(runs) == 1:
        return first
    total = Run(first.server, first.query, sum(r.duration for r in runs))
    total.requests = sum(r.requests for r in runs)
    seconds = sum(r.raw.get("duration_us", r.duration * 1e6) / 1e6 for r in runs)
    total.rps = total.requests / seconds if seconds else 0.0
    if total.requests:
        total.lat_mean_ms = sum(r.lat_mean_ms * r.requests for r in runs) / total.requests
    total.lat_p99_ms = max(r.lat_p99_ms for r in runs)
    total.errors = sum(r.errors for r in runs)
    total.s304 = None if first.s304 is None else sum(r.s304 or 0 for r in runs)
    for attr in ("server_cpu", "wrk_cpu", "other_cpu"):
        setattr(total, attr, sum(getattr(r, attr) * r.duration for r in runs) / total.duration)
    total.note = "; ".join(dict.fromkeys(r.note for r in runs if r.note))
    total.raw = {"rounds": [r.raw for r in runs]}
    return total


def busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (all cores) since boot."""
    t = psutil.cpu_times()._asdict()
    # guest time is already inside user time; idle and iowait are not busy
    return sum(v for k, v in t.items() if k not in ("idle", "iowait", "guest", "guest_nice"))


def wait_quiet(limit: float) -> bool:
    """Wait up to ``limit`` seconds until the machine as a whole is near idle
    (< 10% of a core busy over one second), so a run does not start in the middle
    of someone else's build or test run. Returns whether it got quiet."""
    deadline = time.monotonic() + limit
    while True:
        b0, t0 = busy_seconds(), time.monotonic()
        time.sleep(1.0)
        if (busy_seconds() - b0) / (time.monotonic() - t0) < 0.1:
            return True
        if time.monotonic() >= deadline:
            return False


def run_wrk(server: Server, query: str, paths: list[str], etags: list[str | None], args, duration: float,
            workdir: Path, bust: bool, count_status: bool, run_id: str = "0") -> Run:
    """One bounded wrk run against ``server``: ``duration`` seconds, ``args.connections``
    connections on ``args.threads`` threads, every request GET with Accept: SPARQL JSON.
    ``run_id`` goes into the cache-busting comments, so no two runs send the same text."""
    script = workdir / f"wrk-{server.name}-{query}.lua"
    script.write_text(wrk_script(paths, etags, bust, count_status, run_id))
    base = server.url.split("?")[0]
    waited = server.wait_idle()
    quiet = wait_quiet(args.quiet_wait)
    cmd = ["wrk", "--threads", str(args.threads), "--connections", str(args.connections),
           "--duration", f"{duration:g}s", "--timeout", f"{args.request_timeout:g}s",
           "--script", str(script), base]
    cpu0, ru0, t0 = server.cpu_seconds(), resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
    busy0 = busy_seconds()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    wall = time.monotonic() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    run = Run(server.name, query, duration)
    run.server_cpu = (server.cpu_seconds() - cpu0) / wall
    run.wrk_cpu = ((ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)) / wall
    run.other_cpu = max(0.0, (busy_seconds() - busy0) / wall - run.server_cpu - run.wrk_cpu)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH-JSON ")), None)
    if proc.returncode != 0 or line is None:
        raise BenchError(f"wrk failed on {server.name}/{query} (status {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    raw = json.loads(line[len("BENCH-JSON "):])
    run.raw = raw
    run.requests = raw["requests"]
    run.rps = raw["requests"] / (raw["duration_us"] / 1e6)
    run.lat_mean_ms = raw["lat_mean_us"] / 1000
    run.lat_p99_ms = raw["lat_p99_us"] / 1000
    # wrk's "status" errors are responses >= 400; 304 is not an error.
    run.errors = sum(raw[k] for k in ("err_connect", "err_read", "err_write", "err_timeout", "err_status"))
    if count_status:
        run.s304 = raw["s304"]
        run.errors += raw["sother"] - raw["err_status"]  # non-2xx, non-304 answers under 400 (none expected)
    notes = []
    if waited > 1:
        notes.append(f"waited {waited:.0f} s for the server to go idle")
    if not quiet:
        notes.append(f"machine still busy after {args.quiet_wait:g} s")
    run.note = "; ".join(notes)
    return run


def query_path(base_path: str, query: str) -> str:
    return f"{base_path}?query={quote(query, safe='')}"


# --------------------------------------------------------------------------- report


def fmt_rps(run: Run | None) -> str:
    if run is None:
        return "—"
    if run.requests == 0:
        return f"0 (none done in {run.duration:g} s)"
    return f"{run.rps:,.1f}" if run.rps < 100 else f"{run.rps:,.0f}"


def fmt_ms(run: Run | None) -> str:
    if run is None or run.requests == 0:
        return "—"
    return f"{run.lat_mean_ms:,.1f}"


def report(runs: dict[tuple[str, str], Run], servers: list[str],
           rounds: dict[tuple[str, str], list[Run]] | None = None) -> tuple[str, list[str]]:
    """The Markdown results table and the target lines (with kg/oxigraph
    round by round when ``rounds`` holds more than one run per server)."""
    head = ["query"]
    for s in servers:
        head += [f"{s} req/s", f"{s} mean ms"]
    head += ["kg/oxigraph", "kg/rdflib-ep"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for q in QUERY_LABELS:
        row = [QUERY_LABELS[q]]
        for s in servers:
            r = runs.get((s, q))
            row += [fmt_rps(r), fmt_ms(r)]
        for ref in ("oxigraph", "rdflib-endpoint"):
            row.append(ratio_text(runs, q, ref))
        lines.append("| " + " | ".join(row) + " |")
    targets = []
    for q, ref, minimum in TARGETS:
        r = ratio(runs, q, ref)
        verdict = "not measured" if r is None else ("met" if r >= minimum else "NOT met")
        other = runs.get((ref, q))
        if r is None and other is not None and other.requests == 0:
            verdict += f" ({ref} finished no request in {other.duration:g} s; give it a longer run)"
        shown = "—" if r is None else f"{r:.2f}x"
        by_round = round_ratios(rounds or {}, q, ref)
        spread = ""
        if len(by_round) > 1:
            spread = (f" (by round: {', '.join(f'{x:.2f}' for x in by_round)}; "
                      f"median {statistics.median(by_round):.2f})")
        targets.append(f"- {QUERY_LABELS[q]}: kg/{ref} = {shown}, target >= {minimum:g}x: {verdict}{spread}")
    return "\n".join(lines), targets


def round_ratios(rounds: dict[tuple[str, str], list[Run]], q: str, ref: str) -> list[float]:
    """kg's requests/s over ``ref``'s, round by round (each round's two runs
    are back to back), for rounds where both finished something."""
    pairs = zip(rounds.get(("kg", q), []), rounds.get((ref, q), []))
    return [a.rps / b.rps for a, b in pairs if a.requests and b.requests]


def ratio(runs, q: str, ref: str) -> float | None:
    kg, other = runs.get(("kg", q)), runs.get((ref, q))
    if kg is None or other is None or kg.requests == 0:
        return None
    if other.requests == 0:
        return None  # the reference finished nothing: no ratio can be given
    return kg.rps / other.rps


def ratio_text(runs, q: str, ref: str) -> str:
    r = ratio(runs, q, ref)
    if r is None:
        return "—"
    return f"{r:.2f}x"


def details(runs: dict[tuple[str, str], Run]) -> str:
    """Per run: requests, p99, errors, 304s and CPU shares."""
    out = ["| server | query | requests | p99 ms | errors/non-2xx | 304s | server CPU | wrk CPU | other CPU | note |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for (s, q), r in runs.items():
        s304 = "—" if r.s304 is None else str(r.s304)
        p99 = "—" if r.requests == 0 else f"{r.lat_p99_ms:,.1f}"
        out.append(f"| {s} | {q} | {r.requests} in {r.duration:g} s | {p99} | {r.errors} | {s304} | "
                   f"{r.server_cpu * 100:.0f}% | {r.wrk_cpu * 100:.0f}% | {r.other_cpu * 100:.0f}% | {r.note} |")
    return "\n".join(out)


def versions() -> str:
    def v(dist: str) -> str:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return "?"
    commit = "?"
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        root = Path(__file__).resolve().parent.parent
        commit = subprocess.run(["git", "-C", str(root), "describe", "--always", "--dirty"],
                                capture_output=True, text=True, timeout=10).stdout.strip() or "?"
    wrk_v = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split("[")[0].strip()
    return (f"kg {v('kg')} (git {commit}), pyoxigraph {v('pyoxigraph')}, oxigraph {v('oxigraph')}, "
            f"rdflib {v('rdflib')}, rdflib-endpoint {v('rdflib-endpoint')}, {wrk_v}, "
            f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")


# --------------------------------------------------------------------------- main


def sh(cmd: list[str], what: str, cwd: Path) -> float:
    """Run a setup command; raise with its output if it fails. Returns seconds taken."""
    t0 = time.monotonic()
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if p.returncode != 0:
        raise BenchError(f"{what} failed (status {p.returncode}): {' '.join(cmd)}\n{p.stdout[-2000:]}{p.stderr[-2000:]}")
    return time.monotonic() - t0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Benchmark kg serve against oxigraph serve-read-only and rdflib-endpoint.",
                                epilog="See bench/README.md.")
    p.add_argument("--records", type=int, default=20000, help="works in the generated listing (default: 20000)")
    p.add_argument("--seed", type=int, default=42, help="seed of the generated listing (default: 42)")
    p.add_argument("--duration", type=float, default=5, help="seconds of load per round, query and server (default: 5)")
    p.add_argument("--rounds", type=int, default=6,
                   help="runs per query for kg and oxigraph, taking turns (default: 6); figures add up")
    p.add_argument("--slow-duration", type=float, default=10,
                   help="seconds of load per round for the aggregate and the large result, which take a good part "
                        "of a second each: a shorter run counts too few requests to compare (default: 10)")
    p.add_argument("--queries", default=",".join(QUERY_LABELS),
                   help=f"comma-separated subset of {','.join(QUERY_LABELS)} to load (default: all)")
    p.add_argument("--rdflib-duration", type=float, default=60,
                   help="seconds per query for rdflib-endpoint, which answers few requests (default: 60)")
    p.add_argument("--quiet-wait", type=float, default=30,
                   help="before each run, wait up to this many seconds for other processes to leave "
                        "the CPU (default: 30)")
    p.add_argument("--rdflib-dashboard", action="store_true",
                   help="also run the dashboard on rdflib-endpoint (one round takes it tens of seconds)")
    p.add_argument("--skip-rdflib", action="store_true", help="leave rdflib-endpoint out")
    p.add_argument("--kg-malloc", default="system",
                   help="kg serve --malloc: allocator of kg's query worker (default: system, glibc's malloc, "
                        "as oxigraph uses; auto: mimalloc or jemalloc when installed)")
    p.add_argument("--connections", type=int, default=8, help="concurrent connections (default: 8)")
    p.add_argument("--threads", type=int, default=1,
                   help="wrk threads (default: 1, leaving the other core to the server)")
    p.add_argument("--request-timeout", type=float, default=120,
                   help="seconds after which wrk counts a request as timed out (default: 120)")
    p.add_argument("--titles", type=int, default=1000, help="distinct titles the point lookup cycles through (default: 1000)")
    p.add_argument("--no-cache-bust", dest="cache_bust", action="store_false",
                   help="send (a)-(c) as identical text too, so server-side answer caches can serve them")
    p.add_argument("--work-dir", type=Path,
                   help="keep listing, store and N-Triples here and reuse them on the next run (default: a temporary directory, removed)")
    a = p.parse_args(argv)
    if a.records < 20000:
        print(f"note: --records {a.records} is below the 20,000 works the targets are defined for", file=sys.stderr)
    a.queries = [q.strip() for q in a.queries.split(",") if q.strip()]
    unknown = [q for q in a.queries if q not in QUERY_LABELS]
    if unknown or not a.queries:
        p.error(f"--queries: choose among {', '.join(QUERY_LABELS)} (got {', '.join(unknown) or 'nothing'})")
    if a.rounds < 1:
        p.error("--rounds must be at least 1")
    if a.connections < a.threads:
        p.error("--connections must be >= --threads")
    return a


def prepare_data(args, workdir: Path) -> tuple[Path, Path, list[str], dict]:
    """Generate, build and export the data set, or reuse it from ``--work-dir``."""
    listing, store, nt = workdir / "listing.txt", workdir / "store", workdir / "data.nt"
    marker = workdir / "built.json"
    want = {"records": args.records, "seed": args.seed, "generator": Path(gen_listing.__file__).read_text()}
    info: dict = {}
    if marker.exists() and json.loads(marker.read_text()).get("key") == want and store.exists() and nt.exists():
        info = json.loads(marker.read_text())["info"]
        print(f"reusing listing, store and N-Triples in {workdir}")
    else:
        for stale in (store, nt, marker):
            if stale.is_dir():
                shutil.rmtree(stale)
            elif stale.exists():
                stale.unlink()
        print(f"generating {args.records:,} records ...", flush=True)
        listing.write_text(gen_listing.generate(args.records, seed=args.seed), encoding="utf-8")
        print("kg build ...", flush=True)
        t0 = time.monotonic()
        p = subprocess.run([str(BIN / "kg"), "build", str(listing), "--store", str(store), "--name", "bench"],
                           cwd=workdir, capture_output=True, text=True)
        info["build_s"] = time.monotonic() - t0
        if p.returncode != 0:
            raise BenchError(f"kg build failed (status {p.returncode}):\n{p.stdout[-2000:]}{p.stderr[-2000:]}")
        info["build_report"] = " / ".join(ln.strip() for ln in p.stderr.splitlines() + p.stdout.splitlines()
                                          if ln.startswith(("read ", "wrote ")))
        print("  " + info["build_report"], flush=True)
        info["export_s"] = sh([str(BIN / "kg"), "export", "--store", str(store), "--format", "nt", "--out", str(nt)],
                              "kg export", workdir)
        with open(nt, "rb") as f:
            info["triples"] = sum(1 for _ in f)
        marker.write_text(json.dumps({"key": want, "info": info}))
    titles = [ln for ln in listing.read_text(encoding="utf-8").splitlines() if ln[:1].islower()]
    if len(titles) != args.records:
        raise BenchError(f"expected {args.records} titles in {listing}, found {len(titles)}")
    return store, nt, titles, info


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for tool, hint in (("wrk", "install it with: apt-get update && apt-get install -y wrk"),):
        if shutil.which(tool) is None:
            print(f"error: '{tool}' is not installed; {hint}", file=sys.stderr)
            return 2
    need = [("kg", "pip install -e ."), ("oxigraph", "pip install 'oxigraph>=0.5'"),
            ("rdflib-endpoint", "pip install 'rdflib-endpoint[cli]>=0.6'")]
    for exe, hint in need[: 2 if args.skip_rdflib else 3]:
        if not (BIN / exe).exists():
            print(f"error: {BIN / exe} not found; {hint} (or: pip install -e '.[bench]')", file=sys.stderr)
            return 2

    # SIGTERM unwinds like Ctrl-C, so the finally block below stops the servers.
    signal.signal(signal.SIGTERM, _interrupt)

    own_dir = args.work_dir is None
    workdir = Path(tempfile.mkdtemp(prefix="kg-bench-")) if own_dir else args.work_dir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    servers: list[Server] = []
    status = 0
    try:
        store, nt, titles, info = prepare_data(args, workdir)
        ports = [free_port() for _ in range(3)]
        kg = Server("kg", [str(BIN / "kg"), "serve", "--store", str(store), "--port", str(ports[0]),
                           "--malloc", args.kg_malloc],
                    f"http://127.0.0.1:{ports[0]}/sparql", workdir / "kg.log")
        ox = Server("oxigraph", [str(BIN / "oxigraph"), "serve-read-only", "--location", str(store),
                                 "--bind", f"127.0.0.1:{ports[1]}", "--union-default-graph"],
                    f"http://127.0.0.1:{ports[1]}/query", workdir / "oxigraph.log")
        servers = [kg, ox]
        if not args.skip_rdflib:
            # rdflib-endpoint's CLI mounts the endpoint at "/" and loads the file into
            # an in-memory rdflib Dataset whose default graph is the union.
            rd = Server("rdflib-endpoint", [str(BIN / "rdflib-endpoint"), "serve", "--host", "127.0.0.1",
                                            "--port", str(ports[2]), str(nt)],
                        f"http://127.0.0.1:{ports[2]}/", workdir / "rdflib-endpoint.log")
            servers.append(rd)
        # Start all at once (rdflib-endpoint's parse takes a minute) but measure
        # only once every one is ready and idle.
        for s in servers:
            s.start(workdir)
        for s in servers:
            print(f"waiting for {s.name} ...", flush=True)
            s.wait_ready(timeout=900)
            print(f"  {s.name} ready after {s.ready_after:.1f} s: {' '.join(s.cmd)}", flush=True)
        # kg serve --malloc may preload mimalloc or jemalloc into its query
        # worker: say which allocator ran, since it moves the figures.
        allocator = requests.get(kg.url.rsplit("/", 1)[0] + "/health", timeout=30).json().get("allocator", "?")

        rng = random.Random(args.seed)
        lookup = rng.sample(titles, min(args.titles, len(titles)))
        queries = {
            "point": [POINT.format(title=t) for t in lookup],
            "aggregate": [AGGREGATE],
            "large": [LARGE],
            "dashboard": DASHBOARD,
        }

        # Correctness: every server answers every checked query alike.
        print("checking answers ...", flush=True)
        checks = [("point", queries["point"][0]), ("aggregate", AGGREGATE), ("large", LARGE)]
        checks += [(f"dashboard[{i}]", q) for i, q in enumerate(DASHBOARD, 1)]
        etags: dict[str, list[str | None]] = {s.name: [] for s in servers}
        check_lines, mismatches, rows = [], 0, {}
        for label, q in checks:
            sigs, cells = {}, []
            for s in servers:
                result, etag, secs = fetch(s, q)
                sigs[s.name] = signature(result)
                cells.append(f"{s.name} {sigs[s.name][0]} rows in {secs:.2f} s")
                if label.startswith("dashboard"):
                    etags[s.name].append(etag)  # what a browser would send back next time
            same = len({json.dumps(v) for v in sigs.values()}) == 1
            mismatches += not same
            check_lines.append(f"- {label}: {'same answer' if same else 'DIFFERENT ANSWERS'}: " + "; ".join(cells))
            print(check_lines[-1], flush=True)
            rows[label] = sigs["kg"][0]
        # Guard against a vacuous agreement (e.g. every server answering nothing).
        if rows["point"] == 0 or rows["large"] != args.records:
            raise BenchError(f"kg answered {rows['point']} rows for the point lookup (want > 0) and "
                             f"{rows['large']} for the large result (want {args.records})")

        # kg and oxigraph take turns, round after round (order swapped every
        # round), so a drift in the machine's speed hits both alike;
        # rdflib-endpoint gets one long run after the first round.
        rounds: dict[tuple[str, str], list[Run]] = {}
        for q in [q for q in QUERY_LABELS if q in args.queries]:
            for r in range(args.rounds):
                pair = [s for s in servers if s.name != "rdflib-endpoint"]
                order = pair if r % 2 == 0 else pair[::-1]
                if r == 0:
                    order += [s for s in servers if s.name == "rdflib-endpoint"]
                for s in order:
                    is_rd = s.name == "rdflib-endpoint"
                    if is_rd and q == "dashboard" and not args.rdflib_dashboard:
                        continue
                    duration = args.rdflib_duration if is_rd else \
                        args.slow_duration if q in ("aggregate", "large") else args.duration
                    base = "/" + s.url.split("/", 3)[3]
                    paths = [query_path(base, text) for text in queries[q]]
                    dashboard = q == "dashboard"
                    tags = etags[s.name] if dashboard else [None] * len(paths)
                    rounds_of = 1 if is_rd else args.rounds
                    print(f"load: {s.name} / {q}, round {r + 1} of {rounds_of}, {duration:g} s ...", flush=True)
                    run = run_wrk(s, q, paths, tags, args, duration, workdir,
                                  bust=args.cache_bust and not dashboard, count_status=dashboard, run_id=str(r))
                    rounds.setdefault((s.name, q), []).append(run)
                    print(f"  {fmt_rps(run)} req/s, mean {fmt_ms(run)} ms, {run.errors} errors"
                          + (f", {run.s304} x 304" if run.s304 is not None else ""), flush=True)
        runs = {key: merge_runs(rs) for key, rs in rounds.items()}
        rss = {s.name: s.rss_mib() for s in servers}

        names = [s.name for s in servers]
        table, targets = report(runs, names, rounds)
        out = [
            "",
            f"# kg endpoint benchmark, {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
            "",
            f"- software: {versions()}",
            f"- data: {args.records:,} works (seed {args.seed}), {info.get('triples', 0):,} triples; "
            f"kg build {info.get('build_s', 0):.0f} s, kg export nt {info.get('export_s', 0):.0f} s; "
            + "; ".join(f"{s.name} ready after {s.ready_after:.0f} s" for s in servers),
            f"- load: wrk, {args.connections} connections, {args.threads} thread(s), GET, Accept: {ACCEPT}; "
            f"kg and oxigraph take turns for {args.rounds} rounds of {args.duration:g} s per query "
            f"({args.slow_duration:g} s for the aggregate and the large result), figures summed over the rounds"
            + ("" if args.skip_rdflib else f", {args.rdflib_duration:g} s for rdflib-endpoint"),
            "- (a)-(c): " + ("every request's text made unique by a trailing comment, so no answer cache "
                             "can serve it (query evaluation is measured)" if args.cache_bust else
                             "identical text on every request (answer caches may serve them)")
            + f"; (a) cycles through {len(lookup)} titles",
            "- (d): the same 5 queries in a loop, identical text, If-None-Match with the ETag each server "
            "gave in the check: " + ", ".join(f"{n} {sum(e is not None for e in etags[n])}/5 ETags" for n in names),
            "- oxigraph serve-read-only runs with --union-default-graph (kg's default graph is the union "
            "of named graphs); queries are identical for all servers",
            f"- kg's query worker allocator: {allocator} (kg serve --malloc {args.kg_malloc}; 'system' is glibc's "
            "malloc, which oxigraph serve-read-only uses)",
            "- server memory after the runs (RSS): " + ", ".join(f"{n} {m:,.0f} MiB" for n, m in rss.items()),
            "",
            table,
            "",
            "Targets (ratios of requests/s):",
            *targets,
            "",
            "Answer check (once, before loading):",
            *check_lines,
            "",
            "Per run (CPU as % of one core, 200% = both cores; 'other CPU' is every process outside the "
            "benchmark during the run: well above 0%, the figures are disturbed by other work on the machine):",
            "",
            details(runs),
        ]
        noisy = [f"{s}/{q} {r.other_cpu * 100:.0f}%" for (s, q), r in runs.items() if r.other_cpu > 0.2]
        if noisy:
            out.append("\nwarning: other processes used CPU during: " + ", ".join(noisy)
                       + "; rerun on a quiet machine for clean figures.")
        if not args.skip_rdflib and not args.rdflib_dashboard:
            out.append("\nrdflib-endpoint: dashboard not run (one round of its 5 queries takes it tens of seconds; "
                       "--rdflib-dashboard runs it).")
        print("\n".join(out))
        if mismatches:
            print(f"\nerror: {mismatches} queries got different answers from different servers", file=sys.stderr)
            status = 1
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        status = 1
    except KeyboardInterrupt:
        print("\ninterrupted; stopping servers", file=sys.stderr)
        status = 130
    finally:
        for s in servers:
            s.stop()
        if own_dir:
            shutil.rmtree(workdir, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
