"""Media: the pictures and files of an MMS, Twilio's Media subresource of a Message.

Each media has a content type and a URL: Twilio's URL of the media (its
``uri`` without ``.json``, on Twilio's host), which answers with the content.

>>> wire = WireMedia.model_validate({"sid": "ME" + "0" * 32, "content_type": "image/png",
...     "uri": "/2010-04-01/Accounts/AC" + "0" * 32 + "/Messages/MM" + "0" * 32 + "/Media/ME" + "0" * 32 + ".json"})
>>> media = MEDIA.from_wire(wire)
>>> media.url.endswith("/Media/ME" + "0" * 32), MEDIA.to_wire(media) == wire
(True, True)
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import Field

from book.resource import DATE, SAME, Convert, Resource
from book.resources.messages import MESSAGES
from book.wire import Page, Wire
from procedures import Concept, Exact, Hidden

__all__ = ["MEDIA", "Media", "MediaPage", "WireMedia"]

HOST = "https://api.twilio.com"


class WireMedia(Wire):
    """A Media resource (``api.v2010.account.message.media``)."""

    sid: str | None = None
    account_sid: str | None = None
    parent_sid: str | None = None
    content_type: str | None = None
    date_created: str | None = None
    date_updated: str | None = None
    uri: str | None = None


class MediaPage(Page):
    """One page of a message's media."""

    media_list: list[WireMedia]


class Media(Concept):
    """One picture or file of an MMS message."""

    english = "twilio media"
    key = "sid"

    sid: Annotated[str | None, Exact()] = None
    content_type: str | None = None
    url: str | None = None
    message_sid: Annotated[str | None, Exact()] = None
    date_created: dt.datetime | None = None
    date_updated: dt.datetime | None = None
    account_sid: Annotated[str | None, Exact()] = None
    wire: Annotated[dict[str, Any], Hidden()] = Field(default_factory=dict)

    def describe(self) -> str:
        """One line for ``say``: ``ME… image/png https://…``."""
        return f"{self.sid} {self.content_type}: {self.url}"


def _url(raw: Any) -> Any:
    return HOST + raw.removesuffix(".json") if isinstance(raw, str) and raw.startswith("/") else raw


def _uri(value: Any) -> Any:
    return value.removeprefix(HOST) + ".json" if isinstance(value, str) and value.startswith(HOST) else value


MEDIA: Resource[Media] = Resource(
    noun="media",
    plural="media",
    path="Messages/{parent}/Media",
    sid=r"ME[0-9a-fA-F]{32}",
    wire=WireMedia,
    page=MediaPage,
    key="media_list",
    concept=Media,
    fields={
        "sid": ("sid", SAME),
        "content_type": ("content_type", SAME),
        "url": ("uri", Convert(_url, _uri)),
        "message_sid": ("parent_sid", SAME),
        "date_created": ("date_created", DATE),
        "date_updated": ("date_updated", DATE),
        "account_sid": ("account_sid", SAME),
    },
    filters=("DateCreated", "DateCreated<", "DateCreated>"),
    order=("date_created",),
    columns=(("sid", "sid"), ("content type", "content_type"), ("URL", "url")),
    parent=MESSAGES,
)
