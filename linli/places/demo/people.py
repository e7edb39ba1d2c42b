"""Households and residents for the demo: who lives together, ages, care tags, numbers.

Shares aimed at (checked in the tests): about 18% aged 60+, a few % aged 80+, about 15%
under 14, 3–4% living alone (mostly elderly), about 2% disabled (levels 1–4), about 1.5% on
dibao, a few tekun and left-behind children, and a higher floating share in the industrial
zone. Every choice comes from the ``random.Random`` passed in, so a seed fixes everything.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from stdnum.cn import ric

from linli.people.models import Relation, ResidenceType
from linli.places.demo.names import NameMaker

#: Mobile prefixes phonenumbers accepts as valid mainland mobiles (154 and 194 are not).
MOBILE_PREFIXES = [
    *range(130, 140),
    *(p for p in range(150, 160) if p != 154),
    *range(180, 190),
    191,
    193,
    195,
    198,
    199,
]
HOME_REGION = "640106"  # Jinfeng District, GB/T 2260
YINCHUAN_REGIONS = ["640104", "640105", "640121", "640122", "640181"]
NINGXIA_REGIONS = ["640302", "640303", "640402", "640422", "640502", "640221", "640381"]
OTHER_REGIONS = ["620102", "620502", "622901", "610102", "610113", "150202", "410102", "130102"]


class Numbers:
    """Unique identity numbers (GB 11643-1999) and mobile numbers for one build."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._ids: set[str] = set()
        self._phones: set[str] = set()

    def id_number(self, region: str, birth: dt.date, sex: str) -> str:
        """17 digits (region, birth date, sequence with odd = male) plus the check digit."""
        while True:
            seq = self.rng.randrange(0, 500) * 2 + (1 if sex == "M" else 0)
            body = f"{region}{birth:%Y%m%d}{seq:03d}"
            if body not in self._ids:
                self._ids.add(body)
                return body + ric.calc_check_digit(body + "0")

    def phone(self) -> str:
        while True:
            number = f"{self.rng.choice(MOBILE_PREFIXES)}{self.rng.randrange(10**8):08d}"
            if number not in self._phones:
                self._phones.add(number)
                return number


@dataclass
class Person:
    sex: str
    birth: dt.date
    relation: str
    surname: str = ""
    name: str = ""
    id_number: str = ""
    phone: str = ""
    residence_type: str = ResidenceType.REGISTERED
    living_alone: bool = False
    empty_nest: bool = False
    disabled: bool = False
    disability_level: int | None = None
    dibao: bool = False
    tekun: bool = False
    left_behind_child: bool = False
    key_care: bool = False

    def age(self, day: dt.date) -> int:
        years = day.year - self.birth.year
        return years - ((day.month, day.day) < (self.birth.month, self.birth.day))


@dataclass
class HouseholdSpec:
    """Members (head first) and who may act for whom: ``(elder, adult child, relation)``."""

    kind: str
    members: list[Person]
    links: list[tuple[int, int, str]] = field(default_factory=list)


#: Household kinds and weights per building profile (see ``plan.BuildingPlan.profile``).
PROFILES: dict[str, dict[str, float]] = {
    "urban": {
        "elderly_alone": 0.075,
        "young_alone": 0.022,
        "elderly_couple": 0.13,
        "young_couple": 0.085,
        "nuclear1": 0.225,
        "nuclear2": 0.145,
        "adult_child": 0.15,
        "three_gen": 0.135,
        "skipped_gen": 0.012,
        "single_parent": 0.021,
    },
    "office": {
        "young_alone": 0.26,
        "young_couple": 0.30,
        "nuclear1": 0.26,
        "nuclear2": 0.06,
        "elderly_alone": 0.03,
        "elderly_couple": 0.04,
        "three_gen": 0.03,
    },
    "village": {
        "elderly_alone": 0.06,
        "elderly_couple": 0.13,
        "three_gen": 0.30,
        "nuclear1": 0.14,
        "nuclear2": 0.17,
        "adult_child": 0.10,
        "skipped_gen": 0.06,
        "single_parent": 0.04,
    },
    "family": {
        "nuclear1": 0.40,
        "nuclear2": 0.25,
        "young_couple": 0.15,
        "elderly_couple": 0.10,
        "three_gen": 0.10,
    },
    "dorm": {"dorm": 1.0},
}


