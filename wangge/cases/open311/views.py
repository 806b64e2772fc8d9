"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) at /open311/v2/, in JSON and XML.

Services are the catalogue's active minor classes (service_code = the 5-digit major+minor code). A request
is a case; its service_request_id is the case's tracking code (查询码), which is also the token. POST needs
an api_key (an ApiToken whose account may report cases) and lat/long in WGS-84. What GET answers is public:
no names, no phones, and the description only where the citizen or their app wrote it. See docs/api/open311.md.
"""
import math
import re
from datetime import datetime, time, timedelta
from functools import wraps

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db.models import DateTimeField, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.csrf import csrf_exempt

from wangge.cases.models import CLOSED_STATES, OPEN_STATES, Case, CaseEvent, Category, Channel, Priority, State
from wangge.cases.open311.intake import app_token, do_open311_report
from wangge.cases.open311.render import FORMATS, Open311Error, error_response, iso, respond
from wangge.core.personal import InvalidValue, clean_phone
from wangge.core.services import OperationError

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this endpoint's description last changed (the discovery document's changeset).
CHANGESET = "2026-11-24T00:00:00+08:00"
DEFAULT_CONTACT = "区综治中心，请联系平台管理员 / the district command centre: contact the platform administrator"
DEFAULT_KEY_SERVICE = ("api_key 由平台管理员为接入系统账号签发 / api keys are issued by the platform administrator "
                       "to a connected-system account")

MAX_RESULTS = 1000          # the spec's cap on one answer
DEFAULT_DAYS = 90           # GET requests without dates covers the last 90 days
MAX_SPAN_DAYS = 90          # start_date..end_date may not span more than this
MAX_DESCRIPTION = 4000      # the spec's limit on a request's description
MAX_NAME = 50               # Case.reporter_name
TITLE_CHARS = 60

# Channels whose description the reporter wrote (a citizen, or a citizen through an app). Staff-written
# descriptions (grid workers, the hotline, leaders, devices) may name people and are never published.
PUBLIC_DESCRIPTION_CHANNELS = {Channel.CITIZEN, Channel.OTHER_SYSTEM}

# The search (GET requests without service_request_id) lists the classes an administrator marked public
# (MajorCategory.public; the shipped catalogue marks the urban-management classes 01–09: issues in public
# space). Governance classes (disputes, public-security leads, special groups, welfare requests) are about
# people; where they happened is itself personal, so those requests are answered only to whoever holds their
# id (the reporter, by its tracking code).
LISTED = Q(category__major__public=True)

SERVICE_CODE = re.compile(r"^\d{5}$")
DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _fmt_errors(view):
    """Answer Open311Error in the spec's error format, in the format the URL asked for."""

    @wraps(view)
    def wrapped(request, fmt, *args, **kwargs):
        try:
            return view(request, fmt, *args, **kwargs)
        except Open311Error as error:
            return error_response(fmt, error)

    return wrapped


def _only(request, *methods):
    if request.method not in methods:
        raise Open311Error(405, f"不支持的方法 {request.method} / method not allowed; use {', '.join(methods)}",
                           headers={"Allow": ", ".join(methods)})


# --- discovery and services ---------------------------------------------------------------------------

@_fmt_errors
def discovery(request, fmt):
    _only(request, "GET", "HEAD")
    base = request.build_absolute_uri(request.path.rsplit("/", 1)[0] + "/")
    body = {
        "changeset": CHANGESET,
        "contact": getattr(settings, "OPEN311_CONTACT", DEFAULT_CONTACT),
        "key_service": getattr(settings, "OPEN311_KEY_SERVICE", DEFAULT_KEY_SERVICE),
        "endpoints": [{"specification": SPECIFICATION, "url": base, "changeset": CHANGESET,
                       "type": "production", "formats": list(FORMATS)}],
    }
    return respond(fmt, body, root="discovery")


def _offered():
    return Category.objects.filter(active=True, major__active=True).select_related("major")


