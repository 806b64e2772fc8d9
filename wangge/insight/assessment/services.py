"""Operations of assessment (考核): schemes, periods (compute, publish, finalise), spot checks, appeals and
exclusions (the table in workflow.py: `do_act`), and the exports. Each takes the acting user, runs in one
transaction and writes its audit row; a refusal changes nothing. Formulas: docs/assessment.md.
"""
import secrets
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from wangge.core import audit
from wangge.core.measures import next_period, period_start
from wangge.core.numbering import next_day_number
from wangge.core.roles import Role
from wangge.core.services import FieldErrors, NotAllowed, NotInArea, OperationError, require, text_param
from wangge.insight.assessment import compute, rules
from wangge.insight.assessment.indicators import REGISTRY
from wangge.insight.assessment.models import (
    Appeal,
    AppealCounter,
    AppealKind,
    AppealState,
    Evidence,
    Period,
    PeriodState,
    Scheme,
    Score,
    SpotCheck,
    TargetType,
)
from wangge.insight.assessment.workflow import FLOW

LABEL = {
    "name": pgettext_lazy("assessment input", "name"),
    "note": pgettext_lazy("assessment input", "findings"),
    "reason": pgettext_lazy("assessment input", "reason"),
    "decision": pgettext_lazy("assessment input", "decision"),
}
MAX_APPEAL_RECORDS = 50
RECORD_KINDS = ("case", "dispute", "person", "alert")


class StateError(OperationError):
    """Not possible in the period's (or appeal's) state: 409."""

    reason = "state"


def frozen_error() -> StateError:
    return StateError(_("The period is finalised: nothing about it changes any more."), field="period")


# --- who may do what ---------------------------------------------------------------------------------------------

def _is_above(actor, region) -> bool:
    """The actor sits at the region or above it (administrators everywhere)."""
    if actor.is_superuser or actor.role == Role.ADMINISTRATOR:
        return True
    node = actor.scope_node
    return node is not None and actor.role != Role.DEPARTMENT_HANDLER and region.path.startswith(node.path)


def _assessor(actor, scheme) -> None:
    """The acting user manages assessments and sits at the scheme's level or above; else 404 (not theirs to see) or
    403 (they see it, being assessed by it)."""
    require(actor, "assessment.manage")
    if not Scheme.objects.visible_to(actor).filter(pk=scheme.pk).exists():
        raise NotInArea(_("The scheme is outside your area."))
    if not _is_above(actor, scheme.region):
        raise NotAllowed(_("Only the assessing level or above may do this."))


def may_manage(actor, scheme) -> bool:
    try:
        _assessor(actor, scheme)
    except OperationError:
        return False
    return True


def owns_score(actor, score) -> bool:
    """Whether the score is the acting user's own (or their unit's): the only score they may appeal."""
    if score.target_type == TargetType.GRID_WORKER:
        return score.user_id == actor.pk
    if score.target_type == TargetType.DEPARTMENT:
        return actor.role == Role.DEPARTMENT_HANDLER and score.department_id == actor.department_id
    return actor.role in (Role.COMMUNITY_OPERATOR, Role.STREET_OPERATOR) and score.region_id == actor.region_id


def _locked_period(period) -> Period:
    period = Period.objects.select_for_update().select_related("scheme__region").get(pk=period.pk)
    if period.frozen:
        raise frozen_error()
    return period


# --- schemes ---------------------------------------------------------------------------------------------------------

def _appeal_days(value) -> int:
    try:
        days = int(str(value))
    except (TypeError, ValueError):
        days = -1
    if not 0 <= days <= 30:
        raise FieldErrors({"appeal_days": _("The appeal window is from 0 to 30 working days")})
    return days


def clean_scheme(target_type, indicators, allowance_rule, appeal_days) -> dict:
    """Every field of a scheme checked at once: FieldErrors naming each field at fault."""
    errors = {}
    if target_type not in TargetType.values:
        raise FieldErrors({"target_type": _("Choose who is assessed")})
    cleaned = {}
    for name, check in (("indicators", lambda: rules.clean_indicators(indicators, target_type)),
                        ("allowance_rule", lambda: rules.clean_allowance_rule(allowance_rule, target_type)),
                        ("appeal_days", lambda: _appeal_days(appeal_days))):
        try:
            cleaned[name] = check()
        except FieldErrors as exc:
            errors.update(exc.errors)
    if errors:
        raise FieldErrors(errors)
    return cleaned


