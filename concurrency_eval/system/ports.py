"""Whether a server could listen on a host and TCP port of this machine now, and the
first port from a given one that it could, as a server that picks its own port says."""

import errno
import socket


def listen_problem(host: str, port: int) -> OSError | None:
    """The error a server listening on `host`:`port` would meet now, or None.

    A name that does not resolve is a `socket.gaierror`; a port another process holds
    is an OSError with errno EADDRINUSE; an address that is not this machine's,
    EADDRNOTAVAIL. Probed as the server binds: IPv6 for an address with a colon, else
    IPv4, and SO_REUSEADDR, so that a port left in TIME_WAIT by a server just stopped
    counts as free, as it is for the server.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        family, kind, protocol, _, address = socket.getaddrinfo(
            host, port, family, socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as error:
        return error
    with socket.socket(family, kind, protocol) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            return error
    return None


def in_use(error: OSError | None) -> bool:
    return error is not None and error.errno == errno.EADDRINUSE


def first_free(host: str, first: int, tries: int) -> int | None:
    """The first of `tries` ports from `first` that no other process holds, or None."""
    for port in range(first, min(first + tries, 65536)):
        if not in_use(listen_problem(host, port)):
            return port
    return None
