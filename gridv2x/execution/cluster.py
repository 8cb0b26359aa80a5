"""Connecting to dask, and noticing when the cluster goes away.

* :func:`check_scheduler` checks an existing scheduler's address before anything is written:
  an address dask cannot read (``foo://bar``) or a port nobody listens on is bad input
  (:class:`~gridv2x.errors.InputError`, exit 2, one line naming the address).
* :func:`connect` opens the client within :data:`CONNECT_TIMEOUT_S`; a listener that is not a
  dask scheduler (it accepts and says nothing) gives the same kind of one-line error instead
  of waiting forever.
* :class:`Watchdog` is asked by the task loop whenever no result is ready: a client that has
  lost its scheduler (killed, host gone) for longer than :data:`LOST_AFTER_S` raises
  :class:`~gridv2x.errors.ClusterLost`; the tasks finished before are already in the results
  store, and a run started again continues from them.
* The local cluster serves no dashboard unless asked: its scheduler's HTTP server listens on a
  random loopback port with no routes (distributed always starts one), instead of the
  dashboard on port 8787. ``dashboard=True`` (``gridv2x run --dashboard``) serves it on 8787.
"""

from __future__ import annotations

import logging
import socket
import time
from contextlib import contextmanager
from typing import Any

from gridv2x.errors import ClusterLost, InputError
from gridv2x.execution.memory import worker_environ

__all__ = [
    "check_scheduler",
    "connect",
    "quiet_client_logs",
    "local_cluster",
    "Watchdog",
    "CONNECT_TIMEOUT_S",
    "LOST_AFTER_S",
    "DASHBOARD_ADDRESS",
]

CONNECT_TIMEOUT_S = 20.0
"""Longest wait for a scheduler to answer [s] (a TCP connect, then dask's handshake)."""

LOST_AFTER_S = 20.0
"""A client without its scheduler for this long [s] gives up (the run exits with one line)."""

DASHBOARD_ADDRESS = ":8787"
"""Where ``--dashboard`` serves dask's dashboard (dask's usual port)."""

_POLL_S = 0.1


def _split(address: str) -> tuple[str, str, int | None]:
    """Scheme, host and port of a dask address; InputError if dask cannot read it."""
    from distributed.comm import parse_address
    from distributed.comm.registry import get_backend

    label = f"--scheduler {address!r}"
    try:
        scheme, location = parse_address(address)
        get_backend(scheme)
    except (ValueError, TypeError):
        raise InputError(
            f"{label}: not a dask scheduler address; give e.g. tcp://host:8786"
        ) from None
    if scheme not in ("tcp", "tls", "ws", "wss"):
        return scheme, location, None
    host, _, port = location.rpartition(":")
    try:
        number = int(port)
    except ValueError:
        raise InputError(f"{label}: the address has no port number; e.g. tcp://host:8786") from None
    if not 0 < number < 65536:
        raise InputError(f"{label}: port {number} is not between 1 and 65535")
    return scheme, host.strip("[]") or "127.0.0.1", number


def check_scheduler(address: str) -> None:
    """Refuse an address that is not a reachable dask scheduler (before anything is written).

    Opens one dask connection (TCP and dask's handshake) within :data:`CONNECT_TIMEOUT_S`: a
    closed port, an unknown host and a listener that does not speak dask's protocol all fail.

    Raises
    ------
    gridv2x.errors.InputError
        Unreadable address, or no dask scheduler answering there.
    """
    import asyncio

    from distributed.comm import connect as dask_connect

    _scheme, host, port = _split(address)
    if port is not None:  # a closed port or unknown host answers at once; dask would retry
        try:
            with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S):
                pass
        except OSError as exc:
            raise InputError(
                f"--scheduler {address!r}: no dask scheduler answered there "
                f"({exc.strerror or type(exc).__name__})"
            ) from None

    async def probe() -> None:
        comm = await dask_connect(address, timeout=CONNECT_TIMEOUT_S)
        await comm.close()

    async def bounded() -> None:  # dask's handshake may wait past its own timeout
        await asyncio.wait_for(probe(), CONNECT_TIMEOUT_S)

    try:
        asyncio.run(bounded())
    except Exception as exc:  # noqa: BLE001 - refused, timed out, not dask: all one answer
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else None
        if reason is None and "refused" in str(exc).lower():
            reason = "connection refused"
        raise InputError(
            f"--scheduler {address!r}: no dask scheduler answered there within "
            f"{CONNECT_TIMEOUT_S:.0f} s ({reason or type(exc).__name__})"
        ) from None


