"""Registering attachment kinds: a kind outside its plugin's name, registered twice or of the
wrong type stops the app at start with the plugin's name; so does a size limit that is not
a positive number."""

from __future__ import annotations

import pytest

from crm_core.errors import ConfigError, RegistryError

GIZMO = """
from crm_core.toolkit import AttachmentKind, PluginInfo, hookimpl

PLUGIN = PluginInfo(name="{name}", version="0.1.0", title="Gizmo")


class Thing:
    pass


@hookimpl
def crm_attachment_kinds():
    return {kinds}
"""


@pytest.mark.parametrize(("name", "kinds", "message"), [
    ("gizmoa", '[AttachmentKind("customers.customer", Thing, "a.view", "a.edit")]',
     "plugin 'gizmoa': attachment kind 'customers.customer' must start with 'gizmoa.'"),
    ("gizmob", '[AttachmentKind("gizmob.thing", Thing, "a", "b"), '
               'AttachmentKind("gizmob.thing", Thing, "a", "b")]',
     "attachment kind 'gizmob.thing' is registered twice"),
    ("gizmoc", '["gizmoc.thing"]', "expected toolkit.AttachmentKind"),
])
def test_a_wrong_kind_stops_the_app_naming_the_plugin(crm_make_app, crm_install_plugin, name,
                                                      kinds, message):
    crm_install_plugin(name, GIZMO.format(name=name, kinds=kinds))
    with pytest.raises(RegistryError, match=name) as refused:
        crm_make_app(plugins=[name], migrate=False)
    assert message in str(refused.value)


def test_a_kind_of_its_own_plugin_is_registered(crm_make_app, crm_install_plugin):
    from crm_core.files.kinds import EXTENSION

    crm_install_plugin("gizmod", GIZMO.format(
        name="gizmod", kinds='[AttachmentKind("gizmod.thing", Thing, "gizmod.view", "e")]'))
    app = crm_make_app(plugins=["gizmod"], migrate=False)
    assert list(app.extensions[EXTENSION]) == ["gizmod.thing"]


@pytest.mark.parametrize("value", ["0", "-3", "lots"])
def test_a_size_limit_that_is_not_a_positive_number_stops_the_app(crm_make_app, value):
    with pytest.raises(ConfigError, match="CRM_MAX_UPLOAD_MB must be a positive number"):
        crm_make_app(plugins=[], migrate=False, CRM_MAX_UPLOAD_MB=value)
