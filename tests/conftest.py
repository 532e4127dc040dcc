"""Shared fixtures: the seed listing, a store built from it, a live `kg serve`."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from kg.build import build_source
from kg.resources import seed_listing

BASE = "https://kg.example.org/"
SEED_GRAPH = BASE + "graph/source/mila-publications"
KG = [sys.executable, "-m", "kg.cli"]


@pytest.fixture(scope="session")
def seed_path() -> Path:
    return seed_listing()


@pytest.fixture(scope="session")
def seed_store(tmp_path_factory, seed_path) -> Path:
    """A store holding the seed listing (built once; tests must not write to it)."""
    path = tmp_path_factory.mktemp("seed") / "store"
    build_source(seed_path, path, base_iri=BASE)
    return path


@pytest.fixture()
def fresh_store(tmp_path, seed_path) -> Path:
    """A store of the seed listing that a test may change."""
    path = tmp_path / "store"
    build_source(seed_path, path, base_iri=BASE)
    return path


def run_kg(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the `kg` command in a subprocess and return the completed process."""
    return subprocess.run([*KG, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def _parents() -> dict[int, int]:
    """pid -> parent pid of every process, from /proc/PID/stat."""
    parents: dict[int, int] = {}
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                parents[int(p.name)] = int((p / "stat").read_text().split(")")[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass  # ended meanwhile
    return parents


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    return [c for c, parent in _parents().items() if parent == pid]


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children, their children, ...)."""
    parents = _parents()
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        kids = [c for c, parent in parents.items() if parent == current]
        found += kids
        todo += kids
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A `kg serve` process on 127.0.0.1 (stopped at fixture teardown)."""

    def __init__(self, store: Path, *extra: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([*KG, "serve", "--store", str(store), "--port", str(self.port), *extra],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("kg serve exited: " + self.proc.stderr.read())
            try:
                if requests.get(self.url + "/health", timeout=10).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("kg serve did not answer /health within 30 s")

    @property
    def sparql(self) -> str:
        return self.url + "/sparql"

    def stop(self) -> str:
        self.proc.terminate()
        try:
            _, err = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return err


@pytest.fixture(scope="session")
def server(tmp_path_factory, seed_path):
    """`kg serve` over its own copy of the seed store."""
    path = tmp_path_factory.mktemp("served") / "store"
    build_source(seed_path, path, base_iri=BASE)
    srv = Server(path)
    yield srv
    srv.stop()


@pytest.fixture()
def copy_store(tmp_path):
    """Copy a store directory (to compare before/after)."""
    def _copy(src: Path) -> Path:
        dst = tmp_path / f"copy-{len(list(tmp_path.iterdir()))}"
        shutil.copytree(src, dst)
        return dst
    return _copy
