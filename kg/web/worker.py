"""The query worker: a child process that owns a read-only store and answers jobs.

pyoxigraph cannot cancel a query, so queries run here, in a process the
endpoint can kill when the time limit passes. The process answers several
jobs at once, one per thread, each thread on its own connection: a
``multiprocessing`` pipe (:func:`worker_main`, private to one server process)
or a Unix socket connection (:func:`service_main`, shared by the server
processes of ``kg serve``). The threads share the store, so queries running
together share its block cache (pyoxigraph releases the GIL while it
evaluates). A job is a dict sent over the connection; the answer is a stream
of byte messages:

* ``H`` + JSON ``{"status", "media_type"}``: the response head;
* ``D`` + bytes: a chunk of the body (at most :data:`CHUNK` bytes);
* ``E``: the end of the body;
* ``X`` + JSON ``{"status", "message"}``: a client error (4xx), 503, or 500
  for a fault in the worker.

While a job runs, the server may send ``C`` + its job number: stop it (its
client went away); the worker then answers ``X`` with status 499.

Job kinds: ``query`` (a SPARQL query), ``graph`` (one graph's content, for the
Graph Store protocol), ``service`` (the service description), ``stats``, and
the page jobs of :mod:`kg.web.pagedata` (linked-data pages, index pages,
dataset statistics and their pictures).
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import threading
import time
import traceback
from collections.abc import Iterable
from multiprocessing.connection import Connection

import pyoxigraph as ox

from kg.export import FORMATS as RDF_FORMATS
from kg.export import serialize, to_jsonld
from kg.sparql import RESULT_FORMATS, QueryError, execute, query_form
from kg.sparql_scan import scan
from kg.store import GenerationWatch, StoreError, generation_number, open_read_only
from kg.web import pagedata
from kg.web.negotiate import GRAPH_TYPES, SOLUTION_TYPES, NotAcceptable, choose, format_param

CHUNK = 1024 * 1024


class _Cancelled(Exception):
    """The server asked to stop the job (its client went away)."""


# Per thread: its pipe, the job being answered, and whether the server asked
# to stop it (a ``C<job number>`` message on the pipe, see
# :meth:`kg.web.pool.Session.cancel`); set by _serve and Worker.run.
_CANCEL = threading.local()
_BUFFER = threading.local()  # each thread's chunk buffer (see _ChunkWriter)


def _cancelled() -> bool:
    if getattr(_CANCEL, "stop", False):
        return True
    conn = getattr(_CANCEL, "conn", None)
    while conn is not None and conn.poll(0):
        msg = conn.recv_bytes()
        if msg[:1] == b"C" and int(msg[1:]) == _CANCEL.job:
            _CANCEL.stop = True
    return getattr(_CANCEL, "stop", False)


class _JobError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class _ChunkWriter:
    """A binary file-like object that sends what is written to the parent.

    The head is held back with the first bytes: an answer that ends within
    one chunk goes as a single ``W`` message (head, newline, body), which
    saves the small queries three round trips; a longer one goes as ``H``,
    then ``D`` chunks, then ``E``.

    Chunks are gathered in a buffer that each thread allocates once and
    reuses, and sent from it without a copy: a new megabyte per chunk made
    the allocator map and fault in fresh pages every time.
    """

    def __init__(self, conn: Connection, status: int, media_type: str, generation: str = ""):
        self.conn = conn
        self.head = json.dumps({"status": status, "media_type": media_type, "generation": generation}).encode()
        self.head_sent = False
        buf = getattr(_BUFFER, "buf", None)
        if buf is None:
            buf = _BUFFER.buf = bytearray(CHUNK)
            buf[0:1] = b"D"
        self.buf = buf
        self.n = 1  # bytes used, the kind byte "D" included

    def write(self, data: bytes) -> int:
        size = len(data)
        if self.n + size > CHUNK:
            if _cancelled():  # looked at once per chunk sent, not per small write
                raise _Cancelled()
            self._send()
            if size >= CHUNK:  # larger than a chunk by itself: send it as it is
                self.conn.send_bytes(b"D" + bytes(data))
                return size
        self.buf[self.n:self.n + size] = data
        self.n += size
        return size

    def flush(self) -> None:
        """Nothing: pyoxigraph's serializers flush when they finish, and
        sending then would split a small answer into three messages. Chunks
        go when full, the rest with :meth:`close`."""

    def _send(self) -> None:
        if not self.head_sent:
            self.conn.send_bytes(b"H" + self.head)
            self.head_sent = True
        if self.n > 1:
            self.conn.send_bytes(self.buf, 0, self.n)
            self.n = 1

    def close(self) -> None:
        """End the answer."""
        if not self.head_sent:
            self.conn.send_bytes(b"W" + self.head + b"\n" + bytes(memoryview(self.buf)[1:self.n]))
            self.head_sent = True
            self.n = 1
            return
        self._send()
        self.conn.send_bytes(b"E")


class Worker:
    """State of one worker process, shared by its threads: the store,
    reopened after each build, and what is cached for its generation."""

    def __init__(self, store_path: str):
        self.path = store_path
        self.generation = "-"
        self.store: ox.Store | None = None
        self.cache: dict[str, object] = {}
        self.watch = GenerationWatch(store_path)
        self._lock = threading.Lock()  # one thread reopens; the others wait and use its store

    def current(self) -> ox.Store:
        with self._lock:
            gen = self.watch.current()
            if gen != self.generation or self.store is None:
                self.store = None
                self.store = open_read_only(self.path)
                self.generation = gen
                self.cache.clear()
            return self.store

    def reopen(self) -> ox.Store:
        self.store = None
        return self.current()

    # -- jobs ---------------------------------------------------------------

    def run(self, job: dict, conn: Connection) -> None:
        kind = job["kind"]
        _CANCEL.job = job.get("id", 0)
        _CANCEL.stop = False
        try:
            if kind == "query":
                self._query(job, conn)
            elif kind == "graph":
                self._graph(job, conn)
            elif kind == "service":
                self._service(job, conn)
            elif kind == "stats":
                body = json.dumps(self.stats()).encode()
                self._send_whole(conn, 200, "application/json", body)
            elif kind in pagedata.JOBS:
                pagedata.run(self, job, conn)
            else:
                raise _JobError(400, f"unknown job {kind!r}")
        except Exception as exc:
            if _cancelled():  # whatever the serializer made of our _Cancelled
                conn.send_bytes(b"X" + json.dumps({"status": 499, "message": "cancelled"}).encode())
                return
            self._fail(exc, conn)

    def _fail(self, exc: Exception, conn: Connection) -> None:
        if isinstance(exc, (_JobError, pagedata.PageError)):
            error = {"status": exc.status, "message": exc.message}
        elif isinstance(exc, (StoreError, OSError, RuntimeError)):
            # RocksDB errors while a writer compacts under us: reopen next time.
            self.store = None
            error = {"status": 503, "message": f"store unavailable: {exc}"}
        else:
            raise exc
        conn.send_bytes(b"X" + json.dumps(error).encode())

    def stats(self) -> dict:
        """Triple count of the whole store (cached per generation)."""
        store = self.current()
        if "stats" not in self.cache:
            self.cache["stats"] = {"generation": generation_number(self.generation), "triples": len(store)}
        return self.cache["stats"]  # type: ignore[return-value]

    def _negotiate(self, job: dict, form: str) -> tuple[str, str]:
        try:
            if job.get("format"):
                return format_param(job["format"], form)
            return choose(job.get("accept"), GRAPH_TYPES if form == "graph" else SOLUTION_TYPES)
        except NotAcceptable as exc:
            raise _JobError(406, str(exc)) from None

    def _query(self, job: dict, conn: Connection) -> None:
        store = self.current()
        args = (job["query"], job.get("default_graphs"), job.get("named_graphs"))
        kwargs = {"base_iri": job.get("base_iri"), "allow_service": job.get("allow_service", True)}
        try:
            try:
                result = execute(store, *args, **kwargs)
            except OSError:  # the snapshot's files went away: reopen once
                result = execute(self.reopen(), *args, **kwargs)
        except QueryError as exc:
            raise _JobError(400, str(exc)) from None
        except (OSError, RuntimeError) as exc:  # e.g. an unsupported function, found while planning
            raise _JobError(*_evaluation_error(exc, job["query"])) from None
        form = query_form(result)
        media_type, fmt = self._negotiate(job, form)
        try:
            if form == "graph":
                self._send_graph(conn, result, media_type, fmt, job.get("max_rows"))
                return
            out = _ChunkWriter(conn, 200, media_type, self.generation)
            if form == "boolean" and fmt in ("csv", "tsv"):
                out.write(b"true\n" if bool(result) else b"false\n")
            else:
                result.serialize(out, format=RESULT_FORMATS[fmt][0])
            out.close()
        except (OSError, RuntimeError, ValueError, TypeError) as exc:
            # Evaluation is lazy: errors surface while results are written.
            raise _JobError(*_evaluation_error(exc, job["query"])) from None

    def _send_graph(self, conn: Connection, triples: Iterable[ox.Triple], media_type: str, fmt: str,
                    max_rows: int | None) -> None:
        rdf_format = RDF_FORMATS[fmt][0]
        if rdf_format is None:  # JSON-LD is compacted in memory: bounded by max_rows
            collected = []
            for t in triples:
                collected.append(t)
                if max_rows and len(collected) > max_rows:
                    raise _JobError(406, f"the result has more than {max_rows} triples, the limit for JSON-LD "
                                         "(built in memory); ask for Turtle, N-Triples or N-Quads, which stream, "
                                         "or add a LIMIT")
            body = json.dumps(to_jsonld(collected), ensure_ascii=False).encode("utf-8")
            self._send_whole(conn, 200, media_type, body)
            return
        out = _ChunkWriter(conn, 200, media_type, self.generation)
        serialize(triples, out, fmt)
        out.close()

    def _send_whole(self, conn: Connection, status: int, media_type: str, body: bytes) -> None:
        out = _ChunkWriter(conn, status, media_type, self.generation)
        out.write(body)
        out.close()

    def _graph(self, job: dict, conn: Connection) -> None:
        store = self.current()
        graph = job.get("graph")
        if graph is None:
            name: ox.NamedNode | ox.DefaultGraph = ox.DefaultGraph()
        else:
            name = ox.NamedNode(graph)
            if not store.contains_named_graph(name):
                raise _JobError(404, f"no graph <{graph}> in the store")
        media_type, fmt = self._negotiate(job, "graph")
        if fmt in ("nq", "trig"):
            fmt, media_type = "turtle", "text/turtle"  # a single graph: its triples
        triples = (q.triple for q in store.quads_for_pattern(None, None, None, name))
        self._send_graph(conn, triples, media_type, fmt, job.get("max_rows"))

    def _service(self, job: dict, conn: Connection) -> None:
        from kg.web.servicedesc import service_description

        store = self.current()
        media_type, fmt = self._negotiate(job, "graph")
        if "graph_counts" not in self.cache:
            rows = store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
            self.cache["graph_counts"] = {r["g"].value: int(r["n"].value) for r in rows}
        triples = service_description(job["endpoint"], self.cache["graph_counts"],  # type: ignore[arg-type]
                                      update=job.get("update", False))
        self._send_graph(conn, triples, media_type, fmt, None)


def _evaluation_error(exc: Exception, query: str) -> tuple[int, str]:
    """HTTP status and message for an error raised while a query ran."""
    uses_service = any(w == "SERVICE" for _, w in scan(query).words())
    if isinstance(exc, OSError) and uses_service:
        return 502, f"a SERVICE endpoint of the query failed: {exc}"
    if isinstance(exc, OSError):
        return 503, f"store unavailable: {exc}"
    if str(exc).startswith("RDF/XML cannot express"):
        return 406, str(exc)
    return 400, f"the query cannot be evaluated: {exc}"


def worker_main(conns: list[Connection], store_path: str) -> None:
    """Entry point of a worker process private to one server process: one
    thread per pipe of ``conns`` answers the jobs sent on it; the process ends
    when the parent goes away.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when we stop
    worker = _start(store_path)
    for conn in conns[1:]:
        threading.Thread(target=_serve, args=(worker, conn, True), daemon=True).start()
    _serve(worker, conns[0], True)


