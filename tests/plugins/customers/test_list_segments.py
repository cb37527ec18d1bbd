"""Segments (saved filters): saved from the list page, private or shared, applied within
each viewer's own scope, deleted only by their owner; filters are checked and stored as
JSON with ISO dates."""

from __future__ import annotations

import datetime as dt

import pytest
from customers_testing import add_customers, add_user, app_session, client_for, csrf, listed

from crm_core.rbac.departments import create_department
from plugins.customers.models import Segment
from plugins.customers.segments import services as segments
from plugins.customers.validation import FieldError


@pytest.fixture
def people(customers_app):
    app = customers_app
    with app_session(app) as session:
        team_a = create_department(session, "Team A").id
        team_b = create_department(session, "Team B").id
        # Sharing a segment is for managers and marketers (customers.segment.share).
        ids = {"sally": add_user(app, session, "sally", ["sales", "manager"], team_a),
               "bob": add_user(app, session, "bob", ["sales"], team_b)}
        add_customers(session, ["A-IT"], industry="IT", owner_id=ids["sally"],
                      department_id=team_a)
        add_customers(session, ["A-Retail"], industry="Retail", owner_id=ids["sally"],
                      department_id=team_a)
        add_customers(session, ["B-IT"], industry="IT", owner_id=ids["bob"],
                      department_id=team_b)
    return ids


def save(client, name, filters_qs, shared=False):
    token = csrf(client.get("/customers/").get_data(as_text=True))
    data = {"csrf_token": token, "name": name, "filters_qs": filters_qs}
    if shared:
        data["shared"] = "y"
    return client.post("/customers/segments", data=data)


def test_segments_are_saved_from_the_list_private_or_shared(customers_app, people):
    sally = client_for(customers_app, people["sally"])
    response = save(sally, "IT this year", "industry=IT&created_from=2026-01-01&sort=name")
    assert response.status_code == 302
    segment_id = int(response.headers["Location"].rsplit("segment=", 1)[1])
    with app_session(customers_app) as session:
        segment = session.get(Segment, segment_id)
        assert segment.filters == {"industry": "IT", "created_from": "2026-01-01"}
        assert segments.segment_filters(segment) == {"industry": "IT",
                                                     "created_from": dt.date(2026, 1, 1)}
    page = sally.get(f"/customers/?segment={segment_id}").get_data(as_text=True)
    assert listed(page) == ["A-IT"]
    assert "IT this year" in page and "Delete segment" in page

    # Private segments are their owner's; shared ones everyone's, within their own scope.
    bob = client_for(customers_app, people["bob"])
    private = int(save(sally, "Mine", "industry=Retail").headers["Location"].rsplit("=")[-1])
    shared = int(save(sally, "All IT", "industry=IT", shared=True).headers["Location"]
                 .rsplit("=")[-1])

    with app_session(customers_app) as session:
        assert [s.name for s in segments.list_segments(session, user=people["bob"])] == [
            "All IT"]
        assert [s.name for s in segments.list_segments(session, user=people["sally"])] == [
            "All IT", "IT this year", "Mine"]
    assert bob.get(f"/customers/?segment={private}").status_code == 404
    page = bob.get(f"/customers/?segment={shared}").get_data(as_text=True)
    assert listed(page) == ["B-IT"]  # the shared criteria, within Bob's own scope
    assert "Delete segment" not in page

    token = csrf(page)
    assert bob.post(f"/customers/segments/{shared}/delete",
                    data={"csrf_token": token}).status_code == 404
    own_token = csrf(sally.get("/customers/").get_data(as_text=True))
    response = sally.post(f"/customers/segments/{shared}/delete",
                          data={"csrf_token": own_token})
    assert response.status_code == 302
    assert bob.get(f"/customers/?segment={shared}").status_code == 404


def test_segment_names_and_filters_are_checked(customers_app, people):
    with app_session(customers_app) as session:
        sally = people["sally"]
        segments.save_segment(session, user=sally, name="Big", filters={"amount_min": "1000"})
        with pytest.raises(FieldError, match="already have a segment named Big"):
            segments.save_segment(session, user=sally, name=" Big ", filters={})
        with pytest.raises(FieldError, match="YYYY-MM-DD"):
            segments.save_segment(session, user=sally, name="Bad", filters={
                "created_to": "31/12/2026"})
        with pytest.raises(Exception, match="Unknown filter: colour"):
            segments.save_segment(session, user=sally, name="Odd", filters={"colour": "red"})
        segment = segments.save_segment(session, user=sally, name="Dated", filters={
            "last_contact_to": dt.date(2026, 3, 1), "tag_id": "4", "city": ""})
        assert segment.filters == {"tag_id": 4, "last_contact_to": "2026-03-01"}
        segments.update_segment(session, segment.id, user=sally, shared=True, name="Renamed")
        assert (segment.name, segment.shared) == ("Renamed", True)
        with pytest.raises(segments.SegmentNotFound):
            segments.update_segment(session, segment.id, user=people["bob"], name="Mine now")

    client = client_for(customers_app, people["sally"])
    bad = save(client, "", "industry=IT")
    assert bad.status_code == 302
    page = client.get(bad.headers["Location"])
    assert "Segment not saved" in page.get_data(as_text=True)
