"""A campaign's e-mail: checking its subject and HTML when they are saved, and rendering them
for one recipient.

Templates are Jinja run by a ``SandboxedEnvironment``; they may name only the merge fields of
``MERGE_FIELDS`` (``{{ contact_name }}``…), with ``{% if %}`` and a few filters, never loops,
calls or attributes. A syntax error or an unknown field is refused at save with its line
(``TemplateError``, a form error or a 422 naming ``subject`` or ``html``). Rendering fills the
fields (escaped in HTML), inlines the CSS (``css-inline``, never fetching remote sheets),
sanitises the HTML (``nh3``), lets the tracking part rewrite links when it is there, and
makes the plain-text part (``inscriptis``).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

import css_inline
import nh3
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from inscriptis import get_text
from inscriptis.model.config import ParserConfig
from jinja2 import StrictUndefined, TemplateSyntaxError, nodes
from jinja2 import TemplateError as JinjaError
from jinja2.sandbox import SandboxedEnvironment

from crm_core.toolkit import DomainError

#: the merge fields a template may use, and what each holds
MERGE_FIELDS = {
    "contact_name": _l("The contact's name"),
    "customer_name": _l("The customer's (company's) name"),
    "email": _l("The recipient's e-mail address"),
    "campaign_name": _l("The campaign's name"),
    "unsubscribe_url": _l("The recipient's own unsubscribe link"),
}
FILTERS = frozenset({"default", "upper", "lower", "title", "capitalize", "trim", "e",
                     "escape", "truncate"})
_ALLOWED = (nodes.Template, nodes.Output, nodes.TemplateData, nodes.Name, nodes.Const,
            nodes.If, nodes.Not, nodes.And, nodes.Or, nodes.Compare, nodes.Operand,
            nodes.CondExpr, nodes.Filter, nodes.Concat)
#: tags and attributes an HTML e-mail keeps (ammonia's defaults plus layout attributes)
ATTRIBUTES = {"*": {"style", "class", "align", "valign", "width", "height", "bgcolor",
                    "border", "cellpadding", "cellspacing", "dir", "lang", "title"},
              "a": {"href", "name", "target"}, "img": {"src", "alt"},
              "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}
TAGS = nh3.ALLOWED_TAGS | {"center", "font", "span", "div"}
_HTML_ENV = SandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
_TEXT_ENV = SandboxedEnvironment(autoescape=False, undefined=StrictUndefined)
_INLINER = css_inline.CSSInliner(load_remote_stylesheets=False, keep_style_tags=False)
_TEXT_CONFIG = ParserConfig(display_links=True)
SHELL = ('<!doctype html>\n<html><head><meta charset="utf-8"><meta name="viewport" '
         'content="width=device-width, initial-scale=1"></head>\n<body>{body}</body></html>')


class TemplateError(DomainError):
    """A template refused at save (``field``: ``subject`` or ``html``; the message names the
    line)."""

    status = 422

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _fields_text() -> str:
    return ", ".join(MERGE_FIELDS)


def _check_tree(tree: nodes.Template, field: str) -> None:
    for node in tree.find_all(nodes.Node):
        line = getattr(node, "lineno", 1) or 1
        if not isinstance(node, _ALLOWED):
            raise TemplateError(field, _("Line %(line)d: only merge fields, {%% if %%} and "
                                         "simple filters can be used here.", line=line))
        if isinstance(node, nodes.Name) and node.ctx == "load" \
                and node.name not in MERGE_FIELDS:
            raise TemplateError(field, _("Line %(line)d: unknown merge field "
                                         "“%(name)s”. These can be used: %(fields)s.",
                                         line=line, name=node.name, fields=_fields_text()))
        if isinstance(node, nodes.Filter) and node.name not in FILTERS:
            raise TemplateError(field, _("Line %(line)d: unknown filter “%(name)s”.",
                                         line=line, name=node.name))


def check_template(source: str, field: str) -> None:
    """Refuse ``source`` (``TemplateError`` on ``field`` with the line) unless it is a
    template of known merge fields that renders with sample values."""
    env = _TEXT_ENV if field.startswith("subject") else _HTML_ENV
    try:
        tree = env.parse(source)
    except TemplateSyntaxError as error:
        raise TemplateError(field, _("Line %(line)d: %(message)s", line=error.lineno or 1,
                                     message=error.message or "")) from None
    _check_tree(tree, field)
    try:
        env.from_string(source).render(sample_context())
    except (JinjaError, ArithmeticError, TypeError, ValueError) as error:
        raise TemplateError(field, _("The template cannot be rendered: %(error)s",
                                     error=str(error)[:200])) from None


def check_campaign_mail(values: dict[str, Any]) -> None:
    """Check the ``subject`` and ``html`` of ``values`` that are given (a campaign's save)."""
    for field in ("subject", "html"):
        if values.get(field):
            check_template(str(values[field]), field)


def sample_context(**values: str) -> dict[str, str]:
    """Merge values for a preview or a test send (a fictitious recipient unless given)."""
    sample = {"contact_name": "王小明", "customer_name": "华东制造有限公司",
              "email": "wang@example.com", "campaign_name": "", "unsubscribe_url": "#"}
    sample.update({key: value for key, value in values.items() if key in MERGE_FIELDS})
    return sample


@dataclass(frozen=True)
class Compiled:
    """A campaign's templates parsed once for a whole send."""

    subject: Any
    html: Any


def compile_mail(subject: str, html: str) -> Compiled:
    """Parse ``subject`` and ``html`` (checked first)."""
    check_template(subject, "subject")
    check_template(html, "html")
    return Compiled(_TEXT_ENV.from_string(subject), _HTML_ENV.from_string(html))


def clean_html(html: str) -> str:
    """``html`` with its CSS inlined and everything unsafe removed (scripts, event handlers,
    forms, ``javascript:`` links), in a minimal document."""
    try:
        inlined = _INLINER.inline(html)
    except (css_inline.InlineError, ValueError):  # broken CSS: keep the unstyled HTML
        inlined = html
    body = nh3.clean(inlined, tags=set(TAGS), attributes={
        key: set(value) for key, value in ATTRIBUTES.items()}, link_rel="noopener")
    return SHELL.format(body=body)


def html_to_text(html: str) -> str:
    """The plain-text part of a mail."""
    return get_text(html, _TEXT_CONFIG).strip() + "\n"


def render(compiled: Compiled, context: dict[str, Any], *, campaign_id: int = 0,
           member_id: int = 0, session: Any = None) -> tuple[str, str, str]:
    """``(subject, html, text)`` for one recipient. With a member, links are rewritten by
    the tracking part (``tracking.instrument``, links registered in ``session``) when the
    plugin has it; the unsubscribe link is left as it is."""
    subject = " ".join(compiled.subject.render(context).split())[:200]
    html = clean_html(compiled.html.render(context))
    text = html_to_text(html)
    if member_id:
        html = _instrument(html, campaign_id, member_id, session,
                           str(context.get("unsubscribe_url") or ""))
    return subject, html, text


def _instrument(html: str, campaign_id: int, member_id: int, session: Any,
                unsubscribe_url: str) -> str:
    try:
        from ..tracking.instrument import instrument  # the tracking part, when present
    except ImportError:
        return html
    if unsubscribe_url:
        href = f'href="{escape(unsubscribe_url, quote=True)}"'
        html = html.replace(href, f"data-notrack {href}")
    return str(instrument(html, campaign_id=campaign_id, member_id=member_id,
                          session=session))
