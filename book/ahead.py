"""Reading ahead: the next page of a list is fetched while the current one is used.

A list's pages come one after another (each names the next), so the only overlap
to be had is between fetching page N+1 and using page N: converting its
messages, checking them, writing them out. ``ahead`` runs an iterator of pages
in a thread of its own, at most ``depth`` pages ahead of the reader, and gives
them in order; an error is raised where the page would have been given. Several
lists read at once (an ``or`` of two numbers) each have their thread, so their
queries are in flight together, and what is in flight is bounded: ``depth``
pages a list, counting the one being fetched (the next is asked for only once
the reader has taken one: a list holds the page in use and one more, not three).

A reader that stops early (a limit reached) closes the iterator: the thread
stops at its next page, and closes the pages in its own thread. Used only with a
client that talks over the network (``Client.overlaps``): in process there is no
latency to hide, and the sandbox's store is used from one thread.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any, TypeVar, cast

__all__ = ["ahead"]

T = TypeVar("T")

_DONE: Any = object()
_WAIT = 0.1  # seconds between looks at whether to stop (a Ctrl-C is seen as soon)


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def ahead(items: Iterator[T], depth: int = 1) -> Iterator[T]:
    """The items of ``items``, in order, produced in a thread (started now) at most
    ``depth`` ahead. Close it, or let it go, to stop the thread."""
    return _Ahead(items, depth)


class _Ahead(Iterator[T]):
    def __init__(self, items: Iterator[T], depth: int) -> None:
        if depth < 1:
            raise ValueError("read at least one page ahead")
        self._items = items
        self._ready: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._room = threading.Semaphore(depth)  # items made and not yet taken, being made included
        self._stop = threading.Event()
        self._done = False
        self._thread = threading.Thread(target=self._produce, name="book-read-ahead", daemon=True)
        self._thread.start()

    def _wait_for_room(self) -> bool:
        while not self._stop.is_set():
            if self._room.acquire(timeout=_WAIT):
                return True
        return False

    def _produce(self) -> None:
        try:
            while self._wait_for_room():
                item = next(self._items, _DONE)
                self._ready.put(item)
                if item is _DONE:
                    return
                del item  # the reader holds it now, or the queue: not this thread too
        except BaseException as error:  # noqa: BLE001 - given to the reader, which raises it
            self._ready.put(_Failed(error))
        finally:
            close = getattr(self._items, "close", None)
            if close is not None:
                close()

    def __next__(self) -> T:
        while not self._done:
            try:
                item = self._ready.get(timeout=_WAIT)
            except queue.Empty:
                if not self._thread.is_alive() and self._ready.empty():
                    break  # the thread stopped without a word: nothing more comes
                continue
            if item is _DONE:
                break
            if isinstance(item, _Failed):
                self.close()
                raise item.error
            self._room.release()  # taken: the thread may make the next
            return cast(T, item)
        self.close()
        raise StopIteration

    def close(self) -> None:
        """Stop the thread (it closes the items in its own thread)."""
        self._done = True
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def __del__(self) -> None:
        self._stop.set()
