"""Which addresses a delivery may go to without the private-targets setting: IPv6 forms
that carry an IPv4 address are judged by that address (webhooks.md §2)."""

from __future__ import annotations

import pytest

from kanbert.webhooks.targets import is_public


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "169.254.169.254",
        "::1",
        "fe80::1",
        "fec0::1",  # site-local
        "::ffff:127.0.0.1",  # IPv4-mapped
        "64:ff9b::a00:1",  # NAT64 → 10.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 → 169.254.169.254 (cloud metadata)
        "64:ff9b:1::a00:1",  # local-use NAT64
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo of 10.0.0.1
    ],
)
def test_private_addresses_and_their_ipv6_disguises_are_refused(address: str) -> None:
    assert not is_public(address)


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "2001:4860:4860::8888", "64:ff9b::808:808", "::ffff:8.8.8.8"]
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert is_public(address)