@transaction.atomic
def do_save_scheme(actor, scheme: Scheme | None = None, *, name, region=None, target_type=None, indicators,
                   allowance_rule=None, appeal_days=5, active=True, expected_version=None) -> Scheme:
    """A new scheme (region and target type given) or an edit of one (its region and target type stay)."""
    name = text_param({"name": name}, "name", LABEL["name"], limit=100)
    if scheme is None:
        if region is None:
            raise FieldErrors({"region": _("Choose the assessing level")})
        from wangge.areas.models import Region

        if actor is not None:  # None: the system (the demo loader)
            require(actor, "assessment.manage")
            if not Region.objects.visible_to(actor).filter(pk=region.pk).exists():
                raise NotInArea(_("The region is outside your area."))
        if (actor is not None and not _is_above(actor, region)) or region.level in ("grid", "province", "city"):
            raise FieldErrors({"region": _("Choose a district, street or community at or below your level")})
        cleaned = clean_scheme(target_type, indicators, allowance_rule, appeal_days)
        scheme = Scheme.objects.create(name=name, region=region, target_type=target_type, active=bool(active),
                                       **cleaned)
        audit.record(actor, "assessment.create_scheme", scheme, target_type=target_type, region=region.code,
                     indicators=cleaned["indicators"], allowance_rule=cleaned["allowance_rule"])
        return scheme
    _assessor(actor, scheme)
    scheme = Scheme.objects.select_for_update().select_related("region").get(pk=scheme.pk)
    if expected_version is not None and scheme.version != expected_version:
        from wangge.core.workflow import ConflictError

        raise ConflictError(_("scheme"))
    cleaned = clean_scheme(scheme.target_type, indicators, allowance_rule, appeal_days)
    before = {"indicators": scheme.indicators, "allowance_rule": scheme.allowance_rule,
              "appeal_days": scheme.appeal_days, "name": scheme.name, "active": scheme.active}
    scheme.name, scheme.active = name, bool(active)
    for key, value in cleaned.items():
        setattr(scheme, key, value)
    scheme.version += 1
    scheme.updated_at = timezone.now()
    scheme.save()
    audit.record(actor, "assessment.edit_scheme", scheme, before=before,
                 after={"indicators": scheme.indicators, "allowance_rule": scheme.allowance_rule,
                        "appeal_days": scheme.appeal_days, "name": scheme.name, "active": scheme.active})
    return scheme


def _snapshot(scheme) -> dict:
    return {"indicators": scheme.indicators, "allowance_rule": scheme.allowance_rule,
            "appeal_days": scheme.appeal_days, "scheme_version": scheme.version}


# --- periods -----------------------------------------------------------------------------------------------------

def parse_period_start(value, unit: str) -> date:
    try:
        day = value if isinstance(value, date) else date.fromisoformat(str(value or "")[:10])
    except ValueError:
        raise FieldErrors({"start": _("The period is a date YYYY-MM-DD (any day in it)")}) from None
    if not 2000 <= day.year <= 2100:
        raise FieldErrors({"start": _("The period is a date YYYY-MM-DD (any day in it)")})
    return period_start(day, unit)


@transaction.atomic
def do_open_period(actor, scheme: Scheme, start, *, now=None) -> Period:
    """Start assessing one month (quarter) of a scheme and compute it; a period not yet begun is refused, and
    each period is opened once."""
    _assessor(actor, scheme)
    now = now or timezone.now()
    first = parse_period_start(start, scheme.period_unit)
    if first > timezone.localdate(now):
        raise FieldErrors({"start": _("The period has not begun yet")})
    if not scheme.active:
        raise StateError(_("The scheme is not active"), field="scheme")
    if Period.objects.filter(scheme=scheme, start=first).exists():
        raise FieldErrors({"start": _("This period is already open")})
    period = Period.objects.create(scheme=scheme, start=first, end=next_period(first, scheme.period_unit),
                                   rules=_snapshot(scheme), computed_at=now)
    scores = compute.compute_period(period, now)
    audit.record(actor, "assessment.open_period", period, scheme=scheme.pk, start=first.isoformat(),
                 scores=len(scores))
    return period


