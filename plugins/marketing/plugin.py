"""Marketing: plugin metadata. Features arrive with this plugin's own issue."""

from crm_core.toolkit import PluginInfo

PLUGIN = PluginInfo(
    name="marketing",
    version="0.1.0",
    title="Marketing",
    description="Campaigns targeted by classification and tags, with effect tracking.",
    requires=("customers",),
)
