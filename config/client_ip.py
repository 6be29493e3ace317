"""The client's address, as the sign-in lockout (django-axes) and the search rate
limit (django-ratelimit) key on it.

`TRUSTED_PROXY_COUNT` says how many reverse proxies in front of the app append
to `X-Forwarded-For` (nginx's `$proxy_add_x_forwarded_for` does):
- 0 (default, a direct deployment): `REMOTE_ADDR`; the header is ignored, since
  anyone can send it.
- N: the N-th address from the right of `X-Forwarded-For`, the one the outermost
  trusted proxy saw. What a client writes to the left of it is never used, so
  it cannot pose as another client. A request with fewer addresses than that
  (one that did not come through the proxies) falls back to `REMOTE_ADDR`.

django-ipware (python-ipware) parses the header and validates the addresses.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest
from ipware.ip import get_client_ip

FORWARDED_HEADER = "HTTP_X_FORWARDED_FOR"


def client_ip(request: HttpRequest) -> str | None:
    """The client's IP address (see the module docstring), or None when none is known."""
    count = settings.TRUSTED_PROXY_COUNT
    if count > 0:
        # ipware counts the proxies listed in the header; the last proxy is the
        # peer (REMOTE_ADDR) and is not in it, hence count - 1. Not strict: the
        # client may have written its own entries (any number) on the left.
        ip, _ = get_client_ip(request, proxy_count=count - 1, request_header_order=(FORWARDED_HEADER,), strict=False)
        if ip:
            return ip
    ip, _ = get_client_ip(request, request_header_order=("REMOTE_ADDR",))
    return ip or request.META.get("REMOTE_ADDR") or None


def client_key(group: str, request: HttpRequest) -> str:
    """A rate-limit key (django-ratelimit `key=`): the client's address, IPv6 by /64
    network (one subscriber's share), so rotating addresses inside it does not help."""
    ip = client_ip(request) or "unknown"
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return str(address)
