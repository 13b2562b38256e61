"""The JWKS cache: keys parsed once, an unknown kid refetches at most once a minute per
jwks_uri (clock injected, never slept on), and a day-old key set is refetched."""
from __future__ import annotations

import threading
import time

import pytest

from shared.oidc.jwks import JwksCache
from shared.platform.errors import SsoError
from tests.oidc import fake_entra as fe


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def cache(entra, clock):
    return JwksCache(fetch=entra.fetch, clock=clock)


def unknown(cache, kid="key-3"):
    with pytest.raises(SsoError) as raised:
        cache.key(fe.FakeEntra().jwks_uri(), kid)
    assert raised.value.code == "id_token_unknown_key"


def test_keys_are_fetched_once_and_parsed_once(cache, entra):
    first = cache.key(entra.jwks_uri(), "key-1")
    assert cache.key(entra.jwks_uri(), "key-1") is first
    assert cache.key(entra.jwks_uri(), "key-2") is not first
    assert entra.key_fetches() == 1


def test_an_unknown_kid_refetches_at_most_once_a_minute(cache, entra, clock):
    cache.key(entra.jwks_uri(), "key-1")
    for _ in range(5):
        unknown(cache)
    assert entra.key_fetches() == 1  # fetched 0 s ago: no refetch
    clock.now += 60
    unknown(cache)
    unknown(cache)
    assert entra.key_fetches() == 2
    clock.now += 59
    unknown(cache)
    assert entra.key_fetches() == 2


def test_a_rolled_over_key_is_found_by_the_refetch(cache, entra, clock):
    cache.key(entra.jwks_uri(), "key-1")
    clock.now += 61
    entra.published = ["key-2", "attacker"]  # stands in for Entra's next key
    assert cache.key(entra.jwks_uri(), "attacker").key_id == "attacker"
    assert entra.key_fetches() == 2


def test_a_day_old_key_set_is_refetched_so_withdrawn_keys_stop_working(cache, entra, clock):
    cache.key(entra.jwks_uri(), "key-1")
    entra.published = ["key-2"]
    clock.now += 24 * 3600
    unknown(cache, "key-1")


def test_two_threads_past_the_fast_path_fetch_once(entra):
    """B checks, takes the fetch lock and pauses; meanwhile A checks (still stale) and queues on the
    lock. A must re-check under the lock instead of fetching again. Correct code passes whatever
    the timing; the pause only gives A time to reach the lock so that a missing re-check shows."""
    a_may_check = threading.Event()
    calls = {"A": 0, "B": 0}
    now = [1000.0]

    def clock():
        name = threading.current_thread().name
        calls[name] = calls.get(name, 0) + 1
        if name == "A" and calls["A"] == 1:
            a_may_check.wait(5)
        if name == "B" and calls["B"] == 2:  # B holds the lock, before it records its attempt
            a_may_check.set()
            time.sleep(0.05)
        return now[0]

    cache = JwksCache(fetch=entra.fetch, clock=clock)
    cache.key(entra.jwks_uri(), "key-1")
    now[0] += 61
    errors = []

    def look_up():
        try:
            cache.key(entra.jwks_uri(), "key-3")
        except SsoError as error:
            errors.append(error.code)

    threads = [threading.Thread(target=look_up, name=name) for name in ("A", "B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == ["id_token_unknown_key"] * 2
    assert entra.key_fetches() == 2


def test_a_failed_fetch_counts_toward_the_limit(entra, clock):
    outage = {"on": False}

    def fetch(url):
        if outage["on"]:
            raise SsoError("authority_unreachable")
        return entra.fetch(url)

    cache = JwksCache(fetch=fetch, clock=clock)
    cache.key(entra.jwks_uri(), "key-1")
    clock.now += 61
    outage["on"] = True
    with pytest.raises(SsoError, match="authority_unreachable"):
        cache.key(entra.jwks_uri(), "key-3")
    unknown(cache)  # no second attempt within the minute
    assert cache.key(entra.jwks_uri(), "key-1")  # known keys keep working


def test_only_rsa_signing_keys_are_kept(clock):
    jwk = fe.public_jwk("key-1")
    document = {"keys": [
        {**fe.public_jwk("key-2"), "use": "enc"},
        {**fe.public_jwk("attacker"), "alg": "RS512"},
        {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
        {"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"},
        jwk,
    ]}
    cache = JwksCache(fetch=lambda url: (200, document), clock=clock)
    assert cache.key("https://keys", "key-1").key_id == "key-1"
    for kid in ("key-2", "attacker", "hmac", "broken"):
        with pytest.raises(SsoError, match="id_token_unknown_key"):
            cache.key("https://keys", kid)


def test_a_document_that_is_not_a_key_set_is_an_authority_problem(clock):
    cache = JwksCache(fetch=lambda url: (200, {"keys": "nope"}), clock=clock)
    with pytest.raises(SsoError, match="authority_unreachable"):
        cache.key("https://keys", "key-1")
