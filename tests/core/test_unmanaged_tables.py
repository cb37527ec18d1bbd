"""Tables a plugin's migration makes outside the ORM (search indexes, FTS5 virtual tables) are
left alone by ``crm db check`` once the plugin declares them in ``__unmanaged_tables__``; an
undeclared stray table is still reported."""

from __future__ import annotations

from crm_core.testing import invoke_cli

PLUGIN = """
    from sqlalchemy.orm import Mapped, mapped_column

    from crm_core.toolkit import Model, PluginInfo, hookimpl

    PLUGIN = PluginInfo(name="fts", version="0.1.0", title="Fts", requires=())
    # The search index the migration makes with raw SQL (FTS5 adds shadow tables).
    __unmanaged_tables__ = ("fts_index*",)


    class Item(Model):
        __tablename__ = "fts_item"

        id: Mapped[int] = mapped_column(primary_key=True)


    @hookimpl
    def crm_models():
        return [Item]
"""

MIGRATION = """
    import sqlalchemy as sa
    from alembic import op

    revision = "f75000000001"
    down_revision = None
    branch_labels = ("fts",)
    depends_on = "core"


    def upgrade():
        op.create_table("fts_item", sa.Column("id", sa.Integer(), nullable=False),
                        sa.PrimaryKeyConstraint("id", name=op.f("pk_fts_item")))
        op.execute("CREATE VIRTUAL TABLE fts_index USING fts5(body, tokenize='trigram')")
        op.execute("CREATE TABLE fts_stray (id INTEGER PRIMARY KEY)")


    def downgrade():
        op.execute("DROP TABLE fts_stray")
        op.execute("DROP TABLE fts_index")
        op.drop_table("fts_item")
"""


def test_check_ignores_declared_unmanaged_tables_and_reports_undeclared_ones(
        crm_install_plugin, crm_make_app):
    crm_install_plugin("fts", PLUGIN, {"migrations/versions/fts_0001_items.py": MIGRATION})
    app = crm_make_app(plugins=["fts"])

    checked = invoke_cli(app, "db", "check")

    assert checked.exit_code == 1, checked.output
    assert "fts_stray" in checked.output
    # The FTS5 table and its shadow tables (fts_index_data, fts_index_idx...) are declared.
    assert "fts_index" not in checked.output
