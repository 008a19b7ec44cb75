"""Twilio's X-Twilio-Signature (book.signature), with the official library's
RequestValidator as the oracle.

Invariants, in words:
- the signature of any URL and form is the one the official library computes;
- ``valid`` says what the official ``validate`` says, for the right signature (of the
  URL as given, without its port or with its default port) and for a signature, a URL
  or a form changed by one step;
- a JSON body is valid only when the URL's ``bodySHA256`` is its hash and the URL is
  signed, as the official library says;
- with no auth token nothing is checked: it is refused;
- what the sandbox delivers is valid.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlparse

import httpx
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator, add_port, remove_port

from book.errors import ConfigurationError
from book.sandbox import Sandbox
from book.signature import signature, valid, valid_body
from procedures import FixedClock

Pairs = list[tuple[str, str]]


class Form(dict[str, list[str]]):
    """A form as Flask's MultiDict shows it to the official library: each name's values
    with ``getall`` (the official library takes a plain dict, or this for repeated names)."""

    def __init__(self, pairs: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        for name, value in pairs:
            self.setdefault(name, []).append(value)

    def getall(self, name: str) -> list[str]:
        return self[name]


# ----------------------------------------------------------------- strategies

hosts = st.one_of(
    st.from_regex(r"[a-z][a-z0-9-]{0,12}(\.[a-z]{2,6}){0,2}", fullmatch=True),
    st.sampled_from(["127.0.0.1", "localhost", "Example.COM"]),
)
segments = st.text(max_size=8).map(lambda text: quote(text, safe=""))  # %20, %2F, %E2%82%AC, ...
words = st.text(max_size=6)


@st.composite
def urls(draw: st.DrawFn) -> str:
    """http(s) URLs as Twilio requests them: a host, a port or not, a path with
    encoded characters, a query or not."""
    scheme = draw(st.sampled_from(["http", "https"]))
    port = draw(st.none() | st.sampled_from([80, 443]) | st.integers(1, 65535))
    path = "".join("/" + segment for segment in draw(st.lists(segments, max_size=3)))
    query = draw(st.lists(st.tuples(words, words), max_size=3))
    url = f"{scheme}://{draw(hosts)}{'' if port is None else f':{port}'}{path}"
    return url + ("?" + urlencode(query) if query else "")


names = st.sampled_from(["Body", "From", "To", "MediaUrl0", "b", "B", "é", ""]) | st.text(max_size=5)
values = st.sampled_from(["", "+14155550100", "héllo ✓", "a b&c=d", "😀"]) | st.text(max_size=10)
forms = st.lists(st.tuples(names, values), max_size=8)  # repeated names, unicode and empty values
tokens = st.text(min_size=1, max_size=32)


def official_valid(token: str, url: str, pairs: Pairs, header: str) -> bool:
    return bool(RequestValidator(token).validate(url, Form(pairs), header))


def mutated(text: str, at: int, character: str) -> str:
    """``text`` with one character changed (or added, for an empty text)."""
    if not text:
        return character
    at %= len(text)
    changed = character if text[at] != character else chr(ord(character) + 1)
    return text[:at] + changed + text[at + 1 :]


# ------------------------------------------------------------------ the oracle


@settings(max_examples=500, deadline=None)
@given(urls(), forms, tokens)
def test_the_signature_is_the_official_librarys(url: str, pairs: Pairs, token: str) -> None:
    assert signature(url, pairs, token) == RequestValidator(token).compute_signature(url, Form(pairs))


@settings(max_examples=200, deadline=None)
@given(urls(), forms, tokens)
def test_a_repeated_name_is_signed_as_the_official_library_signs_it(
    url: str, pairs: Pairs, token: str
) -> None:
    doubled = pairs + [(name, value + "x") for name, value in pairs] + pairs[::-1]
    assert signature(url, doubled, token) == RequestValidator(token).compute_signature(url, Form(doubled))


# What the signature was made on, from the URL the receiver is given.
SIGNED_URLS: dict[str, Callable[[str], str]] = {
    "as given": lambda url: url,
    "without its port": lambda url: remove_port(urlparse(url)),
    "with its default port": lambda url: add_port(urlparse(url)),
}


@settings(max_examples=300, deadline=None)
@given(urls(), forms, tokens, st.sampled_from(sorted(SIGNED_URLS)), st.data())
def test_valid_says_what_the_official_validator_says(
    url: str, pairs: Pairs, token: str, signed_on: str, data: st.DataObject
) -> None:
    assume(
        urlparse(url).geturl() == url
    )  # the official validator rebuilds the URL: see the divergences below
    header = signature(SIGNED_URLS[signed_on](url), pairs, token)
    assert valid(url, pairs, header, token) and official_valid(token, url, pairs, header)

    at, character = data.draw(st.integers(0, 100)), data.draw(st.characters(codec="utf-8"))
    cases: list[tuple[str, Pairs, str]] = [
        (url, pairs, mutated(header, at, character)),
        (url, pairs, header[:-1]),
        (url, pairs, ""),
        (mutated(url, at, character), pairs, header),
        (url + "&x" if "?" in url else url + "?x", pairs, header),
        (url, [*pairs, ("Extra", "1")], header),
        (url, [(name, mutated(value, at, character)) for name, value in pairs], header),
        (url, pairs[1:], header),
    ]
    for case_url, case_pairs, case_header in cases:
        try:
            expected = official_valid(token, case_url, case_pairs, case_header)
        except ValueError:  # a mutated URL with a port the official validator cannot read
            expected = False
        assert valid(case_url, case_pairs, case_header, token) == expected, (
            case_url,
            case_pairs,
            case_header,
        )


@settings(max_examples=200, deadline=None)
@given(urls(), st.text(max_size=40), tokens, st.data())
def test_a_json_body_is_valid_as_the_official_validator_says(
    url: str, body: str, token: str, data: st.DataObject
) -> None:
    assume(urlparse(url).geturl() == url)
    hooked = url + ("&" if "?" in url else "?") + "bodySHA256=" + hashlib.sha256(body.encode()).hexdigest()
    header = signature(hooked, [], token)
    official = RequestValidator(token)
    assert valid_body(hooked, body.encode(), header, token) and official.validate(hooked, body, header)
    other = data.draw(st.text(max_size=40).filter(lambda text: text != body))
    wrong = url + ("&" if "?" in url else "?") + "bodySHA256=" + "0" * 64
    cases = [
        (hooked, other, header),
        (hooked, body, mutated(header, 3, "A")),
        (wrong, body, signature(wrong, [], token)),
    ]
    for case_url, case_body, case_header in cases:
        assert not official.validate(case_url, case_body, case_header)
        assert not valid_body(case_url, case_body.encode(), case_header, token)


def test_a_json_body_with_no_hash_in_its_url_is_not_valid() -> None:
    url = "https://example.com/hook?x=1"
    header = signature(url, [], "token")
    assert not valid_body(url, b'{"a": 1}', header, "token")
    assert not valid_body(url, b"", header, "token")
    with pytest.raises(TypeError):  # the official validator cannot tell, and fails with a TypeError
        RequestValidator("token").validate(url, '{"a": 1}', header)


# ----------------------------------------------------- refusals and comparison


@pytest.mark.parametrize("token", ["", None])
def test_no_auth_token_is_refused_never_passed(token: str | None) -> None:
    header = RequestValidator("").compute_signature(
        "https://h/p", {}
    )  # the official library signs with no key
    for call in (
        lambda: signature("https://h/p", [], token),
        lambda: valid("https://h/p", [], header, token),
        lambda: valid_body("https://h/p?bodySHA256=" + hashlib.sha256(b"").hexdigest(), b"", header, token),
    ):
        with pytest.raises(ConfigurationError, match="auth token"):
            call()


def test_a_mapping_is_refused_since_a_multi_dict_would_hide_repeated_values() -> None:
    with pytest.raises(TypeError, match="pairs"):
        signature("https://h/p", {"Body": "hi"}, "token")  # type: ignore[arg-type]


def test_signatures_are_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[Any, Any]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    url, pairs = "https://h:8443/p?q=1", [("Body", "hi")]
    header = signature(url, pairs, "token")
    assert valid(url, pairs, header, "token")
    assert not valid(url, pairs, "short", "token")
    assert not valid(
        url, pairs, "é" * 28, "token"
    )  # not base64, not even ASCII: still compared, never raises
    assert compared and all(isinstance(a, bytes) and isinstance(b, bytes) for a, b in compared)
    assert {b for _, b in compared} == {header.encode(), b"short", "é".encode() * 28}


# ------------------------------------------------- where the official one differs


@pytest.mark.parametrize(
    ("url", "signed_on"),
    [
        ("http://[::1]:8080/hook", "http://[::1]/hook"),  # it cuts the host at its first colon
        ("https://user:pw@example.com:8443/hook", "https://user:pw@example.com/hook"),
        ("https://example.com/hook?", "https://example.com/hook?"),  # it drops an empty query
        ("HTTPS://example.com/hook", "HTTPS://example.com/hook"),  # it lowercases the scheme
    ],
)
def test_a_url_the_official_validator_rebuilds_wrongly_is_still_checked(url: str, signed_on: str) -> None:
    header = signature(signed_on, [("Body", "hi")], "token")
    assert valid(url, [("Body", "hi")], header, "token")
    assert not RequestValidator("token").validate(url, {"Body": "hi"}, header)


def test_a_url_with_a_port_that_cannot_be_read_is_checked_as_given() -> None:
    url = "https://example.com:99999/hook"
    assert valid(url, [], signature(url, [], "token"), "token")
    assert not valid(url, [], signature("https://example.com/hook", [], "token"), "token")
    with pytest.raises(ValueError, match="out of range"):
        RequestValidator("token").validate(url, {}, "x")


# ------------------------------------------------------------------ the sandbox


def test_what_the_sandbox_delivers_is_valid() -> None:
    got: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        request.read()
        got.append(request)
        return httpx.Response(200)

    clock = FixedClock(dt.datetime(2024, 6, 1, 12, tzinfo=dt.UTC))
    sandbox = Sandbox(clock=clock)
    sandbox.webhooks._transport = httpx.MockTransport(receiver)
    hook = "http://127.0.0.1:8080/hooks/in%20bound?tag=%C3%A9&x="
    sandbox.state.set_number_settings(
        sandbox.account.sid, "+15005550006", {"sms_url": hook, "sms_method": "POST"}
    )
    sandbox.receive(sender="+14155550123", body="Héllo & ✓ =")
    sandbox.client().create_message(to="+14155550100", from_="+15005550006", body="hi", status_callback=hook)
    clock.advance(dt.timedelta(seconds=5))
    sandbox.tick()
    assert sandbox.webhooks.drain()
    assert len(got) == 3  # the inbound message, then sent and delivered
    token = sandbox.account.token
    for request in got:
        pairs = parse_qsl(request.content.decode(), keep_blank_values=True)
        header = request.headers["X-Twilio-Signature"]
        assert str(request.url) == hook
        assert valid(hook, pairs, header, token)
        assert not valid(hook, pairs, header, token + "x")
        assert not valid(hook, [*pairs, ("Body", "changed")], header, token)
