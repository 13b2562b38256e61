"""A lean Table Storage client for the entity operations every sign-in makes; the SDK does the rest.

Why: the azure-data-tables SDK runs each request through azure-core's generic pipeline (a dozen
policies, request/response wrappers) and builds and parses a transaction's multipart body with
Python's `email` package in a thread pool started per batch. On the sign-in path that was about
two thirds of the dev host's CPU. This module sends the same REST requests (Table service
version 2019-02-02, JSON without metadata) over pooled keep-alive connections (shared/platform/http1.py):
- `get` (point read), `insert`, `update` (replace with If-Match), `upsert` (insert or replace),
  `delete` (If-Match, `*` when no etag is given), `query` (a filter, with `substitute` for its
  parameters, following continuations), and `batch`: one partition's all-or-nothing
  transaction, whose multipart/mixed body is built and read here by hand (its format is fixed:
  one changeset of `application/http` parts, answered by one part per operation, or by the one
  failed operation's part).
- Authorization: SharedKey for a connection string (Azurite, dev), a bearer token from
  azure-identity for SSO_STORAGE_TABLE_ENDPOINT (managed identity), refreshed before it expires.
- Failures: an answer of HTTP >= 300 raises `TableError(status, code)` (Table Storage's error code:
  `EntityAlreadyExists`, `UpdateConditionNotSatisfied`, `ResourceNotFound`, `TableNotFound`...);
  shared/storage/tables.py maps those to the results its callers expect, as it does for the
  SDK's errors. A connection failure or timeout raises `Unreachable`. As the SDK was set up, a
  connection failure, 408, 429 or 5xx is retried twice (0.2 s, 0.4 s); a keep-alive connection
  the server had closed is replaced at once.
"""
from __future__ import annotations

import base64
import hmac
import http.client
import json
import os
import ssl
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Protocol
from urllib.parse import quote, urlencode, urlsplit

from shared.platform import http1

API_VERSION = "2019-02-02"
STORAGE_SCOPE = "https://storage.azure.com/.default"
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
RETRIES = 2
BACKOFF_SECONDS = 0.2
TIMEOUT_SECONDS = 10
TOKEN_REFRESH_MARGIN_SECONDS = 300


class TableError(Exception):
    """Table Storage answered HTTP `status` with error `code` (empty when it named none)."""

    def __init__(self, status: int, code: str, message: str = ""):
        super().__init__(f"HTTP {status} {code}: {message[:200]}")
        self.status, self.code = status, code


class Unreachable(Exception):
    """No answer from Table Storage (connection refused or reset, timeout), after the retries."""


class Auth(Protocol):
    def headers(self, method: str, path: str, content_type: str, date: str) -> dict[str, str]: ...


class SharedKey:
    """Table service Shared Key: HMAC-SHA256 of verb, Content-MD5 (empty), Content-Type, x-ms-date
    and /{account}{path} (no `comp` query on these operations)."""

    def __init__(self, account: str, key: str):
        self._account, self._key = account, base64.b64decode(key)

    def headers(self, method: str, path: str, content_type: str, date: str) -> dict[str, str]:
        signed = f"{method}\n\n{content_type}\n{date}\n/{self._account}{path}".encode()
        signature = base64.b64encode(hmac.digest(self._key, signed, "sha256")).decode()  # one-shot: no HMAC object
        return {"Authorization": f"SharedKey {self._account}:{signature}"}


class BearerToken:
    """An Entra token for Storage from an azure-identity credential, kept until shortly before it expires."""

    def __init__(self, credential: Any, clock: Callable[[], float] = time.time):
        self._credential, self._clock = credential, clock
        self._lock = threading.Lock()
        self._token: tuple[str, float] | None = None

    def _current(self) -> str:
        token = self._token
        if token and self._clock() < token[1] - TOKEN_REFRESH_MARGIN_SECONDS:
            return token[0]
        with self._lock:
            if not self._token or self._clock() >= self._token[1] - TOKEN_REFRESH_MARGIN_SECONDS:
                fresh = self._credential.get_token(STORAGE_SCOPE)
                self._token = (fresh.token, float(fresh.expires_on))
            return self._token[0]

    def headers(self, method: str, path: str, content_type: str, date: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._current()}"}


