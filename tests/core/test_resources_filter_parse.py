"""A range filter with ``parse``: what the user typed becomes the column's value (hours
typed, minutes stored), and whatever ``parse`` refuses is named with its own message."""

from __future__ import annotations

import pytest
from sqlalchemy import Integer, MetaData, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from crm_core.resources import Field, Filter, Resource, query


class Base(DeclarativeBase):
    metadata = MetaData()


class Job(Base):
    __tablename__ = "shop_job"
    id: Mapped[int] = mapped_column(primary_key=True)
    minutes: Mapped[int] = mapped_column(Integer)


def minutes_of(text: str) -> int:
    """``"1.5"`` hours → 90 minutes; anything else is refused."""
    try:
        hours = float(text.replace("h", ""))
    except ValueError:
        raise ValueError("Type hours, such as 1.5h.") from None
    if not 0 <= hours <= 10_000:
        raise ValueError("At most 10,000 hours.")
    return round(hours * 60)


def jobs() -> Resource:
    resource = Resource(model=Job, name="jobs", label="Jobs", fields=[Field("minutes")],
                        filters=[Filter("minutes", "range", "Hours", parse=minutes_of)],
                        soft_delete=None)
    resource.plugin = "shop"
    return resource


def test_the_typed_value_is_converted_before_it_filters():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    resource = jobs()
    with Session(engine) as session:
        session.add_all([Job(id=1, minutes=30), Job(id=2, minutes=90), Job(id=3, minutes=600)])
        session.commit()
        values = query.parse_filters(resource, {"minutes_min": "1.5h", "minutes_max": "2"})
        assert values == {"minutes_min": 90, "minutes_max": 120}
        found = query.statement(resource, None, values, every=True)
        assert [job.id for job in session.scalars(found)] == [2]


def test_what_parse_refuses_is_named_with_its_message():
    with pytest.raises(query.FilterErrors) as refused:
        query.parse_filters(jobs(), {"minutes_min": "soon", "minutes_max": "1e9"})
    assert refused.value.errors == {"minutes_min": ["Type hours, such as 1.5h."],
                                    "minutes_max": ["At most 10,000 hours."]}
