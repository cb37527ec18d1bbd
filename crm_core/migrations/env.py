"""Alembic environment: runs inside an app built by ``crm_core.migrate.alembic_config``."""

from __future__ import annotations

from alembic import context

from crm_core.db import metadata
from crm_core.migrate import include_object_for

config = context.config
app = config.attributes["app"]


def run_migrations_online() -> None:
    """Run migrations on the app's engine, one transaction per migration."""
    engine = app.extensions["crm_db"].engine
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            include_object=include_object_for(app, config.attributes.get("only_plugin")),
            compare_type=True,
            render_as_batch=connection.dialect.name == "sqlite",
            transaction_per_migration=True,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run_migrations_online()
