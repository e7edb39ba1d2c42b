"""Demo staff accounts: one or more users for every :class:`Role`, plus the superuser.

Usernames are readable (``street_admin``, ``sq1_admin``, ``sq1_grid01_leader``,
``sq1_mg0101``); every account shares ``settings.DEMO_PASSWORD``, hashed once, and is
flagged ``StaffSecurity.demo`` (no forced password change; docs/accounts.md).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User

from linli.accounts.security import mark_demo
from linli.orgs.models import Organization
from linli.people.models import Assignment, Role
from linli.places.demo.builder import CommunityBuild, DemoError
from linli.places.demo.names import NameMaker
from linli.places.models import Area

SUPERUSER = "admin"
#: Demo accounts carry ``<username>@demo.linli.invalid`` (RFC 2606 reserves ``.invalid``, so
#: no mail is ever sent); ``--reset`` deletes exactly these accounts.
DEMO_EMAIL_DOMAIN = "demo.linli.invalid"


@dataclass(frozen=True)
class StaffPlan:
    username: str
    role: str
    area: Area
    organization: Organization | None = None


def staff_plans(street: Area, builds: list[CommunityBuild]) -> list[StaffPlan]:
    """Who gets an account, in which role and area (the superuser is added separately)."""
    sq1, sq2, sq3, sq4 = builds
    plans = [StaffPlan("street_admin", Role.STREET_ADMIN, street)]
    plans.append(StaffPlan("dispatcher", Role.DISPATCHER, street))
    plans.append(StaffPlan("provider", Role.PROVIDER_STAFF, street, sq1.orgs["provider"]))
    plans.append(StaffPlan("housekeeper", Role.PROVIDER_STAFF, street, sq1.orgs["housekeeping"]))
    for cb in builds:
        key = cb.plan.key
        plans.append(StaffPlan(f"{key}_admin", Role.COMMUNITY_ADMIN, cb.area))
        plans.append(StaffPlan(f"{key}_grid01_worker", Role.GRID_WORKER, cb.grids[0]))
        plans.append(StaffPlan(f"{key}_mg0101", Role.MICRO_GRID_WORKER, cb.micro_grids[0]))
        plans.append(StaffPlan(f"{key}_volunteer", Role.VOLUNTEER, cb.area))
        if "property" in cb.orgs:
            plans.append(
                StaffPlan(f"{key}_property", Role.PROPERTY_STAFF, cb.area, cb.orgs["property"])
            )
    for g, grid in enumerate(sq1.grids, 1):
        plans.append(StaffPlan(f"sq1_grid{g:02d}_leader", Role.GRID_LEADER, grid))
    per_grid = sq1.plan.mg_cols * sq1.plan.mg_rows
    for g, m in [(1, 2), (1, 3), (1, 4), (2, 1), (2, 2)]:
        mg = sq1.micro_grids[(g - 1) * per_grid + m - 1]
        plans.append(StaffPlan(f"sq1_mg{g:02d}{m:02d}", Role.MICRO_GRID_WORKER, mg))
    plans += [
        StaffPlan("sq1_police", Role.POLICE, sq1.area),
        StaffPlan("sq1_emergency", Role.EMERGENCY_TEAM, sq1.area),
        StaffPlan("sq2_enterprise", Role.ENTERPRISE_CONTACT, sq2.area, sq2.enterprises[0]),
        StaffPlan("sq2_health_check", Role.ENTERPRISE_CONTACT, sq2.area, sq2.orgs["health_check"]),
        StaffPlan(
            "sq3_social", Role.SOCIAL_ENTERPRISE_STAFF, sq3.area, sq3.orgs["social_enterprise"]
        ),
        StaffPlan("sq4_concrete", Role.ENTERPRISE_CONTACT, sq4.area, sq4.orgs["concrete"]),
        StaffPlan("sq4_police", Role.POLICE, sq4.area),
    ]
    return plans


def build_staff(plans: list[StaffPlan], names: NameMaker, rng: random.Random) -> dict[str, User]:
    """Users and assignments for ``plans`` plus the superuser; returns users by username."""
    password = make_password(settings.DEMO_PASSWORD)
    wanted = [SUPERUSER, *(p.username for p in plans)]
    taken = set(User.objects.filter(username__in=wanted).values_list("username", flat=True))
    if taken - {SUPERUSER}:
        raise DemoError(f"以下用户名已被占用，无法创建演示账号：{'、'.join(sorted(taken))}")
    users = [
        User(
            username=SUPERUSER,
            first_name="系统管理员",
            email=f"{SUPERUSER}@{DEMO_EMAIL_DOMAIN}",
            is_staff=True,
            is_superuser=True,
            password=password,
        )
    ]
    if SUPERUSER in taken:  # an administrator created before the demo keeps their account
        users.clear()
    for plan in plans:
        sex = rng.choice("MF")
        users.append(
            User(
                username=plan.username,
                first_name=names.full(sex, rng.randint(1968, 2000)),
                email=f"{plan.username}@{DEMO_EMAIL_DOMAIN}",
                is_staff=True,
                password=password,
            )
        )
    User.objects.bulk_create(users)
    by_name = {u.username: u for u in User.objects.filter(username__in=[u.username for u in users])}
    # Demo log-ins share a published password: flagged demo, they skip the forced change.
    mark_demo(by_name.values())
    Assignment.objects.bulk_create(
        [
            Assignment(
                user=by_name[p.username], area=p.area, role=p.role, organization=p.organization
            )
            for p in plans
        ]
    )
    return by_name


def login_rows() -> list[tuple[str, str, str, str]]:
    """(username, name, role in Chinese, area) of every active staff user, read from the database.

    Ordered by role (the order of :class:`Role`, superusers first), then username; a user
    with several assignments has one row per assignment.
    """
    order = {role: i for i, role in enumerate(Role.values)}
    rows: list[tuple[int, str, str, str, str]] = []
    assignments = Assignment.objects.filter(user__is_active=True, user__is_staff=True)
    for a in assignments.select_related("user", "area", "organization"):
        area = a.area.name + (f"（{a.organization.name}）" if a.organization else "")
        rows.append(
            (order.get(a.role, 99), a.user.username, a.user.first_name, a.get_role_display(), area)
        )
    for user in User.objects.filter(is_superuser=True, is_active=True):
        rows.append((-1, user.username, user.first_name, "超级管理员", "全部区域"))
    rows.sort()
    return [row[1:] for row in rows]
