"""Open311 GeoReport v2 endpoints at ``/open311/v2/`` (JSON and XML).

Public and read-only, except ``POST requests``, which needs an ``api_key`` (CSRF-exempt:
the key, not a session, authenticates it). Errors are the spec's error array.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from linli.cases.errors import CaseInputError
from linli.cases.open311 import payloads
from linli.cases.open311.keys import open311_key_check
from linli.cases.open311.parse import Open311Error, category_for, parse_query, parse_request
from linli.cases.open311.render import respond, respond_error
from linli.cases.open311.selectors import public_categories, requests_matching, requests_queryset
from linli.cases.open311.submit import open311_request_submit

View = Callable[..., HttpResponse]


def open311_endpoint(view: View) -> View:
    """Check ``jurisdiction_id`` (404 when it is not ours) and turn errors into the array."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, fmt: str, **kwargs: Any) -> HttpResponse:
        params = request.POST if request.method == "POST" else request.GET
        given = params.get("jurisdiction_id", "").strip()
        try:
            if given and given != payloads.jurisdiction():
                raise Open311Error(404, f"jurisdiction_id 不存在：{given[:60]}")
            return view(request, *args, fmt=fmt, **kwargs)
        except Open311Error as err:
            return respond_error(err.status, err.description, fmt=fmt)
        except CaseInputError as err:
            return respond_error(400, str(err), fmt=fmt)

    return wrapper


@require_GET
@open311_endpoint
def discovery(request: HttpRequest, *, fmt: str) -> HttpResponse:
    return respond(payloads.discovery(request), fmt=fmt, root="discovery")


@require_GET
@open311_endpoint
def services(request: HttpRequest, *, fmt: str) -> HttpResponse:
    data = [payloads.service(category) for category in public_categories()]
    return respond(data, fmt=fmt, root="services")


@require_GET
@open311_endpoint
def service_definition(request: HttpRequest, code: str, *, fmt: str) -> HttpResponse:
    category = category_for(code, missing_status=404)
    return respond(payloads.service_definition(category), fmt=fmt, root="service_definition")


@csrf_exempt
@require_http_methods(["GET", "POST"])
@open311_endpoint
def service_requests(request: HttpRequest, *, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _request_create(request, fmt=fmt)
    query = parse_query(request.GET, now=timezone.now())
    page = Paginator(requests_matching(query), query.page_size).get_page(query.page)
    cases = page.object_list if query.page <= page.paginator.num_pages else []
    data = [payloads.service_request(c, request, extensions=query.extensions) for c in cases]
    return respond(data, fmt=fmt, root="service_requests")


def _request_create(request: HttpRequest, *, fmt: str) -> HttpResponse:
    if open311_key_check(request.POST.get("api_key", "")) is None:
        raise Open311Error(403, "api_key 缺失或无效，无法提交（请向平台管理员申请密钥）")
    data = parse_request(request.POST, request.FILES)
    case = open311_request_submit(data=data)
    row = {
        "service_request_id": case.number,
        "service_notice": payloads.created_notice(case),
        "account_id": data.account_id or None,
    }
    return respond([row], fmt=fmt, root="service_requests", status=201)


@require_GET
@open311_endpoint
def service_request(request: HttpRequest, number: str, *, fmt: str) -> HttpResponse:
    case = requests_queryset().filter(number=number).first()
    if case is None:
        raise Open311Error(404, f"service_request_id 不存在：{number[:40]}")
    extensions = parse_query(request.GET, now=timezone.now()).extensions
    data = [payloads.service_request(case, request, extensions=extensions)]
    return respond(data, fmt=fmt, root="service_requests")


@require_GET
@open311_endpoint
def token(request: HttpRequest, token: str, *, fmt: str) -> HttpResponse:
    """Linli files synchronously: the token is the case number, so it maps to itself."""
    if not requests_queryset().filter(number=token).exists():
        raise Open311Error(404, f"token 不存在：{token[:40]}")
    return respond(
        [{"service_request_id": token, "token": token}], fmt=fmt, root="service_requests"
    )
