"""Consent to personal-data processing [003 §5.2] in the tiny school's 5 «А»: the family
rule, a refusing family gets no diary account (and loses the ones it had), the class's
slips skip it, and nobody but the class's managers records a decision."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlmodel import Session, col, func, select

from ejournal.domain.audit.chain import AuditAction
from ejournal.domain.errors import PermissionDenied, ValidationError
from ejournal.domain.models import (
    AuditLog,
    ClassGroup,
    Consent,
    Parent,
    ParentLink,
    Role,
    RoleGrant,
    School,
    Student,
    User,
    UserSession,
    utcnow,
)
from ejournal.domain.people import consent
from ejournal.domain.people.consent import (
    ACCOUNT_REFUSED,
    CONSENT_BLOCK_REASON,
    FamilyStatus,
    class_consents,
    record_consent,
    withdraw_consent,
)
from ejournal.domain.people.slips import class_slips_pdf
from ejournal.domain.people.users import (
    create_parent,
    open_parent_account,
    open_student_account,
)
from ejournal.domain.permissions import Actor
from tests.factories import D, TinySchool, add_user, make_school

pytestmark = pytest.mark.db

TODAY = D(2026, 11, 30)


@pytest.fixture()
def tiny(session: Session) -> TinySchool:
    return make_school(session)


def add_parent(session: Session, student: Student, last: str, first: str) -> Parent:
    """A parent (no account) linked to `student`."""
    parent = Parent(school_id=student.school_id, last_name=last, first_name=first)
    session.add(parent)
    session.flush()
    session.add(ParentLink(parent_id=parent.id or 0, student_id=student.id or 0, relation="мать"))
    session.commit()
    return parent


def andreeva(session: Session, tiny: TinySchool) -> Parent:
    """The factory's parent with an account, mother of Андреев (who has one too)."""
    parent = session.exec(select(Parent).where(Parent.last_name == "Андреева")).one()
    return parent


def secretary(session: Session, tiny: TinySchool) -> Actor:
    user = add_user(session, "secretary")
    session.commit()
    return Actor(
        user_id=user.id or 0, school_id=tiny.school.id or 0, roles=frozenset({Role.SECRETARY})
    )


def admin(session: Session, tiny: TinySchool) -> Actor:
    user = add_user(session, "admin")
    session.commit()
    return Actor(user_id=user.id or 0, school_id=tiny.school.id or 0, roles=frozenset({Role.ADMIN}))


def status(session: Session, student: Student) -> FamilyStatus:
    return consent.family_statuses(session, [student.id or 0])[student.id or 0]


def decide(
    session: Session, tiny: TinySchool, parent: Parent, student: Student, given: bool, **kw
) -> consent.ConsentResult:
    kw.setdefault("signed_on", D(2026, 9, 2))
    kw.setdefault("today", TODAY)
    result = record_consent(
        session,
        actor=tiny.actors["class_teacher"],
        parent_id=parent.id or 0,
        student_id=student.id or 0,
        given=given,
        **kw,
    )
    session.commit()
    return result


def consent_rows(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Consent)).one()


def audit_count(session: Session, action: str) -> int:
    return session.exec(
        select(func.count()).select_from(AuditLog).where(col(AuditLog.action) == action)
    ).one()


# --------------------------------------------------------------------------- the rule


def test_a_family_with_nothing_recorded_is_not_yet_done(session: Session, tiny: TinySchool):
    """A child whose parents recorded nothing (or who has no parent) is «не оформлено»."""
    grigoriev = tiny.students[0]
    add_parent(session, grigoriev, "Григорьева", "Галина")
    assert status(session, grigoriev) is FamilyStatus.MISSING
    assert status(session, tiny.students[2]) is FamilyStatus.MISSING


def test_one_parents_consent_outweighs_the_others_refusal(session: Session, tiny: TinySchool):
    """Mother refuses, father consents: the family has consent and keeps its diary."""
    child = tiny.students[0]
    mother = add_parent(session, child, "Григорьева", "Галина")
    father = add_parent(session, child, "Григорьев", "Геннадий")
    decide(session, tiny, mother, child, False)
    assert status(session, child) is FamilyStatus.REFUSED
    decide(session, tiny, father, child, True)
    assert status(session, child) is FamilyStatus.GIVEN


