"""An in-memory LRU of answers, valid for one state of the store."""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, TypeVar

V = TypeVar("V")


class GenerationCache(Generic[V]):
    """At most ``entries`` values by key, all dropped when the store's
    generation token (:func:`kg.store.generation_token`) changes: every write
    to the store invalidates every answer. ``entries`` 0 caches nothing."""

    def __init__(self, entries: int):
        self.entries = entries
        self._data: OrderedDict[str, V] = OrderedDict()
        self._generation: str | None = None
        self._lock = threading.Lock()

    def _sync(self, generation: str) -> None:
        if generation != self._generation:
            self._data.clear()
            self._generation = generation

    def get(self, key: str, generation: str) -> V | None:
        """The value cached for ``key`` in this generation, or None."""
        with self._lock:
            self._sync(generation)
            hit = self._data.get(key)
            if hit is not None:
                self._data.move_to_end(key)
            return hit

    def put(self, key: str, generation: str, value: V) -> None:
        """Cache ``value`` for ``key`` in this generation."""
        if self.entries <= 0:
            return
        with self._lock:
            self._sync(generation)
            self._data[key] = value
            while len(self._data) > self.entries:
                self._data.popitem(last=False)
