"""The memory allocator of the query worker process.

Oxigraph allocates and frees many small blocks while it evaluates a query
(hash tables of a GROUP BY, decoded terms, RocksDB blocks). With the C
library's malloc that is about a tenth of the work of an aggregate. A faster
allocator, such as mimalloc (Microsoft, MIT licence; Debian package
``libmimalloc2.0``) or jemalloc (``libjemalloc2``), can be preloaded into the
worker process with ``LD_PRELOAD`` (ld.so(8)): the engine is unchanged and
every malloc/free goes to it. Measured on the benchmark store: mimalloc cut
the aggregate's CPU per query by about 10 %, jemalloc by about 5 %; but the
large streamed result ran slower in ``kg serve`` with mimalloc, so the default
stays the C library's (``system``).

Nothing is downloaded: a library is used only if the system has it.
"""
from __future__ import annotations

import ctypes.util
import os

#: Libraries tried by ``auto``, best first, with the Debian package that has each.
PACKAGES = {"mimalloc": "libmimalloc2.0", "jemalloc": "libjemalloc2"}


class AllocatorError(ValueError):
    """The allocator asked for is unknown or not installed (message says which)."""


def resolve(choice: str) -> str | None:
    """The shared library to preload into the query worker for ``choice``.

    :param choice: ``auto`` (mimalloc if installed, else jemalloc, else none),
        ``system`` (none: the C library's malloc), ``mimalloc``, ``jemalloc``,
        or the path of a shared library.
    :returns: a library name the dynamic linker finds (``libmimalloc.so.2``)
        or a path; None for the C library's malloc.
    :raises AllocatorError: unknown choice, or the library named is missing.
    """
    choice = choice.strip()
    if choice == "system":
        return None
    if choice == "auto":
        for name in PACKAGES:
            found = ctypes.util.find_library(name)
            if found:
                return found
        return None
    if choice in PACKAGES:
        found = ctypes.util.find_library(choice)
        if not found:
            raise AllocatorError(f"{choice} is not installed (Debian: apt-get install {PACKAGES[choice]}); "
                                 "use auto or system")
        return found
    if "/" in choice:
        if not os.path.isfile(choice):
            raise AllocatorError(f"{choice}: no such file")
        return choice
    raise AllocatorError(f"unknown allocator {choice!r}: use auto, system, mimalloc, jemalloc "
                         "or the path of a shared library")


def environment(library: str | None, base: dict[str, str] | None = None) -> dict[str, str]:
    """A copy of ``base`` (default: this process's environment) in which a
    program starts with ``library`` preloaded (first in ``LD_PRELOAD``);
    unchanged when ``library`` is None."""
    env = dict(os.environ if base is None else base)
    if library:
        env["LD_PRELOAD"] = " ".join(p for p in (library, env.get("LD_PRELOAD", "")) if p)
    return env

