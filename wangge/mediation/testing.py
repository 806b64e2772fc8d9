"""Committees, mediators, a court and disputes in every state for tests, on `wangge.testing.build_world`.

build_mediation(world) adds: a people's committee at each community, street and the district, the district's
多调办 (office) and a 医调委 (industry, medical only); Mediator rows for the world's mediators (mediator_1 in
community 0's committee, mediator_2 in community 2's, the outsider) and one pool member without an account;
the court (department FY) with its handler `court_handler`.
"""
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from wangge.core.models import Department
from wangge.core.roles import Role
from wangge.mediation import services
from wangge.mediation.models import (
    Committee,
    CommitteeKind,
    DisputeType,
    Level,
    Mediator,
    MemberRole,
    Membership,
    Source,
)
from wangge.testing import make_user

PARAMS = {
    "transfer": {"reason": "涉及物业专业问题"}, "escalate": {"reason": "社区调解未果"},
    "withdraw": {"reason": "当事人撤回申请"}, "record_progress": {"text": "已约谈双方"},
    "record_session": {"record": "双方陈述意见"}, "agree": {"terms": "甲方赔偿乙方5000元", "amount": "5000"},
    "fail": {"reason": "双方分歧较大"}, "confirm": {"note": "裁定有效"},
    "refuse_confirmation": {"note": "协议内容违法"},
    "follow_up": {"performance": "kept", "note": "已履行"},
}


@dataclass
class Mediation:
    committees: dict = field(default_factory=dict)  # region code (or "office", "medical") -> Committee
    mediators: dict = field(default_factory=dict)  # username (or "pool") -> Mediator
    court: Department | None = None
    court_handler: object = None

    def committee_of(self, region):
        return self.committees[region.code]


def letter(name="移送函.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4 synthetic referral letter", content_type="application/pdf")


def build_mediation(world) -> Mediation:
    m = Mediation()
    for region, level in ([(c, Level.COMMUNITY) for c in world.communities]
                          + [(s, Level.STREET) for s in world.streets] + [(world.district, Level.DISTRICT)]):
        m.committees[region.code] = Committee.objects.create(name=f"{region.name}人民调解委员会", level=level,
                                                             region=region)
    m.committees["office"] = Committee.objects.create(name="区多元化解办公室", kind=CommitteeKind.OFFICE,
                                                      level=Level.DISTRICT, region=world.district)
    m.committees["medical"] = Committee.objects.create(name="区医疗纠纷人民调解委员会", kind=CommitteeKind.INDUSTRY,
                                                       level=Level.INDUSTRY, region=world.district,
                                                       dispute_types=[DisputeType.MEDICAL])
    homes = [(world.users[Role.MEDIATOR], world.communities[0]), (world.outsiders[Role.MEDIATOR], world.communities[2])]
    for user, community in homes:
        mediator = Mediator.objects.create(user=user, name=user.full_name or user.username, region=community,
                                           expertise=[DisputeType.NEIGHBOUR], languages=["普通话"])
        Membership.objects.create(committee=m.committees[community.code], mediator=mediator, role=MemberRole.CHAIR)
        m.mediators[user.username] = mediator
    pool = Mediator.objects.create(name="调解员（无账号）", region=world.communities[0],
                                   expertise=[DisputeType.PROPERTY_MANAGEMENT])
    Membership.objects.create(committee=m.committees[world.communities[0].code], mediator=pool)
    m.mediators["pool"] = pool
    m.court = Department.objects.create(code="FY", name="区人民法院", region=world.district)
    m.court_handler = make_user("court_handler", Role.DEPARTMENT_HANDLER, department=m.court)
    return m


def register(world, user=None, **extra):
    """A neighbour dispute in grid 0, registered by its grid worker (community level, community 0's committee)."""
    lng, lat = world.grid_center(world.grids[0])
    fields = {"title": "楼上漏水纠纷", "type": DisputeType.NEIGHBOUR, "source": Source.GRID, "lng": lng, "lat": lat,
              "parties": [{"name": "甲某", "role": "applicant"}, {"name": "乙某", "role": "respondent"}], **extra}
    return services.do_register_dispute(user or world.users[Role.GRID_WORKER], **fields)


def act(user, dispute, action, **params):
    dispute.refresh_from_db()
    return services.do_act(user, dispute, action, expected_version=dispute.version, **params)


def soon():
    return (timezone.now() + timedelta(days=1)).replace(microsecond=0)


def dispute_in(world, m, variant):
    """A new dispute brought to `variant`: a state name, or agreed_applied (judicial confirmation applied for),
    or petition (an open petition matter)."""
    op, med = world.users[Role.COMMUNITY_OPERATOR], world.users[Role.MEDIATOR]
    dispute = register(world, is_petition=variant == "petition")
    accept = [(med, "accept", {})]
    mediate = accept + [(med, "schedule_session", {"starts_at": soon(), "place": "社区调解室"})]
    steps = {
        "registered": [], "petition": [],
        "accepted": accept,
        "mediating": mediate,
        "agreed": mediate + [(med, "agree", PARAMS["agree"])],
        "agreed_applied": mediate + [(med, "agree", PARAMS["agree"]),
                                     (op, "apply_confirmation", {"court": m.court.pk})],
        "failed": mediate + [(med, "fail", PARAMS["fail"])],
        "withdrawn": [(op, "withdraw", PARAMS["withdraw"])],
    }[variant]
    for user, action, params in steps:
        dispute = act(user, dispute, action, **params)
    return dispute