def _handle_days(category: Category) -> int:
    if category.default_priority == Priority.URGENT:
        return category.urgent_handle_within_days
    return category.handle_within_days


def _service(category: Category) -> dict:
    major = category.major
    return {
        "service_code": category.full_code,
        "service_name": category.name,
        "description": f"{major.name} · {category.name}：{_handle_days(category)}个工作日内办结 / "
                       f"handled within {_handle_days(category)} working day(s)",
        "metadata": False,  # no service takes extra attributes
        "type": "realtime",
        "keywords": f"{major.name}, {category.name}",
        "group": major.name,
    }


@_fmt_errors
def services(request, fmt):
    _only(request, "GET", "HEAD")
    return respond(fmt, [_service(c) for c in _offered()], root="services", item="service")


def _category(code: str, offered_only=True) -> Category | None:
    code = (code or "").strip()
    if not SERVICE_CODE.match(code):
        return None
    found = _offered() if offered_only else Category.objects.select_related("major")
    return found.filter(major__code=code[:2], code=code[2:]).first()


@_fmt_errors
def service_definition(request, fmt, service_code):
    _only(request, "GET", "HEAD")
    category = _category(service_code)
    if category is None:
        raise Open311Error(404, f"未知 service_code {service_code} / service_code not found")
    return respond(fmt, {"service_code": category.full_code, "attributes": []}, root="service_definition")


# --- requests -----------------------------------------------------------------------------------------

def _cases():
    last_event = CaseEvent.objects.filter(case=OuterRef("pk")).order_by("-at", "-id").values("at")[:1]
    return (Case.objects.exclude(tracking_code__isnull=True)
            .select_related("category__major", "assignee_department", "merged_into")
            .annotate(last_event_at=Subquery(last_event, output_field=DateTimeField())))


def _status_notes(case: Case) -> str | None:
    """What the public may read about the outcome: the resolution or the reason given at close."""
    if case.state == State.MERGED and case.merged_into_id:
        code = case.merged_into.tracking_code
        return f"已并入 {code} 一并办理 / merged into request {code}"
    if case.state in (State.CLOSED, State.REJECTED):
        return case.resolution or None
    return None


def _request(case: Case) -> dict:
    """One service request as the spec shapes it: public fields only, never a name or a phone."""
    category = case.category
    description = None
    if case.channel in PUBLIC_DESCRIPTION_CHANNELS:
        description = case.description or case.title
    return {
        "service_request_id": case.tracking_code,
        "status": "closed" if case.state in CLOSED_STATES else "open",
        "status_notes": _status_notes(case),
        "service_name": category.name,
        "service_code": category.full_code,
        "description": description,
        "agency_responsible": case.assignee_department.name if case.assignee_department_id else None,
        "service_notice": f"{_handle_days(category)}个工作日内办结 / handled within {_handle_days(category)} "
                          f"working day(s)",
        "requested_datetime": iso(case.reported_at),
        "updated_datetime": iso(case.last_event_at or case.reported_at),
        "expected_datetime": iso(case.handle_by),
        "address": case.address or None,
        "address_id": None,
        "zipcode": None,
        "lat": case.lat,
        "long": case.lng,
        "media_url": None,
    }


def _requests_response(fmt, cases, status=200):
    return respond(fmt, [_request(c) for c in cases], root="service_requests", item="request", status=status)


def _moment(name: str, value: str, end_of_day=False):
    """An ISO 8601 date-time (or a date) from a query string; a naive one is read in the server's zone."""
    value = value.strip()
    # An unencoded "+08:00" arrives as " 08:00": put the plus back.
    value = re.sub(r" (\d\d:?\d\d)$", r"+\1", value)
    try:
        # A bare date means the whole day (parse_datetime would read it as its first instant).
        day = parse_date(value) if DATE_ONLY.match(value) else None
        if day is not None:
            moment = datetime.combine(day, time.max if end_of_day else time.min)
        else:
            moment = parse_datetime(value)
    except ValueError:
        moment = None
    if moment is None:
        raise Open311Error(400, f"{name} 不是 ISO 8601 时间 / {name} is not an ISO 8601 date-time")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment


