"""One simulator (demo tenants) for the whole session; each test registers its own apps, so tests
don't share redirect URIs, secrets or injected errors."""

import uuid

import pytest

from local.entra_sim import start_simulator
from tests.simulator.flows import CONTOSO, TrustingSession


@pytest.fixture(scope="session")
def sim(tmp_path_factory):
    simulator = start_simulator(state_dir=str(tmp_path_factory.mktemp("entra-sim")))
    yield simulator
    simulator.stop()


@pytest.fixture
def http(sim):
    with TrustingSession(sim.ca_bundle) as session:
        yield session


@pytest.fixture
def new_app(sim):
    """Registers an app in a tenant with a unique redirect URI and secret; returns its view
    plus `redirect_uri` and `secret`."""

    def register(tenant=CONTOSO, **spec):
        client_id = str(uuid.uuid4())
        redirect_uri = f"https://app.example.com/{client_id}/callback"
        secret = f"secret-{uuid.uuid4()}"
        spec = {"client_id": client_id, "name": "Test app", "redirect_uris": [redirect_uri],
                "secrets": [{"value": secret}], **spec}
        app = sim.add_app(tenant, spec)
        return {**app, "redirect_uri": spec["redirect_uris"][0], "secret": secret}

    return register
