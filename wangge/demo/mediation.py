"""The demo district's mediation: committees, mediators, the court's referrals and a year of synthetic disputes.

`ensure_committees()` gives every community, street and the district a people's mediation committee
(人民调解委员会), the district its 多调办 (CommitteeKind.OFFICE) and seven industry committees (医调委, 交调委,
婚调委, 商调委, 物业, 寄递物流, 少数民族); `ensure_mediators()` turns the demo's mediator accounts into
Mediator rows in their region's committee and adds a pool of synthetic mediators without accounts.
`plan_disputes()` builds a year of disputes in memory; `load_disputes()` writes all of it.

How a dispute is made: a community (by households) and one of its grids, a source (the seven 排查发现
channels, citizens, petitions and court referrals), a type, the level it starts at (most in the community;
some registered by the street or the district; medical, traffic and other matters often straight to their
industry committee) and a time in the last year. Then its life is walked step by step through the workflow
table (`wangge.mediation.workflow.TRANSITIONS`) by the right demo staff: the grid worker, an operator or
the court's handler registers; the 多调办 routes a referral; the committee accepts (its mediator when they
have an account, else the committee's operator, who then assigns a pool mediator); some are transferred to
an industry committee or escalated a level up; sessions are held (some online); most end agreed (with an
agreement, an amount, sometimes judicial confirmation, follow-up visits and the parties' ratings), a few fail
or are withdrawn. Petition matters have a leader and one progress entry a month while open. A step that would
fall after `now` is not taken, and some recent disputes stall, so a few are open and some of those are past
due_by (overdue_flagged_at is left empty: the poller flags them).

Numbers are services' ("TJ" + date + 5 digits) and DisputeCounter is moved past them, so disputes registered
for real later take fresh numbers. Written with one bulk insert per table (keys handed out up front), not
through `services.do_act`; one audit row records the load. Every name, phone, letter and story is synthetic.
"""
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from types import SimpleNamespace

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from wangge.areas.models import Level as RegionLevel
from wangge.areas.models import Region
from wangge.core.audit import record
from wangge.core.bulk import BulkWriter, Table, catch_up_sequences, first_free_id
from wangge.core.models import User
from wangge.core.roles import Role
from wangge.core.workdays import local_zone
from wangge.demo import names
from wangge.demo.cases import Clock, _world
from wangge.demo.generator import short_name
from wangge.demo.walk import Later as _Later
from wangge.demo.walk import Run, report_moment
from wangge.mediation.models import (
    NEXT_LEVEL,
    Agreement,
    Committee,
    CommitteeKind,
    Confirmation,
    Dispute,
    DisputeCounter,
    DisputeEvent,
    DisputeType,
    FollowUp,
    Level,
    Mediator,
    MemberRole,
    Membership,
    Party,
    PartyKind,
    PartyRole,
    Performance,
    PetitionProgress,
    Referral,
    ReferralOutcome,
    Risk,
    Session,
    SessionState,
    Source,
    State,
    party_hashes,
)
from wangge.mediation.services import GROUP_PARTIES, LEVEL_DAYS, group_risk_reason
from wangge.mediation.workflow import COURT_CODES, TRANSITIONS

DISPUTES_PER_COMMUNITY = 40  # 113 communities: about 4,500 disputes a year
DAYS = 365
PHONE_START = 900_000  # parties' and pool mediators' phones, after the cases' callers in 199-00xx-xxxx
LETTER_PATH = "mediation/referrals/demo/synthetic-referral-letter.txt"

T = DisputeType
S = Source
SOURCES = ((S.GRID, 24), (S.POLICE, 12), (S.HOTLINE_12345, 13), (S.CITIZEN, 13), (S.MEDIATION_PLATFORM, 8),
           (S.COURT, 8), (S.FIXED_POINT, 6), (S.DEPARTMENT, 7), (S.PETITION, 5), (S.PUBLIC_OPINION, 4))
# When in the day a source's disputes come in (earliest, latest, likeliest minute); the police around the clock.
REPORT_MINUTES = {S.POLICE: None, S.CITIZEN: (7 * 60, 23 * 60, 14 * 60)}
OFFICE_MINUTES = (8 * 60, 19 * 60, 10 * 60)
TYPES = ((T.NEIGHBOUR, 22), (T.MARRIAGE_FAMILY, 15), (T.PROPERTY_MANAGEMENT, 14), (T.LABOUR, 10),
         (T.HOUSING_LAND, 7), (T.CONSUMER, 8), (T.TRAFFIC, 6), (T.MEDICAL, 3), (T.DEMOLITION, 2), (T.MILITARY, 1),
         (T.ETHNIC, 1), (T.OTHER, 11))
# (key, name after the district's, the types it takes); the key names it in the plan.
INDUSTRY_COMMITTEES = (
    ("medical", "医疗纠纷人民调解委员会（医调委）", [T.MEDICAL]),
    ("traffic", "道路交通事故纠纷人民调解委员会（交调委）", [T.TRAFFIC]),
    ("marriage", "婚姻家庭纠纷人民调解委员会（婚调委）", [T.MARRIAGE_FAMILY]),
    ("consumer", "商事消费纠纷人民调解委员会（商调委）", [T.CONSUMER]),
    ("property", "物业纠纷人民调解委员会", [T.PROPERTY_MANAGEMENT]),
    ("delivery", "寄递物流行业纠纷人民调解委员会", [T.OTHER]),
    ("ethnic", "少数民族纠纷人民调解委员会", [T.ETHNIC]),
)
# How often a dispute of a type goes straight to its industry committee (else to its community).
TO_INDUSTRY = {T.MEDICAL: 0.75, T.TRAFFIC: 0.6, T.ETHNIC: 0.5, T.CONSUMER: 0.25, T.MARRIAGE_FAMILY: 0.12,
               T.PROPERTY_MANAGEMENT: 0.12, T.OTHER: 0.08}
STREET_START, DISTRICT_START = 0.12, 0.04  # of the rest, registered by the street or the district
ROUTE_LEVELS = ((Level.COMMUNITY, 45), (Level.STREET, 25), (Level.INDUSTRY, 20), (Level.DISTRICT, 10))

# Outcome shares (of the disputes that get that far).
TRANSFER = 0.04  # to the type's industry committee
ESCALATE = 0.06  # community -> street (and again street -> district)
WITHDRAW = 0.025
FAIL = 0.035
SECOND_SESSION = 0.3
ONLINE = 0.2
CITIZEN_CHOOSES = 0.15
CONFIRMATION = 0.25
CONFIRMATION_REFUSED = 0.08
FOLLOW_UP = 0.75
RATED = 0.6
STALL_DAYS = 60  # disputes this recent may stall and stay open
STALL = 0.12
REGISTRY_PERSON = 0.45  # parties found in the registry (when the grid has people)

