"""Sending a stored file back: always as a download, never as a page of this site.

``Content-Disposition: attachment`` (with the RFC 5987 UTF-8 name), ``nosniff`` and a CSP
that sandboxes the answer and allows nothing, so even an HTML or SVG file that slipped
through could not run a script under this site's origin.
"""

from __future__ import annotations

import logging

from flask import Response, abort, request, stream_with_context

from . import storage
from .models import Attachment
from .names import content_disposition

log = logging.getLogger(__name__)
DOWNLOAD_POLICY = "default-src 'none'; sandbox; frame-ancestors 'none'"


def file_response(attachment: Attachment) -> Response:
    """The download of ``attachment``; 404 (logged) when its bytes are missing on disk."""
    blocks = storage.open_plain(attachment.sha256)  # decrypted as it is sent
    if blocks is None:
        log.warning("attachment %s: stored file is missing", attachment.id,
                    extra={"attachment_id": attachment.id})
        abort(404)
    response = Response(stream_with_context(blocks), mimetype=attachment.content_type)
    response.content_length = attachment.size
    response.set_etag(attachment.sha256)
    response.make_conditional(request)
    response.headers["Content-Disposition"] = content_disposition(attachment.file_name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = DOWNLOAD_POLICY
    response.headers["Cache-Control"] = "private, no-cache"
    return response
