"""Kernel API endpoints (``/api/v1/me``, tokens, the OpenAPI document) and the token pages."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user

from ..auth.permissions import require_permission
from ..db import get_session
from ..errors import DomainError
from ..rbac.service import user_role_names
from .endpoint import api_endpoint
from .forms import ConfirmForm, TokenForm
from .models import ApiToken
from .openapi import openapi_document
from .pagination import paginate
from .schemas import MeOut, TokenCreatedOut, TokenIn, TokenOut
from .tokens import create_token, revoke_token, tokens_of

bp = Blueprint("core_api", __name__)
MENU_ITEMS: list = []  # the user menu links the token page (core_api.tokens_page)
TOKEN_PERMISSION = "core.token.manage"


# -- the API ------------------------------------------------------------------------------

@api_endpoint(bp, "/api/v1/me", response=MeOut, tags=["account"])
def me() -> dict[str, Any]:
    """Who you are: user name, roles and permissions.

    A superuser is listed with every permission of the enabled plugins.
    """
    user = current_user._get_current_object()
    permissions = (current_app.extensions["crm"].permissions if user.is_superuser
                   else user.permissions)
    return {"username": user.username,
            "roles": user_role_names(get_session(), user.id),
            "permissions": sorted(permissions)}


@api_endpoint(bp, "/api/v1/tokens", permission=TOKEN_PERMISSION, response=TokenOut, page=True,
              tags=["account"])
def list_tokens() -> Any:
    """Your API tokens, newest first (never their secrets)."""
    return paginate(get_session(), tokens_of(current_user.id), descending=True)


@api_endpoint(bp, "/api/v1/tokens", methods=["POST"], permission=TOKEN_PERMISSION,
              body=TokenIn, response=TokenCreatedOut, status=201, tags=["account"])
def create_token_api(body: dict[str, Any]) -> Any:
    """Create an API token for yourself; the answer holds its text, shown this once."""
    session = get_session()
    token, plain = create_token(session, current_user._get_current_object(), body["name"])
    session.commit()
    return _with_text(token, plain)


@api_endpoint(bp, "/api/v1/tokens/<int:token_id>", methods=["DELETE"],
              permission=TOKEN_PERMISSION, status=204, tags=["account"])
def revoke_token_api(token_id: int) -> None:
    """Revoke one of your API tokens; requests with it are refused from now on."""
    session = get_session()
    try:
        revoke_token(session, token_id, user_id=current_user.id)
    except DomainError:
        abort(404)
    session.commit()


@bp.get("/api/v1/openapi.json")
@require_permission()
def openapi_json():  # type: ignore[no-untyped-def]
    """The OpenAPI 3 document of this API (kernel and enabled plugins)."""
    from ..custom_fields.openapi import describe

    app = current_app._get_current_object()
    return jsonify(describe(app, openapi_document(app)))  # custom fields laid in per request


@bp.get("/api/docs")
@require_permission()
def api_docs():  # type: ignore[no-untyped-def]
    """The API reference, browsable (Swagger UI served from this server, no CDN)."""
    return render_template("core/api/docs.html")


def _with_text(token: ApiToken, plain: str) -> dict[str, Any]:
    return {"id": token.id, "name": token.name, "prefix": token.prefix,
            "created_at": token.created_at, "last_used_at": token.last_used_at,
            "revoked_at": token.revoked_at, "token": plain}


# -- the token pages ----------------------------------------------------------------------

@bp.route("/account/tokens", methods=["GET", "POST"])
@require_permission(TOKEN_PERMISSION)
def tokens_page():  # type: ignore[no-untyped-def]
    """Your API tokens: create one (its text shown once) and revoke old ones."""
    session = get_session()
    form = TokenForm()
    created = None
    if form.validate_on_submit():
        try:
            token, plain = create_token(session, current_user._get_current_object(),
                                        form.name.data or "")
        except DomainError as error:
            form.name.errors.append(str(error))
        else:
            session.commit()
            created = {"token": token, "text": plain}
            form = TokenForm(formdata=None)
    page = paginate(session, tokens_of(current_user.id), descending=True)
    return render_template("core/api/tokens.html", form=form, page=page,
                           created=created), 400 if form.errors else 200


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["GET", "POST"])
@require_permission(TOKEN_PERMISSION)
def revoke_page(token_id: int):  # type: ignore[no-untyped-def]
    """Ask, then revoke one of your tokens."""
    session = get_session()
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    form = ConfirmForm()
    if form.validate_on_submit():
        revoke_token(session, token.id, user_id=current_user.id)
        session.commit()
        flash(gettext("The token %(prefix)s was revoked.", prefix=token.prefix), "success")
        return redirect(url_for("core_api.tokens_page"))
    return render_template("core/api/revoke.html", token=token, form=form)
