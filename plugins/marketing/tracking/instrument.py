"""Making a recipient's rendered mail trackable: click redirects and an open pixel.

``instrument(html, campaign_id=…, member_id=…)`` rewrites every ``http(s)`` ``<a href>`` into
``<base>/m/c/<token>`` and appends a 1×1 ``<img>`` at ``<base>/m/o/<token>.gif``. A token is
signed by the kernel (``sign_link``) and names the campaign, the recipient and, for a click,
the link's *number*; the URL itself stays in ``marketing_link``, so a redirect can only reach a
URL some mail of the campaign contained (never an open redirect). The same URL gets the same
number in every recipient's mail.

An ``<a>`` with the class ``cta`` (or ``data-cta``, which the mail's sanitiser removes unless
it allows it) is a call to action: its first click by a recipient records a response. One
with ``data-notrack`` is left as it is (so is a ``mailto:``, a relative or an overlong
href). The HTML is read with the standard library's HTML tokenizer
(``html.parser``), and only the ``<a>`` start tags it finds are rebuilt, so the rest of the
mail (inlined CSS, comments, conditional comments) is kept byte for byte.
"""

from __future__ import annotations

from html import escape
from html.parser import HTMLParser
from urllib.parse import urlsplit

from flask import current_app, has_request_context, request
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm_core.toolkit import get_session, sign_link

from .models import MAX_URL_LENGTH, TrackedLink

__all__ = ["CLICK_PURPOSE", "OPEN_PURPOSE", "click_path", "instrument", "open_path",
           "register_links", "site_url"]

CLICK_PURPOSE = "marketing.click"
OPEN_PURPOSE = "marketing.open"
#: the class that marks a call to action (as the ``data-cta`` attribute does)
CTA_CLASS = "cta"
_TRIES = 3


class _Tag:
    """One ``<a>`` start tag found in the mail: where it is, what it says."""

    __slots__ = ("attrs", "end", "selfclosing", "start")

    def __init__(self, start: int, end: int, attrs: list[tuple[str, str | None]],
                 selfclosing: bool) -> None:
        self.start, self.end, self.attrs, self.selfclosing = start, end, attrs, selfclosing

    def value(self, name: str) -> str | None:
        return next((value for key, value in self.attrs if key == name), None)

    def has(self, name: str) -> bool:
        return any(key == name for key, _value in self.attrs)


class _Scanner(HTMLParser):
    """Finds the ``<a>`` start tags and the last ``</body>`` with their offsets."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[_Tag] = []
        self.body_end: int | None = None
        self._line_starts = [0]
        for index, char in enumerate(html):
            if char == "\n":
                self._line_starts.append(index + 1)
        self._selfclosing = False

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._line_starts[line - 1] + column

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._selfclosing = True
        self.handle_starttag(tag, attrs)
        self._selfclosing = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "a":
            return
        start = self._offset()
        text = self.get_starttag_text() or ""
        self.links.append(_Tag(start, start + len(text), attrs, self._selfclosing))

    def handle_endtag(self, tag: str) -> None:
        if tag == "body":
            self.body_end = self._offset()


def _trackable(tag: _Tag) -> str | None:
    """The tag's href when it is one to track, else None."""
    href = (tag.value("href") or "").strip()
    if not href or len(href) > MAX_URL_LENGTH or tag.has("data-notrack"):
        return None
    try:
        parts = urlsplit(href)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    if any(char in href for char in "\x00\r\n\t"):
        return None
    return href


def _is_cta(tag: _Tag) -> bool:
    return tag.has("data-cta") or CTA_CLASS in (tag.value("class") or "").split()


def site_url(path: str) -> str:
    """``path`` as a full URL: ``CRM_BASE_URL``, else the request's host, else the path."""
    base = current_app.config.get("CRM_BASE_URL") or (
        request.host_url if has_request_context() else "")
    return (str(base).rstrip("/") + path) if base else path


