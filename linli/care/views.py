"""Care pages (being written)."""

from django.http import HttpRequest, HttpResponse


def watch_home(request: HttpRequest, pk: int = 0) -> HttpResponse:
    raise NotImplementedError


def alert_list(request: HttpRequest, pk: int = 0) -> HttpResponse:
    raise NotImplementedError


def alert_detail(request: HttpRequest, pk: int = 0) -> HttpResponse:
    raise NotImplementedError


def alert_ack(request: HttpRequest, pk: int = 0) -> HttpResponse:
    raise NotImplementedError


def alert_note(request: HttpRequest, pk: int = 0) -> HttpResponse:
    raise NotImplementedError


def alert_resolve(request: HttpRequest, pk: int = 0) -> HttpResponse:
    raise NotImplementedError


def alert_case(request: HttpRequest, pk: int = 0) -> HttpResponse:
    raise NotImplementedError


def resident_detail(request: HttpRequest, pk: int = 0) -> HttpResponse:
    raise NotImplementedError


def resident_watch(request: HttpRequest, pk: int = 0) -> HttpResponse:
    raise NotImplementedError


def resident_away(request: HttpRequest, pk: int = 0) -> HttpResponse:
    raise NotImplementedError


def away_end(request: HttpRequest, pk: int = 0) -> HttpResponse:
    raise NotImplementedError
