"""The assessment's pages: periods and schemes, a period's ranking (通报) with its actions and files, a score with its
indicators and the records behind each, appeals (form, timeline, decision), spot checks, allowances and the year's
best. Every read through `visible_to`; every change through an operation in services.py.
"""
from datetime import date, timedelta
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.areas.models import Region
from wangge.core.refusals import page_status, posted_version
from wangge.core.roles import can
from wangge.core.scoping import get_visible_or_404
from wangge.core.services import FieldErrors, NotAllowed, OperationError, require
from wangge.core.staff import timeline_rows
from wangge.insight.assessment import compute, reading, services
from wangge.insight.assessment.api import scores_of
from wangge.insight.assessment.exports import DOCX, XLSX
from wangge.insight.assessment.indicators import REGISTRY, applicable
from wangge.insight.assessment.models import (
    Appeal,
    AppealKind,
    AppealState,
    Period,
    PeriodState,
    Scheme,
    Score,
    SpotCheck,
    TargetType,
)
from wangge.insight.assessment.rules import RATING_LETTERS
from wangge.insight.assessment.workflow import FLOW


def _file(content: bytes, name: str, kind: str) -> HttpResponse:
    response = HttpResponse(content, content_type=kind)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


def _errors(exc: OperationError) -> dict:
    return exc.errors if isinstance(exc, FieldErrors) else {exc.field or "form": exc.message}


def _one(request, model, pk, *related):
    require(request.user, "assessment.view")
    return get_visible_or_404(model.objects.select_related(*related), request.user, pk=pk)


# --- periods and schemes ---------------------------------------------------------------------------------------------

@login_required
def index(request):
    require(request.user, "assessment.view")
    user = request.user
    periods = Period.objects.visible_to(user).select_related("scheme__region").order_by("-start", "scheme_id")[:60]
    schemes = Scheme.objects.visible_to(user).select_related("region")
    managed = [s for s in schemes if services.may_manage(user, s)]
    if request.GET.get("format") == "xlsx":
        return _file(services.do_export_periods(user, list(periods)), "assessment-periods.xlsx", XLSX)
    errors, values = {}, {}
    if request.method == "POST":
        values = {"scheme": request.POST.get("scheme", ""), "start": request.POST.get("start", "")}
        scheme = next((s for s in managed if str(s.pk) == values["scheme"]), None)
        try:
            if scheme is None:
                raise FieldErrors({"scheme": _("Choose a scheme you manage")})
            period = services.do_open_period(user, scheme, values["start"])
        except OperationError as exc:
            errors = _errors(exc)
            status = page_status(exc)
        else:
            messages.success(request, _("Computed: %(period)s") % {"period": period})
            return redirect("assessment:period", period.pk)
    else:
        status = 200
    return render(request, "assessment/index.html", {
        "periods": periods, "schemes": schemes, "managed": managed, "errors": errors, "values": values,
        # Periods are assessed once they are over: the form starts at last month.
        "today": (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1).isoformat(),
        "can_appeal": can(user, "assessment.appeal"),
    }, status=status if errors else 200)


def _scheme_rows(scheme):
    rows = []
    for rule in scheme.indicators:
        indicator = REGISTRY[rule["code"]]
        rows.append({"code": rule["code"], "label": indicator.label, "unit": indicator.unit, "weight": rule["weight"],
                     "bands": rule["bands"], "description": indicator.description})
    return rows


@login_required
def scheme_page(request, pk):
    scheme = _one(request, Scheme, pk, "region")
    if request.GET.get("format") == "xlsx":
        return _file(services.do_export_scheme(request.user, scheme), f"scheme-{scheme.pk}.xlsx", XLSX)
    return render(request, "assessment/scheme.html", {
        "scheme": scheme, "rows": _scheme_rows(scheme), "can_manage": services.may_manage(request.user, scheme),
        "periods": Period.objects.visible_to(request.user).filter(scheme=scheme).order_by("-start")[:24]})


