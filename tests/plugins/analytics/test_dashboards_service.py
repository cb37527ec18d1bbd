"""Dashboards as the service layer keeps them: the owner edits, readers of a dashboard shared
with their role see it (read only) and may copy it, anyone else is told it does not exist;
tiles keep their order and sizes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crm_core.toolkit import model_for_table


def _session(app):
    return app.extensions["crm_db"].new_session()


def _role_id(session, name):
    role = model_for_table("core_role")
    return session.scalar(select(role.id).where(role.name == name))


def test_own_and_role_shared_dashboards_are_listed_and_others_are_not_found(analytics_app,
                                                                          world):
    from plugins.analytics.dashboards import service

    with analytics_app.test_request_context():
        session = _session(analytics_app)
        manager, a1, b1 = (session.merge(world["users"][key]) for key in ("manager", "a1", "b1"))
        board = service.create_dashboard(session, user=manager, name="部门看板")
        private = service.create_dashboard(session, user=manager, name="私人")
        service.share_dashboard(session, dashboard_id=board.id,
                                role_ids=[_role_id(session, "sales")], user=manager)
        session.commit()
        assert [d.name for d in service.user_dashboards(session, manager)][:2] == \
            ["部门看板", "私人"]
        assert board.is_default and not private.is_default
        # other tests of this process may share dashboards with the sales role too
        seen_by_b1 = [d.id for d in service.user_dashboards(session, b1)]
        assert board.id in seen_by_b1 and private.id not in seen_by_b1
        assert service.get_dashboard(session, board.id, a1).id == board.id
        with pytest.raises(service.DashboardNotFound):
            service.get_dashboard(session, private.id, a1)
        with pytest.raises(service.DashboardError) as refused:
            service.add_tile(session, dashboard_id=board.id, kind="report", ref="1", user=a1)
        assert "only its owner" in str(refused.value)

        copy = service.copy_dashboard(session, dashboard_id=board.id, user=a1)
        assert copy.owner_id == a1.id and copy.name == "Copy of 部门看板"
        session.rollback()
        session.close()


def test_tiles_keep_order_and_sizes_and_report_ids_are_listed(analytics_app, world):
    from plugins.analytics.dashboards import service

    with analytics_app.test_request_context():
        session = _session(analytics_app)
        a2 = session.merge(world["users"]["a2"])
        board = service.create_dashboard(session, user=a2, name="我的看板")
        first = service.add_tile(session, dashboard_id=board.id, kind="report", ref="7",
                                 user=a2)
        second = service.add_tile(session, dashboard_id=board.id, kind="report", ref="3",
                                  user=a2)
        again = service.add_tile(session, dashboard_id=board.id, kind="report", ref="7",
                                 user=a2)
        assert service.dashboard_report_ids(session, board.id) == [7, 3]
        service.move_tile(session, dashboard_id=board.id, tile_id=second.id, step=-1, user=a2)
        assert [t.id for t in service.tiles_of(session, board.id)] == \
            [second.id, first.id, again.id]
        service.save_layout(session, dashboard_id=board.id, user=a2, layout=[
            {"id": again.id, "width": 12, "height": "l"},
            {"id": first.id, "width": 4, "height": "s"},
            {"id": second.id, "width": 6, "height": "m"}])
        tiles = service.tiles_of(session, board.id)
        assert [(t.id, t.width, t.height) for t in tiles] == \
            [(again.id, 12, "l"), (first.id, 4, "s"), (second.id, 6, "m")]
        assert service.dashboard_report_ids(session, board.id) == [7, 3]
        with pytest.raises(service.DashboardError):
            service.save_layout(session, dashboard_id=board.id, user=a2,
                                layout=[{"id": again.id, "width": 5, "height": "m"}])
        for bad in (("report", "x"), ("report", "99999999999"), ("chart", "1"),
                    ("widget", "no.such")):
            with pytest.raises(service.DashboardError):
                service.add_tile(session, dashboard_id=board.id, kind=bad[0], ref=bad[1],
                                 user=a2)
        service.remove_tile(session, dashboard_id=board.id, tile_id=second.id, user=a2)
        assert service.dashboard_report_ids(session, board.id) == [7]
        service.delete_dashboard(session, dashboard_id=board.id, user=a2)
        assert service.default_dashboard(session, a2) is None
        session.rollback()
        session.close()
