"""Demo organisations: enterprises with valid credit codes, property companies, partners.

Credit codes follow GB 32100-2015: registration authority (``9`` industry and commerce,
``5`` civil affairs), entity type, the 6-digit region 640106, a 9-character organisation
code (GB 11714-1997, with its own check character) and the GB 32100 check character
computed by ``stdnum.cn.uscc.calc_check_digit``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from stdnum.cn import uscc

from linli.orgs.models import OrgKind
from linli.places.demo.names import NameMaker
from linli.places.demo.people import Numbers

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
REGION = "640106"

#: (industry after GB/T 4754-2017 sections, weight, words used in company names)
OFFICE_INDUSTRIES: list[tuple[str, int, list[str]]] = [
    ("信息传输、软件和信息技术服务业", 18, ["科技", "信息技术", "软件", "网络科技", "数据服务"]),
    ("租赁和商务服务业", 20, ["商务咨询", "企业管理", "人力资源", "广告", "会展服务"]),
    ("批发和零售业", 16, ["商贸", "贸易", "电子商务", "医药", "农产品"]),
    ("金融业", 6, ["投资管理", "融资担保", "保险代理"]),
    ("科学研究和技术服务业", 8, ["工程设计", "检验检测", "环保科技"]),
    ("文化、体育和娱乐业", 7, ["文化传媒", "体育发展", "影视文化"]),
    ("教育", 6, ["教育科技", "教育咨询", "职业培训"]),
    ("住宿和餐饮业", 6, ["餐饮管理", "酒店管理"]),
    ("建筑业", 7, ["建设工程", "装饰工程", "市政工程"]),
    ("房地产业", 3, ["房地产经纪", "置业"]),
    ("卫生和社会工作", 3, ["健康管理", "养老服务"]),
]
SHOP_WORDS = ["餐厅", "奶茶店", "便利店", "服装店", "理发店", "眼镜店", "药店", "书店", "面馆"]
FACTORY_WORDS = [
    ("新材料", "制造业（新材料）"),
    ("机械制造", "制造业（通用设备）"),
    ("枸杞食品", "制造业（农副食品加工）"),
    ("乳业", "制造业（食品）"),
    ("塑业", "制造业（塑料制品）"),
    ("包装", "制造业（纸制品）"),
    ("钢结构", "制造业（金属制品）"),
    ("电子科技", "制造业（电子元件）"),
    ("羊绒制品", "制造业（纺织服装）"),
    ("葡萄酒", "制造业（酒、饮料）"),
]


@dataclass(frozen=True)
class FixedOrg:
    """A named organisation of the report; ``community`` indexes ``plan.COMMUNITIES``.

    ``uscc_prefix`` is registration authority + entity type: ``91`` company, ``12`` public
    institution (机构编制 + 事业单位), ``51`` social organisation (民政 + 社会团体).
    """

    community: int
    role: str
    name: str
    kind: str
    industry: str
    employees: int
    building: str = ""
    room: str = ""
    uscc_prefix: str = "91"


FIXED_ORGS = [
    FixedOrg(
        0,
        "property",
        "银川金凤苑物业服务有限公司",
        OrgKind.PROPERTY_COMPANY,
        "房地产业",
        96,
        "3号楼",
    ),
    FixedOrg(
        0,
        "provider",
        "银川颐康居家养老服务有限公司",
        OrgKind.SERVICE_PROVIDER,
        "卫生和社会工作",
        48,
        "27号楼",
    ),
    FixedOrg(
        0,
        "housekeeping",
        "宁夏邻家好帮手家政服务有限公司",
        OrgKind.SERVICE_PROVIDER,
        "居民服务业",
        35,
    ),
    FixedOrg(
        0,
        "clinic",
        "金凤区金凤苑社区卫生服务站",
        OrgKind.CLINIC,
        "卫生和社会工作",
        14,
        "37号楼",
        uscc_prefix="12",
    ),
    FixedOrg(
        1,
        "health_check",
        "宁夏阅海健康体检中心有限公司",
        OrgKind.CLINIC,
        "卫生和社会工作",
        60,
        "阅海金融大厦A座",
        "301",
    ),
    FixedOrg(
        1,
        "property",
        "银川阅海物业服务有限公司",
        OrgKind.PROPERTY_COMPANY,
        "房地产业",
        42,
        "阅海金融大厦B座",
        "201",
    ),
    FixedOrg(
        2,
        "social_enterprise",
        "银川丰登社区服务有限公司",
        OrgKind.SOCIAL_ENTERPRISE,
        "居民服务业",
        26,
        "安置7号楼",
    ),
    FixedOrg(2, "property", "银川丰登物业服务有限公司", OrgKind.PROPERTY_COMPANY, "房地产业", 30),
    FixedOrg(2, "education", "宁夏启智教育咨询有限公司", OrgKind.PARTNER, "教育", 18),
    FixedOrg(2, "travel", "宁夏塞上行旅游服务有限公司", OrgKind.PARTNER, "租赁和商务服务业", 12),
    FixedOrg(
        2, "handicraft", "金凤区丰登手工艺协会", OrgKind.PARTNER, "社会组织", 9, uscc_prefix="51"
    ),
]
TRADE_CHARS = "金凤阅海沙湖贺兰六盘塞上朔方西夏凤城宁安丰登银鑫瑞泽恒通华联博远嘉禾启航明德"


def gb11714_check(body: str) -> str:
    """Check character of an 8-character organisation code (GB 11714-1997)."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(ch, 36) * w for ch, w in zip(body, weights, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


