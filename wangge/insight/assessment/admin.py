"""Assessment in the admin: shown, never changed there (schemes, periods, scores and appeals change only through
their operations, which check the rules and write the audit rows)."""
from django.contrib import admin

from wangge.core.admin import ReadOnlyAdmin
from wangge.insight.assessment.models import Appeal, Period, Scheme, Score


@admin.register(Scheme)
class SchemeAdmin(ReadOnlyAdmin):
    list_display = ("name", "target_type", "region", "active", "version")
    list_filter = ("target_type", "active")


@admin.register(Period)
class PeriodAdmin(ReadOnlyAdmin):
    list_display = ("scheme", "start", "state", "published_at", "finalised_at")
    list_filter = ("state",)


@admin.register(Score)
class ScoreAdmin(ReadOnlyAdmin):
    list_display = ("label", "period", "total", "rating", "rank", "allowance")
    list_select_related = ("period__scheme",)


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    list_display = ("number", "score", "kind", "state", "submitted_at")
    list_filter = ("kind", "state")