def test_a_withdrawn_consent_counts_as_a_refusal(session: Session, tiny: TinySchool):
    """Given in September, withdrawn in November: the family is «отказ» from then on."""
    child = tiny.students[0]
    mother = add_parent(session, child, "Григорьева", "Галина")
    decide(session, tiny, mother, child, True)
    assert status(session, child) is FamilyStatus.GIVEN
    result = withdraw_consent(
        session,
        actor=tiny.actors["class_teacher"],
        parent_id=mother.id or 0,
        student_id=child.id or 0,
        withdrawn_on=D(2026, 11, 20),
        today=TODAY,
    )
    assert result.status is FamilyStatus.REFUSED
    assert status(session, child) is FamilyStatus.REFUSED


def test_the_latest_decision_of_a_parent_counts(session: Session, tiny: TinySchool):
    """A parent who refused in September and consented in October has consented."""
    child = tiny.students[0]
    mother = add_parent(session, child, "Григорьева", "Галина")
    decide(session, tiny, mother, child, False, signed_on=D(2026, 9, 2))
    decide(session, tiny, mother, child, True, signed_on=D(2026, 10, 1), form="electronic")
    assert status(session, child) is FamilyStatus.GIVEN
    assert consent_rows(session) == 2  # the history stays


def test_the_class_list_shows_each_family_and_parent(session: Session, tiny: TinySchool):
    """The class teacher's list: statuses in words, each parent's decision, date and form."""
    child = tiny.students[0]
    mother = add_parent(session, child, "Григорьева", "Галина")
    decide(session, tiny, mother, child, False, document="Заявление № 12")
    listing = class_consents(session, actor=tiny.actors["class_teacher"], class_id=tiny.class5.id)
    rows = {s.full_name: s for s in listing.students}
    assert rows["Григорьев Глеб"].status_title == "отказ"
    assert rows["Белова Вера"].status_title == "не оформлено"
    (p,) = rows["Григорьев Глеб"].parents
    assert (p.full_name, p.decision_title, p.signed_on, p.form_title, p.document) == (
        "Григорьева Галина",
        "отказ",
        D(2026, 9, 2),
        "на бумаге",
        "Заявление № 12",
    )
    assert [s.full_name for s in listing.refusing] == ["Григорьев Глеб"]


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"signed_on": D(2026, 12, 1)}, "позже сегодняшней"),
        ({"form": "fax"}, "форму согласия"),
        ({"document": "я" * 201}, "длиннее 200"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    session: Session, tiny: TinySchool, kwargs: dict, message: str
):
    """A future date, an unknown form, an overlong note: refused in words, nothing stored."""
    child = tiny.students[0]
    mother = add_parent(session, child, "Григорьева", "Галина")
    with pytest.raises(ValidationError, match=message):
        decide(session, tiny, mother, child, True, **kwargs)
    session.rollback()
    assert consent_rows(session) == 0


def test_a_decision_dated_before_the_last_one_is_refused(session: Session, tiny: TinySchool):
    """After a consent of 1 October, a refusal «of 5 September» cannot be recorded."""
    child = tiny.students[0]
    mother = add_parent(session, child, "Григорьева", "Галина")
    decide(session, tiny, mother, child, True, signed_on=D(2026, 10, 1))
    with pytest.raises(ValidationError, match=r"01\.10\.2026"):
        decide(session, tiny, mother, child, False, signed_on=D(2026, 9, 5))


def test_a_parent_of_another_child_cannot_decide_for_this_one(session: Session, tiny: TinySchool):
    """Андреева is Андреев's mother, not Григорьев's: her decision for him is refused."""
    with pytest.raises(ValidationError, match="не связан"):
        decide(session, tiny, andreeva(session, tiny), tiny.students[0], False)


def test_nothing_to_withdraw_without_a_consent(session: Session, tiny: TinySchool):
    """Withdrawing a consent never given is refused in words."""
    child = tiny.students[0]
    mother = add_parent(session, child, "Григорьева", "Галина")
    with pytest.raises(ValidationError, match="отзывать нечего"):
        withdraw_consent(
            session,
            actor=tiny.actors["class_teacher"],
            parent_id=mother.id or 0,
            student_id=child.id or 0,
            withdrawn_on=TODAY,
            today=TODAY,
        )


