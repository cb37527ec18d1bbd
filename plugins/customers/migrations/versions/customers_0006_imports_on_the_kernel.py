"""customer imports move onto the kernel's import tables

Revision ID: a7e31c0d5f62
Revises: 5d7c3a1e9b20 (customers_0005_contact_name_index; 8c4e2b9d51a3 before it)
Create Date: 2026-12-05 00:30:00

Customers are imported through the kernel's generic import now (spec
``customers.customer``). The plugin's own records are copied into the kernel's tables: each
``customers_import`` becomes a ``core_import`` (a new id when the kernel's table has rows
already: the customers' ``import_id`` follows), each ``customers_import_change`` a
``core_import_record`` (``old``/``new``), each ``customers_import_template`` a
``core_import_template``. Then the old tables go and ``customers_customer.import_id`` points
at ``core_import``. The files of old imports stay where they were (their bad-rows file is no
longer offered on the page; their undo works). Downgrade recreates the old tables empty and
clears ``import_id`` (the kernel's rows stay).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'a7e31c0d5f62'
down_revision = '5d7c3a1e9b20'
branch_labels = None
depends_on = '902ff4a9d0f4'  # core_0010: the kernel's import tables

SPEC = "customers.customer"
_old_import = sa.table(
    "customers_import", *(sa.column(name) for name in (
        "id", "user_id", "filename", "stored_path", "encoding", "mode", "key",
        "all_or_nothing", "status", "job_id", "total", "created", "updated", "skipped",
        "failed", "message", "finished_at", "undone_at", "created_at", "updated_at")),
    sa.column("mapping", sa.JSON))
_old_change = sa.table("customers_import_change", sa.column("id"), sa.column("import_id"),
                       sa.column("customer_id"), sa.column("old_values", sa.JSON))
_old_template = sa.table("customers_import_template", sa.column("id"), sa.column("name"),
                         sa.column("owner_id"), sa.column("mapping", sa.JSON),
                         sa.column("created_at"), sa.column("updated_at"))
_import = sa.table(
    "core_import", *(sa.column(name) for name in (
        "id", "spec", "user_id", "filename", "stored_path", "encoding", "mode", "key",
        "all_or_nothing", "create_missing", "status", "job_id", "total", "created",
        "updated", "skipped", "failed", "message", "finished_at", "undone_at", "created_at",
        "updated_at")),
    sa.column("mapping", sa.JSON), sa.column("new_values", sa.JSON))
_record = sa.table("core_import_record", sa.column("import_id"), sa.column("record_id"),
                   sa.column("created"), sa.column("old", sa.JSON), sa.column("new", sa.JSON))
_template = sa.table("core_import_template", sa.column("owner_id"), sa.column("spec"),
                     sa.column("name"), sa.column("mapping", sa.JSON),
                     sa.column("created_at"), sa.column("updated_at"))


#: the three tables are copied into the kernel's import tables by ``_copy`` first
DATA_LOSS_REVIEWED = {
    "customers_import, customers_import_change, customers_import_template":
        "every row is copied into core_import, core_import_record and core_import_template "
        "before the tables are dropped, in the same transaction"}

def _copy(connection: sa.Connection) -> int:
    """Copy the old rows into the kernel's tables; the offset added to the import ids."""
    offset = connection.scalar(sa.select(sa.func.coalesce(sa.func.max(_import.c.id), 0)))
    for row in connection.execute(sa.select(_old_import)).mappings().all():
        mapping = dict(row["mapping"] or {})
        create_missing = mapping.pop("create_missing", True)
        new_values = mapping.pop("new_values", None) or {}
        connection.execute(_import.insert().values(
            id=row["id"] + offset, spec=SPEC, create_missing=bool(create_missing),
            mapping=mapping, new_values=new_values,
            **{name: row[name] for name in (
                "user_id", "filename", "stored_path", "encoding", "mode", "key",
                "all_or_nothing", "status", "job_id", "total", "created", "updated",
                "skipped", "failed", "message", "finished_at", "undone_at", "created_at",
                "updated_at")}))
    changes = connection.execute(sa.select(_old_change).order_by(_old_change.c.id)).all()
    for change in changes:
        stored = change.old_values or {}
        old, new = (stored["old"], stored["new"]) \
            if set(stored) == {"old", "new"} and isinstance(stored["old"], dict) else (stored, {})
        connection.execute(_record.insert().values(
            import_id=change.import_id + offset, record_id=str(change.customer_id),
            created=False, old=old, new=new))
    for template in connection.execute(sa.select(_old_template)).all():
        connection.execute(_template.insert().values(
            owner_id=template.owner_id, spec=SPEC, name=template.name,
            mapping=template.mapping or {}, created_at=template.created_at,
            updated_at=template.updated_at))
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text(
            "SELECT setval(pg_get_serial_sequence('core_import', 'id'), "
            "(SELECT COALESCE(MAX(id), 0) + 1 FROM core_import), false)"))
    return offset


