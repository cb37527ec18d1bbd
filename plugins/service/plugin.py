"""Customer service: plugin metadata. Features arrive with this plugin's own issue."""

from crm_core.toolkit import PluginInfo

PLUGIN = PluginInfo(
    name="service",
    version="0.1.0",
    title="Customer service",
    description="Inquiries, complaints and suggestions, tickets, satisfaction surveys.",
    requires=("customers",),
)
