"""ERP bridge: plugin metadata. Features arrive with this plugin's own issue."""

from crm_core.toolkit import PluginInfo

PLUGIN = PluginInfo(
    name="erp_bridge",
    version="0.1.0",
    title="ERP bridge",
    description="Shares customers, orders and contracts with the enterprise ERP system.",
    requires=("customers",),
)
