"""Writes the demo's households and residents, family links, emergency contacts, employers.

Households are spread over a community's residential buildings in proportion to their
number of dwellings; each gets a mix of members from :class:`~linli.places.demo.people.
PeopleMaker`. Identity numbers are encrypted once per person (``pii.encrypt``) and rows
are written with ``bulk_create`` in batches.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from django.contrib.auth.models import User

from linli.common import pii
from linli.orgs.models import Organization
from linli.people.models import EmergencyContact, FamilyLink, Relation, Resident
from linli.places.demo.builder import BATCH, CommunityBuild
from linli.places.demo.people import HouseholdSpec, PeopleMaker, Person
from linli.places.models import Area, Building, Household

#: Share of working-age residents (18–59) employed by a demo organisation, per community key.
EMPLOYED_SHARE = {"sq1": 0.08, "sq2": 0.55, "sq3": 0.15, "sq4": 0.85}


@dataclass
class Counts:
    households: int = 0
    residents: int = 0
    family_links: int = 0
    emergency_contacts: int = 0


@dataclass
class _Placed:
    household: Household
    spec: HouseholdSpec
    residents: list[Resident] = field(default_factory=list)


def household_counts(capacities: list[int], total: int) -> list[int]:
    """Split ``total`` households over buildings in proportion to ``capacities``.

    Largest-remainder rounding; never more than a building's capacity.
    """
    total = min(total, sum(capacities))
    cap_sum = sum(capacities) or 1
    exact = [total * c / cap_sum for c in capacities]
    counts = [int(e) for e in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _dwellings(
    building_plan_units: int, floors: int, doors: int, bungalow: bool
) -> list[tuple[str, str]]:
    if bungalow:
        return [("", f"{d}号院") for d in range(1, doors + 1)]
    return [
        (f"{u}单元" if building_plan_units > 1 else "", f"{f}{d:02d}")
        for u in range(1, building_plan_units + 1)
        for f in range(1, floors + 1)
        for d in range(1, doors + 1)
    ]


class ResidentWriter:
    """Builds and writes the population of the communities, one community at a time."""

    def __init__(self, rng: random.Random, maker: PeopleMaker, scale: float) -> None:
        self.rng = rng
        self.maker = maker
        self.scale = scale
        self.counts = Counts()

    def write(self, cb: CommunityBuild, employers: list[Organization], admin: User) -> None:
        placed = self._households(cb)
        self._residents(cb, placed, employers)
        self._heads(placed)
        self._links(cb, placed, admin)

    def _households(self, cb: CommunityBuild) -> list[_Placed]:
        plans = [bp for bp in cb.plan.buildings if bp.profile]
        total = max(1, round(cb.plan.households * self.scale))
        placed: list[_Placed] = []
        for bp, count in zip(
            plans, household_counts([bp.capacity for bp in plans], total), strict=True
        ):
            building: Building = cb.buildings[bp.name]
            slots = _dwellings(bp.units, bp.floors, bp.doors, bp.kind == "bungalow")
            for unit, room in sorted(self.rng.sample(slots, count)):
                spec = self.maker.household(bp.profile, cb.plan.floating_share)
                placed.append(_Placed(Household(building=building, unit=unit, room=room), spec))
        Household.objects.bulk_create([p.household for p in placed], batch_size=BATCH)
        self.counts.households += len(placed)
        return placed

    def _residents(
        self, cb: CommunityBuild, placed: list[_Placed], employers: list[Organization]
    ) -> None:
        share = EMPLOYED_SHARE[cb.plan.key]
        today = self.maker.reference
        rows: list[Resident] = []
        for p in placed:
            area = p.household.building.micro_grid
            for person in p.spec.members:
                employer = None
                if employers and 18 <= person.age(today) < 60 and self.rng.random() < share:
                    employer = self.rng.choice(employers)
                p.residents.append(_resident(person, area, p.household, employer))
            rows.extend(p.residents)
        Resident.objects.bulk_create(rows, batch_size=BATCH)
        self.counts.residents += len(rows)

    def _heads(self, placed: list[_Placed]) -> None:
        for p in placed:
            p.household.head = next(r for r in p.residents if r.relation_to_head == Relation.HEAD)
        Household.objects.bulk_update([p.household for p in placed], ["head"], batch_size=BATCH)

    def _links(self, cb: CommunityBuild, placed: list[_Placed], admin: User) -> None:
        """Adult children who may act for elderly parents; contacts for people living alone."""
        adults_by_surname: dict[str, list[Resident]] = {}
        for p in placed:
            for person, resident in zip(p.spec.members, p.residents, strict=True):
                if 28 <= person.age(self.maker.reference) <= 60 and resident.phone:
                    adults_by_surname.setdefault(person.surname, []).append(resident)
        links: list[FamilyLink] = []
        contacts: list[EmergencyContact] = []
        for p in placed:
            for elder_at, child_at, relation in p.spec.links:
                links.append(
                    self._link(p.residents[elder_at], p.residents[child_at], relation, admin)
                )
            for person, resident in zip(p.spec.members, p.residents, strict=True):
                if not person.living_alone:
                    continue
                child = self._child_elsewhere(person, resident, adults_by_surname, p)
                if child is not None:
                    relation = "儿子" if child.sex == "M" else "女儿"
                    links.append(self._link(resident, child, relation, admin))
                    contacts.append(
                        EmergencyContact(
                            resident=resident, name=child.name, relation=relation, phone=child.phone
                        )
                    )
                else:
                    contacts.append(self._outside_contact(person, resident))
        FamilyLink.objects.bulk_create(links, batch_size=BATCH)
        EmergencyContact.objects.bulk_create(contacts, batch_size=BATCH)
        self.counts.family_links += len(links)
        self.counts.emergency_contacts += len(contacts)

    def _child_elsewhere(
        self, person: Person, resident: Resident, adults: dict[str, list[Resident]], p: _Placed
    ) -> Resident | None:
        if person.age(self.maker.reference) < 60 or self.rng.random() > 0.45:
            return None
        # A son or unmarried daughter shares a father's surname; a mother's children need not.
        pool = (
            adults.get(person.surname, [])
            if person.sex == "M"
            else self.rng.choice(list(adults.values()) or [[]])
        )

        def plausible(child: Resident) -> bool:
            # Born to this parent between the ages of 20 and 42.
            return 20 <= child.birth_date.year - resident.birth_date.year <= 42

        candidates = [r for r in pool if r.household_id != p.household.pk and plausible(r)]
        if not candidates:
            return None
        child = self.rng.choice(candidates)
        pool.remove(child)  # one elderly parent per adult child
        return child

    def _outside_contact(self, person: Person, resident: Resident) -> EmergencyContact:
        if person.age(self.maker.reference) >= 60:
            relation = self.rng.choice(["儿子", "女儿", "女儿", "侄子", "外甥女", "邻居"])
        else:
            relation = self.rng.choice(["父亲", "母亲", "哥哥", "姐姐", "朋友"])
        sex = "M" if relation in {"儿子", "侄子", "父亲", "哥哥"} else "F"
        year = resident.birth_date.year + (28 if person.age(self.maker.reference) >= 60 else -28)
        surname = (
            person.surname if relation in {"儿子", "女儿", "侄子", "父亲", "哥哥", "姐姐"} else None
        )
        name = self.maker.names.full(sex, year, surname)
        return EmergencyContact(
            resident=resident, name=name, relation=relation, phone=self.maker.numbers.phone()
        )

    def _link(
        self, resident: Resident, relative: Resident, relation: str, admin: User
    ) -> FamilyLink:
        days = self.rng.randint(3, 700)
        consent = dt.datetime.combine(
            self.maker.reference, dt.time(9, 30), tzinfo=dt.UTC
        ) - dt.timedelta(days=days)
        revoked = consent + dt.timedelta(days=30) if self.rng.random() < 0.02 else None
        return FamilyLink(
            resident=resident,
            relative=relative,
            relation=relation,
            may_act=True,
            consent_at=consent,
            consent_recorded_by=admin,
            revoked_at=revoked,
        )


def _resident(
    person: Person, area: Area, household: Household, employer: Organization | None
) -> Resident:
    return Resident(
        name=person.name,
        id_number_encrypted=pii.encrypt(person.id_number),
        id_number_hash=pii.lookup_hash(person.id_number),
        id_number_masked=pii.mask_id_number(person.id_number),
        sex=person.sex,
        birth_date=person.birth,
        phone=person.phone,
        area=area,
        household=household,
        relation_to_head=person.relation,
        residence_type=person.residence_type,
        living_alone=person.living_alone,
        empty_nest=person.empty_nest,
        disabled=person.disabled,
        disability_level=person.disability_level,
        dibao=person.dibao,
        tekun=person.tekun,
        left_behind_child=person.left_behind_child,
        key_care=person.key_care,
        employer=employer,
    )
