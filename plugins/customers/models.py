"""The customers plugin's tables: customers, their phones, emails, types, tags, contacts and
contact records.

Money is stored as integer minor units (fen, cents) in ``BigInteger`` columns: SQLite's
``NUMERIC`` would keep it as a float. Phones (E.164) and emails (lower case) live in child
tables, one row per value, so duplicate checks and the later search look them up by index on
SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm_core.toolkit import (
    DataScope,
    EncryptedString,
    Model,
    ScopeThrough,
    TimestampMixin,
    custom_column,
    utcnow,
)

from .identity import bank_account_key, id_card_key

# Made by customers_0003_search and kept by search.py, outside the ORM (FTS5 tables and
# their shadow tables on SQLite; the search documents on PostgreSQL).
__unmanaged_tables__ = ("customers_search_fts*", "customers_search_bigram*",
                        "customers_search_doc")

CUSTOMER_KINDS = ("company", "person")
RECORD_KINDS = ("call", "visit", "email", "meeting", "other")
MINOR_UNITS = 100  # fen per yuan, cents per dollar
#: The customer statuses the platform knows and how pages name them (a status typed in that
#: is not one of these shows as typed).
STATUS_LABELS = {"active": _l("Active"), "prospect": _l("Prospect"),
                 "inactive": _l("Inactive"), "lost": _l("Lost")}


class CustomerType(TimestampMixin, Model):
    """A class of customer an administrator defines (key account, distributor, ...)."""

    __tablename__ = "customers_customer_type"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)


class Customer(TimestampMixin, Model):
    """A company or a person the organisation sells to; scoped by owner and department.

    ``total_amount`` is in minor units (fen): 1234 means 12.34. ``deleted_at`` set means the
    customer is in the trash and can be restored.
    """

    __tablename__ = "customers_customer"
    __data_scope__ = DataScope(kind="customers.customer")
    # How the operation log names the columns and values of a change (kernel audit.display).
    __audit_label__ = _l("Customer")
    __audit_labels__ = {
        "code": _l("Code"), "kind": _l("Kind"), "customer_type_id": _l("Type"),
        "industry": _l("Industry"), "province": _l("Province"), "city": _l("City"),
        "country": _l("Country"), "source": _l("Source"), "level": _l("Level"),
        "address": _l("Address"), "website": _l("Website"),
        "uscc": _l("Unified social credit code"), "total_amount": _l("Total amount"),
        "last_contact_at": _l("Last contact"), "follow_up_on": _l("Next follow-up"),
        "follow_up_by": _l("Follow-up by"), "name_key": _l("Name for duplicate checks"),
        "pinyin_key": _l("Pinyin"), "import_id": _l("Import"),
        "id_card_number": _l("ID card number"), "bank_name": _l("Bank"),
        "bank_account": _l("Bank account"),
        "id_card_number_bidx": _l("ID card number (search key)"),
        "bank_account_bidx": _l("Bank account (search key)")}
    # encrypted values must not reach the operation log in plain text
    __audit_sensitive__ = ("id_card_number", "id_card_number_bidx", "bank_name",
                           "bank_account", "bank_account_bidx")
    __audit_choices__ = {"status": STATUS_LABELS,
                         "kind": {"company": _l("Company"), "person": _l("Person")}}
    __table_args__ = (
        CheckConstraint("kind IN ('company', 'person')", name="kind"),
        Index("ix_customers_customer_owner_id_id", "owner_id", "id"),
        Index("ix_customers_customer_department_id_id", "department_id", "id"),
        Index("ix_customers_customer_updated_at_id", "updated_at", "id"),
        Index("ix_customers_customer_created_at_id", "created_at", "id"),
        Index("ix_customers_customer_name_id", "name", "id"),
        Index("ix_customers_customer_total_amount_id", "total_amount", "id"),
        Index("ix_customers_customer_last_contact_at_id", "last_contact_at", "id"),
        Index("ix_customers_customer_owner_id_follow_up_on", "owner_id", "follow_up_on"),
        # the lists people use, filter and order in one index range (customers_0009): a
        # rep's own customers newest first; an industry in a province, by amount (and,
        # by its first column, any list filtered by industry: customers_0010)
        Index("ix_customers_customer_owner_id_updated_at_id", "owner_id", "updated_at", "id"),
        Index("ix_customers_customer_industry_province_total_amount_id", "industry",
              "province", "total_amount", "id"),
        Index("ix_customers_customer_follow_up_by_follow_up_on", "follow_up_by",
              "follow_up_on"),
        # Only the trash: an index on every row's NULL would tempt the planner (before ANALYZE)
        # to read the whole table through it for "not in the trash".
        Index("ix_customers_customer_trash", "deleted_at", "id",
              sqlite_where=text("deleted_at IS NOT NULL"),
              postgresql_where=text("deleted_at IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str | None] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="company")
    customer_type_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers_customer_type.id", ondelete="SET NULL"), index=True)
    industry: Mapped[str] = mapped_column(String(100), default="")
    province: Mapped[str] = mapped_column(String(50), default="")
    city: Mapped[str] = mapped_column(String(50), default="")
    country: Mapped[str] = mapped_column(String(2), default="CN")
    source: Mapped[str] = mapped_column(String(50), default="")
    level: Mapped[str] = mapped_column(String(20), default="")
    status: Mapped[str] = mapped_column(String(20), default="active")
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL"))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_department.id", ondelete="SET NULL"))
    address: Mapped[str] = mapped_column(String(300), default="")
    website: Mapped[str] = mapped_column(String(200), default="")
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    # Encrypted at rest (toolkit.EncryptedString), found by exact value through the blind
    # indexes beside them (identity.py; docs/customers.md, "ID card and bank account").
    id_card_number: Mapped[str | None] = mapped_column(EncryptedString(
        "customers.id_card_number", blind_index="id_card_number_bidx", normalise=id_card_key))
    id_card_number_bidx: Mapped[str | None] = mapped_column(String(64), index=True)
    bank_name: Mapped[str | None] = mapped_column(EncryptedString("customers.bank_name"))
    bank_account: Mapped[str | None] = mapped_column(EncryptedString(
        "customers.bank_account", blind_index="bank_account_bidx", normalise=bank_account_key))
    bank_account_bidx: Mapped[str | None] = mapped_column(String(64), index=True)
    total_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    last_contact_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # The open follow-up: the newest contact record's next-follow-up date and its author,
    # maintained by the services so "my follow-ups" is an index seek, not a scan of records.
    follow_up_on: Mapped[dt.date | None] = mapped_column(Date)
    follow_up_by: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL"))
    notes: Mapped[str] = mapped_column(Text, default="")
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # Maintained from ``name`` by the services (names.name_key / names.pinyin) for the
    # duplicate checks; never typed in.
    name_key: Mapped[str] = mapped_column(String(200), default="", index=True)
    pinyin_key: Mapped[str] = mapped_column(String(400), default="", index=True)
    # The kernel's import that created the customer (None when typed in); undoing it moves
    # them to the trash.
    import_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_import.id", ondelete="SET NULL"), index=True)
    # Values of the custom fields an administrator defines (customers_0013; kernel
    # custom_fields): filtered lists keep their usual order through each field's index.
    custom: Mapped[dict[str, Any] | None] = custom_column(
        "customers.customer", label=_l("Customers"), index_with=("updated_at", "id"),
        api_path="/api/v1/customers")

    phone_rows: Mapped[list[CustomerPhone]] = relationship(
        order_by="CustomerPhone.position", cascade="all, delete-orphan",
        passive_deletes=True, lazy="selectin")
    email_rows: Mapped[list[CustomerEmail]] = relationship(
        order_by="CustomerEmail.position", cascade="all, delete-orphan",
        passive_deletes=True, lazy="selectin")

    @property
    def phones(self) -> list[str]:
        """The customer's phone numbers (E.164), first one first."""
        return [row.number for row in self.phone_rows]

    @property
    def emails(self) -> list[str]:
        """The customer's email addresses (lower case), first one first."""
        return [row.email for row in self.email_rows]

    @property
    def total_amount_decimal(self) -> Decimal:
        """``total_amount`` in major units, exactly (``Decimal("12.34")``)."""
        return Decimal(self.total_amount or 0) / MINOR_UNITS

    @property
    def in_trash(self) -> bool:
        """Whether the customer was deleted (and can be restored)."""
        return self.deleted_at is not None


