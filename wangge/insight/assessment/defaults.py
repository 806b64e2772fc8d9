"""The default schemes (one per target type): what `load_demo` creates and what docs/assessment.md lists."""
from django.utils.translation import gettext_lazy as _

# A rate's bands (a percentage → points): higher is better.
HIGH = [{"from": 95, "to": None, "points": 100}, {"from": 90, "to": 95, "points": 90},
        {"from": 80, "to": 90, "points": 75}, {"from": 60, "to": 80, "points": 50},
        {"from": None, "to": 60, "points": 0}]
# 返工率, 延期率: lower is better.
LOW = [{"from": None, "to": 5, "points": 100}, {"from": 5, "to": 10, "points": 80},
       {"from": 10, "to": 20, "points": 50}, {"from": 20, "to": None, "points": 0}]
# Reports filed by a grid worker in a month.
REPORTS = [{"from": 20, "to": None, "points": 100}, {"from": 10, "to": 20, "points": 80},
           {"from": 5, "to": 10, "points": 60}, {"from": None, "to": 5, "points": 30}]
# People registered or updated by a grid worker in a month.
BASE_DATA = [{"from": 10, "to": None, "points": 100}, {"from": 1, "to": 10, "points": 70},
             {"from": None, "to": 1, "points": 0}]


def _rows(*pairs):
    return [{"code": code, "weight": weight, "bands": bands} for code, weight, bands in pairs]


DEFAULTS = {
    "grid_worker": {
        "name": _("Grid workers' monthly assessment"),
        "indicators": _rows(("reports_filed", 20, REPORTS), ("valid_report_rate", 15, HIGH), ("on_time_rate", 15, HIGH),
                            ("satisfaction_rate", 10, HIGH), ("visits_done", 15, HIGH), ("base_data", 5, BASE_DATA),
                            ("alerts_in_time", 10, HIGH), ("spot_check", 10, [])),
        "allowance_rule": {"kind": "by_rating", "amounts": {"A": 800, "B": 600, "C": 400, "D": 300, "E": 200}},
    },
    "community": {
        "name": _("Communities' monthly assessment"),
        "indicators": _rows(("register_rate", 10, HIGH), ("verified_on_time", 10, HIGH), ("on_time_rate", 20, HIGH),
                            ("rework_rate", 10, LOW), ("satisfaction_rate", 15, HIGH), ("visits_done", 10, HIGH),
                            ("alerts_in_time", 5, HIGH), ("mediation_success_rate", 10, HIGH),
                            ("spot_check", 10, [])),
        "allowance_rule": {},
    },
    "street": {
        "name": _("Streets' quarterly assessment"),
        "indicators": _rows(("on_time_rate", 20, HIGH), ("rework_rate", 10, LOW), ("extension_rate", 5, LOW),
                            ("satisfaction_rate", 15, HIGH), ("verified_on_time", 10, HIGH), ("register_rate", 5, HIGH),
                            ("mediation_success_rate", 10, HIGH), ("referral_settlement_rate", 10, HIGH),
                            ("alerts_in_time", 5, HIGH), ("spot_check", 10, [])),
        "allowance_rule": {},
    },
    "department": {
        "name": _("Departments' quarterly assessment"),
        "indicators": _rows(("dispatch_accuracy", 20, HIGH), ("accepted_on_time", 20, HIGH), ("on_time_rate", 25, HIGH),
                            ("rework_rate", 10, LOW), ("extension_rate", 10, LOW), ("satisfaction_rate", 15, HIGH)),
        "allowance_rule": {},
    },
}


def create_default_schemes(actor, region) -> list:
    """One scheme per target type at `region` (a district), unless it already has one of that type."""
    from django.utils import translation

    from wangge.insight.assessment.models import Scheme
    from wangge.insight.assessment.services import do_save_scheme

    made = []
    with translation.override("zh-hans"):
        for target_type, default in DEFAULTS.items():
            if Scheme.objects.filter(region=region, target_type=target_type).exists():
                continue
            made.append(do_save_scheme(actor, name=str(default["name"]), region=region, target_type=target_type,
                                       indicators=default["indicators"], allowance_rule=default["allowance_rule"]))
    return made
