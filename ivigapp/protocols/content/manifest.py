"""The content manifest per language and the content-addressed blobs it points to (SYNC.md 2.11).

A blob is the JSON document of one item as shown in one language, stored once under the sha256
of its exact bytes; the blob endpoint serves those bytes unchanged, so a hash URL never changes
meaning and can be cached forever. The manifest's ETag is the sha256 of its own bytes.
"""

import hashlib
import json

from ivigapp.protocols.content.models import ContentBlob, ContentItem
from ivigapp.protocols.content.selectors import contents_for
from ivigapp.protocols.content.serializers import ContentDocumentOut, ManifestOut

MANIFEST_FORMAT = 1
BLOB_URL = "/api/content/blob/{sha256}"
# The decoded JSON is unchanged; the bytes never contain "<", ">" or "&", so even a client or
# proxy that mistook a document for HTML would find no markup in it.
_JSON_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


def json_bytes(data) -> bytes:
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.translate(_JSON_ESCAPES).encode("utf-8")


def content_manifest(language: str) -> tuple[bytes, str]:
    """The manifest's bytes and its strong ETag. Makes any blob it lists that does not exist yet.

    Queries: items, published versions, reviewed translations, existing blobs (+1 insert when new).
    """
    shown = sorted(contents_for(ContentItem.objects.all(), language).values(), key=lambda s: s.key)
    entries, blobs = [], {}
    for entry in shown:
        data = json_bytes(ContentDocumentOut(entry).data)
        sha256 = hashlib.sha256(data).hexdigest()
        blobs[sha256] = ContentBlob(
            sha256=sha256, data=data.decode("utf-8"), version=entry.version, language=entry.language
        )
        entries.append(
            {
                "id": entry.key,
                "kind": entry.item.kind,
                "version": entry.version.number,
                "sha256": sha256,
                "bytes": len(data),
                "title": entry.plain_title,
                "essential": entry.item.essential,
                "language_shown": entry.language,
                "translation_pending": entry.translation_pending,
            }
        )
    _blobs_ensure(blobs)
    manifest = ManifestOut(
        {"format": MANIFEST_FORMAT, "language": language, "blob_url": BLOB_URL, "items": entries}
    ).data
    body = json_bytes(manifest)
    return body, f'"{hashlib.sha256(body).hexdigest()}"'


def _blobs_ensure(blobs: dict[str, ContentBlob]) -> None:
    existing = set(ContentBlob.objects.filter(sha256__in=list(blobs)).values_list("sha256", flat=True))
    missing = [blob for sha256, blob in blobs.items() if sha256 not in existing]
    if missing:
        ContentBlob.objects.bulk_create(missing, ignore_conflicts=True)


def content_blob(sha256: str) -> bytes | None:
    data = ContentBlob.objects.filter(sha256=sha256).values_list("data", flat=True).first()
    return None if data is None else data.encode("utf-8")
