"""URLs of the social enterprise: ledger pages (namespace ``ledger``, at ``/economy/ledger/``)."""

from django.urls import path, register_converter

from linli.economy import views_ledger as views


class MonthConverter:
    """``2026-11`` in a path."""

    regex = r"\d{4}-\d{2}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(MonthConverter, "yyyymm")

app_name = "ledger"

urlpatterns = [
    path("<int:pk>/", views.month, name="month"),
    path("<int:pk>/entries/", views.entry_add, name="entry_add"),
    path("<int:pk>/<yyyymm:month>.xlsx", views.month_xlsx, name="month_xlsx"),
    path("<int:pk>/<yyyymm:month>.pdf", views.month_pdf, name="month_pdf"),
    path("<int:pk>/year/<int:year>/", views.year, name="year"),
    path("<int:pk>/year/<int:year>/close/", views.year_close, name="year_close"),
    path("<int:pk>/year/<int:year>.xlsx", views.year_xlsx, name="year_xlsx"),
    path("<int:pk>/year/<int:year>.pdf", views.year_pdf, name="year_pdf"),
    path("<int:pk>/fund/", views.fund, name="fund"),
    path("<int:pk>/fund/projects/", views.project_add, name="project_add"),
    path("<int:pk>/fund/spend/", views.fund_spend, name="fund_spend"),
]
