"""China's provincial-level divisions and their prefecture-level cities, for the customer's
region (province and city) fields, with English (pinyin) names.

Data as of 2024: 34 provincial-level divisions (23 provinces, 5 autonomous regions, 4
municipalities, 2 special administrative regions) and their prefecture-level divisions
(cities, prefectures 地区, autonomous prefectures 自治州, leagues 盟), plus the county-level
cities and counties a province administers directly (济源, 仙桃, 潜江, 天门, 神农架 and
Hainan's and Xinjiang's), since address forms list those as cities too. A municipality or a
special administrative region is its own single city. Taiwan lists its cities and counties.

No PyPI package fitted: the candidates were unmaintained, pulled in pandas (cpca) or carried
county-level data this plugin does not need, so the data lives here (about 370 names).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from ..names import pinyin_syllables

__all__ = ["PROVINCES", "PROVINCE_ENGLISH", "cities_of", "english_name", "is_known",
           "country_code", "match_city", "match_province", "province_names", "split_region"]

PROVINCES: dict[str, list[str]] = {
    "北京市": ["北京市"],
    "天津市": ["天津市"],
    "河北省": ["石家庄市", "唐山市", "秦皇岛市", "邯郸市", "邢台市", "保定市", "张家口市",
               "承德市", "沧州市", "廊坊市", "衡水市"],
    "山西省": ["太原市", "大同市", "阳泉市", "长治市", "晋城市", "朔州市", "晋中市", "运城市",
               "忻州市", "临汾市", "吕梁市"],
    "内蒙古自治区": ["呼和浩特市", "包头市", "乌海市", "赤峰市", "通辽市", "鄂尔多斯市",
                     "呼伦贝尔市", "巴彦淖尔市", "乌兰察布市", "兴安盟", "锡林郭勒盟",
                     "阿拉善盟"],
    "辽宁省": ["沈阳市", "大连市", "鞍山市", "抚顺市", "本溪市", "丹东市", "锦州市", "营口市",
               "阜新市", "辽阳市", "盘锦市", "铁岭市", "朝阳市", "葫芦岛市"],
    "吉林省": ["长春市", "吉林市", "四平市", "辽源市", "通化市", "白山市", "松原市", "白城市",
               "延边朝鲜族自治州"],
    "黑龙江省": ["哈尔滨市", "齐齐哈尔市", "鸡西市", "鹤岗市", "双鸭山市", "大庆市", "伊春市",
                 "佳木斯市", "七台河市", "牡丹江市", "黑河市", "绥化市", "大兴安岭地区"],
    "上海市": ["上海市"],
    "江苏省": ["南京市", "无锡市", "徐州市", "常州市", "苏州市", "南通市", "连云港市",
               "淮安市", "盐城市", "扬州市", "镇江市", "泰州市", "宿迁市"],
    "浙江省": ["杭州市", "宁波市", "温州市", "嘉兴市", "湖州市", "绍兴市", "金华市", "衢州市",
               "舟山市", "台州市", "丽水市"],
    "安徽省": ["合肥市", "芜湖市", "蚌埠市", "淮南市", "马鞍山市", "淮北市", "铜陵市",
               "安庆市", "黄山市", "滁州市", "阜阳市", "宿州市", "六安市", "亳州市", "池州市",
               "宣城市"],
    "福建省": ["福州市", "厦门市", "莆田市", "三明市", "泉州市", "漳州市", "南平市", "龙岩市",
               "宁德市"],
    "江西省": ["南昌市", "景德镇市", "萍乡市", "九江市", "新余市", "鹰潭市", "赣州市",
               "吉安市", "宜春市", "抚州市", "上饶市"],
    "山东省": ["济南市", "青岛市", "淄博市", "枣庄市", "东营市", "烟台市", "潍坊市", "济宁市",
               "泰安市", "威海市", "日照市", "临沂市", "德州市", "聊城市", "滨州市", "菏泽市"],
    "河南省": ["郑州市", "开封市", "洛阳市", "平顶山市", "安阳市", "鹤壁市", "新乡市",
               "焦作市", "濮阳市", "许昌市", "漯河市", "三门峡市", "南阳市", "商丘市",
               "信阳市", "周口市", "驻马店市", "济源市"],
    "湖北省": ["武汉市", "黄石市", "十堰市", "宜昌市", "襄阳市", "鄂州市", "荆门市", "孝感市",
               "荆州市", "黄冈市", "咸宁市", "随州市", "恩施土家族苗族自治州", "仙桃市",
               "潜江市", "天门市", "神农架林区"],
    "湖南省": ["长沙市", "株洲市", "湘潭市", "衡阳市", "邵阳市", "岳阳市", "常德市",
               "张家界市", "益阳市", "郴州市", "永州市", "怀化市", "娄底市",
               "湘西土家族苗族自治州"],
    "广东省": ["广州市", "韶关市", "深圳市", "珠海市", "汕头市", "佛山市", "江门市", "湛江市",
               "茂名市", "肇庆市", "惠州市", "梅州市", "汕尾市", "河源市", "阳江市", "清远市",
               "东莞市", "中山市", "潮州市", "揭阳市", "云浮市"],
    "广西壮族自治区": ["南宁市", "柳州市", "桂林市", "梧州市", "北海市", "防城港市",
                       "钦州市", "贵港市", "玉林市", "百色市", "贺州市", "河池市", "来宾市",
                       "崇左市"],
    "海南省": ["海口市", "三亚市", "三沙市", "儋州市", "五指山市", "琼海市", "文昌市",
               "万宁市", "东方市", "定安县", "屯昌县", "澄迈县", "临高县", "白沙黎族自治县",
               "昌江黎族自治县", "乐东黎族自治县", "陵水黎族自治县", "保亭黎族苗族自治县",
               "琼中黎族苗族自治县"],
    "重庆市": ["重庆市"],
    "四川省": ["成都市", "自贡市", "攀枝花市", "泸州市", "德阳市", "绵阳市", "广元市",
               "遂宁市", "内江市", "乐山市", "南充市", "眉山市", "宜宾市", "广安市", "达州市",
               "雅安市", "巴中市", "资阳市", "阿坝藏族羌族自治州", "甘孜藏族自治州",
               "凉山彝族自治州"],
    "贵州省": ["贵阳市", "六盘水市", "遵义市", "安顺市", "毕节市", "铜仁市",
               "黔西南布依族苗族自治州", "黔东南苗族侗族自治州", "黔南布依族苗族自治州"],
    "云南省": ["昆明市", "曲靖市", "玉溪市", "保山市", "昭通市", "丽江市", "普洱市", "临沧市",
               "楚雄彝族自治州", "红河哈尼族彝族自治州", "文山壮族苗族自治州",
               "西双版纳傣族自治州", "大理白族自治州", "德宏傣族景颇族自治州",
               "怒江傈僳族自治州", "迪庆藏族自治州"],
    "西藏自治区": ["拉萨市", "日喀则市", "昌都市", "林芝市", "山南市", "那曲市", "阿里地区"],
    "陕西省": ["西安市", "铜川市", "宝鸡市", "咸阳市", "渭南市", "延安市", "汉中市", "榆林市",
               "安康市", "商洛市"],
    "甘肃省": ["兰州市", "嘉峪关市", "金昌市", "白银市", "天水市", "武威市", "张掖市",
               "平凉市", "酒泉市", "庆阳市", "定西市", "陇南市", "临夏回族自治州",
               "甘南藏族自治州"],
    "青海省": ["西宁市", "海东市", "海北藏族自治州", "黄南藏族自治州", "海南藏族自治州",
               "果洛藏族自治州", "玉树藏族自治州", "海西蒙古族藏族自治州"],
    "宁夏回族自治区": ["银川市", "石嘴山市", "吴忠市", "固原市", "中卫市"],
    "新疆维吾尔自治区": ["乌鲁木齐市", "克拉玛依市", "吐鲁番市", "哈密市",
                         "昌吉回族自治州", "博尔塔拉蒙古自治州", "巴音郭楞蒙古自治州",
                         "阿克苏地区", "克孜勒苏柯尔克孜自治州", "喀什地区", "和田地区",
                         "伊犁哈萨克自治州", "塔城地区", "阿勒泰地区", "石河子市",
                         "阿拉尔市", "图木舒克市", "五家渠市", "北屯市", "铁门关市",
                         "双河市", "可克达拉市", "昆玉市", "胡杨河市", "新星市", "白杨市"],
    "台湾省": ["台北市", "新北市", "桃园市", "台中市", "台南市", "高雄市", "基隆市",
               "新竹市", "嘉义市", "新竹县", "苗栗县", "彰化县", "南投县", "云林县", "嘉义县",
               "屏东县", "宜兰县", "花莲县", "台东县", "澎湖县", "金门县", "连江县"],
    "香港特别行政区": ["香港特别行政区"],
    "澳门特别行政区": ["澳门特别行政区"],
}

PROVINCE_ENGLISH: dict[str, str] = {
    "北京市": "Beijing", "天津市": "Tianjin", "河北省": "Hebei", "山西省": "Shanxi",
    "内蒙古自治区": "Inner Mongolia", "辽宁省": "Liaoning", "吉林省": "Jilin",
    "黑龙江省": "Heilongjiang", "上海市": "Shanghai", "江苏省": "Jiangsu",
    "浙江省": "Zhejiang", "安徽省": "Anhui", "福建省": "Fujian", "江西省": "Jiangxi",
    "山东省": "Shandong", "河南省": "Henan", "湖北省": "Hubei", "湖南省": "Hunan",
    "广东省": "Guangdong", "广西壮族自治区": "Guangxi", "海南省": "Hainan",
    "重庆市": "Chongqing", "四川省": "Sichuan", "贵州省": "Guizhou", "云南省": "Yunnan",
    "西藏自治区": "Tibet", "陕西省": "Shaanxi", "甘肃省": "Gansu", "青海省": "Qinghai",
    "宁夏回族自治区": "Ningxia", "新疆维吾尔自治区": "Xinjiang", "台湾省": "Taiwan",
    "香港特别行政区": "Hong Kong", "澳门特别行政区": "Macao",
}

# Where the pinyin of the name (less its suffix) is not the usual English spelling: readings
# pypinyin gets wrong for place names, and the autonomous prefectures' short names.
_ENGLISH_OVERRIDES: dict[str, str] = {
    "长治市": "Changzhi", "朝阳市": "Chaoyang", "吕梁市": "Lüliang", "六安市": "Lu'an",
    "阿勒泰地区": "Altay", "漯河市": "Luohe", "哈尔滨市": "Harbin", "齐齐哈尔市": "Qiqihar",
    "大兴安岭地区": "Da Hinggan Ling", "马鞍山市": "Ma'anshan", "普洱市": "Pu'er",
    "定安县": "Ding'an", "阿拉尔市": "Aral", "西安市": "Xi'an", "延安市": "Yan'an",
    "泰安市": "Tai'an",
    "吉安市": "Ji'an", "淮安市": "Huai'an", "雅安市": "Ya'an", "广安市": "Guang'an",
    "兴安盟": "Hinggan", "锡林郭勒盟": "Xilingol", "阿拉善盟": "Alxa",
    "呼和浩特市": "Hohhot", "包头市": "Baotou", "鄂尔多斯市": "Ordos",
    "呼伦贝尔市": "Hulunbuir", "巴彦淖尔市": "Bayannur", "乌兰察布市": "Ulanqab",
    "乌鲁木齐市": "Urumqi", "克拉玛依市": "Karamay", "吐鲁番市": "Turpan", "哈密市": "Hami",
    "喀什地区": "Kashgar", "和田地区": "Hotan", "阿克苏地区": "Aksu", "塔城地区": "Tacheng",
    "拉萨市": "Lhasa", "日喀则市": "Shigatse", "林芝市": "Nyingchi", "那曲市": "Nagqu",
    "阿里地区": "Ngari", "昌都市": "Qamdo",
    "延边朝鲜族自治州": "Yanbian", "恩施土家族苗族自治州": "Enshi",
    "湘西土家族苗族自治州": "Xiangxi", "阿坝藏族羌族自治州": "Ngawa",
    "甘孜藏族自治州": "Garzê", "凉山彝族自治州": "Liangshan",
    "黔西南布依族苗族自治州": "Qianxinan", "黔东南苗族侗族自治州": "Qiandongnan",
    "黔南布依族苗族自治州": "Qiannan", "楚雄彝族自治州": "Chuxiong",
    "红河哈尼族彝族自治州": "Honghe", "文山壮族苗族自治州": "Wenshan",
    "西双版纳傣族自治州": "Xishuangbanna", "大理白族自治州": "Dali",
    "德宏傣族景颇族自治州": "Dehong", "怒江傈僳族自治州": "Nujiang",
    "迪庆藏族自治州": "Dêqên", "临夏回族自治州": "Linxia", "甘南藏族自治州": "Gannan",
    "海北藏族自治州": "Haibei", "黄南藏族自治州": "Huangnan", "海南藏族自治州": "Hainan",
    "果洛藏族自治州": "Golog", "玉树藏族自治州": "Yushu", "海西蒙古族藏族自治州": "Haixi",
    "昌吉回族自治州": "Changji", "博尔塔拉蒙古自治州": "Bortala",
    "巴音郭楞蒙古自治州": "Bayingolin", "克孜勒苏柯尔克孜自治州": "Kizilsu",
    "伊犁哈萨克自治州": "Ili", "白沙黎族自治县": "Baisha", "昌江黎族自治县": "Changjiang",
    "乐东黎族自治县": "Ledong", "陵水黎族自治县": "Lingshui",
    "保亭黎族苗族自治县": "Baoting", "琼中黎族苗族自治县": "Qiongzhong",
    "台北市": "Taipei", "新北市": "New Taipei", "桃园市": "Taoyuan", "台中市": "Taichung",
    "台南市": "Tainan", "高雄市": "Kaohsiung", "基隆市": "Keelung", "新竹市": "Hsinchu",
    "嘉义市": "Chiayi", "新竹县": "Hsinchu County", "苗栗县": "Miaoli", "彰化县": "Changhua",
    "南投县": "Nantou", "云林县": "Yunlin", "嘉义县": "Chiayi County", "屏东县": "Pingtung",
    "宜兰县": "Yilan", "花莲县": "Hualien", "台东县": "Taitung", "澎湖县": "Penghu",
    "金门县": "Kinmen", "连江县": "Lienchiang",
}
_SUFFIXES = ("特别行政区", "林区", "地区", "市", "盟", "县")


def province_names() -> list[str]:
    """The 34 provincial-level divisions' Chinese names, in the official order."""
    return list(PROVINCES)