class PeopleMaker:
    """Builds :class:`HouseholdSpec` objects; ages are whole years on ``reference``."""

    def __init__(
        self, rng: random.Random, names: NameMaker, numbers: Numbers, reference: dt.date
    ) -> None:
        self.rng = rng
        self.names = names
        self.numbers = numbers
        self.reference = reference
        self._kinds: dict[str, Callable[[], HouseholdSpec]] = {
            "elderly_alone": self._elderly_alone,
            "young_alone": self._young_alone,
            "elderly_couple": self._elderly_couple,
            "young_couple": self._young_couple,
            "nuclear1": lambda: self._nuclear(1),
            "nuclear2": lambda: self._nuclear(2),
            "adult_child": self._adult_child,
            "three_gen": self._three_gen,
            "skipped_gen": self._skipped_gen,
            "single_parent": self._single_parent,
            "dorm": self._dorm,
        }

    # -- public -----------------------------------------------------------------------------

    def household(self, profile: str, floating_share: float) -> HouseholdSpec:
        """One household of ``profile`` with names, numbers, phones and care tags filled in."""
        weights = PROFILES[profile]
        kind = self.rng.choices(list(weights), weights=list(weights.values()))[0]
        spec = self._kinds[kind]()
        share = 0.8 if profile == "dorm" else floating_share
        residence = self._residence(share)
        self._fill(spec, residence)
        return spec

    # -- people -----------------------------------------------------------------------------

    def person(self, sex: str, age: int, relation: str, surname: str = "") -> Person:
        days = int((age + self.rng.random() * 0.9 + 0.05) * 365.25)
        birth = self.reference - dt.timedelta(days=days)
        return Person(sex=sex, birth=birth, relation=relation, surname=surname)

    def _couple(self, lo: int, hi: int, relation: str = Relation.HEAD) -> tuple[Person, Person]:
        husband_age = self.rng.randint(lo, hi)
        wife_age = max(lo - 4, husband_age - self.rng.randint(-1, 4))
        husband = self.person("M", husband_age, relation, self.names.surname())
        wife = self.person("F", wife_age, Relation.SPOUSE, self.names.surname())
        return husband, wife

    def _children(self, father: Person, mother: Person, count: int, max_age: int) -> list[Person]:
        # First birth at 23–32 (Yinchuan urban mothers); the youngest are at least newborns.
        oldest = mother.age(self.reference) - self.rng.randint(23, 32)
        age = min(max_age, max(0, oldest))
        kids = []
        for _ in range(count):
            sex = self.rng.choice("MF")
            surname = father.surname if self.rng.random() < 0.92 else mother.surname
            kids.append(self.person(sex, age, Relation.CHILD, surname))
            age = max(0, age - self.rng.randint(1, 8))
        return kids

    def _elderly_age(self) -> int:
        band = self.rng.choices([(62, 69), (70, 79), (80, 95)], weights=[25, 40, 35])[0]
        return self.rng.randint(*band)

    # -- household kinds ----------------------------------------------------------------------

    def _elderly_alone(self) -> HouseholdSpec:
        sex = "F" if self.rng.random() < 0.65 else "M"
        elder = self.person(sex, self._elderly_age(), Relation.HEAD, self.names.surname())
        elder.living_alone = True
        return HouseholdSpec("elderly_alone", [elder])

    def _young_alone(self) -> HouseholdSpec:
        person = self.person(self.rng.choice("MF"), self.rng.randint(22, 45), Relation.HEAD)
        person.surname = self.names.surname()
        person.living_alone = True
        return HouseholdSpec("young_alone", [person])

    def _elderly_couple(self) -> HouseholdSpec:
        band = self.rng.choices([(62, 69), (70, 79), (80, 90)], weights=[40, 40, 20])[0]
        husband, wife = self._couple(*band)
        husband.empty_nest = wife.empty_nest = True
        return HouseholdSpec("elderly_couple", [husband, wife])

    def _young_couple(self) -> HouseholdSpec:
        return HouseholdSpec("young_couple", list(self._couple(24, 38)))

    def _nuclear(self, count: int) -> HouseholdSpec:
        father, mother = self._couple(29, 56)
        members = [father, mother, *self._children(father, mother, count, 25)]
        self._maybe_wife_heads(members)
        return HouseholdSpec(f"nuclear{count}", members)

    def _adult_child(self) -> HouseholdSpec:
        father, mother = self._couple(46, 62)
        child = self.person(
            self.rng.choice("MF"), self.rng.randint(18, 30), Relation.CHILD, father.surname
        )
        return HouseholdSpec("adult_child", [father, mother, child])

    def _three_gen(self) -> HouseholdSpec:
        father, mother = self._couple(30, 52)
        kids = self._children(father, mother, self.rng.choice([1, 1, 2]), 25)
        gf_age = min(96, father.age(self.reference) + self.rng.randint(23, 32))
        grandfather = self.person("M", gf_age, Relation.PARENT, father.surname)
        grandmother = self.person(
            "F", max(56, gf_age - self.rng.randint(0, 4)), Relation.PARENT, self.names.surname()
        )
        elders = self.rng.choice([[grandfather], [grandmother], [grandfather, grandmother]])
        spec = HouseholdSpec("three_gen", [father, mother, *kids, *elders])
        first_elder = 2 + len(kids)
        for offset in range(len(elders)):
            spec.links.append((first_elder + offset, 0, "儿子"))
        return spec

    def _skipped_gen(self) -> HouseholdSpec:
        grandfather, grandmother = self._couple(55, 75)
        elders = [grandfather, grandmother] if self.rng.random() < 0.6 else [grandmother]
        elders[0].relation = Relation.HEAD
        kids = []
        for _ in range(self.rng.choice([1, 1, 2])):
            kid = self.person(
                self.rng.choice("MF"), self.rng.randint(3, 14), Relation.GRANDCHILD,
                grandfather.surname,
            )  # fmt: skip
            kid.left_behind_child = True
            kids.append(kid)
        return HouseholdSpec("skipped_gen", [*elders, *kids])

    def _single_parent(self) -> HouseholdSpec:
        sex = "F" if self.rng.random() < 0.7 else "M"
        parent = self.person(sex, self.rng.randint(30, 50), Relation.HEAD, self.names.surname())
        child_age = self.rng.randint(3, min(18, parent.age(self.reference) - 20))
        child = self.person(self.rng.choice("MF"), child_age, Relation.CHILD, parent.surname)
        return HouseholdSpec("single_parent", [parent, child])

    def _dorm(self) -> HouseholdSpec:
        sex = "M" if self.rng.random() < 0.7 else "F"
        members = []
        for i in range(self.rng.randint(2, 6)):
            relation = Relation.HEAD if i == 0 else Relation.OTHER
            members.append(
                self.person(sex, self.rng.randint(18, 50), relation, self.names.surname())
            )
        return HouseholdSpec("dorm", members)

    def _maybe_wife_heads(self, members: list[Person]) -> None:
        if self.rng.random() < 0.25:
            members[0].relation, members[1].relation = Relation.SPOUSE, Relation.HEAD
            members[0], members[1] = members[1], members[0]

    # -- tags, numbers, names -------------------------------------------------------------------

    def _residence(self, floating_share: float) -> str:
        if self.rng.random() < floating_share:
            return ResidenceType.FLOATING
        return ResidenceType.REGISTERED if self.rng.random() < 0.8 else ResidenceType.PERMANENT

    def _region(self, residence: str) -> str:
        roll = self.rng.random()
        if residence == ResidenceType.REGISTERED:
            if roll < 0.55:
                return HOME_REGION
            pool = YINCHUAN_REGIONS if roll < 0.85 else NINGXIA_REGIONS
        elif residence == ResidenceType.PERMANENT:
            pool = YINCHUAN_REGIONS + NINGXIA_REGIONS if roll < 0.7 else OTHER_REGIONS
        else:
            pool = NINGXIA_REGIONS if roll < 0.5 else OTHER_REGIONS
        return self.rng.choice(pool)

    def _fill(self, spec: HouseholdSpec, residence: str) -> None:
        rng = self.rng
        region = self._region(residence)
        support = spec.kind in {"elderly_alone", "single_parent", "skipped_gen"}
        dibao = rng.random() < (0.06 if support else 0.014)
        for person in spec.members:
            age = person.age(self.reference)
            person.residence_type = residence
            person.name = self.names.full(person.sex, person.birth.year, person.surname or None)
            born_here = age < 24 and residence == ResidenceType.REGISTERED and rng.random() < 0.8
            own_region = region if rng.random() < 0.7 else self._region(residence)
            person.id_number = self.numbers.id_number(
                HOME_REGION if born_here else own_region, person.birth, person.sex
            )
            if rng.random() < _phone_share(age):
                person.phone = self.numbers.phone()
            if rng.random() < (0.05 if age >= 60 else 0.017 if age >= 14 else 0.006):
                person.disabled = True
                person.disability_level = rng.choices([1, 2, 3, 4], weights=[12, 23, 30, 35])[0]
            person.dibao = dibao
            if spec.kind == "elderly_alone" and not dibao and rng.random() < 0.015:
                person.tekun = True
            person.key_care = (
                (person.living_alone and age >= 80)
                or person.tekun
                or person.left_behind_child
                or (person.disabled and (person.disability_level or 4) <= 2 and age >= 60)
            )


def _phone_share(age: int) -> float:
    if age < 14:
        return 0.0
    if age < 18:
        return 0.5
    if age < 60:
        return 0.97
    return 0.85 if age < 75 else 0.5
