"""Personal-information rights and consents (linli/people/views_privacy.py)."""

from django.urls import path

from linli.people import views_privacy as views

app_name = "privacy"

urlpatterns = [
    path("me/privacy/", views.me_privacy, name="me"),
    path("people/privacy/residents/<int:pk>/", views.resident_privacy, name="resident"),
    path("people/privacy/residents/<int:pk>/export/", views.resident_export, name="export"),
    path(
        "people/privacy/residents/<int:pk>/correction/",
        views.resident_correction,
        name="correction",
    ),
    path("people/privacy/households/<int:pk>/", views.household_privacy, name="household"),
    path("people/privacy/households/<int:pk>/consent/", views.consent_create, name="consent"),
    path("people/privacy/consents/<int:pk>/withdraw/", views.consent_withdraw, name="withdraw"),
]
