"""URL map: back office (admin), staff pages, REST API and its docs."""

from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from linli.common.metrics import metrics_view

admin.site.site_header = "邻里 · 社区治理与服务平台"
admin.site.site_title = "邻里后台"
admin.site.index_title = "后台管理"

# The API docs pages are the only ones whose vendor code needs inline styles (both) and an
# inline script plus a blob: worker (Redoc); Swagger UI's start-up script is fetched as a
# file (the "split" view). Every other page keeps the strict policy of settings.py.
SWAGGER_CSP = {"style-src": ["'unsafe-inline'"]}
REDOC_CSP = {
    "style-src": ["'unsafe-inline'"],
    "script-src": ["'unsafe-inline'"],
    "worker-src": ["blob:"],
}

urlpatterns = [
    path("accounts/", include("linli.accounts.staff_urls")),  # staff log-in (docs/accounts.md)
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("metrics", metrics_view, name="metrics"),  # Prometheus (docs/deploy.md "Monitoring")
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/docs/",
        csp_update(SWAGGER_CSP)(SpectacularSwaggerSplitView.as_view(url_name="schema")),
        name="api-docs",
    ),
    path(
        "api/redoc/",
        csp_update(REDOC_CSP)(SpectacularRedocView.as_view(url_name="schema")),
        name="api-redoc",
    ),
    path("api/", include("linli.people.api_urls")),
    path("roster/", include("linli.people.roster.urls")),
    path("cases/", include("linli.cases.urls")),
    path("report/", include("linli.cases.public_urls")),
    path("open311/v2/", include("linli.cases.open311.urls")),
    path("api/cases/", include("linli.cases.api_urls")),
    path("api/devices/", include("linli.devices.urls")),
    path("notifications/", include("linli.notify.urls")),
    path("me/", include("linli.accounts.urls")),
    path("me/", include("linli.orders.urls_resident")),
    path("me/", include("linli.care.urls_resident")),
    path("work/", include("linli.orders.urls_work")),
    path("care/", include("linli.care.urls")),
    path("orders/", include("linli.orders.urls_staff")),
    path("engagement/policies/", include("linli.engagement.urls_policies")),
    path("engagement/", include("linli.engagement.urls")),
    path("biz/policies/", include("linli.engagement.urls_biz_policies")),
    path("biz/", include("linli.engagement.urls_biz")),
    path("activities/manage/", include("linli.activities.urls_manage")),
    path("activities/", include("linli.activities.urls")),
    path("me/activities/", include("linli.activities.urls_resident")),
    path("me/needs/", include("linli.engagement.urls_resident")),
    path("governance/votes/", include("linli.governance.urls_votes")),
    path("governance/", include("linli.governance.urls")),
    path("me/topics/", include("linli.governance.urls_resident")),
    path("me/votes/", include("linli.governance.urls_votes_resident")),
    path("yishi/votes/", include("linli.governance.urls_votes_public")),
    path("yishi/", include("linli.governance.urls_public")),
    path("parking/", include("linli.sharing.urls_parking")),
    path("me/parking/", include("linli.sharing.urls_parking_resident")),
    path("api/parking/", include("linli.sharing.urls_gate")),
    path("me/venues/", include("linli.sharing.urls_venues_resident")),
    path("biz/venues/", include("linli.sharing.urls_venues_biz")),
    path("venues/manage/", include("linli.sharing.urls_venues_manage")),
    path("economy/canteen/", include("linli.economy.urls_canteen")),
    path("economy/counter/", include("linli.economy.urls_counter")),
    path("economy/market/", include("linli.economy.urls_market")),
    path("economy/ledger/", include("linli.economy.urls_ledger")),
    path("economy/", include("linli.economy.urls_company")),
    path("me/canteen/", include("linli.economy.urls_resident")),
    path("gongyi/", include("linli.economy.urls_public")),
    path("cockpit/", include("linli.cockpit.urls")),
    path("screen/", include("linli.cockpit.urls_kiosk")),
    path("", include("linli.people.urls")),
]
