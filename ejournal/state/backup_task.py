"""The nightly backup: a background task started with the Reflex app.

`register(app)` adds a lifespan task that wakes every few minutes and, when the nightly
backup is due, takes it in a worker thread (never on the event loop). Several workers
may run the task: `schedule.start_run` lets only one of them start the night's backup.
EJOURNAL_BACKUP_SCHEDULE=0 switches it off (tests, the browser test server).
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from ejournal.domain.records import schedule

log = logging.getLogger("ejournal.backup")

#: How often the task looks whether the nightly backup is due.
WAKE_SECONDS = 300
#: The first look after start, so the app is serving before a backup starts.
FIRST_WAKE_SECONDS = 60


def enabled() -> bool:
    """Off with EJOURNAL_BACKUP_SCHEDULE=0 (or false/no/off)."""
    raw = os.environ.get("EJOURNAL_BACKUP_SCHEDULE", "1").strip().lower()
    return raw not in ("0", "false", "no", "off")


async def tick() -> schedule.RunOutcome | None:
    """Take the nightly backup when it is due (in a thread); log what happened."""
    outcome = await asyncio.to_thread(schedule.run_backup, schedule.KIND_SCHEDULED, None)
    if outcome is not None and outcome.ok:
        log.info("nightly backup written to %s", outcome.path)
    elif outcome is not None:
        log.error("nightly backup failed: %s", outcome.error)
    return outcome


async def nightly_backups() -> None:
    """Forever: wait, and take the nightly backup when due. One failure never stops it."""
    await asyncio.sleep(FIRST_WAKE_SECONDS)
    while True:
        try:
            await tick()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("the backup schedule could not check or take a backup")
        await asyncio.sleep(WAKE_SECONDS)


def register(app: Any) -> None:
    """Start the nightly backups with `app` (an rx.App) unless switched off."""
    if enabled():
        app.register_lifespan_task(nightly_backups)
