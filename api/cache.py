"""A small LRU cache with expiry, bounded by entry count: the API's in-memory caches use it."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Final, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")
MISSING: Final[Any] = object()


class LruCache(Generic[K, V]):
    """At most ``max_entries`` entries; the least recently used goes first; each entry expires."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict[K, tuple[V, float]] = OrderedDict()

    def get(self, key: K, now: float) -> V:
        """The value, or ``MISSING`` when absent or expired."""
        item = self._items.get(key)
        if item is None:
            return MISSING  # type: ignore[no-any-return]
        if item[1] <= now:
            del self._items[key]
            return MISSING  # type: ignore[no-any-return]
        self._items.move_to_end(key)
        return item[0]

    def put(self, key: K, value: V, expires: float) -> None:
        self._items[key] = (value, expires)
        self._items.move_to_end(key)
        while len(self._items) > self.max_entries:
            self._items.popitem(last=False)

    def discard(self, key: K) -> None:
        self._items.pop(key, None)

    def discard_values(self, drop: Callable[[V], bool]) -> None:
        """Forget every entry whose value ``drop`` picks (a scan: for rare events)."""
        for key in [k for k, (v, _) in self._items.items() if drop(v)]:
            del self._items[key]

    def clear(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)
