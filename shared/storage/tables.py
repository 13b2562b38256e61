"""Table Storage access: one client per table, documents as JSON, ETags, and error translation.

Every record is an entity whose `doc` property holds the record as JSON (lists and objects
stay lists and objects), plus a few top-level properties that queries filter on (`expires_at`,
`organization`). A string property holds at most 64 KiB (32K UTF-16 characters; the JSON is
ASCII): a longer document (a login whose profile lists thousands of groups) continues in `doc_1`,
`doc_2`... of the same entity, up to the entity's 1 MiB, so it is still one row written and
read in one request, and every etag guard is unchanged. A replace writes the whole entity, so a
document that shrinks leaves no old pieces behind. Failures reaching storage become `storage_unavailable` (503); nothing here
half-writes: multi-entity changes go through `transact` (one partition, all or nothing).

Tables are created when an instance starts (`ensure_tables`, from the warm-up in
shared/web/warmup.py), not on the first request. A table missing later (never created, a new
account behind the same settings, an emulator restarted in memory) is created by the first
operation that finds it missing, which then runs once more; GET /api/health does the same for
every table.

The entity operations (get, insert, replace, upsert, delete, transact) and `query_all` go through
the lean client in table_rest.py: they are every sign-in's and SCIM request's round trips, and
the SDK's pipeline was most of their CPU. Cursor pages (`query_page`, whose cursors carry the
SDK's continuation token) and table management stay on the SDK, which (with azure-core, whose
exceptions `sdk_errors` maps) loads on their first use, not at every cold start.
"""
from __future__ import annotations

import base64
import functools
import json
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Generic, Iterator, TypeVar

from shared.platform.errors import SsoError
from shared.platform.settings import get_settings
from shared.platform.validation import is_storage_key
from shared.storage import table_rest

TABLES = ("organizations", "connections", "apikeys", "activity", "domains", "directories", "webhookdue")


class AlreadyExists(Exception):
    """An insert found the key taken (the atomic single-use primitive)."""


class EtagMismatch(Exception):
    """The entity changed (or vanished) since it was read."""


D = TypeVar("D")
T = TypeVar("T")


@dataclass(frozen=True)
class Stored(Generic[D]):
    """A record as read, with the etag a write of it must match. `doc` is the stored JSON as a
    dict here; the modules that own a kind of record answer it as their model (`typed`)."""

    doc: D
    etag: str
    partition_key: str
    row_key: str

    def typed(self, model: Callable[[Any], T]) -> Stored[T]:
        """The same entity with `doc` read by `model` (a Record's `from_stored`)."""
        return Stored(model(self.doc), self.etag, self.partition_key, self.row_key)


def _table_missing(exc: table_rest.TableError) -> bool:
    """The table itself is gone (not the entity): Table Storage's `TableNotFound`."""
    return exc.code == "TableNotFound"


def _sdk_table_missing(exc) -> bool:
    """`_table_missing` for the SDK's HttpResponseError."""
    code = getattr(exc, "error_code", None) or (exc.response.headers.get("x-ms-error-code") if exc.response is not None else None)
    return exc.status_code == 404 and code == "TableNotFound"


@contextmanager
def storage_errors() -> Iterator[None]:
    """Maps table_rest's exceptions to our semantics; anything unexpected from storage is a 503."""
    try:
        yield
    except table_rest.TableError as exc:
        if _table_missing(exc):  # still missing after _on_rest_table created it again
            raise SsoError("storage_unavailable") from exc
        if exc.status == 409:
            raise AlreadyExists() from exc
        if exc.status in (404, 412):
            raise EtagMismatch() from exc
        raise SsoError("storage_unavailable") from exc
    except table_rest.Unreachable as exc:
        raise SsoError("storage_unavailable") from exc


@contextmanager
def sdk_errors() -> Iterator[None]:
    """`storage_errors` for the operations that stay on the SDK (table management, cursor pages,
    partition deletes)."""
    # On first use: azure-core loads with the SDK, for those rare operations, not at cold start.
    from azure.core.exceptions import AzureError, HttpResponseError, ResourceExistsError, ResourceModifiedError, ResourceNotFoundError

    try:
        yield
    except HttpResponseError as exc:
        if _sdk_table_missing(exc):  # still missing after _on_table created it again
            raise SsoError("storage_unavailable") from exc
        if isinstance(exc, ResourceExistsError) or exc.status_code == 409:
            raise AlreadyExists() from exc
        if isinstance(exc, (ResourceModifiedError, ResourceNotFoundError)) or exc.status_code == 412:
            raise EtagMismatch() from exc
        raise SsoError("storage_unavailable") from exc
    except AzureError as exc:
        raise SsoError("storage_unavailable") from exc


