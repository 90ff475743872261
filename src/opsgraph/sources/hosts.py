"""Find host names inside configuration values (env vars, ConfigMap text, compose environment).

A value names a host when one of its tokens, after stripping a URL scheme,
user info, path and port, is a host name: `cartservice:7070`,
`http://user:pw@orders.shop.svc.cluster.local:80/api`, `a:1,b:2`,
`jdbc:mysql://db:3306/x`. The readers then look the names up in their own
table of what exists (Service DNS names, compose service names), so a token
only becomes a dependency when it names something real.
"""

from __future__ import annotations

import re

_SPLIT = re.compile(r"[\s,;\"'`=()\[\]{}<>|]+")
_SCHEME = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)*//")
_HOST = re.compile(r"^[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?)*\.?$")


_NOT_A_PEER = frozenset({"localhost", "127.0.0.1", "0.0.0.0", "::", "host.docker.internal"})


def address_hosts(value: str) -> list[str]:
    """Hosts written as addresses (`host:port` or `scheme://host`), never loopback or bare IPs."""
    out: list[str] = []
    for token in _SPLIT.split(value.lower()):
        had_scheme = bool(_SCHEME.match(token))
        token = _SCHEME.sub("", token).rsplit("@", 1)[-1]
        token = re.split(r"[/?#]", token, maxsplit=1)[0]
        host, _, port = token.partition(":")
        host = host.rstrip(".")
        if not (had_scheme or port.isdigit()) or not _HOST.match(host) or host in _NOT_A_PEER:
            continue
        if host.replace(".", "").isdigit() or host in out:
            continue
        out.append(host)
    return out


def host_candidates(value: str) -> list[str]:
    """Host names a value may point at, lower-cased, in order of appearance, without repeats."""
    out: list[str] = []
    for token in _SPLIT.split(value.lower()):
        if not token:
            continue
        token = _SCHEME.sub("", token)
        token = token.rsplit("@", 1)[-1]
        token = re.split(r"[/?#]", token, maxsplit=1)[0]
        # host:port, or a bare "host:" from "key: host" texts
        host, _, port = token.partition(":")
        if port and not port.isdigit():
            # "key:value" pairs or jdbc-like prefixes: try the part after the colon as well
            for part in token.split(":"):
                if _HOST.match(part) and part not in out:
                    out.append(part.rstrip("."))
            continue
        host = host.rstrip(".")
        if host and _HOST.match(host) and host not in out:
            out.append(host)
    return out
