from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from wangge.core import audit
from wangge.core.models import ApiToken, AuditEntry, CalendarOverride, Department, User


class AuditedAdmin(admin.ModelAdmin):
    """Maintenance through the admin is an operation too: every save and delete is audited."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit.record(request.user, "admin.change" if change else "admin.add", obj,
                     fields=sorted(form.changed_data))

    def delete_model(self, request, obj):
        audit.record(request.user, "admin.delete", obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            audit.record(request.user, "admin.delete", obj)
        super().delete_queryset(request, queryset)


class ReadOnlyAdmin(admin.ModelAdmin):
    """For rows only operations write (audit entries, timelines, cases): the admin shows them, never edits."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(AuditedAdmin, DjangoUserAdmin):
    list_display = ["username", "full_name", "role", "region", "department", "is_active"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "full_name"]
    raw_id_fields = ["region", "department"]
    fieldsets = DjangoUserAdmin.fieldsets + (("网格", {"fields": ("full_name", "role", "region", "department", "phone")}),)


@admin.register(Department)
class DepartmentAdmin(AuditedAdmin):
    list_display = ["code", "name", "region"]
    search_fields = ["code", "name"]
    raw_id_fields = ["region"]


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedAdmin):
    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    raw_id_fields = ["user"]

    def has_add_permission(self, request):
        return False  # tokens are issued by `python -m wangge create_token`, which shows the key once


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Read-only: the audit log is append-only."""

    list_display = ["at", "actor_name", "operation", "object_type", "object_repr"]
    list_filter = ["operation", "object_type"]
    search_fields = ["actor_name", "object_id", "object_repr"]
    date_hierarchy = "at"


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(AuditedAdmin):
    """工作日历: days the administrator declares working or not, over the official calendar."""

    list_display = ["date", "is_workday", "note"]
    list_filter = ["is_workday"]
    search_fields = ["note"]
    date_hierarchy = "date"
