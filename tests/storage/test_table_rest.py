"""table_rest, the lean client of the sign-in path's Table operations, against Azurite: what it
sends is what Table Storage stores (typed properties, quoted keys, ETags), every failure maps to
what tables.py's callers expect (404/409/412 -> None / AlreadyExists / EtagMismatch, a missing
table created once, 5xx and no connection -> storage_unavailable), a transaction is all or
nothing, and both kinds of authorization work: SharedKey (connection string) and a bearer token
(managed identity), the latter against Azurite's OAuth mode over HTTPS."""
from __future__ import annotations

import datetime
import http.server
import ipaddress
import secrets
import ssl
import threading
import time

import jwt
import pytest
from azure.core.credentials import AccessToken

from local.azurite import ACCOUNT, ACCOUNT_KEY, free_port, start_azurite
from shared.platform.errors import SsoError
from shared.storage import table_rest, tables
from shared.storage.table_rest import BatchOp, BearerToken, SharedKey, TableError, TableRest, Unreachable


@pytest.fixture(scope="module")
def azurite():
    server = start_azurite()
    yield server
    server.stop()


def _sdk_table(connection_string: str, name: str):
    from azure.data.tables import TableServiceClient

    return TableServiceClient.from_connection_string(connection_string).create_table_if_not_exists(name)


@pytest.fixture
def rest(azurite):
    client = TableRest(f"http://127.0.0.1:{azurite.port}/{ACCOUNT}", SharedKey(ACCOUNT, ACCOUNT_KEY), sleep=lambda s: None)
    yield client
    client.close()


@pytest.fixture
def table(azurite) -> str:
    name = "t" + secrets.token_hex(6)
    _sdk_table(azurite.connection_string, name)
    return name


def _entity(row: str, **fields) -> dict:
    return {"PartitionKey": "p", "RowKey": row, "doc": "{}", **fields}


def test_insert_get_update_upsert_delete_round_trip(rest, table):
    etag = rest.insert(table, _entity("a", doc='{"n":1}'))
    entity, read_etag = rest.get(table, "p", "a")
    assert (entity["doc"], read_etag) == ('{"n":1}', etag)
    newer = rest.update(table, _entity("a", doc='{"n":2}'), etag)
    assert newer != etag and rest.get(table, "p", "a")[0]["doc"] == '{"n":2}'
    upserted = rest.upsert(table, _entity("a", doc='{"n":3}'))
    assert rest.get(table, "p", "a") == ({"PartitionKey": "p", "RowKey": "a", "doc": '{"n":3}', "Timestamp": rest.get(table, "p", "a")[0]["Timestamp"]}, upserted)
    rest.delete(table, "p", "a", upserted)
    assert rest.get(table, "p", "a") is None


def test_properties_are_stored_with_the_types_the_sdk_queries_by(azurite, rest, table):
    """A datetime is an Edm.DateTime (the purge's `expires_at lt @cutoff` must find it), a large
    int an Edm.Int64, a float an Edm.Double."""
    from azure.data.tables import TableClient

    when = datetime.datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=datetime.timezone.utc)
    rest.insert(table, _entity("typed", expires_at=when, big=2**40, small=7, ratio=0.5, flag=True))
    client = TableClient.from_connection_string(azurite.connection_string, table)
    found = list(client.query_entities("expires_at lt @cutoff", parameters={"cutoff": when + datetime.timedelta(seconds=1)}))
    assert [e["RowKey"] for e in found] == ["typed"]
    assert list(client.query_entities("expires_at lt @cutoff", parameters={"cutoff": when})) == []
    entity = found[0]
    assert (entity["big"].value, entity["small"], entity["ratio"], entity["flag"]) == (2**40, 7, 0.5, True)


def test_keys_with_quotes_and_non_ascii_round_trip(rest, table):
    row = "o'brien é 100% &+="
    rest.insert(table, {"PartitionKey": "p q'", "RowKey": row, "doc": "x"})
    assert rest.get(table, "p q'", row)[0]["RowKey"] == row
    assert rest.get(table, "p q'", "o'brien") is None


