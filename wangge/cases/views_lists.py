"""The lists: the command centre's queue (filters, sort, bulk dispatch), the supervision board (督办台), a
department's inbox (待办) and a grid worker's own cases (我的)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Case as CaseWhen
from django.db.models import Count, IntegerField, Q, Value, When
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from wangge.areas.models import Region
from wangge.areas.picker import area_picker
from wangge.cases import poller, services, workflow
from wangge.cases.models import OPEN_STATES, CaseEvent, Category, Channel, MajorCategory, State
from wangge.cases.templatetags.cases_tags import CHANNEL_LABELS, STATE_LABELS
from wangge.cases.views import (
    PAGE_SIZE,
    cases_for,
    departments_serving,
    require,
    require_reporter,
)
from wangge.core.dates import iso_date_or_none
from wangge.core.ids import as_row_id
from wangge.core.keyset import keyset_page
from wangge.core.roles import OPERATORS, Role
from wangge.core.scoping import get_visible_or_404
from wangge.core.services import OperationError
from wangge.core.workflow import ConflictError

SORTS = {
    "reported": ("-reported_at", "-id"),
    "oldest": ("reported_at", "id"),
    "deadline": ("handle_by", "id"),
    "priority": ("-urgent", "handle_by", "id"),
}
SORT_LABELS = {"reported": pgettext_lazy("case sort", "Newest"), "oldest": pgettext_lazy("case sort", "Oldest"),
               "deadline": pgettext_lazy("case sort", "Deadline"),
               "priority": pgettext_lazy("case sort", "Urgent first")}
COUNT_LIMIT = 10_000  # the queue counts up to this ("10,000+"): a district's year of cases otherwise
BOARD_OVERVIEW = 10  # rows of each section on the overview; the rest are a tap away
BOARD_PAGE = 30


def is_operator(user) -> bool:
    return user.role in OPERATORS


# ------------------------------------------------------------------ the queue




def _filters(request, user) -> tuple[dict, "Region | None"]:
    """The queue's filters as given; an area outside the user's answers 404 like any other address."""
    get = request.GET
    chosen = {key: (get.get(key) or "").strip()[:60] for key in
              ("state", "major", "category", "channel", "area", "q", "sort", "from", "to")}
    for key in ("from", "to"):
        if chosen[key] and iso_date_or_none(chosen[key]) is None:
            chosen[key] = ""  # not a date: a filter that cannot apply is left out
    chosen["overdue"] = get.get("overdue") == "1"
    chosen["unsigned"] = get.get("unsigned") == "1"
    area = None
    if chosen["area"]:
        area = get_visible_or_404(Region, user, code=chosen["area"])
    if chosen["sort"] not in SORTS:
        chosen["sort"] = "reported"
    return chosen, area


def filtered_cases(user, chosen, area, now=None):
    now = now or timezone.now()
    cases = cases_for(user)
    if chosen["state"] in State.values:
        cases = cases.filter(state=chosen["state"])
    elif chosen["state"] == "open":
        cases = cases.filter(state__in=OPEN_STATES)
    if chosen["major"]:
        cases = cases.filter(category__major__code=chosen["major"])
    if chosen["category"].isdigit():  # an id too long for the column matches nothing
        category_id = as_row_id(chosen["category"])
        cases = cases.filter(category_id=category_id) if category_id else cases.none()
    if chosen["channel"] in Channel.values:
        cases = cases.filter(channel=chosen["channel"])
    if area is not None:
        cases = cases.filter(grid__path__startswith=area.path)
    if chosen["from"]:
        cases = cases.filter(reported_at__date__gte=iso_date_or_none(chosen["from"]))
    if chosen["to"]:
        cases = cases.filter(reported_at__date__lte=iso_date_or_none(chosen["to"]))
    if chosen["overdue"]:
        cases = cases.filter(state__in=poller.OVERDUE_STATES, handle_by__lt=now)
    if chosen["unsigned"]:
        cases = cases.filter(state=State.DISPATCHED, accept_by__lt=now)
    q = chosen["q"]
    if q:
        cases = cases.filter(Q(number__icontains=q) | Q(title__contains=q) | Q(description__contains=q)
                             | Q(address__contains=q) | Q(tracking_code=q.upper()))
    if chosen["sort"] == "priority":
        cases = cases.annotate(urgent=CaseWhen(When(priority="urgent", then=Value(1)), default=Value(0),
                                            output_field=IntegerField()))
    return cases


def _categories(user):
    """The minor classes to filter by; a department handler sees its own department's classes only."""
    categories = Category.objects.filter(active=True).select_related("major").order_by("major__code", "code")
    if user.role == Role.DEPARTMENT_HANDLER and user.department_id:
        department = user.department
        own = [c.pk for c in categories.prefetch_related("departments")
               if department.code in (c.department_codes or []) or department in c.departments.all()]
        categories = categories.filter(pk__in=own)
    return categories


