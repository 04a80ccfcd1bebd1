from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from ivigapp.reactions import services
from ivigapp.reactions.models import Alert, FollowUpCheck, HydrationLog, InfusionEpisode, RateChange, VialUsage
from ivigapp.sync.models import SyncScope, patient_scope_id

pytestmark = pytest.mark.django_db


def test_a_rate_change_keeps_the_pump_value_and_derives_per_kg_units(episode):
    change = RateChange.objects.get(episode=episode, step_no=3)
    assert change.rate_ml_h == Decimal("140.0")
    assert (change.ml_kg_h, change.ml_kg_min, change.mg_kg_min) == (
        Decimal("2.000"),
        Decimal("0.0333"),
        Decimal("3.333"),
    )
    assert change.weight_basis_kg == Decimal("70.00")
    assert [c.step_no for c in RateChange.objects.filter(episode=episode).order_by("at")] == [1, 2, 3]


def test_a_rate_above_the_cap_raises_an_urgent_alert_in_the_same_write(episode):
    user = episode.patient.user
    services.rate_change_record(actor=user, episode=episode, at=timezone.now(), rate_ml_h=Decimal("200"))
    assert not Alert.objects.exists()
    change = services.rate_change_record(actor=user, episode=episode, at=timezone.now(), rate_ml_h=Decimal("260"))
    assert change.exceeds_cap and change.cap_source == "site_max"
    alert = Alert.objects.get()
    assert (alert.level, alert.rule_id, alert.source) == ("urgent", "T40", "rate_cap")
    assert alert.deadline_at - alert.created_at == timedelta(minutes=30)


@pytest.mark.parametrize(
    ("moment", "field"),
    [(timedelta(hours=-3), "at"), (timedelta(hours=1), "at")],
)
def test_a_rate_change_outside_the_infusion_is_refused(episode, moment, field):
    with pytest.raises(ValidationError) as caught:
        services.rate_change_record(
            actor=episode.patient.user, episode=episode, at=timezone.now() + moment, rate_ml_h=Decimal("50")
        )
    assert field in caught.value.message_dict
    assert RateChange.objects.filter(episode=episode).count() == 3


def test_a_rate_change_before_the_start_of_a_planned_infusion_is_refused(plan, weighed_patient):
    ep = services.episode_schedule(
        actor=weighed_patient.user, patient=weighed_patient, plan=plan, scheduled_start=timezone.now()
    )
    with pytest.raises(ValidationError) as caught:
        services.rate_change_record(actor=weighed_patient.user, episode=ep, at=timezone.now(), rate_ml_h=50)
    assert caught.value.message_dict["at"] == ["Start the infusion first."]


def test_vials_are_recorded_by_lot_and_bad_lots_are_refused(episode):
    user = episode.patient.user
    services.vial_add(
        actor=user,
        episode=episode,
        lot_number="lx204-a",
        expiry_date=date.today() + timedelta(days=90),
        vial_size_g=Decimal("20"),
    )
    services.vial_add(
        actor=user,
        episode=episode,
        lot_number="LX311",
        expiry_date=date.today() + timedelta(days=30),
        vial_size_g=Decimal("10"),
    )
    assert sorted(VialUsage.objects.values_list("lot_number", flat=True)) == ["LX204-A", "LX311"]
    with pytest.raises(ValidationError) as caught:
        services.vial_add(
            actor=user, episode=episode, lot_number="<script>", expiry_date=date.today(), vial_size_g=Decimal("10")
        )
    assert "lot_number" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.vial_add(
            actor=user,
            episode=episode,
            lot_number="LX999",
            # the day before the infusion day where the patient lives (not the server's day)
            expiry_date=timezone.localdate(episode.started_at, ZoneInfo(episode.patient.timezone)) - timedelta(days=1),
            vial_size_g=Decimal("10"),
        )
    assert "expiry_date" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:  # a walkthrough's 31 Dec 9999 reached the nurse's summary
        services.vial_add(
            actor=user, episode=episode, lot_number="LX998", expiry_date=date(9999, 12, 31), vial_size_g=Decimal("10")
        )
    assert caught.value.message_dict["expiry_date"] == [
        "That expiry date is years away. Check the date printed on the vial."
    ]
    assert VialUsage.objects.count() == 2


