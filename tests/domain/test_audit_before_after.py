"""The audit's before/after from the model: only what changed, JSON-safe."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from sqlmodel import Session, col, select

from ejournal.domain import audit
from ejournal.domain.audit import AuditAction
from ejournal.domain.diary.announcements import end_announcement, post_announcement
from ejournal.domain.models import Announcement, Audience, AuditLog, ParentLink, Role, RoleGrant
from ejournal.domain.people.users import grant_role
from tests.domain.diary_factories import A_MONDAY, build_world


def _announcement(**fields: object) -> Announcement:
    values: dict[str, object] = {
        "school_id": 1,
        "author_id": 1,
        "audience": "school",
        "title": "Собрание",
        "body": "В пятницу",
        "starts_on": dt.date(2026, 11, 2),
        "ends_on": dt.date(2026, 11, 20),
    }
    return Announcement(**(values | fields))  # type: ignore[arg-type]


def test_changes_keeps_only_the_fields_that_changed() -> None:
    """Ending an announcement early: the title stays, so only the end date is written."""
    row = _announcement()
    before, after = audit.changes(row, {"title": "Собрание", "ends_on": dt.date(2026, 11, 9)})
    assert before == {"ends_on": "2026-11-20"}
    assert after == {"ends_on": "2026-11-09"}


def test_changes_is_empty_when_nothing_changes() -> None:
    """Setting the same values gives two empty dicts: nothing to audit."""
    row = _announcement()
    assert audit.changes(row, {"ends_on": dt.date(2026, 11, 20), "title": "Собрание"}) == ({}, {})


def test_changes_compares_only_the_named_fields() -> None:
    """With `fields`, other keys of the new values are not looked at."""
    row = _announcement()
    new = {"title": "Другое", "ends_on": dt.date(2026, 12, 1)}
    assert audit.changes(row, new, fields=["ends_on"]) == (
        {"ends_on": "2026-11-20"},
        {"ends_on": "2026-12-01"},
    )


def test_decimals_are_text_and_equal_values_are_unchanged() -> None:
    """4,5 and 4,50 are one value; 4,50 → 4,75 is written as text, digits kept."""
    old = {"round_to_5": Decimal("4.50")}
    assert audit.changes(old, {"round_to_5": Decimal("4.5")}) == ({}, {})
    assert audit.changes(old, {"round_to_5": Decimal("4.75")}) == (
        {"round_to_5": "4.50"},
        {"round_to_5": "4.75"},
    )


def test_a_moment_is_iso_text() -> None:
    """A datetime is stored as ISO text, so the dict goes to JSON as it is."""
    at = dt.datetime(2026, 11, 9, 14, 5, tzinfo=dt.UTC)
    before, after = audit.changes({"at": None}, {"at": at})
    assert before == {"at": None}
    assert json.dumps(after) == '{"at": "2026-11-09T14:05:00+00:00"}'


def test_snapshot_of_a_row_names_its_fields_with_enums_as_values() -> None:
    """A role grant is kept as its role's code and class; a link as its three fields."""
    grant = RoleGrant(user_id=7, school_id=1, role=Role.CLASS_TEACHER, class_id=3)
    assert audit.snapshot(grant, ("role", "class_id")) == {
        "role": "class_teacher",
        "class_id": 3,
    }
    link = ParentLink(parent_id=2, student_id=5, relation="мать")
    assert audit.snapshot(link, ("parent_id", "student_id", "relation")) == {
        "parent_id": 2,
        "student_id": 5,
        "relation": "мать",
    }


# --------------------------------------------------------------------------- in the services


def _rows(session: Session, action: AuditAction) -> list[tuple[str, str]]:
    return [
        (r.before, r.after)
        for r in session.exec(
            select(AuditLog).where(AuditLog.action == action).order_by(col(AuditLog.id))
        ).all()
    ]


@pytest.mark.db
def test_ending_an_announcement_audits_only_its_end_date(session: Session) -> None:
    """Ended on Wednesday: the row says the end moved from the posted date to Tuesday."""
    w = build_world(session)
    view = post_announcement(
        session,
        actor=w.deputy.actor,
        audience=Audience.SCHOOL,
        title="Собрание",
        body="В пятницу",
        starts_on=A_MONDAY,
        ends_on=A_MONDAY + dt.timedelta(days=4),
    )
    wednesday = A_MONDAY + dt.timedelta(days=2)
    end_announcement(
        session, actor=w.deputy.actor, announcement_id=view.announcement_id, today=wednesday
    )
    assert _rows(session, AuditAction.ANNOUNCEMENT_END) == [
        ('{"ends_on":"2026-09-18"}', '{"ends_on":"2026-09-15"}')
    ]


@pytest.mark.db
def test_a_new_class_teacher_is_audited_with_the_old_and_the_new_one(session: Session) -> None:
    """Giving 5 «Б» to the maths teacher: the old grant removed, the new one given, and
    the class's class teacher going from the old staff member to none, then to the new one."""
    w = build_world(session)
    old, new = w.class_teacher_b, w.math_teacher
    grant_role(
        session,
        actor=w.admin.actor,
        user_id=new.user_id,
        role=Role.CLASS_TEACHER,
        class_id=w.class_b.id,
    )
    class_b = f'"class_id":{w.class_b.id}'
    assert _rows(session, AuditAction.ROLE_REVOKE) == [
        (f'{{{class_b},"role":"class_teacher"}}', "")
    ]
    assert _rows(session, AuditAction.ROLE_GRANT)[-1] == (
        "",
        f'{{{class_b},"role":"class_teacher"}}',
    )
    assert _rows(session, AuditAction.CLASS_UPDATE) == [
        (f'{{"class_teacher_id":{old.id}}}', '{"class_teacher_id":null}'),
        ('{"class_teacher_id":null}', f'{{"class_teacher_id":{new.id}}}'),
    ]
