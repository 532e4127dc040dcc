"""Running the endpoint under a production HTTP server: granian.

granian (a WSGI server written in Rust) parses HTTP outside Python and runs
the Flask application in several processes, so the cost of Python per request
is spread over the machine's cores instead of one interpreter's lock. Each
server process builds its own application (:func:`app_from_environment`)
with its own connections to the shared query worker process; the answer cache is per process, while
ETags, the store state and the Prometheus counts (multiprocess mode, see
:mod:`kg.web.metrics`) are shared.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
from dataclasses import asdict, replace
from pathlib import Path

import click

from kg.store import open_read_only
from kg.web.app import Settings, create_app
from kg.web.metrics import MULTIPROCESS_ENV
from kg.web import malloc
from kg.web.pool import QueryService

#: Environment variable carrying the store path and settings to the server processes.
CONFIG_ENV = "KG_SERVE_CONFIG"


def app_from_environment():
    """The WSGI application of one server process, built from ``$KG_SERVE_CONFIG``
    (JSON: ``store`` path and ``settings`` fields); called by granian in each
    process it starts.

    :raises KeyError: the variable is not set (not started by :func:`run`).
    """
    config = json.loads(os.environ[CONFIG_ENV])
    # Ctrl-C in a terminal reaches every process of the group. A granian server
    # process that acts on it races the main process's own shutdown and can hang
    # (its shutdown event is never set), so block it here: threads started
    # later inherit the mask, and the main process stops us with SIGTERM.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    return create_app(config["store"], Settings(**config["settings"]), check_store=False)


def _check_address(host: str, port: int) -> int:
    """The port to listen on: ``port``, or a free one for 0.

    :raises OSError: the address is in use or not available here.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
            return sock.getsockname()[1]
    except (OSError, OverflowError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise OSError(f"cannot listen on {host}:{port}: {reason}") from None


def run(store_path: str | Path, host: str = "127.0.0.1", port: int = 8000, threads: int = 16,
        processes: int = 2, settings: Settings | None = None, allocator: str = "system") -> None:
    """Serve the store at ``store_path`` on ``host:port`` until interrupted.

    ``processes`` server processes each run the application with ``threads``
    threads and up to ``settings.workers`` queries at once, all on the threads
    of one query worker process that they share (so one store and one block
    cache), restarted whenever a time limit kills it. ``allocator`` picks the
    memory allocator of that process (:func:`kg.web.malloc.resolve`).
    Prints the endpoint URL once the address is checked. SIGTERM and Ctrl-C
    stop the server processes and their query workers.

    :raises kg.store.StoreError: no store at ``store_path``.
    :raises OSError: the address is in use or not available.
    :raises kg.web.malloc.AllocatorError: the allocator asked for is not installed.
    """
    from granian import Granian
    from granian.constants import Interfaces
    from granian.log import LogLevels

    open_read_only(store_path)  # a clear error now rather than in every server process
    library = malloc.resolve(allocator)
    port = _check_address(host, port)
    run_dir = tempfile.mkdtemp(prefix="kg-serve-")  # private (0700): metrics files and the query socket
    metrics_dir = os.path.join(run_dir, "metrics")
    os.mkdir(metrics_dir)
    os.environ[MULTIPROCESS_ENV] = metrics_dir
    settings = replace(settings or Settings(), processes=processes, query_address=os.path.join(run_dir, "queries.sock"),
                       allocator=library or "system")
    os.environ[CONFIG_ENV] = json.dumps({"store": str(Path(store_path).resolve()), "settings": asdict(settings)})
    # Fresh interpreters (not forks): prometheus_client picks its multiprocess
    # mode at import, and a fork would copy this process's state.
    multiprocessing.set_start_method("spawn", force=True)
    service = QueryService(str(Path(store_path).resolve()), settings.query_address, preload=library)
    service.start()
    server = Granian("kg.web.server:app_from_environment", factory=True, address=host, port=port,
                     interface=Interfaces.WSGI, workers=processes, blocking_threads=threads,
                     respawn_failed_workers=True, log_level=LogLevels.error, process_name=None)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"kg: serving {store_path} at http://{shown}:{port}/sparql  ({processes} server process{'es' if processes != 1 else ''}, "
               f"{settings.workers} queries at once each in a shared query process (malloc: {settings.allocator}), "
               f"{settings.timeout:g} s time limit; Ctrl-C to stop)", err=True)
    try:
        server.serve()
    except KeyboardInterrupt:
        pass
    finally:
        service.stop()
        shutil.rmtree(run_dir, ignore_errors=True)
    sys.stdout.flush()
