"""Consent to personal-data processing (152-ФЗ) per parent, and what a refusal means [003 §5.2].

Each parent's decision for a child is a `Consent` row: given or refused, signed on a day
(never in the future), on paper or electronically, with a note of the document. Rows are
never edited but a given consent can be withdrawn (`withdrawn_on`); a new decision is a new
row, so the history stays. A parent's *current* decision for a child is their latest row
(by date, then by entry): «given» (given and not withdrawn), «refused» (refused), or
«withdrawn» (given, then withdrawn — it counts as a refusal).

The family rule, for one child and the parents linked to them (`ParentLink`):

* **согласие есть** (`GIVEN`) — at least one linked parent's current decision is «given»;
* **отказ** (`REFUSED`) — no linked parent's is «given» and at least one's is «refused» or
  «withdrawn»;
* **не оформлено** (`MISSING`) — nothing recorded by any linked parent (the class teacher
  still has to collect the forms).

A refusing family gets no diary account: `users.open_student_account`,
`users.open_parent_account` and `users.create_parent` (for its child) refuse, the class's credential slips skip it, and when the
family comes to refuse while accounts exist, the child's account and the accounts of its
linked parents are blocked at once (sessions ended, audited as a block with the reason
`CONSENT_BLOCK_REASON`; a parent who is also on the staff keeps the account, which is
their work account). A parent with several children loses the account when any of
their children's families refused (the account would show that child). Accounts blocked
for this reason only are unblocked when the family gives consent again. The family then
receives paper copies (`ejournal.domain.diary.paper_copies`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sqlmodel import Session, col, select

from ejournal.domain import audit
from ejournal.domain.audit.chain import AuditAction, AuditEntity
from ejournal.domain.db import read_only
from ejournal.domain.errors import NotFound, PermissionDenied, ValidationError
from ejournal.domain.models import (
    AuditLog,
    ClassGroup,
    Consent,
    ConsentForm,
    Parent,
    ParentLink,
    RoleGrant,
    School,
    Student,
    User,
    utcnow,
)
from ejournal.domain.people.auth import STAFF_ROLES, end_all_sessions
from ejournal.domain.people.naming import full_name, group_name
from ejournal.domain.permissions import (
    Actor,
    Permission,
    Target,
    require,
    require_some,
)
from ejournal.domain.school.classes import current_year_classes
from ejournal.domain.school.clock import school_today
from ejournal.domain.text_rules import normalise

#: The reason written on the audit row of an account blocked because its family refused.
CONSENT_BLOCK_REASON = "Семья отказалась от обработки персональных данных"
#: What opening an account for a refusing family answers.
ACCOUNT_REFUSED = (
    "Семья отказалась от обработки персональных данных: учётная запись не выдаётся, "
    "нужны бумажные копии."
)
DOCUMENT_LIMIT = 200
CONSENT_FIELDS = (
    "parent_id",
    "student_id",
    "given",
    "signed_on",
    "withdrawn_on",
    "form",
    "document",
)


class FamilyStatus(StrEnum):
    GIVEN = "given"
    REFUSED = "refused"
    MISSING = "missing"


class ParentDecision(StrEnum):
    """A parent's current decision for a child."""

    GIVEN = "given"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    NONE = "none"


STATUS_TITLES = {
    FamilyStatus.GIVEN: "согласие есть",
    FamilyStatus.REFUSED: "отказ",
    FamilyStatus.MISSING: "не оформлено",
}
DECISION_TITLES = {
    ParentDecision.GIVEN: "согласие дано",
    ParentDecision.REFUSED: "отказ",
    ParentDecision.WITHDRAWN: "согласие отозвано",
    ParentDecision.NONE: "не оформлено",
}
FORM_TITLES = {ConsentForm.PAPER: "на бумаге", ConsentForm.ELECTRONIC: "в электронном виде"}


# --------------------------------------------------------------------------- the rule


def decision_of(consent: Consent | None) -> ParentDecision:
    """A parent's decision as their latest row says it."""
    if consent is None:
        return ParentDecision.NONE
    if not consent.given:
        return ParentDecision.REFUSED
    return ParentDecision.WITHDRAWN if consent.withdrawn_on is not None else ParentDecision.GIVEN


