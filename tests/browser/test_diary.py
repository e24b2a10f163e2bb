"""The diary on a phone (360×740), as a parent uses it: log in, switch child, see the mark
the teacher just entered, open a homework link, confirm the week, write to the class
teacher; and as the class teacher uses it: post an announcement the parent then sees, end
it early, start a thread with a parent. The `small` demo school is seeded next to the tiny
one; screenshots go to test-artifacts/diary-*.png at phone and desktop size."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import pytest
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from ejournal.domain.db import make_engine
from ejournal.domain.diary.calendar import DEFAULT_TIMEZONE, today_in
from ejournal.domain.diary.child import week_monday
from ejournal.domain.journal.write import set_cell, set_lesson_details
from ejournal.domain.models import (
    Attendance,
    ClassGroup,
    Lesson,
    Mark,
    MessageThread,
    Parent,
    ParentLink,
    Staff,
    Student,
    Subject,
    TeachingAssignment,
    ThreadParticipant,
    User,
    WeekAcknowledgement,
)
from ejournal.domain.people.auth import load_actor
from ejournal.domain.people.passwords import hash_password
from tests.browser.conftest import (
    ARTIFACTS,
    DESKTOP,
    PHONE,
    LiveServer,
    on_path,
    seed_small_school_once,
)
from tests.state.people import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

NO_SIDEWAYS = "document.scrollingElement.scrollWidth <= window.innerWidth"


def _school_today() -> dt.date:
    """Today on the demo school's clock (Moscow), which "this week" in the diary follows."""
    return today_in(DEFAULT_TIMEZONE)


@dataclass(frozen=True)
class DemoFamily:
    """The demo parent (login `parent`), their children and the class teacher of the first."""

    engine: Engine
    parent_user_id: int
    first_child: tuple[int, str]  # (student id, first name), sorted as the diary lists them
    second_child: tuple[int, str]
    class_teacher_user_id: int
    class_teacher_name: str
    class_name: str  # the first child's class, «5 «А»»
    parent_name: str  # «Егорова Вера Ильинична»


def _known_password(session: Session, login: str) -> int:
    """Give a seeded account the test password and skip its first-login change."""
    user = session.exec(select(User).where(User.login == login)).one()
    session.exec(
        update(User)
        .where(col(User.id) == user.id)
        .values(password_hash=hash_password(PASSWORD, 4), must_change_password=False)
    )
    assert user.id is not None
    return user.id


@pytest.fixture(scope="module")
def family(
    live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoFamily]:
    seed_small_school_once(live_server.db_url)
    engine = make_engine(live_server.db_url)
    with Session(engine, expire_on_commit=False) as s:
        parent_user = _known_password(s, "parent")
        teacher_user = _known_password(s, "classteacher")
        parent = s.exec(select(Parent).where(Parent.user_id == parent_user)).one()
        kids = s.exec(
            select(Student)
            .join(ParentLink, col(ParentLink.student_id) == Student.id)
            .where(ParentLink.parent_id == parent.id)
            .order_by(col(Student.last_name), col(Student.first_name))
        ).all()
        assert len(kids) == 2, "the demo parent has two children"
        group = s.get(ClassGroup, kids[0].class_id)
        assert group is not None and group.class_teacher_id is not None
        teacher = s.get(Staff, group.class_teacher_id)
        assert teacher is not None and teacher.user_id == teacher_user
        s.commit()
        yield DemoFamily(
            engine=engine,
            parent_user_id=parent_user,
            first_child=(kids[0].id or 0, kids[0].first_name),
            second_child=(kids[1].id or 0, kids[1].first_name),
            class_teacher_user_id=teacher.user_id,
            class_teacher_name=f"{teacher.last_name} {teacher.first_name}",
            class_name=f"{group.grade} «{group.letter}»",
            parent_name=" ".join(
                p for p in (parent.last_name, parent.first_name, parent.middle_name) if p
            ),
        )
    engine.dispose()


