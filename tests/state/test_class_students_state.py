"""«Учащиеся класса» called as a browser would: the class teacher of 5 «А» sees the list,
records the Учениковы's refusal (confirmed, since it blocks their diary accounts), and
downloads the weekly marks copy; a teacher, a parent or the administrator forging the
calls changes nothing and gets no copy."""

from __future__ import annotations

import base64
import io
from typing import Any

from pypdf import PdfReader
from sqlmodel import col, func, select

from ejournal.domain.models import AuditLog, Consent, ParentLink, Role, User
from ejournal.state.class_students import ClassStudentsState
from tests.state.conftest import StateWorld, call
from tests.state.outcomes import toast_text

REFUSED = "Недостаточно прав"


def _consents(world: StateWorld) -> int:
    with world.session() as s:
        return s.exec(select(func.count()).select_from(Consent)).one()


def _audits(world: StateWorld) -> int:
    """Audit rows of consent decisions and of account blocks and unblocks."""
    with world.session() as s:
        return s.exec(
            select(func.count())
            .select_from(AuditLog)
            .where(col(AuditLog.action).in_(["consent.record", "block", "unblock"]))
        ).one()


def _active(world: StateWorld, role: Role) -> bool:
    with world.session() as s:
        user = s.get(User, world.school.accounts[role].user_id)
        assert user is not None
        return user.is_active


def _parent_id(world: StateWorld) -> int:
    with world.session() as s:
        return s.exec(
            select(ParentLink.parent_id).where(ParentLink.student_id == world.school.student_id)
        ).one()


def _pdf(result: Any) -> str:
    assert "_download" in repr(result), result
    args = {str(name): str(value) for name, value in result.args}
    data = base64.b64decode(args["url"].split("base64,")[1].strip('"'))
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def _loaded(world: StateWorld, role: Role = Role.CLASS_TEACHER) -> ClassStudentsState:
    st = world.state(ClassStudentsState, world.token(role))
    call(ClassStudentsState.load, st)
    return st


def _refusal(world: StateWorld) -> dict[str, str]:
    return {
        "parent_id": str(_parent_id(world)),
        "decision": "refused",
        "date": "2026-09-02",
        "form": "paper",
        "document": "Заявление об отказе № 3",
    }


def _refuse(world: StateWorld, st: ClassStudentsState) -> Any:
    call(ClassStudentsState.open_consent, st, world.school.student_id)
    call(ClassStudentsState.save_consent, st, _refusal(world))
    return call(ClassStudentsState.confirm_refusal, st)


def test_the_class_teacher_sees_the_list_with_links_and_status(world: StateWorld):
    """5 «А»: Учеников Пётр, his mother, «не оформлено», a link to his personal file."""
    st = _loaded(world)
    assert st.class_name == "5 «А»"
    assert st.classes == [{"value": str(world.school.class_id), "label": "5 «А»"}]
    (row,) = st.students
    assert (row.name, row.parents, row.status_title) == (
        "Учеников Пётр Олегович",
        "Ученикова Ольга Викторовна (мать)",
        "не оформлено",
    )
    assert row.href == f"/student?id={world.school.student_id}"
    assert st.refusing == []


def test_a_refusal_asks_first_then_blocks_the_familys_accounts(world: StateWorld):
    """The first «Записать решение» only warns which accounts will be blocked; «Да,
    записать отказ» records it, blocks both accounts and lists the family for paper."""
    st = _loaded(world)
    call(ClassStudentsState.open_consent, st, world.school.student_id)
    assert st.consent_open
    assert "Учеников Пётр Олегович" in st.consent_accounts
    call(ClassStudentsState.save_consent, st, _refusal(world))
    assert "Будут заблокированы учётные записи" in st.confirm_text
    assert _consents(world) == 0 and _active(world, Role.PARENT)

    result = call(ClassStudentsState.confirm_refusal, st)
    assert "Заблокированы учётные записи: test.student, test.parent" in toast_text(result)
    assert _consents(world) == 1
    assert not _active(world, Role.PARENT) and not _active(world, Role.STUDENT)
    assert [r.status_title for r in st.students] == ["отказ"]
    assert [r.name for r in st.refusing] == ["Учеников Пётр Олегович"]
    (parent,) = st.consent_parents
    assert parent.decision_title == "отказ"
    assert "Заявление об отказе № 3" in parent.detail
    assert parent.account == "учётная запись заблокирована"


