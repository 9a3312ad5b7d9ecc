"""Lock files naming their holder process, and a liveness check of such a holder.

A lock is a small JSON file ``{"pid", "host", "started"}`` created with ``O_EXCL``. A lock
whose holder is gone (killed, crashed, rebooted) is stale and taken over by the next
process that asks for it; take-overs on one host are serialised with ``flock`` on a
``.guard`` file beside the lock. A holder on another host is assumed alive. Sweeps lock each
run (``OUT/.locks/NAME.lock``) and ``train`` locks its run directory (``RUN/.lock``); a run's
``status.json`` names the same holder while it is running, so that a run whose process died
reads as interrupted.
"""

from __future__ import annotations

import json
import os
import socket
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

__all__ = ["holder", "alive", "acquire", "release"]


def _proc_stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def holder() -> dict[str, Any]:
    """This process: pid, host name and start time (clock ticks after boot, ``None`` without /proc)."""
    stat = _proc_stat(os.getpid())
    return {"pid": os.getpid(), "host": socket.gethostname(), "started": stat[19] if stat else None}


def alive(who: Any) -> bool:
    """Whether the process described by ``who`` (a :func:`holder` dict) still runs.

    A pid that was reused by a later process does not count (its start time differs); a
    holder on another host is assumed alive; anything that is not a holder dict is not alive.
    """
    if not isinstance(who, dict) or not isinstance(who.get("pid"), int) or isinstance(who.get("pid"), bool):
        return False
    if who.get("host") != socket.gethostname():
        return True
    try:
        os.kill(who["pid"], 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        pass
    stat = _proc_stat(who["pid"])
    if stat is None:
        return True
    return stat[0] != "Z" and who.get("started") in (None, stat[19])


@contextmanager
def _guard(directory: Path) -> Iterator[None]:
    """Serialises lock take-overs between processes of this host (a no-op where flock is missing)."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    with open(directory / ".guard", "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def acquire(lock: str | Path) -> str | None:
    """Creates ``lock`` for this process, taking over a stale one.

    Returns:
        ``None`` when this process now holds the lock, else who holds it (``held by pid N on HOST``).
    """
    lock = Path(lock)
    lock.parent.mkdir(parents=True, exist_ok=True)
    with _guard(lock.parent):
        if lock.exists():
            try:
                who = json.loads(lock.read_text())
            except (OSError, ValueError):
                who = None
            if alive(who):
                return f"held by pid {who['pid']} on {who['host']}"
            lock.unlink(missing_ok=True)
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return "held by another process"
        with os.fdopen(fd, "w") as f:
            json.dump(holder(), f)
    return None


def release(lock: str | Path) -> None:
    """Removes ``lock`` if this process holds it (a lock taken over by another process is left alone)."""
    lock = Path(lock)
    try:
        who = json.loads(lock.read_text())
    except (OSError, ValueError):
        return
    if isinstance(who, dict) and who.get("pid") == os.getpid() and who.get("host") == socket.gethostname():
        lock.unlink(missing_ok=True)
