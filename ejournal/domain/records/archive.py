"""The archive of a finished school year [002 §9.2], [003 §6.5], [004 §6.5]: files that need
no special software, with their integrity checkable years later.

The archive folder holds, for every class of the year, the printed journal (PDF, ready to
bind) and the summary sheet (PDF and XLSX); every core table of the school as CSV with its
description; `README.txt` saying what is where and how to check it; `SHA256SUMS` in the
format `sha256sum -c` reads on any Linux or macOS machine; and `manifest.json` (the school,
the year, when and by whom it was made, the audit chain's head, and each file's size,
SHA-256 and description). `verify_archive` checks it without the database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session, col, select

from ejournal.domain import audit, permissions
from ejournal.domain.errors import NotFound, ValidationError
from ejournal.domain.exchange import export_school
from ejournal.domain.models import AcademicYear, ClassGroup, School
from ejournal.domain.people.naming import class_name
from ejournal.domain.permissions import Actor, Permission
from ejournal.domain.records.journal_print import class_journal_pdf
from ejournal.domain.records.summary_sheet import build_summary, summary_pdf, summary_xlsx

MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
README = "README.txt"
FORMAT = "ejournal-archive/1"


class ArchiveError(Exception):
    """A damaged or unreadable archive, in Russian."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ArchiveResult:
    folder: Path
    files: int
    bytes: int


@dataclass
class ArchiveCheck:
    folder: Path
    checked: int = 0
    problems: list[str] = field(default_factory=list)
    school: str = ""
    year: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _slug(grade: int, letter: str) -> str:
    """«5А» as a file name (the letter kept in Cyrillic; any OS reads UTF-8 names)."""
    return f"{grade:02d}{letter}"


def _readme(school: School, year: AcademicYear, made_at: dt.datetime, by: str) -> str:
    return (
        f"Архив учебного года {year.name}\n"
        f"{school.name}\n\n"
        f"Сформирован {made_at:%d.%m.%Y %H:%M} UTC, {by}.\n\n"
        "Что внутри:\n"
        "  journal/  — классные журналы по классам (PDF для печати, прошивки и заверения);\n"
        "  summary/  — сводные ведомости учёта результатов по классам (PDF и XLSX);\n"
        "  data/     — данные школы в CSV (UTF-8, разделитель — запятая) с описанием столбцов\n"
        "              в data/manifest.json;\n"
        f"  {MANIFEST} — перечень файлов с размерами и контрольными суммами SHA-256;\n"
        f"  {SUMS}    — те же суммы в формате программы sha256sum.\n\n"
        "Как проверить целостность без этой программы (Linux, macOS):\n"
        f"  cd <папка архива> && sha256sum -c {SUMS}\n"
        "Windows (PowerShell): Get-FileHash -Algorithm SHA256 <файл> и сравнить с SHA256SUMS.\n"
        "Программой ejournal: ejournal archive verify <папка архива>\n"
    )