@pytest.fixture()
def phone(browser, live_server: LiveServer) -> Iterator[object]:
    """A fresh phone-sized, touch browser context."""
    context = browser.new_context(
        viewport=PHONE, base_url=live_server.url, locale="ru-RU", has_touch=True
    )
    context.set_default_timeout(20_000)
    yield context.new_page()
    context.close()


def _log_in(page, login: str) -> None:
    page.goto("/login")
    page.locator('input[name="login"]').fill(login)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('input[name="password"]').press("Enter")


def _snap(page, name: str) -> None:
    """Check that nothing scrolls sideways on the phone, then keep phone and desktop shots."""
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(300)
    assert page.evaluate(NO_SIDEWAYS), f"{name}: the page scrolls sideways at 360 px"
    page.screenshot(path=str(ARTIFACTS / f"diary-{name}-phone.png"), full_page=True)
    page.set_viewport_size(DESKTOP)
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / f"diary-{name}-desktop.png"), full_page=True)
    page.set_viewport_size(PHONE)


@dataclass(frozen=True)
class FreshLesson:
    lesson_id: int
    key: str
    date: dt.date
    link: str


def _teacher_enters_a_mark(family: DemoFamily, live_server: LiveServer) -> FreshLesson:
    """As the lesson's teacher (journal services): a «5» and a homework link for the child."""
    student_id = family.first_child[0]
    today = _school_today()
    with Session(family.engine, expire_on_commit=False) as s:
        child = s.get(Student, student_id)
        assert child is not None
        marked = select(Mark.id).where(Mark.lesson_id == Lesson.id, Mark.student_id == student_id)
        absent = select(Attendance.id).where(
            Attendance.lesson_id == Lesson.id, Attendance.student_id == student_id
        )
        row = s.exec(
            select(Lesson, TeachingAssignment, Subject)
            .join(TeachingAssignment, col(TeachingAssignment.id) == Lesson.assignment_id)
            .join(Subject, col(Subject.id) == TeachingAssignment.subject_id)
            .where(
                TeachingAssignment.class_id == child.class_id,
                col(TeachingAssignment.subgroup_id).is_(None),
                col(Subject.marked),
                Lesson.date <= today,
                Lesson.date >= today - dt.timedelta(days=14),
                col(Lesson.cancelled).is_(False),
                ~marked.exists(),
                ~absent.exists(),
            )
            .order_by(col(Lesson.date).desc(), col(Lesson.number))
        ).first()
        assert row is not None, "the seed holds a recent lesson without the child's mark"
        lesson, assignment, _subject = row
        teacher = s.get(Staff, assignment.teacher_id)
        assert teacher is not None and teacher.user_id is not None and lesson.id is not None
        actor = load_actor(s, teacher.user_id)
        link = f"{live_server.url}/ping"
        set_lesson_details(
            s,
            actor=actor,
            lesson_id=lesson.id,
            expected_version=lesson.version,
            homework="Прочитать статью по ссылке",
            homework_links=link,
            # Due the same day: the week lists it under this very lesson.
            homework_due_on=lesson.date,
            reason="проверка дневника",
        )
        set_cell(
            s,
            actor=actor,
            lesson_id=lesson.id,
            student_id=student_id,
            text="5",
            expected_version=None,
            reason="проверка дневника",
        )
        s.commit()
        key = f"{lesson.date.isoformat()}-{lesson.number}-{assignment.subject_id}-{lesson.id}"
        return FreshLesson(lesson.id, key, lesson.date, link)


def _go_to_week_of(page, day: dt.date) -> None:
    """Press «previous week» until the week holding `day` is on screen."""
    weeks_back = (week_monday(_school_today()) - week_monday(day)).days // 7
    for _ in range(weeks_back):
        page.get_by_role("button", name="Предыдущая неделя").click()
        page.locator(f"#day-{week_monday(day).isoformat()}").wait_for()


