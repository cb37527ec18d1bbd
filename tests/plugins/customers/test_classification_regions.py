"""China's provincial-level divisions and their cities: the list is complete, each city
belongs to one province, and names in Chinese, short, English or pinyin are understood."""

from __future__ import annotations

from plugins.customers.records import regions


def test_there_are_the_34_provincial_level_divisions_each_with_cities():
    names = regions.province_names()
    assert len(names) == 34 == len(set(names))
    assert names[:3] == ["北京市", "天津市", "河北省"]
    assert all(regions.cities_of(name) for name in names)
    assert set(regions.PROVINCE_ENGLISH) == set(names)
    cities = [city for name in names for city in regions.cities_of(name)]
    assert len(cities) == len(set(cities))  # no city listed under two provinces
    assert len(regions.cities_of("广东省")) == 21
    assert len(regions.cities_of("山东省")) == 16
    assert "延边朝鲜族自治州" in regions.cities_of("吉林省")
    assert regions.cities_of("上海市") == ["上海市"]  # a municipality is its own city


def test_is_known_checks_a_city_against_its_own_province():
    assert regions.is_known("广东省")
    assert regions.is_known("广东省", "深圳市")
    assert regions.is_known("新疆维吾尔自治区", "石河子市")
    assert not regions.is_known("广东省", "杭州市")
    assert not regions.is_known("广东", "深圳市")  # exact names only
    assert not regions.is_known("Atlantis")


def test_provinces_are_matched_from_short_english_and_pinyin_names():
    assert regions.match_province("广东") == "广东省"
    assert regions.match_province(" Inner Mongolia ") == "内蒙古自治区"
    assert regions.match_province("neimenggu") == "内蒙古自治区"
    assert regions.match_province("Xizang") == regions.match_province("西藏") == "西藏自治区"
    assert regions.match_province("hong kong") == "香港特别行政区"
    assert regions.match_province("Shaanxi") == "陕西省"
    assert regions.match_province("Shanxi") == "山西省"
    assert regions.match_province("") is None and regions.match_province("Bavaria") is None
    assert regions.cities_of("Guangdong") == regions.cities_of("广东省")
    assert regions.cities_of("nowhere") == []


def test_english_names_use_the_usual_spelling():
    assert regions.english_name("广东省") == "Guangdong"
    assert regions.english_name("石家庄市") == "Shijiazhuang"
    assert regions.english_name("重庆市") == "Chongqing"
    assert regions.english_name("厦门市") == "Xiamen"
    assert regions.english_name("长治市") == "Changzhi"
    assert regions.english_name("西安市") == "Xi'an"
    assert regions.english_name("乌鲁木齐市") == "Urumqi"
    assert regions.english_name("大理白族自治州") == "Dali"
    assert regions.english_name("Tokyo") == "Tokyo"


def test_a_region_in_one_cell_splits_into_province_city_and_the_rest():
    from plugins.customers.records.regions import split_region

    assert split_region("浙江省/杭州市") == ("浙江省", "杭州市", "")
    assert split_region("广东省深圳市南山区") == ("广东省", "深圳市", "南山区")
    assert split_region("内蒙古自治区呼和浩特市") == ("内蒙古自治区", "呼和浩特市", "")
    assert split_region("吉林省吉林市") == ("吉林省", "吉林市", "")
    assert split_region("上海") == ("上海市", "上海市", "")  # a municipality is its own city
    assert split_region("广东") == ("广东省", "", "")
    assert split_region("火星 基地 一号") == ("火星", "基地", "一号")
    assert split_region("  ") == ("", "", "")
