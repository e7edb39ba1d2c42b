from django.contrib import admin

from linli.cockpit.models import InfoScreen, ReportRun, ScreenNotice, WalkNetwork


@admin.register(InfoScreen)
class InfoScreenAdmin(admin.ModelAdmin):
    list_display = ["name", "community", "place", "is_active"]
    list_filter = ["is_active"]


@admin.register(ScreenNotice)
class ScreenNoticeAdmin(admin.ModelAdmin):
    list_display = ["title", "community", "starts_on", "ends_on"]


@admin.register(ReportRun)
class ReportRunAdmin(admin.ModelAdmin):
    list_display = ["kind", "area", "period_start", "period_end", "status", "finished_at"]
    list_filter = ["kind", "status"]
    exclude = ["pdf", "xlsx"]


@admin.register(WalkNetwork)
class WalkNetworkAdmin(admin.ModelAdmin):
    list_display = ["name", "area", "nodes", "edges"]
    exclude = ["geojson"]
