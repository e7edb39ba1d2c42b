"""The resident report page (public, age-friendly), mounted at ``/report/``."""

from django.urls import URLPattern, URLResolver, path

from linli.cases import views_public

app_name = "report"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views_public.report, name="start"),
    path("elder/", views_public.elder_toggle, name="elder"),
    path("status/", views_public.lookup, name="lookup"),
    path("<str:number>/", views_public.status, name="status"),
]