def test_a_parent_reads_the_week_on_a_phone(phone, live_server: LiveServer, family: DemoFamily):
    """Log in, switch child and back, see the teacher's new mark and its weight, open the
    homework link in a new tab, and confirm the week."""
    page = phone
    _log_in(page, "parent")
    page.wait_for_url(on_path("/diary"))
    first, second = family.first_child[1], family.second_child[1]
    page.locator(".diary-lesson").first.wait_for()
    page.get_by_role("button", name=first).wait_for()
    assert page.locator('[data-today="true"]').count() <= 1
    # «На завтра» opens the page: what to do for the next school day.
    assert page.locator("#diary-tomorrow").inner_text().startswith("На ")
    _snap(page, "week")
    _phone_header_fits(page)
    _tab_bar_only_on_phones(page)

    page.get_by_role("button", name=second).click()
    page.get_by_text(f"Егорова {second}").first.wait_for()
    page.get_by_role("button", name=first).click()
    page.get_by_text(f"Егорова {first}").first.wait_for()

    fresh = _teacher_enters_a_mark(family, live_server)
    page.reload()
    page.locator(".diary-lesson").first.wait_for()
    _go_to_week_of(page, fresh.date)
    lesson = page.locator(f"#lesson-{fresh.key}")
    lesson.wait_for()
    mark = lesson.get_by_role("button", name="Отметка 5")
    mark.wait_for()
    mark.click()
    page.get_by_text("вес").first.wait_for()
    page.keyboard.press("Escape")

    due = lesson.locator(".homework-due").filter(has_text="Прочитать статью по ссылке")
    assert f"задано на уроке {fresh.date:%d.%m}" in due.inner_text()
    link = lesson.locator("a.homework-link")
    assert link.get_attribute("target") == "_blank"
    assert "noopener" in (link.get_attribute("rel") or "")
    with page.context.expect_page() as opened:
        link.click()
    tab = opened.value
    tab.wait_for_load_state()
    assert urlparse(tab.url).path == "/ping"
    tab.close()

    page.get_by_role("button", name="Ознакомлен").click()
    page.locator("#week-confirmed").wait_for()
    with Session(family.engine) as s:
        acks = s.exec(
            select(WeekAcknowledgement).where(
                WeekAcknowledgement.student_id == family.first_child[0],
                WeekAcknowledgement.week_start == week_monday(fresh.date),
            )
        ).all()
    assert len(acks) == 1
    _snap(page, "week-confirmed")


def test_a_parent_checks_marks_and_what_is_needed(
    phone, live_server: LiveServer, family: DemoFamily
):
    """The marks page lists subjects with averages, answers «Что нужно» and gives a PDF."""
    page = phone
    _log_in(page, "parent")
    page.wait_for_url(on_path("/diary"))
    page.get_by_role("link", name="Отметки").first.click()
    page.wait_for_url(on_path("/diary/marks"))
    page.locator(".marks-summary").first.click()
    card = page.locator(".marks-row[open] .subject-card").first
    card.wait_for()
    card.get_by_role("button", name="Что нужно для «5»").click()
    card.locator(".need-answer").wait_for()
    assert card.locator(".need-answer").inner_text().strip()
    _snap(page, "marks")
    with page.expect_download() as got:
        page.get_by_role("button", name="Выписка (PDF)").click()
    download = got.value
    path = Path(download.path())
    assert download.suggested_filename.endswith(".pdf")
    assert path.read_bytes()[:5] == b"%PDF-"
    (ARTIFACTS / "diary-extract.pdf").write_bytes(path.read_bytes())