def test_a_query_follows_continuations_and_its_values_never_become_filter_syntax(rest, table):
    for i in range(7):
        rest.insert(table, _entity(f"r{i}", doc=str(i), when=datetime.datetime(2026, 1, 1 + i, tzinfo=datetime.timezone.utc)))
    rest.insert(table, {"PartitionKey": "p", "RowKey": "o'brien é", "doc": "q"})
    everything = rest.query(table, table_rest.substitute("PartitionKey eq @p", {"p": "p"}), limit=100, page_size=3)  # pages of 3
    assert [e["RowKey"] for e, _ in everything] == ["o'brien é", *(f"r{i}" for i in range(7))]
    assert all(etag == rest.get(table, "p", e["RowKey"])[1] for e, etag in everything), "each entity's etag, as a point read answers it"
    assert len(rest.query(table, "PartitionKey eq 'p'", limit=5, page_size=2)) == 5
    quoted = table_rest.substitute("PartitionKey eq @p and RowKey eq @r", {"p": "p", "r": "o'brien é"})
    assert [e["doc"] for e, _ in rest.query(table, quoted, limit=10)] == ["q"]
    hostile = table_rest.substitute("PartitionKey eq @p and RowKey eq @r", {"p": "p", "r": "x' or RowKey ne 'x"})
    assert rest.query(table, hostile, limit=10) == [], "a quote in a value stays inside the string"
    dated = table_rest.substitute("PartitionKey eq @p and when lt @t", {"p": "p", "t": datetime.datetime(2026, 1, 3, tzinfo=datetime.timezone.utc)})
    assert [e["RowKey"] for e, _ in rest.query(table, dated, limit=10)] == ["r0", "r1"]
    with pytest.raises(TableError) as missing:
        rest.query("tmissing" + secrets.token_hex(4), "PartitionKey eq 'p'", limit=1)
    assert missing.value.code == "TableNotFound"


def test_a_batch_answers_each_operations_new_etag(rest, table):
    rest.insert(table, _entity("old"))
    rest.insert(table, _entity("gone"))
    etags = rest.batch(table, [BatchOp("create", _entity("a")), BatchOp("update", _entity("old", doc="2"), "*"),
                               BatchOp("delete", _entity("gone")), BatchOp("create", _entity("b"))])
    assert etags == [rest.get(table, "p", "a")[1], rest.get(table, "p", "old")[1], None, rest.get(table, "p", "b")[1]]
    assert all(etags[i] for i in (0, 1, 3)) and len(set(etags)) == 4


def test_errors_carry_status_and_code(rest, table):
    etag = rest.insert(table, _entity("e"))
    with pytest.raises(TableError) as taken:
        rest.insert(table, _entity("e"))
    assert (taken.value.status, taken.value.code) == (409, "EntityAlreadyExists")
    rest.update(table, _entity("e", doc="2"), etag)
    with pytest.raises(TableError) as stale:
        rest.update(table, _entity("e", doc="3"), etag)
    assert (stale.value.status, stale.value.code) == (412, "UpdateConditionNotSatisfied")
    with pytest.raises(TableError) as missing:
        rest.update(table, _entity("nothing"), "*")
    assert (missing.value.status, missing.value.code) == (404, "ResourceNotFound")
    with pytest.raises(TableError) as no_table:
        rest.get("nosuchtable" + secrets.token_hex(3), "p", "e")
    assert (no_table.value.status, no_table.value.code) == (404, "TableNotFound")


def test_delete_of_a_missing_entity_succeeds_but_a_stale_etag_fails(rest, table):
    """As the SDK's delete_entity: not a single-use guard (see tables.delete)."""
    rest.delete(table, "p", "never-there")
    etag = rest.insert(table, _entity("d"))
    rest.update(table, _entity("d", doc="2"), etag)
    with pytest.raises(TableError) as stale:
        rest.delete(table, "p", "d", etag)
    assert stale.value.status == 412 and rest.get(table, "p", "d") is not None


def test_a_batch_is_all_or_nothing(rest, table):
    etag = rest.insert(table, _entity("x"))
    rest.batch(table, [BatchOp("create", _entity("y")), BatchOp("update", _entity("x", doc="2"), etag), BatchOp("create", _entity("z"))])
    assert rest.get(table, "p", "x")[0]["doc"] == "2" and rest.get(table, "p", "y") and rest.get(table, "p", "z")
    with pytest.raises(TableError) as failed:  # the third operation fails: nothing of the batch lands
        rest.batch(table, [BatchOp("create", _entity("w")), BatchOp("delete", _entity("y")), BatchOp("update", _entity("x", doc="3"), etag)])
    assert (failed.value.status, failed.value.code) == (412, "UpdateConditionNotSatisfied")
    assert rest.get(table, "p", "w") is None and rest.get(table, "p", "y") is not None and rest.get(table, "p", "x")[0]["doc"] == "2"


