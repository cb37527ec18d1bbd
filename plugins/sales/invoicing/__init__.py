"""Invoice requests (开票申请), kept for the ERP bridge to sync."""
