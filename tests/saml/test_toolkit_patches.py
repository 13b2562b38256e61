"""The patches to python3-saml change what it costs and which clock it reads, never its answers."""
from __future__ import annotations

import datetime
import threading

import pytest
from onelogin.saml2.utils import OneLogin_Saml2_Utils

from shared.saml import toolkit_patches


@pytest.mark.parametrize("timestamp", [
    "2026-11-21T23:26:20Z", "2026-11-21T23:26:20.984Z", "2026-11-21T23:26:20.9843217Z", "2026-11-21T23:26:20.Z",
    "2026-11-21T23:26:20", "2026-11-21T23:26:20.5", "2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-21T23:26:60Z",
    "2026-1-5T1:2:3Z", "tomorrow", "",
])
def test_timestamps_parse_as_the_toolkit_parses_them(timestamp):
    def outcome(parse):
        try:
            return parse(timestamp)
        except Exception as error:  # the toolkit raises ValueError or a bare Exception
            return type(error)
    assert outcome(toolkit_patches._parse_saml_to_time) == outcome(toolkit_patches._toolkit_parse_saml_to_time)


def test_clock_is_per_context_and_restored():
    instant = datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    seen_elsewhere = []
    with toolkit_patches.toolkit_clock(instant):
        assert OneLogin_Saml2_Utils.now() == int(instant.timestamp())
        other = threading.Thread(target=lambda: seen_elsewhere.append(OneLogin_Saml2_Utils.now()))
        other.start()
        other.join()
    assert seen_elsewhere[0] != int(instant.timestamp())  # another thread keeps the real clock
    assert OneLogin_Saml2_Utils.now() != int(instant.timestamp())
