"""The Twilio book's media procedure: the pictures and files of an MMS message."""

from __future__ import annotations

from book.procedures.connected import connection
from book.resources.media import MEDIA, Media
from book.resources.messages import SmsMessage
from procedures import Context, Registry

__all__ = ["read_media", "registry"]

registry = Registry()


@registry.procedure("to read some (*media* of an *SMS* message)")
def read_media(sms_message: SmsMessage, context: Context) -> list[Media]:
    """Reads the media of a message (an MMS): each one's content type and URL.

    Output Concepts:
        the media: The message's media, in Twilio's order (none for an SMS).

    Examples:
        read the first 1 SMS messages whose num media is greater than 0
        process each SMS message as follows
          read the media of the SMS message
          expect the number of media is 1
    """
    if not sms_message.num_media or not sms_message.sid:
        return []  # an SMS has no media: no request
    client = connection(context).client()
    pages = client.list_pages({}, resource=MEDIA, parent=sms_message.sid)
    return [MEDIA.from_wire(item) for page in pages for item in MEDIA.items(page)]