def connect(address: str):
    """A dask client of the scheduler at ``address`` (InputError within the connect timeout)."""
    from dask.distributed import Client

    try:
        return Client(address, timeout=f"{CONNECT_TIMEOUT_S}s")
    except (OSError, TimeoutError, ValueError) as exc:
        reason = "no dask scheduler answered" if isinstance(exc, OSError | TimeoutError) else ""
        raise InputError(
            f"--scheduler {address!r}: {reason or 'cannot connect'} within "
            f"{CONNECT_TIMEOUT_S:.0f} s; is a dask scheduler (dask scheduler) listening there?"
        ) from None


@contextmanager
def quiet_client_logs():
    """Keep distributed's client-side log lines (reconnect attempts, closed comms) off the
    console while the run reports a lost cluster in one line of its own."""
    names = ("distributed.client", "distributed.core", "distributed.comm", "distributed.batched")
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


@contextmanager
def local_cluster(workers: int, *, dashboard: bool = False):
    """A local cluster of ``workers`` single-threaded processes on loopback, and its client."""
    import dask
    from dask.distributed import Client, LocalCluster

    options: dict[str, Any] = {
        "n_workers": workers,
        "threads_per_worker": 1,
        "processes": True,
        "host": "127.0.0.1",
        "silence_logs": logging.ERROR,
    }
    environ = dask.config.get("distributed.nanny.pre-spawn-environ", default={}) or {}
    config: dict[str, Any] = {
        "distributed.nanny.pre-spawn-environ": {**environ, **worker_environ()},
    }
    if dashboard:
        options["dashboard_address"] = DASHBOARD_ADDRESS
    else:
        # distributed always starts an HTTP server on the scheduler; without the dashboard it
        # serves nothing and listens on a random loopback port (not 8787, no port warning)
        options["dashboard_address"] = "127.0.0.1:0"
        options["scheduler_kwargs"] = {"dashboard": False}
        config["distributed.scheduler.http.routes"] = []
    with dask.config.set(config):
        cluster = LocalCluster(**options)
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


class Watchdog:
    """Notices a client that has lost its scheduler.

    Parameters
    ----------
    client : distributed.Client
    address : str
        Shown in the error (the scheduler's address).
    lost_after_s : float
        How long the scheduler may be away before the run gives up [s].
    """

    def __init__(self, client: Any, address: str, lost_after_s: float = LOST_AFTER_S) -> None:
        self.client = client
        self.address = address
        self.lost_after_s = lost_after_s
        self._away_since: float | None = None

    def away(self) -> bool:
        """Whether the client is without its scheduler right now."""
        status = str(getattr(self.client, "status", "running"))
        comm = getattr(self.client, "scheduler_comm", None)
        broken = comm is None or getattr(comm, "comm", None) is None or comm.comm.closed()
        return status != "running" or broken

    def check(self, done: int, total: int) -> None:
        """Raise :class:`ClusterLost` when the scheduler has been away too long."""
        if not self.away():
            self._away_since = None
            return
        status = str(getattr(self.client, "status", "running"))
        now = time.monotonic()
        if self._away_since is None:
            self._away_since = now
        if status in ("closed", "closing", "failed") or now - self._away_since > self.lost_after_s:
            raise ClusterLost(
                f"the dask scheduler at {self.address} went away ({done} of {total} tasks "
                "finished and kept); run the same command again to continue"
            )

    def wait(self) -> None:
        """Pause briefly while no result is ready."""
        time.sleep(_POLL_S)