def band_text(bands) -> str:
    """[{"from": 95, "to": None, "points": 100}, …] → "95-:100; 90-95:90" (the editor's one-line form)."""
    def number(v):
        return "" if v is None else f"{v:g}"
    return "; ".join(f"{number(b['from'])}-{number(b['to'])}:{number(b['points'])}" for b in bands)


def parse_band_text(text: str, code: str) -> list:
    """The editor's "from-to:points; …" back into bands; a malformed one is a field error (nothing saved)."""
    bands = []
    for part in (p.strip() for p in (text or "").split(";")):
        if not part:
            continue
        try:
            span, points = part.rsplit(":", 1)
            low, high = span.split("-", 1) if not span.startswith("-") else ("", span[1:])
            bands.append({"from": float(low) if low.strip() else None, "to": float(high) if high.strip() else None,
                          "points": float(points)})
        except ValueError:
            raise FieldErrors({"bands": _("%(code)s: write bands as from-to:points; …") % {"code": code}}) from None
    return bands


def _posted_indicators(post, target_type) -> list:
    out = []
    for indicator in applicable(target_type):
        weight = (post.get(f"weight_{indicator.code}") or "").strip()
        if not weight:
            continue
        try:
            number = float(weight)
        except ValueError:
            raise FieldErrors({"weights": _("%(code)s: the weight must be a positive number")
                               % {"code": indicator.code}}) from None
        out.append({"code": indicator.code, "weight": number,
                    "bands": parse_band_text(post.get(f"bands_{indicator.code}", ""), indicator.code)})
    return out


def _posted_rule(post, target_type) -> dict:
    if target_type != TargetType.GRID_WORKER:
        return {}
    if post.get("allowance_kind") == "linked":
        return {"kind": "linked", "base": post.get("allowance_base"), "linked": post.get("allowance_linked")}
    return {"kind": "by_rating", "amounts": {k: post.get(f"allowance_{k}") for k in RATING_LETTERS}}


def _editor_rows(target_type, indicators):
    chosen = {r["code"]: r for r in indicators}
    rows = []
    for indicator in applicable(target_type):
        rule = chosen.get(indicator.code)
        rows.append({"code": indicator.code, "label": indicator.label, "unit": indicator.unit,
                     "weight": f"{rule['weight']:g}" if rule else "",
                     "bands": band_text(rule["bands"]) if rule else ""})
    return rows


@login_required
def scheme_edit(request, pk=None):
    """The scheme editor: new (region and target type chosen) or an edit; a refusal shows the form again at 400 (or
    its status) with every field's error and nothing saved."""
    require(request.user, "assessment.manage")
    scheme = _one(request, Scheme, pk, "region") if pk else None
    if scheme is not None and not services.may_manage(request.user, scheme):
        raise NotAllowed(_("Only the assessing level or above may do this."))  # 403: they are assessed by it
    target_type = scheme.target_type if scheme else request.POST.get("target_type") or request.GET.get(
        "target_type") or TargetType.GRID_WORKER
    if target_type not in TargetType.values:
        target_type = TargetType.GRID_WORKER
    indicators = scheme.indicators if scheme else []
    rule = scheme.allowance_rule if scheme else {}
    errors, status = {}, 200
    post = request.POST
    if request.method == "POST":
        try:
            indicators_in = _posted_indicators(post, target_type)
            region = None
            if scheme is None:
                region = Region.objects.visible_to(request.user).filter(code=(post.get("region") or "")[:20]).first()
                if region is None:
                    raise FieldErrors({"region": _("Choose the assessing level")})
            saved = services.do_save_scheme(
                request.user, scheme, name=post.get("name", ""), region=region, target_type=target_type,
                indicators=indicators_in, allowance_rule=_posted_rule(post, target_type),
                appeal_days=post.get("appeal_days", ""), active=bool(post.get("active")),
                expected_version=int(post["version"]) if scheme and post.get("version", "").isdigit() else None)
        except OperationError as exc:
            errors, status = _errors(exc), page_status(exc)
            if status == 422:
                status = 400
        else:
            messages.success(request, _("Saved: %(name)s") % {"name": saved.name})
            return redirect("assessment:scheme", saved.pk)
    rows = _editor_rows(target_type, indicators)
    if request.method == "POST":
        for row in rows:
            row["weight"], row["bands"] = post.get(f"weight_{row['code']}", ""), post.get(f"bands_{row['code']}", "")
    regions = (Region.objects.visible_to(request.user).filter(level__in=("district", "street", "community"))
               .order_by("path")[:200])
    return render(request, "assessment/scheme_form.html", {
        "scheme": scheme, "target_type": target_type, "target_types": TargetType.choices, "rows": rows,
        "rule": rule, "errors": errors, "post": post, "regions": regions, "letters": RATING_LETTERS,
        "amounts": [(k, post.get(f"allowance_{k}") if post else (rule.get("amounts") or {}).get(k, ""))
                    for k in RATING_LETTERS],
    }, status=status)


