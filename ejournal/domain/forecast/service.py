"""Forecast services: a student's period marks, a class's успеваемость and качество, the
risk list, and the templated message to parents [004 §2.7], [004 §4.4.4], [002 §7.4].

Every forecast names its method — the model, or the baseline that beat it in the backtest
(`backtest.py`) — and its measured accuracy in words. A student's forecast agrees with «что
нужно» (`need.py`): a mark that no further marks can reach gets probability 0.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from sqlalchemy import or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from ejournal.domain import permissions
from ejournal.domain.audit.chain import AuditAction, AuditEntity, record
from ejournal.domain.db import read_only
from ejournal.domain.diary.child import PERIOD_IN_THIS, holiday_name, holidays_for, load_child
from ejournal.domain.errors import NotFound, PermissionDenied, ValidationError
from ejournal.domain.forecast.backtest import (
    AVERAGE,
    METHOD_TITLES,
    MODEL,
    Backtest,
    accuracy_words,
    average_baseline,
    last_period_baseline,
    most_likely,
    one_hot,
    run_backtest,
)
from ejournal.domain.forecast.features import CLASSES, Case, known_marks, weeks_bucket
from ejournal.domain.forecast.history import (
    PeriodInfo,
    class_means_at,
    closed_periods,
    current_period,
    fingerprint,
    load_cases,
    rounding_of,
    term_periods,
)
from ejournal.domain.forecast.model import (
    MarkModel,
    Memo,
    Probabilities,
    feature_rows,
    recent_fingerprint,
    shared,
    train,
    trained,
)
from ejournal.domain.forecast.need import WorkOption, plan_marks
from ejournal.domain.grading import Thresholds, may_leave_unattested, weighted_average
from ejournal.domain.models import (
    AcademicYear,
    ClassGroup,
    Holiday,
    Lesson,
    Parent,
    ParentLink,
    PeriodKind,
    School,
    Student,
    TeachingAssignment,
    ThematicPlanItem,
    TimetableSlot,
    WorkType,
)
from ejournal.domain.numbers import decimal_text
from ejournal.domain.people.naming import class_name, full_name
from ejournal.domain.permissions import Actor, Permission, Scope, Target, require_some, scope_clause
from ejournal.domain.school.clock import school_today

#: A student is on the risk list when the forecast gives «2» at least this probability.
RISK_THRESHOLD = 0.3
#: Fewer marks than this by the period's end and a period mark is hard to justify (school
#: practice: three marks per period; the regulations set no number).
MIN_MARKS = 3
#: The data's fingerprint is read again after this many seconds (new period marks reach the
#: model within this time).
FINGERPRINT_SECONDS = 30.0
#: Samples drawn from the students' probabilities for a class's range.
CLASS_SAMPLES = 400

# --------------------------------------------------------------------------- the trained model


@dataclass(frozen=True)
class Trained:
    """The school's model with its backtest: trained once per process until the data change."""

    model: MarkModel
    backtest: Backtest
    seconds: float
    cases: int


def _school(session: Session, actor: Actor) -> School:
    school = session.get(School, actor.school_id)
    if school is None:
        raise NotFound("Школа не найдена.")
    return school


def data_fingerprint(session: Session, school: School, today: dt.date) -> Hashable:
    """The school's data fingerprint (history.fingerprint), read at most every
    FINGERPRINT_SECONDS: the trained model and the class shares are kept until it changes."""
    assert school.id is not None
    return recent_fingerprint(
        ("forecast", school.id, today),
        lambda: fingerprint(session, school.id or 0, today),
        FINGERPRINT_SECONDS,
    )


def trained_model(session: Session, school: School, today: dt.date) -> Trained:
    """The school's model and backtest on every closed quarter and half-year (cached)."""
    assert school.id is not None
    data = data_fingerprint(session, school, today)
    key = (data, school.round_to_3, school.round_to_4, school.round_to_5)

    def build() -> Trained:
        start = time.perf_counter()
        closed = closed_periods(term_periods(session, school.id or 0), today)
        cases = load_cases(session, school, closed)
        rounding = rounding_of(school)
        memo: Memo = {}
        backtest, _ = run_backtest(cases, rounding, memo=memo)
        model = train(cases, rounding, memo=memo)
        return Trained(model, backtest, time.perf_counter() - start, len(cases))

    return trained(("forecast", school.id), key, build)


@dataclass(frozen=True)
class Prediction:
    probabilities: Probabilities
    method: str
    weeks: int


