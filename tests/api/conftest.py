"""The fuzz's loopback DNS server, so a domain verification never queries the outside world."""
from tests.fuzz.conftest import empty_dns  # noqa: F401