def build_archive(
    session: Session,
    *,
    actor: Actor,
    year_id: int,
    out_dir: Path,
    now: dt.datetime | None = None,
) -> ArchiveResult:
    """Write the year's archive into a new folder under `out_dir` (the director's right).

    The folder is written under a hidden name and renamed when complete: a failure leaves
    nothing that looks like an archive.
    """
    year = session.get(AcademicYear, year_id)
    if year is None or year.school_id != actor.school_id:
        raise NotFound("Учебный год не найден.")
    permissions.require_some(actor, Permission.YEAR_CLOSE)
    school = session.get(School, year.school_id)
    assert school is not None and school.id is not None
    made_at = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    name = f"archive-{year.name.replace('/', '-')}-{made_at:%Y-%m-%dT%H-%M-%SZ}"
    final = out_dir / name
    if final.exists():
        raise ValidationError(f"Папка «{final}» уже есть.")
    tmp = out_dir / f".{name}.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "journal").mkdir(parents=True)
    (tmp / "summary").mkdir()
    described: dict[str, str] = {}
    try:
        groups = session.exec(
            select(ClassGroup)
            .where(ClassGroup.year_id == year_id)
            .order_by(col(ClassGroup.grade), col(ClassGroup.letter))
        ).all()
        for g in groups:
            assert g.id is not None
            label = class_name(g.grade, g.letter)
            slug = _slug(g.grade, g.letter)
            pdf = class_journal_pdf(session, actor=actor, class_id=g.id, now=made_at)
            (tmp / "journal" / f"{slug}.pdf").write_bytes(pdf)
            described[f"journal/{slug}.pdf"] = f"Классный журнал {label}, {year.name}"
            sheet = build_summary(session, actor=actor, class_id=g.id, today=made_at.date())
            (tmp / "summary" / f"{slug}.pdf").write_bytes(summary_pdf(sheet))
            (tmp / "summary" / f"{slug}.xlsx").write_bytes(summary_xlsx(sheet))
            described[f"summary/{slug}.pdf"] = f"Сводная ведомость {label}, {year.name} (PDF)"
            described[f"summary/{slug}.xlsx"] = f"Сводная ведомость {label}, {year.name} (XLSX)"
        exported = export_school(session, out_dir=tmp / "data", school_id=school.id, now=made_at)
        for f in exported.files:
            described[f"data/{f.name}"] = f"{f.description} (строк: {f.rows})"
        described["data/manifest.json"] = "Описание столбцов файлов data/*.csv"
        by = f"пользователь № {actor.user_id} (ejournal)"
        (tmp / README).write_text(_readme(school, year, made_at, by), encoding="utf-8")
        described[README] = "Что в архиве и как его проверить"
        files = []
        for rel in sorted(described):
            path = tmp / rel
            files.append(
                {
                    "path": rel,
                    "size": path.stat().st_size,
                    "sha256": sha256_file(path),
                    "description": described[rel],
                }
            )
        head = audit.make_anchor(session).to_dict()
        manifest = {
            "format": FORMAT,
            "school": school.name,
            "school_id": school.id,
            "year": year.name,
            "year_starts_on": year.starts_on.isoformat(),
            "year_ends_on": year.ends_on.isoformat(),
            "created_at": made_at.isoformat(),
            "created_by_user_id": actor.user_id,
            "audit_head": head,
            "files": files,
        }
        (tmp / MANIFEST).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        sums = "".join(f"{f['sha256']}  {f['path']}\n" for f in files)
        (tmp / SUMS).write_text(sums, encoding="utf-8")
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    total = sum(int(f["size"]) for f in files)  # type: ignore[call-overload]
    return ArchiveResult(folder=final, files=len(files), bytes=total)


def verify_archive(folder: Path) -> ArchiveCheck:
    """Check every file of the archive against its manifest and SHA256SUMS (no database)."""
    check = ArchiveCheck(folder=folder)
    manifest_path = folder / MANIFEST
    if not folder.is_dir():
        raise ArchiveError(f"Папки «{folder}» нет.")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArchiveError(f"В «{folder}» нет {MANIFEST}: это не архив ejournal.") from None
    except (OSError, ValueError):
        raise ArchiveError(f"{MANIFEST} повреждён: его не удаётся прочитать.") from None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if manifest.get("format") != FORMAT or not isinstance(files, list):
        raise ArchiveError(f"{MANIFEST} не похож на перечень архива ejournal.")
    check.school = str(manifest.get("school", ""))
    check.year = str(manifest.get("year", ""))
    listed: dict[str, str] = {}
    for entry in files:
        rel = str(entry.get("path", ""))
        want = str(entry.get("sha256", ""))
        listed[rel] = want
        path = (folder / rel).resolve()
        if folder.resolve() not in path.parents:
            check.problems.append(f"{rel}: путь ведёт за пределы архива")
            continue
        if not path.is_file():
            check.problems.append(f"{rel}: файла нет")
            continue
        if path.stat().st_size != entry.get("size"):
            check.problems.append(f"{rel}: размер изменился")
        if sha256_file(path) != want:
            check.problems.append(f"{rel}: контрольная сумма не совпадает — файл изменён")
        check.checked += 1
    try:
        sums = (folder / SUMS).read_text(encoding="utf-8").splitlines()
    except OSError:
        check.problems.append(f"{SUMS}: файла нет")
        sums = []
    for line in sums:
        digest, _, rel = line.partition("  ")
        if listed.get(rel) != digest:
            check.problems.append(f"{SUMS}: строка «{rel}» не совпадает с {MANIFEST}")
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and rel not in listed and rel not in (MANIFEST, SUMS):
            check.problems.append(f"{rel}: лишний файл, которого нет в перечне")
    return check
