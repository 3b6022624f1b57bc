"""Which function runs each kind of job."""

from __future__ import annotations

from collections.abc import Mapping

from campaigns import refresh
from jobs.runner import Handler

HANDLERS: Mapping[str, Handler] = {refresh.KIND: refresh.refresh_post}