@transaction.atomic
def do_compute(actor, period: Period, *, now=None) -> Period:
    """Recompute every score (a draft takes the scheme's current rules); refused once finalised."""
    _assessor(actor, period.scheme)
    now = now or timezone.now()
    period = _locked_period(period)
    if period.state == PeriodState.DRAFT:
        period.rules = _snapshot(period.scheme)
    period.computed_at = now
    period.version += 1
    period.save()
    scores = compute.compute_period(period, now)
    audit.record(actor, "assessment.compute", period, scores=len(scores))
    return period


@transaction.atomic
def do_publish(actor, period: Period, *, now=None) -> Period:
    """通报: the ranking is shown to those assessed; the appeal window opens (its working days from now)."""
    _assessor(actor, period.scheme)
    now = now or timezone.now()
    period = _locked_period(period)
    if period.state != PeriodState.DRAFT:
        raise StateError(_("The period is already published"), field="period")
    period.state, period.published_at, period.version = PeriodState.PUBLISHED, now, period.version + 1
    period.appeal_until = compute.appeal_deadline(now, int(period.rules.get("appeal_days", 5)))
    period.save()
    audit.record(actor, "assessment.publish", period, appeal_until=period.appeal_until.isoformat())
    return period


@transaction.atomic
def do_finalise(actor, period: Period, *, now=None) -> Period:
    """Finalise: the scores are frozen (no recompute, spot check or appeal). Appeals still open must be decided
    first."""
    _assessor(actor, period.scheme)
    now = now or timezone.now()
    period = _locked_period(period)
    if period.state != PeriodState.PUBLISHED:
        raise StateError(_("Publish the period before finalising it"), field="period")
    if Appeal.objects.filter(score__period=period, state=AppealState.SUBMITTED).exists():
        raise StateError(_("Decide the open appeals before finalising"), field="period")
    period.state, period.finalised_at, period.version = PeriodState.FINALISED, now, period.version + 1
    period.save()
    audit.record(actor, "assessment.finalise", period)
    return period


# --- spot checks --------------------------------------------------------------------------------------------------

def _spot_score(value) -> Decimal:
    try:
        score = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        score = Decimal(-1)
    if not score.is_finite() or not 0 <= score <= 100:
        raise FieldErrors({"score": _("The spot-check score is from 0 to 100")})
    return rules.quantize(score)


def do_spot_check(actor, period: Period, target_key: str, *, score, note, files, now=None) -> SpotCheck:
    """抽查: the assessing level's score of one target this period, with at least one photo of evidence (checked and
    re-encoded like a case's photos), and the target's score recomputed. A second check replaces the first's score
    and adds its evidence."""
    from wangge.cases.photos import clean_photos, photo_transaction

    _assessor(actor, period.scheme)
    if Period.objects.get(pk=period.pk).frozen:
        raise frozen_error()
    value = _spot_score(score)
    note = text_param({"note": note}, "note", LABEL["note"], limit=2000)
    if "spot_check" not in {r["code"] for r in period.rules["indicators"]}:
        raise FieldErrors({"target": _("This scheme has no spot check")})
    keys = {t.key: t for t in compute.targets_of(period.scheme)}
    if target_key not in keys:
        raise FieldErrors({"target": _("Choose someone this scheme assesses")})
    try:
        cleaned = clean_photos(files)
    except OperationError as exc:
        raise FieldErrors({"evidence": exc.message}) from None
    if not cleaned:
        raise FieldErrors({"evidence": _("Attach at least one photo as evidence")})
    now = now or timezone.now()
    with photo_transaction() as stored:
        period = _locked_period(period)
        check, _created = SpotCheck.objects.update_or_create(
            period=period, target_key=target_key,
            defaults={"score": value, "note": note, "checked_by": actor, "checked_at": now})
        for photo in cleaned:
            row = Evidence(spot_check=check, width=photo.width, height=photo.height, size=len(photo.content))
            row.image.save(f"{check.pk}-{secrets.token_hex(8)}.jpg", ContentFile(photo.content), save=False)
            stored.append(row.image.name)
            row.save()
        compute.compute_period(period, now, only=target_key)
        audit.record(actor, "assessment.spot_check", check, period=period.pk, target=target_key,
                     score=str(value), evidence=len(cleaned))
    return check


