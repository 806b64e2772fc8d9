"""上报 (the grid worker's phone page, and the operators' 12345 / 领导交办 entry) and the duplicate check
it calls before submitting."""
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from wangge.cases import services
from wangge.cases.forms import ReportForm
from wangge.cases.models import Category, Channel
from wangge.cases.views import cases_for, require_reporter
from wangge.core import pending_uploads
from wangge.core.refusals import form_page, posted

MAX_TEXT = 500
# The long side a phone shrinks a photo to before sending it (the server keeps at most photos.MAX_SIDE): enough to
# read a sign or a meter, a fifth of a camera photo's bytes.
PHONE_PHOTO_SIDE = 2048


@login_required
@require_http_methods(["GET", "POST"])
def report(request):
    user = request.user
    require_reporter(user)
    form = ReportForm(user, *posted(request))
    new_files = request.FILES.getlist("photos")
    # Photos held from a submit that came back with an error, still ticked: sent again with the new ones.
    files = [*pending_uploads.take(request, request.POST.getlist("kept_photos")), *new_files] \
        if request.method == "POST" else []
    node = user.scope_node

    def show(status):
        if request.method == "GET":
            pending_uploads.release(request)  # a fresh form: nothing from an earlier attempt
        kept = pending_uploads.hold(request, new_files) if request.method == "POST" else []
        # The form's one-time key: the same again after a refusal (nothing was made), a new one for a new form.
        key = (request.POST.get("submission_key") or "")[:40] if request.method == "POST" else ""
        return render(request, "cases/report.html",
                      {"form": form, "map_code": node.code if node else "", "kept_photos": kept,
                       "submission_key": key or uuid.uuid4().hex, "photo_max_side": PHONE_PHOTO_SIDE}, status=status)

    key = (request.POST.get("submission_key") or "")[:40] if request.method == "POST" else ""
    return form_page(request, form, lambda data: _report(user, data, files, key),
                     lambda case: _reported(request, case), show)


def _reported(request, case):
    pending_uploads.release(request)
    if case.self_resolved:
        messages.success(request, _("Reported and resolved on the spot: %(number)s") % {"number": case.number})
    else:
        messages.success(request, _("Reported: %(number)s (tracking code %(code)s)") % {"number": case.number,
                                                                                       "code": case.tracking_code})
    return redirect(reverse("cases:detail", args=[case.pk]))


def _report(user, data, files, submission_key=""):
    """One operation: the photos are checked first, then the report, its photos and 当场解决 together."""
    return services.do_report_case(
        user, category=data["category"], title=data["title"], description=data["description"],
        lng=data["lng"], lat=data["lat"], crs="wgs84", grid=data["grid"],
        channel=data.get("channel") or Channel.GRID_WORKER, reporter_name=data.get("reporter_name", ""),
        reporter_phone=data.get("reporter_phone", ""), priority=data.get("priority") or None,
        address=data["address"], external_id=data.get("external_id", ""), photos=files or None,
        resolved_on_spot=bool(data.get("self_resolved")), resolution=data.get("resolution", ""),
        submission_key=submission_key)


@login_required
@require_GET
def report_duplicates(request):
    """Open cases like the one being reported (same category, near, recent, similar text), among those the
    reporter may see: an htmx fragment for the report page."""
    user = request.user
    require_reporter(user)
    get = request.GET
    found = []
    category_id = (get.get("category") or "").strip()
    try:
        lng, lat = float(get.get("lng") or ""), float(get.get("lat") or "")
    except ValueError:
        lng = lat = None
    category = Category.objects.filter(pk=int(category_id)).first() if category_id.isdigit() else None
    code = (get.get("code") or "").strip()  # or the full catalogue code, 01001
    if category is None and len(code) == 5 and code.isdigit():
        category = Category.objects.filter(major__code=code[:2], code=code[2:]).first()
    if category is not None and lng is not None and -180 <= lng <= 180 and -90 <= lat <= 90:
        from wangge.cases.duplicates import find_duplicates

        text = f"{get.get('title', '')[:MAX_TEXT]} {get.get('description', '')[:MAX_TEXT]}".strip()
        found = find_duplicates(category, lng, lat, text, limit=5, queryset=cases_for(user))
    return render(request, "cases/_duplicates.html", {"duplicates": found, "asked": category is not None
                                                      and lng is not None})