def _query(chosen, leave_out=()) -> str:
    keep = {k: v for k, v in chosen.items() if v and k not in ("overdue", "unsigned", *leave_out)}
    if chosen["overdue"]:
        keep["overdue"] = "1"
    if chosen["unsigned"]:
        keep["unsigned"] = "1"
    return urlencode(keep)


@login_required
@require_http_methods(["GET", "POST"])
def queue(request):
    """指挥中心案件队列: every case in the user's area, filtered and sorted; operators bulk-dispatch."""
    user = request.user
    require(user, "cases.view")
    if request.method == "POST":
        return _bulk_dispatch(request)
    return _render_queue(request)


# The queue's tabs for an operator's day, each counted: (key, label, the filters it sets, what it counts).
QUEUE_TABS = (
    ("reported", gettext_lazy("To register"), {"state": State.REPORTED}, Q(state=State.REPORTED)),
    ("registered", gettext_lazy("To dispatch"), {"state": State.REGISTERED}, Q(state=State.REGISTERED)),
    ("handled", gettext_lazy("To verify"), {"state": State.HANDLED}, Q(state=State.HANDLED)),
    ("overdue", gettext_lazy("Late"), {"overdue": "1"}, None),
    ("open", gettext_lazy("All open"), {"state": "open"}, Q(state__in=OPEN_STATES)),
)


def queue_tabs(user, chosen, area=None, now=None) -> list[dict]:
    """The tabs with their counts in the chosen area (one query), the current one marked: a tab is the filter it
    sets, alone but for the area."""
    now = now or timezone.now()
    late = Q(state__in=poller.OVERDUE_STATES, handle_by__lt=now)
    cases = cases_for(user) if area is None else cases_for(user).filter(grid__path__startswith=area.path)
    # Every tab counts open cases: read those only (an index range), not the district's closed history.
    counts = cases.filter(state__in=OPEN_STATES).aggregate(
        **{key: Count("pk", filter=late if condition is None else condition)
           for key, _label, _sets, condition in QUEUE_TABS})
    plain = not any(chosen[k] for k in ("major", "category", "channel", "q", "unsigned", "from", "to"))
    tabs = []
    for key, label, sets, _condition in QUEUE_TABS:
        current = plain and (chosen["overdue"] if key == "overdue" else
                             not chosen["overdue"] and chosen["state"] == sets.get("state"))
        query = urlencode({**sets, "area": area.code} if area is not None else sets)
        tabs.append({"key": key, "label": label, "count": counts[key], "query": query, "current": current})
    return tabs


def _render_queue(request, status=200, errors=None):
    user = request.user
    chosen, area = _filters(request, user)
    page = keyset_page(filtered_cases(user, chosen, area), SORTS[chosen["sort"]], request.GET, PAGE_SIZE,
                       count_limit=COUNT_LIMIT)
    query = _query(chosen)
    context = {
        "page": page, "chosen": chosen, "query": query, "place": _place(query, request.GET),
        "area_query": _query(chosen, leave_out=("area",)), "picker": area_picker(user, area),
        "tabs": queue_tabs(user, chosen, area),
        "states": [("open", _("Open"))] + list(STATE_LABELS.items()),
        "channels": list(CHANNEL_LABELS.items()),
        "majors": MajorCategory.objects.filter(active=True).order_by("code"),
        "categories": _categories(user),
        "sorts": list(SORT_LABELS.items()),
        "can_dispatch": is_operator(user),
        "departments": departments_serving(user) if is_operator(user) else [],
        "errors": errors or {},
        "here": request.get_full_path(),
    }
    return render(request, "cases/queue.html", context, status=status)


def _place(query: str, params) -> str:
    """The list's address with the page the user is on: where an action on it comes back to."""
    for name in ("after", "before"):
        if params.get(name):
            return f"{query}&{urlencode({name: params[name]})}" if query else urlencode({name: params[name]})
    return query


