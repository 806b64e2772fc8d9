"""A year of synthetic cases (事件) in the demo district, so every page and measure has something to show.

`plan_cases()` builds the rows in memory from the seed, the district's grids, staff, departments and the
category catalogue; `load_cases()` writes them. Same seed, same `now`, same cases (tracking codes aside:
they come from `services.new_tracking_code`, which is random on purpose, since a code is what lets a
citizen read a case).

How a case is made: a channel (grid worker most, then citizen, 12345, device, other system, leader), a
category (市容环境 and 街面秩序 most; devices report what a sensor or a camera can see), a grid (by its
households; every grid gets at least one), a random point inside it and a time in the last year (fewer on
non-working days and at night). Then its life is walked step by step through the workflow table
(`wangge.cases.workflow.TRANSITIONS`) by the right demo staff: the grid's worker reports, may escalate to
the community and may resolve on the spot (自行处置); the community's operator (or the street's, once
escalated; the district's for 12345 and leader-assigned cases) registers, rejects or merges a duplicate,
dispatches to the category's department (some disputes and errands to the grid's worker), verifies,
sends back for rework and pays the return visit; the department's handler accepts, returns, asks for
more time and handles; the district operator urges and supervises late work. Deadlines are the
category's limits counted in working time (`wangge.core.workdays`), an extension moves handle_by, closing
sets on_time as the verify_close effect (cases/services.py) does. A step that would fall after `now` is
not taken, so the latest cases are still open, and some of them are already past accept_by or handle_by: the
poller flags those on its first run (unsigned_flagged_at and overdue_flagged_at are left empty on purpose).

Written by the one bulk writer (`wangge.core.bulk`: one insert per table, executemany on SQLite, COPY
on PostgreSQL, the tables analysed after) with primary keys handed out up front, not through
`services.do_act`: tens of thousands of steps each with its own transaction, version claim and audit row
would take minutes. No audit rows are written for this
history (it is synthetic history, not operations): one audit row records the load. The tests replay
every generated timeline over the workflow table, so this path cannot take a step the table refuses.
"""
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace

import shapely
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from shapely.geometry import shape

from wangge.areas.models import Level, Region
from wangge.cases.models import Case, CaseCounter, CaseEvent, CasePhoto, Category, Channel, Priority, State
from wangge.cases.services import new_tracking_code
from wangge.cases.workflow import TRANSITIONS
from wangge.core import workdays
from wangge.core.audit import record
from wangge.core.bulk import BulkWriter, Table, catch_up_sequences, first_free_id
from wangge.core.models import Department, User
from wangge.core.roles import Role
from wangge.core.workdays import WORKING_PERIODS, add_working_days, local_zone
from wangge.demo import names
from wangge.demo.walk import Later as _Later
from wangge.demo.walk import Run, report_moment

CASES_PER_GRID = 36  # 550 grids: about 20,000 cases a year
DAYS = 365
PHONE_START = 800_000  # callers' and citizens' phones, after the staff's and the residents' in 199-00xx-xxxx

CHANNELS = ((Channel.GRID_WORKER, 44), (Channel.CITIZEN, 22), (Channel.HOTLINE_12345, 17), (Channel.DEVICE, 9),
            (Channel.OTHER_SYSTEM, 5), (Channel.LEADER, 3))
MAJOR_WEIGHTS = {"01": 24, "04": 20, "02": 7, "03": 7, "05": 8, "06": 3, "07": 4, "11": 7, "12": 3, "13": 6,
                 "14": 1, "15": 6, "16": 4}
# What a sensor or a camera can report (积水/井盖/烟感/燃气 alarms, video analytics).
# When in the day a channel's reports come (earliest, latest, likeliest minute); devices around the clock.
REPORT_MINUTES = {Channel.DEVICE: None, Channel.CITIZEN: (7 * 60, 23 * 60, 13 * 60)}
OFFICE_MINUTES = (8 * 60, 20 * 60, 11 * 60)
DEVICE_MAJORS = {"01", "03", "04", "05", "06", "13"}
# A labelled synthetic hot spot, so the early-warning board has something real to find (docs/early-warning.md): a
# night market spreading over a grid and its neighbours, street-order reports (街面秩序, major "04") in the last
# three weeks, about 0.2 % of the cases (≈40 of 19,800), taken out of the random ones so the total is unchanged.
CLUSTER_MAJOR = "04"
CLUSTER_DAYS = 21
CLUSTER_SHARE = 0.002
CLUSTER_MIN = 30  # a small demo (a few streets) still gets a cluster the analysis can tell from noise
CLUSTER_CENTRE_SHARE = 0.4
CLUSTER_NOTE = "（演示数据：夜市占道聚集，供研判预警热点演示）"
# Cases a community usually gives its own grid worker rather than a department.
GRID_TASK_MAJORS = {"11", "15", "16"}

