"""The query pool (kg.web.pool) on a real store: its workers are threads of one
process (private, or shared through a QueryService), a time limit kills that
process, and the jobs it was still running are run again or reported, as they
can be. No HTTP here: the pool itself."""
from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from conftest import children
from kg.web.pool import QueryPool, QueryTimeout, WorkerDied

SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # 785^3 rows to count
# About 0.5 µs a row here: a few seconds of work, with a one-row answer at the end.
BOUNDED = "SELECT (COUNT(*) AS ?n) WHERE { SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } LIMIT 8000000 }"
ROWS = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"  # 785^2 rows, streamed in 1 MiB chunks


def _job(query: str) -> dict:
    return {"kind": "query", "query": query, "accept": "application/sparql-results+json"}


def _exited(pid: int) -> bool:
    """Gone, or a zombie waiting for its new parent (init) to reap it."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0] == "Z"
    except OSError:
        return True


def _threads(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/task").iterdir()))


@pytest.fixture()
def pool(seed_store):
    p = QueryPool(str(seed_store), size=3, timeout=30)
    yield p
    p.close()


def test_workers_are_threads_of_one_process(pool):
    assert len(pool._procs) == 1
    proc = next(iter(pool._procs))
    assert proc.proc.pid in children(os.getpid())
    assert pool.run(_job("ASK {}"))[0]["status"] == 200  # the process is up
    deadline = time.monotonic() + 10
    while _threads(proc.proc.pid) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _threads(proc.proc.pid) >= 3  # one query thread per slot (plus RocksDB's own)
    # three jobs at once, each on its own slot of that process
    sessions = [pool.start(_job(SLOW)) for _ in range(3)]
    assert {s.slot.proc for s in sessions} == {proc} and len({id(s.slot) for s in sessions}) == 3
    for s in sessions:
        s.cancel(grace=0.1)  # a count sends nothing before its end: the process is killed and replaced
    assert pool.killed == 1 and len(pool._procs) == 1 and next(iter(pool._procs)) is not proc


def test_timeout_reruns_a_job_that_had_not_answered(pool):
    """A's time limit kills the process while B is still counting: B runs again
    on the new process and gets its full answer."""
    out: dict = {}

    def run_b():
        t0 = time.monotonic()
        head, body = pool.run(_job(BOUNDED), timeout=60)
        out.update(head=head, body=body, seconds=time.monotonic() - t0)

    a = pool.start(_job(SLOW), timeout=1.0)
    first = a.slot.proc
    b = threading.Thread(target=run_b)
    b.start()
    with pytest.raises(QueryTimeout):
        a.next()
    b.join(timeout=60)
    assert pool.killed == 1 and first not in pool._procs
    assert out["head"]["status"] == 200
    assert json.loads(out["body"])["results"]["bindings"][0]["n"]["value"] == "8000000"


def test_timeout_cuts_a_job_already_streaming(pool):
    """C had sent part of its answer when A's time limit killed the process:
    C cannot be run again (its client has bytes already), so it ends with WorkerDied."""
    c = pool.start(_job(ROWS))
    assert c.next().kind == "H"
    assert c.next().kind == "D"
    a = pool.start(_job(SLOW), timeout=1.0)
    with pytest.raises(QueryTimeout):
        a.next()
    with pytest.raises(WorkerDied):
        while c.next().kind != "E":
            pass
    assert pool.killed == 1
    head, body = pool.run(_job("ASK { ?s ?p ?o }"))  # the new process answers
    assert head["status"] == 200 and json.loads(body)["boolean"] is True


@pytest.fixture()
def service(seed_store, tmp_path):
    from kg.web.pool import QueryService

    svc = QueryService(str(seed_store), str(tmp_path / "queries.sock"))
    svc.start()
    yield svc
    svc.stop()


def test_shared_service_serves_two_pools_and_survives_a_timeout(service):
    """Two pools (as two server processes) share one worker process: A's time
    limit kills it, B's job that had not answered runs again on the process
    `QueryService` starts in its place."""
    a = QueryPool("unused", size=2, timeout=30, address=service.address)
    b = QueryPool("unused", size=2, timeout=30, address=service.address)
    try:
        head, body = a.run(_job("ASK { ?s ?p ?o }"))
        assert head["status"] == 200 and json.loads(body)["boolean"] is True
        first_pid = service._proc.pid
        out: dict = {}

        def run_b():
            out["answer"] = b.run(_job(BOUNDED), timeout=60)

        slow = a.start(_job(SLOW), timeout=1.0)
        t = threading.Thread(target=run_b)
        t.start()
        with pytest.raises(QueryTimeout):
            slow.next()
        t.join(timeout=60)
        head, body = out["answer"]
        assert head["status"] == 200
        assert json.loads(body)["results"]["bindings"][0]["n"]["value"] == "8000000"
        assert service._proc.pid != first_pid  # killed and started again
        assert a.killed == 1 and b.killed == 1
        head, body = a.run(_job("ASK { ?s ?p ?o }"))  # A's slots reconnect to the new process
        assert head["status"] == 200
    finally:
        a.close()
        b.close()


def test_shared_worker_ends_when_kg_serve_is_killed(seed_store, tmp_path):
    """`kg serve` killed outright (SIGKILL: no chance to stop its children) still
    leaves no query worker process behind: it notices its parent is gone."""
    import signal
    import subprocess
    import sys

    code = ("import sys, time\nfrom kg.web.pool import QueryService\n"
            "s = QueryService(sys.argv[1], sys.argv[2]); s.start()\n"
            "while s._proc is None or s._proc.pid is None: time.sleep(0.05)\n"
            "print(s._proc.pid, flush=True); time.sleep(120)\n")
    parent = subprocess.Popen([sys.executable, "-c", code, str(seed_store), str(tmp_path / "q.sock")],
                              stdout=subprocess.PIPE, text=True)
    try:
        worker = int(parent.stdout.readline())
        assert not _exited(worker)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 10
        while not _exited(worker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _exited(worker)
    finally:
        if parent.poll() is None:
            parent.kill()


def _raw_messages(store: Path, query: str) -> list[bytes]:
    """What a worker thread sends for one query job, message by message, over
    a real pipe (kind byte first: W whole, H head, D data, E end)."""
    from multiprocessing import Pipe

    from kg.web.worker import Worker

    ours, theirs = Pipe()
    job = threading.Thread(target=Worker(str(store)).run, args=({**_job(query), "id": 1}, theirs))
    job.start()
    messages = []
    while not messages or messages[-1][:1] not in (b"W", b"E", b"X"):
        assert ours.poll(30), "the worker sent nothing for 30 s"
        messages.append(ours.recv_bytes())
    job.join()
    return messages


def test_small_answer_is_one_message_large_answer_streams(seed_store):
    # pyoxigraph's serializer flushes at its end; a small answer must still go
    # as a single W message (one round trip instead of three).
    small = _raw_messages(seed_store, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert [m[:1] for m in small] == [b"W"]
    head, _, body = small[0][1:].partition(b"\n")
    assert json.loads(head)["media_type"] == "application/sparql-results+json"
    assert json.loads(body)["results"]["bindings"][0]["n"]["value"] == "785"
    large = _raw_messages(seed_store, "SELECT * WHERE { ?a ?b ?c } ORDER BY ?a ?b ?c LIMIT 700 OFFSET 0")
    assert [m[:1] for m in large] == [b"W"]  # 700 rows is still under one chunk
    big = _raw_messages(seed_store, "SELECT * WHERE { ?a ?b ?c . ?d <http://schema.org/name> ?f }")
    kinds = [m[:1] for m in big]
    assert kinds[0] == b"H" and kinds[-1] == b"E" and set(kinds[1:-1]) == {b"D"} and len(kinds) >= 4


def _allocators_mapped(pid: int) -> list[str]:
    """File names of the allocator libraries (mimalloc, jemalloc) that
    process ``pid`` has mapped, from /proc/PID/maps."""
    from kg.web.malloc import PACKAGES

    with open(f"/proc/{pid}/maps", encoding="utf-8", errors="replace") as f:
        names = {Path(line.split(None, 5)[5].strip()).name for line in f if len(line.split(None, 5)) == 6}
    return sorted(n for n in names if any(a in n for a in PACKAGES))


def _worker_pid(service) -> int:
    deadline = time.monotonic() + 30
    while service._proc is None and time.monotonic() < deadline:
        time.sleep(0.05)
    QueryPool("unused", size=1, timeout=30, address=service.address).close()  # wait until it listens
    return service._proc.pid


@pytest.mark.parametrize("choice", ["mimalloc", "system"])
def test_query_worker_runs_with_the_allocator_asked_for(seed_store, tmp_path, choice):
    """`--malloc mimalloc` preloads mimalloc into the query worker process only
    (.ci/run installs Debian's libmimalloc2.0); `system` keeps glibc's malloc."""
    from kg.web import malloc
    from kg.web.pool import QueryService

    library = malloc.resolve(choice)
    svc = QueryService(str(seed_store), str(tmp_path / "q.sock"), preload=library)
    svc.start()
    try:
        pid = _worker_pid(svc)
        assert _allocators_mapped(pid) == (["libmimalloc.so.2.0"] if choice == "mimalloc" else [])
        assert _allocators_mapped(os.getpid()) == []  # this process is left as it was
        pool = QueryPool("unused", size=1, timeout=30, address=svc.address)
        try:
            head, body = pool.run(_job("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"))
            assert json.loads(body)["results"]["bindings"][0]["n"]["value"] == "785"
        finally:
            pool.close()
    finally:
        svc.stop()


def test_allocator_choices():
    from kg.web import malloc

    assert malloc.resolve("system") is None
    assert malloc.resolve(" auto ") == "libmimalloc.so.2"  # the best one installed
    assert malloc.resolve("mimalloc") == "libmimalloc.so.2"
    with pytest.raises(malloc.AllocatorError, match="unknown allocator 'fast'"):
        malloc.resolve("fast")
    env = malloc.environment("libmimalloc.so.2", {"LD_PRELOAD": "libother.so", "PATH": "/bin"})
    assert env == {"LD_PRELOAD": "libmimalloc.so.2 libother.so", "PATH": "/bin"}
    assert malloc.environment(None, {"PATH": "/bin"}) == {"PATH": "/bin"}