# --- appeals and exclusions ------------------------------------------------------------------------------------------

def drill_down(score: Score, code: str, *, now=None) -> list[tuple]:
    """[(kind, id, counted in the numerator)] behind one indicator of a score, with its accepted exclusions left
    out (what the score was computed from)."""
    period = score.period
    indicator = REGISTRY.get(code)
    if indicator is None or code not in score.indicators:
        return []
    if code == "spot_check":
        check = SpotCheck.objects.filter(period=period, target_key=score.target_key).first()
        return [("spot_check", check.pk, True)] if check else []
    target = next((t for t in compute.targets_of(period.scheme) if t.key == score.target_key), None)
    if target is None:
        return []
    excluded = compute.exclusions_of(period).get(score.target_key, {})
    window = compute.window_of(period, now)
    return indicator.records(target, window, period.scheme.region.path, excluded)


def _records_named(score, raw) -> list[dict]:
    """The records an appeal names, each one behind the score (else a field error)."""
    if raw in (None, "", []):
        return []
    if not isinstance(raw, list) or len(raw) > MAX_APPEAL_RECORDS:
        raise FieldErrors({"records": _("Name at most %(n)s records") % {"n": MAX_APPEAL_RECORDS}})
    behind = set()
    for code in score.indicators:
        behind.update((kind, pk) for kind, pk, _counted in drill_down(score, code))
    named = []
    for item in raw:
        kind = item.get("kind") if isinstance(item, dict) else None
        pk = item.get("id") if isinstance(item, dict) else None
        if kind not in RECORD_KINDS or isinstance(pk, bool) or not isinstance(pk, int) or (kind, pk) not in behind:
            raise FieldErrors({"records": _("Name only records counted in this score")})
        if {"kind": kind, "id": pk} not in named:
            named.append({"kind": kind, "id": pk})
    return named


def do_submit_appeal(actor, score: Score, *, kind=AppealKind.APPEAL, reason, records=None, now=None) -> Appeal:
    """申诉 / 免责 on the actor's own score of a published period, within its window. An exclusion names the records
    to leave out (a case that could not be closed for reasons outside the unit); an appeal may name some."""
    require(actor, "assessment.appeal")
    now = now or timezone.now()
    if not Score.objects.visible_to(actor).filter(pk=score.pk).exists():
        raise NotInArea(_("The score is outside your area."))
    score = Score.objects.select_related("period__scheme__region").get(pk=score.pk)
    if not owns_score(actor, score):
        raise NotAllowed(_("You may appeal only your own score."))
    if kind not in AppealKind.values:
        raise FieldErrors({"kind": _("Choose an appeal or an exclusion")})
    reason = text_param({"reason": reason}, "reason", LABEL["reason"], limit=2000)
    period = score.period
    if period.frozen:
        raise frozen_error()
    if period.state != PeriodState.PUBLISHED or period.appeal_until is None:
        raise StateError(_("The ranking is not published yet"), field="period")
    if now > period.appeal_until:
        raise StateError(_("The appeal window closed on %(until)s") % {
            "until": timezone.localtime(period.appeal_until).strftime("%Y-%m-%d %H:%M")}, field="period")
    named = _records_named(score, records)
    if kind == AppealKind.EXCLUSION and not named:
        raise FieldErrors({"records": _("An exclusion names the records to leave out")})
    with transaction.atomic():
        Period.objects.select_for_update().filter(pk=period.pk).first()
        if Appeal.objects.filter(score=score, state=AppealState.SUBMITTED).exists():
            raise StateError(_("An appeal on this score is already waiting for a decision"), field="score")
        appeal = Appeal.objects.create(number=next_day_number(AppealCounter, "SS", now), score=score, kind=kind,
                                       reason=reason, records=named, submitted_by=actor, submitted_at=now,
                                       total_before=score.total)
        FLOW.record(actor, appeal, "submit", note=reason, details={"kind": kind, "records": named}, now=now)
    return appeal