def _property(name: str, value: Any, out: dict) -> None:
    """One entity property in the service's JSON, typed as the SDK types it."""
    if isinstance(value, datetime):
        value = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
        out[name], out[f"{name}@odata.type"] = value.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "Edm.DateTime"
    elif isinstance(value, bool) or value is None or isinstance(value, str):
        out[name] = value
    elif isinstance(value, int):
        if -(2**31) <= value < 2**31:
            out[name] = value
        else:
            out[name], out[f"{name}@odata.type"] = str(value), "Edm.Int64"
    elif isinstance(value, float):
        out[name], out[f"{name}@odata.type"] = value, "Edm.Double"
    else:
        raise TypeError(f"no Table Storage type for {name}={type(value).__name__}")


def entity_json(entity: dict) -> bytes:
    out: dict = {}
    for name, value in entity.items():
        _property(name, value, out)
    return json.dumps(out, separators=(",", ":")).encode()


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if value.bit_length() <= 32 else f"{value}L"
    if isinstance(value, float):
        return str(value)
    if isinstance(value, datetime):
        value = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
        return f"datetime'{value.strftime('%Y-%m-%dT%H:%M:%S.%fZ')}'"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"no OData literal for {type(value).__name__}")


def substitute(query_filter: str, parameters: dict[str, Any]) -> str:
    """`query_filter` with each space-separated `@name` replaced by its parameter as an OData
    literal (strings quoted, quotes doubled): values never become filter syntax. The same rule as
    the SDK's, so the filters written for it mean the same here."""
    return " ".join(_literal(parameters[word[1:]]) if word.startswith("@") else word for word in query_filter.split(" "))


def _key(value: str) -> str:
    return quote(value.replace("'", "''"), safe="")


def _error(status: int, headers: dict[str, str], body: bytes) -> TableError:
    code = headers.get("x-ms-error-code") or ""
    message = ""
    try:
        error = json.loads(body)["odata.error"]
        code = code or error.get("code") or ""
        message = (error.get("message") or {}).get("value", "")
    except (ValueError, KeyError, TypeError, AttributeError):
        pass
    return TableError(status, code, message)


@dataclass(frozen=True)
class BatchOp:
    """One operation of a transaction: 'create', 'update' (replace, If-Match `etag`; `*` matches
    any version but not a missing entity) or 'delete' (If-Match `etag`, else `*`)."""

    kind: str
    entity: dict  # PartitionKey and RowKey at least
    etag: str | None = None


