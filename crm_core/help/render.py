"""Markdown to safe HTML for the help pages: markdown-it-py (CommonMark and tables, raw
HTML off), then nh3 keeps only the tags and attributes a manual needs.

Headings get ids (an explicit ``## Kanban {#kanban}`` keeps one id in every language, else
one is made from the text), which the contents and the header's "?" links point to. Links
to another page's file (``sales.md#kanban``) and images beside the pages (``../img/x.png``)
are turned into the app's own addresses, so the same files read well on a code host and in
``/help``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

_EXPLICIT_ID = re.compile(r"\s*\{#([A-Za-z][\w-]*)\}\s*$")
_PAGE_LINK = re.compile(r"^(?:\./)?([\w-]+\.md)(?:#([\w-]+))?$")
_IMAGE = re.compile(r"^(?:\.\./|\./)?img/([\w.-]+\.(?:png|jpg|jpeg|gif|webp))$")
_TAGS = {"h1", "h2", "h3", "h4", "p", "a", "img", "ul", "ol", "li", "strong", "em", "code",
         "pre", "blockquote", "table", "thead", "tbody", "tr", "th", "td", "hr", "br", "kbd"}
_ATTRIBUTES = {"*": {"id"}, "a": {"href", "title"}, "img": {"src", "alt", "title"},
               "th": {"scope"}, "ol": {"start"}}


@dataclass
class Rendered:
    """A page as HTML, its title (the first ``#`` heading) and its contents (level, id, text)."""

    title: str
    html: str
    contents: list[tuple[int, str, str]] = field(default_factory=list)


def _slug(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^\w]+", "-", text.lower(), flags=re.UNICODE).strip("-") or "section"
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    return slug


def _number_headings(tokens: list[Token]) -> tuple[str, list[tuple[int, str, str]]]:
    title, contents, taken = "", [], set()
    for index, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        inline = tokens[index + 1]
        text = inline.content
        explicit = _EXPLICIT_ID.search(text)
        if explicit:
            text = text[:explicit.start()]
            inline.content = text
            if inline.children:  # the id follows the last text of the heading
                last = inline.children[-1]
                last.content = _EXPLICIT_ID.sub("", last.content)
        ident = explicit.group(1) if explicit else _slug(text, taken)
        taken.add(ident)
        token.attrSet("id", ident)
        level = int(token.tag[1])
        if level == 1 and not title:
            title = text.strip()
        elif level in (2, 3):
            contents.append((level, ident, text.strip()))
    return title, contents


def _relink(tokens: list[Token], page_url: Callable[[str, str], str | None],
            image_url: Callable[[str], str]) -> None:
    for token in tokens:
        if token.children:
            _relink(token.children, page_url, image_url)
        if token.type == "link_open":
            href = str(token.attrGet("href") or "")
            found = _PAGE_LINK.match(href)
            if found and (target := page_url(found.group(1), found.group(2) or "")):
                token.attrSet("href", target)
        elif token.type == "image":
            found = _IMAGE.match(str(token.attrGet("src") or ""))
            if found:
                token.attrSet("src", image_url(found.group(1)))


def render_markdown(text: str, page_url: Callable[[str, str], str | None],
                    image_url: Callable[[str], str]) -> Rendered:
    """``text`` as sanitised HTML; ``page_url(file, section)`` gives the address of another
    page's file (None: leave the link), ``image_url(name)`` the address of an image."""
    parser = MarkdownIt("commonmark", {"html": False}).enable("table")
    tokens = parser.parse(text)
    title, contents = _number_headings(tokens)
    _relink(tokens, page_url, image_url)
    html = parser.renderer.render(tokens, parser.options, {})
    clean = nh3.clean(html, tags=_TAGS, attributes=_ATTRIBUTES,
                      url_schemes={"http", "https", "mailto"})
    return Rendered(title, clean, contents)


@lru_cache(maxsize=256)
def _read(path: str, mtime: float) -> str:
    return Path(path).read_text(encoding="utf-8")


def read_source(path: Path) -> str:
    """The text of a page's file (cached until the file changes)."""
    return _read(str(path), path.stat().st_mtime)