def family_status(decisions: Iterable[ParentDecision]) -> FamilyStatus:
    """The family rule of the module docstring, from the linked parents' decisions."""
    seen = set(decisions)
    if ParentDecision.GIVEN in seen:
        return FamilyStatus.GIVEN
    if seen & {ParentDecision.REFUSED, ParentDecision.WITHDRAWN}:
        return FamilyStatus.REFUSED
    return FamilyStatus.MISSING


def _linked_parents(session: Session, student_ids: Iterable[int]) -> dict[int, list[int]]:
    ids = sorted(set(student_ids))
    links: dict[int, list[int]] = defaultdict(list)
    if not ids:
        return links
    for parent_id, student_id in session.exec(
        select(ParentLink.parent_id, ParentLink.student_id)
        .where(col(ParentLink.student_id).in_(ids))
        .order_by(col(ParentLink.id))
    ).all():
        links[student_id].append(parent_id)
    return links


def _latest(session: Session, student_ids: Iterable[int]) -> dict[tuple[int, int], Consent]:
    """Each (parent, child)'s latest consent row (one query)."""
    ids = sorted(set(student_ids))
    latest: dict[tuple[int, int], Consent] = {}
    if not ids:
        return latest
    for row in session.exec(
        select(Consent)
        .where(col(Consent.student_id).in_(ids))
        .order_by(col(Consent.signed_on), col(Consent.id))
    ).all():
        latest[(row.parent_id, row.student_id)] = row
    return latest


def family_statuses(session: Session, student_ids: Iterable[int]) -> dict[int, FamilyStatus]:
    """Each child's family status (no permission check: for services that did theirs)."""
    ids = sorted(set(student_ids))
    links = _linked_parents(session, ids)
    latest = _latest(session, ids)
    return {
        sid: family_status(decision_of(latest.get((pid, sid))) for pid in links.get(sid, []))
        for sid in ids
    }


def family_refused(session: Session, student_id: int) -> bool:
    """The child's family refused consent (no account, paper copies)."""
    return family_statuses(session, [student_id])[student_id] is FamilyStatus.REFUSED


def parent_family_refused(session: Session, parent_id: int) -> bool:
    """Some child of this parent is of a family that refused."""
    children = session.exec(
        select(ParentLink.student_id).where(ParentLink.parent_id == parent_id)
    ).all()
    statuses = family_statuses(session, children)
    return any(s is FamilyStatus.REFUSED for s in statuses.values())


def refused_student_ids(session: Session, student_ids: Iterable[int]) -> set[int]:
    """Those of `student_ids` whose family refused."""
    return {
        sid
        for sid, status in family_statuses(session, student_ids).items()
        if status is FamilyStatus.REFUSED
    }


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class ParentConsent:
    """One linked parent of a child and their current decision."""

    parent_id: int
    full_name: str
    relation: str
    decision: ParentDecision
    decision_title: str
    signed_on: dt.date | None
    withdrawn_on: dt.date | None
    form: str
    form_title: str
    document: str
    has_account: bool
    account_active: bool


@dataclass(frozen=True)
class StudentConsent:
    """A child of the class with their family's status and parents."""

    student_id: int
    full_name: str
    status: FamilyStatus
    status_title: str
    parents: list[ParentConsent]
    has_account: bool
    account_active: bool

    @property
    def active_accounts(self) -> list[str]:
        """Names of the family's accounts in use (blocked if the family comes to refuse)."""
        names = [self.full_name] if self.account_active else []
        return names + [p.full_name for p in self.parents if p.account_active]


@dataclass(frozen=True)
class ClassConsents:
    class_id: int
    class_name: str
    students: list[StudentConsent]
    today: dt.date  # the school's today (the form's default date)

    @property
    def refusing(self) -> list[StudentConsent]:
        return [s for s in self.students if s.status is FamilyStatus.REFUSED]


@dataclass(frozen=True)
class ClassChoice:
    class_id: int
    name: str


def _class_of_school(session: Session, actor: Actor, class_id: int) -> ClassGroup:
    group = session.get(ClassGroup, class_id)
    if group is None:
        raise NotFound("Класс не найден.")
    if group.school_id != actor.school_id:
        raise PermissionDenied()
    return group


