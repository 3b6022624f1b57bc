"""One SparkSession per process: local mode by default, a cluster when SOROT_SPARK_MASTER says so."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DEFAULT_MASTER = "local[2]"
# Local mode on a small machine: Spark's default of 200 shuffle partitions makes 200 tiny tasks per stage.
DEFAULT_PARTITIONS = 4

_lock = threading.Lock()
_session: SparkSession | None = None


class SparkUnavailableError(RuntimeError):
    """pyspark or Java is missing; the message says what to install."""


def missing() -> str | None:
    """Why Spark cannot start here, or None when it can."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (uv sync --extra spark, or pip install 'sorot[spark]')"
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        return "no Java runtime: install one (Debian: apt-get install openjdk-17-jre-headless) or set JAVA_HOME"
    return None


def master() -> str:
    return os.environ.get("SOROT_SPARK_MASTER") or DEFAULT_MASTER


def partitions() -> int:
    return int(os.environ.get("SOROT_SPARK_PARTITIONS") or DEFAULT_PARTITIONS)


# py4j logs each connection it closes at INFO, also from finalizers at interpreter exit when the
# streams are gone ("--- Logging error ---"); its warnings and errors still come through.
logging.getLogger("py4j").setLevel(logging.WARNING)


def get() -> SparkSession:
    """The process's SparkSession, started on first use (a JVM start: ~10 s)."""
    global _session
    with _lock:
        if _session is not None and _session.sparkContext._jsc is not None:
            return _session
        reason = missing()
        if reason:
            raise SparkUnavailableError(reason)
        from pyspark.sql import SparkSession

        builder = (
            SparkSession.builder.master(master())
            .appName("sorot-graph")
            .config("spark.sql.shuffle.partitions", str(partitions()))
            .config("spark.default.parallelism", str(partitions()))
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        )
        if master().startswith("local"):
            # Local mode talks to itself only: keep the driver and its block manager on loopback.
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
            builder = builder.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
        if memory := os.environ.get("SOROT_SPARK_DRIVER_MEMORY"):
            builder = builder.config("spark.driver.memory", memory)
        _session = builder.getOrCreate()
        _session.sparkContext.setLogLevel(os.environ.get("SOROT_SPARK_LOG_LEVEL", "ERROR"))
        if not master().startswith("local"):
            _session.sparkContext.addPyFile(str(_code_archive()))
        return _session


def _code_archive() -> Path:
    """The graph package as a zip for the executors of a cluster (they unpickle the job's block kernels)."""
    package = Path(__file__).resolve().parents[1]
    target = Path(tempfile.mkdtemp(prefix="sorot-spark-code-")) / "sorot-graph"
    return Path(shutil.make_archive(str(target), "zip", root_dir=package.parent, base_dir=package.name))


def stop() -> None:
    global _session
    with _lock:
        if _session is not None:
            _session.stop()
            _session = None
