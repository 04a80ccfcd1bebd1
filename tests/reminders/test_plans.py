"""Reminder plans are clinical content: a new version is a draft, a second administrator approves
it, and once published it plans the infusions scheduled after it. A plan the planner could not run,
or one that drops a safety-critical reminder, is refused."""

import copy
import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ivigapp.reactions import services as diary
from ivigapp.reminders import plans
from ivigapp.reminders.models import Reminder, ReminderPlan
from ivigapp.reminders.planning import DEFAULT_PLAN
from ivigapp.reminders.services import reminder_plan_current, reminders_adopt_plan, reminders_dispatch_all
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/reminders/reminderplan/"


def steps_with(**changes):
    """The built-in steps, with the day-before reminder changed as given."""
    steps = copy.deepcopy(DEFAULT_PLAN["steps"])
    steps[0].update(changes)
    return steps


def test_a_plan_is_drafted_signed_off_by_another_administrator_and_then_plans_infusions(
    client, admin_user, roles, weighed_patient, plan
):
    client.force_login(admin_user)
    add = client.get(CHANGELIST + "add/")
    form = add.context["adminform"].form
    assert json.loads(form.fields["document"].initial) == DEFAULT_PLAN["steps"]  # nothing published yet
    assert "Version:" not in add.content.decode()  # given on saving, not the model's default 1

    response = client.post(CHANGELIST + "add/", {"document": json.dumps(steps_with(local_time="19:15"))})
    assert response.status_code == 302
    draft = ReminderPlan.objects.get()
    assert (draft.version, draft.status, draft.author) == (2, "draft", admin_user)  # the built-in plan is v1
    assert reminder_plan_current()["steps"] == DEFAULT_PLAN["steps"]  # a draft plans nothing

    client.post(CHANGELIST, {"action": "submit", "_selected_action": [draft.pk]})
    page = client.post(CHANGELIST, {"action": "approve", "_selected_action": [draft.pk]}, follow=True)
    assert "cannot approve their own" in page.content.decode()
    client.force_login(make_staff("approver", "clinical_admin"))
    client.post(CHANGELIST, {"action": "approve", "_selected_action": [draft.pk]})
    client.post(CHANGELIST, {"action": "publish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == "published"

    start = timezone.now() + timedelta(days=3)
    episode = diary.episode_schedule(
        actor=weighed_patient.user, patient=weighed_patient, plan=plan, scheduled_start=start
    )
    day_before = Reminder.objects.get(episode=episode, kind="hydration_day_before")
    local = day_before.due_at.astimezone(ZoneInfo(weighed_patient.timezone))
    assert (local.hour, local.minute) == (19, 15)
    assert day_before.plan_version == 2
    # The next draft starts from the published plan.
    form = client.get(CHANGELIST + "add/").context["adminform"].form
    assert json.loads(form.fields["document"].initial)[0]["local_time"] == "19:15"


def drop(kind):
    return [step for step in DEFAULT_PLAN["steps"] if step["kind"] != kind]


def change(kind, **changes):
    steps = copy.deepcopy(DEFAULT_PLAN["steps"])
    next(step for step in steps if step["kind"] == kind).update(changes)
    return steps


def unmark(kind):
    steps = copy.deepcopy(DEFAULT_PLAN["steps"])
    next(step for step in steps if step["kind"] == kind)["safety_critical"] = False
    return steps


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        (drop("check_24h"), "safety-critical and must stay, marked so: check_24h"),
        (unmark("premedication"), "safety-critical and must stay, marked so: premedication"),
        (steps_with(local_time="25:00"), "local_time is HH:MM"),
        (steps_with(offset_minutes=10), "either offset_minutes, or day and local_time"),
        (steps_with(anchor="lunch"), "anchor is scheduled_start or actual_end"),
        (steps_with(colour="red"), "only these keys"),
        (steps_with(anchor=["scheduled_start"]), "anchor is text"),
        (change("check_d5", before_anchor_only=True), "check_d5 is safety-critical: it may move"),
        (change("check_24h", followup="d10"), "check_24h is safety-critical: it may move"),
        (change("check_48h", offset_minutes=-60), "check_48h is safety-critical: it may move"),
        (change("premedication", offset_minutes=30), "premedication is safety-critical: it may move"),
        ([*DEFAULT_PLAN["steps"], DEFAULT_PLAN["steps"][0]], "appears once"),
        ([], "a list of steps"),
    ],
)
def test_a_plan_the_planner_cannot_run_or_that_drops_a_safety_reminder_is_refused(admin_user, steps, message):
    with pytest.raises(ValidationError) as refused:
        plans.reminder_plan_draft(author=admin_user, steps=steps)
    assert message in refused.value.message_dict["steps"][0]
    assert not ReminderPlan.objects.exists()


