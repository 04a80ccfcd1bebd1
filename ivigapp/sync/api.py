"""The sync endpoints (SYNC.md part 1). Thin: parse, call push_apply / pull_changes, answer."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.response import Response

from ivigapp.sync.fastparse import DEFER, compile_serializer
from ivigapp.sync.models import SyncClient
from ivigapp.sync.pull import pull_changes
from ivigapp.sync.push import MutationGap, push_apply
from ivigapp.sync.services import client_register
from ivigapp.sync.tables import TABLES
from ivigapp.sync.upcast import CURRENT_MUTATION_FORMAT


class ClientIn(serializers.Serializer):
    client_id = serializers.UUIDField(help_text="Made on the device (UUIDv7 recommended); bound to the user.")
    schema_version = serializers.IntegerField(min_value=1)
    device_label = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class SchemaRange(serializers.Serializer):
    min = serializers.IntegerField()
    max = serializers.IntegerField()


class ClientOut(serializers.Serializer):
    client_id = serializers.UUIDField()
    last_mutation_id = serializers.IntegerField(help_text="The last mutation id the server has applied.")
    schema_range = SchemaRange()
    mutation_format = serializers.IntegerField(help_text="The current mutation format; older ones are upcast.")
    server_time = serializers.DateTimeField()


class MutationIn(serializers.Serializer):
    id = serializers.IntegerField(min_value=1, help_text="Per-client, strictly consecutive.")
    kind = serializers.ChoiceField(choices=["upsert", "delete"])
    table = serializers.ChoiceField(choices=sorted(TABLES))
    row_id = serializers.UUIDField(help_text="Made on the device; the server never re-keys.")
    base_version = serializers.IntegerField(
        allow_null=True,
        required=False,
        default=None,
        help_text="null creates; otherwise the row version the edit is based on.",
    )
    set = serializers.DictField(required=False, default=dict, help_text="Field values (set semantics only).")
    base = serializers.DictField(required=False, default=dict, help_text="The values the edited fields had at base.")
    recorded_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="Device clock: clinical metadata, never ordering."
    )
    mutation_format = serializers.IntegerField(required=False, default=CURRENT_MUTATION_FORMAT, min_value=1)


class PushIn(serializers.Serializer):
    client_id = serializers.UUIDField()
    schema_version = serializers.IntegerField(min_value=1)
    mutations = serializers.ListField(child=MutationIn(), max_length=500, allow_empty=True)


_push_parse = compile_serializer(PushIn)


class MutationResult(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["applied", "merged", "conflict", "rejected"])
    row_version = serializers.IntegerField(required=False)
    conflict_id = serializers.CharField(required=False)
    reason = serializers.ChoiceField(choices=["validation", "not_found", "forbidden", "unknown_table"], required=False)
    detail = serializers.DictField(required=False, help_text="Per-field messages for a rejected mutation.")


class PushOut(serializers.Serializer):
    last_mutation_id = serializers.IntegerField()
    server_time = serializers.DateTimeField()
    results = MutationResult(many=True)


class PullIn(serializers.Serializer):
    client_id = serializers.UUIDField()
    schema_version = serializers.IntegerField(min_value=1)
    cursor = serializers.CharField(allow_null=True, required=False, default=None, help_text="Opaque, signed.")
    limit = serializers.IntegerField(required=False, default=500, min_value=1, max_value=2000)


class ChangeOut(serializers.Serializer):
    table = serializers.CharField()
    id = serializers.UUIDField()
    version = serializers.IntegerField()
    deleted = serializers.BooleanField()
    row = serializers.DictField(required=False, help_text="Absent for a tombstone.")
    conflicts = serializers.ListField(child=serializers.CharField(), required=False)


class PullOut(serializers.Serializer):
    changes = ChangeOut(many=True)
    scopes_removed = serializers.ListField(child=serializers.CharField())
    last_mutation_id = serializers.IntegerField()
    cursor = serializers.CharField()
    has_more = serializers.BooleanField()
    server_time = serializers.DateTimeField()
    reset = serializers.BooleanField(help_text="Discard the replica (never the outbox) and pull from null.")


class ErrorOut(serializers.Serializer):
    error = serializers.CharField()
    expected = serializers.IntegerField(required=False)


def _schema_check(version: int) -> Response | None:
    low, high = settings.SYNC_SCHEMA_RANGE
    if version < low:
        return Response({"error": "schema_too_old", "min": low, "max": high}, status=426)
    return None


def _client(request, client_id) -> SyncClient:
    client = SyncClient.objects.filter(pk=client_id).first()
    if client is None or client.user_id != request.user.pk:
        raise PermissionDenied
    return client


@extend_schema(request=ClientIn, responses={200: ClientOut, 403: ErrorOut}, summary="Register a device")
@api_view(["POST"])
def clients(request):
    data = ClientIn(data=request.data)
    data.is_valid(raise_exception=True)
    client = client_register(user=request.user, **data.validated_data)
    low, high = settings.SYNC_SCHEMA_RANGE
    return Response(
        ClientOut(
            {
                "client_id": client.pk,
                "last_mutation_id": client.last_mutation_id,
                "schema_range": {"min": low, "max": high},
                "mutation_format": CURRENT_MUTATION_FORMAT,
                "server_time": client.last_seen_at,
            }
        ).data
    )


@extend_schema(
    request=PushIn,
    responses={200: PushOut, 409: ErrorOut, 413: ErrorOut, 426: ErrorOut},
    summary="Apply a batch of mutations exactly once",
)
@api_view(["POST"])
def push(request):
    if len(request.body) > settings.SYNC_PUSH_MAX_BYTES:
        return Response({"error": "too_large"}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    validated = _push_parse(request.data)
    if validated is DEFER:  # anything unusual, and every error message, is PushIn's to decide
        data = PushIn(data=request.data)
        data.is_valid(raise_exception=True)
        validated = data.validated_data
    too_old = _schema_check(validated["schema_version"])
    if too_old:
        return too_old
    mutations = [_plain(m) for m in validated["mutations"]]
    try:
        result = push_apply(user=request.user, client_id=validated["client_id"], mutations=mutations)
    except SyncClient.DoesNotExist:
        raise PermissionDenied from None
    except MutationGap as gap:
        return Response({"error": "mutation_gap", "expected": gap.expected}, status=status.HTTP_409_CONFLICT)
    # The results are plain dicts already shaped as PushOut documents them (see the schema).
    return Response(result)


def _plain(mutation: dict) -> dict:
    """JSON-safe, so it can be logged and replayed as sent."""
    return {
        **mutation,
        "row_id": str(mutation["row_id"]),
        "recorded_at": mutation["recorded_at"].isoformat() if mutation["recorded_at"] else None,
    }


@extend_schema(
    request=PullIn,
    responses={200: PullOut, 403: ErrorOut, 426: ErrorOut},
    summary="Changes in the user's scopes since a cursor",
)
@api_view(["POST"])
def pull(request):
    data = PullIn(data=request.data)
    data.is_valid(raise_exception=True)
    too_old = _schema_check(data.validated_data["schema_version"])
    if too_old:
        return too_old
    client = _client(request, data.validated_data["client_id"])
    result = pull_changes(
        user=request.user, client=client, cursor_token=data.validated_data["cursor"], limit=data.validated_data["limit"]
    )
    return Response(pull_document(result))


def pull_document(result: dict) -> dict:
    """What PullOut(result).data gives, without walking every change again: the changes are
    JSON-ready already (see pull._row); only server_time needs the serializer's format."""
    return {**result, "server_time": _SERVER_TIME.to_representation(result["server_time"])}


_SERVER_TIME = serializers.DateTimeField()