@read_only
def managed_classes(session: Session, *, actor: Actor | None) -> list[ClassChoice]:
    """The classes of the current year whose students `actor` manages (own class; all)."""
    actor = require_some(actor, Permission.STUDENT_MANAGE)
    rows = current_year_classes(session, actor, Permission.STUDENT_MANAGE)
    return [ClassChoice(g.id or 0, group_name(g)) for g in rows]


def _accounts(session: Session, user_ids: Iterable[int | None]) -> dict[int, bool]:
    ids = sorted({u for u in user_ids if u is not None})
    if not ids:
        return {}
    return {
        u.id: u.is_active
        for u in session.exec(select(User).where(col(User.id).in_(ids))).all()
        if u.id is not None
    }


@read_only
def class_consents(session: Session, *, actor: Actor | None, class_id: int) -> ClassConsents:
    """The class's students (active, by name) with each family's consent status."""
    actor = require(session, actor, Permission.STUDENT_MANAGE, Target(class_id=class_id))
    group = _class_of_school(session, actor, class_id)
    students = session.exec(
        select(Student)
        .where(Student.class_id == class_id, col(Student.is_active).is_(True))
        .order_by(col(Student.last_name), col(Student.first_name), col(Student.id))
    ).all()
    ids = [s.id for s in students if s.id is not None]
    links = session.exec(
        select(ParentLink, Parent)
        .join(Parent, col(Parent.id) == ParentLink.parent_id)
        .where(col(ParentLink.student_id).in_(ids or [-1]))
        .order_by(col(ParentLink.id))
    ).all()
    latest = _latest(session, ids)
    accounts = _accounts(session, [s.user_id for s in students] + [p.user_id for _link, p in links])
    parents: dict[int, list[ParentConsent]] = defaultdict(list)
    for link, parent in links:
        row = latest.get((parent.id or 0, link.student_id))
        decision = decision_of(row)
        form = ConsentForm(row.form) if row is not None else None
        parents[link.student_id].append(
            ParentConsent(
                parent_id=parent.id or 0,
                full_name=full_name(parent.last_name, parent.first_name, parent.middle_name),
                relation=link.relation,
                decision=decision,
                decision_title=DECISION_TITLES[decision],
                signed_on=None if row is None else row.signed_on,
                withdrawn_on=None if row is None else row.withdrawn_on,
                form="" if form is None else form.value,
                form_title="" if form is None else FORM_TITLES[form],
                document="" if row is None else row.document,
                has_account=parent.user_id is not None,
                account_active=accounts.get(parent.user_id or 0, False),
            )
        )
    result: list[StudentConsent] = []
    for s in students:
        sid = s.id or 0
        status = family_status(p.decision for p in parents.get(sid, []))
        result.append(
            StudentConsent(
                student_id=sid,
                full_name=full_name(s.last_name, s.first_name, s.middle_name),
                status=status,
                status_title=STATUS_TITLES[status],
                parents=parents.get(sid, []),
                has_account=s.user_id is not None,
                account_active=accounts.get(s.user_id or 0, False),
            )
        )
    return ClassConsents(
        class_id=class_id,
        class_name=group_name(group),
        students=result,
        today=_today(session, actor, None),
    )


# --------------------------------------------------------------------------- recording


@dataclass(frozen=True)
class ConsentResult:
    """What a recorded decision did: the family's status and the accounts it touched."""

    status: FamilyStatus
    blocked: list[str]  # logins blocked now
    unblocked: list[str]  # logins unblocked now


def _clean_document(text: str) -> str:
    text = normalise(text or "", multiline=False)
    if len(text) > DOCUMENT_LIMIT:
        raise ValidationError(
            f"Сведения о документе длиннее {DOCUMENT_LIMIT} знаков (сейчас {len(text)})."
        )
    return text


def _today(session: Session, actor: Actor, today: dt.date | None) -> dt.date:
    school = session.get(School, actor.school_id)
    if school is None:  # pragma: no cover - the actor's school exists
        raise NotFound("Школа не найдена.")
    return school_today(school, today)


