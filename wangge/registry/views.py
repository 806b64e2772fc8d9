"""Staff pages for base data (以房管人): grid → buildings → houses → households → people,
search, the person page with reveal, a grid worker's phone pages (add a household, move a
person, log a visit, visits due) and an operator's desk pages (people list, counts, import,
export).

Every read goes through `visible_to(request.user)` or `get_visible_or_404`, so anything
outside the user's area answers 404 and never shows up in a list. Base data is for those who
keep it (registry.view: operators, grid workers,
         administrators); the lists answer 403 to others. Every change goes through
an operation in services.py. ID numbers and phones reach a page only masked; the one way to
a plain value is the reveal form, which calls `do_reveal` (reason required, audited).
"""
import hashlib
import re
import secrets
import time
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, Subquery, Value
from django.db.models.functions import Coalesce, Concat
from django.http import FileResponse, Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wangge.areas.models import Level, Region
from wangge.areas.picker import area_picker
from wangge.areas.views import breadcrumb, start_region
from wangge.core.keyset import keyset_page
from wangge.core.personal import keep_revealed, mask_id_number, mask_phone, reveal_key, take_revealed
from wangge.core.refusals import form_page, posted, run_form_operation
from wangge.core.roles import can
from wangge.core.scoping import get_visible_or_404
from wangge.core.services import OperationError, do_reveal
from wangge.registry import forms, services
from wangge.registry.counts import LAYERS, population_counts, visible_tag_groups
from wangge.registry.due import due_visits
from wangge.registry.models import (
    Building,
    House,
    Household,
    Organisation,
    OrganisationKind,
    Person,
    PersonKind,
    PersonTag,
    Place,
    PlaceKind,
    Residence,
    Tag,
    Vehicle,
    Visit,
    VisitPhoto,
)
from wangge.registry.queries import search_people, staff_labels

PAGE_SIZE = 50
COUNT_LIMIT = 10_000  # people lists count up to this ("more than 10,000"): a district counts a million otherwise
LAST_VISITS = 10
LAST_CHANGES = 50
REVEAL_FIELDS = ("id_number", "phone")


# ------------------------------------------------------------------ helpers


def _require(user, permission: str):
    if not can(user, permission):
        raise PermissionDenied


def _page(request, queryset, ordering, size: int | None = None, count_limit: int | None = None):
    return keyset_page(queryset, ordering, request.GET, size or PAGE_SIZE, count_limit=count_limit)


def _base(request, **context) -> dict:
    return context


def _trail(user, grid, *links) -> dict:
    """The breadcrumb of a page under a grid: the region path, then (label, url) links."""
    return {"crumbs": breadcrumb(user, grid) if grid is not None else [], "trail": list(links)}


def _person_page(request, person, title, template, status=200, **context):
    """A page about one person (move, visit, vehicle, group, edit): the trail runs through the person's grid and
    name to `title`."""
    context = _base(request, person=person, **context,
                    **_trail(request.user, person.grid, (person.name, reverse("person", args=[person.pk])),
                             (title, None)))
    return render(request, template, context, status=status)


def _person_form_page(request, person, form, operation, fallback, done, title, template, **context):
    """A person's sub-page whose form starts one operation (visit, vehicle, edit): refused, the page again at 400
    with the errors on the form; done, `done(result)` queues its message and the person's page follows."""
    def finished(result):
        done(result)
        return redirect("person", pk=person.pk)

    return form_page(request, form, operation, finished,
                     lambda status: _person_page(request, person, title, template, status=status, form=form,
                                                 **context), fallback)


def _visible_tags_prefetch(user):
    return Prefetch("tags", queryset=PersonTag.objects.visible_to(user).select_related("tag").order_by("tag__group",
                                                                                                        "tag__code"),
                    to_attr="visible_tags")