class CustomerPhone(Model):
    """One phone number of a customer, normalised to E.164 (``;ext=`` for an extension)."""

    __tablename__ = "customers_customer_phone"
    __audit_labels__ = {
        "customer_id": _l("Customer"), "number": _l("Phone"), "position": _l("Position")}

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers_customer.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(40), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class CustomerEmail(Model):
    """One email address of a customer, in lower case."""

    __tablename__ = "customers_customer_email"
    __audit_labels__ = {
        "customer_id": _l("Customer"), "email": _l("Email"), "position": _l("Position")}

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers_customer.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Tag(TimestampMixin, Model):
    """A label with a colour that users put on customers."""

    __tablename__ = "customers_tag"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    colour: Mapped[str] = mapped_column(String(7), default="#6c757d")


class CustomerTag(Model):
    """A tag on a customer."""

    __tablename__ = "customers_customer_tag"
    __audit_labels__ = {"customer_id": _l("Customer"), "tag_id": _l("Tag")}
    __table_args__ = (Index("ix_customers_customer_tag_tag_id_customer_id",
                            "tag_id", "customer_id"),)

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers_customer.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(
        ForeignKey("customers_tag.id", ondelete="CASCADE"), primary_key=True)


class Contact(TimestampMixin, Model):
    """A person at a (company) customer: name, title, phones (E.164) and email."""

    __tablename__ = "customers_contact"
    # In a user's scope when its customer is (and gone with a customer in the trash).
    __data_scope__ = ScopeThrough("customer_id", Customer, parent_deleted="deleted_at")
    __table_args__ = (Index("ix_customers_contact_name_id", "name", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers_customer.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(100), default="")
    phones: Mapped[list[str]] = mapped_column(JSON, default=list)
    email: Mapped[str] = mapped_column(String(254), default="")
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    # custom fields an administrator defines (kernel custom_fields; customers migration)
    custom: Mapped[dict[str, Any] | None] = custom_column(
        "customers.contact", label=_l("Contacts"))


class ContactRecord(TimestampMixin, Model):
    """One contact with a customer (联系记录): a call, visit, email, meeting or other."""

    __tablename__ = "customers_contact_record"
    # Its log entries follow the customer (not the author's or the contact's scope).
    __audit_scope__ = ("customer_id", "customers_customer")
    __audit_label__ = _l("Contact record")
    __audit_labels__ = {"customer_id": _l("Customer"), "contact_id": _l("Contact"),
                        "content": _l("What was said"), "occurred_at": _l("When"),
                        "user_id": _l("Recorded by"), "next_follow_up": _l("Next follow-up")}
    __audit_choices__ = {"kind": {"call": _l("Call"), "visit": _l("Visit"),
                                  "email": _l("Email"), "meeting": _l("Meeting"),
                                  "other": _l("Other")}}
    __table_args__ = (
        CheckConstraint("kind IN ('call', 'visit', 'email', 'meeting', 'other')",
                        name="kind"),
        Index("ix_customers_contact_record_customer_id_occurred_at",
              "customer_id", "occurred_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers_customer.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers_contact.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="call")
    content: Mapped[str] = mapped_column(Text, default="")
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL"), index=True)
    next_follow_up: Mapped[dt.date | None] = mapped_column(Date, index=True)


class Segment(TimestampMixin, Model):
    """A saved list filter ("segment"): private to its owner, or shared with everyone.

    ``filters`` holds the list page's query arguments (``{"industry": "...", "tag": [1]}``),
    the same ones ``services.list_customers`` takes; marketing targets segments.
    """

    __tablename__ = "customers_segment"
    __audit_labels__ = {"shared": _l("Shared"), "filters": _l("Filters")}
    __table_args__ = (UniqueConstraint("owner_id", "name",
                                       name="uq_customers_segment_owner_id_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    owner_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"),
                                          index=True)
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AmountBand(Model):
    """A transaction-amount band an administrator sets: customers whose ``total_amount`` is
    at least ``min_amount`` (minor units) and below the next band's fall in it."""

    __tablename__ = "customers_amount_band"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    min_amount: Mapped[int] = mapped_column(BigInteger, unique=True)


class CustomerStat(Model):
    """A precomputed count of customers per (dimension, bucket, owner, department).

    Refreshed by a periodic job (and after imports and bulk actions) so the dashboard widgets
    never scan the customer table; rows carry owner and department so the widgets still
    count only what the viewer may see. ``dimension`` is industry, region, band, type, level
    or month; ``bucket`` its value ("" for none).
    """

    __tablename__ = "customers_stat"
    __audit__ = False  # derived counts, rebuilt from the customers; nothing to account for
    __data_scope__ = DataScope(kind="customers.customer")
    __table_args__ = (Index("ix_customers_stat_dimension_bucket", "dimension", "bucket"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dimension: Mapped[str] = mapped_column(String(20))
    bucket: Mapped[str] = mapped_column(String(100), default="")
    owner_id: Mapped[int | None] = mapped_column(Integer)
    department_id: Mapped[int | None] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer, default=0)
    amount: Mapped[int] = mapped_column(BigInteger, default=0)
    refreshed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CustomerFlag(Model):
    """A flag another plugin raises on a customer until it clears it (an open complaint, an
    overdue payment): ``kind`` is ``<plugin>.<name>`` (labelled through the hook
    ``crm_customer_flag_kinds``), ``reference`` what raised it (a request number). Raised again
    after it was cleared, the same row opens again."""

    __tablename__ = "customers_customer_flag"
    __data_scope__ = ScopeThrough("customer_id", Customer, parent_deleted="deleted_at")
    __audit_label__ = _l("Customer flag")
    __audit_labels__ = {"customer_id": _l("Customer"),
                        "kind": _l("Kind"), "reference": _l("Reference"), "note": _l("Note"),
                        "raised_at": _l("Raised"), "cleared_at": _l("Cleared")}
    __table_args__ = (UniqueConstraint("customer_id", "kind", "reference",
                                       name="uq_customers_customer_flag"),
                      Index("ix_customers_customer_flag_kind_open", "kind", "cleared_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers_customer.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(60))
    reference: Mapped[str] = mapped_column(String(100), default="", server_default="")
    note: Mapped[str] = mapped_column(String(200), default="", server_default="")
    raised_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    cleared_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


MODELS = [CustomerType, Customer, CustomerPhone, CustomerEmail, Tag, CustomerTag, Contact,
          ContactRecord, Segment, AmountBand, CustomerStat, CustomerFlag]
