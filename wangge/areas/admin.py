from django.contrib import admin

from wangge.areas.models import GridTeamMember, Region
from wangge.core.admin import AuditedAdmin


class TeamInline(admin.TabularInline):
    model = GridTeamMember
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Region)
class RegionAdmin(AuditedAdmin):
    list_display = ["code", "name", "level", "households"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]
    readonly_fields = ["path", "center_lng", "center_lat", "updated_at"]
    inlines = [TeamInline]