def do_act(actor, appeal: Appeal, action: str, *, expected_version: int, now=None, **params) -> Appeal:
    """Accept or reject an appeal (the table in workflow.py): area, version claim, check, effect, timeline, audit."""
    return FLOW.act(actor, appeal, action, expected_version, now=now, **params)


@FLOW.effect("accept")
def _accept(actor, appeal, params, now):
    """The named records are left out of the target's figures and its score recomputed (ranks too)."""
    decision = text_param(params, "decision", LABEL["decision"], required=False, limit=2000)
    period = Period.objects.select_for_update().select_related("scheme__region").get(pk=appeal.score.period_id)
    if period.frozen:
        raise frozen_error()
    appeal.state, appeal.decided_at, appeal.decision = AppealState.ACCEPTED, now, decision
    appeal.save()
    compute.compute_period(period, now, only=appeal.score.target_key)
    score = Score.objects.get(pk=appeal.score_id)
    appeal.total_after = score.total
    return decision, {"before": str(appeal.total_before), "after": str(score.total), "records": appeal.records}


@FLOW.effect("reject")
def _reject(actor, appeal, params, now):
    appeal.decision = text_param(params, "decision", LABEL["decision"], limit=2000)
    appeal.decided_at = now
    return appeal.decision, {}


FLOW.assert_complete()


# --- exports (each with its audit row) ---------------------------------------------------------------------------

def _export(actor, operation, obj, build, **details):
    content = build()
    with transaction.atomic():
        audit.record(actor, f"assessment.{operation}", obj, **details)
    return content


def do_export_ranking(actor, period: Period, scores) -> bytes:
    from wangge.insight.assessment import exports

    return _export(actor, "export_ranking", period, lambda: exports.ranking_xlsx(period, scores), rows=len(scores))


def do_export_payroll(actor, period: Period, scores) -> bytes:
    from wangge.insight.assessment import exports

    if period.scheme.target_type != TargetType.GRID_WORKER:
        raise FieldErrors({"period": _("Only grid workers' periods have an allowance")})
    return _export(actor, "export_payroll", period, lambda: exports.payroll_xlsx(period, scores), rows=len(scores))


def do_export_score(actor, score: Score, drill: dict) -> bytes:
    from wangge.insight.assessment import exports

    return _export(actor, "export_score", score, lambda: exports.score_xlsx(score, drill))


def do_export_report(actor, period: Period, scores) -> bytes:
    from wangge.insight.assessment import exports

    if period.state != PeriodState.FINALISED:
        raise StateError(_("The report is made once the period is finalised"), field="period")
    return _export(actor, "export_report", period, lambda: exports.report_docx(period, scores), rows=len(scores))


def do_export_top_ten(actor, year: int, rows) -> bytes:
    from wangge.insight.assessment import exports

    return _export(actor, "export_top_ten", None, lambda: exports.top_ten_xlsx(year, rows), year=year)


def do_export_periods(actor, periods) -> bytes:
    from wangge.insight.assessment import exports

    return _export(actor, "export_periods", None, lambda: exports.periods_xlsx(periods), rows=len(periods))



def do_export_appeals(actor, appeals) -> bytes:
    from wangge.insight.assessment import exports

    return _export(actor, "export_appeals", None, lambda: exports.appeals_xlsx(appeals), rows=len(appeals))


def do_export_scheme(actor, scheme: Scheme) -> bytes:
    from wangge.insight.assessment import exports

    return _export(actor, "export_scheme", scheme, lambda: exports.scheme_xlsx(scheme))


def do_export_spot_checks(actor, period: Period, rows) -> bytes:
    from wangge.insight.assessment import exports

    return _export(actor, "export_spot_checks", period, lambda: exports.spot_checks_xlsx(period, rows),
                   rows=len(rows))
