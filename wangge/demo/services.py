"""Writing the demo district to the database, wiping it, and listing its log-ins.

The plan comes from `wangge.demo.generator`; here it is written in one
transaction with one bulk insert per level, so ~550 grids, ~700 staff and
~5,000 team members take seconds, not minutes. Every user gets the same
password hash, computed once (Argon2 is slow on purpose).
"""
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, Q

from wangge.areas import locate
from wangge.areas.models import LEVEL_ORDER, GridTeamMember, Level, Region, make_path
from wangge.core.audit import record
from wangge.core.models import AuditEntry, Department, User
from wangge.core.roles import Role
from wangge.demo import cards as demo_cards
from wangge.demo import cases as demo_cases
from wangge.demo import devices as demo_devices
from wangge.demo import mediation as demo_mediation
from wangge.demo import people as base_data
from wangge.demo.generator import DEMO_PASSWORD, DISTRICT_CODE, DemoPlan
from wangge.insight.assessment import demo as assessment_demo
from wangge.sensing.models import Card

BATCH = 500

# The order and labels of the log-in table.
LOGIN_ROLES = (
    (Role.ADMINISTRATOR, "管理员 administrator"),
    (Role.DISTRICT_OPERATOR, "区综治中心 district operator"),
    (Role.STREET_OPERATOR, "街道 street operator"),
    (Role.COMMUNITY_OPERATOR, "社区 community operator"),
    (Role.GRID_WORKER, "网格员 grid worker"),
    (Role.DEPARTMENT_HANDLER, "职能部门 department handler"),
    (Role.MEDIATOR, "调解员 mediator"),
)
USERNAME_PATTERNS = {
    Role.STREET_OPERATOR: "street + 街道代码后3位",
    Role.COMMUNITY_OPERATOR: "comm + 社区代码后6位",
    Role.GRID_WORKER: "grid + 网格代码后9位",
    Role.DEPARTMENT_HANDLER: "dept_ + 部门代码",
    Role.MEDIATOR: "mediator1…",
}


class DemoError(Exception):
    pass


@dataclass
class LoadResult:
    district: Region
    counts: dict
    skipped_users: list


def demo_district(code: str = DISTRICT_CODE) -> Region | None:
    return Region.objects.filter(code=code).first()


def is_loaded(code: str = DISTRICT_CODE) -> bool:
    """The demo counts as loaded once its district has grids."""
    district = demo_district(code)
    return bool(district) and Region.objects.filter(level=Level.GRID, path__startswith=district.path).exists()


def loaded_seed(code: str = DISTRICT_CODE):
    district = demo_district(code)
    if district is None:
        return None
    entry = AuditEntry.objects.filter(operation="demo.load", object_type="areas.region",
                                      object_id=str(district.pk)).first()
    return entry.details.get("seed") if entry else None


def people_loaded(code: str = DISTRICT_CODE) -> bool:
    district = demo_district(code)
    return bool(district) and base_data.has_base_data(district)


def load(plan: DemoPlan, force: bool = False, people: int = 0, cases: int | None = 0,
         disputes: int | None = 0) -> LoadResult | None:
    """Write the plan in one transaction, with `people` synthetic residents and their
    buildings, houses, tags and visits (`wangge.demo.people`) when asked, and a year of
    synthetic cases (`wangge.demo.cases`): `cases` of them, None for the default per grid, 0 for none;
    likewise committees, mediators and a year of `disputes` (`wangge.demo.mediation`, None: per community).
    Returns None if the district was already loaded (and not `force`)."""
    try:
        return _load(plan, force, people, cases, disputes)
    except IntegrityError as exc:  # foreign keys are checked at commit
        raise DemoError(f"the demo district could not be written ({exc}); other records may still refer to it "
                        "/ 演示区写入失败，可能仍有其他数据引用演示区") from exc


def _load(plan: DemoPlan, force: bool, people: int, cases: int | None, disputes: int | None) -> LoadResult | None:
    with transaction.atomic():
        if is_loaded(plan.district.code):
            if not force:
                return None
            wipe(plan.district.code)
        regions = _write_regions(plan)
        district = regions[plan.district.code]
        departments = _write_departments(plan, district)
        users, skipped = _write_staff(plan, regions, departments)
        team = _write_team(plan, regions, users)
        counts = {
            "streets": len(plan.by_level(Level.STREET)),
            "communities": len(plan.by_level(Level.COMMUNITY)),
            "grids": len(plan.by_level(Level.GRID)),
            "households": district.households,
            "departments": len(departments),
            "users": len(users),
            "team_members": team,
        }
        record(None, "demo.load", district, seed=plan.seed, force=force, **counts)
        if people:
            counts.update(base_data.load_base_data(district, plan.seed, people))
            counts.update(demo_devices.load_devices(district, plan.seed))
            counts.update(demo_cards.load_cards(district, plan.seed))
        if cases != 0:
            counts.update(demo_cases.load_cases(district, plan.seed, cases))
        if disputes != 0:
            counts.update(demo_mediation.load_disputes(district, plan.seed, disputes))
    locate.invalidate()
    return LoadResult(district, counts, skipped)