# --------------------------------------------------------------------------- accounts


def test_no_account_for_a_refusing_family(session: Session, tiny: TinySchool):
    """Opening the child's or the parent's account for a refusing family is refused."""
    child = tiny.students[0]
    mother = add_parent(session, child, "Григорьева", "Галина")
    decide(session, tiny, mother, child, False)
    with pytest.raises(ValidationError) as caught:
        open_student_account(session, actor=tiny.actors["class_teacher"], student_id=child.id or 0)
    assert caught.value.message == ACCOUNT_REFUSED
    with pytest.raises(ValidationError, match="бумажные копии"):
        open_parent_account(session, actor=tiny.actors["class_teacher"], parent_id=mother.id or 0)
    session.rollback()
    assert session.get(Student, child.id).user_id is None
    assert session.get(Parent, mother.id).user_id is None


def test_no_new_parent_account_for_a_refusing_familys_child(session: Session, tiny: TinySchool):
    """Adding a parent with an account to a refusing family's child is refused too."""
    child = tiny.students[0]
    decide(session, tiny, add_parent(session, child, "Григорьева", "Галина"), child, False)
    with pytest.raises(ValidationError, match="бумажные копии"):
        create_parent(
            session,
            actor=tiny.actors["class_teacher"],
            last_name="Григорьев",
            first_name="Геннадий",
            middle_name="",
            student_ids=[child.id or 0],
        )


def test_a_parent_on_the_staff_keeps_the_work_account(session: Session, tiny: TinySchool):
    """Волкова teaches here and is Белова's mother: her family's refusal leaves her login."""
    child = tiny.students[3]
    volkova = tiny.staff["class_teacher"]
    mother = Parent(
        school_id=child.school_id, user_id=volkova.user_id, last_name="Волкова", first_name="О"
    )
    session.add(mother)
    session.flush()
    session.add(ParentLink(parent_id=mother.id or 0, student_id=child.id or 0))
    session.add(RoleGrant(user_id=volkova.user_id or 0, school_id=child.school_id, role="teacher"))
    session.commit()
    result = record_consent(
        session,
        actor=secretary(session, tiny),
        parent_id=mother.id or 0,
        student_id=child.id or 0,
        given=False,
        signed_on=D(2026, 9, 2),
        today=TODAY,
    )
    assert result.status is FamilyStatus.REFUSED
    assert result.blocked == []
    assert session.get(User, volkova.user_id).is_active


def test_a_consenting_family_gets_its_accounts(session: Session, tiny: TinySchool):
    """With a consent the class teacher opens both accounts as before."""
    child = tiny.students[0]
    mother = add_parent(session, child, "Григорьева", "Галина")
    decide(session, tiny, mother, child, True)
    ct = tiny.actors["class_teacher"]
    assert open_student_account(session, actor=ct, student_id=child.id or 0).login
    assert open_parent_account(session, actor=ct, parent_id=mother.id or 0).login


def test_a_refusal_blocks_the_familys_existing_accounts(session: Session, tiny: TinySchool):
    """Андреева refuses: her account and her son's are blocked, their sessions ended, and
    each block is audited with the reason; her later consent unblocks both."""
    child = tiny.students[1]
    mother = andreeva(session, tiny)
    session.add(
        UserSession(
            user_id=mother.user_id or 0,
            token_hash="x" * 64,
            created_at=utcnow(),
            last_seen_at=utcnow(),
            expires_at=utcnow().replace(year=2099),
        )
    )
    session.commit()
    result = decide(session, tiny, mother, child, False)
    assert sorted(result.blocked) == ["parent", "student"]
    users = session.exec(select(User).where(col(User.login).in_(["parent", "student"]))).all()
    assert [u.is_active for u in users] == [False, False]
    live = session.exec(
        select(UserSession).where(
            UserSession.user_id == mother.user_id, col(UserSession.ended_at).is_(None)
        )
    ).all()
    assert live == []
    blocks = session.exec(select(AuditLog).where(AuditLog.action == AuditAction.USER_BLOCK)).all()
    assert {b.reason for b in blocks} == {CONSENT_BLOCK_REASON} and len(blocks) == 2

    again = decide(session, tiny, mother, child, True, signed_on=D(2026, 11, 25))
    assert sorted(again.unblocked) == ["parent", "student"]
    assert all(
        u.is_active
        for u in session.exec(select(User).where(col(User.login).in_(["parent", "student"]))).all()
    )


