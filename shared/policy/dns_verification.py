"""Reading a domain's verification TXT record with a real DNS query (dnspython).

The resolver is the system's, or `SSO_DNS_RESOLVER` (`host:port`) when set: tests point it at a
DNS server on loopback, and a stamp may point it at a resolver it trusts. Queries are short
(2 s per try, 4 s in all) so an admin waiting on `verify` gets an answer, not a hung request.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from shared.platform.errors import SsoError
from shared.platform.settings import get_settings

if TYPE_CHECKING:
    import dns.resolver

RECORD_PREFIX = "_entra-sso"
VALUE_PREFIX = "entra-sso-verification="
TRY_TIMEOUT_SECONDS = 2.0
LIFETIME_SECONDS = 4.0


def record_name(domain: str) -> str:
    return f"{RECORD_PREFIX}.{domain}"


def _resolver() -> "dns.resolver.Resolver":
    import dns.resolver  # here, not at import: verification is rare and cold starts are measured

    configured = get_settings().dns_resolver
    if configured is None:
        resolver = dns.resolver.Resolver()
    else:
        host, port = configured
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [host]
        resolver.port = port
    resolver.timeout = TRY_TIMEOUT_SECONDS
    resolver.lifetime = LIFETIME_SECONDS
    resolver.cache = None  # a record published a minute ago must be seen now
    return resolver


def txt_values(name: str) -> list[str]:
    """Every TXT value at `name` (each record's strings joined, as RFC 7208 reads them).

    An absent name or a name without TXT records answers []; a DNS failure (timeout, no server
    answering, SERVFAIL) raises `dns_unavailable`, since it says nothing about the record."""
    import dns.exception
    import dns.name
    import dns.rdatatype
    import dns.resolver

    try:  # building the resolver is inside: a host with no resolver configuration is a DNS failure, not a 500
        answer = _resolver().resolve(dns.name.from_text(name), dns.rdatatype.TXT, search=False)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except dns.resolver.NoNameservers:
        raise SsoError("dns_unavailable", f"No DNS server gave a usable answer for {name} (server failure); check that the domain's DNS servers answer, then retry.") from None
    except (dns.exception.Timeout, OSError):
        raise SsoError("dns_unavailable", f"The DNS lookup of {name} timed out; nothing was changed. Retry shortly.") from None
    except dns.exception.DNSException:
        raise SsoError("dns_unavailable", f"The DNS lookup of {name} failed; nothing was changed. Retry shortly.") from None
    values = []
    for rdata in answer:
        values.append(b"".join(rdata.strings).decode("utf-8", errors="replace"))
    return values
