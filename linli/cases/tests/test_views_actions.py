"""Actions on the case detail page: each button calls one service; errors map to 409/403/400."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from linli.cases import services
from linli.cases.models import Case, CaseEvent, CasePhoto, CaseStatus
from linli.cases.tests.pages import building, jpeg, report
from linli.people.models import Role
from linli.testing.factories import staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(areas):  # type: ignore[no-untyped-def]
    building(areas["micro_grid"])
    return report(areas["micro_grid"])


@pytest.fixture
def dispatched(case, community_admin, assigned):  # type: ignore[no-untyped-def]
    services.case_register(case=case, actor=community_admin)
    return services.case_dispatch(case=case, actor=community_admin, handler=assigned)


def act(client, case, action, **data):  # type: ignore[no-untyped-def]
    return client.post(f"/cases/{case.number}/{action}/", data)


def status_of(case: Case) -> str:
    return Case.objects.get(pk=case.pk).status


def test_coordinator_registers_and_dispatches_from_the_detail_page(
    client, case, community_admin, assigned
) -> None:
    client.force_login(community_admin)
    html = client.get(f"/cases/{case.number}/").content.decode()
    assert 'data-action="register"' in html and 'data-action="reject"' in html
    assert 'data-action="accept"' not in html

    response = act(client, case, "register", note="属实，立案")
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.number}/"
    assert status_of(case) == CaseStatus.REGISTERED

    response = act(client, case, "dispatch", target=f"user:{assigned.pk}", note="请尽快处理")
    assert response.status_code == 302
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.status == CaseStatus.DISPATCHED and fresh.handler == assigned


def test_handler_accepts_and_reports_back_with_a_photo(client, dispatched, assigned) -> None:
    client.force_login(assigned)
    html = client.get(f"/cases/{dispatched.number}/").content.decode()
    assert 'data-action="accept"' in html
    assert 'data-action="register"' not in html

    assert act(client, dispatched, "accept").status_code == 302
    assert status_of(dispatched) == CaseStatus.IN_PROGRESS
    response = client.post(
        f"/cases/{dispatched.number}/handle/", {"note": "已关闭阀门并更换水管", "photo": jpeg()}
    )

    assert response.status_code == 302
    assert status_of(dispatched) == CaseStatus.HANDLED
    photo = CasePhoto.objects.get(case=dispatched)
    assert photo.event is not None and photo.event.action == "handle"
    page = client.get(f"/cases/{dispatched.number}/").content.decode()
    assert "已关闭阀门并更换水管" in page
    assert f"/cases/{dispatched.number}/photos/{photo.pk}/" in page


def test_witnessed_action_shows_the_witness_in_the_timeline(client, dispatched, assigned) -> None:
    client.force_login(assigned)
    act(client, dispatched, "accept")
    response = act(
        client, dispatched, "witnessed", action_text="应急小组破门进入", witness_name="民警 李强"
    )
    assert response.status_code == 302
    event = CaseEvent.objects.get(case=dispatched, action="witnessed")
    assert event.witness_name == "民警 李强"
    html = client.get(f"/cases/{dispatched.number}/").content.decode()
    assert "见证人：民警 李强" in html and "应急小组破门进入" in html


def test_pause_awaiting_the_resident_shows_on_the_page(client, dispatched, assigned) -> None:
    client.force_login(assigned)
    act(client, dispatched, "accept")
    assert act(client, dispatched, "pause", reason="住户不在家，约明天上午").status_code == 302
    html = client.get(f"/cases/{dispatched.number}/").content.decode()
    assert "已暂停计时（等待居民）" in html
    assert 'data-action="unpause"' in html and 'data-action="pause"' not in html


def test_note_from_a_grid_worker_on_an_open_case(client, case, assigned) -> None:
    client.force_login(assigned)
    response = act(client, case, "note", note="又去看了一次，水更多了")
    assert response.status_code == 302
    assert CaseEvent.objects.filter(case=case, action="note").count() == 1


def test_wrong_state_action_answers_409_with_the_reason(client, case, community_admin) -> None:
    client.force_login(community_admin)
    response = act(client, case, "close", note="结案")
    html = response.content.decode()
    assert response.status_code == 409
    assert "当前状态不能进行此操作" in html
    assert "已上报" in html  # the reason names the current state
    assert status_of(case) == CaseStatus.REPORTED


def test_action_the_user_may_not_take_answers_403(client, case, assigned) -> None:
    client.force_login(assigned)  # a micro-grid worker does not register cases
    response = act(client, case, "register")
    assert response.status_code == 403
    assert "您无权进行此操作" in response.content.decode()
    assert status_of(case) == CaseStatus.REPORTED


def test_action_on_another_areas_case_is_404(client, case, elsewhere) -> None:
    client.force_login(elsewhere)
    assert act(client, case, "note", note="看看").status_code == 404
    assert not CaseEvent.objects.filter(case=case, action="note").exists()


def test_anonymous_action_is_sent_to_log_in(client, case) -> None:
    response = act(client, case, "register")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert status_of(case) == CaseStatus.REPORTED


def test_action_needs_post(client, case, community_admin) -> None:
    client.force_login(community_admin)
    assert client.get(f"/cases/{case.number}/register/").status_code == 405


def test_reject_without_a_reason_shows_the_form_again(client, case, community_admin) -> None:
    client.force_login(community_admin)
    response = act(client, case, "reject", reason="")
    assert response.status_code == 400
    assert "请填写原因" in response.content.decode()
    assert status_of(case) == CaseStatus.REPORTED


def test_non_image_photo_on_handle_changes_nothing(client, dispatched, assigned) -> None:
    client.force_login(assigned)
    act(client, dispatched, "accept")
    fake = SimpleUploadedFile("x.png", b"<html>not a picture</html>", content_type="image/png")
    response = client.post(f"/cases/{dispatched.number}/handle/", {"note": "好了", "photo": fake})
    assert response.status_code == 400
    assert "这个文件不是图片或已损坏" in response.content.decode()
    assert status_of(dispatched) == CaseStatus.IN_PROGRESS
    assert not CasePhoto.objects.exists()


def test_dispatch_to_someone_outside_the_area_is_refused(
    client, case, community_admin, elsewhere
) -> None:
    client.force_login(community_admin)
    act(client, case, "register")
    response = act(client, case, "dispatch", target=f"user:{elsewhere.pk}")
    assert response.status_code == 400
    assert status_of(case) == CaseStatus.REGISTERED


def test_unknown_action_is_404(client, case, community_admin) -> None:
    client.force_login(community_admin)
    assert act(client, case, "explode").status_code == 404


def test_police_participant_sees_and_notes_a_case_outside_their_area(
    client, dispatched, community_admin, other_areas
) -> None:
    officer = staff_user(other_areas["community"], Role.POLICE)
    services.case_add_participant(
        case=dispatched, actor=community_admin, role="police", user=officer
    )
    client.force_login(officer)
    html = client.get(f"/cases/{dispatched.number}/").content.decode()
    assert "民警" in html and 'data-action="note"' in html
    assert 'data-action="dispatch"' not in html
    assert act(client, dispatched, "note", note="已到场").status_code == 302


def test_non_staff_participant_gets_the_photo_copy_without_exif(
    client, dispatched, community_admin, assigned
) -> None:
    from linli.testing.factories import UserFactory

    services.case_add_note(case=dispatched, actor=assigned, note="现场照片", photos=[jpeg()])
    son = UserFactory.create(is_staff=False, username="family-son")
    services.case_add_participant(case=dispatched, actor=community_admin, role="family", user=son)
    photo = CasePhoto.objects.get(case=dispatched)
    url = f"/cases/{dispatched.number}/photos/{photo.pk}/"

    client.force_login(son)
    served = b"".join(client.get(url).streaming_content)
    client.force_login(assigned)
    original = b"".join(client.get(url).streaming_content)

    assert served == photo.public_image.read()
    assert original == photo.image.open("rb").read()


def test_emergency_walk_through_the_pages(client, areas, community_admin, assigned) -> None:
    """The report's emergency, clicked through: a silent elderly man living alone; the
    property company and the emergency team open the door with a police witness."""
    from linli.cases.tests.pages import community_category
    from linli.people.models import Assignment
    from linli.testing.factories import OrganizationFactory

    place = building(areas["micro_grid"], name="12号楼")
    company = OrganizationFactory.create(
        name="红色物业", kind="property_company", area=areas["community"]
    )
    caretaker = staff_user(areas["community"], Role.PROPERTY_STAFF, first_name="物业小赵")
    Assignment.objects.filter(user=caretaker).update(organization=company)

    client.force_login(assigned)  # the micro-grid worker on patrol
    client.post(
        "/cases/new/",
        {
            "category": community_category("独居老人异常").pk,
            "building": place.pk,
            "description": "12号楼3单元独居的张大爷两天没开门，敲门无应答",
        },
    )
    case = Case.objects.get()
    client.force_login(community_admin)
    assert act(client, case, "register", note="紧急").status_code == 302
    assert act(client, case, "dispatch", target=f"org:{company.pk}").status_code == 302
    for role, extra in [("police", {"name": "民警李强"}), ("emergency_team", {"name": "应急小组"})]:
        assert act(client, case, "participant", role=role, **extra).status_code == 302
    client.force_login(caretaker)
    assert act(client, case, "accept").status_code == 302
    response = act(
        client, case, "witnessed", action_text="破门进入，发现张大爷倒地", witness_name="民警李强"
    )
    assert response.status_code == 302
    act(client, case, "note", note="120 已将张大爷送往医院")
    assert act(client, case, "handle", note="老人已送医，家属已通知").status_code == 302
    client.force_login(assigned)
    assert act(client, case, "verify", passed="1", note="已电话回访家属").status_code == 302
    client.force_login(community_admin)
    assert act(client, case, "close").status_code == 302

    assert status_of(case) == CaseStatus.CLOSED
    html = client.get(f"/cases/{case.number}/").content.decode()
    for text in ["红色物业", "民警李强", "应急小组", "见证人：民警李强", "破门进入", "已结案"]:
        assert text in html


def test_handler_returns_a_case_with_a_reason(client, dispatched, assigned) -> None:
    client.force_login(assigned)
    assert act(client, dispatched, "return", reason="不属于本网格").status_code == 302
    assert status_of(dispatched) == CaseStatus.RETURNED


def test_clock_resumes_after_a_pause(client, dispatched, assigned) -> None:
    client.force_login(assigned)
    act(client, dispatched, "pause", reason="等住户回家")
    assert act(client, dispatched, "unpause", note="住户已回家").status_code == 302
    assert Case.objects.get(pk=dispatched.pk).paused_at is None


def test_suspend_with_review_date_then_resume(client, case, community_admin) -> None:
    client.force_login(community_admin)
    act(client, case, "register")
    response = act(client, case, "suspend", reason="等待业委会决议", review_on="2026-12-31")
    assert response.status_code == 302
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.status == CaseStatus.SUSPENDED and str(fresh.suspend_review_on) == "2026-12-31"
    assert act(client, case, "resume").status_code == 302
    assert status_of(case) == CaseStatus.REGISTERED


def test_suspend_with_a_bad_date_is_refused(client, case, community_admin) -> None:
    client.force_login(community_admin)
    act(client, case, "register")
    response = act(client, case, "suspend", reason="等待", review_on="明年")
    assert response.status_code == 400
    assert "日期格式应为 2026-07-07" in response.content.decode()
    assert status_of(case) == CaseStatus.REGISTERED


def test_merge_into_another_case_by_number(client, areas, case, community_admin) -> None:
    other = report(areas["micro_grid"], description="同一处漏水")
    client.force_login(community_admin)
    assert act(client, other, "merge", into=case.number).status_code == 302
    merged = Case.objects.get(pk=other.pk)
    assert merged.status == CaseStatus.MERGED and merged.merged_into == case
    assert act(client, case, "merge", into="640106-20990101-0009").status_code == 400


def test_reopen_and_rate_a_closed_case(client, dispatched, community_admin, assigned) -> None:
    services.case_accept(case=dispatched, actor=assigned)
    services.case_handle(case=dispatched, actor=assigned, note="修好了")
    services.case_verify(case=dispatched, actor=community_admin, passed=True)
    services.case_close(case=dispatched, actor=community_admin)
    client.force_login(assigned)
    assert act(client, dispatched, "rate", satisfaction="5", comment="很快").status_code == 302
    assert Case.objects.get(pk=dispatched.pk).satisfaction == 5
    client.force_login(community_admin)
    assert act(client, dispatched, "reopen", reason="又漏了").status_code == 302
    assert status_of(dispatched) == CaseStatus.DISPATCHED
