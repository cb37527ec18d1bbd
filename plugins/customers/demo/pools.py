"""The word lists demo customers are made from (see ``demo.py``): cities with their area and
administrative codes, industries, brands, names, foreign numbers.

Faker (``zh_CN`` and ``en_US``) supplies the names; the pools are built once per seed and a
row is then a handful of random choices, far cheaper than a Faker call per field.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers

from ..records import regions


def N_(message: str) -> str:
    """Mark a demo word for translation; ``localized`` translates it when the seed runs."""
    return message


def localized(words: tuple[str, ...]) -> tuple[str, ...]:
    """``words`` in the language ``crm seed`` runs in (``--language``; as written outside
    an app)."""
    from flask import has_app_context
    from flask_babel import gettext

    return tuple(gettext(word) for word in words) if has_app_context() else words


def staff_language() -> int | None:
    """Which ``RECORD_TEXT`` the company's staff write their contact records in: the seed's
    language (0 Chinese, 1 English); None outside an app (benchmark files), where each
    customer's records follow the customer."""
    from flask import has_app_context
    from flask_babel import get_locale

    if not has_app_context():
        return None
    return 0 if str(get_locale() or "zh_CN").startswith("zh") else 1


# (province, city, area code, 6-digit administrative code of a district there, weight): the
# capital of every mainland province plus the big commercial cities, weighted roughly by
# how many companies they have. Names as in ``regions.PROVINCES``.
CITIES: tuple[tuple[str, str, str, str, float], ...] = (
    ("北京市", "北京市", "010", "110105", 12), ("上海市", "上海市", "021", "310115", 12),
    ("天津市", "天津市", "022", "120101", 4), ("重庆市", "重庆市", "023", "500103", 4),
    ("广东省", "广州市", "020", "440103", 8), ("广东省", "深圳市", "0755", "440305", 9),
    ("广东省", "东莞市", "0769", "441900", 3), ("广东省", "佛山市", "0757", "440604", 2),
    ("浙江省", "杭州市", "0571", "330106", 6), ("浙江省", "宁波市", "0574", "330203", 3),
    ("浙江省", "温州市", "0577", "330302", 2), ("江苏省", "南京市", "025", "320102", 4),
    ("江苏省", "苏州市", "0512", "320505", 5), ("江苏省", "无锡市", "0510", "320214", 2),
    ("山东省", "济南市", "0531", "370102", 2), ("山东省", "青岛市", "0532", "370202", 3),
    ("福建省", "福州市", "0591", "350102", 2), ("福建省", "厦门市", "0592", "350203", 2),
    ("辽宁省", "沈阳市", "024", "210102", 2), ("辽宁省", "大连市", "0411", "210202", 2),
    ("四川省", "成都市", "028", "510104", 5), ("湖北省", "武汉市", "027", "420102", 4),
    ("湖南省", "长沙市", "0731", "430102", 3), ("河南省", "郑州市", "0371", "410102", 3),
    ("陕西省", "西安市", "029", "610102", 3), ("安徽省", "合肥市", "0551", "340102", 2),
    ("河北省", "石家庄市", "0311", "130102", 1), ("山西省", "太原市", "0351", "140105", 1),
    ("内蒙古自治区", "呼和浩特市", "0471", "150102", 0.5),
    ("吉林省", "长春市", "0431", "220102", 1), ("黑龙江省", "哈尔滨市", "0451", "230102", 1),
    ("江西省", "南昌市", "0791", "360102", 1), ("广西壮族自治区", "南宁市", "0771", "450102", 1),
    ("海南省", "海口市", "0898", "460105", 0.5), ("贵州省", "贵阳市", "0851", "520102", 1),
    ("云南省", "昆明市", "0871", "530102", 1), ("西藏自治区", "拉萨市", "0891", "540102", 0.2),
    ("甘肃省", "兰州市", "0931", "620102", 0.5), ("青海省", "西宁市", "0971", "630102", 0.2),
    ("宁夏回族自治区", "银川市", "0951", "640104", 0.3),
    ("新疆维吾尔自治区", "乌鲁木齐市", "0991", "650102", 0.5),
)
# Share of Chinese customers in some other prefecture-level city of a province above (they
# get the province capital's area code and district code: valid, if not exact).
OTHER_CITIES_SHARE = 0.15

