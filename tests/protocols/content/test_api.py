import hashlib
import json

import pytest

from ivigapp.protocols.content.models import ContentBlob, ContentItem

from .conftest import draft, publish, published

pytestmark = pytest.mark.django_db

MANIFEST = "/api/sync/v1/content/manifest"


@pytest.fixture
def content(admin_user, approver):
    published(admin_user, approver, "red_flags_emergency", "Emergency", "**Stop** and call.", kind="red_flag")
    ContentItem.objects.filter(key="red_flags_emergency").update(essential=True)
    published(admin_user, approver, translations={"es": ("Llame ahora", "Llame a su equipo ahora.")})


def get_manifest(client, lang="es", **headers):
    return client.get(MANIFEST, {"lang": lang}, headers=headers)


def test_the_manifest_lists_every_published_item_as_shown_in_the_language(client, patient, content):
    client.force_login(patient.user)
    response = get_manifest(client)
    assert response.status_code == 200
    body = response.json()
    assert (body["language"], body["blob_url"]) == ("es", "/api/content/blob/{sha256}")
    items = {entry["id"]: entry for entry in body["items"]}
    assert items["ADV_CALL_TEAM_NOW"] == {
        "id": "ADV_CALL_TEAM_NOW",
        "kind": "advice",
        "version": 1,
        "sha256": items["ADV_CALL_TEAM_NOW"]["sha256"],
        "bytes": items["ADV_CALL_TEAM_NOW"]["bytes"],
        "title": "Llame ahora",
        "essential": False,
        "language_shown": "es",
        "translation_pending": False,
    }
    emergency = items["red_flags_emergency"]
    assert (emergency["essential"], emergency["language_shown"], emergency["translation_pending"]) == (True, "en", True)


def test_an_unchanged_manifest_costs_one_304(client, patient, content):
    client.force_login(patient.user)
    first = get_manifest(client)
    etag = first["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert etag == f'"{hashlib.sha256(first.content).hexdigest()}"'
    assert first["Cache-Control"] == "private, no-cache"
    again = get_manifest(client, If_None_Match=etag)
    assert (again.status_code, again.content, again["ETag"]) == (304, b"", etag)
    assert get_manifest(client, If_None_Match=f'"other", W/{etag}').status_code == 304


def test_the_manifest_etag_changes_when_content_is_published_and_differs_by_language(
    client, patient, content, admin_user, approver
):
    client.force_login(patient.user)
    etag = get_manifest(client)["ETag"]
    assert get_manifest(client, "fr")["ETag"] != etag
    publish(admin_user, approver, draft(admin_user, body="New.", urgent=True))
    response = get_manifest(client, If_None_Match=etag)
    assert response.status_code == 200 and response["ETag"] != etag


def test_the_manifest_refuses_an_unknown_language(client, patient, content):
    client.force_login(patient.user)
    assert get_manifest(client, "de").status_code == 400
    assert client.get(MANIFEST).status_code == 400


def test_content_needs_a_signed_in_user_of_any_role(client, nurse, patient, content):
    assert get_manifest(client).status_code == 403
    for user in (nurse, patient.user):
        client.force_login(user)
        assert get_manifest(client).status_code == 200


def test_a_blob_is_served_immutable_with_bytes_that_hash_to_its_name(client, patient, content):
    client.force_login(patient.user)
    for entry in get_manifest(client).json()["items"]:
        response = client.get(f"/api/content/blob/{entry['sha256']}")
        assert response.status_code == 200
        assert hashlib.sha256(response.content).hexdigest() == entry["sha256"]
        assert len(response.content) == entry["bytes"]
        assert response["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response["Content-Type"] == "application/json"
        document = json.loads(response.content)
        assert set(document) == {"key", "version", "language", "title", "body_html", "translation_pending"}
        assert document["key"] == entry["id"] and document["version"] == entry["version"]


def test_a_blob_document_carries_safe_html(client, patient, content):
    client.force_login(patient.user)
    items = {e["id"]: e for e in get_manifest(client, "en").json()["items"]}
    document = client.get(f"/api/content/blob/{items['red_flags_emergency']['sha256']}").json()
    assert document == {
        "key": "red_flags_emergency",
        "version": 1,
        "language": "en",
        "title": "Emergency",
        "body_html": "<p><strong>Stop</strong> and call.</p>",
        "translation_pending": False,
    }


def test_an_old_blob_stays_available_after_a_new_version_is_published(client, patient, content, admin_user, approver):
    client.force_login(patient.user)
    old = {e["id"]: e for e in get_manifest(client).json()["items"]}["ADV_CALL_TEAM_NOW"]
    publish(admin_user, approver, draft(admin_user, body="Changed.", urgent=True))
    new = {e["id"]: e for e in get_manifest(client).json()["items"]}["ADV_CALL_TEAM_NOW"]
    assert new["sha256"] != old["sha256"]
    assert client.get(f"/api/content/blob/{old['sha256']}").status_code == 200


def test_an_unknown_or_malformed_hash_answers_404(client, patient, content):
    client.force_login(patient.user)
    assert client.get(f"/api/content/blob/{'0' * 64}").status_code == 404
    assert client.get("/api/content/blob/not-a-hash").status_code == 404
    assert client.get(f"/api/content/blob/{'A' * 64}").status_code == 404


def test_blobs_are_stored_once_however_often_the_manifest_is_read(client, patient, content):
    client.force_login(patient.user)
    for _ in range(3):
        get_manifest(client)
    assert ContentBlob.objects.count() == 2


def test_the_manifest_query_count_does_not_grow_with_items(
    client, patient, admin_user, approver, django_assert_num_queries
):
    for n in range(5):
        published(admin_user, approver, f"ADV_{n}", translations={"es": ("T", "B.")})
    client.force_login(patient.user)
    get_manifest(client)
    # 1 session, 2 user, 3 role groups, 4 items, 5 published versions, 6 reviewed translations, 7 existing blobs
    with django_assert_num_queries(7):
        assert get_manifest(client).status_code == 200


def test_the_schema_documents_both_endpoints(client, admin_user):
    client.force_login(admin_user)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/sync/v1/content/manifest" in schema and "/api/content/blob/{sha256}" in schema
