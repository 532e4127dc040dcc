"""Running the endpoint under a production WSGI server (waitress)."""
from __future__ import annotations

import signal
import sys
from pathlib import Path

import click
from waitress import create_server

from kg.web.app import Settings, create_app


def run(store_path: str | Path, host: str = "127.0.0.1", port: int = 8000, threads: int = 16,
        settings: Settings | None = None) -> None:
    """Serve the store at ``store_path`` on ``host:port`` until interrupted.

    Prints the endpoint URL once listening. SIGTERM and Ctrl-C stop the server
    and its query workers.

    :raises kg.store.StoreError: no store at ``store_path``.
    :raises OSError: the address is in use or not available.
    """
    settings = settings or Settings()
    app = create_app(store_path, settings)
    pool = app.extensions["kg"]["pool"]
    try:
        server = create_server(app, host=host, port=port, threads=threads, ident="kg",
                               max_request_body_size=max(4 * settings.max_body, 1 << 20),
                               outbuf_high_watermark=4 << 20,
                               channel_timeout=max(120, int(settings.timeout) + 30))
    except (OSError, ValueError) as exc:
        pool.close()
        reason = getattr(exc, "strerror", None) or str(exc)
        raise OSError(f"cannot listen on {host}:{port}: {reason}") from None
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"kg: serving {store_path} at http://{shown}:{server.effective_port}/sparql  "
               f"({settings.workers} query workers, {settings.timeout:g} s time limit; Ctrl-C to stop)", err=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        pool.close()