# --- a period ------------------------------------------------------------------------------------------------------

def _period_context(request, period, **extra):
    user = request.user
    scores = list(scores_of(user, period))
    codes = [r["code"] for r in period.rules.get("indicators", [])]
    manage = services.may_manage(user, period.scheme)
    return {"period": period, "scores": scores, "codes": [(c, REGISTRY[c].label) for c in codes],
            "can_manage": manage, "is_workers": period.scheme.target_type == TargetType.GRID_WORKER,
            "open_appeals": Appeal.objects.visible_to(user).filter(score__period=period,
                                                                   state=AppealState.SUBMITTED).count(),
            "has_spot_check": "spot_check" in codes, **extra}


@login_required
def period_page(request, pk):
    period = _one(request, Period, pk, "scheme__region")
    fmt = request.GET.get("format")
    if fmt == "xlsx":
        return _file(services.do_export_ranking(request.user, period, list(scores_of(request.user, period))),
                     f"ranking-{period.label}.xlsx", XLSX)
    if fmt == "docx":
        try:
            content = services.do_export_report(request.user, period, list(scores_of(request.user, period)))
        except OperationError as exc:
            return render(request, "assessment/period.html", _period_context(request, period, error=exc.message),
                          status=page_status(exc))
        return _file(content, f"assessment-{period.label}.docx", DOCX)
    return render(request, "assessment/period.html", _period_context(request, period))


PERIOD_ACTIONS = {"compute": services.do_compute, "publish": services.do_publish, "finalise": services.do_finalise}


@login_required
@require_POST
def period_action(request, pk, action):
    period = _one(request, Period, pk, "scheme__region")
    operation = PERIOD_ACTIONS.get(action)
    try:
        if operation is None:
            raise OperationError(_("Unknown action: %(action)s") % {"action": action}, field="action")
        operation(request.user, period)
    except OperationError as exc:
        return render(request, "assessment/period.html", _period_context(request, period, error=exc.message),
                      status=page_status(exc))
    messages.success(request, {"compute": _("Recomputed"), "publish": _("Published to those assessed"),
                               "finalise": _("Finalised: the period is frozen")}[action])
    return redirect("assessment:period", period.pk)


@login_required
def allowances(request, pk):
    period = _one(request, Period, pk, "scheme__region")
    scores = list(scores_of(request.user, period))
    if request.GET.get("format") == "xlsx":
        require(request.user, "assessment.manage")
        try:
            content = services.do_export_payroll(request.user, period, scores)
        except OperationError as exc:
            return render(request, "assessment/allowances.html", {"period": period, "scores": scores,
                                                                   "error": exc.message}, status=page_status(exc))
        return _file(content, f"payroll-{period.label}.xlsx", XLSX)
    total = sum(float(s.allowance or 0) for s in scores)
    return render(request, "assessment/allowances.html", {
        "period": period, "scores": scores, "total": total, "rule": period.rules.get("allowance_rule") or {},
        "can_export": can(request.user, "assessment.manage")})


