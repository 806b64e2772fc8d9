"""Maintenance views of base data. Personal numbers are never listed; edits are audited."""
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from wangge.core.admin import AuditedAdmin
from wangge.registry.due import refresh_schedules
from wangge.registry.models import Building, House, Organisation, PersonTag, Place, Tag, Vehicle


class AuditedHistoryAdmin(AuditedAdmin, SimpleHistoryAdmin):
    pass


@admin.register(Tag)
class TagAdmin(AuditedAdmin):
    list_display = ["code", "name", "group", "visit_every_days"]
    list_filter = ["group"]
    list_editable = ["visit_every_days"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "visit_every_days" in form.changed_data or "group" in form.changed_data:
            # Its holders' due dates follow the new frequency (or group).
            refresh_schedules(PersonTag.objects.filter(tag=obj).values("person_id"))


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