def _count_per_building(queryset, building_field: str):
    rows = (queryset.filter(**{building_field: OuterRef("pk")}).order_by().values(building_field)
            .annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def _people(user):
    return (Person.objects.visible_to(user).select_related("grid", "house__building")
            .prefetch_related(_visible_tags_prefetch(user)))


def _person_to_change(user, pk, permission: str = "registry.edit", *related):
    """The person a sub-page changes: outside the user's area a 404 (before a missing permission can tell that they
    exist), then a 403 without `permission`."""
    people = _people(user).select_related(*related) if related else _people(user)
    person = get_visible_or_404(people, user, pk=pk)
    _require(user, permission)
    return person


def _staff_labels(viewer, users) -> dict:
    return staff_labels(viewer, users)


def _area_param(request, user):
    """The ?area= filter (?grid= in older links): a region the user may see, or 404 like any other address
    outside their area."""
    code = (request.GET.get("area") or request.GET.get("grid") or "").strip()
    if not code:
        return None
    return get_visible_or_404(Region.objects.all(), user, code=code)


def _in_area(queryset, area):
    """Rows whose grid lies in `area`: by grid ids (an index lookup), not by joining every row's grid path."""
    if area is None:
        return queryset
    if area.level == Level.GRID:
        return queryset.filter(grid=area)
    return queryset.filter(grid_id__in=Region.objects.filter(level=Level.GRID, path__startswith=area.path)
                           .values("pk"))


# ------------------------------------------------------------------ browse: buildings, houses


@login_required
@require_GET
def building_list(request, code=None):
    """楼栋: the buildings of a grid (or of the whole area), with house and resident counts."""
    user = request.user
    _require(user, "registry.view")
    grid = None
    if code is not None:
        grid = get_visible_or_404(Region.objects.filter(level=Level.GRID).select_related("parent"), user, code=code)
    elif user.scope_node is not None and user.scope_node.level == Level.GRID:
        grid = get_visible_or_404(Region.objects.select_related("parent"), user, pk=user.scope_node.pk)
    # Counted per building by correlated subqueries, which PostgreSQL runs for the page's rows only (after the
    # sort and limit), and the paginator's count leaves out: a grouped join counted all 105,000 residents twice.
    buildings = (Building.objects.visible_to(user).select_related("grid")
                 .annotate(house_count=_count_per_building(House.objects, "building"),
                           resident_count=_count_per_building(Person.objects, "house__building")))
    if grid is not None:
        buildings = buildings.filter(grid=grid)
    q = (request.GET.get("q") or "").strip()[:60]
    if q:
        buildings = buildings.filter(Q(name__contains=q) | Q(address__contains=q))
    page = _page(request, buildings, ("grid__code", "address", "name", "id"))
    query = urlencode({"q": q}) if q else ""
    context = _base(request, grid=grid, page=page, q=q, query=query)
    if grid is not None:
        context.update(_trail(user, grid, (_("Buildings"), None)))
    return render(request, "registry/buildings.html", context)


@login_required
@require_GET
def building_page(request, pk):
    user = request.user
    building = get_visible_or_404(Building.objects.select_related("grid"), user, pk=pk)
    houses = (House.objects.visible_to(user).filter(building=building)
              .annotate(resident_count=Count("residents", distinct=True),
                        household_count=Count("households", distinct=True))
              .order_by("unit", "number", "id"))
    head = Person.objects.visible_to(user).filter(pk=building.head_id).first() if building.head_id else None
    context = _base(request, building=building, houses=houses, head=head,
                    **_trail(user, building.grid,
                             (_("Buildings"), reverse("grid_buildings", args=[building.grid.code])),
                             (building.name, None)))
    return render(request, "registry/building.html", context)


def _households_of(user, house):
    members = Person.objects.visible_to(user).order_by("id").prefetch_related(_visible_tags_prefetch(user))
    households = list(Household.objects.visible_to(user).filter(house=house).order_by("id")
                      .prefetch_related(Prefetch("members", queryset=members, to_attr="visible_members")))
    for household in households:
        household.visible_members.sort(key=lambda p: (p.pk != household.head_id, p.pk))
        head = next((p for p in household.visible_members if p.pk == household.head_id), None)
        household.head_shown = head.name if head else None
    return households


@login_required
@require_GET
def house_page(request, pk):
    user = request.user
    house = get_visible_or_404(House.objects.select_related("grid", "building"), user, pk=pk)
    households = _households_of(user, house)
    in_households = {p.pk for h in households for p in h.visible_members}
    others = [p for p in _people(user).filter(house=house).order_by("name", "id") if p.pk not in in_households]
    owner = Person.objects.visible_to(user).filter(pk=house.owner_id).first() if house.owner_id else None
    building = house.building
    context = _base(request, house=house, building=building, households=households, others=others, owner=owner,
                    **_trail(user, house.grid,
                             (_("Buildings"), reverse("grid_buildings", args=[house.grid.code])),
                             (building.name, reverse("building", args=[building.pk])),
                             (forms.house_label(house), None)))
    return render(request, "registry/house.html", context)


# ------------------------------------------------------------------ the person page


def _residences(user, person) -> list[dict]:
    """Where they lived; a place outside the viewer's area is shown only as such (dates kept)."""
    visible = set(Residence.objects.visible_to(user).filter(person=person).values_list("pk", flat=True))
    rows = []
    for residence in person.residences.select_related("house__building", "grid").order_by("-moved_in", "-id"):
        shown = residence.pk in visible
        rows.append({
            "in_area": shown,
            "house": residence.house if shown else None,
            "grid": residence.grid if shown else None,
            "moved_in": residence.moved_in,
            "moved_out": residence.moved_out,
        })
    return rows


def _visits(user, person, limit=LAST_VISITS) -> list:
    visits = list(Visit.objects.visible_to(user).filter(person=person).select_related("worker")
                  .prefetch_related("photos").order_by("-visited_at", "-id")[:limit])
    labels = _staff_labels(user, [v.worker for v in visits])
    for visit in visits:
        visit.worker_label = labels.get(visit.worker_id, "")
    return visits


HISTORY_FIELDS = ("name", "id_number", "ethnicity", "phone", "kind", "house", "household", "relation", "grid",
                  "moved_in", "moved_out")


def _history(user, person, limit=LAST_CHANGES) -> list[dict]:
    """Who changed which field when (django-simple-history), newest first. Personal numbers are
    masked; a house or grid outside the viewer's area is named only as such."""
    records = list(person.history.select_related("history_user").order_by("history_date", "history_id"))
    labels = _staff_labels(user, [r.history_user for r in records])
    house_ids = {r.house_id for r in records if r.house_id}
    grid_ids = {r.grid_id for r in records if r.grid_id}
    houses = {h.pk: h for h in House.objects.visible_to(user).filter(pk__in=house_ids).select_related("building")}
    grids = {g.pk: g for g in Region.objects.visible_to(user).filter(pk__in=grid_ids)}
    households = {h.pk: h for h in Household.objects.visible_to(user).filter(
        pk__in={r.household_id for r in records if r.household_id})}
    heads = dict(Person.objects.visible_to(user).filter(pk__in=[h.head_id for h in households.values()])
                 .values_list("pk", "name"))
    outside = _("outside your area")

    def shown(name, value):
        if value in (None, ""):
            return "—"
        if name == "id_number":
            return mask_id_number(value)
        if name == "phone":
            return mask_phone(value)
        if name == "house":
            house = houses.get(value)
            return f"{house.building.address} {house}" if house else outside
        if name == "grid":
            grid = grids.get(value)
            return grid.name if grid else outside
        if name == "household":
            if value not in households:
                return outside
            head = heads.get(households[value].head_id)
            return _("Household of %(head)s") % {"head": head} if head else _("Household")
        field = Person._meta.get_field(name)
        if field.choices:
            return str(dict(field.flatchoices).get(value, value))
        return str(value)

    rows, previous = [], None
    for record in records:
        changes = []
        for name in HISTORY_FIELDS:
            attname = Person._meta.get_field(name).attname
            old, new = (getattr(previous, attname) if previous else None), getattr(record, attname)
            if old != new and not (old in (None, "") and new in (None, "")):
                changes.append({"field": Person._meta.get_field(name).verbose_name,
                                "old": shown(name, old) if previous else "", "new": shown(name, new)})
        if changes or record.history_type != "~":
            rows.append({"at": record.history_date, "type": record.history_type,
                         "by": labels.get(record.history_user_id) or _("system"),
                         "reason": record.history_change_reason or "", "changes": changes})
        previous = record
    rows.reverse()
    return rows[:limit]


def _person_context(request, person, **extra) -> dict:
    user = request.user
    household = None
    if person.household_id:
        household = (Household.objects.visible_to(user).filter(pk=person.household_id)
                     .prefetch_related(Prefetch("members", queryset=Person.objects.visible_to(user).order_by("id"),
                                                to_attr="visible_members")).first())
    grid = person.grid
    links = []
    if grid is not None:
        links.append((_("Buildings"), reverse("grid_buildings", args=[grid.code])))
    if person.house_id:
        links.append((person.house.building.name, reverse("building", args=[person.house.building_id])))
        links.append((forms.house_label(person.house), reverse("house", args=[person.house_id])))
    links.append((person.name, None))
    context = _base(request, person=person, household=household, residences=_residences(user, person),
                    visits=_visits(user, person), history=_history(user, person),
                    reveal_id=_reveal_state(person, "id_number"), reveal_phone=_reveal_state(person, "phone"),
                    vehicles=Vehicle.objects.visible_to(user).filter(owner=person).order_by("plate"),
                    **_trail(user, grid, *links))
    if can(user, "registry.edit"):
        context["tag_form"] = forms.TagForm(tags=_tag_choices(user))
        context["vehicle_form"] = forms.VehicleForm()
    context.update(extra)
    return context


def _reveal_state(person, field, value=None, form=None) -> dict:
    masked = mask_id_number(person.id_number) if field == "id_number" else mask_phone(person.phone)
    return {"field": field, "value": value, "form": form or forms.RevealForm(), "masked": masked}


@login_required
@require_GET
def person_page(request, pk):
    person = get_visible_or_404(_people(request.user).select_related("household"), request.user, pk=pk)
    # A value revealed by the POST that redirected here (a browser without JavaScript), shown this once.
    shown = {field: take_revealed(request, reveal_key("registry.person", person.pk, field)) for field in REVEAL_FIELDS}
    extra = {key: _reveal_state(person, field, shown[field])
             for key, field in (("reveal_id", "id_number"), ("reveal_phone", "phone")) if shown.get(field)}
    return render(request, "registry/person.html", _person_context(request, person, **extra))


@login_required
@require_POST
def person_reveal(request, pk, field):
    """查看完整号码: one value in the clear, for a reason; do_reveal writes the audit row.

    Answered with the fragment that replaces the masked value (HTMX), or the whole
    person page for a browser without JavaScript.
    """
    if field not in REVEAL_FIELDS:
        raise Http404
    person = get_visible_or_404(_people(request.user).select_related("household"), request.user, pk=pk)
    if not getattr(person, field):
        raise Http404  # nothing recorded, nothing to reveal (and nothing to log)
    form = forms.RevealForm(request.POST)
    value = None
    if form.is_valid():
        try:
            value = do_reveal(request.user, person, field, form.cleaned_data["reason"])
        except OperationError as exc:
            form.add_errors({exc.field or "reason": exc.message}, "reason")
    state = _reveal_state(person, field, value, form)
    if request.headers.get("HX-Request"):
        # HTMX swaps only 2xx answers by default; a refusal is an answer that shows the error by the field.
        return render(request, "registry/_reveal.html", {"person": person, "r": state})
    if value is not None:  # post/redirect/get: a refresh must not reveal (and log) again
        keep_revealed(request, reveal_key("registry.person", person.pk, field), value)
        return redirect(reverse("person", args=[person.pk]) + f"#reveal-{field}")
    key = "reveal_id" if field == "id_number" else "reveal_phone"
    page = _person_context(request, person, **{key: state})
    return render(request, "registry/person.html", page, status=400)


@login_required
@require_GET
def visit_photo(request, pk):
    """A visit photo, only to those who may see the visit (photos are never public media)."""
    photo = VisitPhoto.objects.filter(pk=pk, visit__in=Visit.objects.visible_to(request.user)).first()
    if photo is None:
        raise Http404
    try:
        handle = photo.image.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404
    response = FileResponse(handle)
    response["Cache-Control"] = "private, max-age=3600"
    return response


# ------------------------------------------------------------------ search and the people list




LAST_NUMBER_SEARCH = "registry_number_search"
NUMBER_LIKE = re.compile(r"\d{7,}")


def _number_like(q: str) -> bool:
    """A query carrying an ID number or a phone (seven digits or more): kept out of addresses and pages."""
    return bool(NUMBER_LIKE.search(q.replace(" ", "").replace("-", "")))


def _masked_query(q: str) -> str:
    compact = q.replace(" ", "")
    if len(compact) >= 15:
        return mask_id_number(compact)
    return mask_phone(compact)


@login_required
@require_http_methods(["GET", "POST"])
def people_search(request):
    """查询: the form posts (so an ID number or phone never lands in an address, the history or a log);
    a name or address also works as ?q= in a link. The number typed is shown back masked."""
    _require(request.user, "registry.view")
    source = request.POST if request.method == "POST" else request.GET
    if request.method == "POST" and source.get("again"):
        # Next page of a search by number: the number stays in the session, not in the page.
        source = {"q": request.session.get(LAST_NUMBER_SEARCH, ""), "after": source.get("after"),
                  "before": source.get("before")}
    form = forms.SearchForm(source)
    q = form.cleaned_data["q"].strip() if form.is_valid() else ""
    number_like = _number_like(q)
    if number_like:
        request.session[LAST_NUMBER_SEARCH] = q
    if request.method == "GET" and number_like:
        messages.info(request, _("Search ID numbers and phones with the search box: numbers are kept out of web "
                                 "addresses."))
        return redirect("people_search")
    page = None
    if q:
        # Sorted by an expression of the name, not the name's index: a surname that many share ("王") is found by
        # one scan of the area's people and a top-N sort (0.2 s for a million), where walking the name index in
        # order checked every name before 王 (1.4 s); a rare name costs the same 0.2 s instead of its luck.
        # The page's ids first, from the person rows alone (the sort carries no house, building or grid), then
        # their whole rows.
        found = (search_people(Person.objects.visible_to(request.user), q).only("id", "name")
                 .annotate(sort_name=Concat("name", Value(""))))
        page = keyset_page(found, ("sort_name", "id"), source, PAGE_SIZE, count_limit=COUNT_LIMIT)
        whole = _people(request.user).in_bulk([p.pk for p in page.object_list])
        for lean in page.object_list:  # the cursors are made from the sort key
            if lean.pk in whole:
                whole[lean.pk].sort_name = lean.sort_name
        page.object_list = [whole[p.pk] for p in page.object_list if p.pk in whole]
    context = _base(request, q=q, page=page, number_like=number_like,
                    q_shown=_masked_query(q) if number_like else q, q_input="" if number_like else q,
                    query=urlencode({"q": q}) if q and not number_like else "")
    return render(request, "registry/search.html", context)


def _people_filters(request, user) -> tuple[dict, dict]:
    """The list's filters, each kept only if it is one the user may use (never echoed otherwise)."""
    kind = request.GET.get("kind") or ""
    kind = kind if kind in PersonKind.values else ""
    tags = Tag.objects.filter(group__in=visible_tag_groups(user)).order_by("group", "code")
    tag_code = request.GET.get("tag") or ""
    tag = next((t for t in tags if t.code == tag_code), None)
    area = _area_param(request, user)
    chosen = {"kind": kind, "tag": tag.code if tag else "", "area": area.code if area else ""}
    return chosen, {"tags": tags, "tag": tag, "area": area}


@login_required
@require_GET
def people_list(request):
    """实有人口 (desk): filters by kind, tag and grid, paginated; numbers masked."""
    user = request.user
    _require(user, "registry.view")
    chosen, found = _people_filters(request, user)
    asked = {k: request.GET.get(k, "") for k in ("kind", "tag", "area")}
    if asked != chosen or "grid" in request.GET:
        # A filter the user may not use is dropped, and the address says so (it is never echoed back).
        query = urlencode({k: v for k, v in chosen.items() if v})
        return redirect(reverse("people") + (f"?{query}" if query else ""))
    people = _people(user)
    if chosen["kind"]:
        people = people.filter(kind=chosen["kind"])
    if found["tag"] is not None:
        people = people.filter(pk__in=PersonTag.objects.visible_to(user).filter(tag=found["tag"]).values("person_id"))
    people = _in_area(people, found["area"])
    page = _page(request, people, ("name", "id"), count_limit=COUNT_LIMIT)
    context = _base(request, page=page, chosen=chosen, tags=found["tags"], picker=area_picker(user, found["area"]),
                    kinds=PersonKind.choices, query=urlencode({k: v for k, v in chosen.items() if v}),
                    area_query=urlencode({k: v for k, v in chosen.items() if v and k != "area"}),
                    export_form=forms.ExportForm())
    return render(request, "registry/people.html", context)


# ------------------------------------------------------------------ counts


@login_required
@require_GET
def population_home(request):
    _require(request.user, "registry.view")
    region = start_region(request.user)
    if region is None:
        return render(request, "areas/no_area.html", _base(request))
    return redirect("population", code=region.code)


@login_required
@require_GET
def population_page(request, code):
    """人口统计: people by kind and tag, houses by use, rented houses; and per child region the
    map's layers (population, floating, care)."""
    user = request.user
    _require(user, "registry.view")
    region = get_visible_or_404(Region.objects.select_related("parent"), user, code=code)
    counts = population_counts(user, region, layers=LAYERS)
    layers = counts.pop("layers")
    children = list(Region.objects.visible_to(user).filter(parent=region).order_by("code"))
    rows = [{"region": child, **{layer: layers[layer].get(child.code, 0) for layer in LAYERS}} for child in children]
    kinds = [(label, counts["by_kind"][value]) for value, label in PersonKind.choices]
    from wangge.registry.models import HouseUse

    uses = [(label, counts["houses_by_use"][value]) for value, label in HouseUse.choices]
    context = _base(request, region=region, counts=counts, kinds=kinds, uses=uses, rows=rows,
                    crumbs=breadcrumb(user, region), trail=[(_("Population"), None)])
    return render(request, "registry/population.html", context)


# ------------------------------------------------------------------ grid worker: add a household


@login_required
@require_http_methods(["GET", "POST"])
def household_new(request, pk):
    """新增住户: choose or add a house in the building, then the head and the members.
    Nothing is saved unless every person and the house pass (do_add_household is all or nothing)."""
    user = request.user
    building = get_visible_or_404(Building.objects.select_related("grid"), user, pk=pk)
    _require(user, "registry.edit")
    houses = list(House.objects.visible_to(user).filter(building=building).order_by("unit", "number", "id"))
    if request.method == "POST":
        house_form = forms.HouseChoiceForm(request.POST, houses=houses, prefix="house")
        head_form = forms.PersonForm(request.POST, prefix="head")
        members = forms.MemberFormSet(request.POST, prefix="members")
        valid = [house_form.is_valid(), head_form.is_valid(), members.is_valid()]
        if all(valid):
            household = _add_household(user, building, house_form, head_form, _filled(members))
            if household is not None:
                messages.success(request, _("Household added."))
                return redirect("house", pk=household.house_id)
        status = 400
    else:
        chosen = request.GET.get("house") or ""
        initial = {"house": chosen} if chosen in {str(h.pk) for h in houses} else {}
        house_form = forms.HouseChoiceForm(houses=houses, prefix="house", initial=initial)
        head_form = forms.PersonForm(prefix="head")
        members = forms.MemberFormSet(prefix="members")
        status = 200
    context = _base(request, building=building, house_form=house_form, head_form=head_form, members=members,
                    **_trail(user, building.grid,
                             (_("Buildings"), reverse("grid_buildings", args=[building.grid.code])),
                             (building.name, reverse("building", args=[building.pk])),
                             (_("Add a household"), None)))
    return render(request, "registry/household_new.html", context, status=status)


def _filled(members) -> list:
    """The member rows that were filled in (a blank row added by mistake is skipped)."""
    return [form for form in members.forms if form.has_changed()]


def _add_household(user, building, house_form, head_form, member_forms):
    """Call do_add_household with the forms' data; its faults ("head.name", "members.1.id_number", …) go back
    on the form each names. The household, or None when refused (nothing was saved)."""
    data = house_form.cleaned_data
    new_house = None
    if house_form.chosen_house is None:
        new_house = {"number": data["number"].strip(), "unit": (data.get("unit") or "").strip(), "use": data["use"]}
    try:
        return services.do_add_household(
            user, building, house=house_form.chosen_house, new_house=new_house, head=head_form.person_data(),
            members=[(form.person_data(), form.cleaned_data["relation"]) for form in member_forms])
    except services.FieldErrors as exc:
        forms_by_prefix = {"house": house_form, "head": head_form,
                           **{f"members.{i}": form for i, form in enumerate(member_forms)}}
        for name, message in exc.errors.items():
            prefix, _dot, field = name.rpartition(".")
            forms_by_prefix.get(prefix, head_form).add_errors({field: message}, "id_number")
    except OperationError as exc:
        house_form.add_errors({exc.field or "__all__": exc.message}, "house")
    return None


# ------------------------------------------------------------------ grid worker: move a person


@login_required
@require_http_methods(["GET", "POST"])
def person_move(request, pk):
    """迁居 / 迁出: choose a building, then the house (and household); or move out of the district."""
    user = request.user
    person = _person_to_change(user, pk, "registry.edit", "household")
    building = None
    building_id = request.POST.get("building") or request.GET.get("building")
    if building_id and str(building_id).isdigit():
        building = Building.objects.visible_to(user).filter(pk=building_id).select_related("grid").first()
    houses, households = [], []
    if building is not None:
        houses = list(House.objects.visible_to(user).filter(building=building).order_by("unit", "number", "id"))
        households = _households_in(user, houses)
    move_form = forms.MoveForm(houses=houses, households=households)
    out_form = forms.MoveOutForm()
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "out":
            out_form = forms.MoveOutForm(request.POST)
            left = person.house_id
            moved_out = run_form_operation(out_form, lambda data: services.do_move_person(user, person, None,
                                                                                          when=data["when"]), "when")
            if moved_out is not None:
                messages.success(request, _("%(name)s has moved out of the district.") % {"name": person.name})
                back = left and House.objects.visible_to(user).filter(pk=left).exists()
                return redirect("house", pk=left) if back else redirect("home")
        elif action == "move" and building is not None:
            move_form = forms.MoveForm(request.POST, houses=houses, households=households)
            moved = run_form_operation(move_form, lambda data: services.do_move_person(
                user, person, data["house_obj"], data["household_obj"],
                data["relation"] if data["household_obj"] is not None else "", data["when"]), "house")
            if moved is not None:
                messages.success(request, _("Moved."))
                return redirect("person", pk=person.pk)
        status = 400
    q = (request.GET.get("q") or "").strip()[:60]
    choices = Building.objects.visible_to(user).select_related("grid").order_by("address", "name", "id")
    if q:
        choices = choices.filter(Q(name__contains=q) | Q(address__contains=q))
    elif person.grid_id:
        choices = choices.filter(grid_id=person.grid_id)
    return _person_page(request, person, _("Move"), "registry/move.html", status=status, building=building,
                        buildings=choices[:60], q=q, move_form=move_form, out_form=out_form)


def _households_in(user, houses) -> list:
    households = list(Household.objects.visible_to(user).filter(house__in=houses).select_related("house")
                      .order_by("house__unit", "house__number", "id"))
    heads = dict(Person.objects.visible_to(user).filter(pk__in=[h.head_id for h in households if h.head_id])
                 .values_list("pk", "name"))
    for household in households:
        household.head_shown = heads.get(household.head_id)
    return households


# ------------------------------------------------------------------ grid worker: visits


@login_required
@require_http_methods(["GET", "POST"])
def visit_new(request, pk):
    """入户走访: notes, photos from the camera, and where the phone says it is (checked against the grid)."""
    user = request.user
    person = _person_to_change(user, pk, "registry.visit")
    return _person_form_page(request, person, forms.VisitForm(*posted(request, files=True)),
                             lambda data: _record_visit(user, person, data), "notes",
                             lambda visit: _visit_recorded(request, visit), _("Log a visit"), "registry/visit_new.html")


def _record_visit(user, person, data):
    lng, lat = data.get("lng"), data.get("lat")
    if lng is None or lat is None:
        lng = lat = None
    return services.do_record_visit(user, person, visited_at=data.get("visited_at"), lng=lng, lat=lat,
                                    crs=data.get("crs") or "wgs84", notes=data.get("notes") or "",
                                    photos=data.get("photos") or [])


def _visit_recorded(request, visit):
    if visit.in_grid is False:
        messages.warning(request, _("Visit recorded. The position was outside the person's grid."))
    else:
        messages.success(request, _("Visit recorded."))


@login_required
@require_GET
def visits_due(request):
    """待走访: people whose tags make a visit due within a week, overdue first."""
    user = request.user
    _require(user, "registry.edit")
    area = _area_param(request, user)
    page = _page(request, due_visits(user, area), ("due_on", "name", "pk"), count_limit=COUNT_LIMIT)
    today = timezone.localdate()
    for person in page.object_list:
        person.days_overdue = (today - person.due_on).days if person.due_on else 0
    context = _base(request, page=page, today=today, area=area, picker=area_picker(user, area),
                    query=urlencode({"area": area.code}) if area else "")
    return render(request, "registry/visits_due.html", context)


# ------------------------------------------------------------------ import and export (desk)


IMPORT_SESSION_KEY = "registry_imports"
IMPORT_KEEP_SECONDS = 24 * 3600


def _import_dir() -> Path:
    folder = Path(settings.VAR_DIR) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _stash(request, upload) -> str:
    """Keep an uploaded file between the preview and the commit, owned by this session."""
    folder = _import_dir()
    cutoff = time.time() - IMPORT_KEEP_SECONDS
    for old in folder.iterdir():
        if old.is_file() and old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    token = secrets.token_urlsafe(16)
    data = upload.read()
    (folder / token).write_bytes(data)
    stash = request.session.get(IMPORT_SESSION_KEY, {})
    stash[token] = {"name": Path(upload.name).name[:120], "sha256": hashlib.sha256(data).hexdigest(),
                    "user": request.user.pk}
    request.session[IMPORT_SESSION_KEY] = stash
    return token


def _stashed(request, token) -> tuple[str, bytes]:
    entry = request.session.get(IMPORT_SESSION_KEY, {}).get(token)
    path = _import_dir() / token
    if not entry or entry.get("user") != request.user.pk or not token.replace("-", "").replace("_", "").isalnum() \
            or not path.is_file():
        raise Http404
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != entry["sha256"]:
        raise Http404
    return entry["name"], data


def _unstash(request, token):
    stash = request.session.get(IMPORT_SESSION_KEY, {})
    stash.pop(token, None)
    request.session[IMPORT_SESSION_KEY] = stash
    (_import_dir() / token).unlink(missing_ok=True)


def _read(filename: str, data: bytes) -> tuple[list, list]:
    """(rows, errors) of a stashed file, as preview_import and do_import_people take them."""
    from wangge.registry.importing import read_people_file

    return read_people_file(data, filename)


SHOWN_ERRORS = 500


def _import_context(request, **extra) -> dict:
    return _base(request, trail=[(_("Import people"), None)], shown_errors=SHOWN_ERRORS, **extra)


@login_required
@require_http_methods(["GET", "POST"])
def people_import(request):
    """导入 step 1 and 2: upload a file, get the dry run (counts and every row error)."""
    from wangge.registry.importing import preview_import

    _require(request.user, "registry.import")
    if request.method == "POST":
        form = forms.ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            token = _stash(request, upload)
            filename, data = _stashed(request, token)
            result = preview_import(request.user, *_read(filename, data))
            if result.errors:
                status = 400
            else:
                status = 200
            return render(request, "registry/import.html",
                          _import_context(request, form=forms.ImportForm(), token=token, filename=filename,
                                          result=result, step="preview"), status=status)
        return render(request, "registry/import.html", _import_context(request, form=form, step="upload"),
                      status=400)
    return render(request, "registry/import.html", _import_context(request, form=forms.ImportForm(), step="upload"))


@login_required
@require_POST
def people_import_commit(request, token):
    """导入 step 3: write it all, or nothing (do_import_people); the result, or the report again."""
    from wangge.core.importing import ImportRejected

    _require(request.user, "registry.import")
    filename, data = _stashed(request, token)
    try:
        result = services.do_import_people(request.user, *_read(filename, data))
    except ImportRejected as exc:
        from wangge.registry.importing import PeopleImportResult

        result = PeopleImportResult(errors=exc.errors)
        return render(request, "registry/import.html",
                      _import_context(request, form=forms.ImportForm(), token=token, filename=filename,
                                      result=result, step="preview"), status=400)
    except OperationError as exc:
        raise PermissionDenied(exc.message)
    _unstash(request, token)
    return render(request, "registry/import.html",
                  _import_context(request, form=forms.ImportForm(), filename=filename, result=result, step="done"))


@login_required
@require_GET
def people_import_errors(request, token):
    """The error report of an uploaded file as .xlsx (行号, 列, 原因)."""
    from wangge.registry.importing import error_report_xlsx, preview_import

    _require(request.user, "registry.import")
    filename, data = _stashed(request, token)
    result = preview_import(request.user, *_read(filename, data))
    response = HttpResponse(error_report_xlsx(result.errors), content_type=XLSX)
    response["Content-Disposition"] = _attachment(f"{Path(filename).stem}-错误报告.xlsx")
    return response


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _attachment(filename: str) -> str:
    from urllib.parse import quote

    return f"attachment; filename=\"{quote(filename.encode('ascii', 'ignore').decode() or 'file')}\"; " \
           f"filename*=UTF-8''{quote(filename)}"


@login_required
@require_GET
def people_import_template(request):
    from wangge.registry.importing import template_csv, template_xlsx

    _require(request.user, "registry.import")
    if request.GET.get("format") == "csv":
        response = HttpResponse(template_csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = _attachment("实有人口导入模板.csv")
    else:
        response = HttpResponse(template_xlsx(), content_type=XLSX)
        response["Content-Disposition"] = _attachment("实有人口导入模板.xlsx")
    return response


@login_required
@require_POST
def people_export(request):
    """导出: the people the user may see, masked; unmasked only for an administrator with a reason (logged)."""
    from wangge.registry.exporting import export_people

    user = request.user
    _require(user, "registry.export")
    form = forms.ExportForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            export = export_people(user, data["format"], unmasked=data["unmasked"], reason=data["reason"])
        except OperationError as exc:
            form.add_error("reason" if exc.field == "reason" else None, exc.message)
        else:
            response = StreamingHttpResponse(export.chunks, content_type=export.content_type)
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
            masked = "" if data["unmasked"] else "-脱敏"
            response["Content-Disposition"] = _attachment(f"实有人口-{stamp}{masked}.{data['format']}")
            response["Cache-Control"] = "no-store"
            return response
    chosen, found = _people_filters(request, user)
    people = _people(user)
    context = _base(request, page=_page(request, people, ("name", "id")), chosen=chosen, tags=found["tags"],
                    picker=area_picker(user, None), kinds=PersonKind.choices, query="", area_query="",
                    export_form=form, export_open=True)
    return render(request, "registry/people.html", context, status=400)


# ------------------------------------------------------------------ organisations and places


def _visible_grids(user):
    return list(Region.objects.visible_to(user).filter(level=Level.GRID).order_by("code").only("code", "name")[:2000])


def _kind_and_q(request, choices) -> tuple[str, str]:
    kind = request.GET.get("kind") or ""
    kind = kind if kind in dict(choices) else ""
    return kind, (request.GET.get("q") or "").strip()[:60]


def _located_list(request, model, kinds, template, title):
    """A list of organisations or places in the user's area: an area (the one map's figures open it so), a kind
    filter and a search by name."""
    user = request.user
    _require(user, "registry.view")
    kind, q = _kind_and_q(request, kinds)
    area = _area_param(request, user)
    records = _in_area(model.objects.visible_to(user).select_related("grid"), area)
    if kind:
        records = records.filter(kind=kind)
    if q:
        records = records.filter(name__contains=q)
    page = _page(request, records, ("name", "id"))
    chosen = (("area", area.code if area else ""), ("kind", kind), ("q", q))
    query = urlencode({k: v for k, v in chosen if v})
    area_query = urlencode({k: v for k, v in chosen if v and k != "area"})
    return render(request, template, _base(request, page=page, kind=kind, q=q, kinds=kinds, query=query,
                                           title=title, picker=area_picker(user, area), area_query=area_query))


def _located_new(request, form_class, create, template, title, list_url, detail_url):
    """Create an organisation or a place: located by the phone's position or a chosen grid."""
    user = request.user
    _require(user, "registry.edit")
    grids = _visible_grids(user)
    initial = {"grid": grids[0].code} if len(grids) == 1 and request.method != "POST" else {}
    form = form_class(*posted(request), grids=grids, initial=initial)

    def saved(record):
        messages.success(request, _("Saved."))
        return redirect(detail_url, pk=record.pk)

    return form_page(request, form, lambda data: create(user, form), saved,
                     lambda status: render(request, template, _base(
                         request, form=form, title=title, list_url=reverse(list_url),
                         trail=[(title, reverse(list_url)), (_("Add"), None)]), status=status), "grid")


@login_required
@require_GET
def organisation_list(request):
    """组织: non-public economic and social organisations in the user's area."""
    return _located_list(request, Organisation, OrganisationKind.choices, "registry/organisations.html",
                         _("Organisations"))


@login_required
@require_GET
def organisation_page(request, pk):
    return _located_page(request, Organisation, pk, _("Organisations"), "organisations", "registry/organisation.html")


def _located_page(request, model, pk, list_title, list_url_name, template):
    """The page of one organisation or place: the record under its area trail."""
    user = request.user
    record = get_visible_or_404(model.objects.select_related("grid"), user, pk=pk)
    context = _base(request, record=record, **_trail(user, record.grid, (list_title, reverse(list_url_name)),
                                                     (record.name, None)))
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def organisation_new(request):
    def create(user, form):
        data = form.cleaned_data
        return services.do_create_organisation(
            user, name=data["name"], uscc=data["uscc"], kind=data["kind"], address=data["address"].strip(),
            legal_person=(data.get("legal_person") or "").strip(), staff_count=data.get("staff_count"),
            **form.location())

    return _located_new(request, forms.OrganisationForm, create, "registry/located_new.html",
                        _("Organisations"), "organisations", "organisation")


@login_required
@require_GET
def place_list(request):
    """重点场所: schools, hospitals, markets, stations, hotels, venues, religious sites…"""
    return _located_list(request, Place, PlaceKind.choices, "registry/places.html", _("Key places"))


@login_required
@require_GET
def place_page(request, pk):
    return _located_page(request, Place, pk, _("Key places"), "places", "registry/place.html")


@login_required
@require_http_methods(["GET", "POST"])
def place_new(request):
    def create(user, form):
        data = form.cleaned_data
        return services.do_create_place(user, name=data["name"], kind=data["kind"], address=data["address"].strip(),
                                        contact_name=(data.get("contact_name") or "").strip(), **form.location())

    return _located_new(request, forms.PlaceForm, create, "registry/located_new.html", _("Key places"),
                        "places", "place")


# ------------------------------------------------------------------ vehicles


@login_required
@require_GET
def vehicle_list(request):
    """车辆: plates in the user's area, searched by plate; an owner is named only if the user may see them."""
    user = request.user
    _require(user, "registry.view")
    q = (request.GET.get("q") or "").strip().upper().replace(" ", "").replace("·", "")[:12]
    vehicles = Vehicle.objects.visible_to(user).select_related("grid")
    if q:
        vehicles = vehicles.filter(plate__contains=q)
    page = _page(request, vehicles, ("plate", "id"))
    owners = dict(Person.objects.visible_to(user).filter(pk__in=[v.owner_id for v in page.object_list])
                  .values_list("pk", "name"))
    for vehicle in page.object_list:
        vehicle.owner_shown = owners.get(vehicle.owner_id)
    return render(request, "registry/vehicles.html",
                  _base(request, page=page, q=q, query=urlencode({"q": q}) if q else ""))


@login_required
@require_http_methods(["GET", "POST"])
def vehicle_new(request, pk):
    """登记车辆 from the person page: the plate is checked by do_register_vehicle."""
    user = request.user
    person = _person_to_change(user, pk)
    return _person_form_page(request, person, forms.VehicleForm(*posted(request)),
                             lambda data: services.do_register_vehicle(user, person, data["plate"]), "plate",
                             lambda _vehicle: messages.success(request, _("Vehicle registered.")),
                             _("Register a vehicle"), "registry/vehicle_new.html")


# ------------------------------------------------------------------ tags and editing a person


def _tag_choices(user):
    return list(Tag.objects.filter(group__in=visible_tag_groups(user)).order_by("group", "code"))


@login_required
@require_POST
def person_tag_add(request, pk):
    """标注: a care group (or a special group, for those who may see them) with an optional date and note."""
    user = request.user
    person = _person_to_change(user, pk, "registry.edit", "household")
    form = forms.TagForm(request.POST, tags=_tag_choices(user))
    if run_form_operation(form, lambda data: services.do_tag_person(
            user, person, data["tag_obj"], since=data.get("since"), note=(data.get("note") or "").strip()),
                          "tag") is not None:
        messages.success(request, _("Group added."))
        return redirect("person", pk=person.pk)
    return render(request, "registry/person.html", _person_context(request, person, tag_form=form), status=400)


@login_required
@require_http_methods(["GET", "POST"])
def person_tag_remove(request, pk):
    """Remove a group from a person: a page that asks to confirm, then the POST that removes it."""
    user = request.user
    person_tag = get_visible_or_404(PersonTag.objects.select_related("tag", "person"), user, pk=pk)
    person = _person_to_change(user, person_tag.person_id)
    if request.method == "POST":
        try:
            services.do_untag_person(user, person_tag)
        except OperationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Group removed."))
        return redirect("person", pk=person.pk)
    return _person_page(request, person, _("Remove a group"), "registry/tag_remove.html", person_tag=person_tag)


@login_required
@require_http_methods(["GET", "POST"])
def person_edit(request, pk):
    """修改: name, phone, ethnicity, kind through do_update_person; nothing is saved on an error.
    The phone on record is never put in the form: a new one is typed, or the old one removed."""
    user = request.user
    person = _person_to_change(user, pk)
    initial = {"name": person.name, "ethnicity": person.ethnicity, "kind": person.kind}
    form = forms.PersonEditForm(*posted(request), initial=initial)
    return _person_form_page(request, person, form, lambda data: _update_person(user, person, form.changes()), "name",
                             lambda _person: messages.success(request, _("Saved.")), _("Edit"),
                             "registry/person_edit.html", phone_masked=mask_phone(person.phone) if person.phone else "")


def _update_person(user, person, changes):
    """do_update_person; refused, the person is read again so the page shows them as stored."""
    try:
        return services.do_update_person(user, person, changes)
    except OperationError:
        person.refresh_from_db()
        raise


# ------------------------------------------------------------------ the point maps' buildings and places

MAP_POINTS_SPAN = 0.05  # degrees: a box wider or taller than this (a few kilometres) is answered with nothing
MAP_POINTS_LIMIT = 400


def _bbox(text):
    try:
        w, s, e, n = (float(v) for v in str(text or "").split(","))
    except ValueError:
        return None
    if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
        return None
    return w, s, e, n


@login_required
@require_GET
def map_points(request):
    """Buildings and places inside ?bbox=w,s,e,n (WGS-84) that the user may see, as labelled points for the
    point maps' own base layer (wangge/static/wangge/pointmap.js, zoomed in). Not public: the registry's
    readers only, in their area (`visible_to`); anyone else gets an empty list."""
    box = _bbox(request.GET.get("bbox"))
    if box is None:
        return JsonResponse({"detail": _("bbox: four numbers w,s,e,n (WGS-84), west below east, south below north")},
                            status=400)
    w, s, e, n = box
    points = []
    if e - w <= MAP_POINTS_SPAN and n - s <= MAP_POINTS_SPAN:
        inside = {"lng__gte": w, "lng__lte": e, "lat__gte": s, "lat__lte": n}
        for name, lng, lat in (Place.objects.visible_to(request.user).filter(**inside)
                               .values_list("name", "lng", "lat")[:MAP_POINTS_LIMIT]):
            points.append({"kind": "place", "label": name, "lng": lng, "lat": lat})
        for name, address, lng, lat in (Building.objects.visible_to(request.user).filter(**inside)
                                        .values_list("name", "address", "lng", "lat")[:MAP_POINTS_LIMIT]):
            points.append({"kind": "building", "label": f"{address} {name}", "lng": lng, "lat": lat})
    response = JsonResponse({"points": points}, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "private, no-cache"
    return response
