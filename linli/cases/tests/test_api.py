"""REST API of cases: scoped reads, reporting, actions, and 400/403/404/409 answers."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from linli.cases.models import Case, CaseEvent, CaseStatus
from linli.cases.tests.lifecycle import Actors, fast_passwords, report, walk_to  # noqa: F401
from linli.cases.tests.test_photos import jpeg_with_gps, upload
from linli.testing.factories import BuildingFactory

pytestmark = [pytest.mark.usefixtures("fast_passwords"), pytest.mark.django_db]
S = CaseStatus


def client_for(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


@pytest.fixture
def actors(areas):  # type: ignore[no-untyped-def]
    return Actors(areas)


def url(case: Case, action: str = "") -> str:
    return f"/api/cases/{case.number}/" + (f"{action}/" if action else "")


def test_lists_and_details_are_scoped(areas, assigned, elsewhere):  # type: ignore[no-untyped-def]
    case = report(areas["micro_grid"])
    mine = client_for(assigned).get("/api/cases/")
    assert mine.status_code == 200 and [r["number"] for r in mine.json()["results"]] == [
        case.number
    ]
    assert client_for(elsewhere).get("/api/cases/").json()["results"] == []
    assert client_for(elsewhere).get(url(case)).status_code == 404
    assert APIClient().get("/api/cases/").status_code in (401, 403)
    detail = client_for(assigned).get(url(case)).json()
    assert detail["status"] == "reported" and detail["events"][0]["action"] == "report"
    assert client_for(assigned).get("/api/cases/640106-20000101-9999/").status_code == 404


def test_report_strips_html_and_answers_201(areas, assigned):  # type: ignore[no-untyped-def]
    building = BuildingFactory.create(micro_grid=areas["micro_grid"])
    response = client_for(assigned).post(
        "/api/cases/",
        {
            "category": "SQ05",
            "description": "<script>alert(1)</script>3 楼漏水",
            "building": building.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["description"] == "alert(1)3 楼漏水" and body["category_name"] == "漏水"
    assert Case.objects.get(number=body["number"]).reporter == assigned


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"category": "XX99", "description": "漏水"}, "category"),
        ({"category": "SQ05", "description": "漏水", "lat": "abc", "lng": "106"}, "location"),
        ({"category": "SQ05", "description": "漏水", "lat": "95", "lng": "106"}, "location"),
        ({"category": "SQ05", "description": "漏水"}, "location"),
        ({"category": "SQ05", "description": "漏" * 4001}, "description"),
        ({"category": "SQ05", "description": "漏水", "building": 999999}, "building"),
        ({"category": "SQ05", "description": "漏水", "channel": "open311"}, "channel"),
    ],
    ids=["category", "lat-text", "lat-range", "no-location", "too-long", "building", "open311"],
)
def test_bad_reports_are_400_with_the_field_and_write_nothing(assigned, areas, payload, field):  # type: ignore[no-untyped-def]
    response = client_for(assigned).post("/api/cases/", payload, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["field"] == field and response.json()["detail"]
    assert not Case.objects.exists()


def test_malformed_input_is_400_not_500(areas, assigned):  # type: ignore[no-untyped-def]
    client = client_for(assigned)
    response = client.post("/api/cases/", "{not json", content_type="application/json")
    assert response.status_code == 400
    response = client.post("/api/cases/", {"description": ["a"], "building": "x"}, format="json")
    assert response.status_code == 400 and "category" in response.json()


def test_illegal_transition_is_409_with_the_reason(areas, actors):  # type: ignore[no-untyped-def]
    case = report(areas["micro_grid"])
    response = client_for(actors.dispatcher).post(url(case, "close"), {}, format="json")
    assert response.status_code == 409
    assert response.json()["detail"] == (f"事件 {case.number} 当前状态为“已上报”，不能结案")


def test_not_allowed_is_403_and_missing_reason_400(areas, actors):  # type: ignore[no-untyped-def]
    case = report(areas["micro_grid"])
    response = client_for(actors.grid_worker).post(url(case, "register"), {}, format="json")
    assert response.status_code == 403 and "无权" in response.json()["detail"]
    response = client_for(actors.dispatcher).post(url(case, "reject"), {}, format="json")
    assert response.status_code == 400 and "reason" in response.json()
    response = client_for(actors.dispatcher).post(
        url(case, "reject"), {"reason": "<b></b>"}, format="json"
    )
    assert response.status_code == 400 and response.json()["field"] == "reason"
    assert CaseEvent.objects.filter(case=case).count() == 1


def test_dispatch_accept_and_handle_with_a_photo(areas, actors):  # type: ignore[no-untyped-def]
    case = walk_to(report(areas["micro_grid"]), S.REGISTERED, actors)
    dispatcher, handler = client_for(actors.dispatcher), client_for(actors.handler)
    bad = dispatcher.post(url(case, "dispatch"), {"handler": 999999}, format="json")
    assert bad.status_code == 400 and bad.json()["field"] == "handler"
    ok = dispatcher.post(
        url(case, "dispatch"), {"handler_org": actors.org.pk, "note": "请尽快"}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["handler_org_name"] == "测试物业公司"
    assert handler.post(url(case, "accept"), {}, format="json").json()["status"] == "in_progress"
    again = client_for(actors.colleague).post(url(case, "accept"), {}, format="json")
    assert again.status_code == 409
    not_image = handler.post(
        url(case, "handle"),
        {"note": "已修", "photos": [upload(b"plain text", name="x.jpg")]},
        format="multipart",
    )
    assert not_image.status_code == 400 and not_image.json()["field"] == "photos"
    done = handler.post(
        url(case, "handle"),
        {"note": "已修复", "photos": [upload(jpeg_with_gps())]},
        format="multipart",
    )
    assert done.status_code == 200, done.content
    body = done.json()
    assert body["status"] == "handled" and len(body["photos"]) == 1
    assert "/cases/public/" in body["photos"][0]["url"]


def test_participant_witness_and_merge_through_the_api(areas, actors, elsewhere):  # type: ignore[no-untyped-def]
    case = walk_to(report(areas["micro_grid"]), S.IN_PROGRESS, actors)
    handler = client_for(actors.handler)
    added = handler.post(
        url(case, "participants"),
        {"role": "police", "user": elsewhere.pk, "phone": "13912345678"},
        format="json",
    )
    assert added.status_code == 200
    police = next(p for p in added.json()["participants"] if p["role"] == "police")
    assert police["phone"] == "139****5678"
    assert client_for(elsewhere).get(url(case)).status_code == 200
    witnessed = client_for(elsewhere).post(
        url(case, "witnessed"), {"action_text": "破门进入", "witness": elsewhere.pk}, format="json"
    )
    assert witnessed.status_code == 200
    assert witnessed.json()["events"][-1]["witness_name"] == elsewhere.get_username()
    other = report(areas["micro_grid"])
    merged = client_for(actors.dispatcher).post(
        url(other, "merge"), {"into": case.number}, format="json"
    )
    assert merged.status_code == 200 and merged.json()["merged_into"] == case.number
    missing = client_for(actors.dispatcher).post(
        url(report(areas["micro_grid"]), "merge"), {"into": "nope"}, format="json"
    )
    assert missing.status_code == 400 and missing.json()["field"] == "into"


def test_rate_after_close(areas, actors):  # type: ignore[no-untyped-def]
    case = walk_to(report(areas["micro_grid"]), S.CLOSED, actors)
    client = client_for(actors.dispatcher)
    bad = client.post(url(case, "rate"), {"satisfaction": 9}, format="json")
    assert bad.status_code == 400 and bad.json()["field"] == "satisfaction"
    ok = client.post(url(case, "rate"), {"satisfaction": 5, "comment": "满意"}, format="json")
    assert ok.status_code == 200 and ok.json()["satisfaction"] == 5


def test_list_query_count_does_not_grow_with_cases(areas, assigned, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    client = client_for(assigned)
    report(areas["micro_grid"])
    client.get("/api/cases/")  # warm caches (content types, session)
    for _ in range(5):
        report(areas["micro_grid"])
    with django_assert_max_num_queries(6):
        response = client.get("/api/cases/")
    assert len(response.json()["results"]) == 6
