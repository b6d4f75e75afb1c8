"""The workbench answers only to the names it was started on: a Host check in front of Streamlit.

A web page on another site can make the browser send requests to ``127.0.0.1:8501`` under a
name of its own that resolves there (DNS rebinding), and read the answers as its own. Such a
request carries the attacker's name in its ``Host`` header; :class:`HostCheck` refuses every
request (page, API, websocket) whose ``Host`` is not one of the server's own names:
``127.0.0.1``, ``localhost``, ``[::1]``, the ``--host`` value, and with a wildcard ``--host``
(``0.0.0.0``, ``::``) this machine's name and addresses and the ``--allow-host`` names.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable

__all__ = ["ENV", "USER_HEADER_ENV", "HostCheck", "allowed_hosts", "host_name"]

#: Where ``aad app`` leaves the allowed names for the server process (comma-separated).
ENV = "AAD_ALLOWED_HOSTS"
#: Where ``aad app --user-header`` leaves the header that names the analyst (set by a proxy).
USER_HEADER_ENV = "AAD_USER_HEADER"
_LOOPBACK = ("127.0.0.1", "localhost", "::1")
_WILDCARDS = ("0.0.0.0", "::", "")


def host_name(header: str) -> str:
    """The name in a ``Host`` header, lower case, without the port or a trailing dot.

    Examples
    --------
    >>> host_name("LocalHost:8501"), host_name("[::1]:8501"), host_name("127.0.0.1"), host_name("x.org.")
    ('localhost', '::1', '127.0.0.1', 'x.org')
    """
    text = header.strip().lower()
    if text.startswith("["):  # [::1]:8501
        return text[1 : text.find("]")] if "]" in text else text
    if text.count(":") == 1:
        text = text.split(":", 1)[0]
    return text.rstrip(".")


def allowed_hosts(bind: str, extra: Iterable[str] = ()) -> list[str]:
    """The names the server answers to when it listens on ``bind``.

    Examples
    --------
    >>> allowed_hosts("127.0.0.1")
    ['127.0.0.1', 'localhost', '::1']
    >>> allowed_hosts("192.168.1.5", ["aad.lab"])
    ['127.0.0.1', 'localhost', '::1', '192.168.1.5', 'aad.lab']
    """
    names = [*_LOOPBACK, host_name(bind), *(host_name(name) for name in extra)]
    if bind.strip() in _WILDCARDS:  # every interface: the names and addresses of this machine
        names += _own_names()
    return [name for name in dict.fromkeys(names) if name not in _WILDCARDS]


def _own_names() -> list[str]:
    names = [socket.gethostname(), socket.getfqdn()]
    for name in list(names):
        try:
            names += [info[4][0] for info in socket.getaddrinfo(name, None)]
        except OSError:
            continue
    return [host_name(n) if ":" not in n else n.lower() for n in names]


class HostCheck:
    """ASGI middleware: refuse HTTP requests and websockets whose ``Host`` is not an allowed name.

    The names come from ``allowed`` or, by default, from ``$AAD_ALLOWED_HOSTS`` (set by
    ``aad app``), else the loopback names.
    """

    def __init__(self, app, allowed: Iterable[str] | None = None) -> None:
        self.app = app
        if allowed is None:
            given = os.environ.get(ENV, "")
            allowed = [n for n in given.split(",") if n.strip()] or list(_LOOPBACK)
        self.allowed = frozenset(host_name(name) if ":" not in name else name.lower() for name in allowed)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        header = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
        if host_name(header) in self.allowed:
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        body = (
            f"aad refuses this request: it was sent to {header[:100]!r}, which is not a name this server "
            f"was started on ({', '.join(sorted(self.allowed))}). Open the address `aad app` printed; "
            "to reach it by another name, start it with --allow-host NAME.\n"
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 403,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
