"""Family away-mode pages (being written)."""

from django.http import HttpRequest, HttpResponse


def away_home(request: HttpRequest, pk: int = 0) -> HttpResponse:
    raise NotImplementedError


def away_end(request: HttpRequest, pk: int = 0) -> HttpResponse:
    raise NotImplementedError
