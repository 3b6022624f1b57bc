"""Which function runs each kind of job."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from campaigns import refresh
from jobs.runner import Handler

HANDLERS: Mapping[str, Handler] = {refresh.KIND: refresh.refresh_post, refresh.DETECT_KIND: refresh.detect_posts}
# Jobs queued by the workers themselves, once per interval whatever the number of workers.
PERIODIC: tuple[tuple[str, timedelta], ...] = ((refresh.DETECT_KIND, refresh.DETECT_EVERY),)
