"""Twilio credentials, held so that the secret part never shows itself.

An Account SID with its Auth Token, or an API Key SID and Secret with the Account
SID (the path always carries the Account SID), from arguments or from the
conventional environment variables, with an optional region and edge. The
token or secret lives in a ``Secret``, whose ``repr``, ``str`` and format are
masked, which cannot be pickled, and which is only revealed to build the
``Authorization`` header.

>>> credentials = Credentials(account_sid="AC" + "a" * 32, auth_token="s3cr3t-token")
>>> credentials
Credentials(account_sid='ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', auth='auth token', base_url='https://api.twilio.com')
>>> "s3cr3t" in repr(credentials) + str(credentials.secret) + f"{credentials.secret}"
False
"""

from __future__ import annotations

import base64
import hmac
import os
import re
from collections.abc import Mapping
from typing import Any, NoReturn

from book.errors import ConfigurationError

__all__ = ["Credentials", "Secret", "checked_url", "shown_url"]

ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}")
API_KEY_SID = re.compile(r"SK[0-9a-fA-F]{32}")
_HOST_PART = re.compile(r"[a-z0-9][a-z0-9-]*")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_FORMS = "https://host or http://127.0.0.1:PORT"


class Secret:
    """A secret string that never appears in a repr, a str, a format or a pickle."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str) or not value:
            raise ConfigurationError("a secret must be non-empty text")
        object.__setattr__(self, "_value", value)

    def reveal(self) -> str:
        """The secret itself: only to build an Authorization header."""
        value: str = object.__getattribute__(self, "_value")
        return value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and hmac.compare_digest(self.reveal(), other.reveal())

    __hash__ = None  # type: ignore[assignment]

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise AttributeError("a Secret cannot be changed")

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled")


class Credentials:
    """Who the book is to Twilio, and where Twilio is (region and edge)."""

    __slots__ = ("account_sid", "edge", "region", "secret", "username")

    account_sid: str
    username: str
    secret: Secret
    region: str | None
    edge: str | None

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str | Secret | None = None,
        api_key: str | None = None,
        api_secret: str | Secret | None = None,
        region: str | None = None,
        edge: str | None = None,
    ) -> None:
        if not ACCOUNT_SID.fullmatch(account_sid or ""):
            raise ConfigurationError(
                "the Account SID must be AC followed by 32 hexadecimal digits",
                hint="Copy it from the Twilio console, or set TWILIO_ACCOUNT_SID.",
            )
        if api_key is not None or api_secret is not None:
            if api_key is None or api_secret is None:
                raise ConfigurationError("an API key needs both its SID (SK...) and its secret")
            if not API_KEY_SID.fullmatch(api_key):
                raise ConfigurationError("an API key SID must be SK followed by 32 hexadecimal digits")
            username, secret = api_key, api_secret
        elif auth_token is not None:
            username, secret = account_sid, auth_token
        else:
            raise ConfigurationError(
                "give an Auth Token, or an API key SID and secret, with the Account SID",
                hint="Set TWILIO_AUTH_TOKEN, or TWILIO_API_KEY and TWILIO_API_SECRET.",
            )
        for name, part in (("region", region), ("edge", edge)):
            if part is not None and not _HOST_PART.fullmatch(part):
                raise ConfigurationError(f"the {name} must be a host name part such as 'au1' or 'sydney'")
        object.__setattr__(self, "account_sid", account_sid)
        object.__setattr__(self, "username", username)
        object.__setattr__(self, "secret", secret if isinstance(secret, Secret) else Secret(secret))
        object.__setattr__(self, "region", region)
        object.__setattr__(self, "edge", edge)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Credentials | None:
        """Credentials from TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN, or with
        TWILIO_API_KEY and TWILIO_API_SECRET, and TWILIO_REGION and TWILIO_EDGE;
        None when none of them is set (the book then runs on its sandbox), and
        ``ConfigurationError`` for a secret without TWILIO_ACCOUNT_SID: a half-set
        environment is a mistake, not a wish for the sandbox. Spaces around a value
        (easily copied with it) are dropped: no sid, token or secret holds one."""
        environ = os.environ if environ is None else environ

        def value(name: str) -> str | None:
            return environ.get(name, "").strip() or None

        account_sid = value("TWILIO_ACCOUNT_SID")
        if not account_sid:
            given = [
                name for name in ("TWILIO_AUTH_TOKEN", "TWILIO_API_KEY", "TWILIO_API_SECRET") if value(name)
            ]
            if given:
                raise ConfigurationError(
                    f"{' and '.join(given)} {'is' if len(given) == 1 else 'are'} set but TWILIO_ACCOUNT_SID "
                    "is not, so the book cannot use Twilio",
                    hint="Set TWILIO_ACCOUNT_SID to the account's sid (AC...) to use Twilio, or unset "
                    f"{' and '.join(given)} to use the local sandbox.",
                )
            return None
        return cls(
            account_sid=account_sid,
            auth_token=value("TWILIO_AUTH_TOKEN"),
            api_key=value("TWILIO_API_KEY"),
            api_secret=value("TWILIO_API_SECRET"),
            region=value("TWILIO_REGION"),
            edge=value("TWILIO_EDGE"),
        )

    @property
    def base_url(self) -> str:
        """``https://api.twilio.com``, or ``https://api.{edge}.{region}.twilio.com``
        (an edge without a region is in ``us1``, as Twilio's own libraries do)."""
        region = self.region or ("us1" if self.edge else None)
        host = ".".join(part for part in ("api", self.edge, region, "twilio.com") if part)
        return f"https://{host}"

    def authorization(self) -> str:
        """The value of the ``Authorization`` header (HTTP Basic)."""
        pair = f"{self.username}:{self.secret.reveal()}".encode()
        return "Basic " + base64.b64encode(pair).decode("ascii")

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise AttributeError("Credentials cannot be changed; make new ones")

    def __reduce__(self) -> NoReturn:
        raise TypeError("Credentials cannot be pickled")

    def __repr__(self) -> str:
        auth = "auth token" if self.username == self.account_sid else f"api key {self.username}"
        return f"Credentials(account_sid={self.account_sid!r}, auth={auth!r}, base_url={shown_url(self.base_url)!r})"


def shown_url(url: str) -> str:
    """A URL as it may be shown: whatever could be a user name and password in it is masked.

    The one function that shows a URL. Everything before the last ``@`` after the
    scheme is masked, however the URL is written (with or without ``//``, a
    bracketed IPv6 host, a password holding ``/``, ``#`` or ``@``, a URL no parser
    takes): what follows the last ``@`` is the host, never part of a secret.

    >>> shown_url("https://user:pa55@[::1]:8443/api")
    'https://***@[::1]:8443/api'
    >>> shown_url("user:pa55@proxy.example:8080"), shown_url("http://127.0.0.1:9")
    ('***@proxy.example:8080', 'http://127.0.0.1:9')
    """
    if "@" not in url:
        return url
    scheme = _SCHEME.match(url)
    start = scheme.end() if scheme else 0
    return url[:start] + "***@" + url.rpartition("@")[2]


def checked_url(url: str, name: str = "the base URL") -> str:
    """``url`` if the book can send requests to it: an http(s) URL with no
    credentials in it; else ``ConfigurationError``, which shows it masked.

    Credentials in a URL are refused, not used: they would replace the token in
    the Authorization header, and show wherever the URL is shown or logged.

    >>> checked_url("http://127.0.0.1:8573")
    'http://127.0.0.1:8573'
    >>> checked_url("https://ACME:pa55@api.twilio.com", "SMS_BOOK_TWILIO_URL")
    Traceback (most recent call last):
    ...
    book.errors.ConfigurationError: SMS_BOOK_TWILIO_URL (https://***@api.twilio.com) holds credentials (user:password@host); the book never takes them from a URL
    Give the URL as https://host or http://127.0.0.1:PORT, and the credentials in TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and TWILIO_API_SECRET).
    """
    shown = shown_url(url)
    if "@" in url:
        raise ConfigurationError(
            f"{name} ({shown}) holds credentials (user:password@host); the book never takes them from a URL",
            hint=f"Give the URL as {_FORMS}, and the credentials in TWILIO_AUTH_TOKEN "
            "(or TWILIO_API_KEY and TWILIO_API_SECRET).",
        )
    import httpx  # only when a URL is given: a run on the sandbox in process needs none

    try:
        scheme = httpx.URL(url).scheme
    except httpx.InvalidURL as exc:
        raise ConfigurationError(f"{name} ({shown}) is not a URL the book can use: {exc}") from None
    if scheme not in ("http", "https"):
        raise ConfigurationError(f"{name} ({shown}) is not an http(s) URL", hint=f"Write it as {_FORMS}.")
    return url