def cities_of(province: str) -> list[str]:
    """The prefecture-level cities of ``province`` (its Chinese name, or one
    ``match_province`` understands); [] for an unknown province."""
    name = match_province(province)
    return list(PROVINCES[name]) if name else []


def is_known(province: str, city: str = "") -> bool:
    """Whether ``province`` is a provincial-level division (exact Chinese name) and
    ``city``, when given, one of its cities."""
    if province not in PROVINCES:
        return False
    return not city or city in _city_sets()[province]


@lru_cache(maxsize=1)
def _city_sets() -> dict[str, frozenset[str]]:
    return {province: frozenset(cities) for province, cities in PROVINCES.items()}


@lru_cache(maxsize=1)
def _province_lookup() -> dict[str, str]:
    """Every spelling ``match_province`` accepts (folded) to the Chinese name."""
    def fold(spelling: str) -> str:
        return spelling.casefold().replace(" ", "")

    lookup: dict[str, str] = {}
    names: list[tuple[str, str, str]] = []
    for name, english in PROVINCE_ENGLISH.items():
        short = name
        for suffix in ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区",
                       "省", "市"):
            if short.endswith(suffix):
                short = short[: -len(suffix)]
                break
        names.append((name, short, english))
        lookup[fold("".join(pinyin_syllables(short)))] = name
    # Names and English spellings win over pinyin: 陕西 and 山西 are both "shanxi" in
    # pinyin, but "Shaanxi" and "Shanxi" in English.
    for name, short, english in names:
        for spelling in (name, short, english):
            lookup[fold(spelling)] = name
    lookup["xizang"] = "西藏自治区"
    lookup["macau"] = "澳门特别行政区"
    return lookup