# (industry, slug for web domains, Chinese name words, English name words, weight)
INDUSTRIES: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...], float], ...] = (
    ("信息技术", "tech", ("科技", "信息技术", "软件", "网络科技"),
     ("Technologies", "Software", "Systems"), 14),
    ("制造业", "mfg", ("机械", "精密制造", "重工", "实业"),
     ("Manufacturing", "Industries", "Machinery"), 14),
    ("批发零售", "trade", ("贸易", "商贸", "百货"),
     ("Trading", "Retail", "Supply"), 12),
    ("金融", "fin", ("投资", "金融服务", "资产管理"),
     ("Capital", "Financial", "Partners"), 5),
    ("房地产", "estate", ("置业", "房地产开发", "物业管理"),
     ("Realty", "Properties"), 4),
    ("医药健康", "med", ("医药", "生物科技", "医疗器械"),
     ("Pharma", "Health", "Medical"), 6),
    ("教育培训", "edu", ("教育科技", "培训", "文化教育"),
     ("Learning", "Education"), 4),
    ("物流运输", "logistics", ("物流", "供应链管理", "运输"),
     ("Logistics", "Freight", "Shipping"), 6),
    ("建筑工程", "build", ("建设工程", "建筑", "装饰工程"),
     ("Construction", "Builders"), 6),
    ("餐饮酒店", "food", ("餐饮管理", "酒店管理"),
     ("Hospitality", "Restaurants"), 4),
    ("能源化工", "energy", ("能源", "化工", "新能源"),
     ("Energy", "Chemicals", "Power"), 4),
    ("农业", "agri", ("农业科技", "农产品"),
     ("Farms", "Agritech"), 3),
    ("汽车", "auto", ("汽车销售服务", "汽车零部件"),
     ("Motors", "Automotive"), 4),
    ("电子通信", "elec", ("电子", "通信技术", "半导体"),
     ("Electronics", "Telecom", "Semiconductor"), 6),
    ("文化传媒", "media", ("文化传媒", "广告", "影视"),
     ("Media", "Studios", "Advertising"), 4),
    ("专业服务", "consult", ("管理咨询", "咨询", "人力资源"),
     ("Consulting", "Advisors", "Services"), 5),
    ("纺织服装", "textile", ("纺织", "服饰"),
     ("Textiles", "Apparel"), 3),
    ("食品饮料", "foods", ("食品", "饮品"),
     ("Foods", "Beverages"), 4),
    ("环保", "green", ("环保科技", "环境工程"),
     ("Environmental", "Recycling"), 2),
    ("家居建材", "home", ("家居", "建材"),
     ("Home", "Materials"), 3),
)
SUFFIXES = ("有限公司", "有限责任公司", "股份有限公司", "集团有限公司")
# Characters brands are made of (two of them, like 华宇, 鼎盛, 恒泰), plus Faker's brands.
BRAND_CHARS = ("华宇中联鼎盛恒泰瑞丰嘉德信达金汇通远景辉宏兴隆安康博创新海天润泽凯越东方明阳"
               "正元志诚永鑫佳和美力合顺源聚光晨星云腾飞祥福益万胜昌荣宝乐晟骏")
ROADS = ("建国", "人民", "解放", "中山", "和平", "长江", "黄河", "南京", "新华", "朝阳", "东风",
         "文化", "科技", "创新", "学府", "滨江", "世纪", "光明", "迎宾", "友谊", "花园", "工业")
ROAD_KINDS = ("路", "街", "大道", "东路", "西路")
DISTRICTS = ("高新区", "经济开发区", "中心区", "新区", "城东区", "城南区", "滨海新区",
             "工业园区", "软件园", "商务区")