# Outcome shares (of the cases that get that far).
SELF_RESOLVE = 0.22  # of grid workers' reports in a category a worker can settle on the spot
SELF_RESOLVE_MAJORS = {"01", "02", "04", "07", "11"}
ESCALATE_TO_COMMUNITY = 0.08  # of grid workers' reports
ESCALATE_TO_STREET = 0.05
REJECT = 0.04
DUPLICATE_OF_RECENT = 0.6  # of reports with an earlier one of the same category in the grid within 7 days
RETURN = 0.06
LATE_ACCEPT = 0.08
EXTENSION = 0.05
EXTENSION_APPROVED = 0.75
LATE_HANDLE = 0.09
REWORK = 0.05
RATED = 0.7
STALL_DAYS = 30  # cases this recent may stall (nobody signs, or nobody handles) and stay open
STALL = 0.12

REJECT_REASONS = ("不属于受理范围", "经现场核实问题不存在", "信息不全，无法核实",
                  "属司法程序处理事项，已告知当事人途径")
RETURN_REASONS = ("非本部门职责", "地址有误，请核实后重新派遣", "属属地管理事项，请社区处置",
                  "权属不清，请先核实产权单位")
EXTENSION_REASONS = ("需协调产权单位", "材料到货需时", "涉及多部门，需联合处置", "连续降雨无法施工")
DENY_REASONS = ("可按期完成，请加快办理", "延期理由不充分")
REWORK_REASONS = ("现场复核仍有问题", "处置不彻底，请返工", "群众反映问题未解决")
URGE_NOTES = ("请尽快签收", "已超时未签收，请立即签收")
SUPERVISE_NOTES = ("已超期，请加快办理", "群众多次反映，请限期办结", "区综治中心督办，请今日反馈")
SELF_RESOLUTIONS = ("当场劝离", "已现场清理", "已联系物业当场处理", "已劝导商户归店经营", "已当场调解，双方达成一致")
FEEDBACK = {
    "01": ("已安排环卫清运，现场已清洁", "已责令商户整改，油烟净化器已清洗"),
    "02": ("已清除小广告", "已拆除违规广告牌"),
    "03": ("已责令施工单位整改，落实降尘措施", "已立案查处，责令限期拆除"),
    "04": ("已劝导摊贩离开，现场恢复正常", "已清理乱停放车辆并规范摆放"),
    "05": ("已更换井盖", "已抢修恢复", "已修复路面"),
    "06": ("已维修恢复正常", "已更换损坏设施"),
    "07": ("已清理绿地", "已扶正树木并加固", "已恢复绿化"),
    "11": ("已组织双方调解，达成协议", "已引导当事人通过法律途径解决"),
    "12": ("已核查处置", "已移交派出所跟进"),
    "13": ("已清理通道", "已督促整改并复查", "已关阀维修，隐患消除"),
    "14": ("已联系监护人及社区医生上门", "已落实管控措施"),
    "15": ("已协助办理", "已告知办理流程并代办"),
    "16": ("已电话答复", "已上门解释政策"),
}
DETAILS = {
    "01": ("路边有垃圾堆放，影响市容", "垃圾桶满溢未及时清运", "商户油烟直排"),
    "02": ("墙面张贴大量小广告", "广告牌破损有坠落风险"),
    "03": ("夜间施工噪音扰民", "工地出入口车辆带泥上路", "疑似违法搭建"),
    "04": ("流动摊贩占道经营", "商户店外摆放商品", "共享单车乱停放堵塞人行道"),
    "05": ("井盖缺失，存在安全隐患", "路灯夜间不亮", "路面坑洼积水"),
    "06": ("信号灯不亮", "护栏被撞损坏"),
    "07": ("绿地内垃圾较多", "大风后树木倒伏", "绿地被占用堆物"),
    "11": ("邻里因噪音发生争执", "业主与物业因收费发生纠纷", "工人反映工资被拖欠"),
    "12": ("有可疑人员在小区内徘徊", "出租屋内居住人员较多"),
    "13": ("消防通道被车辆堵塞", "楼道内电动车充电", "闻到燃气异味"),
    "14": ("关注对象情绪异常", "关注对象未按时报到"),
    "15": ("居民咨询低保申请", "居民咨询社保转移", "老人需要代办证照"),
    "16": ("居民咨询相关政策",),
}
RATING_NOTES = {"satisfied": ("处理及时，满意", "感谢网格员", ""), "basically": ("处理稍慢", ""),
                "unsatisfied": ("处理不彻底", "等待时间过长")}


# --------------------------------------------------------------------- context


@dataclass
class _Grid:
    region: Region
    community: Region
    street: Region
    polygon: object  # prepared shapely geometry
    households: int
    worker: User | None
    roads: list


