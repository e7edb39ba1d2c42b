"""The canteen pages with the Django test client: who may see them, the board, menus,
samples, delivery meals, the week and the exports — and bad input on every form."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from linli.economy.counter import refund, sell
from linli.economy.models import (
    Dish,
    FoodSample,
    IdentifiedBy,
    Meal,
    Menu,
    PaymentMethod,
    Sale,
    SaleChannel,
)
from linli.economy.samples import take_sample
from linli.economy.tests.conftest import Shop, at_local, menu_for, noon, years_ago
from linli.economy.tests.test_delivery import meal_order
from linli.people.models import Role
from linli.testing.factories import area_chain, staff_user

pytestmark = pytest.mark.django_db

NEXT_MONDAY = dt.date(2030, 1, 7)


def url(shop: Shop, name: str, *args: Any) -> str:
    return reverse(f"canteen:{name}", args=[shop.canteen.pk, *args])


def menu_url(shop: Shop, day: dt.date, meal: str = Meal.LUNCH, action: str = "menu") -> str:
    return url(shop, action, f"{day:%Y-%m-%d}", meal)


@pytest.fixture
def staff(client: Client, shop: Shop) -> Client:
    client.force_login(shop.cashier)
    return client


def rows(*dishes: tuple[str, str, str], **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": [d[0] for d in dishes],
        "name": [d[1] for d in dishes],
        "portion": [d[2] for d in dishes],
        "published": "on",
    }
    data.update(extra)
    return data


def test_anonymous_goes_to_log_in_and_outsider_gets_404(client: Client, shop: Shop) -> None:
    response = client.get(url(shop, "day"))
    assert response.status_code == 302
    assert "login" in response["Location"]
    other = area_chain("640106002", "别处")["community"]
    client.force_login(staff_user(other, role=Role.COMMUNITY_ADMIN))
    assert client.get(url(shop, "day")).status_code == 404
    assert client.get(menu_url(shop, NEXT_MONDAY)).status_code == 404
    assert client.get(url(shop, "day_xlsx", "2030-01-07")).status_code == 404


def test_board_shows_menus_prices_figures_and_links(staff: Client, shop: Shop) -> None:
    sell(
        shop.canteen,
        shop.lunch,
        diners=[shop.resident(birth_date=years_ago(70))],
        identified_by=IdentifiedBy.NAME,
        payment=PaymentMethod.CASH,
        cashier=shop.cashier,
        at=noon(),
    )
    page = staff.get(url(shop, "day")).content.decode()
    assert "土豆烧牛肉" in page and "150 克" in page
    assert "优惠价 8.00 元（" in page and "标准价 12.00 元" in page
    assert "8.00 元" in page  # the revenue of the one meal
    assert f"/economy/counter/{shop.canteen.pk}/" in page
    assert f"/economy/canteen/{shop.canteen.pk}/claims/" in page
    assert "未留样 8 道" in page
    assert "一荤一素标准餐：荤菜：土豆烧牛肉；素菜：清炒油麦菜" in page
    assert "任选" not in page


def _figure(page: str, label: str) -> list[str]:
    row = page.split(f'<th scope="row">{label}</th>')[1].split("</tr>")[0]
    return [cell.split(">")[1].split("<")[0] for cell in row.split("<td")[1:]]


def test_board_money_rows_add_up_with_clear_labels(staff: Client, shop: Shop) -> None:
    def sold(age: int, payment: str, ref: str = "") -> Sale:
        return sell(
            shop.canteen,
            shop.lunch,
            diners=[shop.resident(birth_date=years_ago(age))],
            identified_by=IdentifiedBy.NAME,
            payment=payment,
            payment_ref=ref,
            cashier=shop.cashier,
            at=noon(),
        )

    sold(70, PaymentMethod.CASH)
    sold(35, PaymentMethod.QR, "WX123456")
    refund(sold(71, PaymentMethod.CASH), reason="未取餐", by=shop.cashier, amount_fen=300)
    page = staff.get(url(shop, "day")).content.decode()
    assert "实收" not in page and "营业收入" not in page
    # 8 + 12 + 8 = 28 taken, 3 refunded, 25 net = cash 13 + QR 12.
    assert _figure(page, "收款（退款前）")[-1] == "28.00 元"
    assert _figure(page, "退款")[-1] == "3.00 元"
    assert _figure(page, "净收入（收款 − 退款）")[-1] == "25.00 元"
    assert _figure(page, "净收入 · 现金（已扣退款）")[-1] == "13.00 元"
    assert _figure(page, "净收入 · 扫码支付（已扣退款）")[-1] == "12.00 元"
    assert _figure(page, "各付款方式合计（= 净收入）")[-1] == "25.00 元"


def test_board_with_a_bad_date_says_so_with_400(staff: Client, shop: Shop) -> None:
    response = staff.get(url(shop, "day"), {"day": "2026-13-45"})
    assert response.status_code == 400
    assert "日期格式应为" in response.content.decode()


def test_menu_without_a_meat_dish_is_refused_with_400(staff: Client, shop: Shop) -> None:
    data = rows(("vegetable", "清炒白菜", "150 克"), ("staple", "米饭", "1 碗"))
    response = staff.post(menu_url(shop, NEXT_MONDAY), data)
    assert response.status_code == 400
    assert "一荤一素" in response.content.decode()
    assert "清炒白菜" in response.content.decode()  # what was typed is kept
    assert not Menu.objects.filter(date=NEXT_MONDAY).exists()


def test_dish_row_without_a_name_is_refused(staff: Client, shop: Shop) -> None:
    data = rows(("meat", "红烧肉", "150 克"), ("vegetable", "", "150 克"))
    response = staff.post(menu_url(shop, NEXT_MONDAY), data)
    assert response.status_code == 400
    assert "请填写菜名" in response.content.decode()
    assert not Menu.objects.filter(date=NEXT_MONDAY).exists()


def test_menu_is_saved_and_blank_rows_ignored(staff: Client, shop: Shop) -> None:
    data = rows(("meat", "红烧肉", "150 克"), ("vegetable", "清炒白菜", ""), ("soup", "", ""))
    response = staff.post(menu_url(shop, NEXT_MONDAY), data)
    assert response.status_code == 302
    menu = Menu.objects.get(date=NEXT_MONDAY, meal=Meal.LUNCH)
    assert [d.name for d in menu.dishes.all()] == ["红烧肉", "清炒白菜"]


def test_add_rows_keeps_the_typing_and_saves_nothing(staff: Client, shop: Shop) -> None:
    data = rows(("meat", "红烧肉", "150 克"), add_rows="1")
    response = staff.post(menu_url(shop, NEXT_MONDAY), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="红烧肉"' in page and 'id="name-4"' in page
    assert not Menu.objects.filter(date=NEXT_MONDAY).exists()


def test_unpublishing_a_sold_menu_is_a_409(staff: Client, shop: Shop) -> None:
    sell(
        shop.canteen,
        shop.lunch,
        walk_ins=1,
        identified_by=IdentifiedBy.WALK_IN,
        payment=PaymentMethod.CASH,
        cashier=shop.cashier,
        at=noon(),
    )
    data = rows(("meat", "土豆烧牛肉", "150 克"), ("vegetable", "清炒油麦菜", "150 克"))
    del data["published"]
    response = staff.post(menu_url(shop, shop.lunch.date), data)
    assert response.status_code == 409
    assert "不能取消公布" in response.content.decode()
    shop.lunch.refresh_from_db()
    assert shop.lunch.published


def test_copy_from_a_day_without_menu_is_refused_then_copy_works(staff: Client, shop: Shop) -> None:
    target = menu_url(shop, NEXT_MONDAY, Meal.DINNER, "menu_copy")
    response = staff.post(target, {"source_day": "2029-12-31", "source_meal": "lunch"})
    assert response.status_code == 400
    assert "没有午餐菜单" in response.content.decode()
    response = staff.post(target, {"source_day": "2030-13-01", "source_meal": "lunch"})
    assert response.status_code == 400
    source = f"{shop.lunch.date:%Y-%m-%d}"
    response = staff.post(target, {"source_day": source, "source_meal": "lunch"})
    assert response.status_code == 302
    copied = Menu.objects.get(date=NEXT_MONDAY, meal=Meal.DINNER)
    assert copied.dishes.count() == 4


def test_delete_menu_and_bad_meal_in_url(staff: Client, shop: Shop) -> None:
    assert staff.get(menu_url(shop, NEXT_MONDAY, "breakfast")).status_code == 404
    response = staff.post(menu_url(shop, shop.dinner.date, Meal.DINNER, "menu_delete"))
    assert response.status_code == 302
    assert not Menu.objects.filter(pk=shop.dinner.pk).exists()


def sample_data(dish: Dish, **fields: str) -> dict[str, str]:
    """POST data of ``dish``'s sample form on the board (fields prefixed ``d<pk>-``)."""
    return {f"d{dish.pk}-{name}": value for name, value in fields.items()}


