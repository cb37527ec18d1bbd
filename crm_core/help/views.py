"""``/help``: the staff manual inside the app, for any signed-in user, with no network.

``/help/`` lists the pages, ``/help/<id>`` shows one in the user's language with its
contents, ``/help/img/<id>/<name>`` serves the images beside it. Every page's header has a
"?" link (``crm_help_url()``) to the section explaining the page being looked at.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, render_template, request, send_from_directory, url_for

from ..auth.permissions import require_permission
from .pages import HelpPage, help_registry, help_target, page_source, register_pages
from .render import Rendered, read_source, render_markdown

bp = Blueprint("core_help", __name__)
_PAGE_ID = re.compile(r"^[\w.-]{1,120}$")
_TITLE = re.compile(r"^#\s+(.+?)(?:\s*\{#[\w-]+\})?\s*$", re.MULTILINE)


@bp.record_once
def _setup(state: Any) -> None:
    """Collect the help pages when the app is built (a wrong entry stops the start)."""
    register_pages(state.app)


@bp.app_context_processor
def _help_link() -> dict[str, Any]:
    return {"crm_help_url": help_url}


def help_url(endpoint: str | None = None) -> str:
    """The address of the help section for ``endpoint`` (default: the current page's),
    else the manual's contents."""
    target = help_target(endpoint if endpoint is not None else request.endpoint)
    if target is None:
        return url_for("core_help.index")
    page_id, section = target
    return url_for("core_help.page", page_id=page_id, _anchor=section or None)


def _title(page: HelpPage) -> str:
    path = page_source(page)
    if path is None:
        return page.id
    found = _TITLE.search(read_source(path))
    return found.group(1) if found else page.id


def _render(page: HelpPage) -> Rendered:
    path = page_source(page)
    if path is None:
        abort(404)
    by_file = {item.file: item.id for item in help_registry().pages.values()
               if item.folder == page.folder}

    def page_url(file: str, section: str) -> str | None:
        target = by_file.get(file)
        return url_for("core_help.page", page_id=target, _anchor=section or None) \
            if target else None

    def image_url(name: str) -> str:
        return url_for("core_help.image", page_id=page.id, name=name)

    return render_markdown(read_source(path), page_url, image_url)


def _contents() -> list[dict[str, str]]:
    return [{"id": page.id, "title": _title(page),
             "url": url_for("core_help.page", page_id=page.id)}
            for page in help_registry().pages.values()]


@bp.get("/help/")
@require_permission()
def index() -> Any:
    """The manual's contents: every page of the enabled plugins, in order."""
    return render_template("core/help/index.html", pages=_contents())


@bp.get("/help/<page_id>")
@require_permission()
def page(page_id: str) -> Any:
    """One page of the manual in the user's language, with its own contents."""
    found = help_registry().pages.get(page_id) if _PAGE_ID.match(page_id) else None
    if found is None:
        abort(404)
    rendered = _render(found)
    return render_template("core/help/page.html", page=found, rendered=rendered,
                           pages=_contents())


@bp.get("/help/img/<page_id>/<name>")
@require_permission()
def image(page_id: str, name: str) -> Any:
    """An image beside a page (``<folder>/img/<name>``); 404 for any other path."""
    found = help_registry().pages.get(page_id) if _PAGE_ID.match(page_id) else None
    if found is None or not re.fullmatch(r"[\w.-]+\.(png|jpg|jpeg|gif|webp)", name):
        abort(404)
    response = send_from_directory(found.folder / "img", name, max_age=3600)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
