"""SLA policies: the settings page (service.sla.manage)."""