def test_the_admin_shows_a_refused_plan_with_its_reason(client, admin_user):
    client.force_login(admin_user)
    response = client.post(CHANGELIST + "add/", {"document": json.dumps(drop("check_48h"))})
    assert response.status_code == 200
    assert "safety-critical and must stay, marked so: check_48h" in response.content.decode()
    assert not ReminderPlan.objects.exists()


def test_a_safety_critical_reminder_may_move_within_its_side_of_the_anchor(admin_user):
    moved = change("check_24h", offset_minutes=1380)  # 23 hours after the end, not 24
    assert plans.reminder_plan_draft(author=admin_user, steps=moved).status == "draft"


def published(author, steps) -> ReminderPlan:
    version = plans.reminder_plan_draft(author=author, steps=steps)
    approver = make_staff("approver", "clinical_admin")
    plans.reminder_plan_submit(actor=author, plan=version)
    plans.reminder_plan_approve(actor=approver, plan=version)
    return plans.reminder_plan_publish(actor=approver, plan=version)


def scheduled(patient, plan, days: int):
    start = timezone.now() + timedelta(days=days)
    return diary.episode_schedule(actor=patient.user, patient=patient, plan=plan, scheduled_start=start)


def test_a_kind_the_published_plan_drops_is_not_sent(admin_user, roles, weighed_patient, plan):
    episode = scheduled(weighed_patient, plan, days=3)
    assert Reminder.objects.get(episode=episode, kind="hydration_day_before").status == "pending"
    published(admin_user, [step for step in DEFAULT_PLAN["steps"] if step["kind"] != "hydration_day_before"])
    assert reminders_adopt_plan() == 1
    assert Reminder.objects.get(episode=episode, kind="hydration_day_before").status == "cancelled"
    assert Reminder.objects.get(episode=episode, kind="infusion_start").status == "pending"


def test_a_published_plan_moves_the_pending_reminders_of_infusions_planned_before_it(
    admin_user, roles, weighed_patient, plan
):
    """At the next dispatch tick, before anything is sent: soonest infusion first, a bounded number
    a call. A snoozed reminder keeps the time the patient chose."""
    zone = ZoneInfo(weighed_patient.timezone)
    later, sooner = scheduled(weighed_patient, plan, days=6), scheduled(weighed_patient, plan, days=3)
    snoozed = Reminder.objects.get(episode=later, kind="infusion_start")
    Reminder.objects.filter(pk=snoozed.pk).update(snoozed_until=snoozed.due_at, round=1)
    steps = steps_with(local_time="19:15")
    next(step for step in steps if step["kind"] == "infusion_start")["offset_minutes"] = -15
    published(admin_user, steps)

    assert reminders_adopt_plan(limit=1) == 1
    day_before = {r.episode_id: r for r in Reminder.objects.filter(kind="hydration_day_before")}
    assert (day_before[sooner.pk].plan_version, day_before[later.pk].plan_version) == (2, 1)
    local = day_before[sooner.pk].due_at.astimezone(zone)
    assert (local.hour, local.minute) == (19, 15)

    reminders_dispatch_all()  # what beat runs every minute
    moved = Reminder.objects.get(episode=later, kind="hydration_day_before")
    assert (moved.plan_version, moved.due_at.astimezone(zone).strftime("%H:%M")) == (2, "19:15")
    assert Reminder.objects.get(episode=sooner, kind="infusion_start").due_at == sooner.scheduled_start - timedelta(
        minutes=15
    )
    assert Reminder.objects.get(pk=snoozed.pk).due_at == snoozed.due_at
    assert reminders_adopt_plan() == 0  # the snoozed reminder is not looked for again


