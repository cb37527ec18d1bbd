"""ERP adapters: what the sync asks of an ERP, whichever it is (``base.ErpAdapter``), and
the built-in Odoo one. Other plugins add adapters with the ``crm_erp_adapter`` hook."""