class TableRest:
    def __init__(self, endpoint: str, auth: Auth, context: ssl.SSLContext | None = None, sleep: Callable[[float], None] = time.sleep):
        parts = urlsplit(endpoint.rstrip("/"))
        self.endpoint = endpoint.rstrip("/")
        self._base_path = parts.path  # Azurite's endpoints carry the account: /devstoreaccount1
        self._auth, self._sleep = auth, sleep
        self._pool = http1.Pool(parts.scheme, parts.hostname or "", parts.port, context, TIMEOUT_SECONDS)

    def close(self) -> None:
        self._pool.close()

    # --- one request ------------------------------------------------------------------------

    def _send(self, method: str, path: str, body: bytes = b"", headers: dict | None = None,
              content_type: str = "", query: str = "") -> tuple[int, dict[str, str], bytes]:
        failure: Exception | None = None
        for attempt in range(RETRIES + 1):
            date = http1.http_date(time.time())  # every request signs it
            sent = {"x-ms-version": API_VERSION, "DataServiceVersion": "3.0", "x-ms-date": date,
                    "Accept": "application/json;odata=nometadata", **(headers or {}),
                    **self._auth.headers(method, path, content_type, date)}
            if content_type:
                sent["Content-Type"] = content_type
            try:
                status, answer, data = self._pool.exchange(method, path + (f"?{query}" if query else ""), sent, body)  # the query is not signed
            except (OSError, http.client.HTTPException) as exc:
                failure = exc
            else:
                if status not in RETRY_STATUSES or attempt == RETRIES:
                    return status, answer, data
                failure = _error(status, answer, data)
            if attempt < RETRIES:
                self._sleep(BACKOFF_SECONDS * 2**attempt)
        if isinstance(failure, TableError):
            raise failure
        raise Unreachable(f"Table Storage at {self.endpoint} did not answer: {failure}") from failure

    def _entity_path(self, table: str, partition_key: str, row_key: str) -> str:
        return f"{self._base_path}/{table}(PartitionKey='{_key(partition_key)}',RowKey='{_key(row_key)}')"

    # --- entity operations --------------------------------------------------------------------

    def get(self, table: str, partition_key: str, row_key: str) -> tuple[dict, str] | None:
        """The entity and its etag, or None when it does not exist (a missing table raises)."""
        status, headers, body = self._send("GET", self._entity_path(table, partition_key, row_key))
        if status == 200:
            return json.loads(body), headers["etag"]
        error = _error(status, headers, body)
        if status == 404 and error.code != "TableNotFound":
            return None
        raise error

    def _write(self, method: str, path: str, entity: dict | None, expected: int, headers: dict) -> str:
        status, answer_headers, body = self._send(method, path, entity_json(entity) if entity is not None else b"", headers,
                                                  "application/json" if entity is not None else "")
        if status != expected:
            raise _error(status, answer_headers, body)
        return answer_headers.get("etag", "")

    def insert(self, table: str, entity: dict) -> str:
        """Creates the entity; TableError 409 EntityAlreadyExists when its key is taken. Returns the etag."""
        return self._write("POST", f"{self._base_path}/{table}", entity, 204, {"Prefer": "return-no-content"})

    def update(self, table: str, entity: dict, etag: str) -> str:
        """Replaces the entity if its etag matches (412 otherwise, 404 when missing)."""
        return self._write("PUT", self._entity_path(table, entity["PartitionKey"], entity["RowKey"]), entity, 204, {"If-Match": etag})

    def upsert(self, table: str, entity: dict) -> str:
        """Insert or replace, whatever is stored."""
        return self._write("PUT", self._entity_path(table, entity["PartitionKey"], entity["RowKey"]), entity, 204, {})

    def delete(self, table: str, partition_key: str, row_key: str, etag: str | None = None) -> None:
        """Deletes (if unchanged, given `etag`). A missing entity or table is success, as the SDK's
        delete_entity has it: this is not a single-use guard."""
        try:
            self._write("DELETE", self._entity_path(table, partition_key, row_key), None, 204, {"If-Match": etag or "*"})
        except TableError as exc:
            if exc.status != 404:
                raise

    def query(self, table: str, query_filter: str, limit: int, page_size: int = 1000) -> list[tuple[dict, str]]:
        """The entities matching `query_filter` (OData, already substituted: `substitute`) and
        their etags, in key order, following continuations until `limit`."""
        found: list[tuple[dict, str]] = []
        continuation: dict[str, str] = {}
        while len(found) < limit:
            params = {"$filter": query_filter, "$top": str(min(page_size, limit - len(found))), **continuation}
            status, headers, body = self._send("GET", f"{self._base_path}/{table}()", headers={"Accept": "application/json;odata=minimalmetadata"},
                                               query=urlencode(params, quote_via=quote))
            if status != 200:
                raise _error(status, headers, body)
            for entity in json.loads(body).get("value", []):
                found.append((entity, entity.get("odata.etag", "")))
            next_partition, next_row = headers.get("x-ms-continuation-nextpartitionkey"), headers.get("x-ms-continuation-nextrowkey")
            if not next_partition and not next_row:
                break
            continuation = {name: value for name, value in (("NextPartitionKey", next_partition), ("NextRowKey", next_row)) if value}
        return found[:limit]

    # --- the one-partition transaction -------------------------------------------------------

    def _part(self, table: str, op: BatchOp) -> str:
        entity = op.entity
        target = f"{self.endpoint}/{table}"
        if op.kind == "create":
            head, body = [f"POST {target} HTTP/1.1", "Prefer: return-no-content"], entity_json(entity).decode()
        else:
            target += f"(PartitionKey='{_key(entity['PartitionKey'])}',RowKey='{_key(entity['RowKey'])}')"
            etag = op.etag or "*"
            if op.kind == "update":
                head, body = [f"PUT {target} HTTP/1.1", f"If-Match: {etag}"], entity_json(entity).decode()
            elif op.kind == "delete":
                head, body = [f"DELETE {target} HTTP/1.1", f"If-Match: {etag}"], ""
            else:
                raise ValueError(op.kind)
        if body:
            head += ["Content-Type: application/json", f"Content-Length: {len(body.encode())}"]
        return "\r\n".join([*head, "Accept: application/json;odata=nometadata", "DataServiceVersion: 3.0", "", body])

    def batch(self, table: str, ops: list[BatchOp]) -> list[str | None]:
        """All of `ops` (one partition, at most 100) or none; answers each operation's new ETag
        (None for a delete), as the service answers them in order, so a writer needs no read
        after its write. On failure raises the failed operation's TableError (its message starts
        with that operation's index)."""
        # Any boundary absent from the parts will do: random bytes as hex, without uuid4's object.
        batch_id, changeset = f"batch_{os.urandom(16).hex()}", f"changeset_{os.urandom(16).hex()}"
        parts = [f"--{batch_id}", f"Content-Type: multipart/mixed; boundary={changeset}", ""]
        for index, op in enumerate(ops):
            parts += [f"--{changeset}", "Content-Type: application/http", "Content-Transfer-Encoding: binary", f"Content-ID: {index}", "",
                      self._part(table, op)]
        parts += [f"--{changeset}--", f"--{batch_id}--", ""]
        status, headers, body = self._send("POST", f"{self._base_path}/$batch", "\r\n".join(parts).encode(), {},
                                           f"multipart/mixed; boundary={batch_id}")
        if status != 202:
            raise _error(status, headers, body)
        failed = _failed_part(body)
        if failed:
            raise failed
        return _part_etags(body, len(ops))