LANGUAGES = (("四川话", 0.7), ("英语", 0.06), ("藏语", 0.04), ("彝语", 0.03), ("粤语", 0.02))
TITLES = {
    Level.COMMUNITY: ("专职人民调解员", "兼职人民调解员", "社区干部", "网格长", "退休教师", "志愿者"),
    Level.STREET: ("专职人民调解员", "律师", "退休法官", "退休民警", "心理咨询师", "司法所干部"),
    Level.DISTRICT: ("专职人民调解员", "律师", "退休法官", "法律援助律师"),
    "medical": ("医学专家", "律师", "专职人民调解员"), "traffic": ("退休交警", "保险理赔专员", "律师"),
    "marriage": ("婚姻家庭咨询师", "妇联干部", "律师"), "consumer": ("市场监管退休干部", "律师"),
    "property": ("物业行业专家", "律师", "专职人民调解员"), "delivery": ("行业协会调解员", "律师"),
    "ethnic": ("民族宗教事务干部", "双语调解员", "律师"),
}
POOL_SIZE = {Level.COMMUNITY: (1, 2), Level.STREET: (3, 4), Level.DISTRICT: (3, 3), Level.INDUSTRY: (2, 4)}

TITLES_OF_TYPE = {
    T.NEIGHBOUR: ("楼上漏水致楼下受损纠纷", "邻里噪音纠纷", "楼道堆物纠纷", "宠物伤人纠纷", "相邻采光通风纠纷"),
    T.MARRIAGE_FAMILY: ("赡养老人纠纷", "离婚财产分割纠纷", "子女抚养费纠纷", "家庭成员房屋居住纠纷"),
    T.PROPERTY_MANAGEMENT: ("物业费收缴纠纷", "小区停车管理纠纷", "电梯维修费用分摊纠纷", "物业服务质量纠纷"),
    T.LABOUR: ("拖欠工资纠纷", "工伤赔偿纠纷", "解除劳动合同补偿纠纷", "农民工工资纠纷"),
    T.HOUSING_LAND: ("房屋租赁押金纠纷", "房屋买卖合同纠纷", "宅基地边界纠纷"),
    T.MEDICAL: ("医疗损害赔偿纠纷", "诊疗费用纠纷", "术后并发症纠纷"),
    T.TRAFFIC: ("机动车与电动车碰撞赔偿纠纷", "交通事故人身损害赔偿纠纷", "停车剐蹭纠纷"),
    T.CONSUMER: ("预付卡退费纠纷", "商品质量纠纷", "装修合同纠纷", "餐饮消费纠纷"),
    T.DEMOLITION: ("征收补偿安置纠纷", "拆迁过渡费纠纷"),
    T.MILITARY: ("退役军人安置待遇纠纷", "军属优待纠纷"),
    T.ETHNIC: ("少数民族务工人员工资纠纷", "少数民族商户经营纠纷"),
    T.OTHER: ("快递丢失赔偿纠纷", "外卖配送纠纷", "合同债务纠纷"),
}
AMOUNTS = {  # (share with a sum in dispute, low, high) in yuan
    T.NEIGHBOUR: (0.35, 200, 8_000), T.MARRIAGE_FAMILY: (0.3, 5_000, 200_000),
    T.PROPERTY_MANAGEMENT: (0.7, 500, 30_000), T.LABOUR: (0.95, 2_000, 80_000),
    T.HOUSING_LAND: (0.8, 3_000, 300_000), T.MEDICAL: (0.95, 10_000, 500_000), T.TRAFFIC: (0.95, 1_000, 200_000),
    T.CONSUMER: (0.9, 200, 30_000), T.DEMOLITION: (0.9, 50_000, 1_000_000), T.MILITARY: (0.4, 2_000, 50_000),
    T.ETHNIC: (0.6, 1_000, 40_000), T.OTHER: (0.7, 100, 20_000),
}
ORGANISATION_RESPONDENT = {T.PROPERTY_MANAGEMENT: ("物业服务有限公司", 0.9), T.LABOUR: ("建筑劳务有限公司", 0.8),
                           T.MEDICAL: ("医院", 1.0), T.CONSUMER: ("商贸有限公司", 0.7),
                           T.OTHER: ("快递服务站", 0.5), T.DEMOLITION: ("房屋征收事务中心", 0.6)}
GROUP_TYPES = {T.LABOUR: 0.18, T.PROPERTY_MANAGEMENT: 0.15, T.DEMOLITION: 0.3, T.CONSUMER: 0.05}
RISK_REASONS = ("当事人情绪激动", "曾发生肢体冲突", "多次到有关部门反映", "涉及老人赡养，矛盾积怨较深",
                "有扬言过激行为")
TRANSFER_REASONS = ("涉及专业问题，移交行业调委会", "当事人申请由专业调委会调解")
ESCALATE_REASONS = ("社区调解未果，提请上级调处", "涉及多个部门职责，需街道协调", "当事人诉求较大，需上级调处")
WITHDRAW_REASONS = ("双方自行和解，申请撤回", "当事人已向法院起诉", "申请人撤回调解申请")
FAIL_REASONS = ("双方分歧较大，调解不成，告知诉讼途径", "被申请人拒不到场", "赔偿金额差距过大，调解终结")
REFUSE_NOTES = ("协议内容超出当事人处分权限", "协议涉及案外人利益，不予确认")
SESSION_RECORDS = ("双方陈述意见，调解员释法说理", "双方就赔偿金额初步协商", "现场查看后双方达成初步意向",
                   "背靠背调解，分别做工作", "邀请律师参与，讲解相关法律规定")
FOLLOW_UP_NOTES = {Performance.KEPT: ("已按协议履行", "双方关系已缓和，协议履行完毕"),
                   Performance.PARTLY: ("已履行部分款项，余款约定分期", "部分履行，继续跟进"),
                   Performance.BROKEN: ("被申请人未按期履行，已告知申请强制执行", "未履行，建议申请司法确认后执行")}
PROGRESS_NOTES = ("包案领导约谈当事人，了解诉求", "召集相关部门会商化解方案", "已落实临时救助，情绪稳定",
                  "走访当事人家属，做思想工作", "化解方案已报审，待当事人确认")


# ----------------------------------------------------------- committees


