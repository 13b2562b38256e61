"""ID-token validation rate: ours (every check, warm discovery and JWKS caches) against a bare
PyJWT RS256 decode of the same token with the same parsed key, measured in the same run.

    .venv/bin/python bench/id_token.py [--seconds 1.0] [--rounds 5]

Prints both rates (best round of each, rounds interleaved) and the ratio; the target is <= 1.5x.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jwt  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402
from jwt.algorithms import RSAAlgorithm  # noqa: E402

HOST = "https://login.bench.test"
TENANT = "0ff014fc-8490-4ab7-bf04-c6875829a31f"
CLIENT_ID = "6731de76-14a6-49ae-97bc-6eba6914391e"
NONCE = "bench-nonce"
os.environ.update({
    "SSO_REGION": "eu", "SSO_PUBLIC_BASE_URL": "https://identity.eu.example.com", "SSO_BOOTSTRAP_API_KEY": "b" * 40,
    "SSO_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true", "SSO_KEYVAULT_URL": "https://vault.example.com",
    "SSO_ENTRA_AUTHORITY_HOST": HOST,
})
for name in ("SSO_LOCAL_SECRET_STORE_PATH", "SSO_LOCAL_SECRET_STORE_KEY", "SSO_STORAGE_TABLE_ENDPOINT", "SSO_CA_BUNDLE"):
    os.environ.pop(name, None)

from bench.timing import rate  # noqa: E402
from shared.oidc import discovery, jwks  # noqa: E402
from shared.oidc.entra_id_token import validate_id_token  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="length of each timed round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = {**json.loads(RSAAlgorithm.to_jwk(key.public_key())), "kid": "k1", "use": "sig"}
    documents = {
        f"{HOST}/{TENANT}/v2.0/.well-known/openid-configuration": {
            "issuer": f"{HOST}/{TENANT}/v2.0", "jwks_uri": f"{HOST}/{TENANT}/discovery/v2.0/keys",
            "authorization_endpoint": f"{HOST}/{TENANT}/oauth2/v2.0/authorize", "token_endpoint": f"{HOST}/{TENANT}/oauth2/v2.0/token"},
        f"{HOST}/{TENANT}/discovery/v2.0/keys": {"keys": [jwk]},
    }
    discovery._default = discovery.DiscoveryCache(fetch=lambda url: (200, documents[url]))
    jwks._default = jwks.JwksCache(fetch=lambda url: (200, documents[url]))

    now = int(time.time())
    claims = {"iss": f"{HOST}/{TENANT}/v2.0", "aud": CLIENT_ID, "tid": TENANT, "oid": str(uuid.uuid4()), "sub": "s",
              "iat": now, "nbf": now, "exp": now + 3600, "nonce": NONCE, "ver": "2.0", "name": "Adele Vance",
              "preferred_username": "adele@contoso.com", "email": "adele@contoso.com", "groups": [str(uuid.uuid4()) for _ in range(20)]}
    token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})
    public_key = key.public_key()

    def ours():
        validate_id_token(token, client_id=CLIENT_ID, entra_tenant_id=TENANT, nonce=NONCE)

    def bare():
        jwt.decode(token, public_key, algorithms=["RS256"], audience=CLIENT_ID)

    assert ours() is None and bare() is None  # both accept the token; caches now warm
    best = {"ours": 0.0, "bare": 0.0}
    for _ in range(args.rounds):
        best["bare"] = max(best["bare"], rate(bare, args.seconds))
        best["ours"] = max(best["ours"], rate(ours, args.seconds))
    print(f"bare jwt.decode, RS256         {best['bare']:9.0f} tokens/s")
    print(f"validate_id_token, all checks  {best['ours']:9.0f} tokens/s")
    print(f"time per token, ours / bare    {best['bare'] / best['ours']:9.2f}x   (target <= 1.5x)")


if __name__ == "__main__":
    main()
