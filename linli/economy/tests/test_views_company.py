"""Company record pages: who sees what, shareholder edits all-or-nothing, board,
partners, lines and the welfare rate."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.test import Client

from linli.economy.models import BoardMember, BusinessLine, Partner, Shareholder
from linli.economy.tests.conftest import Shop
from linli.orgs.models import OrgKind
from linli.testing.factories import OrganizationFactory, UserFactory, area_chain

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def stakes(shop: Shop) -> list[tuple[str, int]]:
    return sorted(
        Shareholder.objects.filter(enterprise=shop.enterprise).values_list("name", "stake_bp")
    )


def test_outsider_gets_404(shop: Shop) -> None:
    client = client_for(UserFactory())
    assert client.get(f"/economy/{shop.enterprise.pk}/").status_code == 404
    assert client.get(f"/economy/{shop.enterprise.pk}/shareholders/").status_code == 404


def test_anonymous_is_sent_to_log_in(shop: Shop) -> None:
    response = Client().get(f"/economy/{shop.enterprise.pk}/")
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_home_with_one_enterprise_redirects_to_it(shop: Shop) -> None:
    response = client_for(shop.cashier).get("/economy/")
    assert response.status_code == 302
    assert response["Location"] == f"/economy/{shop.enterprise.pk}/"


def test_operator_sees_the_record_with_100_percent_total_but_no_forms(shop: Shop) -> None:
    response = client_for(shop.cashier).get(f"/economy/{shop.enterprise.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "测试社区股份经济合作社" in html
    assert '<td class="num" id="stake-total">100%</td>' in html
    assert f"/economy/counter/{shop.canteen.pk}/" in html
    assert f"/economy/market/{shop.enterprise.pk}/" in html
    assert "修改股东名册" not in html
    assert 'id="board-form"' not in html


def test_operator_may_not_edit_shareholders(shop: Shop) -> None:
    before = stakes(shop)
    client = client_for(shop.cashier)
    assert client.get(f"/economy/{shop.enterprise.pk}/shareholders/").status_code == 404
    response = client.post(f"/economy/{shop.enterprise.pk}/shareholders/", {})
    assert response.status_code == 403
    assert client.post(f"/economy/{shop.enterprise.pk}/rate/", {"rate": "30"}).status_code == 403
    assert stakes(shop) == before


def post_rows(shop: Shop, rows: list[tuple[str, str, str]]):  # type: ignore[no-untyped-def]
    data = {"s-TOTAL_FORMS": str(len(rows)), "s-INITIAL_FORMS": "0"}
    for i, (name, kind, stake) in enumerate(rows):
        data |= {f"s-{i}-name": name, f"s-{i}-kind": kind, f"s-{i}-stake": stake}
        data[f"s-{i}-contribution"] = "1000"
    return client_for(shop.admin).post(f"/economy/{shop.enterprise.pk}/shareholders/", data)


def test_shares_of_95_percent_are_shown_as_an_error_and_nothing_saved(shop: Shop) -> None:
    before = stakes(shop)
    response = post_rows(shop, [("社区", "community", "40"), ("甲", "partner", "55")])
    assert response.status_code == 400
    assert "股东持股比例合计须为 100%，当前合计 95%" in response.content.decode()
    assert stakes(shop) == before


def test_shares_of_105_percent_are_refused(shop: Shop) -> None:
    before = stakes(shop)
    response = post_rows(shop, [("社区", "community", "40"), ("甲", "partner", "65")])
    assert response.status_code == 400
    assert "当前合计 105%" in response.content.decode()
    assert stakes(shop) == before


def test_manager_replaces_the_shareholders(shop: Shop) -> None:
    page = client_for(shop.admin).get(f"/economy/{shop.enterprise.pk}/shareholders/")
    assert page.status_code == 200
    assert 'value="测试社区股份经济合作社"' in page.content.decode()
    response = post_rows(shop, [("社区", "community", "87.5"), ("甲", "partner", "12.5")])
    assert response.status_code == 302
    assert stakes(shop) == [("甲", 1250), ("社区", 8750)]
    assert Shareholder.objects.get(name="甲").contribution_fen == 100_000


def test_manager_adds_and_ends_a_board_member(shop: Shop) -> None:
    client = client_for(shop.admin)
    url = f"/economy/{shop.enterprise.pk}/board/"
    bad = client.post(url, {"name": "李明", "role": "chair", "term_start": "2026-01-02",
                            "term_end": "2025-01-01"})  # fmt: skip
    assert bad.status_code == 400
    assert "任期结束不能早于任期开始" in bad.content.decode()
    ok = client.post(url, {"name": "李明", "role": "chair", "term_start": "2026-01-02"})
    assert ok.status_code == 302
    seat = BoardMember.objects.get(name="李明")
    assert client.post(f"{url}{seat.pk}/end/").status_code == 302
    seat.refresh_from_db()
    assert seat.term_end is not None
    page = client.get(f"/economy/{shop.enterprise.pk}/").content.decode()
    assert "董事长" in page and "李明" in page


def test_partner_chooser_is_limited_to_the_community(shop: Shop) -> None:
    inside = OrganizationFactory(name="社区卫生服务站", kind=OrgKind.PARTNER, area=shop.community)
    elsewhere = area_chain("640106002", "另一")["community"]
    outside = OrganizationFactory(name="外区单位", kind=OrgKind.PARTNER, area=elsewhere)
    client = client_for(shop.admin)
    url = f"/economy/{shop.enterprise.pk}/partners/"
    refused = client.post(url, {"organization": outside.pk, "role": "场地"})
    assert refused.status_code == 400
    assert not Partner.objects.exists()
    assert client.post(url, {"organization": inside.pk, "role": "健康讲座"}).status_code == 302
    assert Partner.objects.get().organization == inside


def test_manager_adds_a_line_and_sets_the_rate(shop: Shop) -> None:
    client = client_for(shop.admin)
    pk = shop.enterprise.pk
    assert (
        client.post(f"/economy/{pk}/lines/", {"kind": "services", "name": "家政服务"}).status_code
        == 302
    )
    assert BusinessLine.objects.filter(enterprise=shop.enterprise, name="家政服务").exists()
    duplicate = client.post(f"/economy/{pk}/lines/", {"kind": "services", "name": "家政服务"})
    assert duplicate.status_code == 400
    low = client.post(f"/economy/{pk}/rate/", {"rate": "15"})
    assert low.status_code == 400
    assert "不得低于 20%" in low.content.decode()
    assert client.post(f"/economy/{pk}/rate/", {"rate": "25"}).status_code == 302
    shop.enterprise.refresh_from_db()
    assert shop.enterprise.welfare_rate_bp == 2500


def test_admin_lists_entries_in_yuan_read_only(shop: Shop) -> None:
    from django.utils import timezone

    from linli.economy.models import EntryCategory, EntryKind
    from linli.economy.tests.test_accounts import entry

    entry(shop, timezone.localdate(), EntryKind.COST, EntryCategory.RENT, 1250)
    client = client_for(UserFactory(is_superuser=True, is_staff=True))
    response = client.get("/admin/economy/ledgerentry/")
    assert response.status_code == 200
    assert "12.50 元" in response.content.decode()
    assert client.get("/admin/economy/ledgerentry/add/").status_code == 403


class _BrowserForm(HTMLParser):
    """What a browser posts for ``#shareholders-form``: text inputs with their value, each
    select's selected option (else its first), ticked checkboxes only."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, str] = {}
        self._select: str | None = None
        self._first: str | None = None
        self._in_template = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "template":
            self._in_template = True
        if self._in_template or ("name" not in a and tag != "option"):
            return
        if tag == "input" and (a.get("type") != "checkbox" or "checked" in a):
            self.data[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select, self._first = a["name"], None
        elif tag == "option" and self._select:
            if self._first is None:
                self._first = a.get("value", "")
                self.data[self._select] = self._first
            if "selected" in a:
                self.data[self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "template":
            self._in_template = False
        elif tag == "select":
            self._select = None


def browser_post_data(shop: Shop) -> dict[str, str]:
    page = client_for(shop.admin).get(f"/economy/{shop.enterprise.pk}/shareholders/")
    parser = _BrowserForm()
    parser.feed(page.content.decode())
    return parser.data


def test_unchanged_list_posted_by_a_browser_is_saved(shop: Shop) -> None:
    before = stakes(shop)
    data = browser_post_data(shop)
    spare = int(data["s-TOTAL_FORMS"]) - 1
    assert data[f"s-{spare}-name"] == "" and data[f"s-{spare}-stake"] == ""
    data[f"s-{spare}-kind"] = "community"  # a select without an empty choice posts a type
    response = client_for(shop.admin).post(f"/economy/{shop.enterprise.pk}/shareholders/", data)
    assert response.status_code == 302, response.content.decode()
    assert stakes(shop) == before


def test_95_percent_posted_by_a_browser_shows_only_the_total_error(shop: Shop) -> None:
    data = browser_post_data(shop)
    spare = int(data["s-TOTAL_FORMS"]) - 1
    data[f"s-{spare}-kind"] = "partner"
    data["s-0-stake"] = str(float(data["s-0-stake"]) - 5).removesuffix(".0")
    response = client_for(shop.admin).post(f"/economy/{shop.enterprise.pk}/shareholders/", data)
    html = response.content.decode()
    assert response.status_code == 400
    assert "当前合计 95%" in html
    assert "该字段是必填项" not in html and "请填写比例" not in html


def test_business_line_kind_is_shown_only_when_it_differs_from_the_name(shop: Shop) -> None:
    BusinessLine.objects.create(enterprise=shop.enterprise, kind="services", name="家政服务")
    html = client_for(shop.cashier).get(f"/economy/{shop.enterprise.pk}/").content.decode()
    lines = html[html.index('<ul id="lines">') :]
    lines = lines[: lines.index("</ul>")]
    assert "家政服务（居民服务）" in lines
    assert "共享食堂" in lines  # the canteen line registered as 共享食堂
    assert "共享食堂（共享食堂）" not in lines