def ensure_committees(district: Region, phones) -> list[Committee]:
    """A people's committee for every community, street and the district, the 多调办 and the industry committees;
    those that exist are kept. Returns all the district's active committees."""
    regions = list(Region.objects.filter(path__startswith=district.path,
                                         level__in=(RegionLevel.COMMUNITY, RegionLevel.STREET,
                                                    RegionLevel.DISTRICT)).order_by("path"))
    existing = list(Committee.objects.filter(region__path__startswith=district.path))
    peoples = {(c.region_id, c.level) for c in existing if c.kind == CommitteeKind.PEOPLES}
    names_taken = {c.name for c in existing}
    level_of = {RegionLevel.COMMUNITY: Level.COMMUNITY, RegionLevel.STREET: Level.STREET,
                RegionLevel.DISTRICT: Level.DISTRICT}
    new = []
    for region in regions:
        level = level_of[region.level]
        if (region.pk, level) not in peoples:
            name = short_name(region.name)
            new.append(Committee(name=f"{name}人民调解委员会", level=level, region=region, phone=phones.next(),
                                 address=name + ("党群服务中心" if level == Level.COMMUNITY
                                                 else "矛盾纠纷多元化解中心")))
    office = f"{district.name}矛盾纠纷多元化解办公室（多调办）"
    if not any(c.kind == CommitteeKind.OFFICE for c in existing):
        new.append(Committee(name=office, kind=CommitteeKind.OFFICE, level=Level.DISTRICT, region=district,
                             phone=phones.next(), address=f"{district.name}矛盾纠纷多元化解中心"))
    for _key, name, types in INDUSTRY_COMMITTEES:
        if f"{district.name}{name}" not in names_taken:
            new.append(Committee(name=f"{district.name}{name}", kind=CommitteeKind.INDUSTRY, level=Level.INDUSTRY,
                                 region=district, dispute_types=list(types), phone=phones.next(),
                                 address=f"{district.name}矛盾纠纷多元化解中心"))
    Committee.objects.bulk_create(new)
    return list(Committee.objects.filter(region__path__startswith=district.path, active=True)
                .select_related("region").order_by("id"))


def _industry_key(committee) -> str | None:
    for key, name, _types in INDUSTRY_COMMITTEES:
        if committee.kind == CommitteeKind.INDUSTRY and committee.name.endswith(name):
            return key
    return None


def ensure_mediators(district: Region, committees, seed: int, phones) -> list[Mediator]:
    """The demo's mediator accounts as Mediator rows in their region's committee (chairs), and a synthetic pool
    without accounts when the district has none: a few per committee, with expertise, languages and titles."""
    rng = random.Random(f"wangge-demo:{seed}:mediators")
    peoples = {c.region_id: c for c in committees if c.kind == CommitteeKind.PEOPLES}
    users = list(User.objects.filter(role=Role.MEDIATOR, is_active=True, region__path__startswith=district.path,
                                     mediator__isnull=True).select_related("region").order_by("username"))
    new, memberships = [], []
    for user in users:
        committee = peoples.get(user.region_id)
        level = committee.level if committee else Level.COMMUNITY
        mediator = Mediator(user=user, name=user.full_name or user.username, phone=user.phone, region=user.region,
                            expertise=_expertise(rng, level, None), languages=_languages(rng), title="专职人民调解员")
        new.append(mediator)
        if committee:
            memberships.append((committee, mediator, MemberRole.CHAIR))
    has_pool = Mediator.objects.filter(region__path__startswith=district.path, user__isnull=True).exists()
    for committee in ([] if has_pool else committees):
        if committee.kind == CommitteeKind.OFFICE:
            continue
        key = _industry_key(committee)
        low, high = POOL_SIZE[committee.level]
        chaired = any(c is committee for c, _m, role in memberships if role == MemberRole.CHAIR)
        for _ in range(rng.randint(low, high)):
            title = rng.choice(TITLES.get(key) or TITLES[committee.level])
            mediator = Mediator(name=names.person_name(rng), phone=phones.next(), region=committee.region,
                                expertise=_expertise(rng, committee.level, committee), languages=_languages(rng),
                                title=title)
            new.append(mediator)
            memberships.append((committee, mediator, MemberRole.MEMBER if chaired else MemberRole.CHAIR))
            chaired = True
    Mediator.objects.bulk_create(new)
    Membership.objects.bulk_create([Membership(committee=c, mediator=m, role=role) for c, m, role in memberships])
    return list(Mediator.objects.filter(region__path__startswith=district.path, active=True).order_by("id"))


def _expertise(rng, level, committee):
    if committee is not None and committee.dispute_types:
        return list(committee.dispute_types)
    types = [t for t, _ in TYPES]
    return sorted(rng.sample(types, rng.randint(2, 4)), key=types.index)


def _languages(rng):
    return ["普通话"] + [language for language, share in LANGUAGES if rng.random() < share]


# ------------------------------------------------------------------ the walk


class _Run(Run):
    """One dispute being walked through the workflow: its row (attribute names as stored), its timeline and what
    it gathers on the way."""

    transitions = TRANSITIONS

    def __init__(self, row, now):
        super().__init__(row, now)
        self.parties = []
        self.sessions = []
        self.agreement = None
        self.follow_ups = []
        self.referral = None
        self.progress = []