@dataclass
class _World:
    district: Region
    grids: list
    operators: dict  # region id -> first operator of that region (by username)
    district_operator: User | None
    system: User | None
    department_users: dict  # department id -> handler
    departments_by_code: dict  # code -> Department of the district
    categories: list
    category_weights: list
    device_categories: list
    device_weights: list


def _world(district: Region) -> _World:
    regions = list(Region.objects.filter(path__startswith=district.path).order_by("path"))
    by_id = {r.pk: r for r in regions}
    users = list(User.objects.filter(Q(region__path__startswith=district.path)
                                     | Q(department__region__path__startswith=district.path), is_active=True)
                 .order_by("username"))
    operators, workers, department_users, system = {}, {}, {}, None
    for user in users:
        if user.role in (Role.DISTRICT_OPERATOR, Role.STREET_OPERATOR, Role.COMMUNITY_OPERATOR):
            operators.setdefault(user.region_id, user)
        elif user.role == Role.GRID_WORKER:
            workers.setdefault(user.region_id, user)
        elif user.role == Role.DEPARTMENT_HANDLER:
            department_users.setdefault(user.department_id, user)
        elif user.role == Role.SYSTEM and system is None:
            system = user
    grids = []
    road_rng = random.Random(f"wangge-demo:{district.code}:roads")
    for region in regions:
        if region.level != Level.GRID or not region.polygon:
            continue
        polygon = shape(region.polygon)
        shapely.prepare(polygon)
        community = by_id[region.parent_id]
        grids.append(_Grid(region, community, by_id[community.parent_id], polygon, region.households or 400,
                           workers.get(region.pk), [names.road_name(road_rng) for _ in range(3)]))
    departments = {d.code: d for d in Department.objects.filter(region__path__startswith=district.path)
                   .select_related("region").order_by("code")}
    categories = list(Category.objects.filter(active=True, major__active=True)
                      .select_related("major").order_by("major__code", "code"))
    per_major = Counter(c.major.code for c in categories)
    weights = [MAJOR_WEIGHTS.get(c.major.code, 2) / per_major[c.major.code] for c in categories]
    device = [(c, w) for c, w in zip(categories, weights) if c.major.code in DEVICE_MAJORS]
    return _World(district, grids, operators, operators.get(district.pk), system, department_users, departments,
                  categories, weights, [c for c, _ in device], [w for _, w in device])


# ------------------------------------------------------------------ the clock


class Clock:
    """`wangge.core.workdays`' working time with each day looked up once.

    Same rules and results as workdays.add_working_hours / working_hours_between / add_working_days (a test
    compares them on random inputs); those ask the calendar again for every day they pass, which is most of
    the time of a plan of 20,000 cases.
    """

    def __init__(self):
        self.zone = local_zone()
        self._periods = {}
        self._days = {}

    def periods(self, day):
        """The day's working periods as aware datetimes, or () on a non-working day."""
        found = self._periods.get(day)
        if found is None:
            found = tuple((datetime.combine(day, begin, tzinfo=self.zone), datetime.combine(day, end, tzinfo=self.zone))
                          for begin, end in WORKING_PERIODS) if workdays.is_workday(day) else ()
            self._periods[day] = found
        return found

    def add_hours(self, start, hours):
        return workdays.add_hours_over(self.periods, start.astimezone(self.zone), hours)

    def hours_between(self, a, b):
        return workdays.hours_over(self.periods, a.astimezone(self.zone), b.astimezone(self.zone))

    def add_days(self, start, days):
        local = start.astimezone(self.zone)
        key = (local.date(), local.time() > WORKING_PERIODS[0][0], days)  # all add_working_days looks at
        found = self._days.get(key)
        if found is None:
            found = self._days[key] = add_working_days(start, days)
        return found


# ------------------------------------------------------------------ the walk


class _CaseRun(Run):
    """One case being walked through the workflow: its row (attribute names as stored) and its timeline."""

    transitions = TRANSITIONS

    @property
    def state(self):
        return self.row.state