def test_sample_of_100_grams_is_refused_on_the_board(staff: Client, shop: Shop) -> None:
    dish = shop.lunch.dishes.first()
    assert dish is not None
    response = staff.post(
        url(shop, "sample", dish.pk), sample_data(dish, weight_g="100", taken_by="王师傅")
    )
    assert response.status_code == 400
    html = response.content.decode()
    # The error is in this dish's row, next to its own weight input.
    row = html.split(f'<tr id="dish-{dish.pk}">')[1].split("</tr>")[0]
    assert f'id="id_d{dish.pk}-weight_g"' in row and "留样量不足 125 克" in row
    assert html.count("留样量不足 125 克") == 1
    assert 'value="王师傅"' in row
    assert not FoodSample.objects.exists()


def test_each_dish_sample_form_has_its_own_field_ids(staff: Client, shop: Shop) -> None:
    html = staff.get(url(shop, "day")).content.decode()
    dishes = list(shop.lunch.dishes.all()) + list(shop.dinner.dishes.all())
    assert len(dishes) > 1
    for dish in dishes:
        assert html.count(f'id="id_d{dish.pk}-weight_g"') == 1
        assert f'for="id_d{dish.pk}-weight_g"' in html
    assert 'id="id_weight_g"' not in html


def test_sample_is_recorded_and_shown(staff: Client, shop: Shop) -> None:
    dish = shop.lunch.dishes.first()
    assert dish is not None
    data = sample_data(dish, weight_g="150", taken_by="王师傅", fridge="1 号留样柜")
    assert staff.post(url(shop, "sample", dish.pk), data).status_code == 302
    assert FoodSample.objects.get().weight_g == 150
    page = staff.get(url(shop, "day")).content.decode()
    assert "已留样" in page and "1 号留样柜" in page
    response = staff.post(url(shop, "sample", dish.pk), data)
    assert response.status_code == 409


