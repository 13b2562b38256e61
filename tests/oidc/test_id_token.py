"""ID-token validation: every rule of DESIGN.md's ID-token paragraph, each by a token that breaks
only that rule. Tokens come from FakeEntra (our keys); forgeries are built by hand."""
from __future__ import annotations

import json
import time

import pytest

from shared.oidc import id_token
from shared.oidc.entra_id_token import diagnose_id_token, validate_id_token
from shared.oidc.entra_tenant import CONSUMER_TENANT_ID
from shared.platform.errors import SsoError
from tests.oidc import fake_entra as fe

NOW = time.time()


@pytest.fixture(autouse=True)
def _now():
    """NOW is this test's instant: tokens are made with the wall clock when the test runs, which in
    a long serial run is minutes after this module was imported (past the 2-minute leeway)."""
    global NOW
    NOW = time.time()


def check(token: str, *, tenant: str = fe.TENANT, allowed=(), nonce: str = fe.NONCE, now: float | None = None) -> dict:
    return validate_id_token(token, client_id=fe.CLIENT_ID, entra_tenant_id=tenant, allowed_tenant_ids=allowed, nonce=nonce,
                             now=NOW if now is None else now)


def refused(code: str, token: str, **kwargs) -> SsoError:
    with pytest.raises(SsoError) as raised:
        check(token, **kwargs)
    assert raised.value.code == code, raised.value
    return raised.value


def test_a_token_from_the_connections_tenant_passes(entra):
    claims = fe.claims()
    assert check(fe.token(claims)) == claims


def test_a_token_signed_with_the_other_published_key_passes(entra):
    check(fe.token(kid="key-2"))


# Algorithms: decided from the header before any key is looked up.

@pytest.mark.parametrize("alg", ["none", "None", "NONE", ""])
def test_alg_none_is_refused(entra, alg):
    unsigned = fe.sign({"alg": alg, "kid": "key-1"}, fe.claims(), lambda data: b"")
    refused("id_token_unsupported_alg", unsigned)


def test_hs256_keyed_with_the_public_key_is_refused(entra):
    refused("id_token_unsupported_alg", fe.hs256_with_public_key(fe.claims()))


@pytest.mark.parametrize("alg", ["RS512", "PS256"])
def test_other_algorithms_are_refused_even_when_validly_signed_with_a_published_key(entra, alg):
    refused("id_token_unsupported_alg", fe.token(alg=alg))


def test_the_algorithm_is_refused_before_any_key_is_fetched(entra):
    refused("id_token_unsupported_alg", fe.hs256_with_public_key(fe.claims()))
    assert entra.key_fetches() == 0


# Signature: only keys the tenant publishes, never keys the token carries.

def test_a_token_signed_by_another_key_under_a_published_kid_is_refused(entra):
    refused("id_token_invalid_signature", fe.token(kid="key-1", signing_kid="attacker"))


def test_a_key_embedded_in_the_header_is_never_used(entra):
    forged = fe.token(kid="key-1", signing_kid="attacker", jwk=fe.public_jwk("attacker"),
                      jku="https://attacker.example/keys")
    refused("id_token_invalid_signature", forged)


def test_a_tampered_payload_is_refused(entra):
    header, payload, signature = fe.token().split(".")
    tampered = dict(fe.claims(), oid="00000000-0000-0000-0000-000000000000")
    refused("id_token_invalid_signature", f"{header}.{fe.b64url(json.dumps(tampered).encode())}.{signature}")


def test_a_kid_the_tenant_does_not_publish_is_refused(entra):
    refused("id_token_unknown_key", fe.token(kid="attacker"))


# Tenant and issuer: Entra signs every tenant's tokens with the same keys.

def test_a_token_from_another_tenant_signed_by_the_same_keys_is_refused(entra):
    refused("id_token_wrong_tenant", fe.token(fe.claims(fe.OTHER_TENANT)))


def test_another_tenants_token_claiming_our_tid_is_refused_by_its_issuer(entra):
    refused("id_token_wrong_issuer", fe.token(fe.claims(fe.OTHER_TENANT, tid=fe.TENANT)))


def test_another_tenants_token_claiming_our_issuer_is_refused_by_its_tid(entra):
    refused("id_token_wrong_tenant", fe.token(fe.claims(fe.OTHER_TENANT, iss=fe.issuer(fe.TENANT))))


@pytest.mark.parametrize("tenant", [fe.TENANT, "organizations"])
def test_the_tenantid_template_of_common_discovery_is_never_an_issuer(entra, tenant):
    template = fe.token(fe.claims(iss=f"{fe.HOST}/{{tenantid}}/v2.0"))
    refused("id_token_wrong_issuer", template, tenant=tenant, allowed=[fe.TENANT])


@pytest.mark.parametrize("iss", [f"{fe.HOST}/common/v2.0", f"{fe.HOST}/organizations/v2.0",
                                 f"https://sts.windows.net/{fe.TENANT}/", f"{fe.HOST}/{fe.TENANT}/v2.0/"])
def test_only_the_exact_v2_issuer_of_the_tenant_passes(entra, iss):
    refused("id_token_wrong_issuer", fe.token(fe.claims(iss=iss)))


def test_a_multi_tenant_connection_accepts_an_allowed_tenant_with_its_own_issuer(entra):
    check(fe.token(fe.claims(fe.OTHER_TENANT)), tenant="organizations", allowed=[fe.TENANT, fe.OTHER_TENANT.upper()])


def test_a_multi_tenant_connection_refuses_a_tenant_not_allowed(entra):
    refused("tenant_not_allowed", fe.token(fe.claims(fe.OTHER_TENANT)), tenant="organizations", allowed=[fe.TENANT])