def test_looking_for_reminders_of_an_older_plan_costs_the_same_for_1_and_12_infusions(
    admin_user, roles, weighed_patient, plan, django_assert_num_queries
):
    published(admin_user, steps_with(local_time="19:15"))
    scheduled(weighed_patient, plan, days=3)
    with django_assert_num_queries(2):  # the plan in use, the infusions left to re-plan
        assert reminders_adopt_plan() == 0
    for days in range(4, 15):
        scheduled(weighed_patient, plan, days=days)
    with django_assert_num_queries(2):
        assert reminders_adopt_plan() == 0


def test_a_reminder_due_at_the_old_plans_time_is_moved_before_the_tick_sends_anything(
    admin_user, roles, weighed_patient, plan
):
    """The tick adopts the new plan first: a reminder the old plan made due now, which the new plan
    puts days later, is not sent now."""
    episode = scheduled(weighed_patient, plan, days=3)
    due_now = Reminder.objects.get(episode=episode, kind="hydration_day_before")
    Reminder.objects.filter(pk=due_now.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    published(admin_user, steps_with(local_time="19:15"))
    reminders_dispatch_all()
    moved = Reminder.objects.get(pk=due_now.pk)
    assert (moved.status, moved.plan_version) == ("pending", 2)
    assert moved.due_at > timezone.now() + timedelta(days=1)
    assert not moved.deliveries.exists()


def test_a_snoozed_reminder_of_a_kind_the_new_plan_drops_is_not_sent(admin_user, roles, weighed_patient, plan):
    episode = scheduled(weighed_patient, plan, days=3)
    snoozed = Reminder.objects.get(episode=episode, kind="hydration_day_before")
    Reminder.objects.filter(episode=episode).exclude(pk=snoozed.pk).update(plan_version=2)  # only it is stale
    Reminder.objects.filter(pk=snoozed.pk).update(snoozed_until=timezone.now() + timedelta(minutes=30), round=1)
    published(admin_user, drop("hydration_day_before"))
    assert reminders_adopt_plan() == 1
    assert Reminder.objects.get(pk=snoozed.pk).status == "cancelled"


def test_an_infusion_that_fails_to_re_plan_holds_up_neither_the_others_nor_the_tick(
    admin_user, roles, weighed_patient, plan, monkeypatch
):
    from ivigapp.reminders import services

    broken, fine = scheduled(weighed_patient, plan, days=3), scheduled(weighed_patient, plan, days=6)
    up_to_date = scheduled(weighed_patient, plan, days=9)
    due = Reminder.objects.get(episode=up_to_date, kind="infusion_start")
    replan = services.reminders_replan

    def failing_for_one(*, episode, now=None):
        if episode.pk == broken.pk:
            Reminder.objects.filter(episode=episode).update(plan_version=99)  # undone with its savepoint
            raise RuntimeError("fault injected")
        return replan(episode=episode, now=now)

    monkeypatch.setattr(services, "reminders_replan", failing_for_one)
    published(admin_user, steps_with(local_time="19:15"))
    # A third infusion has nothing to re-plan and a reminder due now.
    Reminder.objects.filter(episode=up_to_date).update(plan_version=2)
    Reminder.objects.filter(pk=due.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    services.reminders_dispatch_all()
    assert set(Reminder.objects.filter(episode=broken).values_list("plan_version", flat=True)) == {1}
    assert Reminder.objects.get(episode=fine, kind="hydration_day_before").plan_version == 2
    assert Reminder.objects.get(pk=due.pk).status == "dispatched"  # the tick went on to send


def test_the_author_edits_a_draft_plan_and_its_checks_still_apply(client, admin_user):
    draft = plans.reminder_plan_draft(author=admin_user, steps=DEFAULT_PLAN["steps"])
    url = f"{CHANGELIST}{draft.pk}/change/"
    client.force_login(admin_user)
    refused = client.post(url, {"document": json.dumps(drop("check_48h"))})
    assert "safety-critical and must stay" in refused.content.decode()
    steps = [dict(step) for step in DEFAULT_PLAN["steps"]]
    steps[0]["window_minutes"] = 45
    assert client.post(url, {"document": json.dumps(steps)}).status_code == 302
    draft.refresh_from_db()
    assert draft.steps == steps and draft.status == "draft"


def test_the_plan_list_says_the_built_in_plan_is_in_use_until_one_is_published(client, admin_user):
    client.force_login(admin_user)
    page = client.get(CHANGELIST).content.decode()
    assert "Reminders follow the built-in plan (version 1) until a version is published here." in page