def match_province(text: str) -> str | None:
    """The Chinese name of the province ``text`` names: the full name ("广东省"), the short
    one ("广东"), English or pinyin ("Guangdong", "inner mongolia"); None when unknown."""
    key = (text or "").strip().casefold().replace(" ", "")
    return _province_lookup().get(key) if key else None


def match_city(province: str, text: str) -> tuple[str, str] | None:
    """(province, city) as the region lists name them for a city typed short or in full
    ("宁波" or "宁波市"), in ``province`` (its Chinese name) or, when that is empty, in the
    one province that has a city of that name; None when unknown or ambiguous."""
    key = (text or "").strip()
    if not key:
        return None
    found = _cities_by_short().get(_short_city(key), ())
    if province:
        found = tuple(pair for pair in found if pair[0] == province)
    return found[0] if len(found) == 1 else None


# Country names other systems write beside the names of babel's locale data.
_COUNTRY_NAMES = {"中国大陆": "CN", "中华人民共和国": "CN", "大陆": "CN", "prc": "CN",
                  "mainland china": "CN", "香港": "HK", "澳门": "MO", "澳門": "MO",
                  "usa": "US", "us": "US", "u.s.": "US", "u.s.a.": "US", "america": "US",
                  "uk": "GB", "england": "GB", "britain": "GB", "great britain": "GB",
                  "korea": "KR", "south korea": "KR", "韩国": "KR", "russia": "RU"}


