"""Issue 12, item 10: announcement end dates, the audit log in the school's time, the
audit filter by name, «Ознакомление» on the last finished week."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session

from ejournal.domain import audit
from ejournal.domain.audit.query import search_audit
from ejournal.domain.diary.announcements import default_end, post_announcement
from ejournal.domain.diary.calendar import last_finished_week
from ejournal.domain.errors import ValidationError
from ejournal.domain.models import Role
from tests.domain.account_factories import actor_of, make_school, make_staff
from tests.domain.diary_factories import World, build_world

pytestmark = pytest.mark.db

T0 = dt.datetime(2026, 11, 2, 21, 30, tzinfo=dt.UTC)  # 3 November 00:30 in Moscow


@pytest.fixture()
def staff(session: Session) -> dict[str, object]:
    school = make_school(session)
    _, admin = make_staff(session, school, [Role.ADMIN], last_name="Админова")
    _, teacher = make_staff(
        session, school, [Role.TEACHER], last_name="Учителева", first_name="Зоя"
    )
    return {"admin": actor_of(session, admin), "teacher": actor_of(session, teacher)}


def _write(session: Session, actor_id: int | None, at: dt.datetime) -> int:
    row = audit.record(
        session, actor_id=actor_id, action="update", entity="mark", entity_id=1, at=at
    )
    session.flush()
    return row.id or 0


def test_audit_shows_the_schools_time_not_utc(session: Session, staff: dict) -> None:
    """21:30 UTC on 2 November is 00:30 on 3 November in Moscow."""
    row_id = _write(session, None, T0)
    [row] = search_audit(session, actor=staff["admin"], before_id=row_id + 1, limit=1)
    assert row.local_at is not None
    assert row.local_at.strftime("%d.%m.%Y %H:%M") == "03.11.2026 00:30"


def test_audit_day_filters_are_the_schools_days(session: Session, staff: dict) -> None:
    """An entry at 00:30 Moscow time on 3 November is on the 3rd, not the 2nd."""
    row_id = _write(session, None, T0)
    on_third = search_audit(
        session,
        actor=staff["admin"],
        since_day=dt.date(2026, 11, 3),
        until_day=dt.date(2026, 11, 3),
    )
    on_second = search_audit(
        session,
        actor=staff["admin"],
        since_day=dt.date(2026, 11, 2),
        until_day=dt.date(2026, 11, 2),
    )
    assert row_id in [r.id for r in on_third]
    assert row_id not in [r.id for r in on_second]


def test_audit_who_filter_takes_a_name(session: Session, staff: dict) -> None:
    """«учителева зоя» (any case, words in any order) finds the teacher's entries only."""
    teacher = staff["teacher"]
    mine = _write(session, teacher.user_id, T0)
    _write(session, staff["admin"].user_id, T0)
    for text in ("учителева зоя", "Зоя Учителева", "УЧИТЕЛЕВА"):
        rows = search_audit(session, actor=staff["admin"], person=text)
        assert [r.id for r in rows] == [mine], text


def test_audit_who_filter_still_takes_a_login_and_refuses_a_stranger(
    session: Session, staff: dict
) -> None:
    """A login works as before; a name nobody has is refused with a message."""
    teacher = staff["teacher"]
    from ejournal.domain.models import User

    login = session.get(User, teacher.user_id).login  # type: ignore[union-attr]
    mine = _write(session, teacher.user_id, T0)
    assert [r.id for r in search_audit(session, actor=staff["admin"], person=login)] == [mine]
    with pytest.raises(ValidationError):
        search_audit(session, actor=staff["admin"], person="Никтоева")


def test_announcement_end_defaults_to_a_week_ahead_and_never_before_the_event(
    session: Session,
) -> None:
    """Posted on 23 November about a meeting on 3 December: shown until 3 December."""
    w: World = build_world(session)
    start = dt.date(2026, 11, 23)
    assert default_end(start) == dt.date(2026, 11, 30)
    assert default_end(start, dt.date(2026, 12, 3)) == dt.date(2026, 12, 3)
    view = post_announcement(
        session,
        actor=w.class_teacher_a.actor,
        audience="class",
        class_id=w.class_a.id,
        title="Собрание",
        body="3 декабря в 18:00",
        starts_on=start,
        event_on=dt.date(2026, 12, 3),
    )
    assert view.ends_on == dt.date(2026, 12, 3)
    with pytest.raises(ValidationError):
        post_announcement(
            session,
            actor=w.class_teacher_a.actor,
            audience="class",
            class_id=w.class_a.id,
            title="Собрание",
            body="3 декабря в 18:00",
            starts_on=start,
            ends_on=dt.date(2026, 11, 30),
            event_on=dt.date(2026, 12, 3),
        )


def test_confirmations_open_on_the_last_finished_week() -> None:
    """Monday 30 Nov and Friday 4 Dec: the week of 23 Nov; Saturday 5 Dec: that week."""
    assert last_finished_week(dt.date(2026, 11, 30), 5) == dt.date(2026, 11, 23)
    assert last_finished_week(dt.date(2026, 12, 4), 5) == dt.date(2026, 11, 23)
    assert last_finished_week(dt.date(2026, 12, 5), 5) == dt.date(2026, 11, 30)
    assert last_finished_week(dt.date(2026, 12, 5), 6) == dt.date(2026, 11, 23)
