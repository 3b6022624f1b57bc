"""Outbound connections of the crawler go only to globally routable addresses (SSRF policy).

The address is checked where the socket is opened, not once per crawl: an httpcore network backend
resolves the host itself, refuses the connection unless every resolved address is public, and
connects to the address it checked (pinned), so DNS rebinding between a check and a connection has
nothing to exploit. TLS still verifies the certificate against the host name. Redirects are not
followed, and environment proxies are ignored (they would resolve and connect for us).

Public means ``ip.is_global`` and not multicast, and for IPv6 forms that carry an IPv4 address
(IPv4-mapped, 6to4, Teredo, NAT64) the embedded address must be public too; IPv4-compatible
addresses (``::a.b.c.d``, deprecated) and the 6to4 relay anycast range are refused outright.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from sql.errors import UpstreamError, ValidationError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_6TO4_RELAY = ipaddress.ip_network("192.88.99.0/24")


class RefusedAddressError(UpstreamError):
    """A host resolved to an address the crawler must not connect to."""

    code = "upstream-refused-address"


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(ip: Address) -> bool:
    """May the crawler connect to this address?"""
    if not ip.is_global or ip.is_multicast:
        return False
    if isinstance(ip, ipaddress.IPv4Address):
        return ip not in _6TO4_RELAY
    if ip in _IPV4_COMPATIBLE:
        return False
    inner = _embedded_v4(ip)
    return inner is None or is_public(inner)


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


# What every guarded connection resolves with; tests put a resolver they control here.
RESOLVER: Resolver = system_resolver


async def vetted_addresses(host: str, port: int, allow_private: bool, resolver: Resolver | None = None) -> list[str]:
    """The addresses to connect to for ``host``, all public (unless private ones are allowed)."""
    try:
        literal: Address | None = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None:
        found = [str(literal)]
    else:
        try:
            found = await (resolver or RESOLVER)(host, port)
        except (OSError, UnicodeError) as e:
            raise UpstreamError(f"cannot resolve {host}: {e}") from e
        if not found:
            raise UpstreamError(f"cannot resolve {host}: no address")
    if not allow_private:
        refused = [a for a in found if not is_public(ipaddress.ip_address(a.split("%", 1)[0]))]  # fe80::1%eth0
        if refused:  # one bad answer refuses the host: a resolver must not get to choose
            raise RefusedAddressError(
                f"{host} resolves to a non-public address ({refused[0]}); "
                "set SOROT_ALLOW_PRIVATE_HOSTS=1 to allow private hosts"
            )
    return found


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves, vets and pins every TCP connection httpcore opens."""

    def __init__(self, allow_private: bool, resolver: Resolver | None = None) -> None:
        self.allow_private = allow_private
        self.resolver = resolver
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                addresses = await vetted_addresses(host, port, self.allow_private, self.resolver)
        except TimeoutError as e:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from e
        error: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as e:
                error = e
        assert error is not None
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise RefusedAddressError("the crawler does not connect to unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One verifying TLS context per process (loading the CA bundle is slow; contexts are shareable)."""
    return httpx.create_ssl_context()


def guarded_transport(
    allow_private: bool, resolver: Resolver | None = None, limits: httpx.Limits | None = None
) -> httpx.AsyncHTTPTransport:
    limits = limits or httpx.Limits()
    transport = httpx.AsyncHTTPTransport(verify=_ssl_context(), trust_env=False)
    # httpx takes no network backend, so the pool it built is swapped for one that uses ours.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=_ssl_context(),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=GuardedBackend(allow_private, resolver),
    )
    return transport


def guarded_client(
    allow_private: bool, *, resolver: Resolver | None = None, limits: httpx.Limits | None = None, **kwargs: Any
) -> httpx.AsyncClient:
    """An httpx client for crawling: public addresses only, no redirects, no environment proxies."""
    return httpx.AsyncClient(
        transport=guarded_transport(allow_private, resolver, limits),
        trust_env=False,
        follow_redirects=False,
        **kwargs,
    )


def check_base_url(url: str) -> str:
    """A server's base URL as ``scheme://host[:port]``: no path, query, fragment or credentials."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as e:
        raise ValidationError(f"base_url is not a valid URL: {e}", field="base_url") from e
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError("base_url must be an http(s) URL such as https://mastodon.social", field="base_url")
    if parts.username is not None or parts.password is not None:
        raise ValidationError("base_url must not carry credentials (use token)", field="base_url")
    if parts.path not in ("", "/") or parts.query or parts.fragment or url.strip().endswith(("?", "#")):
        raise ValidationError(
            "base_url must be the server only (scheme, host and optional port), without path or query",
            field="base_url",
        )
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    return f"{parts.scheme}://{host}{f':{port}' if port is not None else ''}"


async def check_host(url: str, allow_private: bool) -> str:
    """Refuse a base URL whose host resolves to a non-public address now, as a 4xx on the field (the
    transport checks again on every connection)."""
    parts = urlsplit(check_base_url(url))
    assert parts.hostname is not None
    try:
        await vetted_addresses(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80), allow_private)
    except RefusedAddressError as e:
        raise ValidationError(e.detail, field="base_url") from e
    return parts.hostname


def check_url_host(url: str, allow_private: bool) -> str:
    """For URLs that may carry a path (streams, feeds): http(s) only, and the host must resolve to public
    addresses now (blocking; the guarded transport checks again on every connection)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(f"the URL must be http(s), got {url!r}", field="base_url")
    if allow_private:
        return parts.hostname
    try:
        literal: Address | None = ipaddress.ip_address(parts.hostname)
    except ValueError:
        literal = None
    try:
        found = (
            [str(literal)] if literal else [str(i[4][0]) for i in socket.getaddrinfo(parts.hostname, parts.port or 443)]
        )
    except (OSError, UnicodeError) as e:
        raise UpstreamError(f"cannot resolve {parts.hostname}: {e}") from e
    refused = [a for a in found if not is_public(ipaddress.ip_address(a.split("%", 1)[0]))]
    if refused:
        raise ValidationError(
            f"{parts.hostname} resolves to a non-public address ({refused[0]}); "
            "set SOROT_ALLOW_PRIVATE_HOSTS=1 to allow private hosts",
            field="base_url",
        )
    return parts.hostname
