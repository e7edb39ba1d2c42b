"""``linli privacy check``: consents missing for device monitoring and family proxies."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

#: Rows listed per section before "…and N more".
SHOWN = 200


class Command(BaseCommand):
    help = (
        "个人信息合规检查。check：列出有在用设备但未登记（或未完全覆盖）设备监测同意的户，"
        "以及可代为办理但没有有效同意的亲属关联；--strict 时发现问题以状态码 1 退出。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["check"], help="check：检查同意记录")
        parser.add_argument("--strict", action="store_true", help="发现问题时以状态码 1 退出")

    def handle(self, *args: Any, **options: Any) -> None:
        from linli.people.privacy import family_links_without_consent, households_without_consent

        gaps = households_without_consent()
        self.stdout.write(f"有在用设备但未登记设备监测同意的户：{len(gaps)} 户")
        for household, kinds in gaps[:SHOWN]:
            self.stdout.write(f"  户 #{household.pk} {household}：{'、'.join(kinds)}")
        if len(gaps) > SHOWN:
            self.stdout.write(f"  ……另有 {len(gaps) - SHOWN} 户")
        links = list(family_links_without_consent())
        self.stdout.write(f"可代为办理但没有有效同意的亲属关联：{len(links)} 条")
        for link in links[:SHOWN]:
            state = "同意已撤回" if link.revoked_at else "未登记同意"
            self.stdout.write(
                f"  关联 #{link.pk} {link.relative.name} → {link.resident.name}（{state}）"
            )
        if len(links) > SHOWN:
            self.stdout.write(f"  ……另有 {len(links) - SHOWN} 条")
        if options["strict"] and (gaps or links):
            raise CommandError("发现缺少同意记录的户或亲属关联。")
        if not gaps and not links:
            self.stdout.write("未发现问题。")
