"""Subjects, weekly hours per grade (ФГОС-like, 5-day week) and work types with weights."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class SubjectSpec:
    name: str
    short_name: str
    family: str  # teachers teach a family of subjects (mathematics: algebra, geometry …)
    marked: bool = True
    two_marks: bool = False
    difficulty: float = 0.0  # shifts the typical mark down (+) or up (−)
    split: bool = False  # taught in two subgroups


SUBJECTS: tuple[SubjectSpec, ...] = (
    SubjectSpec("Русский язык", "Рус. яз.", "russian", two_marks=True, difficulty=0.25),
    SubjectSpec("Литературное чтение", "Лит. чт.", "primary", two_marks=True, difficulty=-0.2),
    SubjectSpec("Литература", "Лит-ра", "russian", two_marks=True, difficulty=0.0),
    SubjectSpec("Английский язык", "Англ. яз.", "english", difficulty=0.1, split=True),
    SubjectSpec("Математика", "Мат.", "mathematics", difficulty=0.25),
    SubjectSpec("Алгебра", "Алг.", "mathematics", difficulty=0.35),
    SubjectSpec("Геометрия", "Геом.", "mathematics", difficulty=0.4),
    SubjectSpec("Вероятность и статистика", "ВиС", "mathematics", difficulty=0.1),
    SubjectSpec("Информатика", "Информ.", "informatics", difficulty=0.0, split=True),
    SubjectSpec("Окружающий мир", "Окр. мир", "primary", difficulty=-0.3),
    SubjectSpec("История", "Ист.", "history", difficulty=0.1),
    SubjectSpec("Обществознание", "Общ.", "history", difficulty=0.05),
    SubjectSpec("География", "Геогр.", "geography", difficulty=-0.05),
    SubjectSpec("Биология", "Биол.", "biology", difficulty=0.05),
    SubjectSpec("Физика", "Физ.", "physics", difficulty=0.35),
    SubjectSpec("Химия", "Хим.", "chemistry", difficulty=0.35),
    SubjectSpec("ОРКСЭ", "ОРКСЭ", "primary", marked=False),
    SubjectSpec("ОДНКНР", "ОДНКНР", "history", marked=False),
    SubjectSpec("Музыка", "Муз.", "arts", difficulty=-0.6),
    SubjectSpec("Изобразительное искусство", "ИЗО", "arts", difficulty=-0.5),
    SubjectSpec("Труд (технология)", "Труд", "technology", difficulty=-0.5),
    SubjectSpec("ОБЗР", "ОБЗР", "safety", difficulty=-0.3),
    SubjectSpec("Физическая культура", "Физ-ра", "pe", difficulty=-0.6),
    SubjectSpec("Индивидуальный проект", "Инд. пр.", "informatics", difficulty=-0.3),
)
SUBJECT_BY_NAME = {s.name: s for s in SUBJECTS}

# Weekly hours per grade. Grades 1–4: the class's own primary teacher teaches everything
# but English and PE (and music, art and craft stay with the primary teacher as well).
_PRIMARY = {"Русский язык": 5, "Литературное чтение": 4, "Математика": 4, "Окружающий мир": 2,
            "Музыка": 1, "Изобразительное искусство": 1, "Труд (технология)": 1,
            "Физическая культура": 3}  # fmt: skip
HOURS: dict[int, dict[str, int]] = {
    1: dict(_PRIMARY),  # 21
    2: {**_PRIMARY, "Английский язык": 2},  # 23
    3: {**_PRIMARY, "Английский язык": 2},  # 23
    4: {**_PRIMARY, "Литературное чтение": 3, "Английский язык": 2, "ОРКСЭ": 1},  # 23
    5: {"Русский язык": 5, "Литература": 3, "Английский язык": 3, "Математика": 5,
        "Информатика": 1, "История": 2, "География": 1, "Биология": 1, "ОДНКНР": 1,
        "Музыка": 1, "Изобразительное искусство": 1, "Труд (технология)": 2,
        "Физическая культура": 3},  # 29
    6: {"Русский язык": 6, "Литература": 3, "Английский язык": 3, "Математика": 5,
        "Информатика": 1, "История": 2, "Обществознание": 1, "География": 1, "Биология": 1,
        "ОДНКНР": 1, "Музыка": 1, "Изобразительное искусство": 1, "Труд (технология)": 2,
        "Физическая культура": 2},  # 30
    7: {"Русский язык": 4, "Литература": 2, "Английский язык": 3, "Алгебра": 3,
        "Геометрия": 2, "Вероятность и статистика": 1, "Информатика": 1, "История": 2,
        "Обществознание": 1, "География": 2, "Биология": 1, "Физика": 2, "Музыка": 1,
        "Изобразительное искусство": 1, "Труд (технология)": 2, "Физическая культура": 2},  # 30
    8: {"Русский язык": 3, "Литература": 2, "Английский язык": 3, "Алгебра": 3,
        "Геометрия": 2, "Вероятность и статистика": 1, "Информатика": 1, "История": 2,
        "Обществознание": 1, "География": 2, "Биология": 2, "Физика": 2, "Химия": 2,
        "Музыка": 1, "Труд (технология)": 1, "ОБЗР": 1, "Физическая культура": 2},  # 31
    9: {"Русский язык": 3, "Литература": 3, "Английский язык": 3, "Алгебра": 3,
        "Геометрия": 2, "Вероятность и статистика": 1, "Информатика": 1, "История": 3,
        "Обществознание": 1, "География": 2, "Биология": 2, "Физика": 3, "Химия": 2,
        "ОБЗР": 1, "Физическая культура": 2, "Труд (технология)": 1},  # 31 + elective = 33
    10: {"Русский язык": 2, "Литература": 3, "Английский язык": 3, "Алгебра": 4,
         "Геометрия": 3, "Вероятность и статистика": 1, "Информатика": 2, "История": 2,
         "Обществознание": 2, "География": 1, "Биология": 2, "Физика": 3, "Химия": 2,
         "ОБЗР": 1, "Физическая культура": 2, "Индивидуальный проект": 1},  # 34
    11: {"Русский язык": 3, "Литература": 3, "Английский язык": 3, "Алгебра": 4,
         "Геометрия": 3, "Вероятность и статистика": 1, "Информатика": 2, "История": 2,
         "Обществознание": 2, "География": 1, "Биология": 2, "Физика": 3, "Химия": 2,
         "ОБЗР": 1, "Физическая культура": 2},  # 34
}  # fmt: skip


def subject_order(name: str) -> int:
    return next(i for i, s in enumerate(SUBJECTS) if s.name == name)


@dataclass(frozen=True)
class WorkTypeSpec:
    code: str
    name: str
    abbreviation: str
    weight: Decimal
    is_control: bool = False
    allows_two_marks: bool = False
    deadline_lessons: int = 0
    deadline_days: int = 0


# Deadlines [003 §3.2]: work in class the same day; test, independent or check work within
# two lessons; lab, control work and dictation by the next lesson; essays within ten days.
WORK_TYPES: tuple[WorkTypeSpec, ...] = (
    WorkTypeSpec("answer", "Ответ на уроке", "Отв.", Decimal("1.00")),
    WorkTypeSpec("homework", "Домашнее задание", "Д.з.", Decimal("1.00")),
    WorkTypeSpec("independent", "Самостоятельная работа", "С.р.", Decimal("1.50"),
                 deadline_lessons=2),
    WorkTypeSpec("practical", "Практическая работа", "П.р.", Decimal("1.50"),
                 deadline_lessons=2),
    WorkTypeSpec("lab", "Лабораторная работа", "Л.р.", Decimal("1.50"), deadline_lessons=1),
    WorkTypeSpec("speech", "Развитие речи", "Р.р.", Decimal("1.00"), deadline_lessons=1),
    WorkTypeSpec("reading", "Внеклассное чтение", "В.ч.", Decimal("1.00")),
    WorkTypeSpec("test", "Тест", "Тест", Decimal("1.50"), deadline_lessons=2),
    WorkTypeSpec("control", "Контрольная работа", "К.р.", Decimal("2.00"), is_control=True,
                 deadline_lessons=1),
    WorkTypeSpec("dictation", "Диктант", "Дикт.", Decimal("2.00"), is_control=True,
                 allows_two_marks=True, deadline_lessons=1),
    WorkTypeSpec("precis", "Изложение", "Изл.", Decimal("1.50"), allows_two_marks=True,
                 deadline_days=10),
    WorkTypeSpec("essay", "Сочинение", "Соч.", Decimal("1.50"), allows_two_marks=True,
                 deadline_days=10),
)  # fmt: skip
WORK_TYPE_BY_CODE = {w.code: w for w in WORK_TYPES}