def load_people(seed: int, people: int, code: str = DISTRICT_CODE) -> dict | None:
    """Add the base data to a district loaded without it; None if it has people already."""
    with transaction.atomic():
        district = demo_district(code)
        if district is None or not is_loaded(code) or base_data.has_base_data(district):
            return None
        counts = base_data.load_base_data(district, seed, people)
        counts.update(demo_devices.load_devices(district, seed))
        counts.update(demo_cards.load_cards(district, seed))
        return counts


def devices_loaded(code: str = DISTRICT_CODE) -> bool:
    district = demo_district(code)
    return bool(district) and demo_devices.has_devices(district)


def load_devices(seed: int, code: str = DISTRICT_CODE) -> dict | None:
    """Add the devices (and the rental marks) to a district loaded with base data but without them."""
    with transaction.atomic():
        district = demo_district(code)
        if district is None or not base_data.has_base_data(district) or demo_devices.has_devices(district):
            return None
        counts = demo_devices.load_devices(district, seed)
        if not Card.objects.filter(grid__path__startswith=district.path).exists():
            counts.update(demo_cards.load_cards(district, seed))
        return counts


def cases_loaded(code: str = DISTRICT_CODE) -> bool:
    district = demo_district(code)
    return bool(district) and demo_cases.has_cases(district)


def load_cases(seed: int, cases: int | None = None, code: str = DISTRICT_CODE) -> dict | None:
    """Add the year of cases to a district loaded without them; None if it has cases already."""
    with transaction.atomic():
        district = demo_district(code)
        if district is None or not is_loaded(code) or demo_cases.has_cases(district):
            return None
        return demo_cases.load_cases(district, seed, cases)


def disputes_loaded(code: str = DISTRICT_CODE) -> bool:
    district = demo_district(code)
    return bool(district) and demo_mediation.has_disputes(district)


def load_disputes(seed: int, disputes: int | None = None, code: str = DISTRICT_CODE) -> dict | None:
    """Add committees, mediators and the year of disputes to a district loaded without them; None if it has
    disputes already."""
    with transaction.atomic():
        district = demo_district(code)
        if district is None or not is_loaded(code) or demo_mediation.has_disputes(district):
            return None
        return demo_mediation.load_disputes(district, seed, disputes)


def _write_regions(plan: DemoPlan) -> dict[str, Region]:
    """Bulk insert level by level (parents first); nodes that already exist keep their row and name."""
    codes = [r.code for r in plan.regions]
    regions = Region.objects.filter(code__in=codes).in_bulk(field_name="code")
    for level in LEVEL_ORDER:
        rows = [r for r in plan.regions if r.level == level]
        new, changed = [], []
        for row in rows:
            node = regions.get(row.code)
            if node is None:
                parent = regions[row.parent_code] if row.parent_code else None
                node = Region(code=row.code, name=row.name, level=row.level, parent=parent,
                              path=make_path(parent.path if parent else None, row.code))
                new.append(node)
            elif row.polygon is not None or row.households is not None:
                changed.append(node)
            else:
                continue
            node.polygon = row.polygon
            node.households = row.households
            node.center_lng, node.center_lat = row.center or (None, None)
        Region.objects.bulk_create(new, batch_size=BATCH)
        Region.objects.bulk_update(changed, ["polygon", "households", "center_lng", "center_lat"], batch_size=BATCH)
        if any(node.pk is None for node in new):  # backends that do not return ids from bulk inserts
            regions.update(Region.objects.filter(code__in=[r.code for r in rows]).in_bulk(field_name="code"))
        else:
            regions.update({node.code: node for node in new})
    return regions


def _write_departments(plan: DemoPlan, district: Region) -> dict[str, Department]:
    existing = Department.objects.filter(code__in=[code for code, _ in plan.departments]).in_bulk(field_name="code")
    new = [Department(code=code, name=name, region=district) for code, name in plan.departments
           if code not in existing]
    Department.objects.bulk_create(new)
    return Department.objects.filter(code__in=[code for code, _ in plan.departments]).in_bulk(field_name="code")