def _search(params) -> list[Case]:
    errors = []
    found = _cases().filter(LISTED)
    codes = [c.strip() for c in params.get("service_code", "").split(",") if c.strip()]
    if codes:
        wanted = Q()
        for code in codes:
            if _category(code, offered_only=False) is None:
                errors.append(f"未知 service_code {code} / unknown service_code")
            else:
                wanted |= Q(category__major__code=code[:2], category__code=code[2:])
        found = found.filter(wanted)
    statuses = {s.strip().lower() for s in params.get("status", "").split(",") if s.strip()}
    if statuses - {"open", "closed"}:
        errors.append("status 应为 open 或 closed / status must be open or closed")
    elif statuses == {"open"}:
        found = found.filter(state__in=OPEN_STATES)
    elif statuses == {"closed"}:
        found = found.filter(state__in=CLOSED_STATES)
    now = timezone.now()
    start = end = None
    try:
        if params.get("start_date", "").strip():
            start = _moment("start_date", params["start_date"])
        if params.get("end_date", "").strip():
            end = _moment("end_date", params["end_date"], end_of_day=True)
    except Open311Error as error:
        errors.extend(error.descriptions)
    if start is None and end is None and not errors:
        start = now - timedelta(days=DEFAULT_DAYS)
    if start and end:
        if start > end:
            errors.append("start_date 晚于 end_date / start_date is after end_date")
        elif end - start > timedelta(days=MAX_SPAN_DAYS):
            errors.append(f"时间范围不能超过 {MAX_SPAN_DAYS} 天 / start_date to end_date may not span more than "
                          f"{MAX_SPAN_DAYS} days")
    limit = MAX_RESULTS
    if params.get("limit", "").strip():
        try:
            limit = int(params["limit"])
        except ValueError:
            limit = 0
        if not 1 <= limit <= MAX_RESULTS:
            errors.append(f"limit 须为 1–{MAX_RESULTS} 的整数 / limit must be a whole number from 1 to {MAX_RESULTS}")
    if errors:
        raise Open311Error(400, *errors)
    if start:
        found = found.filter(reported_at__gte=start)
    if end:
        found = found.filter(reported_at__lte=end)
    return list(found.order_by("-reported_at", "-id")[:limit])


def _by_ids(raw: str) -> list[Case]:
    ids = [i.strip().upper() for i in raw.split(",") if i.strip()]
    if len(ids) > MAX_RESULTS:
        raise Open311Error(400, f"service_request_id 最多 {MAX_RESULTS} 个 / at most {MAX_RESULTS} ids")
    return list(_cases().filter(tracking_code__in=ids).order_by("-reported_at", "-id"))


def _reporter_name(first: str, last: str) -> str:
    if (first + last).isascii():
        return " ".join(part for part in (first, last) if part)
    return last + first  # 中文姓名: surname first, no space


def _title(description: str, category: Category) -> str:
    first_line = description.strip().splitlines()[0].strip() if description.strip() else ""
    if not first_line:
        return category.name
    return first_line if len(first_line) <= TITLE_CHARS else first_line[:TITLE_CHARS - 1] + "…"


def _coordinate(name: str, value: str, low: float, high: float, errors: list) -> float | None:
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or not low <= number <= high:
        errors.append(f"{name} 不是有效的 WGS-84 坐标 / {name} is not a WGS-84 coordinate")
        return None
    return number


