"""Joining a Ray cluster from ``--ray ADDRESS``, ``auto`` or ``local``, with clear errors."""

from __future__ import annotations

import logging
import re
import socket

from pixref.params import PixrefError

#: How long to try the head's port before saying it cannot be reached (seconds).
CONNECT_TIMEOUT_S = 3.0

_ADDRESS = re.compile(r"^(?:ray://)?(?P<host>\[[0-9a-fA-F:]+\]|[A-Za-z0-9_.-]+):(?P<port>\d{1,5})$")


class DistError(PixrefError):
    """Ray is missing, the cluster cannot be reached, or it cannot run what was asked."""


def connect(address: str) -> str:
    """Join the Ray cluster ``address`` names; return where we are (for messages).

    ``local`` starts a Ray instance in this process's session (gone when it exits);
    ``auto`` joins the cluster started on this machine by ``ray start``; otherwise
    ``HOST:PORT`` is the head's GCS address (``ray start --head`` prints it) and
    ``ray://HOST:PORT`` a Ray Client server. An address whose port does not answer
    within `CONNECT_TIMEOUT_S` is reported at once (Ray itself waits a minute).
    """
    ray = import_ray()
    if address not in ("local", "auto"):
        check_reachable(address)
    if ray.is_initialized():  # joined already (e.g. a server's earlier start)
        return ray.get_runtime_context().gcs_address
    options = {"logging_level": logging.WARNING, "log_to_driver": False}
    if address == "local":
        ray.init(include_dashboard=False, **options)
    elif address == "auto":
        try:
            ray.init(address="auto", **options)
        except ConnectionError:
            raise DistError(
                "--ray auto: no Ray cluster runs on this machine; start one with "
                "`ray start --head`, or use --ray local"
            ) from None
    else:
        try:
            ray.init(address=address, **options)
        except (ConnectionError, RuntimeError) as exc:
            reason = _first_line(exc)
            raise DistError(f"cannot join the Ray cluster at {address}: {reason}") from None
    return address if address != "local" else "a local Ray instance"


def check_reachable(address: str, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """Raise `DistError` unless ``address`` is ``HOST:PORT`` and its port accepts a connection."""
    found = _ADDRESS.match(address.strip())
    if found is None or not 0 < int(found["port"]) < 65536:
        raise DistError(
            f"--ray: {address!r} is not a Ray address; give HOST:PORT of the head "
            "(as `ray start --head` prints it), ray://HOST:PORT, auto or local"
        )
    host = found["host"].strip("[]")
    try:
        with socket.create_connection((host, int(found["port"])), timeout=timeout):
            pass
    except OSError as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else exc.strerror or str(exc)
        raise DistError(
            f"cannot reach a Ray cluster at {address} ({reason}); start its head with "
            "`ray start --head` there, or check the address and the firewall"
        ) from None


def import_ray():
    try:
        import ray
    except ImportError:
        raise DistError(
            "Ray is not installed: pip install 'pixref[dist]' (on the driver and every worker)"
        ) from None
    return ray


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