@pytest.mark.parametrize("ops, status, code", [
    ([BatchOp("create", _entity("dup")), BatchOp("create", _entity("dup2"))], 409, "EntityAlreadyExists"),
    ([BatchOp("delete", _entity("absent"))], 404, "ResourceNotFound"),
    ([BatchOp("update", _entity("absent"), "*")], 404, "ResourceNotFound"),  # the org marker's If-Match *
])
def test_a_failing_batch_names_the_failure(rest, table, ops, status, code):
    rest.insert(table, _entity("dup2"))
    with pytest.raises(TableError) as failed:
        rest.batch(table, ops)
    assert (failed.value.status, failed.value.code) == (status, code)
    assert rest.get(table, "p", "dup") is None


def test_a_connection_the_server_closed_is_replaced(rest, table, azurite):
    """A pooled keep-alive connection whose server went away and came back (same port)."""
    rest.insert(table, _entity("k"))
    port = azurite.port
    azurite.stop()
    restarted = start_azurite(port)
    try:
        _sdk_table(restarted.connection_string, table)
        assert rest.get(table, "p", "k") is None  # in-memory Azurite lost the row, not the client
    finally:
        restarted.stop()
        azurite.process = start_azurite(port).process  # the module's Azurite, for the tests after


def test_no_answer_is_unreachable_after_the_retries():
    slept = []
    client = TableRest(f"http://127.0.0.1:{free_port()}/{ACCOUNT}", SharedKey(ACCOUNT, ACCOUNT_KEY), sleep=slept.append)
    with pytest.raises(Unreachable):
        client.get("activity", "p", "r")
    assert slept == [0.2, 0.4]


class _Failing(http.server.BaseHTTPRequestHandler):
    """Storage in trouble: every request answered with a 503 (server busy)."""

    protocol_version = "HTTP/1.1"
    seen: list[str] = []

    def do_GET(self):
        type(self).seen.append(self.path)
        body = b'{"odata.error":{"code":"ServerBusy","message":{"value":"busy"}}}'
        self.send_response(503)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-ms-error-code", "ServerBusy")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_a_5xx_is_retried_twice_then_raised():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        _Failing.seen = []
        client = TableRest(f"http://127.0.0.1:{server.server_address[1]}/{ACCOUNT}", SharedKey(ACCOUNT, ACCOUNT_KEY), sleep=lambda s: None)
        with pytest.raises(TableError) as busy:
            client.get("activity", "p", "r")
        assert (busy.value.status, busy.value.code, len(_Failing.seen)) == (503, "ServerBusy", 3)
    finally:
        server.shutdown()


class _Canned:
    """A server that answers each request with the next of `answers`, byte for byte, and records
    how many connections it saw: the framings the client must read besides Azurite's."""

    def __init__(self, answers: list[bytes]):
        import socket

        self.answers, self.connections = list(answers), 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while self.answers:
            connection, _ = self._listener.accept()
            self.connections += 1
            with connection, connection.makefile("rb") as reader:
                while self.answers:
                    head = b""
                    while not head.endswith(b"\r\n\r\n"):
                        line = reader.readline()
                        if not line:
                            break
                        head += line
                    if not head:
                        break
                    length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                    reader.read(length)
                    answer = self.answers.pop(0)
                    connection.sendall(answer)
                    if b"connection: close" in answer.lower() or b"content-length" not in answer.lower() and b"chunked" not in answer.lower():
                        break

    def client(self) -> TableRest:
        return TableRest(f"http://127.0.0.1:{self.port}/{ACCOUNT}", SharedKey(ACCOUNT, ACCOUNT_KEY), sleep=lambda s: None)


_ENTITY = b'{"PartitionKey":"p","RowKey":"r","doc":"{}"}'


