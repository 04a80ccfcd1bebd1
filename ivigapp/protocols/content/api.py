"""Content delivery for the offline app (SYNC.md 2.11). Content is not patient data: any
signed-in user may read it."""

import re

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from ivigapp.protocols.content.manifest import content_blob, content_manifest
from ivigapp.protocols.content.selectors import language_normalise
from ivigapp.protocols.content.serializers import ContentDocumentOut, ManifestOut

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


class LanguageErrorOut(serializers.Serializer):
    lang = serializers.ListField(child=serializers.CharField())


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    candidates = [tag.strip() for tag in if_none_match.split(",")]
    return "*" in candidates or etag in {tag.removeprefix("W/") for tag in candidates}


@extend_schema(
    summary="The content manifest for one language",
    description="Lists every published item as shown in that language, with the sha256 of its blob. "
    "Send If-None-Match with the last ETag: an unchanged manifest costs one 304.",
    parameters=[
        OpenApiParameter("lang", OpenApiTypes.STR, required=True, enum=[code for code, _name in settings.LANGUAGES])
    ],
    responses={
        200: ManifestOut,
        304: OpenApiResponse(description="Unchanged since the ETag given in If-None-Match."),
        400: LanguageErrorOut,
    },
)
@api_view(["GET"])
def content_manifest_view(request):
    language = language_normalise(request.query_params.get("lang"))
    if language is None:
        return Response({"lang": [_("Choose one of the enabled languages.")]}, status=400)
    body, etag = content_manifest(language)
    if etag_matches(request.headers.get("If-None-Match"), etag):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type="application/json")
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response


@extend_schema(
    summary="One content document by the sha256 of its bytes",
    description="Immutable: the bytes always hash to the sha256 in the URL, so clients may cache them forever.",
    responses={200: ContentDocumentOut, 404: OpenApiResponse(description="No blob has this hash.")},
)
@api_view(["GET"])
def content_blob_view(request, sha256):
    data = content_blob(sha256) if SHA256_HEX.match(sha256) else None
    if data is None:
        raise Http404
    response = HttpResponse(data, content_type="application/json")
    response["ETag"] = f'"{sha256}"'
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
