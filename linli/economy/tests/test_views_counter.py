"""The counter pages with the Django test client: find (card, phone, name), the receipt in
progress, the three payments, walk-ins, errors shown in place with nothing written,
double submits, refunds, permissions, and the query budget of the fast paths."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from linli.economy.counter import current_menu
from linli.economy.forms_counter import SESSION_KEY
from linli.economy.models import Canteen, CardMove, DinerCard, MealLine, Menu, Refund, Sale
from linli.economy.tests.conftest import Shop, at_local, years_ago
from linli.economy.views_counter import meal_time_note
from linli.people.models import Resident, Role
from linli.testing.factories import area_chain, staff_user

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(shop: Shop, name: str, *args: Any) -> str:
    return reverse(f"counter:{name}", args=[shop.canteen.pk, *args])


@pytest.fixture
def till(client: Client, shop: Shop) -> Client:
    client.force_login(shop.cashier)
    return client


def draft(client: Client, shop: Shop) -> dict[str, Any]:
    return dict(client.session[SESSION_KEY][str(shop.canteen.pk)])


def token(client: Client, shop: Shop) -> str:
    client.get(url(shop, "page"))
    return str(draft(client, shop)["token"])


def pay(client: Client, shop: Shop, **data: Any) -> Any:
    return client.post(url(shop, "pay"), {"token": token(client, shop), **data})


def elder(shop: Shop, **kwargs: Any) -> Resident:
    return shop.resident(name="马秀兰", birth_date=years_ago(60), phone="13912340000", **kwargs)


def card_for(shop: Shop, resident: Resident, balance_fen: int = 5000) -> DinerCard:
    return DinerCard.objects.create(
        enterprise=shop.enterprise, resident=resident, code="AB12CD34", balance_fen=balance_fen
    )


# --- finding and adding -----------------------------------------------------------------


def test_a_single_phone_match_is_added_with_price_tier_and_reason(till: Client, shop: Shop) -> None:
    ma = elder(shop)
    response = till.post(url(shop, "find"), {"q": "139 1234 0000"}, **HTMX)
    assert response.status_code == 200
    assert response["HX-Trigger"] == "counter-added"
    html = response.content.decode()
    assert "8.00 元" in html and "优惠价" in html and "年满 60 周岁（60 岁）" in html
    assert "补贴 4.00 元" in html
    assert [line["pk"] for line in draft(till, shop)["lines"]] == [ma.pk]


def test_a_card_scan_with_the_qr_prefix_adds_directly(till: Client, shop: Shop) -> None:
    ma = elder(shop)
    card_for(shop, ma)
    response = till.post(url(shop, "find"), {"q": "LINLI-CARD:ab12cd34"}, **HTMX)
    assert response["HX-Trigger"] == "counter-added"
    line = draft(till, shop)["lines"][0]
    assert (line["pk"], line["by"]) == (ma.pk, "card")
    assert "居民卡支付（马秀兰）" in response.content.decode()


def test_a_name_shows_candidates_with_masked_identity_then_a_tap_adds(
    till: Client, shop: Shop
) -> None:
    ma = elder(shop)
    shop.resident(name="马秀英", birth_date=years_ago(30))
    response = till.get(url(shop, "find"), {"q": "马秀"}, **HTMX)
    html = response.content.decode()
    assert "马秀兰" in html and "马秀英" in html
    assert ma.id_number_masked in html and "********" in ma.id_number_masked
    assert "60 岁" in html and "30 岁" in html
    assert SESSION_KEY not in till.session or not draft(till, shop)["lines"]
    response = till.post(url(shop, "add"), {"resident": ma.pk, "how": "name"}, **HTMX)
    assert response["HX-Trigger"] == "counter-added"
    assert draft(till, shop)["lines"][0]["by"] == "name"


def test_a_name_with_one_match_still_asks_to_check_identity(till: Client, shop: Shop) -> None:
    elder(shop)
    response = till.post(url(shop, "find"), {"q": "秀兰"}, **HTMX)
    assert "HX-Trigger" not in response
    assert "核对身份" in response.content.decode()
    assert draft(till, shop)["lines"] == []


def test_a_phone_half_typed_gets_a_hint_not_an_error(till: Client, shop: Shop) -> None:
    response = till.get(url(shop, "find"), {"q": "1391"}, **HTMX)
    html = response.content.decode()
    assert "请继续输入 11 位手机号" in html and "alert" not in html


def test_nothing_found_is_said_in_chinese(till: Client, shop: Shop) -> None:
    response = till.post(url(shop, "find"), {"q": "不存在的人"}, **HTMX)
    assert response.status_code == 400
    assert "没有找到“不存在的人”" in response.content.decode()


def test_a_resident_of_another_community_cannot_be_added_by_pk(till: Client, shop: Shop) -> None:
    from linli.testing.factories import ResidentFactory

    stranger = ResidentFactory(area=area_chain("640106002", name="别处")["micro_grid"])
    response = till.post(url(shop, "add"), {"resident": stranger.pk, "how": "name"}, **HTMX)
    assert response.status_code == 400
    assert draft(till, shop)["lines"] == []


def test_the_same_diner_twice_is_refused_and_the_receipt_kept(till: Client, shop: Shop) -> None:
    ma = elder(shop)
    till.post(url(shop, "find"), {"q": "13912340000"}, **HTMX)
    response = till.post(url(shop, "add"), {"resident": ma.pk, "how": "name"}, **HTMX)
    assert response.status_code == 409
    html = response.content.decode()
    assert "马秀兰 已在这张小票上" in html and 'role="alert"' in html
    assert len(draft(till, shop)["lines"]) == 1


def test_a_diner_who_already_ate_this_meal_is_refused_naming_the_receipt(
    till: Client, shop: Shop
) -> None:
    ma = elder(shop)
    till.post(url(shop, "find"), {"q": "13912340000"}, **HTMX)
    first = Sale.objects.get(pk=_sale_pk(pay(till, shop, payment="cash")))
    response = till.post(url(shop, "find"), {"q": "13912340000"}, **HTMX)
    assert response.status_code == 409
    assert f"马秀兰 本餐已购买（小票 {first.number}）" in response.content.decode()
    assert draft(till, shop)["lines"] == [] and ma.canteen_meals.count() == 1


def test_without_htmx_adding_redirects_back_to_the_counter(till: Client, shop: Shop) -> None:
    elder(shop)
    response = till.post(url(shop, "find"), {"q": "13912340000"})
    assert response.status_code == 302 and response["Location"] == url(shop, "page")
    assert "马秀兰" in till.get(url(shop, "page")).content.decode()


def test_remove_a_diner_and_a_walk_in(till: Client, shop: Shop) -> None:
    ma = elder(shop)
    till.post(url(shop, "find"), {"q": "13912340000"}, **HTMX)
    till.post(url(shop, "walk_in"), **HTMX)
    till.post(url(shop, "walk_in"), **HTMX)
    till.post(url(shop, "remove"), {"resident": ma.pk}, **HTMX)
    response = till.post(url(shop, "remove"), {"walk_in": "on"}, **HTMX)
    assert "散客 × 1" in response.content.decode()
    state = draft(till, shop)
    assert (state["lines"], state["walk_ins"]) == ([], 1)


def test_walk_ins_show_count_unit_price_and_subtotal(till: Client, shop: Shop) -> None:
    till.post(url(shop, "walk_in"), **HTMX)
    html = till.post(url(shop, "walk_in"), **HTMX).content.decode()
    assert "散客 × 2 · 每份 12.00 元 · 小计 24.00 元" in html
    assert '<span class="price-num">24.00 元</span>' in html
    assert '<strong id="total">24.00 元</strong>' in html


# --- meal times -------------------------------------------------------------------------


def test_meal_time_note_names_the_times_and_the_next_meal(shop: Shop) -> None:
    day = timezone.localdate()
    note = meal_time_note(shop.canteen, at_local(day, 7, 26))
    assert note == "现在不是供餐时间（午餐 11:00–13:30，晚餐 17:00–19:00），下一餐：午餐"
    assert meal_time_note(shop.canteen, at_local(day, 12, 0)) == ""
    assert meal_time_note(shop.canteen, at_local(day, 18, 59)) == ""
    assert meal_time_note(shop.canteen, at_local(day, 13, 30)).endswith("下一餐：晚餐")
    assert meal_time_note(shop.canteen, at_local(day, 21, 0)).endswith("下一餐：明天午餐")


def test_the_till_says_when_it_is_not_meal_time_but_still_sells(till: Client, shop: Shop) -> None:
    if timezone.localtime().time() >= dt.time(23, 58):
        pytest.skip("the test's meal times would include now")
    Canteen.objects.filter(pk=shop.canteen.pk).update(
        lunch_start=dt.time(23, 58),
        lunch_end=dt.time(23, 59),
        dinner_start=dt.time(23, 59),
        dinner_end=dt.time(23, 59, 30),
    )
    html = till.get(url(shop, "page") + "?meal=lunch").content.decode()
    note = html.split('id="meal-note"')[1].split("</p>")[0]
    assert "现在不是供餐时间（午餐 23:58–23:59，晚餐 23:59–23:59），下一餐：午餐" in note
    assert 'role="status"' in html.split('id="meal-note"')[0].rsplit("<p", 1)[1]
    assert "alert" not in html.split('id="meal-note"')[0].rsplit("<p", 1)[1]
    assert "正在供应" not in html and "售餐餐次：<strong>午餐</strong>" in html
    till.post(url(shop, "walk_in"), **HTMX)
    sale = Sale.objects.get(pk=_sale_pk(pay(till, shop, payment="cash")))
    assert sale.menu == shop.lunch
    receipt = till.get(url(shop, "sale", sale.pk)).content.decode()
    assert f'午餐 · 小票 <span class="mono">{sale.number}</span>' in receipt


def test_during_meal_time_the_till_says_what_is_served(till: Client, shop: Shop) -> None:
    Canteen.objects.filter(pk=shop.canteen.pk).update(
        lunch_start=dt.time(0, 0), lunch_end=dt.time(23, 59, 59)
    )
    html = till.get(url(shop, "page") + "?meal=lunch").content.decode()
    assert "正在供应：<strong>午餐</strong>" in html and "meal-note" not in html


# --- paying -----------------------------------------------------------------------------


def _sale_pk(response: Any) -> int:
    assert response.status_code == 302, response.content.decode()[:2000]
    return int(response["Location"].split("?")[0].rstrip("/").split("/")[-1])


def test_cash_sale_of_a_couple_and_a_walk_in_shows_the_receipt(till: Client, shop: Shop) -> None:
    ma = elder(shop)
    husband = shop.resident(name="李建国", birth_date=years_ago(30), phone="13912340001")
    till.post(url(shop, "find"), {"q": "13912340000"}, **HTMX)
    till.post(url(shop, "find"), {"q": "13912340001"}, **HTMX)
    till.post(url(shop, "walk_in"), **HTMX)
    sale = Sale.objects.get(pk=_sale_pk(pay(till, shop, payment="cash")))
    assert (sale.total_fen, sale.payment, sale.payer, sale.identified_by) == (
        800 + 1200 + 1200, "cash", ma, "phone",
    )  # fmt: skip
    assert {line.diner for line in sale.meals.all()} == {ma, husband, None}
    receipt = till.get(url(shop, "sale", sale.pk) + "?new=1").content.decode()
    for text in (sale.number, "32.00 元", "优惠价", "标准价", "散客 × 1", "现金", "打印", "下一位"):
        assert text in receipt
    assert draft(till, shop)["lines"] == [] and draft(till, shop)["walk_ins"] == 0


def test_walk_ins_alone_pay_the_list_price(till: Client, shop: Shop) -> None:
    till.post(url(shop, "walk_in"), **HTMX)
    sale = Sale.objects.get(pk=_sale_pk(pay(till, shop, payment="cash")))
    assert (sale.total_fen, sale.identified_by, sale.payer) == (1200, "walk_in", None)


def test_qr_payment_needs_a_reference_and_nothing_is_written(till: Client, shop: Shop) -> None:
    elder(shop)
    till.post(url(shop, "find"), {"q": "13912340000"}, **HTMX)
    response = pay(till, shop, payment="qr", payment_ref="")
    assert response.status_code == 400
    html = response.content.decode()
    assert "扫码支付请填写支付流水号" in html and 'role="alert"' in html
    assert not Sale.objects.exists()
    assert len(draft(till, shop)["lines"]) == 1
    sale = Sale.objects.get(
        pk=_sale_pk(pay(till, shop, payment="qr", payment_ref="4200001234567890"))
    )
    assert (sale.payment, sale.payment_ref) == ("qr", "4200001234567890")


def test_after_a_missing_qr_reference_the_focus_goes_to_the_reference(
    till: Client, shop: Shop
) -> None:
    elder(shop)
    till.post(url(shop, "find"), {"q": "13912340000"}, **HTMX)
    html = pay(till, shop, payment="qr", payment_ref="").content.decode()
    ref = html.split('id="payment_ref"')[1].split(">")[0]
    search = html.split('id="q"')[1].split(">")[0]
    assert "autofocus" in ref and 'aria-invalid="true"' in ref
    assert "autofocus" not in search
    assert "扫顾客付款码或输入流水号" in html and "placeholder" not in ref
    # Without that error the search box has the focus as before.
    html = till.get(url(shop, "page")).content.decode()
    assert "autofocus" in html.split('id="q"')[1].split(">")[0]
    assert "autofocus" not in html.split('id="payment_ref"')[1].split(">")[0]


def test_card_payment_debits_the_card_of_the_diner(till: Client, shop: Shop) -> None:
    ma = elder(shop)
    card = card_for(shop, ma, balance_fen=1000)
    till.post(url(shop, "find"), {"q": "AB12CD34"}, **HTMX)
    sale = Sale.objects.get(pk=_sale_pk(pay(till, shop, payment="card", card=card.pk)))
    card.refresh_from_db()
    assert (sale.payment, sale.card, card.balance_fen) == ("card", card, 200)
    assert CardMove.objects.get().amount_fen == -800


def test_card_payer_goes_first_even_when_added_second(till: Client, shop: Shop) -> None:
    ma = elder(shop)
    card = card_for(shop, ma, balance_fen=5000)
    shop.resident(name="李建国", birth_date=years_ago(30), phone="13912340001")
    till.post(url(shop, "find"), {"q": "13912340001"}, **HTMX)
    till.post(url(shop, "find"), {"q": "AB12CD34"}, **HTMX)
    sale = Sale.objects.get(pk=_sale_pk(pay(till, shop, payment="card", card=card.pk)))
    assert (sale.payer, sale.total_fen) == (ma, 2000)


def test_card_balance_too_low_writes_nothing(till: Client, shop: Shop) -> None:
    ma = elder(shop)
    card = card_for(shop, ma, balance_fen=500)
    till.post(url(shop, "find"), {"q": "AB12CD34"}, **HTMX)
    response = pay(till, shop, payment="card", card=card.pk)
    assert response.status_code == 400
    assert "居民卡余额 5.00 元，不足 8.00 元" in response.content.decode()
    card.refresh_from_db()
    assert card.balance_fen == 500
    assert not Sale.objects.exists() and not MealLine.objects.exists()
    assert not CardMove.objects.exists()
    assert len(draft(till, shop)["lines"]) == 1


def test_a_card_not_on_the_receipt_is_refused(till: Client, shop: Shop) -> None:
    other = card_for(shop, shop.resident(name="王五"), balance_fen=5000)
    till.post(url(shop, "walk_in"), **HTMX)
    response = pay(till, shop, payment="card", card=other.pk)
    assert response.status_code == 400
    assert "没有可用的居民卡" in response.content.decode()
    assert not Sale.objects.exists()


def test_an_empty_receipt_cannot_be_paid(till: Client, shop: Shop) -> None:
    response = pay(till, shop, payment="cash")
    assert response.status_code == 400
    assert "请至少添加一位就餐人" in response.content.decode()


def test_a_double_submit_of_the_same_receipt_makes_one_sale(till: Client, shop: Shop) -> None:
    till.post(url(shop, "walk_in"), **HTMX)
    form = {"token": token(till, shop), "payment": "cash"}
    first = till.post(url(shop, "pay"), form)
    second = till.post(url(shop, "pay"), form)
    assert Sale.objects.count() == 1
    assert first["Location"].split("?")[0] == second["Location"]
    # A stale token (an old tab) is refused, not sold.
    till.post(url(shop, "walk_in"), **HTMX)
    stale = till.post(url(shop, "pay"), {"token": "not-the-token", "payment": "cash"})
    assert stale.status_code == 409 and Sale.objects.count() == 1


def test_a_reload_keeps_the_receipt_in_progress(till: Client, shop: Shop) -> None:
    elder(shop)
    till.post(url(shop, "find"), {"q": "13912340000"}, **HTMX)
    html = till.get(url(shop, "page")).content.decode()
    assert "马秀兰" in html and "8.00 元" in html


# --- the page ---------------------------------------------------------------------------


def test_page_shows_meal_switch_and_counts_by_tier(till: Client, shop: Shop) -> None:
    elder(shop)
    till.get(url(shop, "page") + "?meal=lunch")  # sell at lunch whatever the time of day
    till.post(url(shop, "find"), {"q": "13912340000"}, **HTMX)
    till.post(url(shop, "walk_in"), **HTMX)
    pay(till, shop, payment="cash")
    html = till.get(url(shop, "page") + "?meal=lunch").content.decode()
    assert "午餐" in html and "晚餐" in html and "autofocus" in html
    assert "优惠价" in html and "散客（标价）" in html
    dinner = till.get(url(shop, "page") + "?meal=dinner")
    assert draft(till, shop)["menu"] == shop.dinner.pk
    assert 'aria-current="true">晚餐' in dinner.content.decode()


def test_an_empty_receipt_follows_the_clock_unless_the_meal_was_chosen(
    till: Client, shop: Shop
) -> None:
    from linli.economy.forms_counter import Draft

    session = till.session
    Draft(menu=shop.dinner.pk).save(session, shop.canteen.pk)  # left over, not chosen
    session.save()
    till.get(url(shop, "page"))
    served = current_menu(Canteen.objects.get(pk=shop.canteen.pk))
    assert served is not None and draft(till, shop)["menu"] == served.pk
    till.get(url(shop, "page") + "?meal=dinner")
    till.post(url(shop, "walk_in"), **HTMX)
    pay(till, shop, payment="cash")
    assert Sale.objects.get().menu == shop.dinner
    assert draft(till, shop)["menu"] == shop.dinner.pk  # the hand-chosen meal stays


def test_no_menu_today_links_to_the_menu_page(till: Client, shop: Shop) -> None:
    Menu.objects.filter(canteen=shop.canteen).update(published=False)
    html = till.get(url(shop, "page")).content.decode()
    assert "今天还没有公布菜单" in html
    assert f"/economy/canteen/{shop.canteen.pk}/menus/" in html
    response = till.post(url(shop, "walk_in"), **HTMX)
    assert response.status_code == 400


def test_outsider_gets_404_and_anonymous_goes_to_log_in(client: Client, shop: Shop) -> None:
    response = client.get(url(shop, "page"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    outsider = staff_user(
        area_chain("640106002", name="别处")["community"], role=Role.SOCIAL_ENTERPRISE_STAFF
    )
    client.force_login(outsider)
    for name in ("page", "sales"):
        assert client.get(url(shop, name)).status_code == 404
    assert client.post(url(shop, "walk_in")).status_code == 404
    assert client.post(url(shop, "pay"), {"payment": "cash"}).status_code == 404


def test_community_admin_may_work_the_counter(client: Client, shop: Shop) -> None:
    client.force_login(shop.admin)
    assert client.get(url(shop, "page")).status_code == 200


def test_search_and_add_take_a_handful_of_queries(
    till: Client, shop: Shop, django_assert_max_num_queries: Any
) -> None:
    for n in range(8):
        shop.resident(name=f"张{n}", birth_date=years_ago(50 + n))
    elder(shop)
    till.get(url(shop, "page"))
    with django_assert_max_num_queries(8):
        till.get(url(shop, "find"), {"q": "张"}, **HTMX)
    with django_assert_max_num_queries(16):
        till.post(url(shop, "find"), {"q": "13912340000"}, **HTMX)
    zhang = Resident.objects.get(name="张0")
    with django_assert_max_num_queries(16):
        till.post(url(shop, "add"), {"resident": zhang.pk, "how": "name"}, **HTMX)


# --- receipts and refunds ---------------------------------------------------------------


def _sold(till: Client, shop: Shop) -> Sale:
    elder(shop)
    till.post(url(shop, "find"), {"q": "13912340000"}, **HTMX)
    till.post(url(shop, "walk_in"), **HTMX)
    return Sale.objects.get(pk=_sale_pk(pay(till, shop, payment="cash")))


def test_todays_receipts_list_links_each_receipt(till: Client, shop: Shop) -> None:
    sale = _sold(till, shop)
    html = till.get(url(shop, "sales")).content.decode()
    assert sale.number in html and "20.00 元" in html and "马秀兰、散客 × 1" in html
    assert url(shop, "sale", sale.pk) in html


def test_receipts_list_shows_taken_refunded_and_net(till: Client, shop: Shop) -> None:
    sale = _sold(till, shop)
    till.post(url(shop, "refund", sale.pk), {"amount": "8.00", "reason": "未取餐"})
    html = till.get(url(shop, "sales")).content.decode()
    assert "实收" not in html
    assert "收款（退款前）" in html and "已退" in html and "净额" in html
    row = html.split(sale.number)[1].split("</tr>")[0]
    assert "20.00 元" in row and "8.00 元" in row and "12.00 元" in row
    assert 'id="sum-total">20.00 元' in html and 'id="sum-refunded">8.00 元' in html
    assert 'id="sum-net">12.00 元' in html
    receipt = till.get(url(shop, "sale", sale.pk)).content.decode()
    assert "已退款 8.00 元 · 净额 12.00 元" in receipt


def _walk_ins_sold(till: Client, shop: Shop, count: int) -> Sale:
    for _ in range(count):
        till.post(url(shop, "walk_in"), **HTMX)
    return Sale.objects.get(pk=_sale_pk(pay(till, shop, payment="cash")))


def test_refund_some_of_several_walk_ins(till: Client, shop: Shop) -> None:
    sale = _walk_ins_sold(till, shop, 3)
    html = till.get(url(shop, "sale", sale.pk)).content.decode()
    assert "退散客几份" in html and "本单散客 3 份（已退 0 份），每份 12.00 元" in html
    response = till.post(url(shop, "refund", sale.pk), {"walk_ins": "2", "reason": "两位没吃"})
    assert response.status_code == 302
    sale.refresh_from_db()
    assert sale.refunded_fen == 2400
    assert Refund.objects.get().amount_fen == 2400
    line = sale.meals.get()  # two of three walk-ins back: counted, the line still stands
    assert (line.refunded_quantity, line.voided) == (2, False)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"walk_ins": "4"}, "本单散客 3 份，最多还能退 3 份"),
        ({"walk_ins": "0"}, "散客份数至少 1 份"),
        ({"walk_ins": "x"}, "散客份数请填整数"),
        ({"walk_ins": "1", "amount": "2.00"}, "退散客份数时，请不要同时勾选餐或填写金额"),
    ],
)
def test_refund_of_walk_ins_refuses_bad_counts(
    till: Client, shop: Shop, data: dict[str, str], message: str
) -> None:
    sale = _walk_ins_sold(till, shop, 3)
    response = till.post(url(shop, "refund", sale.pk), {**data, "reason": "未取餐"})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Refund.objects.exists()


def test_refund_of_walk_ins_on_a_receipt_without_walk_ins_is_refused(
    till: Client, shop: Shop
) -> None:
    elder(shop)
    till.post(url(shop, "find"), {"q": "13912340000"}, **HTMX)
    sale = Sale.objects.get(pk=_sale_pk(pay(till, shop, payment="cash")))
    assert "退散客几份" not in till.get(url(shop, "sale", sale.pk)).content.decode()
    response = till.post(url(shop, "refund", sale.pk), {"walk_ins": "1", "reason": "未取餐"})
    assert response.status_code == 400
    assert "这张小票没有可退的散客餐" in response.content.decode()


def test_refund_larger_than_the_sale_shows_the_service_error(till: Client, shop: Shop) -> None:
    sale = _sold(till, shop)
    response = till.post(url(shop, "refund", sale.pk), {"amount": "20.01", "reason": "多收"})
    assert response.status_code == 400
    assert "退款 20.01 元超过这张小票可退的 20.00 元" in response.content.decode()
    sale.refresh_from_db()
    assert sale.refunded_fen == 0 and not Refund.objects.exists()


def test_refund_needs_a_reason_and_something_to_refund(till: Client, shop: Shop) -> None:
    sale = _sold(till, shop)
    response = till.post(url(shop, "refund", sale.pk), {"amount": "2.00", "reason": ""})
    assert response.status_code == 400 and "请填写退款原因" in response.content.decode()
    response = till.post(url(shop, "refund", sale.pk), {"reason": "未取餐"})
    assert response.status_code == 400
    assert "请勾选要退的餐、填写散客份数，或填写部分退款金额" in response.content.decode()
    assert not Refund.objects.exists()


def test_refund_a_meal_voids_it_and_a_partial_amount_voids_nothing(
    till: Client, shop: Shop
) -> None:
    sale = _sold(till, shop)
    meal = sale.meals.get(diner__isnull=False)
    response = till.post(url(shop, "refund", sale.pk), {"lines": [meal.pk], "reason": "未取餐"})
    assert response.status_code == 302
    meal.refresh_from_db()
    assert meal.voided
    till.post(url(shop, "refund", sale.pk), {"amount": "2.50", "reason": "少打一份汤"})
    sale.refresh_from_db()
    assert sale.refunded_fen == 800 + 250
    html = till.get(url(shop, "sale", sale.pk)).content.decode()
    assert "少打一份汤" in html and "（已退）" in html and "可退 9.50 元" in html


def test_a_receipt_of_another_canteen_is_404(till: Client, shop: Shop) -> None:
    sale = _sold(till, shop)
    other = Canteen.objects.create(
        enterprise=shop.enterprise, line=shop.canteen.line, name="另一个食堂"
    )
    assert till.get(reverse("counter:sale", args=[other.pk, sale.pk])).status_code == 404
