"""The class share of a student's forecast: class means from one SQL aggregate, cached per
class and day until the data change."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session

from ejournal.domain.forecast import model as model_cache
from ejournal.domain.forecast import service
from ejournal.domain.forecast.features import class_means
from ejournal.domain.forecast.history import (
    PeriodInfo,
    class_means_at,
    current_period,
    load_cases,
    term_periods,
)
from ejournal.domain.models import ClassGroup, School
from tests.factories import NOW, TinySchool, add_lesson, add_mark, make_school

pytestmark = pytest.mark.db


@pytest.fixture()
def tiny(session: Session) -> TinySchool:
    """Russian in 5 А: Глеб «2», «2», «3» (the «3» entered a week late, on the 26th);
    Артём «5» and a control work «4» (weight 2)."""
    model_cache.forget()
    t = make_school(session)
    gleb, artem = t.students[0], t.students[1]
    author = t.actors["russian"]
    for day, gleb_mark in ((5, 2), (12, 2), (19, 3)):
        lesson = add_lesson(session, t.russian_5a, NOW.date().replace(day=day))
        at = NOW.replace(day=26 if day == 19 else day)
        add_mark(session, lesson, gleb, gleb_mark, author=author, work_type=t.answer, created_at=at)
        if day == 5:
            add_mark(session, lesson, artem, 5, author=author, work_type=t.answer, created_at=at)
        if day == 12:
            add_mark(session, lesson, artem, 4, author=author, work_type=t.control, created_at=at)
    return t


def _period_and_class(session: Session, t: TinySchool) -> tuple[School, ClassGroup, PeriodInfo]:
    group = session.get(ClassGroup, t.russian_5a.class_id)
    school = session.get(School, group.school_id if group else 0)
    assert group is not None and school is not None
    period = current_period(term_periods(session, school.id or 0), group.grade, NOW.date())
    assert period is not None
    return school, group, period


def test_class_means_count_only_marks_known_by_the_day(session: Session, tiny: TinySchool) -> None:
    """By the 20th Глеб's «3» is not entered yet: (2+2)/2 = 2 and Артём (5+4·2)/3 = 13/3,
    the class mean 19/6; on the 26th it is known: (7/3 + 13/3) / 2 = 10/3. Students without
    marks do not count. The SQL aggregate agrees with the cases' class means."""
    school, group, period = _period_and_class(session, tiny)
    russian = tiny.russian_5a.subject_id
    for day, expected in ((dt.date(2026, 10, 20), 19 / 6), (dt.date(2026, 10, 26), 10 / 3)):
        got = class_means_at(session, school, period, group.id or 0, day)
        assert got[russian] == pytest.approx(expected)
        cases = load_cases(session, school, [period], class_ids=[group.id or 0])
        by_cases = class_means(cases, {period.id: day})
        assert by_cases == {(group.id, s, period.id): m for s, m in got.items()}


def test_a_new_mark_refreshes_the_cached_class_mean(
    session: Session, tiny: TinySchool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The share is served from the cache on the same day; a new mark changes the data
    fingerprint, and the class mean counts it: Артём's «2» on the 16th makes his average
    (5+8+2)/4 = 3.75 and the class mean on the 20th (2 + 3.75) / 2 = 2.875."""
    monkeypatch.setattr(service, "FINGERPRINT_SECONDS", 0.0)
    school, group, period = _period_and_class(session, tiny)
    russian = tiny.russian_5a.subject_id
    day = dt.date(2026, 10, 20)
    key = (group.id, russian, period.id)
    first = service.class_share(session, school, period, group, day, today=day, holidays=[])
    again = service.class_share(session, school, period, group, day, today=day, holidays=[])
    assert again is first
    assert first.means[key] == pytest.approx(19 / 6)
    lesson = add_lesson(session, tiny.russian_5a, dt.date(2026, 10, 16))
    add_mark(
        session, lesson, tiny.students[1], 2, author=tiny.actors["russian"],
        work_type=tiny.answer, created_at=NOW.replace(day=16),
    )  # fmt: skip
    fresh = service.class_share(session, school, period, group, day, today=day, holidays=[])
    assert fresh.means[key] == pytest.approx(2.875)
