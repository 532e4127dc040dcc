"""Running the endpoint under a production WSGI server (waitress)."""
from __future__ import annotations

from pathlib import Path

import click
from waitress import serve

from kg.web.app import create_app


def run(store_path: str | Path, host: str = "127.0.0.1", port: int = 8000, threads: int = 8) -> None:
    """Serve the store at ``store_path`` on ``host:port`` until interrupted.

    Prints the endpoint URL once listening.

    :raises kg.store.StoreError: no store at ``store_path``.
    :raises OSError: the address is in use or not available.
    """
    app = create_app(store_path)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"kg: serving {store_path} at http://{shown}:{port}/sparql  (Ctrl-C to stop)", err=True)
    serve(app, host=host, port=port, threads=threads, ident="kg", _quiet=True)
