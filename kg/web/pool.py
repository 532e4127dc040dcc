"""A pool of query worker processes, with a time limit that really stops queries.

Each job goes to an idle worker (:mod:`kg.web.worker`). The caller reads the
worker's messages with a deadline; a job that passes it is stopped by killing
its worker, which is replaced at once. Other jobs, on other workers, are not
affected.
"""
from __future__ import annotations

import json
import multiprocessing as mp
import queue
import threading
import time
from dataclasses import dataclass

from kg.web.worker import worker_main

_CTX = mp.get_context("spawn")  # no fork of a threaded server holding RocksDB handles


class QueryTimeout(Exception):
    """The job passed its deadline; its worker was killed."""


class WorkerDied(Exception):
    """The worker process ended during the job (crash or killed from outside)."""


class PoolBusy(Exception):
    """No worker became free before the deadline."""


class _Proc:
    def __init__(self, store_path: str):
        self.conn, child = _CTX.Pipe(duplex=True)
        # Shared memory: the number of the job the worker should stop (see Session.cancel).
        self.cancel = _CTX.RawValue("q", 0)
        self.jobs = 0
        self.proc = _CTX.Process(target=worker_main, args=(child, store_path, self.cancel), daemon=True,
                                 name="kg-query-worker")
        self.proc.start()
        child.close()

    def kill(self) -> None:
        self.proc.kill()
        self.conn.close()
        self.proc.join(timeout=5)


@dataclass
class Message:
    """One message of a worker: ``kind`` is H (head), D (data), E (end) or X
    (error); a W (whole answer) is handed out as H, D and E."""

    kind: str
    payload: bytes

    def json(self) -> dict:
        return json.loads(self.payload)


class Session:
    """One job on one worker. Read messages with :meth:`next`; finish with
    :meth:`close` (the worker goes back to the pool, or is killed if the job
    did not end cleanly)."""

    def __init__(self, pool: QueryPool, proc: _Proc, deadline: float):
        self.pool, self.proc, self.deadline = pool, proc, deadline
        self.job_id = proc.jobs
        self.ended = False
        self._pending: list[Message] = []

    def next(self) -> Message:
        """The next message.

        :raises QueryTimeout: the deadline passed first (the worker is killed).
        :raises WorkerDied: the worker ended without answering.
        """
        if self._pending:
            msg = self._pending.pop(0)
            self.ended = msg.kind == "E"
            return msg
        remaining = self.deadline - time.monotonic()
        try:
            ready = remaining > 0 and self.proc.conn.poll(remaining)
            if not ready:
                raise QueryTimeout()
            data = self.proc.conn.recv_bytes()
        except (EOFError, OSError):
            self.close()
            raise WorkerDied() from None
        except QueryTimeout:
            self.close()
            raise
        msg = Message(chr(data[0]), data[1:])
        if msg.kind == "W":  # a whole answer in one message: head, then body, then end
            head, _, body = msg.payload.partition(b"\n")
            self._pending = [Message("D", body), Message("E", b"")]
            return Message("H", head)
        if msg.kind in "EX":
            self.ended = True
        return msg

    def cancel(self, grace: float = 5.0) -> None:
        """Stop the job before its end (its client went away) and keep the worker,
        with its warm caches, if it stops within ``grace`` seconds; else kill it.

        The worker checks the shared job number each time it writes a chunk and
        then answers ``X``; what it sent meanwhile is read and dropped.
        """
        if self.proc is None or self.ended:
            self.close()
            return
        self.proc.cancel.value = self.job_id
        self._pending = []
        deadline = min(self.deadline, time.monotonic() + grace)
        try:
            while not self.ended:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self.proc.conn.poll(remaining):
                    break
                self.ended = self.proc.conn.recv_bytes()[:1] in (b"E", b"X", b"W")
        except (EOFError, OSError):
            self.ended = False
        self.close()

    def close(self) -> None:
        """Return the worker (job finished) or kill and replace it (job cut short)."""
        if self.proc is None:
            return
        proc, self.proc = self.proc, None  # type: ignore[assignment]
        if self.ended and proc.proc.is_alive():
            self.pool._release(proc)
        else:
            self.pool._replace(proc)


class QueryPool:
    """``size`` worker processes over the store at ``store_path``.

    :param timeout: default time limit of a job, in seconds (waiting for a
        free worker included).
    """

    def __init__(self, store_path: str, size: int = 4, timeout: float = 30.0):
        self.store_path = str(store_path)
        self.timeout = timeout
        self.size = size
        self._idle: queue.Queue[_Proc] = queue.Queue()
        self._lock = threading.Lock()
        self._all: set[_Proc] = set()
        self.killed = 0
        for _ in range(size):
            self._spawn()

    def _spawn(self) -> None:
        p = _Proc(self.store_path)
        with self._lock:
            self._all.add(p)
        self._idle.put(p)

    def _release(self, p: _Proc) -> None:
        self._idle.put(p)

    def _replace(self, p: _Proc) -> None:
        with self._lock:
            self._all.discard(p)
            self.killed += 1
        p.kill()
        self._spawn()

    def start(self, job: dict, timeout: float | None = None) -> Session:
        """Send ``job`` to a free worker.

        :raises PoolBusy: no worker became free within the time limit.
        """
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            try:
                p = self._idle.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise PoolBusy() from None
            if p.proc.is_alive():
                break
            self._replace(p)
        p.jobs += 1
        try:
            p.conn.send_bytes(json.dumps({**job, "id": p.jobs}).encode("utf-8"))
        except OSError:
            self._replace(p)
            raise PoolBusy() from None
        return Session(self, p, deadline)

    def run(self, job: dict, timeout: float | None = None) -> tuple[dict, bytes]:
        """Run ``job`` to the end and return (head or error, body).

        :raises QueryTimeout: the job passed its time limit.
        :raises PoolBusy: no worker became free in time.
        """
        session = self.start(job, timeout)
        try:
            body = bytearray()
            head: dict = {}
            while True:
                msg = session.next()
                if msg.kind == "H":
                    head = msg.json()
                elif msg.kind == "D":
                    body += msg.payload
                elif msg.kind == "X":
                    return msg.json(), b""
                else:
                    return head, bytes(body)
        finally:
            session.close()

    def close(self) -> None:
        """Stop every worker."""
        with self._lock:
            procs = list(self._all)
            self._all.clear()
        for p in procs:
            p.kill()