class _Planner:
    def __init__(self, world, committees, mediators, court, court_handler, people, organisations, seed, now):
        self.world = world
        self.now = timezone.localtime(now, local_zone())
        self.rng = random.Random(f"wangge-demo:{seed}:disputes")
        self.clock = Clock()
        self.phones = names.PhoneBook(PHONE_START + 20_000)
        self.court, self.court_handler = court, court_handler
        self.people, self.organisations = people, organisations
        self.peoples = {(c.region_id, c.level): c for c in committees if c.kind == CommitteeKind.PEOPLES}
        self.office = next((c for c in committees if c.kind == CommitteeKind.OFFICE), None)
        self.industry = {}
        for c in committees:
            if c.kind == CommitteeKind.INDUSTRY:
                for t in c.dispute_types:
                    self.industry.setdefault(t, c)
        self.members = defaultdict(list)
        by_id = {m.pk: m for m in mediators}
        for committee_id, mediator_id in (Membership.objects.filter(committee__in=committees, mediator__active=True)
                                          .order_by("committee_id", "mediator_id")
                                          .values_list("committee_id", "mediator_id")):
            if mediator_id in by_id:
                self.members[committee_id].append(by_id[mediator_id])
        self.users = {u.pk: u for u in User.objects.filter(pk__in=[m.user_id for m in mediators if m.user_id])}
        self.letter_seq = 0

    # -- who

    def operator_of(self, committee):
        """The operator of the committee's region (the district operator for district and industry ones)."""
        return self.world.operators.get(committee.region_id) or self.world.district_operator

    def hand(self, run):
        """Who takes a mediator's step: the mediator when they have an account, else the committee's operator."""
        mediator = run.mediator
        if mediator is not None and mediator.user_id in self.users:
            return self.users[mediator.user_id]
        return self.operator_of(run.committee)

    def pick_mediator(self, committee, dispute_type):
        members = self.members.get(committee.pk, [])
        if not members:
            return None
        with_account = [m for m in members if m.user_id]
        if with_account and self.rng.random() < 0.5:
            return self.rng.choice(with_account)
        experts = [m for m in members if dispute_type in m.expertise]
        return self.rng.choice(experts or members)

    # -- time

    def work(self, start, hours):
        return self.clock.add_hours(start, max(hours, 0.02))

    def due(self, level, start):
        return self.clock.add_days(start, LEVEL_DAYS[level])

    def report_time(self, days, weights, source):
        return report_moment(self.rng, self.now, days, weights, REPORT_MINUTES.get(source, OFFICE_MINUTES))

    def day_at(self, after, days_low, days_high):
        """A session time: a working-hours slot some days after `after`."""
        rng = self.rng
        day = (after + timedelta(days=rng.uniform(days_low, days_high))).date()
        at = datetime.combine(day, time(rng.choice((9, 10, 14, 15, 16)), rng.choice((0, 30))), tzinfo=local_zone())
        return at if at > after else after + timedelta(hours=rng.uniform(2, 26))

    # -- the plan

    def specs(self, count):
        rng, world = self.rng, self.world
        today = self.now.date()
        days = [today - timedelta(days=n) for n in range(DAYS)]
        # Fewer on non-working days; more around the Spring Festival (family) and in summer.
        weights = [(1.0 if self.clock.periods(d) else 0.6) * (1.25 if d.month in (1, 2) else 1.1 if d.month in (7, 8)
                                                               else 1.0) for d in days]
        communities = defaultdict(list)
        for g in world.grids:
            communities[g.community.pk].append(g)
        community_ids = sorted(communities)
        picked = []
        for community_id in community_ids[:count]:  # every community gets one when there are enough
            picked.append(community_id)
        community_weights = [sum(g.households for g in communities[c]) for c in community_ids]
        picked += rng.choices(community_ids, weights=community_weights, k=max(count - len(picked), 0))
        sources, source_weights = zip(*SOURCES)
        types, type_weights = zip(*TYPES)
        specs = []
        for community_id in picked:
            grids = communities[community_id]
            grid = rng.choices(grids, weights=[g.households for g in grids])[0]
            source = rng.choices(sources, weights=source_weights)[0]
            if source == S.COURT and (self.court_handler is None or self.office is None):
                source = S.CITIZEN
            if source == S.GRID and grid.worker is None:
                source = S.CITIZEN
            dispute_type = rng.choices(types, weights=type_weights)[0]
            specs.append(SimpleNamespace(grid=grid, source=source, type=dispute_type,
                                         at=self.report_time(days, weights, source)))
        specs.sort(key=lambda s: s.at)
        return specs

    def start(self, spec):
        """(level, committee, registrar) a dispute is registered with."""
        rng, grid, t = self.rng, spec.grid, spec.type
        if spec.source == S.COURT:
            return Level.DISTRICT, self.office, self.court_handler
        level = Level.COMMUNITY
        if spec.source not in (S.GRID, S.CITIZEN):
            if t in self.industry and rng.random() < TO_INDUSTRY.get(t, 0):
                level = Level.INDUSTRY
            else:
                roll = rng.random()
                level = (Level.DISTRICT if roll < DISTRICT_START
                         else Level.STREET if roll < DISTRICT_START + STREET_START else Level.COMMUNITY)
            if spec.source == S.PETITION and level == Level.COMMUNITY:
                level = Level.STREET  # 信访 comes in at the street or the district
        committee = self.committee_at(level, grid, t)
        if spec.source == S.GRID:
            registrar = grid.worker
        elif spec.source == S.CITIZEN:
            registrar = None
        else:
            registrar = self.operator_of(committee) if committee else self.world.district_operator
        return level, committee, registrar

    def committee_at(self, level, grid, dispute_type):
        if level == Level.INDUSTRY:
            return self.industry.get(dispute_type)
        region = {Level.COMMUNITY: grid.community, Level.STREET: grid.street,
                  Level.DISTRICT: self.world.district}[level]
        return self.peoples.get((region.pk, level))

    def dispute(self, spec, number, dispute_id):
        rng, grid = self.rng, spec.grid
        level, committee, registrar = self.start(spec)
        located = spec.source != S.COURT or rng.random() < 0.7  # a referral may name only a street
        lng, lat = self.point_in(grid) if located else (None, None)
        address = f"{rng.choice(grid.roads)}{rng.randint(1, 300)}号" if located else ""
        title = rng.choice(TITLES_OF_TYPE[spec.type])
        share, low, high = AMOUNTS[spec.type]
        amount = Decimal(round(rng.uniform(low, high) / 100) * 100).quantize(Decimal("0.01")) \
            if rng.random() < share else None
        row = SimpleNamespace(
            id=dispute_id, number=number, title=title, summary="", type=spec.type, source=spec.source,
            level=level, state=State.REGISTERED, region_id=grid.region.pk if located else grid.street.pk,
            grid_id=grid.region.pk if located else None, lng=lng, lat=lat, address=address, amount=amount,
            risk=Risk.LOW, risk_reasons=[], group_risk=False, criminal_risk=False,
            committee_id=committee.pk if committee else None, mediator_id=None, case_id=None,
            created_by_id=registrar.pk if registrar else None, is_petition=spec.source == S.PETITION,
            leader_id=None, leader_name="", reported_at=spec.at, accepted_at=None, mediation_started_at=None,
            closed_at=None, due_by=self.due(level, spec.at), outcome_note="", escalation_count=0, transfer_count=0,
            parties_count=0, overdue_flagged_at=None, version=1)
        run = _Run(row, self.now)
        run.spec, run.grid, run.committee, run.mediator = spec, grid, committee, None
        self.parties(run)
        self.risk(run)
        if row.is_petition:
            leader = self.world.operators.get(grid.street.pk) if rng.random() < 0.5 else None
            leader = leader or self.world.district_operator
            row.leader_id, row.leader_name = leader.pk, (leader.full_name or leader.username)[:50]
            run.leader = leader
        applicant = run.parties[0].name
        row.summary = (f"{applicant}反映：{address or grid.street.name}{title.removesuffix('纠纷')}问题，"
                       f"{'涉及金额约' + str(int(amount)) + '元，' if amount else ''}申请调解。")
        run.events.append(SimpleNamespace(
            at=spec.at, actor_id=registrar.pk if registrar else None,
            actor_name=registrar.username if registrar else "citizen", action="register", from_state="",
            to_state=State.REGISTERED, note="",
            details={"source": spec.source, "type": spec.type, "level": level, "committee": row.committee_id}))
        if spec.source == S.CITIZEN and committee and rng.random() < CITIZEN_CHOOSES:
            chosen = self.members.get(committee.pk)
            if chosen:
                run.mediator = rng.choice(chosen)
                row.mediator_id = run.mediator.pk
                run.events[0].details.update(mediator_id=row.mediator_id, chosen_by_parties=True)
        if spec.source == S.COURT:
            self.letter_seq += 1
            year = spec.at.year
            run.referral = SimpleNamespace(
                dispute_id=dispute_id, court_id=self.court.pk, letter=LETTER_PATH,
                letter_number=f"（{year}）川0107诉前调{self.letter_seq}号",
                court_case_number=f"（{year}）川0107民诉前{self.letter_seq:04d}号", referred_at=spec.at,
                routed_at=None, outcome=ReferralOutcome.PENDING, outcome_at=None)
        try:
            self.walk(run)
        except _Later:
            pass
        if row.is_petition:
            self.petition_progress(run)
        return run

    # -- parties and risk

    def parties(self, run):
        rng, spec, grid = self.rng, run.spec, run.grid
        # A citizen or a court names the parties; staff may pick them from the registry of the grid.
        registry = spec.source not in (S.CITIZEN, S.COURT)
        parties = []
        group = rng.random() < GROUP_TYPES.get(spec.type, 0)
        applicants = rng.randint(GROUP_PARTIES, 12) if group else (2 if rng.random() < 0.1 else 1)
        for _ in range(applicants):
            parties.append(self.person_party(grid, PartyRole.APPLICANT, registry))
        organisation = ORGANISATION_RESPONDENT.get(spec.type)
        if organisation and rng.random() < organisation[1]:
            found = self.organisations.get(grid.region.pk) if registry else None
            if found and rng.random() < 0.5:
                org_id, org_name = rng.choice(found)
                parties.append(SimpleNamespace(kind=PartyKind.ORGANISATION, role=PartyRole.RESPONDENT,
                                               person_id=None, organisation_id=org_id, name=org_name))
            else:
                parties.append(SimpleNamespace(kind=PartyKind.ORGANISATION, role=PartyRole.RESPONDENT,
                                               person_id=None, organisation_id=None,
                                               name=f"成都{names.trade_name(rng)}{organisation[0]}"))
        else:
            parties.append(self.person_party(grid, PartyRole.RESPONDENT, registry))
        if rng.random() < 0.08:
            parties.append(self.person_party(grid, PartyRole.THIRD, registry))
        for party in parties:
            party.id_number, party.rating = getattr(party, "id_number", ""), None
            party.phone = getattr(party, "phone", "")
        run.parties = parties
        run.row.parties_count = len(parties)

    def person_party(self, grid, role, registry):
        rng = self.rng
        people = self.people.get(grid.region.pk) if registry else None
        if people and rng.random() < REGISTRY_PERSON:
            person_id, name = rng.choice(people)  # ID number and phone are copied from the registry on writing
            return SimpleNamespace(kind=PartyKind.PERSON, role=role, person_id=person_id, organisation_id=None,
                                   name=name)
        return SimpleNamespace(kind=PartyKind.PERSON, role=role, person_id=None, organisation_id=None,
                               name=names.person_name(rng), phone=self.phone() if rng.random() < 0.9 else "")

    def risk(self, run):
        """As services' registration assesses it: the registrar's level, raised by many parties (群体性)."""
        rng, row = self.rng, run.row
        if row.source not in (S.CITIZEN, S.COURT):  # a citizen's report and a referral carry no assessment
            roll = rng.random() + (0.25 if row.source == S.PETITION else 0)
            row.risk = Risk.HIGH if roll > 0.95 else Risk.MEDIUM if roll > 0.72 else Risk.LOW
            if row.risk != Risk.LOW:
                row.risk_reasons = [rng.choice(RISK_REASONS)]
            row.criminal_risk = row.risk == Risk.HIGH and rng.random() < 0.3
        if row.parties_count >= GROUP_PARTIES:
            row.group_risk = True
            row.risk_reasons.append(group_risk_reason(row.parties_count))
        if row.group_risk or row.criminal_risk:
            row.risk = Risk.HIGH

    # -- the life of a dispute

    def walk(self, run):
        rng, row = self.rng, run.row
        t = row.reported_at
        recent = self.now - t <= timedelta(days=STALL_DAYS)
        stall = rng.choice(("registered", "accepted", "mediating")) if recent and rng.random() < STALL else None
        slow = 4 if row.is_petition else 1  # petition matters take months
        if run.referral is not None:  # 多调办 routes the referral
            levels, weights = zip(*ROUTE_LEVELS)
            level = rng.choices(levels, weights=weights)[0]
            target = self.committee_at(level, run.grid, row.type) if row.grid_id or level != Level.COMMUNITY \
                else None
            target = target or self.committee_at(Level.STREET, run.grid, row.type)
            at = run.when(self.work(t, rng.uniform(1, 16)))
            self.move(run, target, at)
            run.referral.routed_at = at
            run.step(self.world.district_operator, "route", at, "", {"committee": target.name, "level": target.level})
        if stall == "registered":
            raise _Later
        while True:  # one round per committee the dispute sits with
            industry = self.industry.get(row.type)
            if (industry is not None and run.committee is not industry and row.level != Level.INDUSTRY
                    and rng.random() < TRANSFER):
                actor = self.operator_of(run.committee)
                at = run.when(self.work(run.last, rng.uniform(2, 24)))
                self.move(run, industry, at)
                row.transfer_count += 1
                row.accepted_at = row.mediation_started_at = None
                self.call_off_sessions(run)
                run.step(actor, "transfer", at, rng.choice(TRANSFER_REASONS),
                         {"committee": industry.name, "level": industry.level})
            # 受理 (and the mediator, when an operator accepts)
            if run.mediator is None:  # else the parties chose one at registration
                run.mediator = self.pick_mediator(run.committee, row.type)
            hand = self.hand(run)
            at = run.when(self.work(run.last, rng.uniform(0.5, 16)))
            row.accepted_at = at
            if hand.role == Role.MEDIATOR:
                row.mediator_id = run.mediator.pk
            run.step(hand, "accept", at)
            if run.mediator is not None and row.mediator_id is None:
                at = run.when(self.work(at, rng.uniform(0.2, 4)))
                row.mediator_id = run.mediator.pk
                run.step(hand, "assign_mediator", at, "", {"mediator_id": run.mediator.pk, "chosen_by_parties": False})
            hand = self.hand(run)
            if rng.random() < WITHDRAW * 0.4:
                return self.close(run, hand, "withdraw", run.when(self.work(run.last, rng.uniform(2, 40))))
            if row.level in NEXT_LEVEL and rng.random() < ESCALATE:
                self.escalate(run, hand)
                continue
            if stall == "accepted":
                raise _Later
            # 调解会: one or two sessions, some online
            self.session(run, hand, 0.5, 5 * slow)
            if stall == "mediating":
                raise _Later
            if rng.random() < SECOND_SESSION or row.is_petition:
                if row.level in NEXT_LEVEL and rng.random() < ESCALATE / 2:
                    self.escalate(run, hand)
                    continue
                self.session(run, hand, 2, 10 * slow)
            if row.is_petition:
                self.session(run, hand, 7, 20 * slow)
            roll = rng.random()
            at = run.when(run.last + timedelta(minutes=rng.randint(10, 90)))
            if roll < WITHDRAW * 0.6:
                return self.close(run, hand, "withdraw", at)
            if roll < WITHDRAW * 0.6 + FAIL:
                self.close(run, hand, "fail", at)
                self.rate(run, hand, low=True)
                return None
            self.agree(run, hand, at)
            return None

    def move(self, run, committee, at):
        """To a committee (route or transfer): its level, a fresh due date, no mediator yet."""
        row = run.row
        run.committee, run.mediator = committee, None
        row.committee_id, row.level, row.mediator_id = committee.pk, committee.level, None
        row.due_by, row.overdue_flagged_at = self.due(committee.level, at), None

    def escalate(self, run, hand):
        rng, row = self.rng, run.row
        at = run.when(self.work(run.last, rng.uniform(4, 60)))
        level = NEXT_LEVEL[row.level]
        committee = self.committee_at(level, run.grid, row.type)
        row.level, row.escalation_count = level, row.escalation_count + 1
        run.committee, run.mediator = committee, None
        row.committee_id, row.mediator_id = committee.pk, None
        row.accepted_at = row.mediation_started_at = None
        row.due_by, row.overdue_flagged_at = self.due(level, at), None
        self.call_off_sessions(run)
        run.step(hand, "escalate", at, rng.choice(ESCALATE_REASONS), {"level": level, "committee": committee.name})

    def session(self, run, hand, days_low, days_high):
        rng, row = self.rng, run.row
        at = run.when(self.work(run.last, rng.uniform(0.3, 8)))
        starts_at = self.day_at(at, days_low, days_high)
        online = rng.random() < ONLINE
        # A made-up room on a reserved domain (.invalid): no real meeting service is named.
        room = f"https://meet.example.invalid/wangge-demo/{row.number}-{len(run.sessions) + 1}" if online else ""
        session = SimpleNamespace(id=None, dispute_id=row.id, starts_at=starts_at, mediator_id=row.mediator_id,
                                  place="" if online else self.place(run), online_room=room,
                                  participants="、".join([p.name for p in run.parties[:6] if p.name]
                                                        + ([run.mediator.name] if run.mediator else [])),
                                  state=SessionState.SCHEDULED, record="", held_at=None)
        run.sessions.append(session)
        if row.mediation_started_at is None:
            row.mediation_started_at = at
        run.step(hand, "schedule_session", at, "", {"session": session, "starts_at": starts_at.isoformat(),
                                                     "place": session.place, "online": online})
        held = run.when(starts_at + timedelta(minutes=rng.randint(45, 180)))
        session.state, session.record, session.held_at = SessionState.HELD, rng.choice(SESSION_RECORDS), held
        run.step(hand, "record_session", held, "", {"session": session})

    def place(self, run):
        committee = run.committee
        if committee.level == Level.COMMUNITY:
            return f"{committee.name.removesuffix('人民调解委员会')}党群服务中心调解室"
        return committee.address + "调解室" if committee.address else "调解室"

    def close(self, run, hand, action, at):
        row = run.row
        reason = self.rng.choice(WITHDRAW_REASONS if action == "withdraw" else FAIL_REASONS)
        row.closed_at, row.outcome_note = at, reason
        self.referral_outcome(run, ReferralOutcome.RETURNED, at)
        run.step(hand, action, at, reason)

    def call_off_sessions(self, run):
        """As services do when a dispute moves or ends: sessions still ahead are cancelled."""
        for session in run.sessions:
            if session.state == SessionState.SCHEDULED:
                session.state = SessionState.CANCELLED

    def referral_outcome(self, run, outcome, at):
        self.call_off_sessions(run)
        if run.referral is not None:
            run.referral.outcome, run.referral.outcome_at = outcome, at

    def agree(self, run, hand, at):
        rng, row = self.rng, run.row
        amount = (row.amount * Decimal(rng.choice((0.5, 0.6, 0.7, 0.8, 0.9, 1)))).quantize(Decimal("0.01")) \
            if row.amount else Decimal("0.00")
        day = at.astimezone(local_zone()).date()
        perform_by = day + timedelta(days=rng.choice((7, 15, 30, 60))) if amount or rng.random() < 0.4 else None
        respondent = next((p.name for p in run.parties if p.role == PartyRole.RESPONDENT), "被申请人")
        terms = (f"一、{respondent}于{perform_by:%Y年%m月%d日}前支付申请人{amount}元；" if amount and perform_by
                 else "一、双方互谅互让，就争议事项达成和解；") + "二、双方就本纠纷再无其他争议。"
        run.agreement = SimpleNamespace(id=None, dispute_id=row.id, terms=terms, amount=amount, perform_by=perform_by,
                                        signed_at=at, confirmation=Confirmation.NONE, confirmation_court_id=None,
                                        confirmation_applied_at=None, confirmation_decided_at=None,
                                        confirmation_note="", performance=Performance.PENDING)
        row.closed_at, row.outcome_note = at, terms[:500]
        self.referral_outcome(run, ReferralOutcome.SETTLED, at)
        run.step(hand, "agree", at, "", {"amount": str(amount), "perform_by": perform_by.isoformat() if perform_by
                                         else ""})
        for step in (self.confirmation, self.follow_up, lambda r, h: self.rate(r, h, low=False)):
            try:
                step(run, hand)
            except _Later:
                pass

    def confirmation(self, run, hand):
        rng, agreement = self.rng, run.agreement
        if self.court is None or self.court_handler is None or rng.random() >= CONFIRMATION:
            return
        at = run.when(self.work(run.last, rng.uniform(2, 40)))
        agreement.confirmation, agreement.confirmation_court_id = Confirmation.APPLIED, self.court.pk
        agreement.confirmation_applied_at = at
        run.step(hand, "apply_confirmation", at, "", {"court": self.court.name})
        at = run.when(self.work(at, rng.uniform(8, 80)))
        refused = rng.random() < CONFIRMATION_REFUSED
        outcome = Confirmation.REFUSED if refused else Confirmation.CONFIRMED
        note = rng.choice(REFUSE_NOTES) if refused else ""
        agreement.confirmation, agreement.confirmation_decided_at = outcome, at
        agreement.confirmation_note = note
        run.step(self.court_handler, "refuse_confirmation" if refused else "confirm", at, note,
                 {"confirmation": outcome})

    def follow_up(self, run, hand):
        rng, agreement = self.rng, run.agreement
        if rng.random() >= FOLLOW_UP:
            return
        due = (datetime.combine(agreement.perform_by, time(10), tzinfo=local_zone()) if agreement.perform_by
               else agreement.signed_at)
        at = run.when(self.work(max(due, run.last), rng.uniform(2, 60)))
        roll = rng.random()
        performance = Performance.KEPT if roll < 0.86 else Performance.PARTLY if roll < 0.95 else Performance.BROKEN
        note = rng.choice(FOLLOW_UP_NOTES[performance])
        by = run.grid.worker if run.row.grid_id and run.grid.worker and rng.random() < 0.4 else hand
        run.follow_ups.append(SimpleNamespace(id=None, agreement_id=None, at=at, performance=performance, note=note,
                                              by_id=by.pk))
        agreement.performance = performance
        run.step(by, "follow_up", at, note, {"performance": performance})

    def rate(self, run, hand, *, low):
        rng = self.rng
        if rng.random() >= RATED:
            return
        at = run.when(self.work(run.row.closed_at, rng.uniform(1, 48)))
        for party in run.parties:
            if party.kind != PartyKind.PERSON or rng.random() < 0.3:
                continue
            roll = rng.random()
            rating = (rng.choice((1, 2, 3, 3, 4)) if low else
                      5 if roll < 0.72 else 4 if roll < 0.93 else 3 if roll < 0.98 else 2)
            party.rating = rating
            run.step(hand, "rate", at, "", {"party": party, "rating": rating})
            at = run.when(at + timedelta(minutes=rng.randint(1, 20)))

    def petition_progress(self, run):
        """领导包案: one entry a month while the matter is open, by its leader (a recorder who sees it)."""
        rng, row = self.rng, run.row
        end = row.closed_at or self.now
        month = row.reported_at.astimezone(local_zone()).date().replace(day=1)
        steps = list(run.events)  # the walk's own steps, in time order: what the state was at any moment
        while datetime.combine(month, time(0), tzinfo=local_zone()) < end:
            begin = max(datetime.combine(month, time(0), tzinfo=local_zone()), row.reported_at + timedelta(hours=1))
            next_month = (month + timedelta(days=32)).replace(day=1)
            stop = min(datetime.combine(next_month, time(0), tzinfo=local_zone()), end)
            if begin >= stop:
                month = next_month
                continue
            at = begin + (stop - begin) * rng.uniform(0.2, 0.9)
            state = next(e.to_state for e in reversed(steps) if e.at <= at)
            text = rng.choice(PROGRESS_NOTES)
            run.progress.append(SimpleNamespace(id=None, dispute_id=row.id, month=month, text=text,
                                                by_id=run.leader.pk, at=at))
            run.events.append(SimpleNamespace(at=at, actor_id=run.leader.pk, actor_name=run.leader.username,
                                              action="record_progress", from_state=state, to_state=state, note=text,
                                              details={"month": month.isoformat()}))
            row.version += 1
            month = next_month
        run.events.sort(key=lambda e: e.at)  # stable: a step and an entry at one moment keep the step first

    # -- small things

    def point_in(self, grid):
        import shapely

        x0, y0, x1, y1 = grid.polygon.bounds
        for _ in range(1000):
            x, y = round(self.rng.uniform(x0, x1), 6), round(self.rng.uniform(y0, y1), 6)
            if shapely.contains_xy(grid.polygon, x, y):
                return x, y
        point = grid.polygon.representative_point()
        return round(point.x, 6), round(point.y, 6)

    def phone(self):
        return self.phones.next()


