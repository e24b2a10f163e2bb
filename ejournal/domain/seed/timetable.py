"""Staffing (who teaches which class) and the weekly timetable.

The timetable is built lesson number by lesson number: at each (weekday, number) every
class that has a lesson then gets one, chosen by an augmenting search (Kuhn's matching
generalised to lessons that need two teachers, as parallel subgroups do) so that no
teacher or room is used twice. Class days start at lesson 1 and have no gaps by
construction; a subject appears at most twice a day.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from ejournal.domain.seed.curriculum import HOURS, SUBJECT_BY_NAME

PRIMARY_SPECIALISTS = ("Английский язык", "Физическая культура")
# Small families share a teacher with a neighbour, as in real schools.
PARTNER_FAMILY = {
    "safety": "pe",
    "geography": "biology",
    "chemistry": "biology",
    "arts": "technology",
}
TARGET_LOAD = 19.5
MAX_LOAD = 26
FAMILY_TITLES = {
    "primary": "Учитель начальных классов",
    "russian": "Учитель русского языка и литературы",
    "mathematics": "Учитель математики",
    "english": "Учитель английского языка",
    "informatics": "Учитель информатики",
    "history": "Учитель истории и обществознания",
    "geography": "Учитель географии",
    "biology": "Учитель биологии",
    "physics": "Учитель физики",
    "chemistry": "Учитель химии",
    "arts": "Учитель музыки и ИЗО",
    "technology": "Учитель технологии",
    "safety": "Преподаватель-организатор ОБЗР",
    "pe": "Учитель физической культуры",
}


@dataclass
class ClassPlan:
    index: int
    grade: int
    letter: str

    @property
    def label(self) -> str:
        return f"{self.grade} {self.letter}"


@dataclass
class TeacherPlan:
    index: int
    family: str
    room: str = ""
    primary_class: int | None = None
    load: int = 0
    classes: set[int] = field(default_factory=set)


@dataclass
class AssignmentPlan:
    index: int
    class_index: int
    subject: str
    subgroup: int  # 0: the whole class; 1, 2: the subgroups
    teacher: int
    hours: int


@dataclass(frozen=True)
class Staffing:
    teachers: list[TeacherPlan]
    assignments: list[AssignmentPlan]


def _family(subject: str, families_hours: Counter[str]) -> str:
    family = SUBJECT_BY_NAME[subject].family
    partner = PARTNER_FAMILY.get(family)
    if partner and families_hours[family] < 15:
        return partner
    return family


def plan_staffing(classes: list[ClassPlan], rng: random.Random) -> Staffing:
    """Teachers and their assignments: realistic loads, subgroups with different teachers."""
    teachers: list[TeacherPlan] = []
    assignments: list[AssignmentPlan] = []
    raw_hours: Counter[str] = Counter()
    for c in classes:
        for subject, hours in HOURS[c.grade].items():
            if c.grade <= 4 and subject not in PRIMARY_SPECIALISTS:
                continue
            spec = SUBJECT_BY_NAME[subject]
            raw_hours[spec.family] += hours * (2 if spec.split else 1)
    # A bundle: one class's subjects of one family (and subgroup) go to one teacher.
    bundles: dict[tuple[str, int, int], list[tuple[str, int]]] = defaultdict(list)
    for c in classes:
        if c.grade <= 4:
            teacher = TeacherPlan(len(teachers), "primary", primary_class=c.index)
            teachers.append(teacher)
        for subject, hours in HOURS[c.grade].items():
            if c.grade <= 4 and subject not in PRIMARY_SPECIALISTS:
                assignments.append(
                    AssignmentPlan(len(assignments), c.index, subject, 0, teacher.index, hours)
                )
                teacher.load += hours
                teacher.classes.add(c.index)
                continue
            family = _family(subject, raw_hours)
            groups = (1, 2) if SUBJECT_BY_NAME[subject].split else (0,)
            for g in groups:
                bundles[(family, c.index, g)].append((subject, hours))
    by_family: dict[str, list[tuple[int, int, list[tuple[str, int]]]]] = defaultdict(list)
    for (family, class_index, g), items in bundles.items():
        by_family[family].append((class_index, g, items))
    for family in sorted(by_family):
        items_list = by_family[family]
        total = sum(h for _, _, items in items_list for _, h in items)
        count = max(1, -(-total // MAX_LOAD), int(total / TARGET_LOAD))
        if any(g for _, g, _ in items_list):
            count = max(count, 2)
        staff = [TeacherPlan(len(teachers) + i, family) for i in range(count)]
        teachers.extend(staff)
        ordered = sorted(
            items_list, key=lambda b: (-sum(h for _, h in b[2]), b[0], b[1], rng.random())
        )
        taken: dict[tuple[int, str], int] = {}  # (class, subject) → teacher of subgroup 1
        for class_index, g, items in ordered:
            choices = sorted(staff, key=lambda t: (t.load, rng.random()))
            if g == 2:
                others = {taken.get((class_index, s)) for s, _ in items}
                choices = [t for t in choices if t.index not in others] or choices
            teacher = choices[0]
            for subject, hours in items:
                if g == 1:
                    taken[(class_index, subject)] = teacher.index
                assignments.append(
                    AssignmentPlan(len(assignments), class_index, subject, g, teacher.index, hours)
                )
                teacher.load += hours
            teacher.classes.add(class_index)
    _give_rooms(teachers, classes, rng)
    return Staffing(teachers, assignments)


def _give_rooms(teachers: list[TeacherPlan], classes: list[ClassPlan], rng: random.Random) -> None:
    """Every teacher has a room (primary teachers on the first floor), PE teachers a gym."""
    pe = 0
    numbers = list(range(201, 201 + len(teachers)))
    rng.shuffle(numbers)
    primary_number = 101
    for teacher in teachers:
        if teacher.family == "pe":
            pe += 1
            teacher.room = f"Спортзал {pe}"
        elif teacher.family == "primary":
            teacher.room = str(primary_number)
            primary_number += 1
        else:
            number = numbers.pop()
            teacher.room = str(number + 100 * (number % 2))  # floors 2 and 3


class TimetableError(RuntimeError):
    """No timetable was found (does not happen for the curricula of this module)."""


# A weekly lesson: the class, the subject, and the assignments held at once (subgroups).
Unit = tuple[int, str, tuple[int, ...]]
# A placed lesson: (class, weekday 1–5, number, assignment indices)
Placed = tuple[int, int, int, tuple[int, ...]]


def plan_timetable(
    classes: list[ClassPlan], staffing: Staffing, rng: random.Random, *, attempts: int = 60
) -> list[Placed]:
    """Weekly slots for every assignment; raises TimetableError when none is found."""
    for _ in range(attempts):
        placed = _Builder(classes, staffing, rng).run()
        if placed is not None:
            return placed
    raise TimetableError("не удалось составить расписание")


def _units(classes: list[ClassPlan], staffing: Staffing) -> dict[int, Counter[Unit]]:
    per_class: dict[int, Counter[Unit]] = {c.index: Counter() for c in classes}
    grouped: dict[tuple[int, str], list[AssignmentPlan]] = defaultdict(list)
    for a in staffing.assignments:
        grouped[(a.class_index, a.subject)].append(a)
    for (class_index, subject), items in grouped.items():
        unit: Unit = (class_index, subject, tuple(sorted(a.index for a in items)))
        per_class[class_index][unit] = items[0].hours
    return per_class


class _Builder:
    """One attempt at a timetable: fills the week slot by slot."""

    def __init__(self, classes: list[ClassPlan], staffing: Staffing, rng: random.Random) -> None:
        self.classes = classes
        self.assignments = staffing.assignments
        self.remaining = _units(classes, staffing)
        self.resources: dict[Unit, frozenset[str]] = {}
        self.teacher_left: Counter[int] = Counter()
        teachers = staffing.teachers
        for counter in self.remaining.values():
            for unit, hours in counter.items():
                keys: set[str] = set()
                for a in unit[2]:
                    t = teachers[self.assignments[a].teacher]
                    keys |= {f"t{t.index}", f"r{t.room}"}
                    self.teacher_left[t.index] += hours
                self.resources[unit] = frozenset(keys)
        self.day_lengths: dict[int, list[int]] = {}
        for c in classes:
            base, extra = divmod(sum(self.remaining[c.index].values()), 5)
            days = [base] * 5
            for d in rng.sample(range(5), extra):
                days[d] += 1
            self.day_lengths[c.index] = days
        self.jitter = {unit: rng.random() for unit in self.resources}
        self.per_day: Counter[tuple[int, int, str]] = Counter()  # (class, day, subject)
        self.grid: dict[tuple[int, int, int], Unit] = {}  # (class, day, number) → unit
        self.busy: dict[tuple[int, int], set[str]] = defaultdict(set)
        # The slot being filled.
        self.day = 0
        self.number = 0
        self.held: dict[str, int] = {}
        self.chosen: dict[int, Unit] = {}

    def run(self) -> list[Placed] | None:
        longest = max(max(v) for v in self.day_lengths.values())
        for number in range(1, longest + 1):
            for day in range(1, 6):
                if not self._fill(day, number):
                    return None
        return [(c, d, n, unit[2]) for (c, d, n), unit in sorted(self.grid.items())]

    def _fill(self, day: int, number: int) -> bool:
        self.day, self.number = day, number
        self.held, self.chosen = {}, {}
        open_classes = [
            c.index for c in self.classes if self.day_lengths[c.index][day - 1] >= number
        ]
        order = sorted(
            open_classes, key=lambda c: (len(self._candidates(c)), -self.classes[c].grade)
        )
        for c in order:
            if not self._claim(c, {c}) and not self._repair(c):
                return False
        for c, unit in self.chosen.items():
            self._put(c, day, number, unit)
        return True

    def _put(self, c: int, day: int, number: int, unit: Unit) -> None:
        self.grid[(c, day, number)] = unit
        self.busy[(day, number)] |= self.resources[unit]
        self.remaining[c][unit] -= 1
        self.per_day[(c, day, unit[1])] += 1
        for a in unit[2]:
            self.teacher_left[self.assignments[a].teacher] -= 1

    def _unput(self, c: int, day: int, number: int) -> Unit:
        unit = self.grid.pop((c, day, number))
        self.busy[(day, number)] -= self.resources[unit]
        self.remaining[c][unit] += 1
        self.per_day[(c, day, unit[1])] -= 1
        for a in unit[2]:
            self.teacher_left[self.assignments[a].teacher] += 1
        return unit

    def _candidates(self, c: int) -> list[Unit]:
        options: list[tuple[float, Unit]] = []
        for unit, left in self.remaining[c].items():
            if left <= 0:
                continue
            today = self.per_day[(c, self.day, unit[1])]
            if today >= 2:
                continue
            load = sum(self.teacher_left[self.assignments[a].teacher] for a in unit[2])
            score = -load - 4 * left - 3 * len(unit[2]) + 40 * today + 6 * self.jitter[unit]
            if today == 1 and left <= 5 - self.day:
                score += 100  # a second lesson today only when the week needs it
            options.append((score, unit))
        options.sort(key=lambda o: o[0])
        return [u for _, u in options]

    def _take(self, c: int, unit: Unit) -> None:
        self.chosen[c] = unit
        for key in self.resources[unit]:
            self.held[key] = c

    def _release(self, c: int) -> Unit:
        unit = self.chosen.pop(c)
        for key in self.resources[unit]:
            self.held.pop(key, None)
        return unit

    def _claim(self, c: int, visited: set[int]) -> bool:
        """Kuhn's augmenting search: take a free lesson or displace one other class."""
        options = self._candidates(c)
        for unit in options:
            if not any(key in self.held for key in self.resources[unit]):
                self._take(c, unit)
                return True
        for unit in options:
            holders = {self.held[key] for key in self.resources[unit] if key in self.held}
            if len(holders) != 1:
                continue
            other = holders.pop()
            if other in visited:
                continue
            visited.add(other)
            previous = self._release(other)
            self._take(c, unit)
            if self._claim(other, visited):
                return True
            self._release(c)
            self._take(other, previous)
        return False

    def _repair(self, c: int) -> bool:
        """Swap a lesson placed earlier into this slot and a waiting lesson into its place."""
        day = self.day
        waiting = [u for u, left in self.remaining[c].items() if left > 0]
        for (cc, d2, n2), placed in list(self.grid.items()):
            if cc != c or any(key in self.held for key in self.resources[placed]):
                continue
            if self.per_day[(c, day, placed[1])] + (0 if d2 == day else 1) > 2:
                continue
            for unit in waiting:
                if unit == placed:
                    continue
                others = self.busy[(d2, n2)] - self.resources[placed]
                if others & self.resources[unit]:
                    continue
                if self.per_day[(c, d2, unit[1])] + (0 if d2 == day else 1) > 2 - (
                    1 if d2 == day and unit[1] == placed[1] else 0
                ):
                    continue
                self._unput(c, d2, n2)
                self._put(c, d2, n2, unit)
                self._take(c, placed)
                return True
        return False
