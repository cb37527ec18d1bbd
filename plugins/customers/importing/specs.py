"""What the customers plugin imports through the kernel's generic machinery
(``crm_import_specs``): customers (``customers.customer``, at ``/imports/customers.customer/``
and ``crm customers import``) and the tag list (``customers.tag``).

The customer spec declares its fields (labels, Chinese and English header spellings), its
keys (code, USCC, first phone, first email) and the relation columns (customer type and
tags, created when missing if the user chooses so; the check lists them), and plugs the
plugin's own rules into the kernel's extension points: the row cleaner (``import_clean``),
the batch check (``import_rows``: keys, code and USCC unique, the trash, scope, likely
duplicates), the writer through the customers' fast paths with their names, search index,
events and operation log (``import_rows``, ``import_write``), and undo and the all-or-nothing
take-back (``import_undo``).
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import CellError, DomainError, ImportField, ImportSpec, Relation, scoped

from ..models import Customer, CustomerType, Tag
from .notes import NOTE_ALIASES, NOTED

__all__ = ["CUSTOMER_SPEC", "FIELDS", "IMPORT_FIELDS", "IMPORT_PERMISSION", "LIST_INDEXES",
           "MULTI_FIELDS", "TAG_SPEC", "import_specs"]

TAG_SPEC = "customers.tag"
CUSTOMER_SPEC = "customers.customer"
IMPORT_PERMISSION = "customers.customer.import"
_COLOUR = re.compile(r"#?([0-9a-fA-F]{6})")

# Customer fields a column can be mapped to, with their labels (the select on the page).
FIELDS: dict[str, Any] = {
    "name": _l("Customer name"), "code": _l("Code"), "kind": _l("Kind (company or person)"),
    "phones": _l("Phones"), "emails": _l("Emails"), "uscc": _l("Unified social credit code"),
    "customer_type": _l("Customer type (by name)"), "industry": _l("Industry"),
    "province": _l("Province"), "city": _l("City"),
    "region": _l("Region (province and city in one column)"),
    "country": _l("Country (code or name)"),
    "address": _l("Address"), "website": _l("Website"), "source": _l("Source"),
    "level": _l("Level"), "status": _l("Status"), "owner": _l("Owner (user name, e-mail or name)"),
    "tags": _l("Tags (comma separated)"), "notes": _l("Notes"),
    "id_card_number": _l("ID card number"), "bank_name": _l("Bank"),
    "bank_account": _l("Bank account"),
    "created_at": _l("Created on (new customers)"),
    "last_contact_at": _l("Last follow-up (new customers)"),
    "follow_up_on": _l("Next follow-up (new customers)"),
    "follow_up_note": _l("Last follow-up: what was said (new customers)"),
}
# Fields several columns may fill (their values are joined); the others take one column.
MULTI_FIELDS = frozenset({"phones", "emails", "tags", "notes"})

# Header spellings, compared after folding width, case, spaces and punctuation.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": ("名称", "客户名称", "公司名称", "客户", "企业名称", "单位名称", "姓名", "客户姓名",
             "客户全称", "公司全称", "企业全称",
             "name", "customer", "customername", "company", "companyname", "accountname"),
    "code": ("编码", "客户编码", "编号", "客户编号", "代码", "code", "customercode", "no",
             "number"),
    "kind": ("类别", "客户类别", "性质", "kind"),
    "phones": ("手机", "手机号", "手机号码", "电话", "联系电话", "电话号码", "座机", "固话",
               "固定电话", "办公电话", "公司电话", "联系方式", "联系人手机", "联系人电话",
               "联系手机", "移动电话", "phone", "phones", "mobile", "tel", "telephone",
               "phonenumber", "mobilephone", "cellphone", "companyphone", "businessphone",
               "officephone", "workphone", "mainphone"),
    "emails": ("邮箱", "电子邮件", "电子邮箱", "邮件", "企业邮箱", "公司邮箱", "邮箱地址",
               "联系人邮箱", "联系邮箱", "email", "emails", "mail", "e-mail", "emailaddress"),
    "uscc": ("统一社会信用代码", "信用代码", "社会信用代码", "uscc", "creditcode"),
    "customer_type": ("类型", "客户类型", "客户分类", "type", "customertype", "accounttype"),
    "industry": ("行业", "所属行业", "行业类别", "客户行业", "行业分类", "industry"),
    "province": ("省份", "省", "省份地区", "省份直辖市", "province", "state", "billingstate",
                 "billingstateprovince", "stateregion", "stateprovince"),
    "city": ("城市", "市", "city", "billingcity"),
    "region": ("所在地区", "地区", "区域", "所在区域", "省市", "所在省市", "省市区", "省/市",
               "省市县", "地域", "region"),
    "country": ("国家", "国家地区", "国别", "country", "countryregion", "billingcountry"),
    "address": ("地址", "详细地址", "联系地址", "公司地址", "客户地址", "通讯地址", "办公地址",
                "address", "billingstreet", "billingaddress"),
    "website": ("网址", "网站", "主页", "官网", "公司网址", "公司官网", "企业网址", "website",
                "url", "homepage", "web", "companydomainname", "domain", "websiteurl"),
    "source": ("来源", "客户来源", "source"),
    "level": ("级别", "客户级别", "等级", "客户等级", "level", "grade", "rating"),
    "status": ("状态", "客户状态", "status"),
    "owner": ("负责人", "销售", "业务员", "所有人", "客户负责人", "客户经理", "销售负责人",
              "归属人", "owner", "salesrep", "accountowner", "companyowner"),
    "tags": ("标签", "客户标签", "tags", "tag", "labels"),
    "notes": NOTE_ALIASES + NOTED,
    "id_card_number": ("身份证号", "身份证号码", "身份证", "证件号码", "idcard", "idcardnumber",
                       "idnumber"),
    "bank_name": ("开户行", "开户银行", "银行", "bank", "bankname"),
    "bank_account": ("银行账号", "账号", "银行账户", "开户账号", "bankaccount", "accountnumber"),
    "created_at": ("创建时间", "创建日期", "录入时间", "录入日期", "建档时间", "建档日期",
                   "添加时间", "createdat", "createddate", "createdon", "datecreated",
                   "createdtime", "createdate"),
    "last_contact_at": ("最后跟进时间", "最近跟进时间", "上次跟进时间", "最后联系时间",
                        "最近联系时间", "上次联系时间", "最后跟进日期", "lastcontact",
                        "lastcontacted", "lastcontactdate", "lastactivitydate"),
    "follow_up_on": ("下次跟进时间", "下次跟进日期", "下次联系时间", "下次联系日期",
                     "下次回访时间", "下次回访日期", "计划跟进时间", "nextfollowup",
                     "nextfollowupdate", "nextcontactdate", "nextactivitydate"),
    "follow_up_note": ("跟进记录", "最后跟进记录", "最近跟进记录", "跟进内容", "最后跟进内容",
                       "跟进情况", "lastfollowup", "lastactivity"),
}


def _by_folded_name(model: type, session: Session, names: list[str]) -> dict[str, Any]:
    """``{name as the file gives it: id}`` of the types or tags named so (case folded)."""
    known = {name.casefold(): found_id for name, found_id in session.execute(
        select(model.name, model.id))}
    return {name: known[name.casefold()] for name in names if name.casefold() in known}


def _creator(kind: str) -> Any:
    def create(session: Session, names: list[str]) -> dict[str, Any]:
        """Create the missing types or tags through the services; one the services refuse
        stays missing (its rows fail, naming it)."""
        from ..records.services import create_customer_type, create_tag

        made: dict[str, Any] = {}
        for name in names:
            if name.casefold() in {done.casefold() for done in made}:
                made[name] = next(value for done, value in made.items()
                                  if done.casefold() == name.casefold())
                continue
            try:
                with session.begin_nested():
                    record = create_customer_type(session, name) if kind == "type" \
                        else create_tag(session, name)
            except DomainError:
                continue
            made[name] = record.id
        return made

    return create


_RELATIONS = {
    "customer_type": Relation(lambda session, names: _by_folded_name(CustomerType, session,
                                                                     names),
                              _creator("type"), noun=_l("customer types"),
                              store_as="customer_type_id"),
    "tags": Relation(lambda session, names: _by_folded_name(Tag, session, names),
                     _creator("tag"), many=True, noun=_l("tags"), store_as="tag_ids"),
}
_KEY_NAMES = {"phones": "phone", "emails": "email"}
# What the import's look-ups and the services' duplicate checks read while a load runs
# (codes and USCCs are unique constraints, phones and e-mails other tables): kept.
_LOOKUP_INDEXES = {"ix_customers_customer_name_key", "ix_customers_customer_import_id",
                   "ix_customers_customer_id_card_number_bidx",
                   "ix_customers_customer_bank_account_bidx"}
#: The list's orders and filters: a large first import builds them after its load
#: (the kernel's ``imports.indexes``; 17 s of 117 at a million rows, 7 s to build).
LIST_INDEXES = tuple(sorted(str(index.name) for index in Customer.__table__.indexes
                            if index.name not in _LOOKUP_INDEXES))
# The customer fields as the kernel declares them: it guesses the mapping from the aliases.
IMPORT_FIELDS = [ImportField(name, label, aliases=_SYNONYMS[name], required=name == "name",
                             multiple=name in MULTI_FIELDS, relation=_RELATIONS.get(name),
                             key_name=_KEY_NAMES.get(name, ""))
                 for name, label in FIELDS.items()]


# The mapping step's own setting: the kind of a row whose kind cell is absent or empty (a
# kind column's value always wins).
_OPTIONS = {"kind": (_l("Kind of rows without one"), [
    ("infer", _l("From the name: a company ending (有限公司, 店 …) or a USCC is a company; "
                 "a 2–4 character Chinese name a person")),
    ("company", _l("Company")), ("person", _l("Person"))])}


def _colour(text: str) -> str:
    match = _COLOUR.fullmatch(text)
    if match is None:
        raise CellError(_l("a colour is written #RRGGBB, such as #0d6efd"))
    return "#" + match[1].lower()


def customer_spec() -> ImportSpec:
    """Customers: keys code, USCC, phone and email; the plugin's cleaner, check, writer
    and undo on the kernel's wizard, jobs and command."""
    from . import rows as import_rows
    from . import undo as import_undo
    from .clean import RowCleaner

    return ImportSpec(
        id=CUSTOMER_SPEC, title=_l("Customers"), model=Customer, fields=IMPORT_FIELDS,
        keys=("code", "uscc", "phone", "email"), permission=IMPORT_PERMISSION,
        export_permission="customers.customer.export", list_endpoint="customers.list",
        list_import_arg="import_id",
        cleaner=RowCleaner, check=import_rows.check_batch, write=import_rows.write_batch,
        unique=("code", "uscc"), undo=import_undo.undo_import,
        take_back=import_undo.take_back, after_run=import_rows.after_run,
        record_created=False, max_mb_setting="CRM_CUSTOMERS_IMPORT_MAX_MB",
        undo_note=_l("%(created)d customers this import created go to the trash (restorable "
                     "from there) and %(updated)d customers get their earlier values back, "
                     "where nobody changed them since."),
        warning_note=_l("%(count)d rows look like duplicates."),
        export=_export, options=_OPTIONS, deferred_indexes=LIST_INDEXES)


