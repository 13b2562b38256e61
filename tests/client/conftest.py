"""The client library as a SaaS backend uses it, against the dev host on Azurite and the Entra
simulator (the repository's `stack` fixtures). The package is the installed one
(`pip install ./clients/python`, as scripts/test does)."""
from __future__ import annotations

import pytest
import requests
from entra_sso_client import EntraSso

from tests.flows.conftest import oidc  # noqa: F401 (an org with an OIDC connection and its key)


def session() -> requests.Session:
    plain = requests.Session()
    plain.trust_env = False  # the suite's CA settings are for the service, not for this client
    return plain


@pytest.fixture
def global_client(stack) -> EntraSso:
    return EntraSso(stack.base_url, stack.bootstrap_key, session=session())


@pytest.fixture
def client_for(stack):
    def make(key: str | None) -> EntraSso:
        return EntraSso(stack.base_url, key, session=session())

    return make