class _Planner:
    def __init__(self, world: _World, seed: int, now: datetime):
        self.world = world
        self.seed = seed
        self.now = timezone.localtime(now, local_zone())
        self.rng = random.Random(f"wangge-demo:{seed}:cases")
        self.phones = names.PhoneBook(PHONE_START)
        self.clock = Clock()
        self.issued: set[str] = set()  # work-order numbers given out: unique per channel, as the systems issue them

    # -- time

    def handle_by(self, category, priority, start):
        days = category.urgent_handle_within_days if priority == Priority.URGENT else category.handle_within_days
        return self.clock.add_days(start, days)

    def work(self, start, hours):
        return self.clock.add_hours(start, max(hours, 0.02))

    def report_time(self, day_weights, days, channel):
        return report_moment(self.rng, self.now, days, day_weights, REPORT_MINUTES.get(channel, OFFICE_MINUTES))

    # -- the plan

    def specs(self, count):
        """(grid, channel, category, reported_at, duplicate_of) for `count` cases, oldest first."""
        rng, world = self.rng, self.world
        today = self.now.date()
        days = [today - timedelta(days=n) for n in range(DAYS)]
        day_weights = [(1.0 if self.clock.periods(d) else 0.55) * (1.15 if d.month in (6, 7, 8) else 1.0) for d in days]
        grid_weights = [g.households for g in world.grids]
        picked = list(world.grids) if count >= len(world.grids) else []
        cluster = max(int(count * CLUSTER_SHARE), CLUSTER_MIN) if count >= 1000 else 0
        picked += rng.choices(world.grids, weights=grid_weights, k=count - len(picked) - cluster)
        channels, channel_weights = zip(*CHANNELS)
        specs = []
        for grid in picked:
            channel = rng.choices(channels, weights=channel_weights)[0]
            if channel == Channel.GRID_WORKER and grid.worker is None:
                channel = Channel.HOTLINE_12345
            if channel in (Channel.DEVICE, Channel.OTHER_SYSTEM) and world.system is None:
                channel = Channel.HOTLINE_12345
            if channel in (Channel.HOTLINE_12345, Channel.LEADER) and world.district_operator is None:
                channel = Channel.CITIZEN  # a district loaded without its staff: only what needs no account
            if channel == Channel.DEVICE and world.device_categories:
                category = rng.choices(world.device_categories, weights=world.device_weights)[0]
            else:
                category = rng.choices(world.categories, weights=world.category_weights)[0]
            specs.append(SimpleNamespace(grid=grid, channel=channel, category=category,
                                         at=self.report_time(day_weights, days, channel), duplicate_of=None,
                                         original=False))
        specs += self.cluster_specs(cluster, days, day_weights)
        specs.sort(key=lambda s: s.at)
        # Duplicates: a later report of the same problem (same grid and category, within 7 days).
        recent = defaultdict(list)
        for spec in specs:
            key = (spec.grid.region.pk, spec.category.pk)
            earlier = [s for s in recent[key] if spec.at - s.at <= timedelta(days=7) and s.duplicate_of is None]
            recent[key] = earlier + [spec]
            if earlier and rng.random() < DUPLICATE_OF_RECENT and spec.channel != Channel.LEADER \
                    and not getattr(spec, "cluster", False):  # the demo cluster: distinct problems, not repeats
                spec.duplicate_of = rng.choice(earlier)
                spec.duplicate_of.original = True
        return specs

    def cluster_specs(self, count, days, day_weights):
        """`count` street-order reports in the last CLUSTER_DAYS around one grid (CLUSTER_CENTRE_SHARE of them in
        it, the rest in the grids touching it): the demo's labelled hot spot."""
        rng, world = self.rng, self.world
        majors = [c for c in world.categories if c.major.code == CLUSTER_MAJOR]
        if not count or not majors or len(world.grids) < 5:
            return []
        neighbours = {}
        for grid in world.grids:
            around = [g for g in world.grids if g is not grid and g.polygon.intersects(grid.polygon)]
            if len(around) >= 4:
                neighbours[grid.region.pk] = (grid, around)
        if not neighbours:
            return []
        centre, around = neighbours[rng.choice(sorted(neighbours))]
        in_centre = max(1, round(count * CLUSTER_CENTRE_SHARE))
        grids = [centre] * in_centre + [around[i % len(around)] for i in range(count - in_centre)]
        channel = Channel.GRID_WORKER if centre.worker is not None else Channel.CITIZEN
        return [SimpleNamespace(grid=grid, channel=channel if grid.worker is not None else Channel.CITIZEN,
                                category=rng.choice(majors), duplicate_of=None, original=False, cluster=True,
                                at=self.report_time(day_weights[:CLUSTER_DAYS], days[:CLUSTER_DAYS], channel))
                for grid in grids]

    # -- one case

    def case(self, spec):
        rng, world = self.rng, self.world
        grid, category, channel, t0 = spec.grid, spec.category, spec.channel, spec.at
        priority = category.default_priority
        if priority == Priority.NORMAL and channel in (Channel.HOTLINE_12345, Channel.LEADER) and rng.random() < 0.08:
            priority = Priority.URGENT
        if spec.duplicate_of is not None:
            original = spec.duplicate_of.row
            lng = original.lng + rng.uniform(-0.0004, 0.0004)
            lat = original.lat + rng.uniform(-0.0004, 0.0004)
            if not shapely.contains_xy(grid.polygon, lng, lat):
                lng, lat = original.lng, original.lat
            address = original.address
        else:
            lng, lat = self.point_in(grid)
            address = f"{rng.choice(grid.roads)}{rng.randint(1, 300)}号"
        reporter, reporter_name, reporter_phone, anonymous, external_id = None, "", "", False, ""
        if channel == Channel.GRID_WORKER:
            reporter = grid.worker
            reporter_name = reporter.full_name
        elif channel == Channel.CITIZEN:
            if rng.random() < 0.3:
                anonymous = True
            else:
                reporter_name = names.person_name(rng)
                reporter_phone = self.phone() if rng.random() < 0.7 else ""
        elif channel == Channel.HOTLINE_12345:
            reporter = world.district_operator
            reporter_name = names.person_name(rng)
            reporter_phone = self.phone()
            external_id = self.work_order_number("12345", f"{t0:%Y%m%d}", 6)
        elif channel in (Channel.DEVICE, Channel.OTHER_SYSTEM):
            reporter = world.system
            reporter_name = reporter.full_name
            external_id = (self.work_order_number("IOT", f"{t0:%Y%m%d%H%M%S}", 4) if channel == Channel.DEVICE
                           else self.work_order_number("SZCG", f"{t0:%Y%m%d}", 6))
        elif channel == Channel.LEADER:
            reporter = world.district_operator
            reporter_name = reporter.full_name
        major = category.major.code
        detail = rng.choice(DETAILS.get(major, ("群众反映问题",)))
        row = SimpleNamespace(
            channel=channel, category_id=category.pk, title=f"{address}{category.name}"[:200],
            description=f"{address}附近{detail}。" + ("（领导交办）" if channel == Channel.LEADER else "")
            + (CLUSTER_NOTE if getattr(spec, "cluster", False) else ""),
            lng=round(lng, 7), lat=round(lat, 7), address=address, grid_id=grid.region.pk,
            owner_region_id=grid.region.pk, reporter_id=reporter.pk if reporter else None,
            reporter_name=reporter_name[:50], reporter_phone=reporter_phone, priority=priority,
            state=State.REPORTED, assignee_department_id=None, assignee_region_id=None, merged_into_id=None,
            reported_at=t0, accept_by=self.clock.add_hours(t0, category.accept_within_hours),
            handle_by=self.handle_by(category, priority, t0), registered_at=None, dispatched_at=None,
            accepted_at=None, handled_at=None, closed_at=None, extension_requested_days=None, extension_count=0,
            resolution="", self_resolved=False, rework_count=0, on_time=None, rating="", rating_note="",
            rated_at=None, external_id=external_id, anonymous=anonymous, return_count=0, returned_at=None,
            supervise_count=0, unsigned_flagged_at=None, overdue_flagged_at=None, version=1)
        run = _CaseRun(row, self.now)
        actor_name = None if reporter else "citizen"
        run.events.append(SimpleNamespace(
            at=t0, actor_id=reporter.pk if reporter else None, actor_name=reporter.username if reporter else actor_name,
            action="report", from_state="", to_state=State.REPORTED, note="",
            details={"channel": channel, "category": category.full_code}))
        run.spec, run.category, run.grid = spec, category, grid
        try:
            self.walk(run)
        except _Later:
            pass
        return run

    def point_in(self, grid):
        x0, y0, x1, y1 = grid.polygon.bounds
        for _ in range(1000):
            x, y = self.rng.uniform(x0, x1), self.rng.uniform(y0, y1)
            if shapely.contains_xy(grid.polygon, x, y):
                return x, y
        point = grid.polygon.representative_point()
        return point.x, point.y

    def work_order_number(self, system: str, stamp: str, digits: int) -> str:
        """Another system's work-order number: a random serial within the stamp, never one given out before (at
        ten times the demo, random serials alone collide within a day)."""
        while True:
            number = f"{system}-{stamp}-{self.rng.randrange(10 ** digits):0{digits}d}"
            if number not in self.issued:
                self.issued.add(number)
                return number

    def phone(self):
        number = self.phones.next()
        if len(number) != 11:  # the block is used up: start again
            self.phones = names.PhoneBook(PHONE_START)
            number = self.phones.next()
        return number

    def operator_over(self, region_ids):
        """The first operator found from the lowest of `region_ids` up."""
        for region_id in region_ids:
            if region_id in self.world.operators:
                return self.world.operators[region_id]
        return None

    def walk(self, run):
        rng, world, row, grid, category = self.rng, self.world, run.row, run.grid, run.category
        spec, major = run.spec, run.category.major.code
        t = row.reported_at
        recent = self.now - row.reported_at <= timedelta(days=STALL_DAYS)
        stall = rng.random() < STALL if recent else False
        # 自行处置: the grid worker settles it on the spot.
        if (spec.channel == Channel.GRID_WORKER and not spec.original and major in SELF_RESOLVE_MAJORS
                and rng.random() < SELF_RESOLVE):
            at = run.when(t + timedelta(minutes=rng.randint(3, 45)))
            resolution = rng.choice(SELF_RESOLUTIONS)
            row.resolution, row.self_resolved, row.on_time = resolution, True, True
            row.handled_at = row.closed_at = at
            run.step(grid.worker, "self_resolve", at, resolution)
            self.rate(run, self.operator_over([grid.community.pk, grid.street.pk, world.district.pk]))
            return
        # Who triages: the district for 12345 and leaders, else the community, after escalation the street.
        levels = [grid.community.pk, grid.street.pk, world.district.pk]
        if spec.channel in (Channel.HOTLINE_12345, Channel.LEADER):
            levels = [world.district.pk]
        elif (spec.channel == Channel.GRID_WORKER and grid.worker and not spec.duplicate_of
              and rng.random() < ESCALATE_TO_COMMUNITY):
            at = run.when(t + timedelta(minutes=rng.randint(2, 30)))
            row.owner_region_id, row.registered_at = grid.community.pk, None
            run.step(grid.worker, "escalate", at, "需社区协调处置",
                     {"from": grid.region.code, "to": grid.community.code})
            t = at
            community_op = world.operators.get(grid.community.pk)
            if community_op and rng.random() < ESCALATE_TO_STREET / ESCALATE_TO_COMMUNITY * 0.6:
                at = run.when(self.work(t, rng.uniform(0.2, 2)))
                row.owner_region_id = grid.street.pk
                run.step(community_op, "escalate", at, "需街道协调多部门",
                         {"from": grid.community.code, "to": grid.street.code})
                t = at
                levels = [grid.street.pk, world.district.pk]
        op = self.operator_over(levels)
        if op is None:
            return
        # 立案, 不予立案 or 合并
        at = run.when(self.work(t, rng.uniform(0.1, 2.5)))
        if spec.duplicate_of is not None:
            original = spec.duplicate_of.row
            row.merged_into_id, row.closed_at = original.id, at
            run.step(op, "merge", at, "", {"into": original.number})
            return
        if not spec.original and spec.channel != Channel.LEADER and rng.random() < REJECT:
            reason = rng.choice(REJECT_REASONS)
            row.resolution, row.closed_at = reason, at
            run.step(op, "reject", at, reason)
            return
        row.registered_at = at
        run.step(op, "register", at)
        # 派遣
        targets = self.targets(run, op)
        if not targets:
            return
        t = run.when(self.work(at, rng.uniform(0.05, 0.6)))
        target, handler = targets[0]
        returned = reworked = False
        while True:
            if row.state == State.REGISTERED:  # first dispatch, or again after a return (not after a rework)
                self.dispatch(run, op, target, t)
            # 签收 (or 退回)
            late = rng.random() < LATE_ACCEPT
            hours = (category.accept_within_hours * rng.uniform(1.2, 4) if late
                     else category.accept_within_hours * rng.uniform(0.05, 0.9))
            if stall and rng.random() < 0.5:
                hours = 10_000  # nobody signs: still dispatched, past accept_by
            accept_at = self.work(row.dispatched_at, hours) if hours < 10_000 else self.now + timedelta(days=1)
            if late or hours >= 10_000:
                self.nudge(run, "urge", row.accept_by, accept_at, URGE_NOTES)
            if not returned and not reworked and len(targets) > 1 and rng.random() < RETURN:
                returned = True
                at = run.when(accept_at)
                self.give_back(run, handler, at)
                target, handler = targets[1]
                t = run.when(self.work(at, rng.uniform(0.2, 3)))
                continue
            at = run.when(accept_at)
            row.accepted_at = at
            run.step(handler, "accept", at)
            if not reworked and rng.random() < EXTENSION:
                self.extension(run, op, handler)
            # 处置
            remaining = self.clock.hours_between(row.accepted_at, row.handle_by)
            if stall:
                handle_at = self.now + timedelta(days=1)
            elif rng.random() < LATE_HANDLE or remaining < 0.5:
                handle_at = self.work(max(row.handle_by, run.last), rng.uniform(1, 24))
            else:
                handle_at = self.work(row.accepted_at, remaining * rng.uniform(0.1, 0.7))
            if handle_at > row.handle_by:
                self.nudge(run, "supervise", row.handle_by, handle_at, SUPERVISE_NOTES)
            at = run.when(handle_at)
            feedback = rng.choice(FEEDBACK.get(major, ("已处置",)))
            row.resolution, row.handled_at = feedback, at
            run.step(handler, "handle", at, feedback)
            # 核查: 结案 or 返工
            remaining = self.clock.hours_between(at, row.handle_by)
            verify_at = self.work(at, (remaining * rng.uniform(0.1, 0.8)) if remaining > 0.3
                                  else rng.uniform(0.2, 4))
            at = run.when(verify_at)
            if not reworked and rng.random() < REWORK:
                reworked = True
                reason = rng.choice(REWORK_REASONS)
                row.rework_count += 1
                row.handled_at, row.unsigned_flagged_at = None, None
                row.dispatched_at = at
                row.accept_by = self.clock.add_hours(at, category.accept_within_hours)
                run.step(op, "verify_rework", at, reason, {"rework_count": row.rework_count})
                continue
            row.closed_at = at
            row.on_time = row.handle_by is None or at <= row.handle_by
            run.step(op, "verify_close", at, "", {"on_time": row.on_time})
            break
        self.rate(run, op)

    def targets(self, run, op):
        """[(target, handler)]: the category's departments in the district, or the grid's worker."""
        grid, category, world = run.grid, run.category, self.world
        out = []
        to_grid = (grid.worker is not None and op.region_id != grid.region.pk
                   and (category.major.code in GRID_TASK_MAJORS))
        departments = [world.departments_by_code[code] for code in category.department_codes
                       if code in world.departments_by_code]
        for department in departments:
            handler = world.department_users.get(department.pk)
            if handler is not None:
                out.append((department, handler))
        if to_grid and (not out or self.rng.random() < 0.5):
            out.insert(0, (grid.region, grid.worker))
        elif grid.worker is not None and op.region_id != grid.region.pk and len(out) == 1:
            out.append((grid.region, grid.worker))  # somewhere to send it when the department returns it
        return out

    def dispatch(self, run, op, target, at):
        row, category = run.row, run.category
        if isinstance(target, Department):
            row.assignee_department_id, row.assignee_region_id = target.pk, None
            details = {"department": target.code}
        else:
            row.assignee_department_id, row.assignee_region_id = None, target.pk
            details = {"region": target.code}
        row.dispatched_at = at
        row.accept_by = self.clock.add_hours(at, category.accept_within_hours)
        row.unsigned_flagged_at = None
        run.step(op, "dispatch", at, "", details)

    def give_back(self, run, handler, at):
        row = run.row
        reason = self.rng.choice(RETURN_REASONS)
        department = self.world.departments_by_code
        returned_by = next((d.code for d in department.values() if d.pk == row.assignee_department_id), None) \
            or run.grid.region.code
        row.assignee_department_id = row.assignee_region_id = None
        row.accepted_at = None
        row.extension_requested_days = None
        row.return_count, row.returned_at = row.return_count + 1, at
        run.step(handler, "return", at, reason, {"returned_by": returned_by})

    def nudge(self, run, action, deadline, before, notes):
        """催办 or 督办 by the district operator some time after the deadline, if that is before `before`."""
        supervisor = self.world.district_operator
        if supervisor is None or deadline is None:
            return
        at = self.work(max(deadline, run.last), self.rng.uniform(0.3, 3))
        if at >= before or at > self.now:
            return
        at = run.when(at)
        if action == "supervise":
            run.row.supervise_count += 1
        run.step(supervisor, action, at, self.rng.choice(notes))

    def extension(self, run, op, handler):
        rng, row = self.rng, run.row
        at = run.when(self.work(row.accepted_at, rng.uniform(0.5, 4)))
        days, reason = rng.choice((2, 3, 5, 7)), rng.choice(EXTENSION_REASONS)
        row.extension_requested_days = days
        run.step(handler, "request_extension", at, reason, {"days": days})
        at = run.when(self.work(at, rng.uniform(0.5, 6)))
        if rng.random() < EXTENSION_APPROVED:
            row.handle_by = self.clock.add_days(row.handle_by or at, days)
            row.overdue_flagged_at = None
            row.extension_requested_days, row.extension_count = None, row.extension_count + 1
            run.step(op, "approve_extension", at, "同意延期", {"days": days, "handle_by": row.handle_by.isoformat()})
        else:
            row.extension_requested_days = None
            run.step(op, "deny_extension", at, rng.choice(DENY_REASONS), {"days": days})

    def rate(self, run, op):
        rng, row = self.rng, run.row
        if rng.random() >= RATED:
            return
        unhappy = 0.04 + (0.2 if not row.on_time else 0) + (0.15 if row.rework_count else 0)
        roll = rng.random()
        rating = "unsatisfied" if roll < unhappy else "basically" if roll < unhappy + 0.14 else "satisfied"
        note = rng.choice(RATING_NOTES[rating])
        at = run.when(row.closed_at + timedelta(hours=rng.uniform(2, 72)))
        row.rating, row.rated_at, row.rating_note = rating, at, note
        if row.channel == Channel.CITIZEN and not row.anonymous and rng.random() < 0.6:
            run.step(None, "rate", at, note, {"rating": rating, "by": "citizen"}, actor_name="citizen")
        elif op is not None:
            run.step(op, "rate", at, note, {"rating": rating})
        else:
            row.rating, row.rated_at, row.rating_note = "", None, ""