@login_required
def spot_check(request, pk):
    """抽查 form: a target of the period, a score 0–100, the findings and evidence photos."""
    period = _one(request, Period, pk, "scheme__region")
    require(request.user, "assessment.manage")
    if not services.may_manage(request.user, period.scheme):
        raise NotAllowed(_("Only the assessing level or above may do this."))
    targets = compute.targets_of(period.scheme)
    errors, status, values = {}, 200, {}
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in ("target", "score", "note")}
        try:
            services.do_spot_check(request.user, period, values["target"][:16], score=values["score"],
                                   note=values["note"], files=request.FILES.getlist("evidence"))
        except OperationError as exc:
            errors, status = _errors(exc), page_status(exc)
            status = 400 if status == 422 else status
        else:
            messages.success(request, _("Spot check saved and the score recomputed"))
            return redirect("assessment:period", period.pk)
    checks = SpotCheck.objects.filter(period=period).prefetch_related("evidence")
    labels = {t.key: t.label for t in targets}
    if request.method != "POST" and request.GET.get("format") == "xlsx":
        rows = [(labels.get(c.target_key, c.target_key), c) for c in checks]
        return _file(services.do_export_spot_checks(request.user, period, rows), f"spot-checks-{period.pk}.xlsx",
                     XLSX)
    return render(request, "assessment/spot_check.html", {
        "period": period, "targets": targets, "errors": errors, "values": values,
        "checks": [(labels.get(c.target_key, c.target_key), c) for c in checks]}, status=status)


# --- a score ---------------------------------------------------------------------------------------------------------

def _score_context(request, score, **extra):
    user = request.user
    period = score.period
    chosen = request.GET.get("indicator") or ""
    rows = []
    for code, figures in score.indicators.items():
        rows.append({"code": code, "label": REGISTRY[code].label, "unit": REGISTRY[code].unit, **figures})
    drill = []
    if chosen in score.indicators:
        drill = reading.record_rows(user, services.drill_down(score, chosen))
    own = can(user, "assessment.appeal") and services.owns_score(user, score)
    window_open = (period.state == PeriodState.PUBLISHED and period.appeal_until is not None
                   and timezone.now() <= period.appeal_until)
    all_records = {}  # each record once, with the indicators it counts in
    if own and window_open:
        for code in score.indicators:
            for row in reading.record_rows(user, services.drill_down(score, code)):
                if row["kind"] == "spot_check":
                    continue
                found = all_records.setdefault((row["kind"], row["id"]), {**row, "indicators": []})
                found["indicators"].append(str(REGISTRY[code].label))
    # How many were ranked: a grid worker sees only their own row, and their place among everyone's.
    ranked = Score.objects.filter(period=period, rank__isnull=False).count()
    return {"score": score, "period": period, "rows": rows, "chosen": chosen, "ranked": ranked,
            "chosen_label": REGISTRY[chosen].label if chosen in score.indicators else "", "drill": drill,
            "can_appeal": own and window_open, "own": own, "window_open": window_open,
            "records": list(all_records.values()),
            "appeals": Appeal.objects.visible_to(user).filter(score=score).order_by("-submitted_at"),
            "kinds": AppealKind.choices, **extra}


@login_required
def score_page(request, pk):
    score = _one(request, Score, pk, "period__scheme__region", "user__region")
    if request.GET.get("format") == "xlsx":
        drill = {code: reading.record_rows(request.user, services.drill_down(score, code)) for code in score.indicators}
        return _file(services.do_export_score(request.user, score, drill), f"score-{score.pk}.xlsx", XLSX)
    return render(request, "assessment/score.html", _score_context(request, score))