def test_cancelling_the_confirmation_records_nothing(world: StateWorld):
    """«Отмена» leaves the family's consent and accounts as they were."""
    st = _loaded(world)
    call(ClassStudentsState.open_consent, st, world.school.student_id)
    call(ClassStudentsState.save_consent, st, _refusal(world))
    call(ClassStudentsState.cancel_refusal, st)
    assert st.confirm_text == ""
    assert call(ClassStudentsState.confirm_refusal, st) is None
    assert _consents(world) == 0 and _active(world, Role.STUDENT)


def test_a_future_date_is_refused_in_words(world: StateWorld):
    """A consent dated next year is not recorded; the form says why."""
    st = _loaded(world)
    call(ClassStudentsState.open_consent, st, world.school.student_id)
    form = {**_refusal(world), "decision": "given", "date": "2099-01-01"}
    call(ClassStudentsState.save_consent, st, form)
    assert "позже сегодняшней" in st.consent_error
    assert _consents(world) == 0


def test_the_class_teacher_downloads_the_weekly_marks_copy(world: StateWorld):
    """After the refusal: «Отметки за неделю» as a PDF with the student's page in Cyrillic;
    each download is also possible for the homework."""
    st = _loaded(world)
    _refuse(world, st)
    assert st.paper_allowed
    text = _pdf(call(ClassStudentsState.download_week, st, {"week": "2026-11-25"}))
    assert "Отметки за неделю 23.11.2026" in text
    assert "Учеников Пётр Олегович" in text
    text = _pdf(call(ClassStudentsState.download_homework, st, {"day": "2026-11-26"}))
    assert "Домашние задания на 26.11.2026" in text


def test_no_copy_while_no_family_refused(world: StateWorld):
    """Without a refusing family the download says copies are not needed."""
    st = _loaded(world)
    result = call(ClassStudentsState.download_week, st, {"week": "2026-11-25"})
    assert "бумажные копии не нужны" in toast_text(result)


def test_a_bad_week_is_refused_in_words(world: StateWorld):
    """A week that is not a date is refused with the format to use."""
    st = _loaded(world)
    _refuse(world, st)
    result = call(ClassStudentsState.download_week, st, {"week": "на этой неделе"})
    assert "ДД.ММ.ГГГГ" in toast_text(result)
    assert st.paper_week == "на этой неделе"  # kept on screen


def test_forged_calls_of_a_teacher_and_a_parent_change_nothing(world: StateWorld):
    """A subject teacher and a parent calling the handlers get a refusal: no consent, no
    block, no file."""
    before = (_consents(world), _audits(world))
    for role in (Role.TEACHER, Role.PARENT):
        st = world.state(ClassStudentsState, world.token(role))
        assert REFUSED in toast_text(call(ClassStudentsState.load, st))
        st.class_id = str(world.school.class_id)
        st.consent_student_id = world.school.student_id
        assert REFUSED in toast_text(call(ClassStudentsState.save_consent, st, _refusal(world)))
        assert REFUSED in toast_text(call(ClassStudentsState.confirm_refusal, st))
        form = {**_refusal(world), "decision": "given"}
        assert REFUSED in toast_text(call(ClassStudentsState.save_consent, st, form))
        result = call(ClassStudentsState.download_week, st, {"week": "2026-11-25"})
        assert REFUSED in toast_text(result) and "_download" not in repr(result)
    assert (_consents(world), _audits(world)) == before
    assert _active(world, Role.STUDENT) and _active(world, Role.PARENT)


def test_the_admin_picks_a_class_but_prints_no_copies(world: StateWorld):
    """The administrator manages students (a class picker) but paper copies with marks
    are the class teacher's and the secretary's."""
    _refuse(world, _loaded(world))
    st = _loaded(world, Role.ADMIN)
    assert [c["label"] for c in st.classes] == ["5 «А»", "5 «Б»"]
    call(ClassStudentsState.choose_class, st, str(world.school.class_id))
    assert [r.status_title for r in st.students] == ["отказ"]
    assert not st.paper_allowed
    result = call(ClassStudentsState.download_week, st, {"week": "2026-11-25"})
    assert "классный руководитель этого класса и секретарь" in toast_text(result)
    assert "_download" not in repr(result)
    assert "Класс не найден" in toast_text(call(ClassStudentsState.choose_class, st, "999999"))