# ------------------------------------------------------------------- numbers


@dataclass
class CasesPlan:
    runs: list = field(default_factory=list)  # _CaseRun, oldest first, each with .row and .events
    counters: dict = field(default_factory=dict)  # day -> last sequence number used

    def counts(self) -> dict:
        return {"cases": len(self.runs), "case_events": sum(len(r.events) for r in self.runs),
                "open_cases": sum(1 for r in self.runs if r.row.state not in (State.CLOSED, State.REJECTED,
                                                                              State.MERGED))}


def plan_cases(district: Region, seed: int, count: int | None = None, now: datetime | None = None,
               first_ids: tuple[int, int] = (1, 1), counters: dict | None = None,
               taken_codes: set | None = None) -> CasesPlan:
    """The district's synthetic year of cases, in memory. `count` defaults to CASES_PER_GRID per grid."""
    now = now or timezone.now()
    world = _world(district)
    if not world.grids or not world.categories:
        return CasesPlan()
    count = CASES_PER_GRID * len(world.grids) if count is None else count
    planner = _Planner(world, seed, now)
    specs = planner.specs(count)
    counters = dict(counters or {})
    taken_codes = set(taken_codes or ())
    case_id, _event_id = first_ids
    plan = CasesPlan()
    for spec in specs:  # numbers and keys in report order, before any merge needs its original's number
        day = timezone.localtime(spec.at, local_zone()).date()
        counters[day] = counters.get(day, 0) + 1
        spec.id, spec.number = case_id, f"WG{day:%Y%m%d}{counters[day]:06d}"
        case_id += 1
    plan.counters = counters
    for spec in specs:
        run = planner.case(spec)
        run.row.id, run.row.number = spec.id, spec.number
        code = new_tracking_code()
        while code in taken_codes:
            code = new_tracking_code()
        taken_codes.add(code)
        run.row.tracking_code = code
        spec.row = run.row
        plan.runs.append(run)
    return plan


