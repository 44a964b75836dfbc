"""Where deliveries may go: public addresses only, unless the server allows private targets.

The check runs at registration and again before every delivery, and the delivery then
connects to the very address that was checked, so a DNS answer that changes in between
(rebinding) cannot point a delivery at the server's own network.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from urllib.parse import SplitResult, urlsplit


class RefusedTarget(Exception):
    """The URL may not be delivered to; the message says why."""


async def system_resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


# Module level so tests can stand in for DNS (e.g. an answer that changes after registration).
resolve: Callable[[str, int], Awaitable[list[str]]] = system_resolve


# IPv6 prefixes that carry an IPv4 address a gateway forwards to (NAT64, RFC 6052 / 8215).
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, 6to4, Teredo, NAT64), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if any(ip in network for network in _NAT64):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.is_site_local:
            return False
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return is_public(str(embedded))
    return ip.is_global and not ip.is_multicast


def parse_target(url: str) -> SplitResult:
    """The URL's parts, or RefusedTarget for anything but a plain http(s) URL with a host."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise RefusedTarget("The URL must start with https:// or http://.")
    if not parts.hostname:
        raise RefusedTarget("The URL must name a host.")
    if parts.username is not None or parts.password is not None:
        raise RefusedTarget("The URL may not carry a user name or password.")
    try:
        parts.port  # noqa: B018  (raises for a port out of range)
    except ValueError as error:
        raise RefusedTarget("The URL's port is not valid.") from error
    return parts


def default_port(parts: SplitResult) -> int:
    return parts.port or (443 if parts.scheme == "https" else 80)


async def checked_addresses(url: str, allow_private: bool) -> list[str]:
    """The addresses the URL's host resolves to, all of them allowed targets."""
    parts = parse_target(url)
    host = parts.hostname or ""
    try:
        addresses = await resolve(host, default_port(parts))
    except (OSError, UnicodeError) as error:
        raise RefusedTarget(f"The host {host} could not be resolved.") from error
    if not addresses:
        raise RefusedTarget(f"The host {host} could not be resolved.")
    if not allow_private:
        for address in addresses:
            if not is_public(address):
                raise RefusedTarget(
                    f"The host {host} resolves to a non-public address ({address}); "
                    "the server does not allow private webhook targets."
                )
    return addresses


async def check_registration(url: str, allow_private: bool) -> None:
    """The check made when a webhook is registered or its URL changes: RefusedTarget if the
    URL is malformed or (unless private targets are allowed) its host is not public.

    With private targets allowed every resolvable host would pass, so nothing is resolved:
    a registration must not wait on DNS for a host only delivery will ever need.
    """
    try:
        parse_target(url)
    except ValueError as error:  # urlsplit's own refusal, e.g. an unclosed "[" in the host
        raise RefusedTarget("The URL is not valid.") from error
    if not allow_private:
        await checked_addresses(url, allow_private)
