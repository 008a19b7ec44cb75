"""Status callbacks: gathered while a change is under way, and sent only once it commits."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from book.sandbox.state import Row
from book.sandbox.webhooks import Delivery, Webhooks, status_delivery

__all__ = ["StatusCallbacks"]


class StatusCallbacks:
    """A sandbox's status callbacks, posted in the background by its ``webhooks``:
    while ``gathering``, they wait for the change to commit; otherwise each is
    posted at once."""

    def __init__(self, webhooks: Webhooks) -> None:
        self.webhooks = webhooks
        self._outbox = threading.local()  # status callbacks of the request under way: sent once it commits

    @contextmanager
    def gathering(self) -> Iterator[None]:
        """Gather the status callbacks of what is done inside, and send them (in the
        background) only if it all commits: a change rolled back calls nobody."""
        gathered: list[Delivery] = []
        self._outbox.deliveries = gathered
        try:
            yield
        except BaseException:
            gathered.clear()
            raise
        finally:
            self._outbox.deliveries = None
        for delivery in gathered:
            self.webhooks.post(delivery)

    def changed(self, account: str, token: str, row: Row) -> None:
        """A message's status changed: its status callback, if it has one."""
        url = row.remembered().get("callback")
        if url:
            delivery = status_delivery(account, token, url, row.message())
            gathered = getattr(self._outbox, "deliveries", None)
            if gathered is not None:
                gathered.append(delivery)
            else:
                self.webhooks.post(delivery)