_create_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def _credential():
    """The managed identity (one per process, shared by the SDK and table_rest)."""
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential()


def _connection_string_parts(connection_string: str) -> dict[str, str]:
    parts = {}
    for item in connection_string.split(";"):
        name, _, value = item.partition("=")
        if name.strip():
            parts[name.strip().lower()] = value.strip()
    return parts


@functools.lru_cache(maxsize=None)
def _rest() -> table_rest.TableRest:
    settings = get_settings()
    if settings.storage_connection_string:
        parts = _connection_string_parts(settings.storage_connection_string)
        endpoint = parts.get("tableendpoint") or (
            f"{parts.get('defaultendpointsprotocol', 'https')}://{parts['accountname']}.table.{parts.get('endpointsuffix', 'core.windows.net')}")
        return table_rest.TableRest(endpoint, table_rest.SharedKey(parts["accountname"], parts["accountkey"]))
    import ssl

    import certifi

    # The SDK's trust for storage: certifi's roots (storage is Azure's, never the stamp's own CA).
    return table_rest.TableRest(settings.storage_table_endpoint, table_rest.BearerToken(_credential()),
                                context=ssl.create_default_context(cafile=certifi.where()))


@functools.lru_cache(maxsize=None)
def _service():
    import requests
    from azure.core.pipeline.transport import RequestsTransport
    from azure.data.tables import TableServiceClient

    settings = get_settings()
    # Without trust_env, requests skips its per-request .netrc and proxy-environment lookups
    # (file system calls that were a tenth of the dev host's time on the sign-in path).
    session = requests.Session()
    session.trust_env = False
    # Few, fast retries: a request waiting on dead storage should answer 503 in seconds, not minutes.
    options = dict(retry_total=2, retry_backoff_factor=0.2, connection_timeout=5, read_timeout=10,
                   transport=RequestsTransport(session=session, session_owner=False))
    if settings.storage_connection_string:
        return TableServiceClient.from_connection_string(settings.storage_connection_string, **options)
    return TableServiceClient(endpoint=settings.storage_table_endpoint, credential=_credential(), **options)


def _create(name: str) -> None:
    with _create_lock, sdk_errors():
        _service().create_table_if_not_exists(name)


@functools.lru_cache(maxsize=None)
def _client(name: str):
    if name not in TABLES:
        raise ValueError(f"unknown table {name}")
    return _service().get_table_client(name)


def _rest_for(name: str) -> table_rest.TableRest:
    if name not in TABLES:
        raise ValueError(f"unknown table {name}")
    return _rest()


def _on_table(table: str, action: Callable[[Any], T]) -> T:
    """`action(client)`; when the table is missing (never created, or vanished since), creates it
    and runs `action` once more (call inside sdk_errors: a table still missing is a 503)."""
    from azure.core.exceptions import HttpResponseError  # loaded by the SDK already (see sdk_errors): not at cold start

    try:
        return action(_client(table))
    except HttpResponseError as exc:
        if not _sdk_table_missing(exc):
            raise
    _create(table)
    return action(_client(table))


def _on_rest_table(table: str, action: Callable[[table_rest.TableRest], T]) -> T:
    """`_on_table` for an operation of table_rest."""
    try:
        return action(_rest_for(table))
    except table_rest.TableError as exc:
        if not _table_missing(exc):
            raise
    _create(table)
    return action(_rest_for(table))


def ensure_tables() -> None:
    """Creates whichever of the stamp's tables is missing (one listing when none is)."""
    with sdk_errors():
        present = {t.name for t in _service().list_tables()}
    for name in TABLES:
        if name not in present:
            _create(name)


def reset_clients() -> None:
    """Forget clients (tests that point the process at another storage account)."""
    _client.cache_clear()
    _service.cache_clear()
    if _rest.cache_info().currsize:
        _rest().close()
    _rest.cache_clear()


DOC_PIECE = 32_000  # characters of one string property (64,000 bytes in UTF-16, under its 64 KiB)
# Pieces an entity holds within Table Storage's 1 MiB (each piece costs 8 + 2 * len(name) + 4 +
# 64,000 bytes in its size formula): 15 of them, leaving 88 KB for the keys and the rest.
MAX_DOC_PIECES = 15
MAX_DOC_CHARS = DOC_PIECE * MAX_DOC_PIECES


