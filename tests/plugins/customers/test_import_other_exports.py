"""Files exported from other systems, imported from the command line: a workbook whose
customers are on its second sheet under a title, with contact columns no field holds and a
total row at the end."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select, update
from test_import_runs import last_json, run

from crm_core.db import get_session
from crm_core.imports.models import TabularImport
from crm_core.testing import DATABASES, create_test_user
from plugins.customers.models import Customer
from plugins.customers.records.ownership import user_table


def export_workbook(path):
    book = Workbook()
    book.active.title = "导出说明"
    book.active.append(["本文件由某CRM导出，客户数据在“客户”页"])
    sheet = book.create_sheet("客户")
    sheet.append(["客户列表"])
    sheet.append(["客户名称", "联系人", "联系人手机", "电话2", "微信", "备注"])
    sheet.append(["北京华宇科技有限公司", "王经理", "13812345678", "010-62345678", "wx_hy88",
                  "老客户"])
    sheet.append(["上海明达贸易有限公司", "李娜", "13912345678", None, None, None])
    sheet.append(["合计", None, None, None, None, None])
    book.save(path)
    return path


def test_the_customers_sheet_is_imported_with_contacts_in_the_notes_and_no_total(
        customers_app, tmp_path):
    path = export_workbook(tmp_path / "export.xlsx")
    result = run(customers_app, path, "--sheet", "客户", "--json")
    assert result.exit_code == 0, result.output
    assert last_json(result) == {"created": 2, "updated": 0, "skipped": 1, "failed": 0,
                                 "error_report": None}
    with customers_app.app_context():
        customers = {customer.name: customer for customer in get_session().scalars(
            select(Customer))}
        assert sorted(customers) == ["上海明达贸易有限公司", "北京华宇科技有限公司"]
        huayu = customers["北京华宇科技有限公司"]
        assert huayu.notes == "联系人：王经理\n微信：wx_hy88\n老客户"
        assert [row.number for row in huayu.phone_rows] == ["+8613812345678", "+861062345678"]
        assert customers["上海明达贸易有限公司"].notes == "联系人：李娜"
        # the total row is listed, but not as one of the rows that look like duplicates
        assert not get_session().scalar(select(TabularImport.message))


def test_without_a_sheet_named_the_first_sheet_of_customer_columns_is_read(customers_app,
                                                                          tmp_path):
    result = run(customers_app, export_workbook(tmp_path / "export.xlsx"), "--json")
    assert result.exit_code == 0, result.output
    assert last_json(result)["created"] == 2


def test_an_unknown_sheet_is_refused_naming_the_sheets(customers_app, tmp_path):
    result = run(customers_app, export_workbook(tmp_path / "export.xlsx"), "--sheet", "联系人")
    assert result.exit_code == 2
    assert "no sheet called 联系人; its sheets are 导出说明, 客户" in result.output


def test_owners_are_found_by_user_name_email_or_the_name_people_know_them_by(customers_app,
                                                                            tmp_path):
    with customers_app.app_context():
        for username, display_name, email in (("zhangwei", "张伟", "zw@example.com"),
                                              ("wangfang1", "王芳", "wf1@example.com"),
                                              ("wangfang2", "王芳", "wf2@example.com")):
            user = create_test_user(customers_app, username)
            session = get_session()
            session.execute(update(user_table()).where(user_table().c.id == user.id)
                            .values(display_name=display_name, email=email))
            session.commit()
    path = tmp_path / "owners.csv"
    path.write_text("客户名称,负责人\n甲公司,张伟\n乙公司,ZW@example.com\n丙公司,zhangwei\n"
                    "丁公司,王芳\n戊公司,wangfang2\n己公司,李雷\n", encoding="utf-8")
    result = run(customers_app, path, "--json")
    assert last_json(result)["created"] == 5 and last_json(result)["failed"] == 1
    report = last_json(result)["error_report"]
    with open(report, encoding="utf-8-sig") as handle:
        reasons = handle.read()
    assert "Several users are called 王芳: give the user name instead." in reasons
    # Another system's staff member: imported without that owner (a warning at the check),
    # the name in the notes.
    warned = Path(report).with_name("checks.csv").read_text(encoding="utf-8")
    assert ("There is no user named 李雷: the customer is imported without that owner, the "
            "name kept in its notes.") in warned
    with customers_app.app_context():
        owners = dict(get_session().execute(
            select(Customer.name, user_table().c.username)
            .join(user_table(), user_table().c.id == Customer.owner_id)).all())
        unowned = get_session().execute(select(Customer.owner_id, Customer.notes).where(
            Customer.name == "己公司")).one()
    assert owners == {"甲公司": "zhangwei", "乙公司": "zhangwei", "丙公司": "zhangwei",
                      "戊公司": "wangfang2"}
    assert tuple(unowned) == (None, "负责人：李雷")  # the command line imports for nobody


def test_provinces_and_cities_are_spelled_as_the_region_lists_do(customers_app, tmp_path):
    path = tmp_path / "places.csv"
    path.write_text("客户名称,省份,城市,国家\n"
                    "甲公司,浙江,宁波,\n"        # short names
                    "乙公司,,深圳,\n"            # a city alone gives its province
                    "丙公司,Zhejiang,杭州市,\n"  # English province
                    "丁公司,广东省,广州市,\n"    # as the lists spell them already
                    "戊公司,江苏,朝阳,\n"        # 朝阳 is no city of 江苏: left as typed
                    "己公司,火星,A城,\n"         # unknown: left as typed
                    "庚公司,,Springfield,US\n", encoding="utf-8")
    result = run(customers_app, path, "--json")
    assert last_json(result)["created"] == 7, result.output
    with customers_app.app_context():
        places = {name: (province, city) for name, province, city in get_session().execute(
            select(Customer.name, Customer.province, Customer.city))}
    assert places == {"甲公司": ("浙江省", "宁波市"), "乙公司": ("广东省", "深圳市"),
                      "丙公司": ("浙江省", "杭州市"), "丁公司": ("广东省", "广州市"),
                      "戊公司": ("江苏省", "朝阳"), "己公司": ("火星", "A城"),
                      "庚公司": ("", "Springfield")}


def test_a_region_column_gives_the_province_city_and_district(customers_app, tmp_path):
    # Other systems export the place as one column ("所在地区"), spelled every way.
    path = tmp_path / "regions.csv"
    path.write_text("客户名称,所在地区,地址,省份\n"
                    "甲公司,浙江省/杭州市,,\n"
                    "乙公司,广东 深圳,,\n"
                    "丙公司,北京市海淀区,中关村大街1号,\n"  # the district begins the address
                    "丁公司,浙江杭州西湖区,西湖区文三路9号,\n"  # named there already
                    "戊公司,深圳 南山区,,\n"                   # a city alone
                    "己公司,江苏 南京,,上海\n"                  # the province column wins
                    "庚公司,火星 A城,,\n", encoding="utf-8")   # unknown: as typed
    result = run(customers_app, path, "--json")
    assert last_json(result)["created"] == 7, result.output
    with customers_app.app_context():
        places = {name: (province, city, address) for name, province, city, address in
                  get_session().execute(select(Customer.name, Customer.province, Customer.city,
                                               Customer.address))}
    assert places == {"甲公司": ("浙江省", "杭州市", ""), "乙公司": ("广东省", "深圳市", ""),
                      "丙公司": ("北京市", "北京市", "海淀区中关村大街1号"),
                      "丁公司": ("浙江省", "杭州市", "西湖区文三路9号"),
                      "戊公司": ("广东省", "深圳市", "南山区"),
                      "己公司": ("上海市", "", ""), "庚公司": ("火星", "A城", "")}


def test_a_hubspot_export_maps_its_headers_and_names_countries(customers_app, tmp_path):
    path = tmp_path / "hubspot-companies.csv"
    path.write_text("Company name,Company Domain Name,Phone Number,City,State/Region,"
                    "Country/Region,Create Date,Industry\n"
                    "Huayu Tech,huayu.cn,+86 138 1234 5678,Ningbo,Zhejiang,China,"
                    "2023-01-05 10:22,Software\n"
                    "Acme Inc,acme.com,+1 415 555 0100,San Francisco,CA,United States,"
                    "2022-06-30,Retail\n"
                    "Müller GmbH,mueller.de,+49 30 1234567,Berlin,,德国,2021-03-01,\n"
                    "Narnia Ltd,narnia.example,,,,Narnia,,\n", encoding="utf-8")
    result = run(customers_app, path, "--json")
    assert last_json(result) == {"created": 3, "updated": 0, "skipped": 0, "failed": 1,
                                 "error_report": last_json(result)["error_report"]}
    assert "Narnia" in Path(last_json(result)["error_report"]).read_text(encoding="utf-8-sig")
    with customers_app.app_context():
        found = {row.name: (row.country, row.province, row.city, row.website, row.industry,
                            row.created_at.year)  # dates in the importer's zone: other tests
                 for row in get_session().scalars(select(Customer))}
    assert found == {
        "Huayu Tech": ("CN", "浙江省", "Ningbo", "http://huayu.cn", "Software", 2023),
        "Acme Inc": ("US", "CA", "San Francisco", "http://acme.com", "Retail", 2022),
        "Müller GmbH": ("DE", "", "Berlin", "http://mueller.de", "", 2021)}


def test_words_after_a_phone_number_go_to_the_notes_and_service_numbers_import(
        customers_app, tmp_path):
    path = tmp_path / "phones.csv"
    path.write_text("客户名称,联系电话,备注\n"
                    "甲公司,13912345678（微信同号）/400-800-8888,老客户\n"
                    "乙公司,86-13812345678 (张总),\n"
                    "丙公司,138 0000 2222（李）、0571-88886666转8001,\n", encoding="utf-8")
    result = run(customers_app, path, "--json")
    assert last_json(result)["created"] == 3, result.output
    with customers_app.app_context():
        found = {customer.name: (customer.phones, customer.notes)
                 for customer in get_session().scalars(select(Customer))}
    assert found == {
        "甲公司": (["+8613912345678", "+864008008888"], "老客户\n13912345678：微信同号"),
        "乙公司": (["+8613812345678"], "86-13812345678：张总"),
        "丙公司": (["+8613800002222", "+8657188886666;ext=8001"], "138 0000 2222：李")}
    # An update leaves the notes alone unless the file has a notes column.
    again = tmp_path / "again.csv"
    again.write_text("客户名称,客户编码,联系电话\n乙公司,C000002,13812345678（王总）\n",
                     encoding="utf-8")
    result = run(customers_app, again, "--json", "--mode", "upsert")
    assert last_json(result)["failed"] == 0, result.output
    with customers_app.app_context():
        assert get_session().scalar(select(Customer.notes).where(
            Customer.name == "乙公司")) == "86-13812345678：张总"


@pytest.mark.timeout(60)
def test_phone_and_date_cells_padded_with_spaces_are_refused_in_seconds(customers_app,
                                                                        tmp_path):
    # Looking for words after a number, or for a time after a date, once backtracked over
    # every run of spaces: a cell of 32,000 spaces took 10-25 s, a file of twenty such rows
    # minutes of a worker.
    path = tmp_path / "padded.csv"
    phone, date = "13912345678" + " " * 32_000 + "x", "2021-03-05" + " " * 32_000 + "x"
    path.write_text("客户名称,电话,创建时间\n" + "".join(
        f"客户{number},{phone if number % 2 else '13912345678'},{date}\n"
        for number in range(20)), encoding="utf-8")
    result = run(customers_app, path, "--json")
    assert (last_json(result)["created"], last_json(result)["failed"]) == (0, 20)


def test_statuses_in_other_words_become_the_statuses_the_platform_knows(customers_app,
                                                                         tmp_path):
    path = tmp_path / "statuses.csv"
    path.write_text("客户名称,客户状态\n甲,潜在客户\n乙,Prospect\n丙,已流失\n丁,正常\n戊,休眠\n"
                    "己,active\n庚,待审核\n", encoding="utf-8")
    result = run(customers_app, path, "--json")
    assert last_json(result)["created"] == 7, result.output
    with customers_app.app_context():
        statuses = dict(get_session().execute(select(Customer.name, Customer.status)).all())
    assert statuses == {"甲": "prospect", "乙": "prospect", "丙": "lost", "丁": "active",
                        "戊": "inactive", "己": "active", "庚": "待审核"}  # unknown: as typed


def test_an_excel_97_2003_export_imports_from_its_sheet_of_customers(customers_app):
    export = Path(__file__).parents[2] / "core" / "files" / "old-system-export.xls"
    result = run(customers_app, export, "--json")
    assert last_json(result) == {"created": 2, "updated": 0, "skipped": 1, "failed": 0,
                                 "error_report": None}, result.output
    with customers_app.app_context():
        found = {customer.name: (customer.kind, customer.province, customer.city,
                                 customer.phones)
                 for customer in get_session().scalars(select(Customer))}
    assert found == {"北京华宇科技有限公司": ("company", "北京市", "北京市", ["+8613812345678"]),
                     "王晓燕": ("person", "浙江省", "宁波市", ["+8613912345678"])}


@pytest.mark.parametrize("database", DATABASES)
def test_a_creation_date_of_another_system_dates_new_customers_in_the_importers_zone(
        crm_make_app, database, tmp_path):
    customers_app = crm_make_app(plugins=["customers"], database=database)
    path = tmp_path / "created.csv"
    path.write_text("客户名称,创建时间\n甲,2021-03-05\n乙,2021/3/5 14:30\n丙,2021年3月5日\n"
                    "丁,2021-03-05T08:00:00+00:00\n戊,2021-02-30\n己,2099-01-01\n庚,上周\n",
                    encoding="utf-8")
    result = run(customers_app, path, "--json")
    assert (last_json(result)["created"], last_json(result)["failed"]) == (4, 3)
    with open(last_json(result)["error_report"], encoding="utf-8-sig") as handle:
        reasons = handle.read()
    assert "2021-02-30 is no day of the calendar." in reasons
    assert "before 1900 or after today" in reasons and "Write the date as 2021-03-05" in reasons
    with customers_app.app_context():
        found = {customer.name: (customer.created_at.astimezone(dt.UTC), customer.updated_at)
                 for customer in get_session().scalars(select(Customer))}
    midnight_shanghai = dt.datetime(2021, 3, 4, 16, 0, tzinfo=dt.UTC)  # no zone chosen
    assert {name: created for name, (created, _updated) in found.items()} == {
        "甲": midnight_shanghai, "乙": dt.datetime(2021, 3, 5, 6, 30, tzinfo=dt.UTC),
        "丙": midnight_shanghai, "丁": dt.datetime(2021, 3, 5, 8, 0, tzinfo=dt.UTC)}
    # changed (imported) now: the list, newest changes first, still shows them first
    assert all(updated.year == dt.datetime.now(dt.UTC).year for _c, updated in found.values())
    again = tmp_path / "again.csv"
    for created in ("2020-01-01", "2019-06-01"):  # an upsert keeps the customer's own date
        again.write_text(f"客户编号,客户名称,创建时间\nK1,辛,{created}\n", encoding="utf-8")
        run(customers_app, again, "--mode", "upsert", "--key", "code")
    with customers_app.app_context():
        kept = get_session().scalar(select(Customer).where(Customer.code == "K1"))
        assert kept.created_at.astimezone(dt.UTC).date() == dt.date(2019, 12, 31)  # 2020-01-01