# ------------------------------------------------------------------ the plan


@dataclass
class DisputesPlan:
    runs: list = field(default_factory=list)
    counters: dict = field(default_factory=dict)  # day -> last sequence number used

    def counts(self) -> dict:
        return {"disputes": len(self.runs), "dispute_events": sum(len(r.events) for r in self.runs),
                "open_disputes": sum(1 for r in self.runs if r.row.state in (State.REGISTERED, State.ACCEPTED,
                                                                            State.MEDIATING))}


def _court(district):
    from wangge.core.models import Department

    court = (Department.objects.filter(region__path__startswith=district.path, code__in=COURT_CODES)
             .order_by("id").first())
    handler = (User.objects.filter(department=court, role=Role.DEPARTMENT_HANDLER, is_active=True)
               .order_by("username").first() if court else None)
    return court, handler


def _people_by_grid(district):
    from wangge.registry.models import Organisation, Person

    people, organisations = defaultdict(list), defaultdict(list)
    for pk, name, grid_id in (Person.objects.filter(grid__path__startswith=district.path, moved_out__isnull=True)
                              .order_by("pk").values_list("pk", "name", "grid_id")):
        people[grid_id].append((pk, name))
    for pk, name, grid_id in (Organisation.objects.filter(grid__path__startswith=district.path).order_by("pk")
                              .values_list("pk", "name", "grid_id")):
        organisations[grid_id].append((pk, name))
    return people, organisations