class DocumentTooLarge(ValueError):
    """A record whose JSON exceeds MAX_DOC_CHARS: its owner must bound what it stores."""


def _entity(partition_key: str, row_key: str, doc: dict, indexed: dict | None) -> dict:
    text = json.dumps(doc, separators=(",", ":"))
    if len(text) <= DOC_PIECE:
        return {"PartitionKey": partition_key, "RowKey": row_key, "doc": text, **(indexed or {})}
    if len(text) > MAX_DOC_CHARS:
        raise DocumentTooLarge(f"a record of {len(text)} characters (at most {MAX_DOC_CHARS})")
    pieces = {f"doc_{i}": text[i * DOC_PIECE:(i + 1) * DOC_PIECE] for i in range(1, -(-len(text) // DOC_PIECE))}
    return {"PartitionKey": partition_key, "RowKey": row_key, "doc": text[:DOC_PIECE], **pieces, **(indexed or {})}


def _doc(entity) -> dict:
    text = entity["doc"]
    if "doc_1" in entity:  # a long document (above)
        text = "".join([text, *(entity[f"doc_{i}"] for i in range(1, MAX_DOC_PIECES) if f"doc_{i}" in entity)])
    return json.loads(text)


def _stored(entity) -> Stored:
    return Stored(_doc(entity), entity.metadata["etag"], entity["PartitionKey"], entity["RowKey"])


def check_if_match(if_match: str | None, current_etag: str) -> None:
    """A client's If-Match (from an earlier GET) must still be the record's etag: else 409."""
    if if_match and if_match != "*" and if_match != current_etag:
        raise SsoError("conflict")


def get(table: str, partition_key: str, row_key: str) -> Stored | None:
    with storage_errors():
        found = _on_rest_table(table, lambda rest: rest.get(table, partition_key, row_key))
    if found is None:
        return None
    entity, etag = found
    return Stored(_doc(entity), etag, entity["PartitionKey"], entity["RowKey"])


MAX_PARALLEL_READS = 8


@functools.lru_cache(maxsize=1)
def _readers():
    from concurrent.futures import ThreadPoolExecutor  # on first use: most requests read one row at a time

    return ThreadPoolExecutor(max_workers=MAX_PARALLEL_READS, thread_name_prefix="table-reads")


def get_many(table: str, partition_key: str, row_keys: list[str]) -> list[Stored | None]:
    """`get` of each row, at most MAX_PARALLEL_READS at once (point reads in parallel cost the
    time of about one; a query ORing RowKeys would be one request but a partition scan)."""
    if len(row_keys) <= 1:
        return [get(table, partition_key, key) for key in row_keys]
    return list(_readers().map(lambda key: get(table, partition_key, key), row_keys))


def insert(table: str, partition_key: str, row_key: str, doc: dict, indexed: dict | None = None) -> str:
    """Creates the entity or raises AlreadyExists; returns the new etag."""
    with storage_errors():
        return _on_rest_table(table, lambda rest: rest.insert(table, _entity(partition_key, row_key, doc, indexed)))


def replace(table: str, partition_key: str, row_key: str, doc: dict, etag: str, indexed: dict | None = None) -> str:
    """Replaces the entity only if it still has `etag`; else EtagMismatch. Returns the new etag."""
    with storage_errors():
        return _on_rest_table(table, lambda rest: rest.update(table, _entity(partition_key, row_key, doc, indexed), etag))


def upsert(table: str, partition_key: str, row_key: str, doc: dict, indexed: dict | None = None) -> str:
    """Creates or replaces the entity whatever it holds (last writer wins); returns the new etag."""
    with storage_errors():
        return _on_rest_table(table, lambda rest: rest.upsert(table, _entity(partition_key, row_key, doc, indexed)))


def delete(table: str, partition_key: str, row_key: str, etag: str | None = None) -> None:
    """Deletes (only if unchanged when `etag` is given: EtagMismatch otherwise). NOT a guard:
    a delete reports success when the entity (or its table) does not exist, so two concurrent
    deletes both succeed; single use is a conditional `replace` or an `insert`."""
    with storage_errors():
        _rest_for(table).delete(table, partition_key, row_key, etag)


@dataclass(frozen=True)
class Op:
    """One operation of a transaction: kind is 'create', 'update' (replace if `etag` matches) or 'delete'."""

    kind: str
    row_key: str
    doc: dict | None = None
    etag: str | None = None
    indexed: dict | None = None


def transact(table: str, partition_key: str, ops: list[Op]) -> dict[str, str]:
    """All-or-nothing in one round trip. A failing create raises AlreadyExists, a failing etag
    EtagMismatch. Answers the new ETag of each row created or replaced (row key -> etag)."""
    batch = []
    for op in ops:
        if op.kind in ("create", "update"):
            batch.append(table_rest.BatchOp(op.kind, _entity(partition_key, op.row_key, op.doc, op.indexed), op.etag))
        elif op.kind == "delete":
            # In a batch a delete of a missing row fails the batch (unlike delete alone); with
            # `etag` it also fails when the row changed.
            batch.append(table_rest.BatchOp("delete", {"PartitionKey": partition_key, "RowKey": op.row_key}, op.etag))
        else:
            raise ValueError(op.kind)
    with storage_errors():
        try:
            etags = _on_rest_table(table, lambda rest: rest.batch(table, batch))
        except table_rest.TableError as exc:
            if _table_missing(exc):
                raise
            if exc.code == "EntityAlreadyExists":
                raise AlreadyExists() from exc
            if exc.code in ("UpdateConditionNotSatisfied", "ResourceNotFound"):
                raise EtagMismatch() from exc
            raise SsoError("storage_unavailable") from exc
    return {op.row_key: etag for op, etag in zip(ops, etags) if op.kind != "delete" and etag}


# A query for the rows of one kind in a partition: `PREFIX_FILTER` with `prefix_range(prefix)`.
PREFIX_FILTER = "PartitionKey eq @partition and RowKey ge @start and RowKey lt @end"


def prefix_range(prefix: str) -> dict[str, str]:
    """Query parameters `start`/`end` spanning exactly the row keys that begin with `prefix`
    (the end is the prefix with its last character incremented)."""
    return {"start": prefix, "end": prefix[:-1] + chr(ord(prefix[-1]) + 1)}


MAX_BATCH = 100  # Table Storage's limit of operations in one transaction


def delete_partition(table: str, partition_key: str) -> int:
    """Deletes every entity of one partition, in transactions of at most MAX_BATCH; returns how many."""
    deleted = 0
    while True:
        with sdk_errors():
            keys = _on_table(table, lambda client: [e["RowKey"] for e in client.query_entities(
                "PartitionKey eq @pk", parameters={"pk": partition_key}, select=["RowKey"], results_per_page=MAX_BATCH).by_page().__next__()])
        if not keys:
            return deleted
        transact(table, partition_key, [Op("delete", row_key) for row_key in keys])
        deleted += len(keys)


def _encode_cursor(token: Any) -> str | None:
    return base64.urlsafe_b64encode(json.dumps(token).encode()).decode() if token else None


_CURSOR_FIELDS = frozenset({"PartitionKey", "RowKey"})  # the SDK's continuation token
MAX_CURSOR_LENGTH = 4096


def _decode_cursor(cursor: str | None) -> Any:
    """The continuation token a cursor carries. It is user input that becomes the next keys of a
    query, so anything but the SDK's token shape with valid keys is `invalid_request`."""
    if not cursor:
        return None
    token = None
    if len(cursor) <= MAX_CURSOR_LENGTH:
        try:
            token = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        except (ValueError, UnicodeError, RecursionError):
            pass
    if not (isinstance(token, dict) and token and set(token) <= _CURSOR_FIELDS
            and all(value is None or is_storage_key(value) for value in token.values())
            and any(value is not None for value in token.values())):
        raise SsoError("invalid_request", "The `cursor` parameter is not one this API returned; start again without it.")
    return token


def query_page(table: str, query_filter: str, parameters: dict, page_size: int, cursor: str | None = None) -> tuple[list[Stored], str | None]:
    """One page of matching records, in key order, with an opaque cursor for the next page."""
    token = _decode_cursor(cursor)

    def page(client) -> tuple[list[Stored], str | None]:
        pages = client.query_entities(query_filter, parameters=parameters, results_per_page=page_size).by_page(continuation_token=token)
        items = [_stored(e) for e in next(pages, [])]
        return items, _encode_cursor(pages.continuation_token)

    with sdk_errors():
        return _on_table(table, page)


def query_all(table: str, query_filter: str, parameters: dict, limit: int = 1000) -> list[Stored]:
    """Every matching record (at most `limit`), in key order; through table_rest, like the entity
    operations (SCIM's filters and index reads are queries, on every request)."""
    text = table_rest.substitute(query_filter, parameters)
    with storage_errors():
        found = _on_rest_table(table, lambda rest: rest.query(table, text, limit))
    return [Stored(json.loads(entity["doc"]), etag, entity["PartitionKey"], entity["RowKey"]) for entity, etag in found]