def click_path(campaign_id: int, member_id: int, number: int) -> str:
    """The path of a click on link ``number`` by recipient ``member_id``."""
    return f"/m/c/{sign_link(CLICK_PURPOSE, [campaign_id, member_id, number])}"


def open_path(campaign_id: int, member_id: int) -> str:
    """The path of recipient ``member_id``'s open pixel."""
    return f"/m/o/{sign_link(OPEN_PURPOSE, [campaign_id, member_id])}.gif"


def register_links(session: Session, campaign_id: int,
                   links: list[tuple[str, bool]]) -> dict[str, int]:
    """Number the campaign's URLs ``links`` ((url, is a call to action) in the mail's order)
    that have none yet; answers every given URL's number. Safe to repeat and to run in two
    workers at once (a clash with another worker's insert retries)."""
    wanted: dict[str, bool] = {}
    for url, cta in links:
        wanted[url] = wanted.get(url, False) or cta
    if not wanted:
        return {}
    for attempt in range(_TRIES + 1):
        known = {row.url: row for row in session.execute(
            select(TrackedLink.url, TrackedLink.number, TrackedLink.is_cta).where(
                TrackedLink.campaign_id == campaign_id,
                TrackedLink.url.in_(list(wanted))))}
        missing = [url for url in wanted if url not in known]
        promote = [known[url].number for url, cta in wanted.items()
                   if cta and url in known and not known[url].is_cta]
        if promote:
            session.execute(update(TrackedLink).where(
                TrackedLink.campaign_id == campaign_id, TrackedLink.number.in_(promote))
                .values(is_cta=True).execution_options(synchronize_session=False))
        if not missing:
            return {url: known[url].number for url in wanted}
        try:
            with session.begin_nested():
                top = session.scalar(select(func.coalesce(func.max(TrackedLink.number), 0))
                                     .where(TrackedLink.campaign_id == campaign_id)) or 0
                for offset, url in enumerate(missing, start=1):
                    session.add(TrackedLink(campaign_id=campaign_id, number=top + offset,
                                            url=url, is_cta=wanted[url]))
                session.flush()
        except IntegrityError:
            if attempt >= _TRIES - 1:
                raise
    raise RuntimeError("the campaign's links could not be numbered")  # not reached


def instrument(html: str, *, campaign_id: int, member_id: int,
               session: Session | None = None) -> str:
    """``html`` (one recipient's rendered mail) with its ``http(s)`` links turned into signed
    click redirects and an open pixel appended (before ``</body>`` when there is one).

    The links are registered for the campaign in ``session`` (default: the app context's);
    the caller's commit keeps them with the mail it queues."""
    scanner = _Scanner(html)
    scanner.feed(html)
    scanner.close()
    found = [(tag, url) for tag in scanner.links if (url := _trackable(tag)) is not None]
    numbers = register_links(session or get_session(), campaign_id,
                             [(url, _is_cta(tag)) for tag, url in found])
    pieces: list[str] = []
    cursor = 0
    for tag, url in found:
        target = escape(site_url(click_path(campaign_id, member_id, numbers[url])), quote=True)
        attrs = "".join(
            f' {key}="{target}"' if key == "href"
            else f" {key}" if value is None else f' {key}="{escape(value, quote=True)}"'
            for key, value in tag.attrs)
        pieces += [html[cursor:tag.start], f"<a{attrs}{' /' if tag.selfclosing else ''}>"]
        cursor = tag.end
    pixel = (f'<img src="{escape(site_url(open_path(campaign_id, member_id)), quote=True)}"'
             ' width="1" height="1" alt="" style="display:block;width:1px;height:1px;'
             'border:0" />')
    at = scanner.body_end if scanner.body_end is not None and scanner.body_end >= cursor \
        else len(html)
    pieces += [html[cursor:at], pixel, html[at:]]
    return "".join(pieces)
