"""The year's archive (issue 14): `ejournal archive build` writes the printed journals,
the summary sheets and the CSV data with their SHA-256 sums; `ejournal archive verify` and
plain `sha256sum -c` check it years later, without the database; a changed, missing or
extra file is named."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlmodel import Session

from ejournal.domain.errors import PermissionDenied
from ejournal.domain.models import Role, RoleGrant
from ejournal.domain.records.archive import build_archive, verify_archive
from tests import conftest
from tests.factories import NOW, add_lesson, add_mark, add_user, make_school, staff_actor
from tests.test_cli import run

pytestmark = pytest.mark.db


@pytest.fixture()
def school_db(empty_db: conftest.TestDatabase) -> conftest.TestDatabase:
    """The tiny school with a director (login «director») and one mark."""
    from ejournal.domain import migrate

    migrate.upgrade(empty_db.engine)
    with Session(empty_db.engine) as session:
        tiny = make_school(session)
        user = add_user(session, "director")
        session.add(
            RoleGrant(user_id=user.id or 0, school_id=tiny.school.id or 0, role=Role.DIRECTOR)
        )
        lesson = add_lesson(session, tiny.russian_5a, tiny.q1.starts_on, topic="Повторение")
        add_mark(session, lesson, tiny.students[0], 5, author=tiny.actors["russian"])
        session.commit()
    return empty_db


def _build(school_db: conftest.TestDatabase, tmp: Path) -> Path:
    out = tmp / "archives"
    out.mkdir()
    done = run(school_db.url, "archive", "build", "--school", "1", "--year", "2026/2027",
               "--out", str(out), tmp=tmp)  # fmt: skip
    assert done.returncode == 0, done.stderr
    found = re.search(r"Архив 2026/2027 записан в (\S+)", done.stdout)
    assert found, done.stdout
    return Path(found.group(1)) if Path(found.group(1)).is_absolute() else tmp / found.group(1)


@pytest.mark.parametrize("empty_db", ["sqlite"], indirect=True)
def test_the_archive_holds_every_class_and_checks_out(
    school_db: conftest.TestDatabase, tmp_path: Path
):
    folder = _build(school_db, tmp_path)
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    for slug in ("05А", "01А"):
        assert f"journal/{slug}.pdf" in names
        assert f"summary/{slug}.pdf" in names and f"summary/{slug}.xlsx" in names
    assert "data/marks.csv" in names and "README.txt" in names
    check = run("", "archive", "verify", str(folder), tmp=tmp_path)
    assert check.returncode == 0, check.stderr
    assert "Архив цел" in check.stdout
    if shutil.which("sha256sum"):
        plain = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=folder, capture_output=True,
                               text=True, check=False)  # fmt: skip
        assert plain.returncode == 0, plain.stdout + plain.stderr

    # One changed byte, a missing file and an extra one are each named; exit code 1.
    pdf = folder / "journal" / "05А.pdf"
    data = bytearray(pdf.read_bytes())
    data[len(data) // 2] ^= 0x01
    pdf.write_bytes(bytes(data))
    (folder / "summary" / "01А.xlsx").unlink()
    (folder / "journal" / "лишний.txt").write_text("?", encoding="utf-8")
    check = run("", "archive", "verify", str(folder), tmp=tmp_path)
    assert check.returncode == 1
    assert "journal/05А.pdf: контрольная сумма не совпадает — файл изменён" in check.stdout
    assert "summary/01А.xlsx: файла нет" in check.stdout
    assert "journal/лишний.txt: лишний файл" in check.stdout


@pytest.mark.parametrize("empty_db", ["sqlite"], indirect=True)
def test_not_an_archive_is_refused_in_one_line(school_db: conftest.TestDatabase, tmp_path: Path):
    done = run("", "archive", "verify", str(tmp_path), tmp=tmp_path)
    assert done.returncode == 2
    assert "нет manifest.json: это не архив ejournal" in done.stderr


def test_only_the_director_builds_the_archive(session: Session, tmp_path: Path) -> None:
    tiny = make_school(session)
    for who in ("deputy", "class_teacher", "russian", "parent"):
        with pytest.raises(PermissionDenied):
            build_archive(session, actor=tiny.actors[who], year_id=tiny.year.id or 0,
                          out_dir=tmp_path, now=NOW)  # fmt: skip
    assert list(tmp_path.iterdir()) == []  # nothing half-written
    user = add_user(session, "director")
    staff_director = staff_actor(tiny.school, user, tiny.staff["deputy"], Role.DIRECTOR)
    result = build_archive(session, actor=staff_director, year_id=tiny.year.id or 0,
                           out_dir=tmp_path, now=NOW)  # fmt: skip
    assert verify_archive(result.folder).ok
