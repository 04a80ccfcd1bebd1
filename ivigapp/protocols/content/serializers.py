"""Explicit output serializers of the content API (SYNC.md 2.11)."""

from rest_framework import serializers


class ContentDocumentOut(serializers.Serializer):
    """One content blob: what the offline app stores and shows."""

    key = serializers.CharField()
    version = serializers.IntegerField(source="version.number", help_text="The version whose text this is.")
    language = serializers.CharField(help_text="The language of the text (English when a translation is pending).")
    title = serializers.CharField(source="plain_title", help_text="Plain text: insert it as text, never as HTML.")
    body_html = serializers.CharField(
        help_text="Safe HTML built by the server: only <p>, <br>, <strong>, <ul> and <li>, without attributes."
    )
    translation_pending = serializers.BooleanField(
        help_text="True when an English text stands in for a translation that is not reviewed yet."
    )


class ManifestItemOut(serializers.Serializer):
    id = serializers.CharField(help_text="The item key, e.g. an advice key of the triage rule set.")
    kind = serializers.CharField()
    version = serializers.IntegerField()
    sha256 = serializers.CharField(help_text="Hex sha256 of the blob's bytes exactly as served.")
    bytes = serializers.IntegerField()
    title = serializers.CharField(help_text="Plain text.")
    essential = serializers.BooleanField(help_text="Download before the patient is ever offline.")
    language_shown = serializers.CharField()
    translation_pending = serializers.BooleanField()


class ManifestOut(serializers.Serializer):
    format = serializers.IntegerField()
    language = serializers.CharField(help_text="The language asked for.")
    blob_url = serializers.CharField(help_text="Where to fetch a blob: replace {sha256}.")
    items = ManifestItemOut(many=True)
