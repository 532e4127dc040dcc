"""A pool of query workers, with a time limit that really stops queries.

The workers are threads of one child process (:mod:`kg.web.worker`): the
store is opened once there and its block cache is shared by the queries
running at once (pyoxigraph releases the GIL while it evaluates). Each
thread talks to this process over its own socket pair, a *slot*; a job takes
an idle slot. A job that passes its deadline is stopped by killing the
child, which is replaced at once. Jobs of that child that had not yet
answered anything are run again on the new child; one already streaming its
answer is cut short (its client sees the connection close).
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


class _Slot:
    """One query thread of a worker process: its socket and its stop flag."""

    def __init__(self, proc: _Proc, conn, cancel):
        self.proc, self.conn, self.cancel = proc, conn, cancel
        self.jobs = 0


class _Proc:
    """A worker process with ``threads`` query threads, one slot each."""

    def __init__(self, store_path: str, threads: int):
        pipes = [_CTX.Pipe(duplex=True) for _ in range(threads)]
        # Shared memory: per slot, the number of the job to stop (see Session.cancel).
        cancels = [_CTX.RawValue("q", 0) for _ in range(threads)]
        self.killed = False
        self.slots = [_Slot(self, ours, cancel) for (ours, _), cancel in zip(pipes, cancels)]
        self.proc = _CTX.Process(target=worker_main, args=([child for _, child in pipes], store_path, cancels),
                                 daemon=True, name="kg-query-worker")
        self.proc.start()
        for _, child in pipes:
            child.close()

    def alive(self) -> bool:
        return not self.killed and self.proc.is_alive()

    def kill(self) -> None:
        # The slots' sockets stay open: threads may be waiting on them, and
        # they now read EOF. Each is closed by whoever holds it (Session.close).
        self.killed = True
        self.proc.kill()
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
    """One job on one worker slot. Read messages with :meth:`next`; finish
    with :meth:`close` (the slot goes back to the pool, or its process is
    killed if the job did not end cleanly)."""

    def __init__(self, pool: QueryPool, slot: _Slot, job: dict, deadline: float):
        self.pool, self.slot, self.job, self.deadline = pool, slot, job, deadline
        self.job_id = slot.jobs
        self.ended = False
        self.answered = False  # a message was handed out: the job can no longer be run again
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
        while True:
            remaining = self.deadline - time.monotonic()
            try:
                ready = remaining > 0 and self.slot.conn.poll(remaining)
                if not ready:
                    raise QueryTimeout()
                data = self.slot.conn.recv_bytes()
                break
            except (EOFError, OSError):
                if not self.answered and self.slot.proc.killed and self._restart():
                    continue  # its process was killed for another job: run this one again
                self.close()
                raise WorkerDied() from None
            except QueryTimeout:
                self.close()
                raise
        self.answered = True
        msg = Message(chr(data[0]), data[1:])
        if msg.kind == "W":  # a whole answer in one message: head, then body, then end
            head, _, body = msg.payload.partition(b"\n")
            self._pending = [Message("D", body), Message("E", b"")]
            return Message("H", head)
        if msg.kind in "EX":
            self.ended = True
        return msg

    def _restart(self) -> bool:
        self.slot.conn.close()
        try:
            self.slot = self.pool._acquire(self.deadline)
            self.job_id = self.pool._send(self.slot, self.job)
        except PoolBusy:
            self.slot = None  # type: ignore[assignment]
            return False
        return True

    def cancel(self, grace: float = 5.0) -> None:
        """Stop the job before its end (its client went away) and keep the
        worker, with its warm caches, if it stops within ``grace`` seconds;
        else kill it.

        The worker checks the shared job number each time it writes a chunk and
        then answers ``X``; what it sent meanwhile is read and dropped.
        """
        if self.slot is None or self.ended:
            self.close()
            return
        self.slot.cancel.value = self.job_id
        self._pending = []
        deadline = min(self.deadline, time.monotonic() + grace)
        try:
            while not self.ended:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self.slot.conn.poll(remaining):
                    break
                self.ended = self.slot.conn.recv_bytes()[:1] in (b"E", b"X", b"W")
        except (EOFError, OSError):
            self.ended = False
        self.close()

    def close(self) -> None:
        """Return the slot (job finished) or kill and replace its process (job cut short)."""
        if self.slot is None:
            return
        slot, self.slot = self.slot, None  # type: ignore[assignment]
        if self.ended and slot.proc.alive():
            self.pool._release(slot)
        else:
            self.pool._replace(slot.proc)
            slot.conn.close()


class QueryPool:
    """``size`` query workers over the store at ``store_path``: threads of
    one worker process.

    :param timeout: default time limit of a job, in seconds (waiting for a
        free worker included).
    """

    def __init__(self, store_path: str, size: int = 4, timeout: float = 30.0):
        self.store_path = str(store_path)
        self.timeout = timeout
        self.size = size
        self._idle: queue.Queue[_Slot] = queue.Queue()
        self._lock = threading.Lock()
        self._procs: set[_Proc] = set()
        self.killed = 0
        self._spawn()

    def _spawn(self) -> None:
        p = _Proc(self.store_path, self.size)
        with self._lock:
            self._procs.add(p)
        for s in p.slots:
            self._idle.put(s)

    def _release(self, slot: _Slot) -> None:
        self._idle.put(slot)

    def _replace(self, proc: _Proc) -> None:
        with self._lock:
            if proc not in self._procs:
                return  # already replaced
            self._procs.discard(proc)
            self.killed += 1
        proc.kill()
        self._spawn()

    def _acquire(self, deadline: float) -> _Slot:
        while True:
            try:
                slot = self._idle.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise PoolBusy() from None
            if slot.proc.alive():
                return slot
            self._replace(slot.proc)  # died on its own (a crash), unless already replaced
            slot.conn.close()  # the successor's slots are queued

    def _send(self, slot: _Slot, job: dict) -> int:
        slot.jobs += 1
        try:
            slot.conn.send_bytes(json.dumps({**job, "id": slot.jobs}).encode("utf-8"))
        except OSError:
            self._replace(slot.proc)
            slot.conn.close()
            raise PoolBusy() from None
        return slot.jobs

    def start(self, job: dict, timeout: float | None = None) -> Session:
        """Send ``job`` to a free worker.

        :raises PoolBusy: no worker became free within the time limit.
        """
        deadline = time.monotonic() + (timeout or self.timeout)
        slot = self._acquire(deadline)
        self._send(slot, job)
        return Session(self, slot, job, deadline)

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
        """Stop the worker process."""
        with self._lock:
            procs = list(self._procs)
            self._procs.clear()
        for p in procs:
            p.kill()
            for slot in p.slots:
                slot.conn.close()