@dataclass
class OrgSpec:
    name: str
    kind: str
    uscc: str
    industry: str = ""
    employee_count: int | None = None
    contact_name: str = ""
    contact_phone: str = ""
    building: str = ""  # building name within the community
    room: str = ""


class OrgMaker:
    """Organisation specs with unique names and credit codes; deterministic for ``rng``."""

    def __init__(self, rng: random.Random, names: NameMaker, numbers: Numbers) -> None:
        self.rng = rng
        self.names = names
        self.numbers = numbers
        self._codes: set[str] = set()
        self._names: set[str] = set()

    def uscc(self, authority: str = "9", entity: str = "1") -> str:
        """A valid, unique 18-character code registered in Jinfeng District."""
        while True:
            # Companies registered since 2015 get organisation codes starting MA.
            if authority == "9" and self.rng.random() < 0.7:
                body = "MA7" + "".join(self.rng.choice(USCC_ALPHABET[:30]) for _ in range(5))
            else:
                body = f"{self.rng.randrange(10**8):08d}"
            org_code = body + gb11714_check(body)
            first17 = f"{authority}{entity}{REGION}{org_code}"
            if first17 not in self._codes:
                self._codes.add(first17)
                return first17 + uscc.calc_check_digit(first17)

    def org(
        self, name: str, kind: str, *, authority: str = "9", entity: str = "1", **extra: object
    ) -> OrgSpec:
        self._names.add(name)
        spec = OrgSpec(name=name, kind=kind, uscc=self.uscc(authority, entity), **extra)  # type: ignore[arg-type]
        self._contact(spec)
        return spec

    def _contact(self, spec: OrgSpec) -> None:
        sex = self.rng.choice("MF")
        spec.contact_name = self.names.full(sex, self.rng.randint(1970, 1998))
        spec.contact_phone = self.numbers.phone()

    def _unique(self, template: str) -> str:
        """``template`` with ``{trade}`` replaced by a trade name not used before."""
        while True:
            name = template.format(trade=self._trade())
            if name not in self._names:
                self._names.add(name)
                return name

    def _trade(self) -> str:
        return self.rng.choice(TRADE_CHARS) + self.rng.choice(TRADE_CHARS)

    def office_enterprises(self, count: int, rooms: list[tuple[str, str]]) -> list[OrgSpec]:
        """``count`` enterprises placed in ``rooms`` (building name, room), in that order."""
        specs = []
        industries = [i for i, _, _ in OFFICE_INDUSTRIES]
        weights = [w for _, w, _ in OFFICE_INDUSTRIES]
        words = {i: ws for i, _, ws in OFFICE_INDUSTRIES}
        for building, room in rooms[:count]:
            if "综合体" in building:
                word = self.rng.choice(SHOP_WORDS)
                name = self._unique("金凤区{trade}" + word)
                spec = OrgSpec(name, OrgKind.ENTERPRISE, self.uscc("9", "2"), "批发和零售业")
                spec.employee_count = self.rng.randint(1, 8)
            else:
                industry = self.rng.choices(industries, weights=weights)[0]
                word = self.rng.choice(words[industry])
                place = self.rng.choice(["宁夏", "宁夏", "银川"])
                name = self._unique(place + "{trade}" + word + "有限公司")
                spec = OrgSpec(name, OrgKind.ENTERPRISE, self.uscc("9", "1"), industry)
                spec.employee_count = max(1, min(400, int(self.rng.lognormvariate(2.4, 1.0))))
            spec.building, spec.room = building, room
            self._contact(spec)
            specs.append(spec)
        return specs

    def factory_enterprises(self, count: int, factories: list[str]) -> list[OrgSpec]:
        """The concrete plant first, then ``count - 1`` factories spread over ``factories``."""
        concrete = self.org(
            "银川凤城混凝土有限公司",
            OrgKind.ENTERPRISE,
            industry="制造业（水泥制品）",
            employee_count=186,
            building=factories[0],
        )
        specs = [concrete]
        for i in range(count - 1):
            word, industry = self.rng.choice(FACTORY_WORDS)
            name = self._unique("宁夏{trade}" + word + "有限公司")
            spec = OrgSpec(name, OrgKind.ENTERPRISE, self.uscc("9", "1"), industry)
            spec.employee_count = self.rng.randint(20, 320)
            spec.building = factories[1 + i % (len(factories) - 1)]
            self._contact(spec)
            specs.append(spec)
        return specs
