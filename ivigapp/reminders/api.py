from datetime import timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.response import Response

from ivigapp.patients.access import patients_for
from ivigapp.reminders import services
from ivigapp.reminders.models import Reminder
from ivigapp.reminders.vapid import vapid_public_key

# The list shows what is coming and what was sent lately (a notification can be opened hours later).
RECENT = timedelta(days=7)


def _refused(error: ValidationError) -> Response:
    """A service's own refusal (not the patient's reminder, cannot be snoozed now): 400 per field."""
    return Response(error.message_dict, status=status.HTTP_400_BAD_REQUEST)


class PublicKeyOut(serializers.Serializer):
    public_key = serializers.CharField(help_text="VAPID application server key, base64url.")


class SubscriptionKeys(serializers.Serializer):
    p256dh = serializers.CharField(max_length=200)
    auth = serializers.CharField(max_length=100)


class SubscriptionIn(serializers.Serializer):
    endpoint = serializers.URLField(max_length=1000)
    keys = SubscriptionKeys()
    client_id = serializers.UUIDField(required=False, allow_null=True, default=None)


class UnsubscribeIn(serializers.Serializer):
    endpoint = serializers.URLField(max_length=1000)


class ReminderOut(serializers.ModelSerializer):
    class Meta:
        model = Reminder
        fields = [
            "id",
            "episode_id",
            "kind",
            "due_at",
            "local_due",
            "shifted_from",
            "window_minutes",
            "status",
            "suppressed_reason",
            "dispatched_at",
            "snoozed_until",
            "acknowledged_at",
            "safety_critical",
        ]


class SnoozeIn(serializers.Serializer):
    minutes = serializers.IntegerField(min_value=5, max_value=240)


@extend_schema(responses=PublicKeyOut, summary="The key the browser subscribes to Web Push with")
@api_view(["GET"])
def public_key(request):
    return Response({"public_key": vapid_public_key()})


@extend_schema(request=SubscriptionIn, responses={201: None}, summary="Subscribe this device to reminders")
@api_view(["POST"])
def subscribe(request):
    data = SubscriptionIn(data=request.data)
    data.is_valid(raise_exception=True)
    try:
        services.push_subscribe(
            user=request.user,
            endpoint=data.validated_data["endpoint"],
            p256dh=data.validated_data["keys"]["p256dh"],
            auth=data.validated_data["keys"]["auth"],
            client_id=data.validated_data["client_id"],
        )
    except ValidationError as error:
        return _refused(error)
    return Response(status=status.HTTP_201_CREATED)


@extend_schema(request=UnsubscribeIn, responses={204: None}, summary="Stop reminders on this device")
@api_view(["POST"])
def unsubscribe(request):
    data = UnsubscribeIn(data=request.data)
    data.is_valid(raise_exception=True)
    services.push_unsubscribe(user=request.user, endpoint=data.validated_data["endpoint"])
    return Response(status=status.HTTP_204_NO_CONTENT)


def _own_reminders(request):
    return Reminder.objects.filter(patient__in=patients_for(request.user), patient__user=request.user)


@extend_schema(responses=ReminderOut(many=True), summary="The signed-in patient's reminders, upcoming and recent")
@api_view(["GET"])
def reminder_list(request):
    rows = (
        _own_reminders(request)
        .exclude(status=Reminder.Status.CANCELLED)
        .filter(due_at__gte=timezone.now() - RECENT)
        .order_by("due_at")[:200]
    )
    return Response(ReminderOut(rows, many=True).data)


@extend_schema(request=None, responses=ReminderOut, summary="Mark a reminder as seen")
@api_view(["POST"])
def reminder_acknowledge(request, reminder_id):
    reminder = _own_reminders(request).filter(pk=reminder_id).first()
    if reminder is None:
        return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
    try:
        reminder = services.reminder_acknowledge(actor=request.user, reminder=reminder)
    except ValidationError as error:
        return _refused(error)
    return Response(ReminderOut(reminder).data)


@extend_schema(request=SnoozeIn, responses=ReminderOut, summary="Remind me again later")
@api_view(["POST"])
def reminder_snooze(request, reminder_id):
    reminder = _own_reminders(request).filter(pk=reminder_id).first()
    if reminder is None:
        return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
    data = SnoozeIn(data=request.data)
    data.is_valid(raise_exception=True)
    try:
        reminder = services.reminder_snooze(
            actor=request.user, reminder=reminder, minutes=data.validated_data["minutes"]
        )
    except ValidationError as error:
        return _refused(error)
    return Response(ReminderOut(reminder).data)