def _bulk_dispatch(request):
    """批量派遣: each ticked case goes through do_act with the version the operator saw."""
    user = request.user
    if not is_operator(user):
        return _render_queue(request, 403, {"all": _("Operators only")})
    ids = [v for v in request.POST.getlist("case") if v.isdigit()]
    target = (request.POST.get("target") or "").strip()
    errors = {}
    if not ids:
        errors["case"] = _("Tick the cases to dispatch")
    department = None
    if target != "catalogue":
        department = departments_serving(user).filter(pk=int(target)).first() if target.isdigit() else None
        if department is None:
            errors["target"] = _("Choose a department or by catalogue")
    if errors:
        return _render_queue(request, 400, errors)
    done, failed = [], []
    visible = {c.pk: c for c in cases_for(user).filter(pk__in=ids)}
    for pk in dict.fromkeys(int(v) for v in ids):
        case = visible.get(pk)
        if case is None:
            failed.append((f"#{pk}", _("The case does not exist or is outside your area")))
            continue
        version = request.POST.get(f"version_{pk}", "")
        if not version.isdigit():
            failed.append((case.number, _("The version is missing; refresh and try again")))
            continue
        params = {"department": department} if department is not None else {}
        try:
            services.do_act(user, case, "dispatch", expected_version=int(version), **params)
        except ConflictError:
            failed.append((case.number, _("Someone else changed it; refresh and try again")))
        except workflow.WorkflowError as exc:
            failed.append((case.number, _why(exc)))
        except OperationError as exc:
            failed.append((case.number, exc.message))
        else:
            done.append(case.number)
    if done:
        messages.success(request, _("Dispatched %(count)s: %(numbers)s") % {"count": len(done),
                                                                            "numbers": "、".join(done)})
    for number, why in failed:
        messages.error(request, _("%(number)s not dispatched: %(why)s") % {"number": number, "why": why})
    if not done and not failed:
        messages.info(request, _("No case was dispatched"))
    back = request.POST.get("query", "")
    return redirect(reverse("cases:queue") + (f"?{back}" if back and "\n" not in back else ""))


def _why(exc) -> str:
    if exc.reason == "state":
        return _("Cannot be dispatched in this state (not registered)")
    if exc.reason == "role":
        return _("Your role cannot dispatch")
    if exc.reason == "area":
        return _("The case is outside your area")
    return exc.message


# ------------------------------------------------------------------ the supervision board


def board_sections(user, area=None):
    """(key, title, queryset, ordering) for each section of the board, scoped (and under `area`, if given)."""
    base = cases_for(user) if area is None else cases_for(user).filter(grid__path__startswith=area.path)
    return [
        ("unsigned", _("Not accepted in time"),
         base.filter(unsigned_flagged_at__isnull=False, state=State.DISPATCHED), ("accept_by", "id")),
        ("overdue", _("Overdue, not closed"),
         base.filter(overdue_flagged_at__isnull=False, state__in=OPEN_STATES), ("handle_by", "id")),
        ("returned", _("Returned"), base.filter(return_count__gt=0, state__in=OPEN_STATES), ("-returned_at", "-id")),
        ("reworked", _("Reworked"), base.filter(rework_count__gt=0, state__in=OPEN_STATES), ("handle_by", "id")),
        ("extension", _("Extension awaiting approval"),
         base.filter(extension_requested_days__isnull=False, state=State.ACCEPTED), ("handle_by", "id")),
    ]


# The event whose note is the reason a board row is there: why it came back, why it must be redone, why more time.
REASON_EVENTS = {"returned": "return", "reworked": "verify_rework", "extension": "request_extension"}


def latest_notes(case_ids, action: str) -> dict[int, str]:
    """{case id: the note of its latest `action` event}, in one query."""
    notes = {}
    events = (CaseEvent.objects.filter(case_id__in=case_ids, action=action).exclude(note="")
              .order_by("case_id", "-at", "-id").values_list("case_id", "note"))
    for case_id, note in events:
        notes.setdefault(case_id, note)
    return notes


def _with_actions(user, cases, wanted, reason_action=None):
    cases = list(cases)
    reasons = latest_notes([c.pk for c in cases], reason_action) if reason_action else {}
    rows = []
    for case in cases:
        allowed = workflow.allowed_actions(case, user)
        rows.append({"case": case, "actions": [a for a in wanted if a in allowed], "reason": reasons.get(case.pk, "")})
    return rows


