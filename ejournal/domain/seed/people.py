"""Students, their families and the staff: names, personal data and logins."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from ejournal.domain.models import Gender
from ejournal.domain.seed.names import FullName, NameFactory, login_base, transliterate

STREETS = (
    "ул. Ленина",
    "ул. Гагарина",
    "ул. Мира",
    "ул. Советская",
    "ул. Школьная",
    "ул. Садовая",
    "пр. Победы",
    "ул. Молодёжная",
    "ул. Лесная",
    "ул. Набережная",
    "ул. Строителей",
    "ул. Пушкина",
)
CITY = "г. Заречный"


@dataclass
class StudentPlan:
    index: int
    name: FullName
    class_index: int
    family: int
    birth_date: dt.date
    ability: float  # latent, ~N(0, 1): drives marks
    frailty: float  # how often the student falls ill
    arrived_on: dt.date | None = None
    left_on: dt.date | None = None  # last day in the school
    subgroup: int = 1
    login: str = ""


@dataclass
class FamilyPlan:
    index: int
    surname: str
    father_first: str
    address: str
    children: list[int] = field(default_factory=list)
    parents: list[tuple[FullName, str]] = field(default_factory=list)  # (name, relation)


class LoginBook:
    """Unique logins: fixed demo ones, the rest transliterated with a number on clashes."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.taken: set[str] = set()

    def fixed(self, login: str) -> str:
        value = f"{self.prefix}{login}"
        self.taken.add(value)
        return value

    def for_name(self, name: FullName) -> str:
        base = f"{self.prefix}{login_base(name)}"
        value, n = base, 1
        while value in self.taken:
            n += 1
            value = f"{base}{n}"
        self.taken.add(value)
        return value


def phone(rng: random.Random) -> str:
    return (
        f"+7 9{rng.randrange(10, 99)} {rng.randrange(100, 999)}-"
        f"{rng.randrange(10, 99)}-{rng.randrange(10, 99)}"
    )


def email_for(name: FullName, rng: random.Random) -> str:
    return (
        f"{transliterate(name.first)}.{transliterate(name.last)}{rng.randrange(10, 99)}@example.ru"
    )


def address(rng: random.Random) -> str:
    return f"{CITY}, {rng.choice(STREETS)}, д. {rng.randrange(1, 60)}, кв. {rng.randrange(1, 120)}"


def snils(rng: random.Random) -> str:
    digits = f"{rng.randrange(10**8, 10**9)}"
    return f"{digits[:3]}-{digits[3:6]}-{digits[6:]} {rng.randrange(10, 99)}"


def birth_certificate(rng: random.Random) -> str:
    return f"II-МЮ № {rng.randrange(100000, 999999)}"


def make_families(
    classes: list[tuple[int, int]],  # (class index, grade) in grade order
    per_class: list[int],
    start_year: int,
    rng: random.Random,
) -> tuple[list[StudentPlan], list[FamilyPlan], int]:
    """Students class by class; ~7% are younger or older siblings of another student.

    The first grade-5 class's first student and the first student of the first class
    of grade 7 or above are siblings: the demo `parent` family. Returns it as well.
    """
    names = NameFactory(rng)
    students: list[StudentPlan] = []
    families: list[FamilyPlan] = []
    demo_family = -1
    senior_joined = False
    for (class_index, grade), size in zip(classes, per_class, strict=True):
        for seat in range(size):
            gender = Gender.MALE if rng.random() < 0.5 else Gender.FEMALE
            family: FamilyPlan | None = None
            if seat == 0 and grade == 5 and demo_family < 0:
                family = _new_family(families, names, rng)
                demo_family = family.index
            elif seat == 0 and grade >= 7 and demo_family >= 0 and not senior_joined:
                family = families[demo_family]
                senior_joined = True
            elif rng.random() < 0.07 and families:
                pick = families[rng.randrange(len(families))]
                if len(pick.children) == 1 and pick.index != demo_family:
                    elder = students[pick.children[0]]
                    if (
                        elder.class_index != class_index
                        and abs(elder.birth_date.year - (start_year - grade - 6)) >= 1
                    ):
                        family = pick
            if family is None:
                family = _new_family(families, names, rng)
            name = names.child(gender, surname=family.surname, father_first=family.father_first)
            born = dt.date(start_year - grade - 6, 9, 1) - dt.timedelta(days=rng.randrange(365))
            student = StudentPlan(
                index=len(students),
                name=name,
                class_index=class_index,
                family=family.index,
                birth_date=born,
                ability=rng.gauss(0.0, 1.0),
                frailty=rng.choice((0.3, 0.6, 0.8, 1.0, 1.0, 1.2, 1.5, 2.2)),
            )
            students.append(student)
            family.children.append(student.index)
    if demo_family >= 0 and not senior_joined:
        demo_family = -1
    return students, families, demo_family


def _new_family(families: list[FamilyPlan], names: NameFactory, rng: random.Random) -> FamilyPlan:
    surname = names.surname()
    father_first = names.father_name()
    family = FamilyPlan(len(families), surname, father_first, address(rng))
    shape = rng.random()
    mother = names.adult(Gender.FEMALE, surname=surname if rng.random() < 0.9 else None)
    father_middle = names.adult(Gender.MALE).middle
    father = FullName(surname, father_first, father_middle, Gender.MALE)
    if shape < 0.55:
        family.parents = [(mother, "мать"), (father, "отец")]
    elif shape < 0.9:
        family.parents = [(mother, "мать")]
    else:
        family.parents = [(father, "отец")]
    families.append(family)
    return family
