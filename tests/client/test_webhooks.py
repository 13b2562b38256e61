"""verify_webhook against signatures made by the service's own signer (shared/lifecycle/webhooks.py)."""
from __future__ import annotations

import pytest
from entra_sso_client import InvalidSignatureError, verify_webhook

from shared.lifecycle.webhooks import signature

SECRET = "whsec-test-" + "k" * 8 + "x1y2z3"
BODY = b'{"id":"ntf_1","type":"secret.expiring"}'
NOW = 1_800_000_000


def _header(secret: str = SECRET, body: bytes = BODY, t: int = NOW) -> str:
    return signature(secret, body, t)


def test_a_signature_by_the_service_verifies():
    assert _header().startswith(f"t={NOW},v1=")
    assert verify_webhook(BODY, _header(), SECRET, now=NOW + 10) == NOW


def test_a_wrong_secret_an_altered_body_or_a_stale_t_is_refused():
    for header, body, now in ((_header(secret="another-secret-123"), BODY, NOW), (_header(), BODY + b" ", NOW),
                              (_header(), BODY, NOW + 301), (_header(), BODY, NOW - 301)):
        with pytest.raises(InvalidSignatureError):
            verify_webhook(body, header, SECRET, now=now)
    assert verify_webhook(BODY, _header(), SECRET, now=NOW + 3000, tolerance_seconds=3600) == NOW


def test_any_one_of_several_v1_signatures_is_enough():
    good = _header().split("v1=")[1]
    assert verify_webhook(BODY, f"t={NOW},v1={'0' * 64},v1={good}", SECRET, now=NOW) == NOW
    with pytest.raises(InvalidSignatureError):
        verify_webhook(BODY, f"t={NOW},v1={'0' * 64},v1={'f' * 64}", SECRET, now=NOW)


@pytest.mark.parametrize("header", ["", "v1=abc", f"t={NOW}", f"t=soon,v1={'0' * 64}", f"t={NOW},v1=\u00e9\u00e9", "garbage", f"t=\u00b2,v1={'0' * 64}", f"t={NOW},t={NOW},v1={'0' * 64}"])
def test_a_malformed_header_is_refused_not_crashed_on(header):
    with pytest.raises(InvalidSignatureError):
        verify_webhook(BODY, header, SECRET, now=NOW)


def test_every_v1_is_compared_in_constant_time(monkeypatch):
    import hmac

    import entra_sso_client.webhooks as webhooks

    compared, original = [], hmac.compare_digest

    def counting(a, b):
        compared.append((a, b))
        return original(a, b)

    monkeypatch.setattr(webhooks.hmac, "compare_digest", counting)
    good = _header().split("v1=")[1]
    assert verify_webhook(BODY, f"t={NOW},v1={good},v1={'0' * 64}", SECRET, now=NOW) == NOW
    assert [b for _, b in compared] == [good, "0" * 64]  # both, even after the first matched
