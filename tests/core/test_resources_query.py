"""A Resource's reading on its own: the tag filter through a link table, the declaration's
checks, the count on PostgreSQL (the planner's estimate above the cap) and the indexes its
sorts and scope need (``crm resources indexes``)."""

from __future__ import annotations

import pytest
from sqlalchemy import ForeignKey, Index, MetaData, String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from crm_core.rbac.scope import DataScope
from crm_core.resources import Field, Filter, Resource, query
from crm_core.resources.indexes import index_needs


class Base(DeclarativeBase):
    metadata = MetaData()


class Ticket(Base):
    __tablename__ = "desk_ticket"
    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(100))


class Tag(Base):
    __tablename__ = "desk_tag"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))


class TicketTag(Base):
    __tablename__ = "desk_ticket_tag"
    ticket_id: Mapped[int] = mapped_column(ForeignKey("desk_ticket.id"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("desk_tag.id"), primary_key=True)


def tickets() -> Resource:
    resource = Resource(
        model=Ticket, name="tickets", label="Tickets", fields=[Field("subject")],
        filters=[Filter("tag", "tag", through=(TicketTag, "ticket_id", "tag_id"),
                        options=lambda session: session.execute(
                            select(Tag.id, Tag.name)).all())],
        search=["subject"], soft_delete=None)
    resource.plugin = "desk"
    return resource


def test_the_tag_filter_lists_the_records_linked_to_the_tag():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    resource = tickets()
    with Session(engine) as session:
        session.add_all([Ticket(id=1, subject="Printer"), Ticket(id=2, subject="Network"),
                         Ticket(id=3, subject="Printer ink"), Tag(id=7, name="hardware"),
                         TicketTag(ticket_id=1, tag_id=7), TicketTag(ticket_id=3, tag_id=7)])
        session.commit()
        values = query.parse_filters(resource, {"tag": "7"})
        found = query.statement(resource, None, values, "ink", every=True)
        assert [t.subject for t in session.scalars(found)] == ["Printer ink"]
        found = query.statement(resource, None, values, every=True).order_by(Ticket.id)
        assert [t.id for t in session.scalars(found)] == [1, 3]
        assert resource.filters[0].options(session) == [(7, "hardware")]
    with pytest.raises(query.FilterErrors) as refused:
        query.parse_filters(resource, {"tag": "99999999999"})
    assert refused.value.errors == {"tag": ["Not a valid choice."]}


def test_a_declaration_naming_a_missing_column_is_refused_at_once():
    with pytest.raises(ValueError, match="'colour' is not a column of Ticket"):
        Resource(model=Ticket, name="tickets", label="Tickets",
                 fields=[Field("subject"), Field("colour")])
    with pytest.raises(ValueError, match="declared twice"):
        Resource(model=Ticket, name="tickets", label="Tickets",
                 fields=[Field("subject"), Field("subject")])


def test_names_derive_from_the_plugin_and_the_table():
    resource = tickets()
    assert resource.object == "ticket" and resource.id_arg == "ticket_id"
    assert resource.permission("edit") == "desk.ticket.edit"
    assert resource.endpoint == "desk_tickets" and resource.export_task == "export_tickets"
    assert resource.soft_delete is None and resource.list_columns() == ["subject"]


@pytest.mark.postgres
def test_postgresql_counts_exactly_below_the_cap_and_estimates_above(crm_make_app):
    from crm_plugin_example.resources import NOTES
    from resources_world import build

    from crm_core.db import get_session

    app = crm_make_app(plugins=["example"], database="postgresql")
    world = build(app)
    world.add_notes("sally", 30)
    with app.test_request_context():
        session = get_session()
        session.execute(select(1))
        session.connection().exec_driver_sql("ANALYZE example_note")
        found = query.statement(NOTES, world.users["root"].id)
        assert query.count(session, found, cap=1000) == query.Count(30, exact=True)
        estimate = query.count(session, found, cap=5)
        assert estimate.estimated and not estimate.exact and estimate.value >= 5


class Lead(Base):
    """A scoped model that declares the index of one sort and not the other's."""

    __tablename__ = "desk_lead"
    __data_scope__ = DataScope(kind="desk.lead")
    __table_args__ = (Index("ix_desk_lead_name_id", "name", "id"),
                      Index("ix_desk_lead_owner_id_name_id", "owner_id", "name", "id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    stage: Mapped[str] = mapped_column(String(20))
    owner_id: Mapped[int | None] = mapped_column()
    department_id: Mapped[int | None] = mapped_column()


def test_a_scoped_resource_is_told_the_owner_first_indexes_its_sorts_lack():
    leads = Resource(model=Lead, name="leads", label="Leads",
                     fields=[Field("name"), Field("stage")], sorts=["name", "stage"])
    missing = {(need.columns, need.why) for need in index_needs(leads)
               if need.served_by is None}
    assert missing == {(("stage", "id"), "sort by stage"),
                       (("owner_id", "id"), "own records, sort by id"),
                       (("owner_id", "stage", "id"), "own records, sort by stage")}
    served = {need.columns: need.served_by for need in index_needs(leads) if need.served_by}
    assert served == {("name", "id"): "ix_desk_lead_name_id",
                      ("owner_id", "name", "id"): "ix_desk_lead_owner_id_name_id"}


@pytest.mark.crm_plugins("example")
def test_the_example_notes_declare_every_index_their_list_needs(crm_app):
    runner = crm_app.test_cli_runner()
    listed = runner.invoke(args=["resources", "indexes"])
    assert listed.exit_code == 0, listed.output
    assert "(owner_id, priority, id)  own records, sort by priority: ok" in listed.output
    strict = runner.invoke(args=["resources", "indexes", "--missing", "--strict"])
    assert strict.exit_code == 0
    assert strict.output.strip() == "Every resource has the indexes it needs."