def test_a_parent_writes_to_the_class_teacher(phone, live_server: LiveServer, family: DemoFamily):
    """A new message to the class teacher opens as a thread and reaches the teacher."""
    page = phone
    _log_in(page, "parent")
    page.wait_for_url(on_path("/diary"))
    page.get_by_role("link", name="Сообщения").last.click()
    page.wait_for_url(on_path("/messages"))
    page.get_by_role("button", name="Написать").click()
    # «Кому»: search, then one person per line (a family picks one).
    page.get_by_role("searchbox", name="Кому").fill(family.class_teacher_name.split()[0])
    page.locator(".recipient-row").filter(has_text=family.class_teacher_name).first.click()
    page.get_by_role("textbox", name="Тема").fill("Пропуск в четверг")
    page.get_by_role("textbox", name="Текст сообщения").fill(
        "Добрый день! В четверг Катя будет у врача."
    )
    _snap(page, "message-new")
    page.get_by_role("button", name="Отправить").click()
    page.locator(".message").get_by_text("В четверг Катя будет у врача.").wait_for()
    with Session(family.engine) as s:
        thread = s.exec(
            select(MessageThread).where(MessageThread.subject == "Пропуск в четверг")
        ).one()
        members = set(
            s.exec(
                select(ThreadParticipant.user_id).where(ThreadParticipant.thread_id == thread.id)
            ).all()
        )
    assert members == {family.parent_user_id, family.class_teacher_user_id}
    _snap(page, "message-thread")


def test_the_class_teacher_sees_who_confirmed(phone, live_server: LiveServer, family: DemoFamily):
    """The class teacher's confirmations page lists the class with each family's answer."""
    page = phone
    _log_in(page, "classteacher")
    page.wait_for_url(on_path("/class"))
    page.goto("/class/confirmations")
    page.get_by_text("Подтвердили:").wait_for()
    page.get_by_text(f"Егорова {family.first_child[1]}").wait_for()
    _snap(page, "confirmations")


def _tab_bar_only_on_phones(page) -> None:
    """The bottom tab bar shows at 360 px and is hidden on a desktop (the header links serve)."""
    tabs = page.locator('[aria-label="Разделы дневника"]')
    assert tabs.is_visible()
    page.set_viewport_size(DESKTOP)
    page.wait_for_timeout(300)
    assert not tabs.is_visible()
    assert page.get_by_role("link", name="Отметки").is_visible()
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(300)


def _phone_header_fits(page) -> None:
    """The header on a phone is one row (home, role, menu): it does not wrap."""
    box = page.locator(".app-header").bounding_box()
    assert box is not None and box["height"] <= 64, f"the phone header is {box} high"


def _open_from_menu(page, label: str, path: str) -> None:
    page.get_by_role("button", name="Меню").click()
    page.get_by_role("menuitem", name=label).click()
    page.wait_for_url(on_path(path))


def test_the_class_teacher_posts_an_announcement_the_parent_sees(
    browser, phone, live_server: LiveServer, family: DemoFamily
):
    """The class teacher posts to the class from the phone; the parent finds it in the week;
    ended early, it leaves the teacher's list."""
    page = phone
    _log_in(page, "classteacher")
    page.wait_for_url(on_path("/class"))
    page.get_by_role("button", name="Меню").wait_for()
    _snap(page, "class-home")
    _phone_header_fits(page)
    _open_from_menu(page, "Объявления", "/announcements")
    page.get_by_role("textbox", name="Заголовок").fill("Родительское собрание")
    page.get_by_role("textbox", name="Текст объявления").fill("В четверг в 18:00, кабинет 12.")
    _snap(page, "announcement-new")
    page.get_by_role("button", name="Опубликовать").click()
    posted = page.locator(".managed-announcement").filter(has_text="Родительское собрание")
    posted.wait_for()
    assert family.class_name in posted.inner_text()
    assert page.get_by_role("textbox", name="Заголовок").input_value() == ""
    _snap(page, "announcements")

    parent = browser.new_context(
        viewport=PHONE, base_url=live_server.url, locale="ru-RU", has_touch=True
    )
    parent.set_default_timeout(20_000)
    try:
        reader = parent.new_page()
        _log_in(reader, "parent")
        reader.wait_for_url(on_path("/diary"))
        reader.get_by_text("В четверг в 18:00, кабинет 12.").wait_for()
        _snap(reader, "week-announcement")
    finally:
        parent.close()

    # The «опубликовано» toast sits over the list on a phone and stays while the pointer
    # rests on it: move the pointer away and let it go before the next tap.
    page.mouse.move(1, 1)
    page.get_by_text("Объявление опубликовано.").wait_for(state="hidden")
    posted.get_by_role("button", name="Снять с показа").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Снять").click()
    posted.wait_for(state="detached")


