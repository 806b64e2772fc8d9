"""Counts of base data under a region (人口、房屋统计) and the values of the map's layers.

Everything is counted over `visible_to(user)` querysets, so a user is only ever
told about what they may see, and a handful of aggregate queries answer for a
whole district (no per-grid or per-person loops).
"""
from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import Substr

from wangge.areas.models import Region
from wangge.core.roles import can
from wangge.registry.models import (
    Building,
    House,
    Household,
    HouseUse,
    Person,
    PersonKind,
    PersonTag,
    Tag,
    TagGroup,
)

LAYERS = ("population", "floating", "care")


def visible_tag_groups(user) -> list[str]:
    """Special groups (社区矫正、吸毒…) only for roles that need them."""
    return [TagGroup.CARE, TagGroup.SPECIAL] if can(user, "registry.view_special") else [TagGroup.CARE]


def _under(queryset, user, region: Region, path_field: str = "grid__path"):
    return queryset.visible_to(user).filter(**{f"{path_field}__startswith": region.path})


def population_counts(user, region: Region) -> dict:
    """People by kind and by tag, houses by use, rented houses and who lives in them."""
    people = _under(Person.objects, user, region)
    kinds = people.aggregate(
        total=Count("id"),
        in_rented=Count("id", filter=Q(house__use=HouseUse.RENTED)),
        **{f"kind_{kind}": Count("id", filter=Q(kind=kind)) for kind in PersonKind.values},
    )
    houses = _under(House.objects, user, region).aggregate(
        total=Count("id"), **{f"use_{use}": Count("id", filter=Q(use=use)) for use in HouseUse.values})
    tagged = dict(_under(PersonTag.objects, user, region, "person__grid__path")
                  .values_list("tag_id").annotate(n=Count("person_id", distinct=True)).order_by())
    tags = Tag.objects.filter(group__in=visible_tag_groups(user)).order_by("group", "code")
    return {
        "code": region.code,
        "name": region.name,
        "level": region.level,
        "people": kinds["total"],
        "by_kind": {kind: kinds[f"kind_{kind}"] for kind in PersonKind.values},
        "by_tag": [{"code": t.code, "name": t.name, "group": t.group, "people": tagged.get(t.pk, 0)} for t in tags],
        "households": _under(Household.objects, user, region).count(),
        "buildings": _under(Building.objects, user, region).count(),
        "houses": houses["total"],
        "houses_by_use": {use: houses[f"use_{use}"] for use in HouseUse.values},
        "rented_houses": houses[f"use_{HouseUse.RENTED}"],
        "people_in_rented_houses": kinds["in_rented"],
    }


def _layer_filter(user, layer: str):
    """Which people a map layer counts, as a filter on the people of an area (None: all of them)."""
    if layer == "population":
        return None
    if layer == "floating":
        return Q(kind=PersonKind.FLOATING)
    if layer == "care":
        return Exists(PersonTag.objects.visible_to(user).filter(person=OuterRef("pk"), tag__group=TagGroup.CARE))
    raise ValueError(f"unknown layer {layer!r}; one of {', '.join(LAYERS)}")


def population_by_child(user, region: Region, layer: str = "population") -> dict[str, int]:
    """{child region code: value} for the children of `region` the user may see (a grid has none)."""
    return layers_by_child(user, region, (layer,))[layer]


def layers_by_child(user, region: Region, layers=LAYERS) -> dict[str, dict[str, int]]:
    """{layer: {child region code: value}} for the children of `region` the user may see.

    People are grouped by the path segment that follows the region's own path,
    which is the child's code, so one GROUP BY answers for every child and every
    layer (a filtered count each): one pass over the area's people, not one per layer.
    """
    counts = {f"n_{layer}": Count("id", filter=_layer_filter(user, layer)) for layer in layers}
    people = _under(Person.objects, user, region)
    children = list(Region.objects.visible_to(user).filter(parent=region).values_list("code", flat=True))
    values = {layer: dict.fromkeys(children, 0) for layer in layers}
    start = len(region.path) + 1
    # Sibling codes normally share one length; the trailing "/" keeps a shorter code from matching a longer one.
    for length in sorted({len(code) for code in children}):
        rows = (people.annotate(child=Substr("grid__path", start, length + 1))
                .values("child").annotate(**counts).order_by())
        for row in rows:
            code = row["child"][:-1]
            if row["child"].endswith("/") and code in children:
                for layer in layers:
                    values[layer][code] += row[f"n_{layer}"]
    return values
