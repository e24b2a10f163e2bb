"""The actor's school's «today», for the pages that need the date before any other read."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from ejournal.domain.db import read_only
from ejournal.domain.errors import NotFound
from ejournal.domain.models import School
from ejournal.domain.permissions import Actor
from ejournal.domain.school.clock import school_today


@read_only
def school_today_for(session: Session, *, actor: Actor, now: dt.datetime | None = None) -> dt.date:
    """Today's date in the time zone of the actor's school (not the server's)."""
    school = session.get(School, actor.school_id)
    if school is None:
        raise NotFound("Школа не найдена.")
    return school_today(school, now)