def test_an_end_before_the_start_is_refused_and_nothing_changes(episode):
    with pytest.raises(ValidationError) as caught:
        services.episode_end(
            actor=episode.patient.user,
            episode=episode,
            ended_at=episode.started_at - timedelta(minutes=1),
            status="complete",
        )
    assert "ended_at" in caught.value.message_dict
    episode.refresh_from_db()
    assert episode.status == "in_progress" and episode.ended_at is None
    assert not FollowUpCheck.objects.exists()


def test_ending_an_infusion_schedules_checks_from_the_actual_end(episode):
    end = timezone.now() - timedelta(minutes=5)
    services.episode_end(actor=episode.patient.user, episode=episode, ended_at=end, status="complete")
    checks = {c.kind: c.due_at - end for c in FollowUpCheck.objects.filter(episode=episode)}
    assert checks == {"h24": timedelta(hours=24), "h48": timedelta(hours=48), "h72": timedelta(hours=72)}


def test_risk_groups_get_the_later_checks(episode):
    risk = episode.patient.risk_profile
    risk.renal_insufficiency = risk.prior_thrombosis = True
    risk.save()
    services.episode_end(actor=episode.patient.user, episode=episode, ended_at=timezone.now(), status="complete")
    assert set(FollowUpCheck.objects.values_list("kind", flat=True)) == {"h24", "h48", "h72", "d5", "d7"}


def test_the_volume_given_counts_each_rate_until_the_next_and_skips_pauses(episode):
    user, start = episode.patient.user, episode.started_at
    pause = services.pause_start(actor=user, episode=episode, paused_at=start + timedelta(minutes=90))
    services.pause_end(actor=user, pause=pause, resumed_at=start + timedelta(minutes=105))
    services.episode_end(actor=user, episode=episode, ended_at=start + timedelta(minutes=120), status="complete")
    episode.refresh_from_db()
    # 35 mL/h x 0.5 h + 70 x 0.5 + 140 x (1 h - 15 min paused) = 17.5 + 35 + 105
    assert episode.volume_infused_ml == Decimal("157.5")


def test_the_readiness_checklist_raises_alerts_for_fever_a_missing_kit_and_a_weight_change(
    plan, weighed_patient, nurse
):
    user = weighed_patient.user
    ep = services.episode_schedule(actor=user, patient=weighed_patient, plan=plan, scheduled_start=timezone.now())

    def save_checklist(fever_or_infection=True):
        services.episode_readiness_record(
            actor=user,
            episode=ep,
            hydrated=True,
            premeds_taken=True,
            premeds_taken_at=timezone.now(),
            weight_kg=Decimal("62.5"),
            fever_or_infection=fever_or_infection,
            anaphylaxis_kit_present=False,
        )

    save_checklist()
    assert sorted(Alert.objects.values_list("rule_id", "level")) == [
        ("KIT", "same_day"),
        ("T14", "same_day"),
        ("T41", "routine"),
    ]
    # Saved again (a walkthrough saved it three times and got three of each): nothing new, nothing
    # raised; not either once the nurse has resolved the fever, for the same answers.
    save_checklist()
    assert Alert.objects.count() == 3
    services.alert_resolve(actor=nurse, alert=Alert.objects.get(rule_id="T14"), resolution="advice_given")
    save_checklist()
    assert Alert.objects.count() == 3
    # A fever answered anew (no, then yes) is a new finding.
    save_checklist(fever_or_infection=False)
    save_checklist()
    assert sorted(Alert.objects.values_list("rule_id", flat=True)) == ["KIT", "T14", "T14", "T41"]