def test_answers_framed_by_chunks_by_length_or_by_closing_are_read_whole():
    chunked = b"HTTP/1.1 200 OK\r\nETag: W/\"1\"\r\nTransfer-Encoding: chunked\r\n\r\n" + b"".join(
        b"%x\r\n%s\r\n" % (len(part), part) for part in (_ENTITY[:10], _ENTITY[10:])) + b"0\r\n\r\n"
    sized = b"HTTP/1.1 200 OK\r\nEtag: W/\"2\"\r\nContent-Length: %d\r\n\r\n%s" % (len(_ENTITY), _ENTITY)
    until_close = b"HTTP/1.1 200 OK\r\nETag: W/\"3\"\r\nConnection: close\r\n\r\n" + _ENTITY
    server = _Canned([chunked, sized, until_close, sized])
    client = server.client()
    etags = [client.get("t", "p", "r")[1] for _ in range(4)]
    assert etags == ['W/"1"', 'W/"2"', 'W/"3"', 'W/"2"']
    assert server.connections == 2  # kept alive across the first three, a new one after the close


def test_a_garbled_answer_is_unreachable_not_a_crash():
    server = _Canned([b"SMTP ready\r\n\r\n"] * 3)
    with pytest.raises(Unreachable):
        server.client().get("t", "p", "r")


def test_a_wrong_account_key_is_refused(azurite, table):
    client = TableRest(f"http://127.0.0.1:{azurite.port}/{ACCOUNT}", SharedKey(ACCOUNT, "d3JvbmcK" * 8))
    with pytest.raises(TableError) as refused:
        client.get(table, "p", "a")
    assert refused.value.status == 403


# --- through tables.py: the results its callers expect -------------------------------------

def test_tables_maps_each_failure_to_what_callers_expect(stack):
    partition = "rest-" + secrets.token_hex(4)
    assert tables.get("activity", partition, "r") is None
    etag = tables.insert("activity", partition, "r", {"n": 1})
    with pytest.raises(tables.AlreadyExists):
        tables.insert("activity", partition, "r", {"n": 1})
    newer = tables.replace("activity", partition, "r", {"n": 2}, etag)
    with pytest.raises(tables.EtagMismatch):
        tables.replace("activity", partition, "r", {"n": 3}, etag)
    with pytest.raises(tables.EtagMismatch):
        tables.replace("activity", partition, "missing", {"n": 3}, "*")
    with pytest.raises(tables.EtagMismatch):
        tables.delete("activity", partition, "r", etag)
    with pytest.raises(tables.AlreadyExists):
        tables.transact("activity", partition, [tables.Op("create", "new"), tables.Op("create", "r", {"n": 0})])
    with pytest.raises(tables.EtagMismatch):
        tables.transact("activity", partition, [tables.Op("create", "new", {}), tables.Op("update", "r", {"n": 0}, etag=etag)])
    assert tables.get("activity", partition, "new") is None
    assert tables.get("activity", partition, "r").doc == {"n": 2} and tables.get("activity", partition, "r").etag == newer
    tables.delete("activity", partition, "r")
    tables.delete("activity", partition, "r")  # twice: no error (not a guard)


