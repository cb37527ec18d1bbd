"""Sales: plugin metadata. Features arrive with this plugin's own issue."""

from crm_core.toolkit import PluginInfo

PLUGIN = PluginInfo(
    name="sales",
    version="0.1.0",
    title="Sales",
    description="Opportunities with stages, orders and contracts.",
    requires=("customers",),
)