ZH_MAIL = ("qq.com", "163.com", "126.com", "sina.com", "139.com", "foxmail.com")
# Banks companies keep their accounts at (开户行), with the digits of their account numbers.
BANKS = (("中国工商银行", 19), ("中国建设银行", 20), ("中国农业银行", 19), ("中国银行", 17),
         ("交通银行", 21), ("招商银行", 15), ("中信银行", 19), ("浦发银行", 18),
         ("兴业银行", 18), ("民生银行", 16))
MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150",
                   "151", "152", "153", "155", "156", "157", "158", "159", "166", "173",
                   "176", "177", "180", "181", "182", "183", "185", "186", "187", "188",
                   "189", "191", "198", "199")
# (country, cities, weight) of foreign customers.
FOREIGN: tuple[tuple[str, tuple[str, ...], float], ...] = (
    ("US", ("New York", "San Francisco", "Chicago", "Seattle", "Boston", "Austin"), 45),
    ("GB", ("London", "Manchester", "Birmingham"), 12),
    ("SG", ("Singapore",), 10),
    ("DE", ("Berlin", "Munich", "Hamburg"), 12),
    ("JP", ("Tokyo", "Osaka"), 11),
    ("AU", ("Sydney", "Melbourne"), 10),
)
US_AREA_CODES = ("212", "646", "415", "650", "312", "206", "617", "512", "213", "305", "404")
CUSTOMER_TYPES = (("重点客户", 10), ("普通客户", 50), ("经销商", 15), ("合作伙伴", 10),
                  ("潜在客户", 15))
TAGS = (("VIP", "#dc3545"), ("高意向", "#fd7e14"), ("老客户", "#198754"),
        ("需回访", "#0d6efd"), ("展会", "#6f42c1"), ("线上", "#20c997"),
        ("上市公司", "#ffc107"), (N_("Key account"), "#0dcaf0"))
LEVELS = ("A", "B", "C", "D")
STATUSES = ("active", "prospect", "inactive", "lost")
# English words are msgids: the seed shows them in its language (``localized``).
SOURCES = ("官网", "展会", "转介绍", "电话营销", "网络广告", "合作伙伴", "老客户", N_("Website"),
           N_("Trade show"), N_("Referral"))
CONTACT_TITLES = (
    ("总经理", "副总经理", "采购经理", "采购主管", "财务总监", "技术总监", "销售经理",
     "行政主管", "项目经理", "董事长"),
    ("CEO", "Purchasing Manager", "CFO", "CTO", "Sales Director", "Office Manager",
     "Project Manager", "Owner"),
)
RECORD_KINDS = ("call", "visit", "email", "meeting", "other")
RECORD_TEXT = (
    {"opening": {"call": ("电话沟通", "电话回访，谈到"),
                 "visit": ("上门拜访，讨论", "拜访客户，介绍"),
                 "email": ("发送邮件介绍", "邮件答复"), "meeting": ("会议讨论", "线上会议沟通"),
                 "other": ("微信沟通", "展会上交流")},
     "topics": ("新产品报价", "年度合作协议", "售后服务问题", "续约事宜", "样品测试结果",
                "付款进度", "技术方案", "交货时间"),
     "joiner": "，",
     "outcomes": ("客户表示有兴趣，下周再联系。", "需要内部讨论后答复。", "对价格有异议。",
                  "已确认订单。", "暂无需求。", "要求提供详细资料。")},
    {"opening": {"call": ("Call about ", "Phoned to discuss "), "visit": ("Visited them: ",),
                 "email": ("Emailed about ", "Replied by email on "),
                 "meeting": ("Meeting on ", "Video call on "), "other": ("Chat about ",)},
     "topics": ("the new price list", "the annual agreement", "a support issue", "the renewal",
                "sample test results", "payment status", "the technical proposal"),
     "joiner": "; ",
     "outcomes": ("interested, call back next week.", "they will discuss internally.",
                  "price is a concern.", "order confirmed.", "no need for now.",
                  "they asked for a brochure.")},
)


