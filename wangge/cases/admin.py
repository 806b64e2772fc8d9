from django.contrib import admin

from wangge.cases.models import Case, CaseEvent, Category, MajorCategory
from wangge.core.admin import AuditedAdmin, ReadOnlyAdmin


class CategoryInline(admin.TabularInline):
    model = Category
    extra = 0
    fields = ["code", "name", "department_codes", "default_priority", "accept_within_hours",
              "handle_within_days", "urgent_handle_within_days", "active"]


@admin.register(MajorCategory)
class MajorCategoryAdmin(AuditedAdmin):
    list_display = ["code", "name", "active", "public"]
    inlines = [CategoryInline]


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    list_display = ["full_code", "name", "major", "department_codes", "default_priority", "accept_within_hours",
                    "handle_within_days", "urgent_handle_within_days", "active"]
    list_filter = ["major", "active"]
    filter_horizontal = ["departments"]


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    """Read-only: cases change only through the workflow's operations."""

    list_display = ["number", "title", "state", "category", "grid", "reported_at", "handle_by"]
    list_filter = ["state", "channel"]
    search_fields = ["number", "title"]


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "case", "actor_name", "action", "from_state", "to_state"]
