"""Progress display for long builds (tqdm), shown on a terminal only and only
for work that lasts more than a second."""
from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")


def progress(items: Iterable[T], what: str, unit: str = "it") -> Iterator[T]:
    """Iterate ``items`` with a progress bar on stderr (after 1 s, on a TTY)."""
    total = len(items) if hasattr(items, "__len__") else None  # type: ignore[arg-type]
    yield from tqdm(items, desc=what, unit=unit, total=total, delay=1.0, disable=None, leave=False,
                    file=sys.stderr)


@contextlib.contextmanager
def status(what: str) -> Iterator[None]:
    """A spinner-like line for a step that reports no progress of its own."""
    bar = tqdm(total=None, desc=what, bar_format="{desc} {elapsed}", delay=1.0, disable=None, leave=False,
               file=sys.stderr)
    try:
        yield
    finally:
        bar.close()