def _write_staff(plan: DemoPlan, regions, departments) -> tuple[dict[str, User], list[str]]:
    """All demo users share one password hash. A username that is already taken is left alone."""
    password = make_password(DEMO_PASSWORD)
    taken = set(User.objects.filter(username__in=[s.username for s in plan.staff]).values_list("username", flat=True))
    users = [
        User(username=s.username, password=password, role=s.role, full_name=s.full_name, phone=s.phone,
             region=regions[s.region_code] if s.region_code else None,
             department=departments[s.department_code] if s.department_code else None,
             is_staff=s.is_staff, is_superuser=s.is_superuser)
        for s in plan.staff if s.username not in taken
    ]
    User.objects.bulk_create(users, batch_size=BATCH)
    by_name = User.objects.filter(username__in=[u.username for u in users]).in_bulk(field_name="username")
    return by_name, sorted(taken)


def _write_team(plan: DemoPlan, regions, users) -> int:
    members = [
        GridTeamMember(grid=regions[m.grid_code], role=m.role, name=m.name, phone=m.phone,
                       user=users.get(m.username) if m.username else None)
        for m in plan.team
    ]
    GridTeamMember.objects.bulk_create(members, batch_size=BATCH * 2)
    return len(members)


def wipe(code: str = DISTRICT_CODE) -> None:
    """Delete the district's base data, staff, departments, teams and regions (bottom up); keep shared
    ancestors in use."""
    district = demo_district(code)
    if district is None:
        return
    prefix = district.path
    try:
        with transaction.atomic():
            assessment_demo.wipe(district)  # scores point at staff, regions and departments
            demo_devices.wipe_sensing(district)  # first: alerts point at cases, devices, buildings and people
            demo_mediation.wipe_disputes(district)  # disputes point at cases, people and staff
            demo_cases.wipe_cases(district)
            base_data.wipe_base_data(district)
            GridTeamMember.objects.filter(grid__path__startswith=prefix).delete()
            User.objects.filter(Q(region__path__startswith=prefix)
                                | Q(department__region__path__startswith=prefix)).delete()
            Department.objects.filter(region__path__startswith=prefix).delete()
            for level in reversed(LEVEL_ORDER):
                Region.objects.filter(level=level, path__startswith=prefix).delete()
            ancestor = district.parent
            while ancestor is not None and not ancestor.children.exists():
                parent = ancestor.parent
                ancestor.delete()
                ancestor = parent
    except ProtectedError as exc:
        names = sorted({obj._meta.verbose_name for obj in exc.protected_objects})
        raise DemoError(f"other records still refer to the demo district ({', '.join(map(str, names))}); "
                        "remove them first / 仍有其他数据引用演示区划，无法清除") from exc
    except IntegrityError as exc:
        raise DemoError(f"other records still refer to the demo district ({exc}); remove them first "
                        "/ 仍有其他数据引用演示区划，无法清除") from exc
    locate.invalidate()


def login_rows(code: str = DISTRICT_CODE) -> list[tuple[str, str, str, str]]:
    """(role, username, password, where) for the first demo user of each role, with how many there are."""
    district = demo_district(code)
    if district is None:
        return []
    scoped = User.objects.filter(Q(region__path__startswith=district.path)
                                 | Q(department__region__path__startswith=district.path))
    rows = []
    for role, label in LOGIN_ROLES:
        users = scoped.filter(role=role).select_related("region", "department").order_by("username")
        first = _busiest(users) if role in (Role.GRID_WORKER, Role.DEPARTMENT_HANDLER) else users.first()
        if first is None:
            continue
        where = first.department.name if first.department_id else first.region.name
        count = users.count()
        if count > 1:
            where += f"（共 {count} 个：{USERNAME_PATTERNS.get(role, '')}）"
        rows.append((label, first.username, DEMO_PASSWORD, where))
    return rows


def _busiest(users):
    """The user with the most cases waiting on their work home (dispatched to their grid or department, to accept
    or to handle), the first by name among equals: the account printed for a role opens on work, not on an empty
    list."""
    from django.db.models import Count

    from wangge.cases.models import Case, State

    waiting = Case.objects.filter(state__in=(State.DISPATCHED, State.ACCEPTED))
    by_region = dict(waiting.exclude(assignee_region=None).values_list("assignee_region").annotate(n=Count("pk")))
    by_department = dict(waiting.exclude(assignee_department=None).values_list("assignee_department")
                         .annotate(n=Count("pk")))
    # max() keeps the first of equal keys, and the users come ordered by name
    return max(users, key=lambda u: by_region.get(u.region_id, 0) + by_department.get(u.department_id, 0),
               default=None)


def format_logins(rows) -> str:
    headers = ("角色 role", "用户名 username", "密码 password", "所辖 where")
    widths = [max(_width(r[i]) for r in [headers, *rows]) for i in range(3)]
    lines = []
    for row in [headers, *rows]:
        cells = [row[i] + " " * (widths[i] - _width(row[i])) for i in range(3)]
        lines.append("  ".join([*cells, row[3]]))
    return "\n".join(lines)


def _width(text: str) -> int:
    """Columns a string takes in a terminal: CJK characters take two."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
