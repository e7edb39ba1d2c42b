"""Family pages of proactive care (away mode), mounted at ``/me/`` beside the account pages."""

from django.urls import URLPattern, URLResolver, path

from linli.care import views_resident as views

app_name = "resident_care"

urlpatterns: list[URLPattern | URLResolver] = [
    path("away/", views.away_home, name="away"),
    path("away/<int:pk>/end/", views.away_end, name="away_end"),
]
