"""Firing truly simultaneous requests at the dev host, for the single-use and single-owner rules.

Each racer has its own requests.Session whose keep-alive connection is opened (by a request the
dev host answers itself, touching no storage) before a threading.Barrier, so when the barrier falls every racer's request is
already one write away from the server, and the server handles each in its own thread.
"""
from __future__ import annotations

import threading
from collections import Counter
from typing import Callable

import requests

from tests.conftest import ApiClient

RACERS = 20
TIMEOUT = 300  # generous: twenty sign-ins at once on a loaded machine (never a timed assertion)


def race(stack, fire: Callable[[int, ApiClient], requests.Response], *, key: str | None = None,
         racers: int = RACERS) -> list[requests.Response]:
    """Calls `fire(i, session)` in `racers` threads released together; answers the responses in
    racer order (any exception in a racer is raised here)."""
    sessions = [ApiClient(stack.base_url, key) for _ in range(racers)]
    for session in sessions:
        assert session.get("/", timeout=TIMEOUT).status_code == 404  # opens the connection (the dev host answers, no app code runs)
    barrier = threading.Barrier(racers)
    results: list = [None] * racers

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = fire(i, sessions[i])
        except BaseException as exc:  # reported by the caller's thread
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for session in sessions:
        session.close()
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


def statuses(responses: list[requests.Response]) -> Counter:
    return Counter(r.status_code for r in responses)


def no_server_errors(responses: list[requests.Response]) -> None:
    failed = [r for r in responses if r.status_code >= 500]
    assert not failed, f"{len(failed)} answered 5xx ({statuses(responses)}): {failed[0].text[:300]}"


def one_winner(responses: list[requests.Response], won: Callable[[requests.Response], bool]) -> requests.Response:
    """Asserts zero 5xx and exactly one winner; answers the winner."""
    no_server_errors(responses)
    winners = [r for r in responses if won(r)]
    assert len(winners) == 1, f"{len(winners)} winners of {len(responses)} racers ({statuses(responses)})"
    return winners[0]
