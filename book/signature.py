"""Twilio's ``X-Twilio-Signature``, computed and checked in one place: the sandbox signs
the webhooks it delivers with it, and a webhook receiver checks what it is sent.

The signature is the base64 of an HMAC-SHA1, keyed with the account's auth token, of
the full URL Twilio requested (scheme, host, port if any, path, query) followed by the
POST parameters sorted by name, each written as name then value with no separators.
A name given more than once is written once for each of its distinct values, in sorted
order, as the official libraries' ``RequestValidator`` does (it sorts a repeated name's
values and drops repeats). ``params`` is the form's ``(name, value)`` pairs in any
order: a mapping is refused, because a multi-dict (Starlette's ``FormData``, Flask's
``MultiDict``) would hide its repeated values behind ``items()``; give
``form.multi_items()`` or ``list(form.items(multi=True))``.

>>> url = "https://mycompany.com/myapp.php?foo=1&bar=2"
>>> form = [("CallSid", "CA1234567890ABCDE"), ("Caller", "+12349013030"), ("Digits", "1234"),
...         ("From", "+12349013030"), ("To", "+18005551212")]
>>> signature(url, form, "12345")
'0/KCTR6DLpKmkAf8muzZqo1nDgQ='

Checking (``valid``) compares in constant time (``hmac.compare_digest``) and, like the
official ``RequestValidator.validate``, also accepts the signature of the URL without
its port, or with the scheme's default port (443 for https, 80 otherwise), since
Twilio is not consistent about which it signs:

>>> valid("https://mycompany.com:443/myapp.php?foo=1&bar=2", form, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", "12345")
True
>>> valid(url, form[:-1], "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", "12345")
False

A request with a JSON body is signed on its URL alone, and the URL carries the hex
SHA-256 of the raw body as ``bodySHA256``: ``valid_body`` checks both; a URL without
``bodySHA256`` does not vouch for its body, so the body is not valid.

>>> hooked = "https://example.com/hook?bodySHA256=" + hashlib.sha256(b'{"a": 1}').hexdigest()
>>> valid_body(hooked, b'{"a": 1}', signature(hooked, [], "12345"), "12345")
True
>>> valid_body(hooked, b'{"a": 2}', signature(hooked, [], "12345"), "12345")
False

Behind a proxy or tunnel the URL the app sees is not the one Twilio requested: check
against the public URL. With no auth token nothing can be checked, and that is a
``ConfigurationError``, never a pass (with API-key credentials the auth token must
still be given). Where the official validator differs: it rebuilds the URL with
``urllib.parse`` before checking (lowercasing the scheme, dropping an empty ``?`` or
``#``), so the URL exactly as given is tried here as well; it removes a port by
cutting the host at its first colon, which breaks IPv6 hosts and user info, where here
only the port goes; and a malformed port is not an exception here but a URL tried only
as given.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qs, urlparse

from book.errors import ConfigurationError

__all__ = ["signature", "valid", "valid_body"]


def signature(url: str, params: Iterable[tuple[str, str]], token: str | None) -> str:
    """The ``X-Twilio-Signature`` Twilio sends with a POST of ``params`` (the form's
    ``(name, value)`` pairs; none for a GET or a JSON body) to ``url``."""
    return _sign(url + _form(params), _key(token)).decode()


def valid(url: str, params: Iterable[tuple[str, str]], signature: str, token: str | None) -> bool:
    """Whether ``signature`` (the ``X-Twilio-Signature`` header; ``""`` when it is
    missing) is Twilio's for a form POST of ``params`` to ``url``, with or without its
    port."""
    return _matches(url, _form(params), signature, _key(token))


def valid_body(url: str, body: bytes, signature: str, token: str | None) -> bool:
    """Whether ``signature`` is Twilio's for a request with a JSON ``body`` to ``url``:
    the URL alone is signed, and its ``bodySHA256`` is the hex SHA-256 of ``body``."""
    key = _key(token)
    try:
        declared = parse_qs(urlparse(url).query).get("bodySHA256", [""])[0]
    except ValueError:
        declared = ""
    hashed = hmac.compare_digest(
        hashlib.sha256(body).hexdigest().encode(), declared.encode("utf-8", "replace")
    )
    signed = _matches(url, "", signature, key)
    return bool(declared) and hashed and signed


def _key(token: str | None) -> bytes:
    if not token:
        raise ConfigurationError(
            "no auth token to check X-Twilio-Signature with: give the account's auth token "
            "(with API-key credentials too, since Twilio signs webhooks with the auth token)"
        )
    return token.encode()


def _form(params: Iterable[tuple[str, str]]) -> str:
    """The parameters as they are signed: by name, then by value, each pair once."""
    if isinstance(params, Mapping | str | bytes):
        raise TypeError(
            f"give the form's (name, value) pairs, not a {type(params).__name__}: "
            "list(d.items()) for a dict, form.multi_items() for Starlette's FormData"
        )
    values: dict[str, set[str]] = {}
    for name, value in params:
        values.setdefault(name, set()).add(value)
    return "".join(name + value for name in sorted(values) for value in sorted(values[name]))


def _sign(data: str, key: bytes) -> bytes:
    return base64.b64encode(hmac.new(key, data.encode(), hashlib.sha1).digest())


def _matches(url: str, form: str, signature: str, key: bytes) -> bool:
    given = signature.encode("utf-8", "replace")  # a signature is base64: anything else just fails
    found = False
    for candidate in _urls(url):
        found |= hmac.compare_digest(_sign(candidate + form, key), given)
    return found


def _urls(url: str) -> list[str]:
    """The URLs Twilio may have signed for ``url``: as given, as ``urllib.parse`` rebuilds
    it, and without its port (if it has one) or with the scheme's default port.

    >>> _urls("https://h/p?q=1")
    ['https://h/p?q=1', 'https://h:443/p?q=1']
    >>> _urls("HTTP://u:pw@[::1]:8080/p")
    ['HTTP://u:pw@[::1]:8080/p', 'http://u:pw@[::1]:8080/p', 'http://u:pw@[::1]/p']
    """
    try:
        parts = urlparse(url)
        port = parts.port
    except ValueError:
        return [url]
    user, at, address = parts.netloc.rpartition("@")  # urllib has made sure an "[" has its "]"
    host = address[: address.find("]") + 1] if address.startswith("[") else address.partition(":")[0]
    if port is None:
        host += ":443" if parts.scheme == "https" else ":80"
    other = parts._replace(netloc=user + at + host).geturl()
    return list(dict.fromkeys([url, parts.geturl(), other]))
