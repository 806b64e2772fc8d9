"""Address search over our own base data (the default geocoder, areas/geocoding.py): buildings, houses, places
and organisations in the user's area, by a part of their name or address ("洗面桥西路199") or by the pinyin
initials of it ("xmq" finds 洗面桥…). Every read goes through `visible_to(user)`; a role that does not read the
registry (a department handler, a mediator) finds nothing here.

Initials are computed when asked (core/pinyin.py, kept in memory per text): on the demo district a query over
its 1,861 buildings, 142 places and 122 organisations takes a few milliseconds once the names have been seen
(docs/maps.md has the measures). Houses are found by their building's address and name with the unit and number.
"""
from django.db.models import CharField, F, Q, Value
from django.db.models.functions import Concat
from django.utils.translation import gettext as _

from wangge.areas.geocoding import Geocoder, Hit
from wangge.core.pinyin import as_initials_query, initials
from wangge.registry.models import Building, House, Organisation, Place

# How the addresses in the data write a unit ("1单元101"): the address convention of the data, not a message.
UNIT_WORD = "\u5355\u5143"
# Rows read for an initials query, per kind (the user's area; a district operator's is the largest).
INITIALS_SCAN = 50_000


class OwnDataGeocoder(Geocoder):
    def search(self, user, text, limit):
        text = " ".join(str(text or "").split())
        if not text:
            return []
        py = as_initials_query(text)
        hits: list[Hit] = []
        for finder in (_places, _organisations, _buildings):
            if len(hits) >= limit:
                break
            hits += finder(user, text, py, limit - len(hits))
        if len(hits) < limit and any(c.isdigit() for c in text):
            hits += _houses(user, text, limit - len(hits))
        return hits[:limit]


def _contains(text: str, *fields: str) -> Q:
    q = Q()
    for name in fields:
        q |= Q(**{f"{name}__icontains": text})
    return q


def _by_initials(rows, py: str, limit: int):
    """Rows (pk, name, address, ...) whose name's or address's initials contain `py`, names starting with it
    first."""
    first, then = [], []
    for row in rows:
        name_py, address_py = initials(row[1]), initials(row[2])
        if name_py.startswith(py) or address_py.startswith(py):
            first.append(row)
        elif py in name_py or py in address_py:
            then.append(row)
        if len(first) >= limit:
            break
    return (first + then)[:limit]


def _located(qs, user, text, py, limit, kind, label):
    qs = qs.visible_to(user).filter(lng__isnull=False, lat__isnull=False).select_related("grid")
    if py:
        rows = list(qs.values_list("pk", "name", "address", "lng", "lat", "grid__name")[:INITIALS_SCAN])
        found = _by_initials(rows, py, limit)
        if len(found) < limit:  # "3栋" or a number: a plain match too
            seen = {r[0] for r in found}
            found += [r for r in qs.filter(_contains(text, "name", "address"))
                      .values_list("pk", "name", "address", "lng", "lat", "grid__name")[:limit] if r[0] not in seen]
    else:
        found = list(qs.filter(_contains(text, "name", "address"))
                     .values_list("pk", "name", "address", "lng", "lat", "grid__name")[:limit])
    return [Hit(kind, label(name, address), f"{address} · {grid}" if kind != "building" else grid, lng, lat)
            for _pk, name, address, lng, lat, grid in found[:limit]]


def _places(user, text, py, limit):
    return _located(Place.objects, user, text, py, limit, "place", lambda name, address: name)


def _organisations(user, text, py, limit):
    return _located(Organisation.objects, user, text, py, limit, "organisation", lambda name, address: name)


def _buildings(user, text, py, limit):
    squeezed = text.replace(" ", "")
    qs = Building.objects.annotate(full=Concat(F("address"), F("name"), output_field=CharField()))
    if not py:
        qs = qs.filter(Q(full__icontains=squeezed) | Q(address__icontains=text))
        rows = qs.visible_to(user).filter(lng__isnull=False).select_related("grid") \
            .values_list("pk", "name", "address", "lng", "lat", "grid__name")[:limit]
        return [Hit("building", f"{address} {name}", grid, lng, lat) for _pk, name, address, lng, lat, grid in rows]
    return _located(qs, user, text, py, limit, "building", lambda name, address: f"{address} {name}")


def _houses(user, text, limit):
    """A house by its building's address and name with the unit and number: "永丰中路128号1栋1单元101"."""
    squeezed = text.replace(" ", "")
    full = Concat(F("building__address"), F("building__name"), F("unit"), Value(UNIT_WORD), F("number"),
                  output_field=CharField())
    plain = Concat(F("building__address"), F("building__name"), F("unit"), F("number"), output_field=CharField())
    rows = (House.objects.visible_to(user).filter(building__lng__isnull=False)
            .annotate(full=full, plain=plain).filter(Q(full__icontains=squeezed) | Q(plain__icontains=squeezed))
            .values_list("building__address", "building__name", "unit", "number", "building__lng", "building__lat",
                         "grid__name")
            .order_by("building_id", "unit", "number")[:limit])
    return [Hit("house", f"{address} {name} {_house_number(unit, number)}", grid, lng, lat)
            for address, name, unit, number, lng, lat, grid in rows]


def _house_number(unit, number):
    return _("Unit %(unit)s, %(number)s") % {"unit": unit, "number": number} if unit else number