def predict(
    tr: Trained,
    school: School,
    cases: Sequence[Case],
    on: dt.date,
    *,
    means: dict[Hashable, float] | None = None,
) -> dict[tuple[Hashable, Hashable], Prediction]:
    """(student, subject) → the forecast for each open case of one period as of `on`; the
    class means are those of `cases` unless `means` gives them by (group, subject, period)."""
    if not cases:
        return {}
    rounding = rounding_of(school)
    period = cases[0].period
    cutoff = min(on, cases[0].ends_on)
    weeks = weeks_bucket(cases[0].starts_on, cutoff)
    method = tr.backtest.method_for(weeks)
    out: dict[tuple[Hashable, Hashable], Prediction] = {}
    if method == MODEL:
        rows = feature_rows(cases, {period: cutoff}, rounding, means=means)
        for c, p in zip(cases, tr.model.predict(rows), strict=True):
            out[(c.student, c.subject)] = Prediction(p, MODEL, weeks)
        return out
    fallback = most_likely(tr.model.prior)
    rule = average_baseline if method == AVERAGE else last_period_baseline
    for c in cases:
        mark = rule(c, cutoff, rounding, fallback, frozenset())
        p = tr.backtest.confusion.get((method, weeks, mark), one_hot(mark))
        out[(c.student, c.subject)] = Prediction(p, method, weeks)
    return out


def _id(value: Hashable) -> int:
    """A database case's key (student, subject, class) as the int it is."""
    assert isinstance(value, int)
    return value


def _percent(p: float) -> str:
    return f"{round(p * 100)} %"


# --------------------------------------------------------------------------- one student


@dataclass(frozen=True)
class SubjectForecast:
    """A subject's period-mark forecast for the diary."""

    subject_id: int
    subject_name: str
    probabilities: dict[int, float]  # {2: P(2), 3: …, 4: …, 5: …}
    likely_mark: int
    likely_probability: float
    method: str  # "model", "average" or "last_period"
    method_title: str
    weeks: int  # the backtest's bucket the day falls in (2, 4, 6 weeks in)
    accuracy: float | None  # the method's exact accuracy in that bucket (None: not measured)
    accuracy_n: int
    accuracy_words: str  # «такие прогнозы сбывались в 8 случаях из 10»
    current_average: Decimal | None
    current_mark: int | None
    marks_count: int
    lessons_left: int
    best_reachable: int | None  # the highest mark further marks can still reach («что нужно»)
    text: str


@dataclass(frozen=True)
class StudentForecast:
    student_id: int
    student_name: str
    period_id: int
    period_name: str
    on: dt.date
    subjects: list[SubjectForecast]


def _options(
    session: Session, school: School, page_ids: Sequence[int], first: dt.date, last: dt.date
) -> tuple[WorkOption, list[WorkType], Counter[int]]:
    """The default work and the heavier ones the КТП plans from `first` to `last` (as need.py)."""
    work_types = session.exec(
        select(WorkType)
        .where(WorkType.school_id == school.id)
        .order_by(col(WorkType.sort_order), col(WorkType.id))
    ).all()
    default = next((w for w in work_types if w.weight == Decimal(1) and not w.is_control), None)
    planned: Counter[int] = Counter()
    for page_id, wt in session.execute(
        sa_select(col(ThematicPlanItem.assignment_id), col(ThematicPlanItem.work_type_id)).where(
            col(ThematicPlanItem.assignment_id).in_(list(page_ids) or [-1]),
            col(ThematicPlanItem.work_type_id).is_not(None),
            col(ThematicPlanItem.planned_on) >= first,
            col(ThematicPlanItem.planned_on) <= last,
        )
    ).all():
        planned[(page_id << 20) + wt] += 1
    base = WorkOption(
        work_type_id=None if default is None else default.id,
        name="ответ на уроке" if default is None else default.name,
        abbreviation="" if default is None else default.abbreviation,
        weight=Decimal(1) if default is None else default.weight,
        available=0,
    )
    return base, list(work_types), planned


