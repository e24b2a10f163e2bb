"""The rules every part shares have one home each: names, the school's today, thresholds,
«holds the permission somewhere»."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest

from ejournal.domain.errors import PermissionDenied
from ejournal.domain.grading import Thresholds
from ejournal.domain.models import Role, School
from ejournal.domain.people.naming import class_name, full_name, person_short, short_name
from ejournal.domain.permissions import Actor, Permission, require_some
from ejournal.domain.school.clock import school_today


def test_short_names_have_spaced_initials_everywhere():
    """«Иванова М. П.» (the header, the journal's teacher, the diary all use this)."""
    assert short_name("Иванова", "Мария", "Петровна") == "Иванова М. П."
    assert short_name("Иванова", "Мария") == "Иванова М."
    person = SimpleNamespace(last_name="Петров", first_name="Иван", middle_name="")
    assert person_short(person) == "Петров И."
    assert person_short(None) == ""
    assert full_name("Иванова", "Мария", "Петровна") == "Иванова Мария Петровна"
    assert class_name(5, "А") == "5 «А»"


def test_the_schools_today_is_its_own_date_not_the_servers():
    """23:30 UTC on 23 November is already 24 November in Moscow and still the 23rd in
    Kaliningrad; a naive datetime is read as UTC, a date is taken as it is."""
    late = dt.datetime(2026, 11, 23, 23, 30, tzinfo=dt.UTC)
    moscow = SimpleNamespace(timezone="Europe/Moscow")
    kaliningrad = SimpleNamespace(timezone="Europe/Kaliningrad")
    assert school_today(moscow, late) == dt.date(2026, 11, 24)
    assert school_today(kaliningrad, late) == dt.date(2026, 11, 24)  # UTC+2: 01:30
    assert school_today(moscow, late.replace(tzinfo=None)) == dt.date(2026, 11, 24)
    assert school_today(moscow, dt.date(2026, 9, 1)) == dt.date(2026, 9, 1)
    early = dt.datetime(2026, 11, 23, 21, 30, tzinfo=dt.UTC)
    assert school_today(kaliningrad, early) == dt.date(2026, 11, 23)  # 23:30 there


def test_thresholds_come_from_the_schools_settings():
    """A school that rounds from 4.60 gives a 4 for 4.55; the default gives a 5."""
    strict = School(name="x", short_name="x", round_to_5=Decimal("4.60"))
    assert Thresholds.of(strict).mark(Decimal("4.55")) == 4
    assert Thresholds.of(School(name="y", short_name="y")).mark(Decimal("4.55")) == 5
    assert Thresholds.of(strict).threshold(5) == Decimal("4.60")
    assert Thresholds.of(strict).mark(None) is None


@pytest.mark.parametrize("permission", [Permission.JOURNAL_READ, Permission.DIARY_READ])
def test_lists_are_refused_until_the_one_time_password_is_changed(permission):
    """Every list that filters by scope refuses a user who must still change the password."""
    actor = Actor(
        user_id=1,
        school_id=1,
        roles=frozenset({Role.DIRECTOR, Role.PARENT}),
        must_change_password=True,
    )
    with pytest.raises(PermissionDenied, match="смените одноразовый пароль"):
        require_some(actor, permission)


def test_every_audit_action_and_entity_has_a_russian_title():
    """The audit viewer never shows a raw code for anything the app records."""
    from ejournal.domain.audit.chain import (
        ACTION_TITLES,
        ENTITY_TITLES,
        AuditAction,
        AuditEntity,
        action_title,
    )

    assert set(ACTION_TITLES) == set(AuditAction)
    assert set(ENTITY_TITLES) == set(AuditEntity)
    assert action_title("journal.cell.set") == "Отметка / посещаемость"
    assert action_title("something.else") == "something.else"


def test_numbers_are_written_and_read_one_way():
    """Averages with a decimal comma and two places; browser-sent ids read leniently."""
    from ejournal.domain.numbers import decimal_text, int_or_none

    assert decimal_text(Decimal("4.5")) == "4,50"
    assert decimal_text(None) == "—" and decimal_text(None, empty="") == ""
    assert int_or_none(" 42 ") == 42
    assert int_or_none("4a") is None and int_or_none(None) is None
