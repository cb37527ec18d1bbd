"""Customers: plugin metadata. Features arrive with this plugin's own issue."""

from crm_core.toolkit import PluginInfo

PLUGIN = PluginInfo(
    name="customers",
    version="0.1.0",
    title="Customers",
    description="Customer records, contacts, classification and tags, import and export.",
    requires=(),
)