def lessons_left_by_subject(
    session: Session,
    pages: dict[int, list[int]],
    *,
    first: dt.date,
    last: dt.date,
    days_per_week: int,
    holidays: Sequence[Holiday],
) -> dict[int, int]:
    """need.remaining_lessons for every subject's pages at once (two queries in all)."""
    ids = sorted({p for ps in pages.values() for p in ps})
    if first > last or not ids:
        return dict.fromkeys(pages, 0)
    slots = session.exec(
        select(TimetableSlot).where(
            col(TimetableSlot.assignment_id).in_(ids),
            TimetableSlot.valid_from <= last,
            or_(col(TimetableSlot.valid_to).is_(None), col(TimetableSlot.valid_to) >= first),
        )
    ).all()
    existing = session.execute(
        sa_select(
            col(Lesson.date), col(Lesson.number), col(Lesson.assignment_id), col(Lesson.cancelled)
        ).where(
            col(Lesson.assignment_id).in_(ids), col(Lesson.date) >= first, col(Lesson.date) <= last
        )
    ).all()
    keys: set[tuple[dt.date, int, int]] = set()
    by_weekday: dict[int, list[TimetableSlot]] = defaultdict(list)
    for slot in slots:
        by_weekday[slot.weekday].append(slot)
    day = first
    while day <= last:
        weekday = day.isoweekday()
        if weekday <= days_per_week and holiday_name(holidays, day) is None:
            for slot in by_weekday.get(weekday, []):
                if slot.valid_from <= day and (slot.valid_to is None or day <= slot.valid_to):
                    keys.add((day, slot.number, slot.assignment_id))
        day += dt.timedelta(days=1)
    for on, number, page_id, cancelled in existing:
        if cancelled:
            keys.discard((on, number, page_id))
        else:
            keys.add((on, number, page_id))
    per_page = Counter(k[2] for k in keys)
    return {subject: sum(per_page.get(p, 0) for p in ps) for subject, ps in pages.items()}


def best_reachable(
    current: Sequence[tuple[int, Decimal]],
    *,
    options: Sequence[WorkOption],
    lessons_left: int,
    thresholds: Thresholds,
) -> int | None:
    """The highest period mark further marks can reach (need.py's plan), None: none, not even 3."""
    for target in (5, 4, 3):
        if (
            plan_marks(
                current, target=target, options=options, lessons_left=lessons_left,
                thresholds=thresholds,
            )
            is not None
        ):  # fmt: skip
            return target
    return None


def consistent(
    p: Probabilities, *, best: int | None, current_mark: int | None, lessons_left: int
) -> Probabilities:
    """`p` with the marks «что нужно» rules out set to 0: above the best reachable one, and,
    with no lessons left, any but the current one."""
    allowed = {
        c
        for c in CLASSES
        if (best is None or c <= best) and (lessons_left > 0 or current_mark in (None, c))
    }
    kept = [v if c in allowed else 0.0 for c, v in zip(CLASSES, p, strict=True)]
    total = sum(kept)
    if total <= 0:
        fixed = current_mark or (best or 2)
        return one_hot(fixed)
    return (kept[0] / total, kept[1] / total, kept[2] / total, kept[3] / total)


def _forecast_text(
    likely: int, probability: float, method: str, words: str, where: str, best: int | None
) -> str:
    text = f"Прогноз {where}: скорее всего «{likely}» (вероятность {_percent(probability)})."
    if best is not None and best < 5:
        text += f" «{best + 1}» {where} уже не получить."
    if method != MODEL:
        text += f" Прогноз по правилу «{METHOD_TITLES[method]}»: модель пока не точнее его."
    return f"{text} {words[0].upper()}{words[1:]}."


@dataclass(frozen=True)
class ClassShare:
    """What every student of a class shares on a day of a period."""

    means: dict[Hashable, float]  # (class, subject, period) → the class mean by the day
    lessons_left: dict[int, int]  # journal page → lessons left after the day


def class_share(
    session: Session,
    school: School,
    period: PeriodInfo,
    group: ClassGroup,
    on: dt.date,
    *,
    today: dt.date,
    holidays: Sequence[Holiday],
) -> ClassShare:
    """The class means (one SQL aggregate) and every page's lessons left after `on` (one
    timetable query), kept per (school, period, class, day) until the data fingerprint
    changes."""
    assert school.id is not None and group.id is not None
    data = data_fingerprint(session, school, today)
    key = ("forecast-class", school.id, period.id, group.id, on)

    def build() -> ClassShare:
        subject_means = class_means_at(session, school, period, group.id or 0, on)
        page_ids = session.exec(
            select(TeachingAssignment.id).where(
                TeachingAssignment.class_id == group.id,
                TeachingAssignment.year_id == period.year_id,
            )
        ).all()
        left = lessons_left_by_subject(
            session, {p: [p] for p in page_ids if p is not None},
            first=on + dt.timedelta(days=1), last=period.ends_on,
            days_per_week=school.days_per_week, holidays=holidays,
        )  # fmt: skip
        means: dict[Hashable, float] = {
            (group.id, subject, period.id): m for subject, m in subject_means.items()
        }
        return ClassShare(means, left)

    return shared(key, (data, school.timezone, school.days_per_week), build)


