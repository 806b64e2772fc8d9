"""Maintenance views of base data. Personal numbers are never listed; edits are audited."""
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from wangge.core.admin import AuditedAdmin
from wangge.registry.models import Building, House, Organisation, Place, Tag, Vehicle


class AuditedHistoryAdmin(AuditedAdmin, SimpleHistoryAdmin):
    pass


@admin.register(Tag)
class TagAdmin(AuditedAdmin):
    list_display = ["code", "name", "group", "visit_every_days"]
    list_filter = ["group"]
    list_editable = ["visit_every_days"]


@admin.register(Building)
class BuildingAdmin(AuditedHistoryAdmin):
    list_display = ["address", "name", "grid", "floors", "units", "has_electronic_door"]
    search_fields = ["address", "name", "grid__code"]
    raw_id_fields = ["grid", "head"]


@admin.register(House)
class HouseAdmin(AuditedHistoryAdmin):
    list_display = ["building", "unit", "number", "use", "area"]
    list_filter = ["use"]
    raw_id_fields = ["building", "grid", "owner"]


@admin.register(Organisation)
class OrganisationAdmin(AuditedHistoryAdmin):
    list_display = ["name", "uscc", "kind", "grid"]
    list_filter = ["kind"]
    search_fields = ["name", "uscc"]
    raw_id_fields = ["grid"]


@admin.register(Place)
class PlaceAdmin(AuditedHistoryAdmin):
    list_display = ["name", "kind", "grid"]
    list_filter = ["kind"]
    search_fields = ["name"]
    raw_id_fields = ["grid"]


@admin.register(Vehicle)
class VehicleAdmin(AuditedHistoryAdmin):
    list_display = ["plate", "grid"]
    search_fields = ["plate"]
    raw_id_fields = ["owner", "grid"]
