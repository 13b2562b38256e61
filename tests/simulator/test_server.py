"""The server itself: concurrent requests, atomic code redemption, TLS trust through ca.pem, and
the command line."""

import json
import os
import socket
import ssl
import subprocess
import sys
import threading

import pytest
import requests

from tests.simulator.flows import ADELE, CONTOSO, TrustingSession, authorize_params, pkce_pair, redeem, redirect_params, sign_in


def test_a_stalled_connection_does_not_block_others(sim, http):
    # A client that opens a connection and sends half a request holds its handler thread; a
    # server that handled one request at a time would never answer the next one.
    context = ssl.create_default_context(cafile=sim.ca_bundle)
    with socket.create_connection(("127.0.0.1", sim.port)) as raw, \
            context.wrap_socket(raw, server_hostname="127.0.0.1") as stalled:
        stalled.sendall(b"GET /common/v2.0/.well-known/openid-configuration HTTP/1.1\r\n")
        response = http.get(f"{sim.authority}/{CONTOSO}/v2.0/.well-known/openid-configuration",
                            timeout=10)
        assert response.status_code == 200


def test_concurrent_redemptions_of_one_code_give_one_token(sim, new_app):
    app = new_app()
    with TrustingSession(sim.ca_bundle) as session:
        verifier, challenge = pkce_pair()
        code = redirect_params(sign_in(session, sim, CONTOSO, authorize_params(app, challenge),
                                       ADELE))["code"]
    start, statuses = threading.Barrier(8), []

    def redeem_once():
        with TrustingSession(sim.ca_bundle) as own:
            start.wait()
            statuses.append(redeem(own, sim, CONTOSO, app, code, verifier).status_code)

    threads = [threading.Thread(target=redeem_once) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [400] * 7


def test_the_certificate_is_trusted_only_through_ca_pem(sim):
    with requests.Session() as plain, pytest.raises(requests.exceptions.SSLError):
        plain.get(f"{sim.authority}/common/v2.0/.well-known/openid-configuration",
                  verify=True)
    with open(sim.ca_bundle, encoding="ascii") as f:
        assert f.read().startswith("-----BEGIN CERTIFICATE-----")


def test_command_line_prints_where_it_serves_then_serves(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "local.entra_sim", "--port", "0", "--state-dir", str(tmp_path)],
        stdout=subprocess.PIPE, text=True, cwd=os.getcwd())
    try:
        ready = json.loads(process.stdout.readline())
        assert ready["ca_bundle"] == str(tmp_path / "ca.pem")
        with TrustingSession(ready["ca_bundle"]) as session:
            doc = session.get(f"{ready['authority']}/contoso.com/v2.0/.well-known/"
                              "openid-configuration", timeout=10).json()
        assert doc["issuer"] == f"{ready['authority']}/{CONTOSO}/v2.0"
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
