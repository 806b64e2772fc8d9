"""一栋楼"三个一" coverage by area, and the building card (院落视图): a building's residents by category,
households, cards, doors, cameras, property company, head and open alerts on one page."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from wangge.areas.models import Region
from wangge.areas.picker import area_picker
from wangge.core.refusals import page_status
from wangge.core.roles import can
from wangge.core.scoping import get_visible_or_404
from wangge.core.services import OperationError, require
from wangge.registry.codes import tag_label
from wangge.sensing.connectivity import connectivity
from wangge.sensing.coverage import coverage
from wangge.sensing.models import Alert, Card, CardState, Device, DeviceKind


@login_required
@require_GET
def coverage_page(request):
    user = request.user
    require(user, "sensing.view")
    code = (request.GET.get("area") or "").strip()[:20]
    area = get_visible_or_404(Region.objects.all(), user, code=code) if code else None
    rows, total = coverage(user, area)
    return render(request, "sensing/coverage.html", {"rows": rows, "total": total, "picker": area_picker(user, area),
                                                     "area_query": "", "chosen_area": area})


def residents_by_category(user, building) -> dict:
    """Counts of the people living in the building by kind, and by care group (special groups only for readers
    allowed to see them)."""
    from wangge.registry.models import Person, PersonTag, TagGroup

    living = Person.objects.visible_to(user).filter(house__building=building, moved_out__isnull=True)
    kinds = {row["kind"]: row["n"] for row in living.order_by().values("kind").annotate(n=Count("id"))}
    tags = PersonTag.objects.visible_to(user).filter(person__in=living.values("pk"))
    if not can(user, "registry.view_special"):
        tags = tags.exclude(tag__group=TagGroup.SPECIAL)
    groups = list(tags.order_by().values("tag__code", "tag__name", "tag__group")
                  .annotate(n=Count("person_id", distinct=True)).order_by("tag__group", "-n"))
    for group in groups:
        group["label"] = tag_label(group["tag__code"], group["tag__name"])
    return {"total": sum(kinds.values()), "kinds": kinds, "groups": groups}


def _building(user, pk):
    from wangge.registry.models import Building

    return get_visible_or_404(Building.objects.select_related("grid__parent", "head", "head_staff"), user, pk=pk)


def building_context(request, building, *, error=None, values=None) -> dict:
    from wangge.areas.models import GridTeamMember
    from wangge.registry.models import Household, Person, PersonKind

    user = request.user
    now = timezone.now()
    devices = list(Device.objects.visible_to(user).filter(building=building).order_by("kind", "code"))
    for device in devices:
        device.connectivity = connectivity(device, now)
    cards = Card.objects.visible_to(user).filter(building=building)
    residents = residents_by_category(user, building)
    editable = can(user, "registry.edit")
    current = (f"person:{building.head_id}" if building.head_id else
               f"team:{building.head_staff_id}" if building.head_staff_id else "")
    return {
        "building": building, "residents": residents,
        "kinds": [(value, label, residents["kinds"].get(value, 0)) for value, label in PersonKind.choices],
        "households": Household.objects.visible_to(user).filter(house__building=building).count(),
        "cards_active": cards.filter(state=CardState.ACTIVE).count(),
        "cards_total": cards.count(),
        "doors": [d for d in devices if d.kind in (DeviceKind.DOOR, DeviceKind.GATE)],
        "cameras": [d for d in devices if d.kind == DeviceKind.CAMERA],
        "others": [d for d in devices if d.kind not in (DeviceKind.DOOR, DeviceKind.GATE, DeviceKind.CAMERA)],
        "alerts": list(Alert.objects.visible_to(user).open().filter(building=building).order_by("-last_seen")[:20]),
        "editable": editable, "error": error,
        "values": values or {"head": current, "is_rental": building.is_rental,
                             "property_company": building.property_company},
        "head_residents": [(f"person:{p.pk}", p.name) for p in Person.objects.visible_to(user).filter(
            house__building=building, moved_out__isnull=True).order_by("name", "id")] if editable else [],
        "head_team": [(f"team:{m.pk}", f"{m.name} · {m.get_role_display()}") for m in GridTeamMember.objects.filter(
            grid_id=building.grid_id).order_by("role", "name")] if editable else [],
    }


@login_required
@require_GET
def building_card(request, pk):
    require(request.user, "sensing.view")
    building = _building(request.user, pk)
    return render(request, "sensing/building.html", building_context(request, building))


@login_required
@require_POST
def building_profile(request, pk):
    """楼栋长, 出租屋 and the property company, posted from the building card (registry.do_set_building_profile)."""
    from wangge.areas.models import GridTeamMember
    from wangge.registry.models import Person
    from wangge.registry.services import do_set_building_profile

    user = request.user
    require(user, "sensing.view")
    building = _building(user, pk)
    chosen = (request.POST.get("head") or "").strip()
    kind, _sep, raw = chosen.partition(":")
    head = head_staff = None
    if kind == "person" and raw.isdigit():
        head = Person.objects.visible_to(user).filter(pk=int(raw)).first() or Person(pk=int(raw))
    elif kind == "team" and raw.isdigit():
        head_staff = GridTeamMember.objects.filter(pk=int(raw)).first() or GridTeamMember(pk=int(raw))
    values = {"head": chosen, "is_rental": request.POST.get("is_rental") == "1",
              "property_company": request.POST.get("property_company", "")}
    try:
        do_set_building_profile(user, building, head=head, head_staff=head_staff, is_rental=values["is_rental"],
                                property_company=values["property_company"])
    except OperationError as exc:
        context = building_context(request, _building(user, pk), error=exc.message, values=values)
        return render(request, "sensing/building.html", context, status=page_status(exc))
    messages.success(request, _("Saved"))
    return redirect(reverse("sensing:building", args=[building.pk]) + "#building-facts")


@login_required
@require_GET
def holders_page(request):
    from wangge.sensing.holders import holders

    user = request.user
    require(user, "sensing.view")
    code = (request.GET.get("area") or "").strip()[:20]
    area = get_visible_or_404(Region.objects.all(), user, code=code) if code else None
    rows, total, special = holders(user, area)
    return render(request, "sensing/holders.html", {"rows": rows, "total": total, "special": special,
                                                    "picker": area_picker(user, area), "area_query": ""})