def country_code(text: str) -> str | None:
    """The two-letter code of the country ``text`` names in Chinese or English ("中国",
    "China", "美國", "USA"), or that it is ("cn"); None when unknown."""
    key = " ".join(text.split()).casefold()
    if len(key) == 2 and key.isascii() and key.isalpha():
        return key.upper()
    return _country_names().get(key)


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    from babel import Locale

    names: dict[str, str] = {}
    for locale in ("en", "zh_Hant_TW", "zh_Hans_CN"):  # simplified Chinese names win
        names.update((name.casefold(), code) for code, name in
                     Locale.parse(locale).territories.items()
                     if len(code) == 2 and code.isalpha())
    names.update(_COUNTRY_NAMES)
    return names


_REGION_PARTS = re.compile(r"[\s/,，、·|>\-－—]+")
_LONGEST_PROVINCE = 8  # 广西壮族自治区, 新疆维吾尔自治区


def split_region(text: str) -> tuple[str, str, str]:
    """A region cell as other systems export it ("浙江省/杭州市", "广东 深圳", "广东省深圳市",
    "北京市海淀区", "深圳") split into (province, city, the rest), province and city as the
    region lists name them; a city of a municipality is the municipality ("北京市"). Parts
    the lists do not know stay as typed, the first as the province."""
    parts = [part for part in _REGION_PARTS.split(text.strip()) if part]
    if not parts:
        return "", "", ""
    first, rest = parts[0], parts[1:]
    province = match_province(first)
    if province is None and not rest:  # "广东省深圳市": the longest province name it begins with
        province, after = _leading(first, match_province, _LONGEST_PROVINCE)
        rest = [after] if province is not None else rest
    if province is None:  # "深圳 南山区", or a name the lists do not know
        found_city = match_city("", first)
        if found_city is None:
            return first, " ".join(rest[:1]), " ".join(rest[1:])
        return *found_city, " ".join(rest)
    cities = PROVINCES[province]
    if len(cities) == 1:  # a municipality: its districts are the rest
        return province, cities[0], " ".join(rest)
    if not rest:
        return province, "", ""
    city, more = rest[0], rest[1:]
    # "杭州西湖区": the longest city name it begins with
    found_city, after = _leading(city, lambda text: match_city(province, text), len(city))
    if found_city is not None:
        city, more = found_city[1], [after, *more] if after else more
    return province, city, " ".join(more)


