"""The dashboard's "list" widget kind: a plugin returns items (title, url, subtitle, badge) and
the dashboard shows them as a list group of links, or the widget's own empty-state text."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from crm_core.testing import create_test_user, login

DASHBOARD_JS = Path(__file__).resolve().parents[2] / "crm_core" / "static" / "dashboard.js"
TODO_PLUGIN = """
    from crm_core.toolkit import PluginInfo, ReportWidget, hookimpl

    PLUGIN = PluginInfo(name="todo", version="0.1", title="To do")


    @hookimpl
    def crm_report_widgets():
        return [ReportWidget(id="todo.due", title="Due today", kind="list", data=lambda: {
            "items": [{"title": "Call ACME", "url": "/todo/1", "subtitle": "renewal",
                       "badge": "Today"}],
            "empty": "Nothing due."})]
"""


def test_a_list_widget_is_shown_on_the_dashboard_and_served(crm_install_plugin, crm_make_app):
    crm_install_plugin("todo", TODO_PLUGIN)
    app = crm_make_app(plugins=["todo"])
    client = login(app.test_client(), create_test_user(app, "root", superuser=True))
    home = client.get("/").get_data(as_text=True)
    assert 'data-kind="list"' in home and "bi-list-check" in home and "Due today" in home
    widget = client.get("/api/v1/widgets/todo.due").get_json()
    assert widget["kind"] == "list"
    assert widget["data"]["items"][0] == {"title": "Call ACME", "url": "/todo/1",
                                          "subtitle": "renewal", "badge": "Today"}
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "list" in json.dumps(spec["components"]["schemas"]["WidgetOut"])


# dashboard.js run by node against a minimal stand-in of the DOM and fetch: enough to see what
# the script builds for a widget (tag, classes, text, link) without a browser.
HARNESS = r"""
function El(tag) { this.tagName = tag.toUpperCase(); this.children = []; this.attrs = {};
  this.className = ""; this.textContent = ""; this.style = {}; this.dataset = {}; }
El.prototype.appendChild = function (child) { this.children.push(child); return child; };
El.prototype.replaceChildren = function () { this.children = [].slice.call(arguments); };
El.prototype.setAttribute = function (k, v) { this.attrs[k] = String(v); };
El.prototype.getAttribute = function (k) { return this.attrs[k]; };
El.prototype.addEventListener = function () {};
function dump(el) { return { tag: el.tagName, cls: el.className, text: el.textContent,
  href: el.href || null, children: el.children.map(dump) }; }
var widgets = JSON.parse(process.argv[3]);
var root = new El("div");
root.dataset = { msgEmpty: "No data yet." };
var boxes = Object.keys(widgets).map(function (url) {
  var box = new El("div"); box.dataset = { widgetUrl: url, kind: "list" }; return box; });
global.window = global;
global.echarts = {};
global.document = { documentElement: { lang: "en" },
  getElementById: function () { return root; },
  querySelectorAll: function () { return boxes; },
  createElement: function (tag) { return new El(tag); } };
global.fetch = function (url) { return Promise.resolve({ ok: true, json: function () {
  return Promise.resolve({ kind: "list", data: widgets[url] }); } }); };
require(process.argv[2]);
setTimeout(function () { console.log(JSON.stringify(boxes.map(function (box) {
  return { height: box.style.height || null, tree: box.children.map(dump) }; }))); }, 50);
"""


def run_dashboard(tmp_path: Path, widgets: dict[str, dict]) -> list[dict]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    harness = tmp_path / "harness.js"
    harness.write_text(HARNESS)
    done = subprocess.run([node, str(harness), str(DASHBOARD_JS), json.dumps(widgets)],
                          capture_output=True, text=True, timeout=30, check=True)
    return json.loads(done.stdout)


def test_the_script_draws_items_as_links_with_subtitle_and_badge(tmp_path):
    (box,) = run_dashboard(tmp_path, {"/w": {"items": [
        {"title": "Call ACME", "url": "/customers/7", "subtitle": "renewal", "badge": "Today"},
        {"title": "<b>Plain</b>", "subtitle": ""},
        {"title": "Sneaky", "url": "javascript:alert(1)"},
        {"title": "Elsewhere", "url": "//evil.example/x"}]}})
    assert box["height"] == "auto"  # a list is as tall as its rows
    (group,) = box["tree"]
    assert "list-group" in group["cls"]
    first, plain, sneaky, elsewhere = group["children"]
    assert first["tag"] == "A" and first["href"] == "/customers/7"
    text, badge = first["children"]
    assert [part["text"] for part in text["children"]] == ["Call ACME", "renewal"]
    assert "badge" in badge["cls"] and badge["text"] == "Today"
    # no url: not a link; text is text, never HTML; unsafe urls are not linked
    assert plain["tag"] == "DIV" and plain["children"][0]["children"][0]["text"] == "<b>Plain</b>"
    assert len(plain["children"]) == 1 and len(plain["children"][0]["children"]) == 1
    assert sneaky["tag"] == "DIV" and sneaky["href"] is None
    assert elsewhere["tag"] == "DIV"


def test_the_script_shows_the_widgets_own_empty_text(tmp_path):
    own, default = run_dashboard(tmp_path, {"/a": {"items": [], "empty": "Nothing due."},
                                            "/b": {"items": []}})
    assert "Nothing due." in json.dumps(own["tree"])
    assert "No data yet." in json.dumps(default["tree"])