def upgrade() -> None:
    connection = op.get_bind()
    offset = _copy(connection)
    with op.batch_alter_table('customers_customer', schema=None) as batch_op:
        batch_op.drop_constraint('fk_customers_customer_import_id_customers_import',
                                 type_='foreignkey')
    if offset:
        op.execute(sa.text("UPDATE customers_customer SET import_id = import_id + :offset "
                           "WHERE import_id IS NOT NULL").bindparams(offset=offset))
    with op.batch_alter_table('customers_customer', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_customers_customer_import_id_core_import'),
                                    'core_import', ['import_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('customers_import_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customers_import_change_import_id'))
        batch_op.drop_index(batch_op.f('ix_customers_import_change_customer_id'))
    op.drop_table('customers_import_change')
    with op.batch_alter_table('customers_import_template', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customers_import_template_owner_id'))
    op.drop_table('customers_import_template')
    with op.batch_alter_table('customers_import', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customers_import_user_id'))
    op.drop_table('customers_import')


def downgrade() -> None:
    now = sa.text('(CURRENT_TIMESTAMP)')
    op.create_table('customers_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('stored_path', sa.String(length=500), nullable=False),
    sa.Column('encoding', sa.String(length=20), nullable=False),
    sa.Column('mode', sa.String(length=10), nullable=False),
    sa.Column('key', sa.String(length=10), nullable=True),
    sa.Column('all_or_nothing', sa.Boolean(), nullable=False),
    sa.Column('mapping', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('error_report', sa.String(length=500), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('undone_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=now, nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=now, nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], name=op.f('fk_customers_import_user_id_core_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customers_import'))
    )
    with op.batch_alter_table('customers_import', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customers_import_user_id'), ['user_id'], unique=False)
    op.create_table('customers_import_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('mapping', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=now, nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=now, nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['core_user.id'], name=op.f('fk_customers_import_template_owner_id_core_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customers_import_template')),
    sa.UniqueConstraint('owner_id', 'name', name='uq_customers_import_template_owner_id_name')
    )
    with op.batch_alter_table('customers_import_template', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customers_import_template_owner_id'), ['owner_id'], unique=False)
    op.create_table('customers_import_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('old_values', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers_customer.id'], name=op.f('fk_customers_import_change_customer_id_customers_customer'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['import_id'], ['customers_import.id'], name=op.f('fk_customers_import_change_import_id_customers_import'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customers_import_change'))
    )
    with op.batch_alter_table('customers_import_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customers_import_change_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customers_import_change_import_id'), ['import_id'], unique=False)
    with op.batch_alter_table('customers_customer', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_customers_customer_import_id_core_import'),
                                 type_='foreignkey')
    op.execute("UPDATE customers_customer SET import_id = NULL")
    with op.batch_alter_table('customers_customer', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_customers_customer_import_id_customers_import'), 'customers_import', ['import_id'], ['id'], ondelete='SET NULL')