def _export(session: Session, user_id: int | None) -> tuple[Any, Any]:
    """The customers the user may see, outside the trash, by keyset on the id: the plain
    columns of the import's fields (the full export is ``crm customers export``)."""
    names = [name for name in FIELDS if name in Customer.__table__.c]
    columns = [Customer.__table__.c[name] for name in names]

    def batches() -> Any:
        last = 0
        while True:
            query = select(Customer.id, *columns).where(
                Customer.id > last, Customer.deleted_at.is_(None)).order_by(Customer.id)
            if user_id is not None:
                query = scoped(query, Customer, user_id)
            rows = session.execute(query.limit(2000)).all()
            if not rows:
                return
            last = rows[-1][0]
            yield [["" if value is None else str(value) for value in row[1:]] for row in rows]

    return [str(FIELDS[name]) for name in names], batches()


def import_specs() -> list[ImportSpec]:
    """Customers (``customers.customer.import``) and the tag list: name (the key) and
    colour; needs ``customers.tag.manage``."""
    return [customer_spec(), ImportSpec(
        id=TAG_SPEC, title=_l("Customer tags"), model=Tag,
        permission="customers.tag.manage", export_permission="customers.tag.manage",
        fields=[ImportField("name", _l("Tag"), aliases=("标签", "标签名", "名称", "tag", "name"),
                            required=True, max_length=50),
                ImportField("colour", _l("Colour"), aliases=("颜色", "color", "colour"),
                            clean=_colour)],
        keys=("name",))]
