"""CPU per part of the sign-in path, by thread CPU time: what `bench.sign_in --parts` prints.

A sampling profiler (py-spy) says which lines run most often, but its shares of a request that
mostly waits on sockets are skewed: a thread that has just woken from a read is sampled more
than its CPU deserves. Here each named function is wrapped while the sign-ins run in-process,
and the thread CPU time (`time.thread_time`: user and kernel, of the calling thread only) spent
inside it is added up. A part is inclusive (it counts what it calls, so parts overlap) and a
function re-entered by itself is counted once. The wrappers add about a microsecond per call.
"""
from __future__ import annotations

import collections
import functools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class Part:
    label: str
    owner: Any  # a module or a class
    name: str  # the function's attribute on it
    role: str = ""  # "whole": every request; "route": one route's work, the rest of "whole" is shown apart


@dataclass
class Tally:
    seconds: collections.Counter
    calls: collections.Counter


def _timed(function: Callable, label: str, tally: Tally, inside: threading.local) -> Callable:
    @functools.wraps(function)
    def timed(*args, **kwargs):
        active = inside.__dict__.setdefault("labels", set())
        if label in active:  # a recursive call: its time is in the outer one's
            return function(*args, **kwargs)
        active.add(label)
        began = time.thread_time()
        try:
            return function(*args, **kwargs)
        finally:
            tally.seconds[label] += time.thread_time() - began
            tally.calls[label] += 1
            active.discard(label)
    return timed


@contextmanager
def cpu_by_part(parts: list[Part]) -> Iterator[Tally]:
    """Wraps each part's function while the block runs (classmethods and staticmethods keep
    their kind) and restores them after; the tally fills as calls return."""
    tally, inside = Tally(collections.Counter(), collections.Counter()), threading.local()
    saved = []
    for part in parts:
        raw = part.owner.__dict__[part.name] if isinstance(part.owner, type) else getattr(part.owner, part.name)
        saved.append((part, raw))
        if isinstance(raw, (classmethod, staticmethod)):
            setattr(part.owner, part.name, type(raw)(_timed(raw.__func__, part.label, tally, inside)))
        else:
            setattr(part.owner, part.name, _timed(raw, part.label, tally, inside))
    try:
        yield tally
    finally:
        for part, raw in reversed(saved):
            setattr(part.owner, part.name, raw)


def sign_in_parts() -> list[Part]:
    """The parts of a sign-in worth telling apart, by where they are defined."""
    import json
    from http.server import BaseHTTPRequestHandler

    import msal

    from shared.oidc import id_token
    from shared.platform import http1
    from shared.signin import logins, oidc_ending, start
    from shared.storage import record, table_rest, tables

    return [
        Part("dev host: whole requests (3 per sign-in)", BaseHTTPRequestHandler, "handle_one_request", "whole"),
        Part("GET /auth/sso/start: signin.start.begin", start, "begin", "route"),
        Part("callback: signin.oidc_ending.complete", oidc_ending, "complete", "route"),
        Part("POST /api/sso/token: signin.logins.redeem_code", logins, "redeem_code", "route"),
        Part("Table Storage operations (storage.tables)", tables, "_on_rest_table"),
        Part("  of which their HTTP requests (TableRest._send)", table_rest.TableRest, "_send"),
        Part("MSAL: initiate_auth_code_flow", msal.ClientApplication, "initiate_auth_code_flow"),
        Part("MSAL: acquire_token_by_auth_code_flow", msal.ClientApplication, "acquire_token_by_auth_code_flow"),
        Part("HTTP exchanges out (Tables and the token endpoint)", http1.Pool, "exchange"),
        Part("ID token: signature and claims (oidc.id_token.validate)", id_token, "validate"),
        Part("typed records: to storage", record.Record, "to_stored"),
        Part("typed records: from storage", record.Record, "from_stored"),
        Part("json.dumps", json, "dumps"),
        Part("json.loads", json, "loads"),
    ]


def report(tally: Tally, parts: list[Part], sign_ins: int) -> None:
    whole = sum(tally.seconds[p.label] for p in parts if p.role == "whole") or 1e-9
    print(f"CPU per part of a warm sign-in (thread CPU, in-process dev host, {sign_ins} sign-ins; parts overlap):")
    for part in parts:
        seconds = tally.seconds[part.label]
        print(f"  {1000 * seconds / sign_ins:7.3f} ms  {100 * seconds / whole:5.1f}%  {tally.calls[part.label] / sign_ins:5.1f} calls  {part.label}")
    routes = sum(tally.seconds[p.label] for p in parts if p.role == "route")
    print(f"  {1000 * (whole - routes) / sign_ins:7.3f} ms  {100 * (whole - routes) / whole:5.1f}%         the rest of the requests: the dev host's own serving,"
          " the functions' request checks and answers")
