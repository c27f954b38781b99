"""Who a request comes from, for rate limits, lockouts and logs: a keyed hash of the client's network, never
the address itself. A client address is personal data; the rate-limit storage, the lockout table and every
log line hold only the hash."""
from __future__ import annotations

import ipaddress

from flask import request

from civicwatch.crypto import keyed_hash

RATE_LIMIT_PURPOSE = "rate-limit-client"


def client_network(address: str | None) -> str:
    """One IPv4 address, or the /64 an IPv6 user controls (an IPv4-mapped address counts as IPv4)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return "unknown"
    mapped = getattr(ip, "ipv4_mapped", None)
    if mapped is not None:
        ip = mapped
    return str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else str(ip)


def client_key(purpose: str, address: str | None) -> str:
    return keyed_hash(purpose, client_network(address))


def rate_limit_key() -> str:
    """Flask-Limiter's key for the current request (it logs the key of every limit a client exceeds)."""
    return client_key(RATE_LIMIT_PURPOSE, request.remote_addr)