def _post(request, fmt):
    data = request.POST
    token = app_token(data.get("api_key", "").strip())
    if token is None:
        raise Open311Error(403, "api_key 缺失、无效或无上报权限 / api_key was not provided, is invalid or may not "
                                "report")
    errors = []
    code = data.get("service_code", "").strip()
    category = _category(code) if code else None
    if not code:
        errors.append("service_code 必填 / service_code is required")
    elif category is None:
        errors.append(f"未知 service_code {code} / service_code not found")
    lat_raw, lng_raw = data.get("lat", "").strip(), data.get("long", "").strip()
    lat = lng = None
    if lat_raw or lng_raw:
        if not (lat_raw and lng_raw):
            errors.append("lat 与 long 须同时提供 / lat and long go together")
        else:
            lat = _coordinate("lat", lat_raw, -90, 90, errors)
            lng = _coordinate("long", lng_raw, -180, 180, errors)
    elif data.get("address_string", "").strip() or data.get("address_id", "").strip():
        errors.append("本系统无法按地址定位，请提供 lat 和 long (WGS-84) / an address alone cannot be located "
                      "here: lat and long are required")
    else:
        errors.append("位置必填：lat 和 long (WGS-84) / lat and long are required")
    description = data.get("description", "").replace("\r\n", "\n").strip()
    if len(description) > MAX_DESCRIPTION:
        errors.append(f"description 超过 {MAX_DESCRIPTION} 字 / description is longer than {MAX_DESCRIPTION} "
                      f"characters")
    name = _reporter_name(data.get("first_name", "").strip(), data.get("last_name", "").strip())
    if len(name) > MAX_NAME:
        errors.append(f"姓名超过 {MAX_NAME} 字 / first_name and last_name together are longer than {MAX_NAME}")
    try:
        phone = clean_phone(data.get("phone", "").strip())
    except InvalidValue as exc:
        phone = ""
        errors.append(f"phone: {exc}")
    media_url = data.get("media_url", "").strip()
    if media_url:
        try:
            if len(media_url) > 500:
                raise ValidationError("too long")
            URLValidator(schemes=["http", "https"])(media_url)
        except ValidationError:
            errors.append("media_url 不是 http(s) 链接 / media_url is not an http(s) URL")
    if errors:
        raise Open311Error(400, *errors)
    # The picture stays where the app keeps it: its link is kept with the description (we never fetch it).
    stored = description if not media_url else f"{description}\n\n附件 / media: {media_url}".strip()
    try:
        case = do_open311_report(token, category=category, title=_title(description, category),
                                 description=stored, lng=lng, lat=lat,
                                 address=data.get("address_string", "").strip(), reporter_name=name,
                                 reporter_phone=phone)
    except OperationError as exc:
        field = "lat/long" if exc.field == "location" else exc.field
        raise Open311Error(400, f"{field}: {exc.message}" if field else exc.message) from None
    notice = (f"已受理，查询码 {case.tracking_code}，预计 {iso(case.handle_by)} 前办结 / received; expected to be "
              f"handled by {iso(case.handle_by)}")
    body = [{"service_request_id": case.tracking_code, "service_notice": notice, "account_id": None}]
    return respond(fmt, body, root="service_requests", item="request", status=201)


@csrf_exempt  # an API signed by its api_key, not a browser form
@_fmt_errors
def requests(request, fmt):
    _only(request, "GET", "HEAD", "POST")
    if request.method == "POST":
        return _post(request, fmt)
    ids = request.GET.get("service_request_id", "")
    # The spec: service_request_id overrides every other parameter.
    cases = _by_ids(ids) if ids.strip() else _search(request.GET)
    return _requests_response(fmt, cases)


def _one(code: str) -> Case:
    case = _cases().filter(tracking_code=(code or "").strip().upper()).first()
    if case is None:
        raise Open311Error(404, f"未找到请求 {code} / service request not found")
    return case


@_fmt_errors
def request_detail(request, fmt, service_request_id):
    _only(request, "GET", "HEAD")
    return _requests_response(fmt, [_one(service_request_id)])


@_fmt_errors
def token_detail(request, fmt, token_id):
    """We answer POST with the id at once, so a token is the request's id: it maps to itself."""
    _only(request, "GET", "HEAD")
    case = _one(token_id)
    body = [{"service_request_id": case.tracking_code, "token": case.tracking_code}]
    return respond(fmt, body, root="service_requests", item="request")
