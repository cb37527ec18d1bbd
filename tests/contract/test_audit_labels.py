"""The operation log names every column it shows: each audited model of the built-in plugins
labels its columns (``__audit_labels__``, a column's ``info["label"]`` or its Resource's
fields), so a history never shows a raw column name such as ``resolution_warn_at``."""

from __future__ import annotations

#: Columns every history leaves out or the kernel names itself.
KERNEL_NAMED = {"id", "created_at", "updated_at", "deleted_at", "version"}


def test_every_audited_column_of_the_built_in_plugins_has_a_label(crm_make_app):
    from crm_core.audit.display import table_info
    from crm_core.db import Model

    app = crm_make_app(plugins=["customers", "sales", "service"])
    unlabelled = []
    with app.test_request_context():
        for table in Model.metadata.sorted_tables:
            if not table.name.startswith(("customers_", "sales_", "service_")):
                continue
            model = next((mapper.class_ for mapper in Model.registry.mappers
                          if mapper.local_table is table), None)
            if model is None or getattr(model, "__audit__", True) is False:
                continue
            info = table_info(table.name)
            unlabelled += [f"{table.name}.{column.name}" for column in table.columns
                           if column.name not in KERNEL_NAMED
                           and column.name not in info.labels]
    assert unlabelled == [], "\n".join(unlabelled)