def _leading(text: str, match: Callable[[str], Any], longest: int) -> tuple[Any, str]:
    """What ``match`` makes of the longest beginning of ``text`` (two to ``longest``
    characters) it knows, and the text after it; ``(None, text)`` when it knows none."""
    for end in range(min(len(text), longest), 1, -1):
        if (found := match(text[:end])) is not None:
            return found, text[end:]
    return None, text


def _short_city(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


@lru_cache(maxsize=1)
def _cities_by_short() -> dict[str, tuple[tuple[str, str], ...]]:
    """Every city's name without its suffix ("宁波") to the (province, city) pairs of it."""
    found: dict[str, list[tuple[str, str]]] = {}
    for province, cities in PROVINCES.items():
        for city in cities:
            found.setdefault(_short_city(city), []).append((province, city))
    return {short: tuple(pairs) for short, pairs in found.items()}


@lru_cache(maxsize=1024)
def english_name(name: str) -> str:
    """The English name of a province or city ("广东省" gives "Guangdong", "石家庄市"
    "Shijiazhuang"); the name itself when it is neither Chinese nor known."""
    if name in PROVINCE_ENGLISH:
        return PROVINCE_ENGLISH[name]
    if name in _ENGLISH_OVERRIDES:
        return _ENGLISH_OVERRIDES[name]
    base = name
    for suffix in _SUFFIXES:
        if base.endswith(suffix) and len(base) > len(suffix) + 1:
            base = base[: -len(suffix)]
            break
    syllables = pinyin_syllables(base)
    if len(syllables) != len(base):  # not (only) Chinese characters
        return name
    return "".join(syllables).capitalize()
