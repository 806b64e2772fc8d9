from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from wangge.core import audit
from wangge.core.models import ApiToken, AuditEntry, CalendarOverride, Department, User


class AuditedAdmin(admin.ModelAdmin):
    """Maintenance through the admin is an operation too: every save and delete is audited, inline rows
    included. Every ModelAdmin on the site is one (core/tests/test_admin_audited.py checks)."""

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

    def save_formset(self, request, form, formset, change):
        """Inline rows (a catalogue's categories, a grid's team) are recorded one by one, as in save_model."""
        for deleted in formset.deleted_forms:
            if deleted.instance.pk is not None:  # recorded before the row (and its id) is gone
                audit.record(request.user, "admin.delete", deleted.instance)
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            audit.record(request.user, "admin.add", obj)
        for obj, fields in formset.changed_objects:
            audit.record(request.user, "admin.change", obj, fields=sorted(fields))


class ReadOnlyAdmin(AuditedAdmin):
    """For records that change only through their operations (cases, their timeline, the audit log itself):
    shown in the admin, never added, changed or deleted there."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _audit_admins_registered_so_far():
    """The admins of the libraries before us in INSTALLED_APPS (auth's groups, axes' lockouts, the task
    results) get the same auditing: unlocking an account or changing a group is maintenance like any other."""
    for model, model_admin in list(admin.site._registry.items()):
        if not isinstance(model_admin, AuditedAdmin):
            admin.site.unregister(model)
            audited = type(f"Audited{type(model_admin).__name__}", (AuditedAdmin, type(model_admin)), {})
            admin.site.register(model, audited)


_audit_admins_registered_so_far()


@admin.register(User)
class UserAdmin(AuditedAdmin, DjangoUserAdmin):
    list_display = ["username", "full_name", "role", "region", "department", "is_active"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "full_name"]
    raw_id_fields = ["region", "department"]
    fieldsets = DjangoUserAdmin.fieldsets + (
        ("网格", {"fields": ("full_name", "role", "region", "department", "phone")}),
    )


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