def test_sample_of_tomorrows_dish_is_refused(staff: Client, shop: Shop) -> None:
    tomorrow = Menu.objects.create(
        canteen=shop.canteen, date=timezone.localdate() + dt.timedelta(days=1), meal=Meal.LUNCH
    )
    dish = Dish.objects.create(menu=tomorrow, kind="meat", name="红烧肉")
    data = sample_data(dish, weight_g="150", taken_by="王")
    response = staff.post(url(shop, "sample", dish.pk), data)
    assert response.status_code == 400
    assert "还没有出餐" in response.content.decode()


def test_discard_too_early_is_refused_with_the_time(staff: Client, shop: Shop) -> None:
    dish = shop.lunch.dishes.first()
    assert dish is not None
    sample = take_sample(dish, weight_g=150, taken_by="王师傅")
    response = staff.post(url(shop, "sample_discard", sample.pk), {f"s{sample.pk}-by": "王师傅"})
    assert response.status_code == 400
    assert "留样须保存满 48 小时（至" in response.content.decode()
    response = staff.post(url(shop, "sample_discard", sample.pk), {f"s{sample.pk}-by": ""})
    assert response.status_code == 400
    assert "请填写销毁人" in response.content.decode()
    sample.refresh_from_db()
    assert sample.discarded_at is None


def test_discard_after_48_hours(staff: Client, shop: Shop) -> None:
    three_days_ago = noon() - dt.timedelta(days=3)
    dish = menu_for(shop.canteen, three_days_ago.date()).dishes.first()
    assert dish is not None
    sample = take_sample(dish, weight_g=150, taken_by="王师傅", at=three_days_ago)
    assert "到期待销毁" in staff.get(url(shop, "day")).content.decode()
    response = staff.post(url(shop, "sample_discard", sample.pk), {f"s{sample.pk}-by": "王师傅"})
    assert response.status_code == 302
    sample.refresh_from_db()
    assert sample.discarded_by == "王师傅"


def test_record_delivery_meals_from_the_board(staff: Client, shop: Shop) -> None:
    order = meal_order(
        shop.resident(birth_date=years_ago(75)), slot=at_local(shop.lunch.date, 11, 30)
    )
    target = menu_url(shop, shop.lunch.date, Meal.LUNCH, "delivery")
    response = staff.post(target, follow=True)
    assert "记录送餐 1 份" in response.content.decode()
    assert Sale.objects.get().order == order
    assert Sale.objects.get().channel == SaleChannel.DELIVERY
    response = staff.post(target, follow=True)
    assert "记录送餐 0 份" in response.content.decode()
    assert Sale.objects.count() == 1


def test_week_page_lists_the_dishes_monday_to_sunday(staff: Client, shop: Shop) -> None:
    page = staff.get(url(shop, "week", f"{shop.lunch.date:%Y-%m-%d}")).content.decode()
    assert page.count("土豆烧牛肉") == 2
    assert "周一" in page and "周日" in page
    assert staff.get(url(shop, "week", "not-a-date")).status_code == 404


def test_daily_exports(staff: Client, shop: Shop) -> None:
    day = f"{shop.lunch.date:%Y-%m-%d}"
    xlsx = staff.get(url(shop, "day_xlsx", day))
    assert xlsx.status_code == 200
    assert xlsx.content[:2] == b"PK"
    pdf = staff.get(url(shop, "day_pdf", day))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content[:4] == b"%PDF"