@login_required
@require_POST
def appeal_new(request, pk):
    score = _one(request, Score, pk, "period__scheme__region", "user__region")
    records = []
    for value in request.POST.getlist("records"):
        kind, _sep, pk_text = value.partition(":")
        records.append({"kind": kind, "id": int(pk_text) if pk_text.isdigit() else -1})
    values = {"kind": request.POST.get("kind", ""), "reason": request.POST.get("reason", ""),
              "records": request.POST.getlist("records")}
    try:
        appeal = services.do_submit_appeal(request.user, score, kind=values["kind"], reason=values["reason"],
                                           records=records)
    except OperationError as exc:
        status = page_status(exc)
        return render(request, "assessment/score.html", _score_context(
            request, score, errors=_errors(exc), values=values), status=400 if status == 422 else status)
    messages.success(request, _("Appeal %(number)s submitted") % {"number": appeal.number})
    return redirect("assessment:appeal", appeal.pk)


# --- appeals ---------------------------------------------------------------------------------------------------------

@login_required
def appeals(request):
    require(request.user, "assessment.view")
    found = (Appeal.objects.visible_to(request.user).select_related("score__period__scheme")
             .order_by("-submitted_at", "-id")[:200])
    if request.GET.get("format") == "xlsx":
        return _file(services.do_export_appeals(request.user, list(found)), "appeals.xlsx", XLSX)
    return render(request, "assessment/appeals.html", {"appeals": found})


def _appeal_context(request, appeal, error=None, failed=None):
    user = request.user
    forms = [{"action": a, "label": FLOW.label(a), "error": error if a == failed else None}
             for a in FLOW.allowed_actions(appeal, user)]
    return {"appeal": appeal, "score": appeal.score, "timeline": timeline_rows(user, appeal.events.all()),
            "forms": forms, "records": reading.record_rows(user, [(r["kind"], r["id"], True) for r in appeal.records]),
            "error": error}


@login_required
def appeal_page(request, pk):
    appeal = _one(request, Appeal, pk, "score__period__scheme__region")
    return render(request, "assessment/appeal.html", _appeal_context(request, appeal))


@login_required
@require_POST
def appeal_act(request, pk, action):
    appeal = _one(request, Appeal, pk, "score__period__scheme__region")
    try:
        services.do_act(request.user, appeal, action, expected_version=posted_version(request),
                        decision=request.POST.get("decision", ""))
    except OperationError as exc:
        status = page_status(exc)
        appeal.refresh_from_db()
        return render(request, "assessment/appeal.html", _appeal_context(request, appeal, exc.message, action),
                      status=status)
    messages.success(request, _("%(number)s: %(action)s done") % {"number": appeal.number,
                                                                   "action": FLOW.label(action)})
    return redirect("assessment:appeal", appeal.pk)


# --- the year's best -----------------------------------------------------------------------------------------------

@login_required
def top_grid_workers(request):
    require(request.user, "assessment.view")
    year_text = request.GET.get("year") or ""
    year = int(year_text) if year_text.isdigit() and 2000 <= int(year_text) <= 2100 else date.today().year
    rows = reading.top_grid_workers(request.user, year)
    if request.GET.get("format") == "xlsx":
        return _file(services.do_export_top_ten(request.user, year, rows), f"top-grid-workers-{year}.xlsx", XLSX)
    return render(request, "assessment/top.html", {"year": year, "rows": rows, "min_months": reading.MIN_MONTHS,
                                                   "years": range(date.today().year, date.today().year - 5, -1)})



@login_required
def evidence(request, pk):
    """One evidence photo, streamed to the assessing level (and above) and to those who see the checked target's
    score; 404 for anyone else, exactly like a photo that is not there (evidence is never public media)."""
    from django.http import FileResponse, Http404

    from wangge.insight.assessment.models import Evidence

    require(request.user, "assessment.view")
    found = Evidence.objects.select_related("spot_check__period__scheme__region").filter(pk=pk).first()
    if found is None:
        raise Http404
    check = found.spot_check
    period = check.period
    if not Period.objects.visible_to(request.user).filter(pk=period.pk).exists():
        raise Http404
    sees_target = any(s.target_key == check.target_key for s in Score.objects.visible_to(request.user)
                      .filter(period=period).only("user_id", "region_id", "department_id"))
    if not (sees_target or services.may_manage(request.user, period.scheme)):
        raise Http404
    try:
        handle = found.image.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