def test_the_class_teacher_writes_to_a_parent(phone, live_server: LiveServer, family: DemoFamily):
    """Новое сообщение: class → student → the parent ticked; the thread opens and the parent
    takes part in it."""
    page = phone
    _log_in(page, "classteacher")
    page.wait_for_url(on_path("/class"))
    _open_from_menu(page, "Сообщения", "/messages")
    page.get_by_role("button", name="Новое сообщение").click()
    classes = page.get_by_role("combobox", name="Класс")
    classes.click()
    page.get_by_role("option", name=family.class_name, exact=True).click()
    student = f"Егорова {family.first_child[1]}"
    page.get_by_role("combobox", name="Ученик").click()
    page.get_by_role("option", name=student).click()
    page.get_by_role("checkbox", name=family.parent_name).check()
    page.get_by_role("textbox", name="Тема").fill("Экскурсия в пятницу")
    page.get_by_role("textbox", name="Текст сообщения").fill("Нужна подпись на согласии.")
    _snap(page, "message-staff-new")
    page.get_by_role("button", name="Отправить").click()
    page.locator(".message").get_by_text("Нужна подпись на согласии.").wait_for()
    with Session(family.engine) as s:
        thread = s.exec(
            select(MessageThread).where(MessageThread.subject == "Экскурсия в пятницу")
        ).one()
        members = set(
            s.exec(
                select(ThreadParticipant.user_id).where(ThreadParticipant.thread_id == thread.id)
            ).all()
        )
    assert thread.student_id == family.first_child[0]
    assert members == {family.class_teacher_user_id, family.parent_user_id}
    _snap(page, "message-staff-thread")


#: The phone the marks page is measured on (the issue's 390×844).
TALL_PHONE = {"width": 390, "height": 844}


def test_the_marks_page_fits_a_few_phone_screens(
    phone, live_server: LiveServer, family: DemoFamily
):
    """On a 390×844 phone the 5th-grader's marks page is a compact table a few screens high
    (it was one card per subject: 5,277 px); a tap opens a subject's details, a tap on a
    mark names its work type; a closed quarter shows final marks and no «Что нужно»."""
    page = phone
    page.set_viewport_size(TALL_PHONE)
    _log_in(page, "parent")
    page.wait_for_url(on_path("/diary"))
    page.goto("/diary/marks")
    page.locator(".marks-row").first.wait_for()
    page.wait_for_timeout(500)
    height = page.evaluate("document.scrollingElement.scrollHeight")
    (ARTIFACTS / "diary-marks-height.txt").write_text(f"{height}\n")
    page.screenshot(path=str(ARTIFACTS / "diary-marks-390.png"), full_page=True)
    assert height <= 3 * TALL_PHONE["height"], f"the marks page is {height} px high"
    assert page.evaluate(NO_SIDEWAYS)
    assert page.locator(".subject-card:visible").count() == 0  # details stay closed

    page.locator(".marks-summary").first.click()
    details = page.locator(".marks-row[open] .subject-card")
    details.wait_for()
    details.locator(".diary-mark").first.click()
    page.get_by_text("вес").first.wait_for()
    page.keyboard.press("Escape")
    page.screenshot(path=str(ARTIFACTS / "diary-marks-390-open.png"), full_page=True)
    page.locator(".marks-summary").first.click()  # closed again

    page.get_by_role("combobox", name="Учебный период").click()
    page.get_by_role("option", name="1 четверть").click()
    page.get_by_text("Итог", exact=True).wait_for()
    page.wait_for_timeout(300)
    assert page.get_by_text("Сейчас за период выходит").count() == 0
    page.locator(".marks-summary").first.click()
    page.locator(".marks-row[open] .subject-card").wait_for()
    assert page.get_by_role("button", name="Что нужно для «5»").count() == 0
    # The demo's first quarter has period marks: the table shows them as final.
    assert page.locator(".marks-final").count() == page.locator(".marks-row").count()
    page.screenshot(path=str(ARTIFACTS / "diary-marks-390-closed.png"), full_page=True)