def _part_etags(body: bytes, count: int) -> list[str | None]:
    """The ETag header of each operation's answer in a successful $batch response, in order."""
    text = body.decode("utf-8", "replace")
    etags: list[str | None] = []
    position = 0
    while len(etags) < count:
        start = text.find("HTTP/1.1 ", position)
        if start < 0:
            break
        header_end = text.find("\r\n\r\n", start)
        header_end = len(text) if header_end < 0 else header_end
        etag = None
        for line in text[start:header_end].split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "etag":
                etag = value.strip()
        etags.append(etag)
        position = header_end
    return etags + [None] * (count - len(etags))


def _failed_part(body: bytes) -> TableError | None:
    """The first operation answer in a $batch response that is not a success, if any. Each
    answer is an HTTP response embedded in the multipart body: status line, headers, blank line,
    body (JSON for an error)."""
    text = body.decode("utf-8", "replace")
    position = 0
    while True:
        start = text.find("HTTP/1.1 ", position)
        if start < 0:
            return None
        status = int(text[start + 9:start + 12])
        position = start + 12
        if status >= 300:
            header_end = text.find("\r\n\r\n", start)
            headers: dict[str, str] = {}
            for line in text[start:header_end].split("\r\n")[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            payload = text[header_end + 4:text.find("\r\n--", header_end)] if header_end >= 0 else ""
            return _error(status, headers, payload.encode())
