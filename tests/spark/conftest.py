"""One SparkSession for the whole test run (a JVM start costs ~10 s).

Without Java or pyspark the Spark tests are skipped with the reason, unless SOROT_REQUIRE_SPARK=1
(CI sets it), where they fail instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from graph.spark import session

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    reason = session.missing()
    if reason:
        if os.environ.get("SOROT_REQUIRE_SPARK") == "1":
            pytest.fail(f"SOROT_REQUIRE_SPARK=1 but Spark cannot start: {reason}")
        pytest.skip(f"Spark tests need Java and pyspark: {reason}")
    os.environ.setdefault("SOROT_SPARK_PARTITIONS", "2")
    yield session.get()
    session.stop()
