"""A registrant's ticket: the code as a QR code, the signed link of their confirmation page,
and the confirmation e-mail (with the QR code as a PNG attachment and inline in the HTML).

The QR code holds only the ticket code (``ABCD2345``): any phone's camera app reads it, and
the check-in page types it for staff. The confirmation link is a kernel signed link
(``sign_link``) to ``/m/events/ticket/<token>``; it never expires (a ticket is needed on the
day) and shows nothing but the registrant's own ticket.
"""

from __future__ import annotations

import io
from html import escape
from typing import Any

import segno
from flask_babel import gettext as _

from crm_core.toolkit import LinkInvalid, read_link, send_mail, sign_link, utcnow

from .models import Event, Registration

LINK_PURPOSE = "marketing.event_ticket"


def ticket_token(registration: Registration) -> str:
    """The signed token of a registrant's confirmation page."""
    return sign_link(LINK_PURPOSE, {"r": registration.id, "c": registration.code})


def ticket_of(token: str) -> tuple[int, str]:
    """The (registration id, code) a token names; ``LinkInvalid`` when it is not ours."""
    payload = read_link(LINK_PURPOSE, token)
    if not isinstance(payload, dict) or not isinstance(payload.get("r"), int) \
            or not isinstance(payload.get("c"), str):
        raise LinkInvalid(_("This link is not valid."))
    return payload["r"], payload["c"]


def _qr(code: str) -> Any:
    return segno.make(code, error="m", micro=False)


def qr_svg(code: str, scale: int = 8) -> str:
    """The QR code of ``code`` as an inline ``<svg>`` element."""
    return str(_qr(code).svg_inline(scale=scale, border=2, title=code))


def qr_png(code: str, scale: int = 10) -> bytes:
    """The QR code of ``code`` as a PNG image."""
    out = io.BytesIO()
    _qr(code).save(out, kind="png", scale=scale, border=2)
    return out.getvalue()


def send_confirmation(registration: Registration, event: Event, campaign_name: str,
                      url: str, again: bool = False) -> Any:
    """Queue the confirmation e-mail (once per registration; ``again`` once more per day,
    for a person who registers a second time) with the code, the QR code and the link;
    None when the registrant gave no e-mail address."""
    if not registration.email:
        return None
    lines = [_("Hello %(name)s,", name=registration.name),
             _("you are registered for %(event)s.", event=campaign_name)]
    if event.schedule:
        lines.append(_("When: %(when)s", when=event.schedule))
    if event.place:
        lines.append(_("Where: %(place)s", place=event.place))
    lines += [_("Your code: %(code)s", code=registration.code),
              _("Show the QR code (attached) or the code at the entrance. Your ticket:\n%(url)s",
                url=url)]
    text = "\n\n".join(lines)
    link_text = _("Open my ticket")
    html = "".join(f"<p>{escape(line)}</p>" for line in lines[:-1]) + (
        f'<p>{qr_svg(registration.code, scale=6)}</p>'
        f'<p><a href="{escape(url)}">{escape(link_text)}</a></p>')
    key = f"marketing.event_ticket:{registration.id}"
    if again:
        key += f":again:{utcnow().date().isoformat()}"
    return send_mail(registration.email, _("Your registration: %(event)s", event=campaign_name),
                     text, html=html, idempotency_key=key,
                     attachments=[(f"ticket-{registration.code}.png", "image/png",
                                   qr_png(registration.code))])
