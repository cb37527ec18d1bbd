"""OA bridge: plugin metadata. Features arrive with this plugin's own issue."""

from crm_core.toolkit import PluginInfo

PLUGIN = PluginInfo(
    name="oa_bridge",
    version="0.1.0",
    title="OA bridge",
    description="Approvals, notices and org structure from the office automation system.",
    requires=(),
)