def _check_link(session: Session, actor: Actor, parent_id: int, student_id: int) -> Parent:
    parent = session.get(Parent, parent_id)
    student = session.get(Student, student_id)
    if parent is None or student is None:
        raise NotFound("Родитель или учащийся не найден.")
    if parent.school_id != actor.school_id or student.school_id != actor.school_id:
        raise PermissionDenied()
    link = session.exec(
        select(ParentLink.id).where(
            ParentLink.parent_id == parent_id, ParentLink.student_id == student_id
        )
    ).first()
    if link is None:
        raise ValidationError("Этот родитель не связан с этим учащимся.")
    return parent


def _latest_one(session: Session, parent_id: int, student_id: int) -> Consent | None:
    return session.exec(
        select(Consent)
        .where(Consent.parent_id == parent_id, Consent.student_id == student_id)
        .order_by(col(Consent.signed_on).desc(), col(Consent.id).desc())
    ).first()


def _last_block_was_for_consent(session: Session, user_id: int) -> bool:
    last = session.exec(
        select(AuditLog)
        .where(
            AuditLog.entity == AuditEntity.USER,
            AuditLog.entity_id == user_id,
            col(AuditLog.action).in_([AuditAction.USER_BLOCK, AuditAction.USER_UNBLOCK]),
        )
        .order_by(col(AuditLog.id).desc())
    ).first()
    return (
        last is not None
        and last.action == AuditAction.USER_BLOCK
        and last.reason == CONSENT_BLOCK_REASON
    )


def _is_staff(session: Session, user_id: int) -> bool:
    grant = session.exec(
        select(RoleGrant.id).where(
            RoleGrant.user_id == user_id,
            col(RoleGrant.role).in_([r.value for r in STAFF_ROLES]),
        )
    ).first()
    return grant is not None


def _set_account(
    session: Session, *, actor: Actor, user_id: int | None, active: bool, now: dt.datetime
) -> str | None:
    """Block or unblock one family account for the consent rule; its login if changed."""
    if user_id is None or user_id == actor.user_id:
        return None
    user = session.get(User, user_id)
    if user is None or user.is_active == active:
        return None
    if active and not _last_block_was_for_consent(session, user_id):
        return None  # blocked by the administrator for another reason: theirs to lift
    if not active and _is_staff(session, user_id):
        return None  # a parent who also works here keeps their work account
    user.is_active = active
    session.add(user)
    ended = 0 if active else end_all_sessions(session, user_id, now=now)
    audit.record(
        session,
        actor_id=actor.user_id,
        action=AuditAction.USER_UNBLOCK if active else AuditAction.USER_BLOCK,
        entity=AuditEntity.USER,
        entity_id=user_id,
        before={"is_active": not active},
        after={"is_active": active, "sessions_ended": ended},
        reason=CONSENT_BLOCK_REASON,
        at=now,
    )
    return user.login


def _apply_status(
    session: Session, *, actor: Actor, student: Student, status: FamilyStatus
) -> tuple[list[str], list[str]]:
    """Block a refusing family's accounts; unblock those the consent rule had blocked."""
    now = utcnow()
    parents = session.exec(
        select(Parent)
        .join(ParentLink, col(ParentLink.parent_id) == Parent.id)
        .where(ParentLink.student_id == student.id)
        .order_by(col(Parent.id))
    ).all()
    blocked: list[str] = []
    unblocked: list[str] = []
    if status is FamilyStatus.REFUSED:
        for user_id in [student.user_id, *(p.user_id for p in parents)]:
            login = _set_account(session, actor=actor, user_id=user_id, active=False, now=now)
            if login:
                blocked.append(login)
    elif status is FamilyStatus.GIVEN:
        login = _set_account(session, actor=actor, user_id=student.user_id, active=True, now=now)
        if login:
            unblocked.append(login)
        for p in parents:
            if p.id is not None and not parent_family_refused(session, p.id):
                login = _set_account(session, actor=actor, user_id=p.user_id, active=True, now=now)
                if login:
                    unblocked.append(login)
    return blocked, unblocked