def service_main(address: str, store_path: str, parent: int) -> None:
    """Entry point of the query worker process shared by the server processes
    of ``kg serve``: it listens on the Unix socket ``address`` and answers the
    jobs of each connection on a thread of its own, until killed.

    Each connection first receives ``P<pid>``, so that a server process can
    kill this process when one of its jobs passes the time limit. The process
    ends by itself when ``parent`` (the pid of ``kg serve``) is no longer its
    parent.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    worker = _start(store_path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(address)  # left by a predecessor that was killed
    listener.bind(address)
    listener.listen(64)
    while True:
        sock, _ = listener.accept()
        conn = Connection(sock.detach())
        try:
            conn.send_bytes(b"P%d" % os.getpid())
        except OSError:  # the server process went away meanwhile
            conn.close()
            continue
        threading.Thread(target=_serve, args=(worker, conn, False), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    """End this process once ``kg serve`` is gone, even if it was killed
    without a chance to stop us (it then has a new parent)."""
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


def _start(store_path: str) -> Worker:
    worker = Worker(store_path)
    try:
        worker.current()
    except StoreError:
        pass  # reported per job
    return worker


def _serve(worker: Worker, conn: Connection, private: bool) -> None:
    """Answer jobs from ``conn`` until it closes; then end the process if it
    is ``private`` to one server process (its parent is gone)."""
    _CANCEL.conn = conn
    while True:
        try:
            msg = conn.recv_bytes()
        except (EOFError, OSError):
            break
        if msg[:1] == b"C":
            continue  # a stop for a job that has ended already
        try:
            worker.run(json.loads(msg), conn)
        except (BrokenPipeError, EOFError, ConnectionResetError):
            break
        except BaseException as exc:  # noqa: BLE001  a bug (or an engine panic) in one job: the other threads go on
            traceback.print_exc()
            try:
                conn.send_bytes(b"X" + json.dumps({"status": 500, "message": f"internal error in the query worker: "
                                                                            f"{type(exc).__name__}: {exc}"}).encode())
            except OSError:
                break
    conn.close()
    if private:
        os._exit(0)