def plan_disputes(district: Region, seed: int, count: int | None = None, now: datetime | None = None,
                  committees=None, mediators=None, first_id: int = 1, counters: dict | None = None) -> DisputesPlan:
    """The district's synthetic year of disputes, in memory (committees and mediators must exist).
    `count` defaults to DISPUTES_PER_COMMUNITY per community."""
    now = now or timezone.now()
    world = _world(district)
    if not world.grids or world.district_operator is None:
        return DisputesPlan()
    committees = committees if committees is not None else list(
        Committee.objects.filter(region__path__startswith=district.path, active=True).select_related("region"))
    mediators = mediators if mediators is not None else list(
        Mediator.objects.filter(region__path__startswith=district.path, active=True))
    court, handler = _court(district)
    people, organisations = _people_by_grid(district)
    planner = _Planner(world, committees, mediators, court, handler, people, organisations, seed, now)
    communities = {g.community.pk for g in world.grids}
    count = DISPUTES_PER_COMMUNITY * len(communities) if count is None else count
    counters = dict(counters or {})
    plan = DisputesPlan()
    for offset, spec in enumerate(planner.specs(count)):
        day = timezone.localtime(spec.at, local_zone()).date()
        counters[day] = counters.get(day, 0) + 1
        plan.runs.append(planner.dispute(spec, f"TJ{day:%Y%m%d}{counters[day]:05d}", first_id + offset))
    plan.counters = counters
    return plan


