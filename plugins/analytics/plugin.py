"""Analytics: plugin metadata. Features arrive with this plugin's own issue."""

from crm_core.toolkit import PluginInfo

PLUGIN = PluginInfo(
    name="analytics",
    version="0.1.0",
    title="Analytics",
    description="Statistics and charts over customer, transaction and service data.",
    requires=(),
)
