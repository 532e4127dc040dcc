"""A pool of query workers, with a time limit that really stops queries.

The workers are threads of a child process (:mod:`kg.web.worker`): the store
is opened once there, and its block cache is shared by the queries running at
once (pyoxigraph releases the GIL while it evaluates). Each thread talks to
this process over a connection of its own, a *slot*; a job takes an idle slot.

That process is either private to this pool (:class:`QueryPool` without an
address: it is started here, with one pipe per slot) or shared by all the
server processes of ``kg serve`` (:class:`QueryService`, reached over a Unix
socket; ``kg serve`` restarts it whenever it ends).

A job that passes its deadline is stopped by killing the worker process. Its
other jobs that had not yet answered anything are run again on its successor
(up to :data:`MAX_RERUNS` times); one already streaming its answer is cut
short (its client sees the connection close).
"""
from __future__ import annotations

import contextlib
import json
import multiprocessing as mp
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection

from kg.web import malloc
from kg.web.worker import worker_main

_CTX = mp.get_context("spawn")  # no fork of a threaded server holding RocksDB handles


#: How many times a job that had not answered is run again when its worker
#: process ends under it (killed for other jobs' time limits). Bounded, since
#: the job itself may be what crashes the process.
MAX_RERUNS = 3


class QueryTimeout(Exception):
    """The job passed its deadline; its worker was killed."""


class WorkerDied(Exception):
    """The worker process ended during the job (crash or killed from outside)."""


class PoolBusy(Exception):
    """No worker became free before the deadline."""


class _Slot:
    """One query thread of a worker process: the connection to it."""

    def __init__(self, proc: _Proc | _Remote, conn: Connection | None):
        self.proc, self.conn = proc, conn
        self.jobs = 0


class _Proc:
    """A private worker process with ``threads`` query threads, one pipe each."""

    def __init__(self, store_path: str, threads: int):
        pipes = [_CTX.Pipe(duplex=True) for _ in range(threads)]
        self.killed = False
        self.slots = [_Slot(self, ours) for ours, _ in pipes]
        self.proc = _CTX.Process(target=worker_main, args=([child for _, child in pipes], store_path),
                                 daemon=True, name="kg-query-worker")
        self.proc.start()
        for _, child in pipes:
            child.close()

    def connect(self, slot: _Slot, deadline: float) -> None:
        pass  # pipes are connected from the start

    def alive(self) -> bool:
        return not self.killed and self.proc.is_alive()

    def kill(self) -> None:
        # The slots' pipes stay open: threads may be waiting on them, and they
        # now read EOF. Each is closed by whoever holds it (Session.close).
        self.killed = True
        self.proc.kill()
        self.proc.join(timeout=5)


class _Remote:
    """One run of the shared worker process, as this server process sees it:
    ``threads`` slots, each connected to the socket at ``address`` on first use."""

    def __init__(self, address: str, threads: int, dead: set[int]):
        self.address = address
        self.dead = dead  # pids of runs known to have ended: a connection to one is not kept
        self.pid: int | None = None
        self.killed = False
        self.slots = [_Slot(self, None) for _ in range(threads)]

    def connect(self, slot: _Slot, deadline: float) -> None:
        """Connect ``slot``, waiting (until ``deadline``) for the process to listen.

        :raises PoolBusy: not listening in time, or a new run answered (this one ended).
        """
        while True:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(self.address)
                conn = Connection(sock.detach())
                pid = int(conn.recv_bytes()[1:])
                if pid not in self.dead:
                    break
                conn.close()  # the run that just ended, still dying
            except (OSError, EOFError, ValueError):
                sock.close()
                if time.monotonic() >= deadline:
                    raise PoolBusy() from None
                time.sleep(0.05)  # being restarted
        if self.pid is None:
            self.pid = pid
        if pid != self.pid:  # this run ended and its successor answered
            conn.close()
            self.killed = True
            raise PoolBusy()
        slot.conn = conn

    def alive(self) -> bool:
        return not self.killed

    def kill(self) -> None:
        self.killed = True
        if self.pid is not None:
            self.dead.add(self.pid)
            try:
                os.kill(self.pid, signal.SIGKILL)  # kg serve starts its successor
            except ProcessLookupError:
                pass


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
        self.retries = 0
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
                if not self.answered and self.retries < MAX_RERUNS and self._restart():
                    continue  # its process ended (killed for another job): run this one again
                if self.slot is not None:
                    self.close()
                if time.monotonic() >= self.deadline:
                    raise QueryTimeout() from None  # its time ran out while the worker restarted
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
        self.retries += 1
        self.pool._drop(self.slot)
        try:
            self.slot = self.pool._submit(self.job, self.deadline)
            self.job_id = self.slot.jobs
        except PoolBusy:
            self.slot = None  # type: ignore[assignment]
            return False
        return True

    def cancel(self, grace: float = 5.0) -> None:
        """Stop the job before its end (its client went away) and keep the
        worker, with its warm caches, if it stops within ``grace`` seconds;
        else kill it.

        The worker looks for a ``C<job number>`` message each time it writes a
        chunk and then answers ``X``; what it sent meanwhile is read and dropped.
        """
        if self.slot is None or self.ended:
            self.close()
            return
        self._pending = []
        deadline = min(self.deadline, time.monotonic() + grace)
        try:
            self.slot.conn.send_bytes(b"C%d" % self.job_id)
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
            self.pool._drop(slot)