@dataclass(frozen=True)
class Pools:
    """Everything a generated row picks from; ``cities`` are (province, city, area code,
    district code) with their weights."""

    cities: list[tuple[tuple[str, str, str, str], float]]
    brands: list[str]
    zh_surnames: list[str]
    zh_given: list[str]
    en_surnames: list[str]
    en_given: list[str]
    districts: list[str]
    roads: list[str]
    zh_mail: tuple[str, ...]
    mobile_prefixes: tuple[str, ...]
    foreign_phones: dict[str, list[str]]


def _foreign_phones(rng: random.Random, country: str, count: int) -> list[str]:
    """``count`` valid numbers of ``country`` (E.164): its example numbers with the last six
    digits drawn at random (US numbers with an area code of a big city), each checked by
    phonenumbers."""
    kinds = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE)
    examples = [phonenumbers.example_number_for_type(country, kind) for kind in kinds]
    numbers: list[str] = []
    attempts = 0
    while len(numbers) < count and attempts < count * 20:
        attempts += 1
        example = examples[attempts % 2]
        national = str(example.national_number)
        if country == "US":
            national = rng.choice(US_AREA_CODES) + "2345678"
        keep = max(len(national) - 6, 2)
        candidate = national[:keep] + str(rng.randrange(2, 10)) + "".join(
            str(rng.randrange(10)) for _ in range(len(national) - keep - 1))
        number = phonenumbers.parse(f"+{example.country_code}{candidate}", None)
        if phonenumbers.is_valid_number(number):
            numbers.append(phonenumbers.format_number(number,
                                                      phonenumbers.PhoneNumberFormat.E164))
    return numbers


@lru_cache(maxsize=4)
def pools(seed: int) -> Pools:
    """The pools for ``seed`` (built once: about a tenth of a second)."""
    from faker.providers.company.zh_CN import Provider as ChineseCompany
    from faker.providers.person.en_US import Provider as EnglishPerson
    from faker.providers.person.zh_CN import Provider as ChinesePerson

    rng = random.Random(f"customers-demo-pools:{seed}")
    chars = list(BRAND_CHARS)
    brands = sorted({a + b for a in chars for b in chars if a != b})
    brands += [prefix for prefix in ChineseCompany.company_prefixes
               if len(prefix) in (2, 3) and "公司" not in prefix]
    surnames = list(ChinesePerson.last_names)
    weights = list(ChinesePerson.last_names.values())
    zh_surnames = rng.choices(surnames, weights=weights, k=5000)
    given = list(ChinesePerson.first_names)
    singles = [name for name in given if len(name) == 1]
    zh_given = given + [a + b for a in singles for b in singles if a != b]
    cities = [((province, city, area, code), weight)
              for province, city, area, code, weight in CITIES]
    capitals = {province: (area, code) for province, city, area, code, _w in CITIES
                if city in (regions.cities_of(province) or [])[:1] or province == city}
    listed = {city for _province, city, *_rest in CITIES}
    others = [(province, city, *capitals[province])
              for province in capitals for city in regions.cities_of(province)
              if city not in listed]
    share = sum(weight for _city, weight in cities) * OTHER_CITIES_SHARE / max(len(others), 1)
    cities += [(other, share) for other in others]
    return Pools(
        cities=cities, brands=brands, zh_surnames=zh_surnames, zh_given=zh_given,
        en_surnames=list(EnglishPerson.last_names),
        en_given=list(EnglishPerson.first_names_male) + list(EnglishPerson.first_names_female),
        districts=list(DISTRICTS),
        roads=[road + kind for road in ROADS for kind in ROAD_KINDS],
        zh_mail=ZH_MAIL, mobile_prefixes=MOBILE_PREFIXES,
        foreign_phones={country: _foreign_phones(rng, country, 200)
                        for country, _cities, _weight in FOREIGN},
    )
