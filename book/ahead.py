"""Reading ahead: the next page of a list is fetched while the current one is used.

A list's pages come one after another (each names the next), so the only overlap
to be had is between fetching page N+1 and using page N: converting its
messages, checking them, writing them out. ``ahead`` runs an iterator of pages
in a thread of its own, at most ``depth`` pages ahead of the reader, and gives
them in order; an error is raised where the page would have been given. Several
lists read at once (an ``or`` of two numbers) each have their thread, so their
queries are in flight together, and what is in flight is bounded: ``depth``
pages a list.

A reader that stops early (a limit reached) closes the iterator: the thread
stops at its next page, and closes the pages in its own thread. Used only with a
client that talks over the network (``Client.overlaps``): in process there is no
latency to hide, and the sandbox's store is used from one thread.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any, TypeVar

__all__ = ["ahead"]

T = TypeVar("T")

_DONE: Any = object()
_WAIT = 0.1  # seconds between looks at whether to stop (a Ctrl-C is seen as soon)


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def ahead(items: Iterator[T], depth: int = 1) -> Iterator[T]:
    """The items of ``items``, in order, produced in a thread at most ``depth`` ahead."""
    if depth < 1:
        raise ValueError("read at least one page ahead")
    ready: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=_WAIT)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as error:  # noqa: BLE001 - given to the reader, which raises it
            put(_Failed(error))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name="book-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            try:
                item = ready.get(timeout=_WAIT)
            except queue.Empty:
                if not thread.is_alive() and ready.empty():
                    return  # the thread stopped without a word: nothing more comes
                continue
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)
