"""Unsubscribe links and headers, and the unsubscribe itself.

Every campaign mail carries ``List-Unsubscribe: <https://…/m/u/<token>>`` (plus a
``mailto:`` when ``CRM_MARKETING_UNSUBSCRIBE_MAILTO`` is set) and ``List-Unsubscribe-Post:
List-Unsubscribe=One-Click`` (RFC 8058). The token is a kernel signed link (purpose
``marketing.unsubscribe``) carrying the member's id: a forged or altered one opens nothing.
Links are made with ``CRM_BASE_URL``; without it, with the address of the request that
started the send, always over https (a mail provider refuses a plain-http one-click link).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import has_request_context, request
from sqlalchemy.orm import Session

from crm_core.toolkit import LinkInvalid, plugin_config, read_link, sign_link

from ..consents import current_consent, record_consent
from ..members import advance
from ..models import Campaign, CampaignMember

PURPOSE = "marketing.unsubscribe"
PATH = "/m/u/"


def site_base() -> str:
    """The site's address for links in mail (no trailing slash)."""
    from flask import current_app

    base = str(current_app.config.get("CRM_BASE_URL") or "").strip().rstrip("/")
    if base:
        return base
    if has_request_context():
        host = urlsplit(request.host_url).netloc
        return f"https://{host}"
    return ""


def unsubscribe_token(member_id: int) -> str:
    """The signed token of member ``member_id``'s unsubscribe link."""
    return sign_link(PURPOSE, [int(member_id)])


def unsubscribe_url(base: str, member_id: int) -> str:
    """The full unsubscribe link of a member (``base``: ``site_base()`` when the send began)."""
    return f"{base}{PATH}{unsubscribe_token(member_id)}"


def unsubscribe_headers(url: str) -> dict[str, str]:
    """The ``List-Unsubscribe`` headers of a mail whose unsubscribe link is ``url``."""
    targets = [f"<{url}>"]
    mailto = str(plugin_config("marketing", "unsubscribe_mailto", "") or "").strip()
    if mailto and "\n" not in mailto and "\r" not in mailto and ">" not in mailto:
        targets.append(f"<mailto:{mailto}?subject=unsubscribe>")
    return {"List-Unsubscribe": ", ".join(targets),
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def member_of_token(session: Session, token: str) -> CampaignMember:
    """The member a token was made for; ``LinkInvalid`` (404) when it is not ours or the
    member is gone."""
    payload: Any = read_link(PURPOSE, token)
    if not isinstance(payload, list) or len(payload) != 1 or not isinstance(payload[0], int) \
            or isinstance(payload[0], bool):
        raise LinkInvalid("This link is not valid.")
    member = session.get(CampaignMember, payload[0])
    if member is None:
        raise LinkInvalid("This link is not valid.")
    return member


def campaign_name(session: Session, member: CampaignMember) -> str:
    """The name of the member's campaign (shown on the unsubscribe page)."""
    campaign = session.get(Campaign, member.campaign_id)
    return campaign.name if campaign is not None else ""


def unsubscribe(session: Session, member: CampaignMember, source: str = "unsubscribe") -> bool:
    """Withdraw the member's address's marketing consent (once: a repeat adds nothing) and
    mark the member unsubscribed; True when consent was withdrawn now."""
    withdrawn = False
    if current_consent(session, member.email) is not False:
        record_consent(session, {"email": member.email, "granted": False, "source": source,
                                 "contact_id": member.contact_id}, None)
        withdrawn = True
    advance(session, [member.id], "unsubscribed")
    session.flush()
    return withdrawn
