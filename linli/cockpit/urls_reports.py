"""URLs of the cockpit's reports part (``/cockpit/reports/``, namespace ``cockpit_reports``)."""

from django.urls import URLPattern, URLResolver, path

from linli.cockpit import views_reports

app_name = "cockpit_reports"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views_reports.report_list, name="list"),
    path("<int:pk>.pdf", views_reports.report_pdf, name="pdf"),
    path("<int:pk>.xlsx", views_reports.report_xlsx, name="xlsx"),
]