class QueryPool:
    """``size`` query workers over the store at ``store_path``: threads of one
    worker process, private to this pool or, with ``address``, the shared
    process of a :class:`QueryService` listening there.

    :param timeout: default time limit of a job, in seconds (waiting for a
        free worker included).
    """

    def __init__(self, store_path: str, size: int = 4, timeout: float = 30.0, address: str | None = None):
        self.store_path = str(store_path)
        self.timeout = timeout
        self.size = size
        self.address = address
        self._idle: queue.Queue[_Slot] = queue.Queue()
        self._lock = threading.Lock()
        self._procs: set[_Proc | _Remote] = set()
        self.killed = 0
        self._dead: set[int] = set()
        self._spawn()

    def _spawn(self) -> None:
        p = _Remote(self.address, self.size, self._dead) if self.address else _Proc(self.store_path, self.size)
        with self._lock:
            self._procs.add(p)
        for s in p.slots:
            self._idle.put(s)

    def _release(self, slot: _Slot) -> None:
        self._idle.put(slot)

    def _replace(self, proc: _Proc | _Remote) -> None:
        with self._lock:
            if proc not in self._procs:
                return  # already replaced
            self._procs.discard(proc)
            self.killed += 1
        proc.kill()
        self._spawn()

    def _drop(self, slot: _Slot) -> None:
        """Give up ``slot``: its process is replaced (unless it already was)
        and its connection closed; the successor's slots are queued."""
        self._replace(slot.proc)
        if slot.conn is not None:
            slot.conn.close()

    def _acquire(self, deadline: float) -> _Slot:
        while True:
            try:
                slot = self._idle.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise PoolBusy() from None
            if slot.proc.alive():
                if slot.conn is None:
                    try:
                        slot.proc.connect(slot, deadline)
                    except PoolBusy:
                        if slot.proc.killed:  # a successor is running: use its slots
                            self._drop(slot)
                            continue
                        self._idle.put(slot)
                        raise
                return slot
            self._drop(slot)  # died on its own (a crash), unless already replaced

    def _submit(self, job: dict, deadline: float) -> _Slot:
        """Send ``job`` to an idle slot (one whose process has ended is replaced).

        :raises PoolBusy: no slot became free before ``deadline``.
        """
        while True:
            slot = self._acquire(deadline)
            slot.jobs += 1
            try:
                slot.conn.send_bytes(json.dumps({**job, "id": slot.jobs}).encode("utf-8"))
                return slot
            except OSError:
                self._drop(slot)

    def start(self, job: dict, timeout: float | None = None) -> Session:
        """Send ``job`` to a free worker.

        :raises PoolBusy: no worker became free within the time limit.
        """
        deadline = time.monotonic() + (timeout or self.timeout)
        return Session(self, self._submit(job, deadline), job, deadline)

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
        """Stop the private worker process (a shared one is left to its service)."""
        with self._lock:
            procs = list(self._procs)
            self._procs.clear()
        for p in procs:
            if isinstance(p, _Proc):
                p.kill()
            for slot in p.slots:
                if slot.conn is not None:
                    slot.conn.close()


class QueryService:
    """The query worker process shared by the server processes of ``kg serve``:
    started by :meth:`start`, listening on the Unix socket ``address``, and
    started again whenever it ends (a time limit kills it) until :meth:`stop`.

    ``preload``: a memory allocator library the worker process starts with
    (``LD_PRELOAD``; see :mod:`kg.web.malloc`), None for the C library's.
    """

    def __init__(self, store_path: str, address: str, preload: str | None = None):
        self.store_path, self.address = str(store_path), address
        self.preload = preload
        self._proc: subprocess.Popen | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._supervise, daemon=True, name="kg-query-service")

    def start(self) -> None:
        self._thread.start()

    def _supervise(self) -> None:
        # A fresh interpreter (not a fork of this threaded process), with its
        # own environment so that only the worker gets the allocator.
        # "-c" puts the current directory first on sys.path: drop it, so that a
        # kg/ folder there cannot stand in for the installed package.
        cmd = [sys.executable, "-c", "import sys; sys.path[:1] = [p for p in sys.path[:1] if p]; "
               "from kg.web.worker import service_main; service_main(sys.argv[1], sys.argv[2], int(sys.argv[3]))",
               self.address, self.store_path, str(os.getpid())]
        env = malloc.environment(self.preload)
        while not self._stopping.is_set():
            started = time.monotonic()
            self._proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL,
                                          start_new_session=True)  # Ctrl-C is for kg serve, which stops it
            if self._stopping.is_set():  # stop() came while it was starting
                self._proc.kill()
            self._proc.wait()
            if time.monotonic() - started < 1:
                self._stopping.wait(1)  # failing at start: do not spin

    def stop(self) -> None:
        """Stop the worker process and do not start it again."""
        self._stopping.set()
        if self._proc is not None:
            self._proc.kill()
        self._thread.join(timeout=5)
        if self._proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=5)