# --------------------------------------------------------------------- writes


def has_disputes(district: Region) -> bool:
    return Dispute.objects.filter(region__path__startswith=district.path).exists()


def write_letter() -> str:
    """The one synthetic referral letter (移送函) every demo referral points at, under MEDIA_ROOT."""
    if not default_storage.exists(LETTER_PATH):
        text = ("\ufeff移送函（演示用合成数据）\n\n本文件为演示系统自动生成的占位文件，所有诉前移送的案号、当事人及内容"
                "均为合成数据，不对应任何真实案件。\nSynthetic placeholder referral letter for the demo district; "
                "every referral, party and case number in the demo is invented.\n")
        default_storage.save(LETTER_PATH, ContentFile(text.encode("utf-8")))
    return LETTER_PATH


def load_disputes(district: Region, seed: int, count: int | None = None, now: datetime | None = None) -> dict:
    """Committees, mediators and the year of disputes, in one transaction, with DisputeCounter moved past them."""
    from wangge.registry.models import Person

    with transaction.atomic():
        phones = names.PhoneBook(PHONE_START)
        committees = ensure_committees(district, phones)
        mediators = ensure_mediators(district, committees, seed, phones)
        models_ = (Dispute, DisputeEvent, Party, Session, Agreement, FollowUp, Referral, PetitionProgress)
        ids = {model: first_free_id(model) for model in models_}
        plan = plan_disputes(district, seed, count, now, committees, mediators, ids[Dispute],
                             counters=dict(DisputeCounter.objects.values_list("day", "last")))
        if any(run.referral for run in plan.runs):
            write_letter()
        registry = Person.objects.in_bulk({p.person_id for run in plan.runs for p in run.parties if p.person_id})
        rows = defaultdict(list)
        for run in plan.runs:
            rows[Dispute].append(run.row)
            for party in run.parties:
                party.id, party.dispute_id = _next(ids, Party), run.row.id
                if party.person_id:
                    person = registry[party.person_id]
                    party.id_number, party.phone = person.id_number, person.phone or ""
                party.id_hash, party.name_phone_hash = party_hashes(party.name, party.id_number, party.phone)
                rows[Party].append(party)
            for session in run.sessions:
                session.id = _next(ids, Session)
                rows[Session].append(session)
            if run.agreement is not None:
                run.agreement.id = _next(ids, Agreement)
                rows[Agreement].append(run.agreement)
                for follow_up in run.follow_ups:
                    follow_up.id, follow_up.agreement_id = _next(ids, FollowUp), run.agreement.id
                    rows[FollowUp].append(follow_up)
            if run.referral is not None:
                run.referral.id = _next(ids, Referral)
                rows[Referral].append(run.referral)
            for progress in run.progress:
                progress.id = _next(ids, PetitionProgress)
                rows[PetitionProgress].append(progress)
            for event in run.events:
                event.id, event.dispute_id = _next(ids, DisputeEvent), run.row.id
                details = event.details  # sessions and parties were keys to be: now they have them
                for key in ("session", "party"):
                    if key in details and not isinstance(details[key], int):
                        details[key] = details[key].id
                rows[DisputeEvent].append(event)
        writer = BulkWriter()
        for model in models_:
            if rows[model]:
                writer.insert(Table(model), rows[model])
        catch_up_sequences(models_)
        existing = DisputeCounter.objects.in_bulk(list(plan.counters), field_name="day")
        DisputeCounter.objects.bulk_create([DisputeCounter(day=d, last=n) for d, n in plan.counters.items()
                                            if d not in existing], batch_size=500)
        for day, counter in existing.items():
            if counter.last < plan.counters[day]:
                DisputeCounter.objects.filter(pk=counter.pk, last__lt=plan.counters[day]).update(
                    last=plan.counters[day])
        writer.finish()
        counts = {**plan.counts(), "committees": len(committees), "mediators": len(mediators)}
        record(None, "demo.load_disputes", district, seed=seed, **counts)
    return counts


def _next(ids, model) -> int:
    value = ids[model]
    ids[model] = value + 1
    return value


def wipe_disputes(district: Region) -> None:
    """Delete the district's disputes (their timeline, parties, sessions, agreements, referrals, progress),
    mediators and committees; call inside a transaction, before the people, cases and staff go."""
    prefix = district.path
    disputes = Dispute.objects.filter(Q(region__path__startswith=prefix) | Q(committee__region__path__startswith=prefix)
                                      | Q(referral__court__region__path__startswith=prefix))
    ids = list(disputes.values_list("pk", flat=True).distinct())
    for start in range(0, len(ids), 5000):
        chunk = ids[start:start + 5000]
        # The timeline refuses delete() on purpose (append-only in operation); the whole district is going.
        DisputeEvent.objects.filter(dispute_id__in=chunk)._raw_delete(DisputeEvent.objects.db)
        Dispute.objects.filter(pk__in=chunk).delete()
    Membership.objects.filter(Q(committee__region__path__startswith=prefix)
                              | Q(mediator__region__path__startswith=prefix)).delete()
    Mediator.objects.filter(region__path__startswith=prefix).delete()
    Committee.objects.filter(region__path__startswith=prefix).delete()
