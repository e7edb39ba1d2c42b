"""Staff pages: the area tree with counts, drilling down to people."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The staff home page (area tree with counts)."""
    return render(request, "people/home.html", {})
