"""Who is at the other end of a loopback connection: which process holds its socket.

Every environment's Runtime API and the Lambda API listen on one loopback here, where
on Lambda each sandbox reaches only its own. The kernel lists each TCP socket in
/proc/net/tcp (and tcp6) with its two addresses and an inode; the process among the
candidates whose open files include that inode is the peer.
"""

import os
import socket
from collections.abc import Iterable
from pathlib import Path


def peer_among(connection: socket.socket, candidates: Iterable[int]) -> int | None:
    """The candidate process holding the other end of `connection`, or None."""
    inode = _peer_inode(connection)
    if inode is None:
        return None
    wanted = f"socket:[{inode}]"
    for pid in candidates:
        try:
            descriptors = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for descriptor in descriptors:
            try:
                if os.readlink(f"/proc/{pid}/fd/{descriptor}") == wanted:
                    return pid
            except OSError:
                continue
    return None


def _peer_inode(connection: socket.socket) -> int | None:
    """The inode of the peer's socket: the line whose local end is our remote end."""
    try:
        local_port = connection.getsockname()[1]
        remote_port = connection.getpeername()[1]
    except OSError:
        return None
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, remote, inode = fields[1], fields[2], fields[9]
            if (
                int(local.rsplit(":", 1)[1], 16) == remote_port
                and int(remote.rsplit(":", 1)[1], 16) == local_port
            ):
                return int(inode)
    return None