def test_a_storage_outage_is_storage_unavailable(stack, monkeypatch):
    from shared.platform.settings import get_settings

    dead = stack.storage_connection_string.replace(stack.storage_connection_string.split("TableEndpoint=")[1].split("/devstoreaccount1")[0],
                                                   f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("SSO_STORAGE_CONNECTION_STRING", dead)
    monkeypatch.setattr(table_rest, "BACKOFF_SECONDS", 0.01)
    get_settings.cache_clear()
    tables.reset_clients()
    try:
        for call in (lambda: tables.get("activity", "p", "r"), lambda: tables.insert("activity", "p", "r", {}),
                     lambda: tables.transact("activity", "p", [tables.Op("create", "r", {})]), lambda: tables.delete("activity", "p", "r")):
            with pytest.raises(SsoError) as down:
                call()
            assert (down.value.code, down.value.status) == ("storage_unavailable", 503)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
        tables.reset_clients()


def test_a_missing_table_is_created_by_the_operation_that_finds_it_missing(stack):
    from azure.data.tables import TableServiceClient

    with TableServiceClient.from_connection_string(stack.storage_connection_string) as service:
        service.delete_table("domains")
    tables.insert("domains", "p", "r", {"n": 1})
    assert tables.get("domains", "p", "r").doc == {"n": 1}


# --- managed identity: a bearer token -------------------------------------------------------

class _Credential:
    """What DefaultAzureCredential is to the client: get_token(scope). Azurite's OAuth mode
    checks the token's audience, issuer and lifetime (not its signature, which only Entra could
    make)."""

    def __init__(self, audience: str = "https://storage.azure.com", lifetime: int = 3600):
        self.audience, self.lifetime, self.scopes = audience, lifetime, []

    def get_token(self, *scopes, **kwargs) -> AccessToken:
        self.scopes.append(scopes)
        now = int(time.time())
        claims = {"aud": self.audience, "iss": "https://sts.windows.net/ab1f708d-50f6-404c-a006-d71b2ac7a606/",
                  "iat": now - 60, "nbf": now - 60, "exp": now + self.lifetime, "oid": "managed-identity", "tid": "ab1f708d-50f6-404c-a006-d71b2ac7a606"}
        return AccessToken(jwt.encode(claims, "not-entra-" + "k" * 32, algorithm="HS256"), now + self.lifetime)


@pytest.fixture(scope="module")
def oauth_azurite(tmp_path_factory):
    """Azurite over HTTPS (its OAuth mode needs it) with a certificate for 127.0.0.1."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder = tmp_path_factory.mktemp("azurite-tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=2))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    (folder / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    server = start_azurite(extra_args=("--oauth", "basic", "--cert", str(folder / "cert.pem"), "--key", str(folder / "key.pem")))
    context = ssl.create_default_context(cafile=str(folder / "cert.pem"))
    yield server, context
    server.stop()


def _oauth_client(oauth_azurite, credential, clock=time.time) -> TableRest:
    server, context = oauth_azurite
    return TableRest(f"https://127.0.0.1:{server.port}/{ACCOUNT}", BearerToken(credential, clock=clock), context=context, sleep=lambda s: None)


def _make_table_with_token(client: TableRest, name: str) -> None:
    status, _, body = client._send("POST", f"{client._base_path}/Tables", f'{{"TableName":"{name}"}}'.encode(), {}, "application/json")
    assert status == 201, body


def test_a_bearer_token_authorizes_every_operation(oauth_azurite):
    credential = _Credential()
    client = _oauth_client(oauth_azurite, credential)
    table = "mi" + secrets.token_hex(5)
    _make_table_with_token(client, table)
    etag = client.insert(table, _entity("a"))
    client.batch(table, [BatchOp("update", _entity("a", doc="2"), etag), BatchOp("create", _entity("b"))])
    assert client.get(table, "p", "a")[0]["doc"] == "2"
    client.delete(table, "p", "b")
    assert client.get(table, "p", "b") is None
    assert credential.scopes == [("https://storage.azure.com/.default",)]  # one token, kept


def test_a_token_for_another_audience_is_refused(oauth_azurite):
    client = _oauth_client(oauth_azurite, _Credential(audience="https://vault.azure.net"))
    with pytest.raises(TableError) as refused:
        client.get("anything", "p", "a")
    assert refused.value.status in (401, 403)


def test_the_token_is_renewed_before_it_expires(oauth_azurite):
    now = [time.time()]
    credential = _Credential(lifetime=3600)
    client = _oauth_client(oauth_azurite, credential, clock=lambda: now[0])
    table = "mi" + secrets.token_hex(5)
    _make_table_with_token(client, table)
    client.get(table, "p", "a")
    now[0] += 3600 - table_rest.TOKEN_REFRESH_MARGIN_SECONDS - 1
    client.get(table, "p", "a")
    assert len(credential.scopes) == 1
    now[0] += 2  # within the margin: a new token before the old one lapses
    client.get(table, "p", "a")
    assert len(credential.scopes) == 2


def test_get_many_answers_each_row_in_order(stack):
    partition = "p" + secrets.token_hex(4)
    for i in (0, 2, 5):
        tables.insert("activity", partition, f"r{i}", {"n": i})
    found = tables.get_many("activity", partition, [f"r{i}" for i in range(8)])
    assert [row.doc["n"] if row else None for row in found] == [0, None, 2, None, None, 5, None, None]
    assert tables.get_many("activity", partition, []) == [] and tables.get_many("activity", partition, ["r2"])[0].doc == {"n": 2}
