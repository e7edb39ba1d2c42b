"""The public info screen (智慧屏) at ``/screen/<token>/`` (namespace ``kiosk``), no log-in.

* ``<token>/`` (``page``) — the full-screen page shell with the current content embedded;
  ``linli/kiosk.js`` renders the slides, rotates them every ``rotate_seconds``, shows the
  clock and polls ``content.json``;
* ``<token>/content.json`` (``content``) — :func:`linli.cockpit.screens.screen_content`,
  with ``ETag`` = its ``version`` (``If-None-Match`` → 304) and ``Cache-Control: no-cache``;
* ``<token>/sw.js`` (``sw``) — the service worker (scope ``/screen/<token>/``) that caches
  the page shell and the static files the page uses, so a reload while offline still shows
  the page; the content then comes from ``localStorage`` (kiosk.js).

An unknown token or an inactive screen is a 404 with a Chinese page (the token is the
screen's only key; nothing on it is personal data). The kiosk page may be framed by the
same site (the staff preview), never by another.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_safe

from linli.activities.views import site_url
from linli.cockpit.models import InfoScreen
from linli.cockpit.screens import active_screen, screen_content

#: How often kiosk.js asks for new content (seconds).
POLL_SECONDS = 60
#: The static files the page uses (and the service worker caches), by static path.
STATIC_FILES = ("linli/kiosk.css", "linli/kiosk.js")


def not_found(request: HttpRequest) -> HttpResponse:
    """The kiosk's own 404 page (large type, Chinese, nothing about other screens)."""
    return render(request, "cockpit/kiosk_404.html", status=404)


def kiosk_context(request: HttpRequest, screen: InfoScreen, *, preview: bool) -> dict[str, Any]:
    """What ``cockpit/kiosk.html`` needs: the screen, its content now, the URLs kiosk.js
    uses; ``preview`` (the staff preview) turns off polling, storage and the service
    worker."""
    content = screen_content(screen, lambda path: site_url(request, path))
    token = screen.token
    return {
        "screen": screen,
        "content": content,
        "preview": preview,
        "poll_seconds": POLL_SECONDS,
        "content_url": reverse("kiosk:content", args=[token]),
        "sw_url": reverse("kiosk:sw", args=[token]),
        "scope_url": reverse("kiosk:page", args=[token]),
        "storage_key": f"linli-kiosk-{token}",
    }


@require_safe
def page(request: HttpRequest, token: str) -> HttpResponse:
    """``/screen/<token>/``: the kiosk page (see the module docstring)."""
    screen = active_screen(token)
    if screen is None:
        return not_found(request)
    response = render(request, "cockpit/kiosk.html", kiosk_context(request, screen, preview=False))
    response["Cache-Control"] = "no-cache"
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response


@require_safe
def content(request: HttpRequest, token: str) -> HttpResponse:
    """``/screen/<token>/content.json``: the screen's content, ETag = ``version``."""
    screen = active_screen(token)
    if screen is None:
        return JsonResponse({"error": "没有找到这块屏幕，或它已停用"}, status=404)
    body = screen_content(screen, lambda path: site_url(request, path))
    etag = f'"{body["version"]}"'
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponse(status=304)
    else:
        response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    response["ETag"] = etag
    response["Cache-Control"] = "no-cache"
    return response


@require_safe
def service_worker(request: HttpRequest, token: str) -> HttpResponse:
    """``/screen/<token>/sw.js``: the service worker for the screen's page (its scope is the
    page's folder, which needs no ``Service-Worker-Allowed`` header)."""
    screen = active_screen(token)
    if screen is None:
        return HttpResponse("// 没有找到这块屏幕\n", status=404, content_type="text/javascript")
    context = {
        "cache_name": f"linli-kiosk-{screen.pk}",
        "page_url": reverse("kiosk:page", args=[screen.token]),
        "content_url": reverse("kiosk:content", args=[screen.token]),
        "static_urls": [static(path) for path in STATIC_FILES],
    }
    response = render(request, "cockpit/kiosk_sw.html", context, content_type="text/javascript")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = str(context["page_url"])
    return response
