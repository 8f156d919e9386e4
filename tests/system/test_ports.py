"""Which port a server could listen on: a port another process holds is in use, the
next one free is found, and an address not this machine's is named as such."""

import contextlib
import errno
import socket

import pytest

from concurrency_eval.system.ports import first_free, in_use, listen_problem


def listening(host: str = "127.0.0.1") -> socket.socket:
    holder = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    holder.bind((host, 0))
    holder.listen()
    return holder


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "0.0.0.0"])
def test_a_port_another_process_listens_on_is_in_use(host: str) -> None:
    # Given a port held on loopback, When a server would listen on it (on loopback, or on
    # every interface, which includes loopback)
    with listening() as holder:
        port = holder.getsockname()[1]
        problem = listen_problem(host, port)
    # Then it is in use; and free again once its holder is gone
    assert in_use(problem)
    assert listen_problem(host, port) is None


def test_the_first_free_port_follows_those_in_use() -> None:
    # Given two ports in a row held (the second, where the kernel gave the first's next)
    with listening() as first:
        start = first.getsockname()[1]
        with socket.socket() as second:
            with contextlib.suppress(OSError):  # held by another process already: as good
                second.bind(("127.0.0.1", start + 1))
                second.listen()
            assert in_use(listen_problem("127.0.0.1", start + 1))
            # When the first free port from the first is asked for, Then it is after both
            found = first_free("127.0.0.1", start, tries=50)
    assert found is not None
    assert found >= start + 2


def test_no_free_port_among_those_tried_is_none() -> None:
    with listening() as holder:
        assert first_free("127.0.0.1", holder.getsockname()[1], tries=1) is None


def test_an_address_of_no_interface_here_is_not_in_use_but_unavailable() -> None:
    # TEST-NET-1 (192.0.2.0/24) is no machine's: the bind is refused, nothing is sent
    problem = listen_problem("192.0.2.1", 0)
    assert problem is not None
    assert problem.errno == errno.EADDRNOTAVAIL
    assert not in_use(problem)


def test_a_name_that_does_not_resolve_is_said_so() -> None:
    # `.invalid` never resolves (RFC 2606)
    assert isinstance(listen_problem("no-such-host.invalid", 0), socket.gaierror)
