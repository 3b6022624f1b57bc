"""Serving the simulator on 127.0.0.1: in a background thread (tests, demo) or in the foreground (CLI)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

from discovery.simulator.server import Limits, SimulatorApp
from discovery.simulator.world import World


@dataclass
class RunningSimulator:
    app: SimulatorApp
    url: str

    @property
    def world(self) -> World:
        return self.app.world


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _config(app: SimulatorApp, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_keep_alive=30,
        backlog=2048,
    )


@contextmanager
def simulator_in_thread(
    world: World, limits: Limits | None = None, host: str = "127.0.0.1", app_class: type[SimulatorApp] = SimulatorApp
) -> Iterator[RunningSimulator]:
    """``app_class``: a variant of the simulator (a server that answers some request its own way)."""
    app = app_class(world, limits)
    port = free_port(host)
    server = uvicorn.Server(_config(app, host, port))
    thread = threading.Thread(target=server.run, name="simulator", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the simulator did not start")
        time.sleep(0.01)
    try:
        yield RunningSimulator(app, f"http://{host}:{port}")
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def serve_forever(world: World, limits: Limits, host: str, port: int) -> None:
    uvicorn.Server(_config(SimulatorApp(world, limits), host, port)).run()
