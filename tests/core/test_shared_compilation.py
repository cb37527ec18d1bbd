"""Apps of one process share compiled URL builders and templates (crm_core/routing.py,
crm_core/ui/templating.py), and what is shared never changes what an app answers."""

from __future__ import annotations

from jinja2 import DictLoader, Environment
from werkzeug.routing import Map

from crm_core.routing import SharedBuilderRule
from crm_core.ui.templating import SharedTemplateCode


def _adapter(*rules: SharedBuilderRule) -> object:
    return Map(list(rules)).bind("crm.example", "/")


def test_rules_alike_share_a_builder_and_build_what_werkzeug_builds():
    first = _adapter(SharedBuilderRule("/orders/<int:order_id>/lines", endpoint="lines"))
    second = _adapter(SharedBuilderRule("/orders/<int:order_id>/lines", endpoint="lines"))
    assert first.build("lines", {"order_id": 7}) == "/orders/7/lines"
    assert second.build("lines", {"order_id": 8, "page": 2}) == "/orders/8/lines?page=2"
    rule_one = next(iter(first.map.iter_rules()))
    rule_two = next(iter(second.map.iter_rules()))
    assert rule_one._build.__func__ is rule_two._build.__func__


def test_a_default_or_another_rule_gets_its_own_builder():
    plain = _adapter(SharedBuilderRule("/list/<int:page>", endpoint="list"))
    defaulted = _adapter(SharedBuilderRule("/list/", defaults={"page": 1}, endpoint="list"),
                         SharedBuilderRule("/list/<int:page>", endpoint="list"))
    other_default = _adapter(SharedBuilderRule("/list/", defaults={"page": 3},
                                               endpoint="list"),
                             SharedBuilderRule("/list/<int:page>", endpoint="list"))
    assert plain.build("list", {"page": 1}) == "/list/1"
    assert defaulted.build("list", {"page": 1}) == "/list/"
    assert defaulted.build("list", {"page": 2}) == "/list/2"
    assert other_default.build("list", {"page": 3}) == "/list/"
    assert other_default.build("list", {"page": 1}) == "/list/1"


def test_every_route_of_a_second_app_builds_the_same_urls(crm_make_app):
    first, second = crm_make_app(), crm_make_app()
    built = []
    for app in (first, second):
        with app.test_request_context():
            urls = {}
            for rule in app.url_map.iter_rules():
                values = {name: 1 for name in rule.arguments}
                urls[rule.endpoint, rule.rule] = rule.build(values, append_unknown=False)
            built.append(urls)
    assert built[0] == built[1]
    assert len(built[0]) > 300


def _environment(cache: SharedTemplateCode, source: str) -> Environment:
    return Environment(loader=DictLoader({"greeting.html": source}), bytecode_cache=cache)


def test_a_template_compiled_by_one_app_is_reused_and_an_edit_is_seen():
    cache = SharedTemplateCode()
    first = _environment(cache, "你好，{{ name }}")
    assert first.get_template("greeting.html").render(name="王晓燕") == "你好，王晓燕"
    compiled = dict(cache._codes)
    assert len(compiled) == 1

    second = _environment(cache, "你好，{{ name }}")
    assert second.get_template("greeting.html").render(name="李建国") == "你好，李建国"
    assert cache._codes == compiled  # found, not compiled again

    edited = _environment(cache, "您好，{{ name }}！")
    assert edited.get_template("greeting.html").render(name="李建国") == "您好，李建国！"


def test_environments_with_other_settings_do_not_share_code():
    cache = SharedTemplateCode()
    escaping = Environment(loader=DictLoader({"t.html": "{{ text }}"}), autoescape=True,
                           bytecode_cache=cache)
    plain = Environment(loader=DictLoader({"t.html": "{{ text }}"}), autoescape=False,
                        bytecode_cache=cache)
    assert escaping.get_template("t.html").render(text="<b>") == "&lt;b&gt;"
    assert plain.get_template("t.html").render(text="<b>") == "<b>"
