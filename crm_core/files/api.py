"""``/api/v1/attachments``: list, upload (multipart), metadata, download and delete.

Every route looks the record up through its kind's permission and the caller's data scope
(``kinds.record_or_404``): a file of a record the caller may not see answers 404 like a file
that does not exist; seeing it without its kind's edit permission, upload and delete answer
403.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, request
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError

from ..api.endpoint import api_endpoint
from ..api.pagination import Page, paginate
from ..db import get_session
from ..edge.marks import MEGABYTE, upload_limit
from . import kinds, service, storage
from .access import EDIT, VIEW
from .models import Attachment
from .schemas import UPLOAD_BODY, AttachmentOut, AttachmentQuery, UploadFields
from .serving import file_response

bp = Blueprint("core_files_api", __name__)
TAGS = ["attachments"]


def body_limit_mb() -> float:
    """The request body an upload route accepts: twice ``CRM_MAX_UPLOAD_MB`` and a megabyte
    for the form around it, so a file over the limit is told so by name (422 / the form's
    field) rather than refused whole by the edge (413)."""
    return 2 * storage.max_upload_bytes() / MEGABYTE + 1


def openapi(**by_method: dict[str, Any]) -> Any:
    """Add to the OpenAPI operation of a route what ``api_endpoint`` cannot declare (a
    multipart body, a binary answer)."""
    def decorate(view: Any) -> Any:
        view.crm_openapi = by_method
        return view
    return decorate


def visible_attachment(attachment_id: int, *, edit: bool = False) -> Attachment:
    """The attachment if the current user may see its record (404 otherwise); with
    ``edit``, 403 unless they may also change the record's files."""
    attachment = service.find_attachment(get_session(), attachment_id)
    if attachment is None:
        abort(404)
    kinds.record_or_404(attachment.kind, attachment.record_id, edit=edit)
    return attachment


@openapi(GET={"responses": {"404": {"$ref": "#/components/responses/Problem404"}}})
@api_endpoint(bp, "/api/v1/attachments", permission=VIEW, query=AttachmentQuery,
              response=AttachmentOut, page=True, tags=TAGS)
def list_attachments(query: dict[str, Any]) -> Page:
    """The files of one record, newest first.

    404 when the kind is unknown or the record is not one the caller may see.
    """
    kinds.record_or_404(query["kind"], query["record_id"])
    return paginate(get_session(), service.attachments_of(query["kind"], query["record_id"]),
                    descending=True, limit=query["limit"], cursor=query["cursor"])


def upload_fields() -> dict[str, Any]:
    """The upload's ``kind`` and ``record_id`` and its ``file``; 422 naming what is wrong."""
    errors: dict[str, Any] = {}
    try:
        fields = UploadFields().load(request.form)
    except ValidationError as error:
        errors, fields = dict(error.messages), {}  # type: ignore[arg-type]
    upload = request.files.get("file")
    if upload is None:
        errors["file"] = [_("Send the file as the multipart/form-data part 'file'.")]
    if errors:
        raise ValidationError(errors)
    return {**fields, "file": upload}


@openapi(POST={"requestBody": UPLOAD_BODY, "responses": {
    code: {"$ref": f"#/components/responses/Problem{code}"} for code in ("404", "413", "422")}})
@api_endpoint(bp, "/api/v1/attachments", methods=["POST"], permission=EDIT,
              response=AttachmentOut, status=201, tags=TAGS, endpoint="upload")
@upload_limit(body_limit_mb)
def upload() -> Attachment:
    """Attach a file to a record (multipart/form-data: kind, record_id, file).

    The type is sniffed from the bytes. Refused with 422 and the reason under
    `errors.file`: a file over CRM_MAX_UPLOAD_MB, an empty file, programs and scripts
    (Windows, Linux and macOS executables, a shebang, names such as .exe or .js), HTML, SVG
    or XML holding a script, and markup named as another type. Identical bytes are stored
    once. 404 for an unknown kind or a record the caller may not see; 403 without the
    kind's edit permission.
    """
    fields = upload_fields()
    kinds.record_or_404(fields["kind"], fields["record_id"], edit=True)
    session = get_session()
    attachment = service.attach(session, kind=fields["kind"], record_id=fields["record_id"],
                                stream=fields["file"].stream, file_name=fields["file"].filename,
                                user_id=current_user.id)
    session.commit()
    return attachment


@api_endpoint(bp, "/api/v1/attachments/<int:attachment_id>", permission=VIEW,
              response=AttachmentOut, tags=TAGS)
def metadata(attachment_id: int) -> Attachment:
    """One file's name, size, type, hash, uploader and time (not its bytes)."""
    return visible_attachment(attachment_id)


@openapi(GET={"responses": {"200": {
    "description": "The file's bytes, as a download (Content-Disposition: attachment).",
    "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}}}})
@api_endpoint(bp, "/api/v1/attachments/<int:attachment_id>/content", permission=VIEW,
              tags=TAGS)
def content(attachment_id: int) -> Any:
    """Download a file's bytes.

    Always sent as a download, with `X-Content-Type-Options: nosniff` and a sandboxing
    Content-Security-Policy.
    """
    return file_response(visible_attachment(attachment_id))


@api_endpoint(bp, "/api/v1/attachments/<int:attachment_id>", methods=["DELETE"],
              permission=EDIT, status=204, tags=TAGS, endpoint="delete")
def delete(attachment_id: int) -> None:
    """Delete a file from its record (its bytes go when no other record uses them)."""
    attachment = visible_attachment(attachment_id, edit=True)
    session = get_session()
    sha256 = service.delete_attachment(session, attachment)
    session.commit()
    service.release_unused(session, sha256)
