"""Files shipped with kg: the ontology (context, shapes), example queries and
the bundled seed listing.

Installed, ``ontology/`` and ``queries/`` live inside the package (as
``kg/ontology`` and ``kg/queries``); in a source checkout they sit beside
``kg/``. Both layouts are found.
"""
from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """The directory ``name`` (``ontology`` or ``queries``).

    :raises FileNotFoundError: neither layout has it.
    """
    for candidate in (_PKG / name, _PKG.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"kg resource directory {name!r} not found beside {_PKG}")


def ontology_file(name: str) -> Path:
    """A file of ``ontology/`` (e.g. ``context.jsonld``)."""
    return resource_dir("ontology") / name


def seed_listing() -> Path:
    """The bundled copy of the institute listing (``mila-publications.txt``)."""
    return _PKG / "data" / "mila-publications.txt"