@login_required
@require_GET
def board(request):
    """督办台: unsigned, overdue, returned, reworked and extension requests, with supervise/urge at hand. The
    overview shows the first few of each section; ?section= pages through one (an action comes back there)."""
    user = request.user
    require(user, "cases.supervise")
    code = (request.GET.get("area") or "").strip()[:32]
    area = get_visible_or_404(Region.objects.all(), user, code=code) if code else None
    sections = board_sections(user, area)
    shown = request.GET.get("section") if request.GET.get("section") in {key for key, *_ in sections} else ""
    rendered = []
    for key, title, cases, ordering in sections:
        if shown and key != shown:
            continue
        wanted = ("approve_extension", "deny_extension") if key == "extension" else ("supervise", "urge")
        page = keyset_page(cases.select_related("category", "grid"), ordering, request.GET if shown else {},
                           BOARD_PAGE if shown else BOARD_OVERVIEW)
        rendered.append({"key": key, "title": title, "page": page,
                         "rows": _with_actions(user, page.object_list, wanted, REASON_EVENTS.get(key))})
    counts = [{"key": key, "title": title, "count": cases.count()} for key, title, cases, _ in sections]
    keep_area = {"area": area.code} if area is not None else {}
    return render(request, "cases/board.html", {
        "sections": rendered, "counts": counts, "shown": shown, "picker": area_picker(user, area),
        "area_query": urlencode({"section": shown}) if shown else "", "area_param": urlencode(keep_area),
        "query": urlencode({"section": shown, **keep_area} if shown else keep_area), "here": request.get_full_path()})


# ------------------------------------------------------------------ the inbox and my cases


def assigned_to(user):
    """Cases dispatched to the user's department, or to the user's own level (派往下级)."""
    q = Q(pk__in=[])
    if user.department_id:
        q |= Q(assignee_department_id=user.department_id)
    if user.region_id:
        q |= Q(assignee_region_id=user.region_id)
    return cases_for(user).filter(q)


INBOX_PAGE = 20
# 待办's two tabs: (key, state, order, actions, the usual one first; the rest folded under "more").
INBOX_TABS = (
    ("accept", State.DISPATCHED, ("accept_by", "id"), ("accept", "return")),
    ("handle", State.ACCEPTED, ("handle_by", "id"), ("handle", "request_extension", "return")),
)


def inbox_search(cases, q: str):
    """待办's search: the case number, words of the title, or the address."""
    return cases.filter(Q(number__icontains=q) | Q(title__icontains=q) | Q(address__icontains=q)) if q else cases


@login_required
@require_GET
def inbox(request):
    """待办: dispatched to me (签收/退回) and accepted (处置反馈/申请延期), each with its deadline. Searchable;
    each tab counted and paged (?tab= shows one tab's every page); an action leads back to the same place."""
    user = request.user
    require(user, "cases.view")
    q = (request.GET.get("q") or "").strip()[:50]
    tab = request.GET.get("tab") if request.GET.get("tab") in {key for key, *_ in INBOX_TABS} else ""
    mine = inbox_search(assigned_to(user), q)
    sections = {}
    for key, state, order, actions in INBOX_TABS:
        cases = mine.filter(state=state)
        page = keyset_page(cases, order, request.GET if key == tab else {}, INBOX_PAGE)
        rows = _with_actions(user, page.object_list, actions) if not tab or key == tab else []
        sections[key] = {"count": page.count, "rows": rows, "page": page if key == tab else None,
                         "more": not tab and page.has_next}
    query = urlencode({name: value for name, value in (("q", q), ("tab", tab)) if value})
    return render(request, "cases/inbox.html", {
        "to_accept": sections["accept"], "to_handle": sections["handle"], "q": q, "tab": tab, "query": query,
        "total": sum(section["count"] for section in sections.values()),
        "now": timezone.now(), "here": request.get_full_path()})


@login_required
@require_GET
def mine(request):
    """我的: what I reported, what was sent to my grid, and my grid's open cases (phone first)."""
    user = request.user
    require_reporter(user)
    cases = cases_for(user)
    reported = cases.filter(reporter=user).order_by("-reported_at", "-id")[:30]
    tasks = assigned_to(user).filter(state__in=OPEN_STATES).order_by("handle_by", "id")
    area_open = cases.filter(state__in=OPEN_STATES).order_by("handle_by", "id")[:30]
    return render(request, "cases/mine.html", {"reported": reported, "tasks": tasks, "area_open": area_open,
                                               "node": user.scope_node})
