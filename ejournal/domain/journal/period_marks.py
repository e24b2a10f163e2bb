"""«Выставить расчётные»: every student's suggested period mark at once [004 §5.13].

`propose_period_marks` shows who gets what (the same suggestion as the single dialog,
`grading.Thresholds`), who has no marks and who already has a different mark;
`set_period_marks` saves the chosen marks all or nothing, each judged by the rules of
`set_period_mark` (a departure from the suggestion needs its justification; a mark
someone changed meanwhile is a conflict, never overwritten) and audited one by one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlmodel import Session

from ejournal.domain.db import read_only
from ejournal.domain.errors import ConflictError, DomainError, ValidationError
from ejournal.domain.journal.data import (
    PeriodMarkChoice,
    PeriodMarkProposal,
    PeriodMarkRowError,
    PeriodMarksResult,
    StudentRow,
)
from ejournal.domain.journal.read import _build_page
from ejournal.domain.journal.write import (
    PeriodMarkPlan,
    guard_period_write,
    judge_period_mark,
    period_context,
    store_period_mark,
)
from ejournal.domain.models import PeriodKind
from ejournal.domain.permissions import Actor
from ejournal.domain.text_rules import TextField, clean_text

#: More rows than any class has: a longer request is not from the page.
MAX_CHOICES = 60


def _status(row: StudentRow, year: bool) -> str:
    suggested = row.year_suggested if year else row.suggested
    current = row.year_mark if year else row.period_mark
    if current is not None and (current.value is not None or current.not_attested):
        return "same" if current.value == suggested and suggested is not None else "differs"
    return "new" if suggested is not None else "no_marks"


@read_only
def propose_period_marks(
    session: Session,
    *,
    actor: Actor,
    assignment_id: int,
    period_id: int,
    now: dt.datetime | None = None,
) -> list[PeriodMarkProposal]:
    """Every student of the page with their suggested mark for the period and what is stored.

    For whoever may set the page's period marks (its teacher). `period_id` is a term of
    the page or the year.
    """
    ctx = period_context(
        session, actor=actor, assignment_id=assignment_id, period_id=period_id, now=now
    )
    year = ctx.period.kind == PeriodKind.YEAR.value
    # The year's suggestion comes from the term marks: the page of the last term has it.
    page_period = ctx.terms[-1] if year and ctx.terms else ctx.period
    page = _build_page(
        session,
        actor=actor,
        info=ctx.info,
        period=page_period,
        today=ctx.today,
        marker=0,
    )
    return [
        PeriodMarkProposal(
            student_id=s.id,
            number=s.number,
            full_name=s.full_name,
            marks_count=s.marks_count,
            average=None if year else s.average,
            suggested=s.year_suggested if year else s.suggested,
            current=s.year_mark if year else s.period_mark,
            status=_status(s, year),
        )
        for s in page.students
    ]


def set_period_marks(
    session: Session,
    *,
    actor: Actor,
    assignment_id: int,
    period_id: int,
    choices: Sequence[PeriodMarkChoice],
    reason: str = "",
    now: dt.datetime | None = None,
) -> PeriodMarksResult:
    """Save several students' period marks in one go, all or nothing.

    Each choice is judged exactly as `set_period_mark` judges it (2–5, a justification
    for a departure from the suggestion, «не аттестован» only where allowed, the version
    the page saw). If any row is refused NOTHING is saved and `errors` names every
    refused row (a conflict carries the mark stored now); otherwise every changed mark is
    stored with its own audit row, and `marks` holds all chosen rows as stored. In a closed
    (sealed) term the change needs `reason`; in a closed year it is refused.
    """
    reason = clean_text(reason, field=TextField.CORRECTION_REASON)
    if len(choices) > MAX_CHOICES:
        raise ValidationError("Слишком много строк: обновите страницу и повторите.")
    if len({c.student_id for c in choices}) != len(choices):
        raise ValidationError("Учащийся повторяется в списке отметок.")
    ctx = period_context(
        session, actor=actor, assignment_id=assignment_id, period_id=period_id, now=now
    )
    guard_period_write(session, ctx, reason)
    plans: list[PeriodMarkPlan] = []
    errors: list[PeriodMarkRowError] = []
    for c in choices:
        try:
            plans.append(
                judge_period_mark(
                    session,
                    ctx,
                    student_id=c.student_id,
                    value=c.value,
                    expected_version=c.expected_version,
                    not_attested=c.not_attested,
                    justification=c.justification,
                )
            )
        except ConflictError as e:
            errors.append(PeriodMarkRowError(c.student_id, e.message, e.current))
        except DomainError as e:
            errors.append(PeriodMarkRowError(c.student_id, e.message))
    if errors:  # judged before anything was written: nothing to undo
        return PeriodMarksResult(saved=False, errors=tuple(errors))
    stored = tuple(
        store_period_mark(session, actor=actor, ctx=ctx, plan=p, reason=reason) for p in plans
    )
    return PeriodMarksResult(
        saved=True, marks=stored, changed=sum(1 for p in plans if not p.unchanged)
    )
