"""Template helpers for the mediation pages: Chinese labels for the ledger's codes, masked personal data,
optional links (a page another part may or may not have installed) and the dispute a case became."""
from django import template
from django.urls import NoReverseMatch, reverse

from wangge.core.roles import can as role_can

register = template.Library()

TYPE_LABELS = {
    "marriage_family": "婚姻家庭", "neighbour": "邻里纠纷", "property_management": "物业纠纷", "labour": "劳动争议",
    "housing_land": "房屋土地", "medical": "医疗纠纷", "traffic": "交通事故", "consumer": "消费纠纷",
    "demolition": "征地拆迁", "military": "涉军纠纷", "ethnic": "民族纠纷", "other": "其他",
}
SOURCE_LABELS = {
    "mediation_platform": "调解平台", "police": "公安警情", "hotline_12345": "12345热线", "public_opinion": "舆情",
    "grid": "网格排查", "fixed_point": "定点排查", "department": "部门条线", "court": "法院诉前移送",
    "citizen": "群众自报", "petition": "信访",
}
LEVEL_LABELS = {"community": "社区", "street": "街道", "district": "区级", "industry": "行业调委会"}
RISK_LABELS = {"low": "低", "medium": "中", "high": "高"}
STATE_LABELS = {
    "registered": "已登记", "accepted": "已受理", "mediating": "调解中", "agreed": "调解成功",
    "failed": "调解不成", "withdrawn": "已撤回",
}
ROLE_LABELS = {"applicant": "申请人", "respondent": "被申请人", "third": "第三人"}
KIND_LABELS = {"person": "个人", "organisation": "组织"}
SESSION_LABELS = {"scheduled": "待召开", "held": "已召开", "cancelled": "已取消"}
CONFIRMATION_LABELS = {"": "未申请", "applied": "已申请，待法院确认", "confirmed": "已司法确认",
                       "refused": "法院不予确认"}
PERFORMANCE_LABELS = {"pending": "未到期", "kept": "已履行", "partly": "部分履行", "broken": "未履行"}
OUTCOME_LABELS = {"": "调解中", "settled": "调解成功", "returned": "退回诉讼"}
COMMITTEE_KIND_LABELS = {"peoples": "人民调解委员会", "industry": "行业性专业调委会", "administrative": "行政调解",
                         "judicial": "司法调解", "office": "多元化解办公室"}
ACTION_LABELS = {
    "register": "登记", "route": "分流", "transfer": "移交", "escalate": "上交上级", "accept": "受理",
    "assign_mediator": "指派调解员", "schedule_session": "安排调解会", "record_session": "记录调解会",
    "agree": "达成协议", "fail": "调解不成", "withdraw": "撤回", "apply_confirmation": "申请司法确认",
    "confirm": "司法确认", "refuse_confirmation": "不予确认", "follow_up": "履行回访", "rate": "当事人评价",
    "record_progress": "包案进展", "flag_overdue": "超期未化解（系统标记）",
}
# Buttons that end or send away someone's work: shown in the quieter style.
DANGER_ACTIONS = {"fail", "withdraw", "refuse_confirmation", "escalate", "transfer"}

LABELS = {"type": TYPE_LABELS, "source": SOURCE_LABELS, "level": LEVEL_LABELS, "risk": RISK_LABELS,
          "state": STATE_LABELS, "role": ROLE_LABELS, "kind": KIND_LABELS, "session": SESSION_LABELS,
          "confirmation": CONFIRMATION_LABELS, "performance": PERFORMANCE_LABELS, "outcome": OUTCOME_LABELS,
          "committee_kind": COMMITTEE_KIND_LABELS, "action": ACTION_LABELS}


@register.filter
def label(value, kind: str) -> str:
    """{{ dispute.type|label:"type" }} -> 邻里纠纷."""
    value = "" if value is None else value
    return LABELS.get(kind, {}).get(value, value)


@register.filter
def is_danger(action) -> bool:
    return action in DANGER_ACTIONS


@register.simple_tag
def url_if(name, *args) -> str:
    """The address of a named page, or "" when that page is not installed (another part builds it)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


@register.simple_tag
def visible_dispute(user, case):
    """The dispute a case became, if the user may see it (for the link on the case page), else None."""
    from wangge.mediation.models import Dispute

    if not role_can(user, "mediation.view"):
        return None
    return Dispute.objects.visible_to(user).filter(case_id=case.pk).first()


@register.simple_tag
def may_make_dispute(user, case) -> bool:
    """Whether the case page offers 转为矛盾纠纷: a 矛盾纠纷-class case not yet a dispute, to one who registers."""
    from wangge.mediation.models import Dispute
    from wangge.mediation.services import DISPUTE_MAJOR_CODE

    return (role_can(user, "mediation.register") and case.category.major.code == DISPUTE_MAJOR_CODE
            and not Dispute.objects.filter(case_id=case.pk).exists())


@register.simple_tag
def dispute_type_choices():
    return list(TYPE_LABELS.items())
