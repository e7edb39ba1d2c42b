"""Language choice: Chinese unless the user picked another language on purpose."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware


class ChosenLanguageMiddleware(LocaleMiddleware):
    """Like Django's ``LocaleMiddleware`` but ignores the browser's ``Accept-Language``.

    Staff on government PCs often have English-language browsers; the platform stays in
    Chinese (``LANGUAGE_CODE``) unless the language cookie, set through ``/i18n/setlang/``,
    says otherwise.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        super().__init__(get_response)

    def process_request(self, request: HttpRequest) -> None:
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        super().process_request(request)
