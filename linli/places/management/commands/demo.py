"""``linli demo``: build the four demo communities, or print the demo log-ins."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from linli.cockpit.demo import build_screens
from linli.places.demo import DEFAULT_SEED, DemoError, build_demo
from linli.places.demo.care import build_care
from linli.places.demo.cases import build_cases
from linli.places.demo.commons import build_commons
from linli.places.demo.economy import build_engagement
from linli.places.demo.reset import wipe
from linli.places.demo.services import resident_login_rows
from linli.places.demo.social import build_social
from linli.places.demo.staff import login_rows
from linli.places.demo.table import format_table
from linli.places.models import Area, AreaKind


class Command(BaseCommand):
    help = (
        "在空库中生成演示街道：超大社区、楼宇社区、村改居社区、工业集中区社区"
        "（全尺寸约 4 万居民），"
        "并创建各角色的演示账号。已有数据时拒绝执行，除非加 --reset。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scale", type=float, default=1.0, help="规模（1 = 全尺寸；0.1 = 十分之一）"
        )
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help="随机种子（相同种子生成相同数据）"
        )
        parser.add_argument(
            "--reset", action="store_true", help="先删除全部登记数据和演示账号，再重新生成"
        )
        parser.add_argument(
            "--logins-only", action="store_true", help="不生成数据，只列出数据库中的登录账号"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["logins_only"]:
            self._print_logins()
            return
        try:
            with transaction.atomic():
                if opts["reset"]:
                    deleted = wipe()
                    self.stdout.write(f"已删除原有登记数据和演示账号（{deleted} 行）。")
                counts = build_demo(scale=opts["scale"], seed=opts["seed"], log=self.stdout.write)
        except DemoError as exc:
            raise CommandError(str(exc), returncode=2) from None
        # After the commit: the care hook evaluates device events as ingestion commits them.
        counts.update(build_cases(log=self.stdout.write))
        counts.update(build_care(log=self.stdout.write))
        counts.update(build_engagement(log=self.stdout.write))
        counts.update(build_commons(log=self.stdout.write))
        counts.update(build_social(log=self.stdout.write))
        for street in Area.objects.filter(kind=AreaKind.STREET).order_by("path"):
            counts.update(build_screens(street))
        summary = "，".join(f"{LABELS.get(k, k)} {v}" for k, v in counts.items())
        self.stdout.write(self.style.SUCCESS(f"演示数据已生成：{summary}。"))
        self._print_logins()

    def _print_logins(self) -> None:
        rows = login_rows()
        if not rows:
            self.stdout.write("数据库中还没有工作人员账号；运行 linli demo 生成演示数据。")
            return
        self.stdout.write(f"登录账号（演示密码均为 {settings.DEMO_PASSWORD}）：")
        for line in format_table(["用户名", "姓名", "角色", "区域"], rows):
            self.stdout.write(line)
        residents = resident_login_rows()
        if residents:
            self.stdout.write("居民账号（/me/login/，验证码在服务器日志中显示）：")
            for line in format_table(["手机号", "姓名", "可为谁办理"], residents):
                self.stdout.write(line)


LABELS = {
    "watches": "关注独居老人",
    "device_events": "设备记录",
    "care_alerts": "关怀告警",
    "areas": "区域",
    "buildings": "楼栋",
    "facilities": "设施",
    "organizations": "单位",
    "users": "账号",
    "households": "户",
    "residents": "居民",
    "family_links": "亲属关联",
    "emergency_contacts": "紧急联系人",
    "providers": "服务商",
    "workers": "服务人员",
    "shifts": "排班",
    "service_orders": "服务订单",
    "resident_accounts": "居民账号",
    "gateways": "网关",
    "devices": "智能设备",
    "equipped_residents": "装设备的独居老人",
    "activities": "活动",
    "registrations": "活动报名",
    "needs": "企业需求",
    "policy_matches": "政策匹配",
    "parking_spaces": "共享车位",
    "parking_bookings": "停车预约",
    "topics": "居民议题",
    "ballots": "表决选票",
    "canteen_meals": "食堂售餐",
    "diner_cards": "居民卡",
    "products": "特产商品",
    "product_sales": "特产销售单",
    "cases": "网格事件",
    "info_screens": "智慧屏",
    "screen_notices": "屏幕公告",
}
