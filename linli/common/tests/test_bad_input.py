"""Input the database cannot store is a 400 with a Chinese message, never a 500."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import Client

from linli.common.security import BAD_INPUT_MESSAGE
from linli.testing.factories import staff_user


@pytest.mark.django_db
def test_a_nul_byte_in_a_query_parameter_is_refused_before_the_view(areas) -> None:
    client = Client()
    client.force_login(staff_user(areas["street"]))
    api = client.get("/api/cases/", {"status": "open\x00"})
    assert api.status_code == 400 and api.json() == {"detail": BAD_INPUT_MESSAGE}
    page = client.get("/cases/board/", {"q\x00": "x"})
    assert page.status_code == 400 and BAD_INPUT_MESSAGE in page.content.decode()
    assert client.get("/api/cases/", {"status": "open"}).status_code == 200


def test_a_data_error_raised_by_a_view_becomes_a_400() -> None:
    from django.db import DataError
    from django.test import RequestFactory

    from linli.common.security import BadInputMiddleware

    middleware = BadInputMiddleware(lambda request: HttpResponse("ok"))
    api = middleware.process_exception(
        RequestFactory().post("/api/cases/"), DataError("value out of range")
    )
    assert api is not None and api.status_code == 400
    assert middleware.process_exception(RequestFactory().get("/"), ValueError("x")) is None
