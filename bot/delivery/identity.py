"""Who owns a lease: host, pid and the process's start time, and whether that process is gone.

A lease names its owner. A process on the same host can prove an owner dead: its pid is not
running, or the pid now belongs to a process that started at another time (pids are reused).
An owner on another host cannot be checked; its leases lapse once its heartbeat stops.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path

_HOST_CHARS = 30  # lease_owner is 64 characters: host, pid and a random suffix


@dataclass(frozen=True, slots=True)
class OwnerIdentity:
    """One delivering process (one engine in it): the id its leases carry and how to check it."""

    id: str
    host: str
    pid: int
    started: str  # "" when the kernel does not say (not Linux)


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()[:8]
    except OSError:
        return ""


def start_token(pid: int) -> str:
    """The process's start (boot id and start tick, from /proc), or "" when unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    # Field 22 (starttime) counts from the field after the command name, which may hold spaces.
    fields = stat[stat.rfind(")") + 2 :].split()
    if len(fields) < 20:
        return ""
    return f"{_boot_id()}:{fields[19]}"


def host_name() -> str:
    """This host's name as leases record it."""
    return socket.gethostname()[:_HOST_CHARS]


def this_process() -> OwnerIdentity:
    """A fresh identity for an engine in this process (several engines get several ids)."""
    pid = os.getpid()
    host = host_name()
    return OwnerIdentity(
        id=f"{host}:{pid}:{uuid.uuid4().hex[:8]}", host=host, pid=pid, started=start_token(pid)
    )


def _running(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    except OSError:
        return True  # cannot tell: not provably dead
    return True


def provably_dead(owner: OwnerIdentity, here: OwnerIdentity) -> bool:
    """True when `owner` ran on this host and its process is gone (pid free or reused)."""
    if owner.host != here.host or owner.id == here.id:
        return False
    if owner.pid == here.pid:
        # Our own pid: the owner was this process only if it started when we did.
        return bool(owner.started) and owner.started != here.started
    if not _running(owner.pid):
        return True
    if not owner.started:
        return False
    now = start_token(owner.pid)
    return bool(now) and now != owner.started