def test_an_account_the_admin_blocked_stays_blocked_after_consent(
    session: Session, tiny: TinySchool
):
    """Consent lifts only the consent rule's blocks, not an administrator's."""
    child = tiny.students[1]
    student_user = session.exec(select(User).where(User.login == "student")).one()
    student_user.is_active = False
    session.add(student_user)
    session.commit()
    result = decide(session, tiny, andreeva(session, tiny), child, True)
    assert result.unblocked == []
    session.refresh(student_user)
    assert student_user.is_active is False


def test_class_slips_skip_a_refusing_family(session: Session, tiny: TinySchool):
    """The class's slips print no account for the refusing Григорьевы and open none."""
    grigoriev, belova = tiny.students[0], tiny.students[3]
    mother = add_parent(session, grigoriev, "Григорьева", "Галина")
    decide(session, tiny, mother, grigoriev, False)
    pdf = class_slips_pdf(session, actor=tiny.actors["class_teacher"], class_id=tiny.class5.id or 0)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Белова Вера" in text
    assert "Григорьев" not in text
    assert session.get(Student, grigoriev.id).user_id is None
    assert session.get(Parent, mother.id).user_id is None
    assert session.get(Student, belova.id).user_id is not None


# --------------------------------------------------------------------------- who may


def test_each_decision_is_audited(session: Session, tiny: TinySchool):
    """A consent, a refusal and a withdrawal each leave a «consent.record» row."""
    child = tiny.students[0]
    mother = add_parent(session, child, "Григорьева", "Галина")
    decide(session, tiny, mother, child, True)
    withdraw_consent(
        session,
        actor=tiny.actors["class_teacher"],
        parent_id=mother.id or 0,
        student_id=child.id or 0,
        withdrawn_on=D(2026, 10, 1),
        today=TODAY,
    )
    decide(session, tiny, mother, child, False, signed_on=D(2026, 10, 2))
    assert audit_count(session, AuditAction.CONSENT_RECORD) == 3


def test_the_secretary_records_for_any_class(session: Session, tiny: TinySchool):
    """The secretary (student management for the whole school) records a consent."""
    child = tiny.students[0]
    mother = add_parent(session, child, "Григорьева", "Галина")
    result = record_consent(
        session,
        actor=secretary(session, tiny),
        parent_id=mother.id or 0,
        student_id=child.id or 0,
        given=True,
        signed_on=D(2026, 9, 2),
        today=TODAY,
    )
    assert result.status is FamilyStatus.GIVEN


@pytest.mark.parametrize("who", ["primary", "russian", "parent", "student"])
def test_forged_decisions_are_refused(session: Session, tiny: TinySchool, who: str):
    """Another class's class teacher, a subject teacher, a parent, a student: refused,
    nothing recorded, no account blocked."""
    child = tiny.students[1]
    with pytest.raises(PermissionDenied):
        record_consent(
            session,
            actor=tiny.actors[who],
            parent_id=andreeva(session, tiny).id or 0,
            student_id=child.id or 0,
            given=False,
            signed_on=D(2026, 9, 2),
            today=TODAY,
        )
    session.rollback()
    assert consent_rows(session) == 0
    assert all(u.is_active for u in session.exec(select(User)).all())
    with pytest.raises(PermissionDenied):
        class_consents(session, actor=tiny.actors[who], class_id=tiny.class5.id or 0)


def test_the_admin_sees_the_list_but_not_of_another_school(session: Session, tiny: TinySchool):
    """A class of another school is refused even to a school-wide role."""
    school = School(name="Школа № 2", short_name="Школа № 2")
    session.add(school)
    session.flush()
    group = ClassGroup(school_id=school.id or 0, year_id=tiny.year.id or 0, grade=5, letter="Б")
    session.add(group)
    session.commit()
    with pytest.raises(PermissionDenied):
        class_consents(session, actor=admin(session, tiny), class_id=group.id or 0)