@read_only
def student_forecast(
    session: Session,
    *,
    actor: Actor | None,
    student_id: int,
    period_id: int | None = None,
    now: dt.datetime | dt.date | None = None,
) -> StudentForecast:
    """Each marked subject's period-mark forecast for the child (families: own children only)."""
    ctx = load_child(session, actor, student_id)
    school = ctx.school
    today = school_today(school, now)
    group = ctx.class_group
    if group is None:
        raise NotFound("Ученик не числится в классе.")
    period = _period_for(session, school, group.grade, period_id, today, group.year_id)
    on = min(today, period.ends_on)
    tr = trained_model(session, school, today)
    holidays = holidays_for(session, ctx)
    share = class_share(session, school, period, group, on, today=today, holidays=holidays)
    mine = load_cases(
        session, school, [period], class_ids=[group.id or 0], student_ids=[student_id]
    )
    predictions = predict(tr, school, mine, on, means=share.means)
    thresholds = Thresholds.of(school)
    where = PERIOD_IN_THIS.get(PeriodKind(period.kind), "в этом периоде")
    pages: dict[int, list[int]] = defaultdict(list)
    for c in mine:
        pages[_id(c.subject)].append(int(str(c.extra["assignment_id"])))
    base, work_types, planned = _options(
        session, school, [p for ps in pages.values() for p in ps], on + dt.timedelta(days=1),
        period.ends_on,
    )  # fmt: skip
    lessons_left = {
        subject: sum(share.lessons_left.get(p, 0) for p in ps) for subject, ps in pages.items()
    }
    subjects: list[SubjectForecast] = []
    for c in sorted(mine, key=lambda c: str(c.extra["subject_name"])):
        pred = predictions[(c.student, c.subject)]
        known = known_marks(c, on)
        current = [(m.value, Decimal(str(m.weight))) for m in known]
        average = weighted_average(current)
        current_mark = thresholds.mark(average)
        page_ids = pages[_id(c.subject)]
        left = lessons_left[_id(c.subject)]
        options = [WorkOption(base.work_type_id, base.name, base.abbreviation, base.weight, left)]
        for w in work_types:
            count = sum(planned.get((p << 20) + (w.id or 0), 0) for p in page_ids)
            if w.weight > base.weight and count > 0:
                options.append(WorkOption(w.id, w.name, w.abbreviation, w.weight, count))
        best = best_reachable(current, options=options, lessons_left=left, thresholds=thresholds)
        p = consistent(pred.probabilities, best=best, current_mark=current_mark, lessons_left=left)
        likely = most_likely(p)
        measured = tr.backtest.accuracy(pred.weeks, pred.method)
        words = accuracy_words(measured)
        subjects.append(
            SubjectForecast(
                subject_id=_id(c.subject),
                subject_name=str(c.extra["subject_name"]),
                probabilities=dict(zip(CLASSES, p, strict=True)),
                likely_mark=likely,
                likely_probability=max(p),
                method=pred.method,
                method_title=METHOD_TITLES[pred.method],
                weeks=pred.weeks,
                accuracy=None if measured is None else measured.exact,
                accuracy_n=0 if measured is None else measured.n,
                accuracy_words=words,
                current_average=average,
                current_mark=current_mark,
                marks_count=len(known),
                lessons_left=left,
                best_reachable=best,
                text=_forecast_text(likely, max(p), pred.method, words, where, best),
            )
        )
    s = ctx.student
    return StudentForecast(
        student_id=student_id,
        student_name=full_name(s.last_name, s.first_name),
        period_id=period.id,
        period_name=period.name,
        on=on,
        subjects=subjects,
    )


def _period_for(
    session: Session,
    school: School,
    grade: int,
    period_id: int | None,
    today: dt.date,
    year_id: int | None = None,
) -> PeriodInfo:
    periods = term_periods(session, school.id or 0)
    if period_id is not None:
        found = next((p for p in periods if p.id == period_id), None)
        if found is None or not found.grade_from <= grade <= found.grade_to:
            raise NotFound("Учебный период не найден.")
        return found
    mine = [p for p in periods if year_id is None or p.year_id == year_id]
    found = current_period(mine, grade, today)
    if found is None:
        raise NotFound("Учебный период не найден.")
    return found


# --------------------------------------------------------------------------- classes