# --------------------------------------------------------------------- writes


def has_cases(district: Region) -> bool:
    return Case.objects.filter(grid__path__startswith=district.path).exists()


def load_cases(district: Region, seed: int, count: int | None = None, now: datetime | None = None) -> dict:
    """Plan and write the district's cases in one transaction (with the day counters moved past them)."""
    with transaction.atomic():
        first_ids = (first_free_id(Case), first_free_id(CaseEvent))
        plan = plan_cases(district, seed, count, now, first_ids,
                          counters=dict(CaseCounter.objects.values_list("day", "last")),
                          taken_codes=set(Case.objects.exclude(tracking_code=None)
                                          .values_list("tracking_code", flat=True)))
        rows, events = [], []
        event_id = first_ids[1]
        for run in plan.runs:
            rows.append(run.row)
            for event in run.events:
                event.id, event.case_id = event_id, run.row.id
                event_id += 1
                events.append(event)
        writer = BulkWriter()
        for model, model_rows in ((Case, rows), (CaseEvent, events)):
            if model_rows:
                writer.insert(Table(model), model_rows)
        catch_up_sequences((Case, CaseEvent))
        existing = CaseCounter.objects.in_bulk(list(plan.counters), field_name="day")
        CaseCounter.objects.bulk_create([CaseCounter(day=d, last=n) for d, n in plan.counters.items()
                                         if d not in existing], batch_size=500)
        for day, counter in existing.items():
            if counter.last < plan.counters[day]:
                CaseCounter.objects.filter(pk=counter.pk, last__lt=plan.counters[day]).update(last=plan.counters[day])
        writer.finish()
        counts = plan.counts()
        record(None, "demo.load_cases", district, seed=seed, **counts)
    return counts


def wipe_cases(district: Region) -> None:
    """Delete every case of the district (its timeline and photos too); call inside a transaction.

    Plain DELETEs (QuerySet._raw_delete): the timeline refuses Django's delete() on purpose (it is
    append-only in operation), and the whole district is going anyway.
    """
    prefix = district.path
    cases = Case.objects.filter(Q(grid__path__startswith=prefix) | Q(owner_region__path__startswith=prefix)
                                | Q(assignee_region__path__startswith=prefix)
                                | Q(assignee_department__region__path__startswith=prefix))
    ids = list(cases.values_list("pk", flat=True))
    for start in range(0, len(ids), 5000):
        chunk = ids[start:start + 5000]
        CaseEvent.objects.filter(case_id__in=chunk)._raw_delete(CaseEvent.objects.db)
        CasePhoto.objects.filter(case_id__in=chunk)._raw_delete(CasePhoto.objects.db)
    # Cases outside the district merged into one of these let go first.
    Case.objects.filter(merged_into__in=ids).exclude(pk__in=ids).update(merged_into=None)
    for start in range(0, len(ids), 5000):
        Case.objects.filter(pk__in=ids[start:start + 5000])._raw_delete(Case.objects.db)

