"""CPU per sign-in's worth of Table operations, three ways, against Azurite in the same run.

    .venv/bin/python -m bench.table_ops [--rounds 200]

One round is what a sign-in sends: a one-partition transaction (insert + marker), a point read,
a transaction (update + event + marker), a point read, a transaction (update + marker). Each way
runs the same rounds; printed is this process's CPU time (not wall time) per round and the ratio
to the SDK as shared/storage/tables.py configured it before table_rest:
- `sdk`: azure-data-tables with its default pipeline (our transport: a requests Session without
  trust_env, few retries);
- `sdk-lean`: the same client with only the policies the hot path needs (headers, SharedKey,
  content decoding), the SDK's own hook for a custom pipeline;
- `table_rest`: shared/storage/table_rest.py, the lean client the sign-in path uses.
"""
from __future__ import annotations

import argparse
import secrets
import sys
import time
import uuid

from local.azurite import ACCOUNT, ACCOUNT_KEY, start_azurite


def _sdk_ops(connection_string: str, table: str, lean: bool):
    import requests
    from azure.core import MatchConditions
    from azure.core.pipeline.policies import ContentDecodePolicy
    from azure.core.pipeline.transport import RequestsTransport
    from azure.data.tables import TableClient, UpdateMode
    from azure.data.tables._authentication import SharedKeyCredentialPolicy
    from azure.data.tables._policies import StorageHeadersPolicy

    session = requests.Session()
    session.trust_env = False
    options = dict(retry_total=2, transport=RequestsTransport(session=session, session_owner=False))
    client = TableClient.from_connection_string(connection_string, table, **options)
    if lean:
        from azure.core.credentials import AzureNamedKeyCredential

        policies = [StorageHeadersPolicy(), SharedKeyCredentialPolicy(AzureNamedKeyCredential(ACCOUNT, ACCOUNT_KEY)), ContentDecodePolicy(response_encoding="utf-8")]
        client = TableClient.from_connection_string(connection_string, table, policies=policies, **options)
    marker = {"PartitionKey": "p", "RowKey": "marker", "doc": "m"}
    client.upsert_entity(marker)
    guard = ("update", marker, {"mode": UpdateMode.REPLACE, "etag": "*", "match_condition": MatchConditions.IfNotModified})

    def round_() -> None:
        row = uuid.uuid4().hex
        entity = {"PartitionKey": "p", "RowKey": row, "doc": "x" * 600}
        client.submit_transaction([("create", entity), guard])
        etag = client.get_entity("p", row).metadata["etag"]
        event = {"PartitionKey": "p", "RowKey": "e" + row, "doc": "y" * 300}
        client.submit_transaction([("update", {**entity, "doc": "z" * 900}, {"mode": UpdateMode.REPLACE, "etag": etag, "match_condition": MatchConditions.IfNotModified}),
                                   ("create", event), guard])
        etag = client.get_entity("p", row).metadata["etag"]
        client.submit_transaction([("update", {**entity, "doc": "w"}, {"mode": UpdateMode.REPLACE, "etag": etag, "match_condition": MatchConditions.IfNotModified}), guard])

    return round_


def _rest_ops(port: int, table: str):
    from shared.storage.table_rest import BatchOp, SharedKey, TableRest

    client = TableRest(f"http://127.0.0.1:{port}/{ACCOUNT}", SharedKey(ACCOUNT, ACCOUNT_KEY))
    client.upsert(table, {"PartitionKey": "p", "RowKey": "marker", "doc": "m"})
    guard = BatchOp("update", {"PartitionKey": "p", "RowKey": "marker", "doc": "m"}, "*")

    def round_() -> None:
        row = uuid.uuid4().hex
        entity = {"PartitionKey": "p", "RowKey": row, "doc": "x" * 600}
        client.batch(table, [BatchOp("create", entity), guard])
        _, etag = client.get(table, "p", row)
        client.batch(table, [BatchOp("update", {**entity, "doc": "z" * 900}, etag), BatchOp("create", {"PartitionKey": "p", "RowKey": "e" + row, "doc": "y" * 300}), guard])
        _, etag = client.get(table, "p", row)
        client.batch(table, [BatchOp("update", {**entity, "doc": "w"}, etag), guard])

    return round_


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    azurite = start_azurite()
    try:
        from azure.data.tables import TableServiceClient

        table = "bench" + secrets.token_hex(4)
        TableServiceClient.from_connection_string(azurite.connection_string).create_table(table)
        ways = {"sdk": _sdk_ops(azurite.connection_string, table, lean=False), "sdk-lean": _sdk_ops(azurite.connection_string, table, lean=True),
                "table_rest": _rest_ops(azurite.port, table)}
        cpu = {name: [] for name in ways}
        for name, round_ in ways.items():
            for _ in range(5):
                round_()  # warm: connections, imports
        for _ in range(3):  # interleaved, so the machine's load falls on each alike
            for name, round_ in ways.items():
                began = time.process_time()
                for _ in range(args.rounds // 3):
                    round_()
                cpu[name].append((time.process_time() - began) / (args.rounds // 3))
        load = open("/proc/loadavg").read().split()[:3]
        base = sorted(cpu["sdk"])[1]
        print(f"client CPU per sign-in's Table operations (5 requests), median of 3, load average {' '.join(load)}")
        for name, values in cpu.items():
            median = sorted(values)[1]
            print(f"  {name:11s} {median * 1000:6.2f} ms   ratio to sdk {median / base:5.2f}x")
        return 0
    finally:
        azurite.stop()


if __name__ == "__main__":
    sys.exit(main())
