"""Check-ins after an infusion, anchored on when it actually ended (clinical.md section 3)."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from ivigapp.reactions.models import Alert, AlertLevel, FollowUpCheck, InfusionEpisode
from ivigapp.sync.stamp import stamp_row

# kind: (hours after the end, hours the window stays open)
SCHEDULE = {
    FollowUpCheck.Kind.H24: (24, 12),
    FollowUpCheck.Kind.H48: (48, 12),
    FollowUpCheck.Kind.H72: (72, 12),
    FollowUpCheck.Kind.D5: (5 * 24, 24),
    FollowUpCheck.Kind.D7: (7 * 24, 24),
    FollowUpCheck.Kind.D10: (10 * 24, 24),
}
HIGH_DOSE_G_PER_KG = Decimal("1")


def followup_kinds(episode: InfusionEpisode) -> list[str]:
    """24/48/72 h for everyone; day 5 for renal risk (kidney injury shows at days 2-4); day 7 for
    thrombosis risk (venous clots at days 1-7); days 5 and 10 after high-dose courses in non-O
    patients (haemolysis at days 5-10)."""
    kinds = [FollowUpCheck.Kind.H24, FollowUpCheck.Kind.H48, FollowUpCheck.Kind.H72]
    risk = episode.patient.risk_profile
    haemolysis = risk.non_o_blood_group and episode.plan.dose_g_per_kg >= HIGH_DOSE_G_PER_KG
    if risk.renal_risk or haemolysis:
        kinds.append(FollowUpCheck.Kind.D5)
    if risk.thrombosis_risk:
        kinds.append(FollowUpCheck.Kind.D7)
    if haemolysis:
        kinds.append(FollowUpCheck.Kind.D10)
    return kinds


def followups_materialise(*, episode: InfusionEpisode) -> list[FollowUpCheck]:
    assert transaction.get_connection().in_atomic_block
    existing = set(FollowUpCheck.objects.filter(episode=episode).values_list("kind", flat=True))
    created = []
    for kind in followup_kinds(episode):
        if kind in existing:
            continue
        after, window = SCHEDULE[kind]
        due = episode.ended_at + timedelta(hours=after)
        check = FollowUpCheck(
            patient_id=episode.patient_id,
            episode=episode,
            kind=kind,
            due_at=due,
            window_ends_at=due + timedelta(hours=window),
        )
        stamp_row(check, patient_id=episode.patient_id)
        check.save(force_insert=True)
        created.append(check)
    return created


def followups_mark_missed(*, now: datetime | None = None) -> int:
    """Marks checks whose window closed unanswered, once each, and raises an alert for each
    (routine; same day when the patient has any risk flag)."""
    from ivigapp.reactions.services.alerts import alert_raise

    now = now or timezone.now()
    overdue = FollowUpCheck.objects.filter(
        completed_at__isnull=True, missed_at__isnull=True, window_ends_at__lte=now, deleted=False
    )
    marked = 0
    for check_id in overdue.values_list("pk", flat=True)[:500]:
        with transaction.atomic():
            if not FollowUpCheck.objects.filter(pk=check_id, completed_at__isnull=True, missed_at__isnull=True).update(
                missed_at=now
            ):
                continue
            check = FollowUpCheck.objects.select_related("patient__risk_profile").get(pk=check_id)
            stamp_row(check, patient_id=check.patient_id)
            check.save(update_fields=["version", "server_version", "received_at"])
            level = AlertLevel.SAME_DAY if check.patient.risk_profile.flags() else AlertLevel.ROUTINE
            alert_raise(
                patient=check.patient,
                source=Alert.Source.MISSED_CHECK,
                level=level,
                rule_id="T39",
                episode_id=check.episode_id,
                followup=check,
                at=now,
            )
            marked += 1
    return marked
