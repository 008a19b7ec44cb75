"""The media of a message, as on Twilio: the ``Media`` subresource of a Message.

An MMS keeps the URLs it was sent or received with (its notes); a message the
sandbox was seeded with, or loaded from a file, has as many media as its
``num_media`` says, each an image. A media's sid is derived from its message's
and its place, so it is the same every time; its content type is guessed from
its URL. List, fetch and delete (which leaves the message as it is, as Twilio
does); the media's URL without ``.json`` redirects to its content, as Twilio's
redirects to where it keeps it.
"""

from __future__ import annotations

import json
import mimetypes
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from book.api import MAX_MEDIA
from book.resources.media import MEDIA
from book.resources.messages import MESSAGES
from book.sandbox import sids
from book.sandbox.answers import Refusal, Reply, json_reply, matched, short_list
from book.wire import API_VERSION, parse_count

if TYPE_CHECKING:
    from book.sandbox.app import Sandbox

__all__ = ["matches", "route"]

_BASE = rf"{sids.ACCOUNT_PATH}/Messages/(?P<message>{MESSAGES.sid.pattern})/Media"
_COLLECTION = re.compile(_BASE + r"\.json")
_ONE = re.compile(_BASE + rf"/(?P<media>{MEDIA.sid.pattern})(?P<json>\.json)?")


def matches(path: str) -> bool:
    """Whether a path is this resource's (so the sandbox routes it here)."""
    return bool(_COLLECTION.fullmatch(path) or _ONE.fullmatch(path))


def _items(sandbox: Sandbox, account: str, message: str, path: str) -> list[dict[str, Any]]:
    row = sandbox.state.get(account, message)
    if row is None:
        raise Refusal(404, 20404, f"The requested resource {path} was not found")
    data, notes = row.message(), row.remembered()
    urls: list[str] = notes.get("media") or [
        f"https://sandbox.invalid/media/{message}/{place}.jpg"
        for place in range(min(parse_count(data.get("num_media")) or 0, MAX_MEDIA))  # Twilio takes 10
    ]
    gone = set(notes.get("media_deleted", ()))
    base = f"/{API_VERSION}/Accounts/{account}/Messages/{message}/Media"
    found = []
    for place, url in enumerate(urls):
        sid = sids.derived("ME", message, "media", place)
        if sid in gone:
            continue
        kind = mimetypes.guess_type(url.split("?", 1)[0])[0] or "image/jpeg"
        found.append(
            {
                "account_sid": account,
                "content_url": url,
                "content_type": kind,
                "date_created": data.get("date_created"),
                "date_updated": data.get("date_created"),
                "parent_sid": message,
                "sid": sid,
                "uri": f"{base}/{sid}.json",
            }
        )
    return found


def route(
    sandbox: Sandbox,
    account: str,
    method: str,
    path: str,
    query: Sequence[tuple[str, str]],
    form: Sequence[tuple[str, str]],
) -> Reply:
    """Answer a request to a message's Media."""
    collection, one = matched(account, path, _COLLECTION, _ONE)
    either = collection or one
    assert either is not None  # matched refuses a path that neither matches
    message = either.group("message")
    items = _items(sandbox, account, message, path)
    if collection and method == "GET":
        shown = [{key: value for key, value in item.items() if key != "content_url"} for item in items]
        return short_list("media_list", shown, path, query)
    found = next((item for item in items if one and item["sid"] == one.group("media")), None)
    if one and found is None:
        raise Refusal(404, 20404, f"The requested resource {path} was not found")
    if one and method == "GET":
        assert found is not None
        content = found.pop("content_url")
        if one.group("json") is None:  # the media itself
            return Reply(307, (("Location", content),), b"")
        return json_reply(200, found)
    if one and method == "DELETE":
        row = sandbox.state.get(account, message)
        assert row is not None
        notes = row.remembered()
        notes["media_deleted"] = [*notes.get("media_deleted", ()), one.group("media")]
        sandbox.state.put(account, [row.replace(notes=json.dumps(notes))])
        return Reply(204, (), b"")
    allowed = "GET, HEAD" if collection else "DELETE, GET, HEAD"
    raise Refusal(405, 20004, "Method not allowed", headers=(("Allow", allowed),))