def test_vitals_outside_human_ranges_are_refused(episode):
    with pytest.raises(ValidationError) as caught:
        services.vitals_record(
            actor=episode.patient.user,
            episode=episode,
            measured_at=timezone.now(),
            temperature_c=Decimal("47"),
            systolic=120,
            diastolic=130,
        )
    assert {"temperature_c", "diastolic"} <= set(caught.value.message_dict)


def test_every_diary_write_bumps_the_patients_scope_version_in_order(plan, weighed_patient):
    user = weighed_patient.user
    scope_id = f"patient:{weighed_patient.pk}"
    before = SyncScope.objects.filter(id=scope_id).values_list("version", flat=True).first() or 0
    ep = services.episode_schedule(actor=user, patient=weighed_patient, plan=plan, scheduled_start=timezone.now())
    services.episode_start(actor=user, episode=ep, started_at=timezone.now())
    ep.refresh_from_db()
    assert ep.scope_id == scope_id and ep.version == 2
    assert ep.server_version == before + 2 == SyncScope.objects.get(id=scope_id).version


def test_who_entered_what_is_kept(plan, weighed_patient, nurse):
    carer_entry = services.episode_schedule(
        actor=weighed_patient.user, patient=weighed_patient, plan=plan, scheduled_start=timezone.now(), as_carer=True
    )
    nurse_entry = services.episode_schedule(
        actor=nurse, patient=weighed_patient, plan=plan, scheduled_start=timezone.now()
    )
    assert (carer_entry.entered_by, nurse_entry.entered_by) == ("carer", "nurse")
    assert InfusionEpisode.objects.filter(entered_by_user=nurse).count() == 1


def test_device_time_in_the_future_is_refused(plan, weighed_patient):
    ep = services.episode_schedule(
        actor=weighed_patient.user, patient=weighed_patient, plan=plan, scheduled_start=timezone.now()
    )
    with time_machine.travel(timezone.now(), tick=False):
        with pytest.raises(ValidationError) as caught:
            services.episode_start(
                actor=weighed_patient.user, episode=ep, started_at=timezone.now() + timedelta(minutes=6)
            )
    assert "started_at" in caught.value.message_dict


def test_diary_entries_record_takes_new_entries_corrections_and_deletions_in_one_bump(episode):
    user = episode.patient.user
    at = timezone.now() - timedelta(minutes=20)
    drinks = [
        services.hydration_record(actor=user, episode=episode, phase="during", volume_ml=v, logged_at=at)
        for v in (100, 200, 300)
    ]
    services.diary_row_delete(actor=user, row=drinks[2])
    scope = SyncScope.objects.get(pk=patient_scope_id(episode.patient_id))
    outcomes = services.diary_entries_record(
        actor=user,
        entries=[
            services.DiaryEntry("hydration", episode, {"phase": "after", "volume_ml": 400, "logged_at": at}),
            services.DiaryChange(drinks[0], {"volume_ml": 150}),
            services.DiaryChange(drinks[1], None),
            services.DiaryChange(drinks[2], None),  # deleted already: nothing to save
            services.DiaryChange(HydrationLog.objects.get(pk=drinks[1].pk), {"volume_ml": -1}),
        ],
    )
    assert [type(o).__name__ for o in outcomes] == ["HydrationLog"] * 4 + ["ValidationError"]
    assert list(outcomes[4].message_dict) == ["volume_ml"]
    stored = {d.pk: d for d in HydrationLog.objects.filter(episode=episode)}
    assert stored[drinks[0].pk].volume_ml == 150 and stored[drinks[1].pk].deleted
    assert stored[drinks[2].pk].version == drinks[2].version  # not written again
    before = scope.version
    scope.refresh_from_db()
    assert scope.version == before + 3
    assert sorted(stored[r.pk].server_version for r in outcomes[:3]) == [before + 1, before + 2, before + 3]
    with pytest.raises(TypeError):
        services.diary_entries_record(actor=user, entries=[services.DiaryChange(episode, None)])