@dataclass(frozen=True)
class ClassForecast:
    """A class's forecast успеваемость and качество at the period's end, with a range."""

    class_id: int
    class_name: str
    period_id: int
    period_name: str
    students: int
    progress: float  # expected share of students with no «2»
    progress_low: float  # 10th percentile
    progress_high: float  # 90th percentile
    quality: float  # expected share with only «4» and «5»
    quality_low: float
    quality_high: float
    progress_now: float | None  # by the current averages (subjects with marks)
    quality_now: float | None
    method: str  # the method of the bucket (model or a baseline)
    accuracy_words: str


def _class_figures(
    per_student: dict[Hashable, list[Probabilities]], rng: np.random.Generator
) -> tuple[float, float, float, float, float, float]:
    """(progress, low, high, quality, low, high) from sampling each student's subjects."""
    if not per_student:
        return (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    ok3 = np.ones((CLASS_SAMPLES, len(per_student)), dtype=bool)
    ok4 = np.ones((CLASS_SAMPLES, len(per_student)), dtype=bool)
    for j, probs in enumerate(per_student.values()):
        for p in probs:
            draws = rng.random(CLASS_SAMPLES)
            p2 = p[0]
            p23 = p[0] + p[1]
            ok3[:, j] &= draws >= p2
            ok4[:, j] &= draws >= p23
    progress = ok3.mean(axis=1)
    quality = ok4.mean(axis=1)
    return (
        float(progress.mean()),
        float(np.percentile(progress, 10)),
        float(np.percentile(progress, 90)),
        float(quality.mean()),
        float(np.percentile(quality, 10)),
        float(np.percentile(quality, 90)),
    )


def _analytics_classes(
    session: Session, actor: Actor, class_id: int | None, period: PeriodInfo
) -> list[ClassGroup]:
    query = select(ClassGroup).where(
        scope_clause(actor, Permission.ANALYTICS_READ, over=ClassGroup),
        ClassGroup.year_id == period.year_id,
        ClassGroup.grade >= max(2, period.grade_from),
        ClassGroup.grade <= period.grade_to,
    )
    if class_id is not None:
        query = query.where(ClassGroup.id == class_id)
    return list(session.exec(query.order_by(col(ClassGroup.grade), col(ClassGroup.letter))).all())


@read_only
def class_forecast(
    session: Session,
    *,
    actor: Actor | None,
    class_id: int | None,
    period_id: int,
    now: dt.datetime | dt.date | None = None,
) -> list[ClassForecast]:
    """Per class in the actor's analytics scope (or one class): the forecast успеваемость and
    качество at the period's end with a 10–90 % range, beside the figures so far."""
    actor = require_some(actor, Permission.ANALYTICS_READ)
    school = _school(session, actor)
    today = school_today(school, now)
    period = next((p for p in term_periods(session, school.id or 0) if p.id == period_id), None)
    if period is None:
        raise NotFound("Учебный период не найден.")
    if class_id is not None:
        permissions.require(session, actor, Permission.ANALYTICS_READ, Target(class_id=class_id))
    groups = _analytics_classes(session, actor, class_id, period)
    if not groups:
        return []
    on = min(today, period.ends_on)
    tr = trained_model(session, school, today)
    cases = load_cases(session, school, [period], class_ids=[g.id or 0 for g in groups])
    current = _current_students(session, [g.id or 0 for g in groups])
    cases = [c for c in cases if c.student in current]
    predictions = predict(tr, school, cases, on)
    rounding = rounding_of(school)
    weeks = weeks_bucket(period.starts_on, on)
    method = tr.backtest.method_for(weeks)
    words = tr.backtest.words(weeks)
    rng = np.random.default_rng(20260901)
    out: list[ClassForecast] = []
    by_class: dict[Hashable, list[Case]] = defaultdict(list)
    for c in cases:
        by_class[c.group].append(c)
    for g in groups:
        mine = by_class.get(g.id, [])
        per_student: dict[Hashable, list[Probabilities]] = defaultdict(list)
        now_marks: dict[Hashable, list[int]] = defaultdict(list)
        for c in mine:
            if period.ends_on <= today and c.outcome is not None:
                per_student[c.student].append(one_hot(c.outcome))
            else:
                per_student[c.student].append(predictions[(c.student, c.subject)].probabilities)
            mark = rounding.mark(_mean(c, on))
            if mark is not None:
                now_marks[c.student].append(mark)
        figures = _class_figures(per_student, rng)
        graded = [v for v in now_marks.values() if v]
        out.append(
            ClassForecast(
                class_id=g.id or 0,
                class_name=class_name(g.grade, g.letter),
                period_id=period.id,
                period_name=period.name,
                students=len(per_student),
                progress=figures[0],
                progress_low=figures[1],
                progress_high=figures[2],
                quality=figures[3],
                quality_low=figures[4],
                quality_high=figures[5],
                progress_now=sum(1 for v in graded if min(v) >= 3) / len(graded)
                if graded
                else None,
                quality_now=sum(1 for v in graded if min(v) >= 4) / len(graded) if graded else None,
                method=method,
                accuracy_words=words,
            )
        )
    return out


def _mean(c: Case, on: dt.date) -> float | None:
    from ejournal.domain.forecast.features import weighted_mean

    return weighted_mean(known_marks(c, on))


def _current_students(session: Session, class_ids: Sequence[int]) -> set[Hashable]:
    return set(
        session.exec(
            select(Student.id).where(
                col(Student.class_id).in_(list(class_ids)), col(Student.is_active)
            )
        ).all()
    )


# --------------------------------------------------------------------------- the risk list


@dataclass(frozen=True)
class RiskEntry:
    """A student × subject at risk of «2» («two») or of being left unattested («unattested»)."""

    student_id: int
    student_name: str
    class_id: int
    class_name: str
    subject_id: int
    subject_name: str
    period_id: int
    period_name: str
    kind: str  # "two" or "unattested"
    probability_2: float
    reasons: tuple[str, ...]
    link: str  # the journal page: /journal?a=&p=&s=


def _holidays(session: Session, group: ClassGroup) -> list[Holiday]:
    return list(
        session.exec(
            select(Holiday).where(
                Holiday.year_id == group.year_id,
                Holiday.grade_from <= group.grade,
                Holiday.grade_to >= group.grade,
            )
        ).all()
    )


def _risk_scope(actor: Actor | None) -> Actor:
    """Class teachers (own class) and the administration (all): parents, students and
    teachers get nothing."""
    actor = require_some(actor, Permission.DIARY_READ)
    scopes = actor.scopes(Permission.DIARY_READ) & {Scope.ALL, Scope.OWN_CLASS}
    if not scopes or (scopes == {Scope.OWN_CLASS} and not actor.class_teacher_of):
        raise PermissionDenied("Список риска видят классный руководитель и администрация.")
    return actor


def _current_years(session: Session, school_id: int, today: dt.date) -> list[int]:
    """The school year holding `today` (else the one marked current)."""
    years = session.exec(select(AcademicYear).where(AcademicYear.school_id == school_id)).all()
    holding = [y.id for y in years if y.starts_on <= today <= y.ends_on and y.id is not None]
    return holding or [y.id for y in years if y.is_current and y.id is not None]


def _risk_classes(
    session: Session, actor: Actor, class_id: int | None, today: dt.date
) -> list[ClassGroup]:
    query = select(ClassGroup).where(
        col(ClassGroup.year_id).in_(_current_years(session, actor.school_id, today)),
        scope_clause(
            actor, Permission.DIARY_READ, over=ClassGroup, only={Scope.ALL, Scope.OWN_CLASS}
        ),
    )
    if class_id is not None:
        query = query.where(ClassGroup.id == class_id)
    return list(session.exec(query.order_by(col(ClassGroup.grade), col(ClassGroup.letter))).all())


def _plural(n: int, one: str, few: str, many: str) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def risk_reasons(
    c: Case, on: dt.date, p2: float, *, lessons_left: int | None, unattested: bool
) -> tuple[str, ...]:
    """The Russian reasons a student × subject is on the risk list."""
    known = known_marks(c, on)
    values = [m.value for m in known]
    lessons = sum(1 for d in c.lesson_days if c.starts_on <= d <= on)
    unexcused = sum(1 for d, ex in c.absences if not ex and c.starts_on <= d <= on)
    reasons: list[str] = []
    if unattested:
        if not values:
            reasons.append("нет ни одной отметки за период")
        else:
            n = len(values)
            reasons.append(f"всего {n} {_plural(n, 'отметка', 'отметки', 'отметок')} за период")
        if lessons_left is not None:
            reasons.append(
                f"до конца периода {_plural(lessons_left, 'остался', 'осталось', 'осталось')} "
                f"{lessons_left} {_plural(lessons_left, 'урок', 'урока', 'уроков')}"
            )
    if p2 >= RISK_THRESHOLD:
        reasons.append(f"вероятность «2» по прогнозу — {_percent(p2)}")
    avg = weighted_average([(m.value, Decimal(str(m.weight))) for m in known])
    if avg is not None and values:
        reasons.append(f"средний балл {decimal_text(avg)}")
        twos = sum(1 for v in values if v <= 2)
        if twos:
            reasons.append(f"отметок «2» и ниже: {twos} из {len(values)}")
    if lessons and unexcused:
        share = unexcused / lessons
        text = f"пропущено без уважительной причины {unexcused} из {lessons} уроков ({_percent(share)})"
        if 4 * unexcused > 3 * lessons:
            text += " — больше 75 % [004 §5.14]"
        reasons.append(text)
    last = [h for h in c.history if h.subject == c.subject and h.ended_on < c.starts_on]
    if last and sorted(last, key=lambda h: h.ended_on)[-1].value == 2:
        reasons.append("за прошлый период — «2»")
    return tuple(reasons)


@read_only
def risk_list(
    session: Session,
    *,
    actor: Actor | None,
    period_id: int | None = None,
    class_id: int | None = None,
    now: dt.datetime | dt.date | None = None,
) -> list[RiskEntry]:
    """Students likely to get «2» (P(2) ≥ RISK_THRESHOLD) or to be left unattested, with
    reasons: the class teacher sees their class, the administration the school."""
    actor = _risk_scope(actor)
    school = _school(session, actor)
    today = school_today(school, now)
    if class_id is not None:
        permissions.require(session, actor, Permission.DIARY_READ, Target(class_id=class_id))
    groups = _risk_classes(session, actor, class_id, today)
    if not groups:
        return []
    periods = term_periods(session, school.id or 0)
    by_period: dict[int, list[ClassGroup]] = defaultdict(list)
    chosen: dict[int, PeriodInfo] = {}
    for g in groups:
        if g.grade < 2:
            continue  # grade 1 is taught without marks [004 §3.8]
        if period_id is not None:
            p = next((x for x in periods if x.id == period_id), None)
            if p is None:
                raise NotFound("Учебный период не найден.")
            if not p.grade_from <= g.grade <= p.grade_to or p.year_id != g.year_id:
                continue
        else:
            found = current_period([x for x in periods if x.year_id == g.year_id], g.grade, today)
            if found is None:
                continue
            p = found
        chosen[p.id] = p
        by_period[p.id].append(g)
    tr = trained_model(session, school, today) if by_period else None
    names = {
        s.id: full_name(s.last_name, s.first_name)
        for s in session.exec(
            select(Student).where(col(Student.class_id).in_([g.id for g in groups]))
        ).all()
    }
    entries: list[RiskEntry] = []
    for pid, gs in by_period.items():
        assert tr is not None
        period = chosen[pid]
        on = min(today, period.ends_on)
        cases = [
            c
            for c in load_cases(session, school, [period], class_ids=[g.id or 0 for g in gs])
            if c.student in names
        ]
        predictions = predict(tr, school, cases, on)
        group_of = {g.id: g for g in gs}
        few = [c for c in cases if len(known_marks(c, on)) < MIN_MARKS]
        left_of: dict[int, int] = {}
        for g in gs:
            pages = {
                int(str(c.extra["assignment_id"])): [int(str(c.extra["assignment_id"]))]
                for c in few
                if c.group == g.id
            }
            if pages:
                left_of.update(
                    lessons_left_by_subject(
                        session, pages, first=on + dt.timedelta(days=1), last=period.ends_on,
                        days_per_week=school.days_per_week, holidays=_holidays(session, g),
                    )
                )  # fmt: skip
        for c in cases:
            p2 = predictions[(c.student, c.subject)].probabilities[0]
            known = known_marks(c, on)
            lessons = sum(1 for d in c.lesson_days if c.starts_on <= d <= on)
            unexcused = sum(1 for d, ex in c.absences if not ex and c.starts_on <= d <= on)
            unattested = may_leave_unattested(
                lessons_total=lessons, missed_without_reason=unexcused, marks_count=len(known)
            )
            left: int | None = None
            if len(known) < MIN_MARKS:
                left = left_of.get(int(str(c.extra["assignment_id"])), 0)
                unattested = unattested or len(known) + left < MIN_MARKS
            if not unattested and p2 < RISK_THRESHOLD:
                continue
            g = group_of[_id(c.group)]
            entries.append(
                RiskEntry(
                    student_id=_id(c.student),
                    student_name=names.get(_id(c.student), ""),
                    class_id=g.id or 0,
                    class_name=class_name(g.grade, g.letter),
                    subject_id=_id(c.subject),
                    subject_name=str(c.extra["subject_name"]),
                    period_id=period.id,
                    period_name=period.name,
                    kind="unattested" if unattested else "two",
                    probability_2=p2,
                    reasons=risk_reasons(c, on, p2, lessons_left=left, unattested=unattested),
                    link=f"/journal?a={c.extra['assignment_id']}&p={period.id}&s={c.student}",
                )
            )
    grade = {g.id: (g.grade, g.letter) for g in groups}
    entries.sort(key=lambda e: (grade[e.class_id], e.student_name, e.subject_name))
    return entries


# --------------------------------------------------------------------------- message to parents


@dataclass(frozen=True)
class RiskMessage:
    thread_id: int
    student_id: int
    subject: str
    body: str
    recipients: list[str]


def risk_message_text(student_name: str, period_name: str, entries: Sequence[RiskEntry]) -> str:
    """The templated message to parents about a child's risk in a period."""
    lines = [
        "Здравствуйте!",
        "",
        f"По прогнозу электронного журнала у ученика {student_name} есть риск получить за "
        f"{period_name.lower()} неудовлетворительную отметку или остаться неаттестованным:",
    ]
    for e in entries:
        what = "риск не быть аттестованным" if e.kind == "unattested" else "риск отметки «2»"
        lines.append(f"• {e.subject_name}: {what} ({'; '.join(e.reasons)}).")
    lines += [
        "",
        "До конца периода ещё есть время исправить положение. Прошу связаться со мной, чтобы "
        "обсудить, как помочь ребёнку.",
    ]
    return "\n".join(lines)


def message_parents_about_risk(
    session: Session,
    *,
    actor: Actor | None,
    student_id: int,
    period_id: int,
    body: str | None = None,
    now: dt.datetime | dt.date | None = None,
) -> RiskMessage:
    """Send the child's parents a templated message about the risk (class teacher of the
    class or the administration) [002 §7.4], [004 §4.4.4]; audited."""
    from ejournal.domain.diary.messages import start_thread

    actor = _risk_scope(actor)
    permissions.require(session, actor, Permission.DIARY_READ, Target(student_id=student_id))
    student = session.get(Student, student_id)
    if student is None or student.school_id != actor.school_id:
        raise NotFound("Ученик не найден.")
    if Scope.ALL not in actor.scopes(Permission.DIARY_READ) and (
        student.class_id not in actor.class_teacher_of
    ):
        raise PermissionDenied("Писать родителям о риске может классный руководитель класса.")
    parents = session.exec(
        select(Parent)
        .join(ParentLink, col(ParentLink.parent_id) == Parent.id)
        .where(ParentLink.student_id == student_id, col(Parent.user_id).is_not(None))
    ).all()
    if not parents:
        raise ValidationError(
            "У родителей ученика нет учётных записей: сообщение некому отправить."
        )
    entries = [
        e
        for e in risk_list(
            session, actor=actor, period_id=period_id, class_id=student.class_id, now=now
        )
        if e.student_id == student_id
    ]
    name = full_name(student.last_name, student.first_name)
    period = next(p for p in term_periods(session, actor.school_id) if p.id == period_id)
    if body is None:
        if not entries:
            raise ValidationError("По прогнозу у ученика нет риска в этом периоде.")
        body = risk_message_text(name, period.name, entries)
    subject = f"Успеваемость: {name}, {period.name.lower()}"
    thread = start_thread(
        session,
        actor=actor,
        student_id=student_id,
        recipient_user_ids=[p.user_id for p in parents if p.user_id is not None],
        subject=subject,
        body=body,
    )
    record(
        session,
        actor_id=actor.user_id,
        action=AuditAction.RISK_MESSAGE,
        entity=AuditEntity.MESSAGE_THREAD,
        entity_id=thread.thread_id,
        after={
            "student_id": student_id,
            "period_id": period_id,
            "subjects": [e.subject_id for e in entries],
            "recipients": [p.user_id for p in parents],
        },
        reason="[004 §4.4.4]",
    )
    return RiskMessage(
        thread_id=thread.thread_id,
        student_id=student_id,
        subject=subject,
        body=body,
        recipients=[full_name(p.last_name, p.first_name, p.middle_name) for p in parents],
    )


__all__ = [
    "CLASS_SAMPLES",
    "MIN_MARKS",
    "RISK_THRESHOLD",
    "ClassForecast",
    "ClassShare",
    "Prediction",
    "RiskEntry",
    "RiskMessage",
    "StudentForecast",
    "SubjectForecast",
    "Trained",
    "best_reachable",
    "class_forecast",
    "class_share",
    "consistent",
    "data_fingerprint",
    "message_parents_about_risk",
    "predict",
    "risk_list",
    "risk_message_text",
    "student_forecast",
    "trained_model",
]
