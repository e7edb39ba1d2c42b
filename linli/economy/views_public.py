"""The public welfare page ``/gongyi/<community area code>/`` (namespace ``welfare``).

No log-in (the path is on the public list in settings; residents see it too). For each
social enterprise of the community: shareholders by name and per cent, the closed years
(profit, rate, allocation), the fund balance, projects with budget and spent, and every
spending line (date, project, amount, description, voucher). No personal data: who
recorded a move, diners and cashiers are never shown. An unknown code → 404.

A public page for residents: elder mode by cookie as the other public pages
(:func:`linli.cases.views_public.is_elder`, switched by the page's own mode link, which
comes back here); on a phone the tables become one block per row, so nothing scrolls
sideways.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from linli.cases.views_public import is_elder
from linli.economy.accounts import fund_report
from linli.economy.company import percent
from linli.economy.models import SocialEnterprise
from linli.eligibility.money import yuan
from linli.places.models import Area, AreaKind


@require_safe
def community(request: HttpRequest, code: str) -> HttpResponse:
    area = Area.objects.filter(code=code, kind=AreaKind.COMMUNITY).first()
    if area is None:
        raise Http404("没有找到这个社区")
    blocks = []
    for enterprise in SocialEnterprise.objects.filter(community=area).select_related(
        "organization"
    ):
        report = fund_report(enterprise)
        blocks.append(
            {
                "enterprise": enterprise,
                "holders": [
                    (s.name, s.get_kind_display(), percent(s.stake_bp))
                    for s in enterprise.shareholders.all()
                ],
                "closes": [
                    (c.year, yuan(c.profit_fen), percent(c.rate_bp), yuan(c.allocation_fen))
                    for c in report.closes
                ],
                "balance": yuan(report.balance_fen),
                "projects": [
                    (
                        p.project.name,
                        p.project.description,
                        p.project.decided_by,
                        yuan(p.project.budget_fen),
                        yuan(p.spent_fen),
                    )
                    for p in report.projects
                ],
                "spending": [
                    (
                        m.date,
                        m.project.name if m.project else "",
                        yuan(-m.amount_fen),
                        m.description,
                        m.voucher,
                    )
                    for m in report.spending
                ],
            }
        )
    return render(
        request,
        "economy/public/community.html",
        {"area": area, "blocks": blocks, "elder": is_elder(request)},
    )