def record_consent(
    session: Session,
    *,
    actor: Actor | None,
    parent_id: int,
    student_id: int,
    given: bool,
    signed_on: dt.date,
    form: ConsentForm | str = ConsentForm.PAPER,
    document: str = "",
    today: dt.date | None = None,
) -> ConsentResult:
    """Record a parent's consent (or refusal) for a child; a family that comes to refuse
    has its diary accounts blocked, one that consents again gets them back."""
    actor = require(session, actor, Permission.STUDENT_MANAGE, Target(student_id=student_id))
    _check_link(session, actor, parent_id, student_id)
    try:
        form = ConsentForm(form)
    except ValueError:
        raise ValidationError("Укажите форму согласия: на бумаге или в электронном виде.") from None
    if not isinstance(signed_on, dt.date):
        raise ValidationError("Укажите дату.")
    today = _today(session, actor, today)
    if signed_on > today:
        raise ValidationError("Дата не может быть позже сегодняшней.")
    document = _clean_document(document)
    previous = _latest_one(session, parent_id, student_id)
    if previous is not None:
        last_day = previous.withdrawn_on or previous.signed_on
        if signed_on < last_day:
            raise ValidationError(
                f"У этого родителя уже записано решение от {last_day:%d.%m.%Y}: "
                "укажите дату не раньше."
            )
    row = Consent(
        parent_id=parent_id,
        student_id=student_id,
        given=bool(given),
        signed_on=signed_on,
        form=form.value,
        document=document,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor_id=actor.user_id,
        action=AuditAction.CONSENT_RECORD,
        entity=AuditEntity.CONSENT,
        entity_id=row.id,
        before=None if previous is None else audit.snapshot(previous, CONSENT_FIELDS),
        after=audit.snapshot(row, CONSENT_FIELDS),
    )
    return _finish(session, actor, student_id)


def withdraw_consent(
    session: Session,
    *,
    actor: Actor | None,
    parent_id: int,
    student_id: int,
    withdrawn_on: dt.date,
    today: dt.date | None = None,
) -> ConsentResult:
    """A parent withdraws the consent they gave; it then counts as a refusal."""
    actor = require(session, actor, Permission.STUDENT_MANAGE, Target(student_id=student_id))
    _check_link(session, actor, parent_id, student_id)
    if not isinstance(withdrawn_on, dt.date):
        raise ValidationError("Укажите дату.")
    today = _today(session, actor, today)
    if withdrawn_on > today:
        raise ValidationError("Дата не может быть позже сегодняшней.")
    current = _latest_one(session, parent_id, student_id)
    if current is None or decision_of(current) is not ParentDecision.GIVEN:
        raise ValidationError("У этого родителя нет действующего согласия: отзывать нечего.")
    if withdrawn_on < current.signed_on:
        raise ValidationError(
            f"Согласие дано {current.signed_on:%d.%m.%Y}: отозвать его раньше нельзя."
        )
    before, after = audit.changes(current, {"withdrawn_on": withdrawn_on})
    current.withdrawn_on = withdrawn_on
    session.add(current)
    session.flush()
    audit.record(
        session,
        actor_id=actor.user_id,
        action=AuditAction.CONSENT_RECORD,
        entity=AuditEntity.CONSENT,
        entity_id=current.id,
        before=before,
        after=after,
    )
    return _finish(session, actor, student_id)


def _finish(session: Session, actor: Actor, student_id: int) -> ConsentResult:
    student = session.get(Student, student_id)
    assert student is not None
    status = family_statuses(session, [student_id])[student_id]
    blocked, unblocked = _apply_status(session, actor=actor, student=student, status=status)
    return ConsentResult(status=status, blocked=blocked, unblocked=unblocked)


__all__ = [
    "ACCOUNT_REFUSED",
    "CONSENT_BLOCK_REASON",
    "ClassChoice",
    "ClassConsents",
    "ConsentResult",
    "FamilyStatus",
    "ParentConsent",
    "ParentDecision",
    "StudentConsent",
    "class_consents",
    "decision_of",
    "family_refused",
    "family_status",
    "family_statuses",
    "managed_classes",
    "parent_family_refused",
    "record_consent",
    "refused_student_ids",
    "withdraw_consent",
]