def test_a_multi_tenant_connection_builds_the_issuer_for_the_tokens_tid(entra):
    mixed = fe.token(fe.claims(fe.OTHER_TENANT, iss=fe.issuer(fe.TENANT)))
    refused("id_token_wrong_issuer", mixed, tenant="organizations", allowed=[fe.TENANT, fe.OTHER_TENANT])


def test_personal_accounts_are_refused_unless_their_tenant_is_listed(entra):
    consumer = fe.token(fe.claims(CONSUMER_TENANT_ID))
    error = refused("tenant_not_allowed", consumer, tenant="organizations", allowed=[fe.TENANT])
    assert "Personal Microsoft accounts" in error.message
    check(consumer, tenant="organizations", allowed=[fe.TENANT, CONSUMER_TENANT_ID])


@pytest.mark.parametrize("tid", [["x"], "common", "contoso.com", 42])
def test_a_tid_that_is_not_a_tenant_id_is_refused(entra, tid):
    refused("id_token_wrong_tenant", fe.token(fe.claims(tid=tid)), tenant="organizations", allowed=["common", "contoso.com"])


@pytest.mark.parametrize("allowed", [[], ["common"], ["organizations"], ["*"]])
def test_no_wildcard_in_the_allowlist(entra, allowed):
    refused("tenant_not_allowed", fe.token(fe.claims()), tenant="organizations", allowed=allowed)


# Audience, time, nonce, user key.

@pytest.mark.parametrize("aud", ["11111111-2222-3333-4444-555555555555", [fe.CLIENT_ID, "https://graph.microsoft.com"], []])
def test_a_token_for_another_audience_is_refused(entra, aud):
    refused("id_token_wrong_audience", fe.token(fe.claims(aud=aud)))


def test_an_audience_list_of_only_our_client_id_passes(entra):
    check(fe.token(fe.claims(aud=[fe.CLIENT_ID])))


def test_leeway_is_two_minutes_and_at_most_five():
    assert id_token.LEEWAY_SECONDS == 120 <= 300


def test_an_expired_token_is_refused_after_the_leeway(entra):
    expired = fe.token(fe.claims(exp=int(NOW) - 121))
    refused("id_token_expired", expired)
    check(expired, now=NOW - 2)  # within the leeway: 119 s past exp


def test_a_token_not_valid_yet_is_refused_beyond_the_leeway(entra):
    future = fe.token(fe.claims(nbf=int(NOW) + 121, iat=int(NOW)))
    refused("id_token_not_yet_valid", future)
    check(future, now=NOW + 2)


def test_a_token_issued_in_the_future_is_refused(entra):
    refused("id_token_not_yet_valid", fe.token(fe.claims(iat=int(NOW) + 121, nbf=None)))


@pytest.mark.parametrize("exp", [float("inf"), float("nan"), "9999999999", True])
def test_times_must_be_finite_numbers(entra, exp):
    refused("id_token_malformed", fe.token(fe.claims(exp=exp)))


@pytest.mark.parametrize("claim", ["iss", "aud", "exp", "iat", "tid", "oid", "sub"])
def test_required_claims(entra, claim):
    refused("id_token_missing_claim", fe.token(fe.claims(**{claim: None})))


def test_a_missing_nonce_is_refused(entra):
    refused("id_token_missing_claim", fe.token(fe.claims(nonce=None)))


def test_another_sign_ins_nonce_is_refused(entra):
    refused("id_token_nonce_mismatch", fe.token(fe.claims(nonce="n0nce-of-another-sign-in")))


def test_an_empty_expected_nonce_is_a_programming_error(entra):
    with pytest.raises(ValueError):
        check(fe.token(fe.claims(nonce="")), nonce="")


# Shape.

@pytest.mark.parametrize("token", ["", "a.b", "a.b.c.d", "e30.e30", "!!!.e30.sig", "e30.bm90IGpzb24.", "W10.e30.", 42, None])
def test_malformed_tokens(entra, token):
    refused("id_token_malformed", token)


@pytest.mark.parametrize("junk", ["*", "=", " ", "+/"])
def test_characters_outside_base64url_are_refused_not_skipped(entra, junk):
    refused("id_token_malformed", fe.token() + junk)


def test_critical_header_extensions_are_refused(entra):
    refused("id_token_malformed", fe.token(crit=["exp"], exp=1))


# Diagnostics: every check, no early stop.

def test_diagnose_reports_every_check(entra):
    results = diagnose_id_token(fe.token(fe.claims(aud="someone-else", nonce="other")), client_id=fe.CLIENT_ID,
                                entra_tenant_id=fe.TENANT, nonce=fe.NONCE, now=NOW)
    assert [r.check for r in results] == ["format", "algorithm", "signature", "tenant", "issuer", "audience",
                                          "expiry", "not_before", "issued_at", "nonce", "user"]
    failed = {r.check: r.error for r in results if not r.passed}
    assert failed == {"audience": "id_token_wrong_audience", "nonce": "id_token_nonce_mismatch"}
    assert all(r.message for r in results)


def test_diagnose_of_garbage_reports_the_format(entra):
    [result] = diagnose_id_token("garbage", client_id=fe.CLIENT_ID, entra_tenant_id=fe.TENANT, nonce=fe.NONCE)
    assert (result.check, result.passed, result.error) == ("format", False, "id_token_malformed")


def test_diagnose_reports_an_unreachable_authority_as_a_failed_signature_check(entra):
    entra.unknown_tenant_status = 503
    results = diagnose_id_token(fe.token(), client_id=fe.CLIENT_ID, entra_tenant_id="5a4cb4a6-83de-4b9e-a0f3-3f8a0d5e5a67", nonce=fe.NONCE)
    assert {r.check: r.error for r in results}["signature"] == "authority_unreachable"
