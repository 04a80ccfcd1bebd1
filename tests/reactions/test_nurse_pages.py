import csv
import html
import io
import json
import re
import uuid
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ivigapp.audit.models import AuditEvent
from ivigapp.patients import services as patient_services
from ivigapp.reactions import services
from ivigapp.reactions.models import Alert, ReactionReview
from ivigapp.reactions.models.reports import RED_FLAGS
from ivigapp.reactions.selectors import episode_timeline
from ivigapp.reactions.timeline import timeline_layout
from tests.conftest import make_patient
from tests.reactions.conftest import NO_RED_FLAGS, red_flags

pytestmark = pytest.mark.django_db


def report(episode, minutes=None, **fields):
    onset = episode.started_at + timedelta(minutes=minutes) if minutes is not None else timezone.now()
    data = dict(
        actor=episode.patient.user,
        patient=episode.patient,
        episode=episode,
        onset_at=onset,
        red_flag_answers=NO_RED_FLAGS,
        symptoms={},
    )
    data.update(fields)
    return services.symptom_report_submit(**data)


def pages(episode, some_report):
    patient_id = episode.patient_id
    return [
        reverse("reactions:patient", args=[patient_id]),
        reverse("reactions:timeline", args=[episode.pk]),
        reverse("reactions:summary", args=[episode.pk]),
        reverse("reactions:diary_csv", args=[patient_id]),
        reverse("reactions:diary_fhir", args=[patient_id]),
    ]


def test_every_patient_page_is_404_and_audited_for_an_unassigned_nurse(client, other_nurse, episode):
    r = report(episode, 47, symptoms={"HEADACHE": {"severity": 1}})
    client.force_login(other_nurse)
    for url in pages(episode, r):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(
            reverse("reactions:reaction_review", args=[r.pk]), {"ctcae_grade": 1, "suspected_type": "irr"}
        ).status_code
        == 404
    )
    denials = AuditEvent.objects.filter(actor_id=other_nurse.pk, outcome="denied", patient_id=episode.patient_id)
    assert denials.count() == 6
    assert not ReactionReview.objects.exists()


def test_every_patient_page_works_and_is_audited_for_the_assigned_nurse(client, nurse, episode):
    r = report(episode, 47, symptoms={"HEADACHE": {"severity": 1}})
    client.force_login(nurse)
    for url in pages(episode, r):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == "no-store"
    actions = set(AuditEvent.objects.filter(actor_id=nurse.pk, outcome="ok").values_list("action", flat=True))
    assert {"patient.view", "episode.timeline", "episode.summary", "export.csv", "export.fhir"} <= actions


def charted_episode(plan, weighed_patient):
    """A finished 2-hour infusion with four rate steps, a pause and a reaction at 47 minutes."""
    user = weighed_patient.user
    start = timezone.now() - timedelta(hours=3)
    ep = services.episode_schedule(actor=user, patient=weighed_patient, plan=plan, scheduled_start=start)
    services.episode_start(actor=user, episode=ep, started_at=start)
    for minutes, rate in ((0, 35), (20, 70), (40, 140), (70, 210)):
        services.rate_change_record(
            actor=user, episode=ep, at=start + timedelta(minutes=minutes), rate_ml_h=Decimal(rate)
        )
    pause = services.pause_start(actor=user, episode=ep, paused_at=start + timedelta(minutes=50))
    services.pause_end(actor=user, pause=pause, resumed_at=start + timedelta(minutes=60))
    services.episode_end(actor=user, episode=ep, ended_at=start + timedelta(minutes=120), status="complete")
    return ep, report(ep, 47, symptoms={"CHILLS": {"severity": 1}})


def test_onset_at_47_minutes_during_step_3_lands_in_step_3_on_the_chart(plan, weighed_patient):
    ep, r = charted_episode(plan, weighed_patient)
    assert (r.minutes_since_start, r.rate_step_at_onset) == (47, 3)
    data = episode_timeline(ep)
    chart = timeline_layout(ep, data, cap_ml_h=Decimal("240"))
    step3 = next(s for s in chart["segments"] if s.step_no == 3)
    marker = chart["reactions"][0]
    assert step3.x0 <= marker["x"] < step3.x1 and marker["step_no"] == 3
    # 120 minutes over 576 px of plot: 47 min is at 48 + 576 * 47 / 120.
    assert marker["x"] == pytest.approx(48 + 576 * 47 / 120, abs=0.1)
    assert chart["pauses"][0]["x0"] == pytest.approx(48 + 576 * 50 / 120, abs=0.1)
    assert step3.y < next(s for s in chart["segments"] if s.step_no == 2).y, "a higher rate is drawn higher"


@pytest.mark.parametrize(
    ("minutes", "labels"),
    [
        (18, ["0:00", "0:05", "0:10", "0:15"]),  # stopped for a reaction: every 5 minutes, not "0:00" alone
        (120, ["0:00", "0:15", "0:30", "0:45", "1:00", "1:15", "1:30", "1:45", "2:00"]),
        (26 * 60, ["0:00", "3:00", "6:00", "9:00", "12:00", "15:00", "18:00", "21:00", "24:00"]),
    ],
)
def test_the_time_axis_is_labelled_at_a_step_that_fits_the_infusion(plan, weighed_patient, minutes, labels):
    user = weighed_patient.user
    start = timezone.now() - timedelta(minutes=minutes + 5)
    ep = services.episode_schedule(actor=user, patient=weighed_patient, plan=plan, scheduled_start=start)
    services.episode_start(actor=user, episode=ep, started_at=start)
    services.rate_change_record(actor=user, episode=ep, at=start, rate_ml_h=Decimal(35))
    services.episode_end(actor=user, episode=ep, ended_at=start + timedelta(minutes=minutes), status="stopped_reaction")
    ticks = timeline_layout(ep, episode_timeline(ep))["ticks"]
    assert [t["label"] for t in ticks] == labels
    assert ticks[0]["x"] == 48 and all(a["x"] < b["x"] for a, b in zip(ticks, ticks[1:], strict=False))


def test_the_timeline_names_a_step_only_for_a_step_up(client, nurse, plan, weighed_patient):
    """A walkthrough read "Rate step 5 · 300.0 mL/h" for a rate the patient set by hand (between
    steps 5 and 6): only a step up as planned is a step; another rate is a rate change, with why."""
    ep, _report = charted_episode(plan, weighed_patient)
    user = weighed_patient.user
    services.rate_change_record(
        actor=user, episode=ep, at=ep.started_at + timedelta(minutes=80), rate_ml_h=Decimal(100), reason="reaction_slow"
    )
    client.force_login(nurse)
    page = client.get(reverse("reactions:timeline", args=[ep.pk])).content.decode()
    rows = [re.sub(r"<[^>]+>", " ", row) for row in re.findall(r"<tr>(.*?)</tr>", page, re.S)]
    rates = [" ".join(row.split()) for row in rows if "mL/h (" in row]
    assert sum("Rate changed" in row for row in rates) == 1
    assert "Rate changed" in next(row for row in rates if "100.0 mL/h" in row)
    assert "Slowed for a reaction" in next(row for row in rates if "100.0 mL/h" in row)
    assert sum(bool(re.search(r"Rate step \d", row)) for row in rates) == 4


@pytest.mark.parametrize("language", ["en", "es", "fr", "ar"])
def test_the_chart_is_drawn_with_plain_numbers_in_every_language(client, nurse, plan, weighed_patient, language):
    # es, fr and ar write decimals with a comma, which SVG cannot read: the chart fell apart.
    ep, _report = charted_episode(plan, weighed_patient)
    client.force_login(nurse)
    client.cookies["django_language"] = language
    for name in ("reactions:timeline", "reactions:summary"):
        page = client.get(reverse(name, args=[ep.pk])).content.decode()
        svg = page[page.index('<svg class="timeline-chart"') : page.index("</svg>")]
        numbers = re.findall(r'\s(?:x|y|x1|y1|x2|y2|cx|cy|width|height)="([^"]*)"', svg)
        assert len(numbers) > 40
        assert all(re.fullmatch(r"-?\d+(\.\d+)?", n) for n in numbers), (name, language, numbers)
        viewbox = re.search(r'viewBox="([^"]*)"', svg).group(1)
        assert re.fullmatch(r"0 0 \d+(\.\d+)? \d+(\.\d+)?", viewbox)


def test_arabic_staff_pages_write_dates_day_first_with_minutes(client, nurse, plan, weighed_patient):
    """Django's Arabic locale has no short date-and-time format: pages fell back to month first
    ("12/07/2026 4:28 ص" for 7 December), and times lost their minutes."""
    ep, _report = charted_episode(plan, weighed_patient)
    client.force_login(nurse)
    client.cookies["django_language"] = "ar"
    page = client.get(reverse("reactions:timeline", args=[ep.pk])).content.decode()
    assert not re.search(r"·\s*·", page)  # a reaction with no urgent signs left an empty part between dots
    # The legend's reaction key was one red dot, while reactions are drawn in their triage level's colour.
    assert re.findall(r'class="key reaction (\w+)"', page) == ["routine", "same_day", "urgent", "emergency"]
    local = timezone.localtime(ep.started_at, ZoneInfo(weighed_patient.timezone))
    assert f"{local:%d}\u200f/{local:%m}\u200f/{local:%Y} {local:%H:%M}" in page


def test_the_patient_page_shows_what_the_patient_reported_in_words(client, nurse, episode):
    # The nurse grades a reaction from this page: it needs the symptoms, not codes.
    report(
        episode,
        47,
        red_flag_answers=red_flags("RF_LIMB"),
        symptoms={"HEADACHE": {"severity": 3, "nrs": 8, "persisting": True}, "CHILLS": {"severity": 1}},
        temperature_c=Decimal("38.2"),
        actions_taken=["slowed", "called_nurse"],
    )
    client.force_login(nurse)
    page = client.get(reverse("reactions:patient", args=[episode.patient_id])).content.decode()
    assert "Urgent signs: Pain, swelling, warmth or redness in one arm or leg" in page
    assert "Symptoms: Headache: severe, pain 8/10, lasting; Chills or shivering: mild" in page
    assert "Temperature: 38.2 °C" in page
    assert "Done by the patient: Slowed the drip; Called the nurse" in page


def test_the_infusions_table_shows_the_highest_rate_after_a_step_down(client, nurse, episode):
    # 35 -> 70 -> 140 mL/h, then slowed to 70 for a reaction: the highest was 140, the last 70.
    services.rate_change_record(
        actor=episode.patient.user,
        episode=episode,
        at=episode.started_at + timedelta(minutes=90),
        rate_ml_h=Decimal(70),
    )
    client.force_login(nurse)
    page = client.get(reverse("reactions:patient", args=[episode.patient_id])).content.decode()
    row = page[page.index(reverse("reactions:timeline", args=[episode.pk])) :]
    row = row[: row.index("</tr>")]
    assert re.search(r"<td>140(\.0+)? mL/h</td>", row), row


def test_nurse_pages_show_times_in_the_patients_zone_and_say_so(client, nurse, episode):
    patient = episode.patient
    patient.timezone = "Asia/Kolkata"  # UTC+05:30 all year: no page can show it by chance
    patient.save(update_fields=["timezone"])
    r = report(episode, 47, symptoms={"HEADACHE": {"severity": 1}})

    def shown(moment, zone):
        local = moment.astimezone(ZoneInfo(zone))
        return f"{local.day} {local:%b %Y, %H:%M}"

    client.force_login(nurse)
    for name, arg, moment in (
        ("reactions:patient", patient.pk, r.onset_at),
        ("reactions:timeline", episode.pk, episode.started_at),
        ("reactions:summary", episode.pk, episode.started_at),
    ):
        page = client.get(reverse(name, args=[arg])).content.decode()
        assert "Times are the patient's local time (Asia/Kolkata)." in page, name
        assert shown(moment, "Asia/Kolkata") in page, name
        assert shown(moment, "UTC") not in page, name
    # Pages of many patients show each row in its patient's zone, and say so.
    alert = Alert.objects.get(report=report(episode, red_flag_answers=red_flags("RF_LIMB")))
    services.alert_acknowledge(actor=nurse, alert=alert)
    alert.refresh_from_db()
    queue = client.get(reverse("reactions:queue")).content.decode()
    assert "Times are each patient&#x27;s local time." in queue or "Times are each patient's local time." in queue
    local = alert.acknowledged_at.astimezone(ZoneInfo("Asia/Kolkata"))
    assert f"Acknowledged by nurse at {local:%H:%M}" in queue  # signed (it was not)


def test_the_fhir_bundle_validates_as_r4(client, nurse, episode):
    from fhir.resources.R4B.bundle import Bundle

    services.vial_add(
        actor=episode.patient.user,
        episode=episode,
        lot_number="LE12F045",
        expiry_date=timezone.localdate() + timedelta(days=200),
        vial_size_g=Decimal("20"),
    )
    report(episode, 47, red_flag_answers=red_flags("RF_AIRWAY"), symptoms={"HIVES": {"severity": 2}})
    client.force_login(nurse)
    body = json.loads(client.get(reverse("reactions:diary_fhir", args=[episode.patient_id])).content)
    bundle = Bundle.model_validate(body)
    kinds = [entry.resource.get_resource_type() for entry in bundle.entry]
    assert kinds.count("MedicationAdministration") == 1 and "AdverseEvent" in kinds
    assert "QuestionnaireResponse" in kinds and kinds[0] == "Patient"
    administration = next(
        e.resource for e in bundle.entry if e.resource.get_resource_type() == "MedicationAdministration"
    )
    assert administration.contained[0].batch.lotNumber == "LE12F045"
    assert administration.dosage.rateQuantity.value == 140.0


def test_an_unanswered_red_flag_question_is_left_out_of_the_fhir_response_and_named_on_the_nurse_pages(
    client, nurse, episode
):
    from fhir.resources.R4B.bundle import Bundle

    report(episode, 47, red_flag_answers={**dict.fromkeys(NO_RED_FLAGS), "RF_AIRWAY": True})
    client.force_login(nurse)
    body = json.loads(client.get(reverse("reactions:diary_fhir", args=[episode.patient_id])).content)
    response = next(
        e.resource
        for e in Bundle.model_validate(body).entry
        if e.resource.get_resource_type() == "QuestionnaireResponse"
    )
    items = {item.linkId: [answer.valueBoolean for answer in item.answer] for item in response.item}
    assert items["RF_AIRWAY"] == [True]
    assert not set(items) & (set(NO_RED_FLAGS) - {"RF_AIRWAY"})
    # The nurse's page says which questions went unanswered, apart from the ones answered no.
    page = client.get(reverse("reactions:patient", args=[episode.patient_id])).content.decode()
    labels = [str(RED_FLAGS[code]) for code in RED_FLAGS if code != "RF_AIRWAY"]
    unanswered = html.escape("; ".join(labels))
    assert f"Not answered: {unanswered}</p>" in page
    assert "RF_" not in re.sub(r"<[^>]+>", "", page)  # words the nurse reads, not codes
    # So do the infusion's timeline and the CSV.
    timeline = client.get(reverse("reactions:timeline", args=[episode.pk])).content.decode()
    assert f"{html.escape(str(RED_FLAGS['RF_AIRWAY']))} · Not answered: {unanswered}" in timeline
    rows = csv.DictReader(
        io.StringIO(client.get(reverse("reactions:diary_csv", args=[episode.patient_id])).content.decode())
    )
    reaction = next(row for row in rows if row["entry"] == "reaction")
    codes = ",".join(code for code in RED_FLAGS if code != "RF_AIRWAY")  # the export keeps the codes
    assert f"red_flags=RF_AIRWAY not_answered={codes} " in reaction["detail"]


def test_the_csv_lists_every_event_in_time_order_and_defuses_formulas(client, nurse, episode):
    report(episode, 47, free_text='=HYPERLINK("http://evil")', symptoms={"HEADACHE": {"severity": 1}})
    services.vitals_record(
        actor=episode.patient.user,
        episode=episode,
        measured_at=episode.started_at + timedelta(minutes=50),
        temperature_c=Decimal("37.9"),
        heart_rate=96,
        systolic=128,
        diastolic=82,
    )
    client.force_login(nurse)
    rows = list(
        csv.DictReader(
            io.StringIO(client.get(reverse("reactions:diary_csv", args=[episode.patient_id])).content.decode())
        )
    )
    assert [r["entry"] for r in rows] == ["infusion", "rate", "rate", "reaction", "vitals", "rate"]
    assert rows[4]["detail"] == "temp_c=37.9 heart_rate=96 bp=128/82"
    assert all(not r["detail"].startswith("=") for r in rows)


def test_lot_recall_finds_the_nurses_patients_and_administrators_find_everyone(
    client, nurse, admin_user, episode, other_patient, region, other_nurse
):
    services.vial_add(
        actor=episode.patient.user,
        episode=episode,
        lot_number="RECALL-1",
        expiry_date=timezone.localdate() + timedelta(days=90),
        vial_size_g=Decimal("10"),
        quantity=3,
    )
    client.force_login(other_nurse)
    assert episode.patient.display_name not in client.get("/nurse/lots/?lot=recall-1").content.decode()
    client.force_login(nurse)
    page = client.get("/nurse/lots/?lot=recall-1").content.decode()
    assert episode.patient.display_name in page
    assert "3 vials of lot recall-1" in page  # vials, not rows: one row of three vials
    client.force_login(admin_user)
    assert episode.patient.display_name in client.get("/nurse/lots/?lot=RECALL-1").content.decode()
    assert AuditEvent.objects.filter(
        action="lot.recall", actor_id=admin_user.pk, patient_id=episode.patient_id
    ).exists()


@pytest.mark.parametrize("lot", ["AB\x00C", "x", "LOT 1; DROP", "É" * 5])
def test_a_lot_that_cannot_exist_is_a_message_not_a_search(client, nurse, lot):
    """A lot number no vial can carry (a NUL character would even fail PostgreSQL) is answered with
    what to type, and nothing is searched or audited."""
    client.force_login(nurse)
    before = AuditEvent.objects.filter(action__startswith="lot.").count()
    response = client.get("/nurse/lots/", {"lot": lot})
    assert response.status_code == 400
    assert "Enter the lot number as printed" in response.content.decode()
    assert AuditEvent.objects.filter(action__startswith="lot.").count() == before


def test_a_nurse_acknowledges_annotates_and_resolves_from_the_queue(client, nurse, episode):
    r = report(episode, red_flag_answers=red_flags("RF_LIMB"))
    alert = Alert.objects.get(report=r)
    client.force_login(nurse)
    page = client.get(reverse("reactions:queue")).content.decode()
    assert f"alert-{alert.pk}" in page and "level-urgent" in page
    base = f"/nurse/alerts/{alert.pk}/"
    client.post(base + "acknowledge/")
    # An empty note is refused, and the page says so as an error (it looked like a success: green).
    refused = client.post(base + "annotate/", {"text": "  "}, follow=True).content.decode()
    assert '<li class="message error" role="alert"><strong>Not saved:</strong> Write a note.</li>' in refused
    client.post(base + "annotate/", {"text": "Calling you now."})
    # The card says what was reported, in words (it read "Reaction checklist · T03"), and who wrote
    # the note by name, not by username.
    nurse.first_name, nurse.last_name = "Ada", "Okafor"
    nurse.save(update_fields=["first_name", "last_name"])
    page = client.get(reverse("reactions:queue")).content.decode()
    card = page[page.index(f'id="alert-{alert.pk}"') :]
    card = html.unescape(card[: card.index("</li>")])
    assert str(RED_FLAGS["RF_LIMB"]) in card
    assert "Ada Okafor: Calling you now." in card
    client.post(base + "resolve/", {"resolution": "advice_given"})
    alert.refresh_from_db()
    assert alert.acknowledged_by == nurse and alert.resolution == "advice_given"
    assert alert.notes.get().text == "Calling you now."
    assert f"alert-{alert.pk}" not in client.get(reverse("reactions:queue")).content.decode()


def test_the_patient_page_keeps_the_history_of_resolved_alerts_with_who_and_the_notes(client, nurse, episode):
    """Once resolved an alert leaves the queue; the patient's page still shows it, who acknowledged and
    resolved it, how, and the notes the patient was sent. The queries do not grow with the alerts."""
    resolved = Alert.objects.get(report=report(episode, red_flag_answers=red_flags("RF_LIMB")))
    services.alert_acknowledge(actor=nurse, alert=resolved)
    services.alert_annotate(actor=nurse, alert=resolved, text="Calling you now.")
    services.alert_resolve(actor=nurse, alert=resolved, resolution="advice_given")
    still_open = Alert.objects.get(report=report(episode, red_flag_answers=red_flags("RF_CHEST")))
    client.force_login(nurse)
    url = reverse("reactions:patient", args=[episode.patient_id])
    page = client.get(url).content.decode()
    history = page[page.index('<ol class="alert-history">') :]
    history = history[: history.index("</ol>\n")]
    entries = re.findall(r'<li id="history-([0-9a-f-]+)"( class="resolved")?>(.*?)\n  </li>', history, re.S)
    assert [(pk, bool(done)) for pk, done, _ in entries] == [(str(still_open.pk), False), (str(resolved.pk), True)]
    text = {pk: " ".join(re.sub(r"<[^>]+>", " ", body).split()) for pk, _, body in entries}
    assert "Open; due" in text[str(still_open.pk)]
    done = text[str(resolved.pk)]
    assert f"Resolved by {nurse.get_username()} on" in done and done.endswith("Calling you now.")
    assert f"Acknowledged by {nurse.get_username()} on" in done  # kept once resolved
    assert "Advice given" in done

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    before = queries()
    for _ in range(3):
        more = Alert.objects.get(report=report(episode, red_flag_answers=red_flags("RF_LIMB")))
        services.alert_acknowledge(actor=nurse, alert=more)
        services.alert_annotate(actor=nurse, alert=more, text="Seen.")
        services.alert_resolve(actor=nurse, alert=more, resolution="advice_given")
    assert queries() == before


def test_another_nurse_cannot_act_on_the_alert(client, other_nurse, episode):
    alert = Alert.objects.get(report=report(episode, red_flag_answers=red_flags("RF_LIMB")))
    client.force_login(other_nurse)
    assert client.post(f"/nurse/alerts/{alert.pk}/acknowledge/").status_code == 404
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_the_queue_feed_is_background_traffic_and_lists_new_alerts(client, nurse, episode):
    client.force_login(nurse)
    empty = client.get("/nurse/alerts/feed/", HTTP_X_IVIG_BACKGROUND="1").json()
    alert = Alert.objects.get(report=report(episode, red_flag_answers=red_flags("RF_CHEST")))
    body = client.get("/nurse/alerts/feed/", HTTP_X_IVIG_BACKGROUND="1").json()
    assert empty["ids"] == [] and body["ids"] == [str(alert.pk)] and "level-emergency" in body["html"]


def test_emergencies_come_first_in_the_queue(client, nurse, episode):
    report(episode, red_flag_answers=red_flags("RF_LIMB"))
    report(episode, symptoms={"CHILLS": {"severity": 1}})
    report(episode, red_flag_answers=red_flags("RF_CHEST"))
    client.force_login(nurse)
    body = client.get("/nurse/alerts/feed/").json()
    levels = list(Alert.objects.filter(pk__in=body["ids"]).values_list("pk", "level"))
    order = {str(pk): level for pk, level in levels}
    assert [order[i] for i in body["ids"]] == ["emergency", "urgent", "same_day"]  # chills self-infusing: T15S


def test_a_grade_entered_by_the_nurse_is_stored_and_shown(client, nurse, episode):
    r = report(episode, 47, symptoms={"FLUSHING": {"severity": 1}})
    client.force_login(nurse)
    client.post(reverse("reactions:reaction_review", args=[r.pk]), {"ctcae_grade": "2", "suspected_type": "irr"})
    assert ReactionReview.objects.get(report=r).ctcae_grade == 2
    assert "CTCAE grade 2" in client.get(reverse("reactions:patient", args=[episode.patient_id])).content.decode()


def _many_patients(admin_user, nurse, region, count):
    from ivigapp.patients.models import Patient

    start = Patient.objects.count()
    for i in range(count):
        p = make_patient(f"bulk{start + i}", region, admin_user)
        patient_services.care_team_assign(actor=admin_user, nurse=nurse, patient=p)


@pytest.mark.parametrize("url", ["/nurse/patients/", "/nurse/alerts/"])
def test_the_queue_and_list_take_the_same_queries_for_10_and_1000_patients(
    client, admin_user, nurse, region, django_assert_num_queries, url, settings
):
    from ivigapp.patients.demo import _load_patients_create

    client.force_login(nurse)
    _many_patients(admin_user, nurse, region, 10)
    # 1 session, 2 user, 3 groups, 4 the page's rows (one query with subqueries), 5 one INSERT ... SELECT
    # auditing every patient shown, 6-8 savepoint, session expiry refresh (staff idle window), release
    with django_assert_num_queries(8) as small:
        client.get(url)
    from django.contrib.auth.hashers import make_password

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if not nurse.username == "nurse1":
        nurse.username = "nurse1"
        nurse.save(update_fields=["username"])
    _load_patients_create(990, region, make_password("x"))
    with django_assert_num_queries(8) as large:
        response = client.get(url)
    assert response.status_code == 200
    assert len(small.captured_queries) == len(large.captured_queries)


def test_the_queue_names_the_advice_the_patient_saw_in_the_nurses_language(client, admin_user, nurse, episode):
    from django.utils.html import escape

    from ivigapp.patients.roles import ROLE_ADMIN
    from ivigapp.protocols.content.demo import content_demo_seed
    from ivigapp.protocols.content.selectors import advice_texts
    from tests.conftest import make_staff

    content_demo_seed(author=admin_user, approver=make_staff("approver", ROLE_ADMIN))
    shown = report(episode, red_flag_answers=red_flags("RF_CHEST")).decision.advice
    client.force_login(nurse)
    for language in ("en", "fr"):
        page = client.get("/nurse/alerts/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        titles = advice_texts(shown, language)
        assert titles and all(escape(titles[key].title) in page for key in titles)
        assert not any(key in page for key in titles), "raw advice keys are for machines"


def test_the_patient_list_says_when_a_patient_is_due_with_nothing_planned(client, nurse, episode):
    """The column read "—" for every demo patient: nothing planned. By the plan's interval after the
    last start the next infusion is due, and the list says so (the patient's app shows that date)."""
    client.force_login(nurse)
    rows = client.get(reverse("reactions:patients") + "?sort=next_infusion").content.decode()
    due = timezone.localtime(
        episode.started_at + timedelta(days=episode.plan.interval_days), ZoneInfo(episode.patient.timezone)
    )
    assert f"due {due.day} {due:%b %Y}, not planned" in rows
    services.episode_schedule(
        actor=nurse, patient=episode.patient, plan=episode.plan, scheduled_start=timezone.now() + timedelta(days=2)
    )
    assert "not planned" not in client.get(reverse("reactions:patients")).content.decode()


def test_the_patient_list_says_how_long_ago_a_device_synced(client, nurse, episode):
    from ivigapp.sync.models import SyncClient

    device = SyncClient.objects.create(
        id=uuid.uuid4(), user=episode.patient.user, schema_version=1, last_seen_at=timezone.now()
    )
    client.force_login(nurse)
    assert "<td>just now</td>" in client.get(reverse("reactions:patients")).content.decode()  # not "0 minutes"
    SyncClient.objects.filter(pk=device.pk).update(last_seen_at=timezone.now() - timedelta(hours=2))
    assert "<td>2\xa0hours ago</td>" in client.get(reverse("reactions:patients")).content.decode()


def test_infusions_are_listed_newest_first_by_when_they_started(plan, weighed_patient):
    """An infusion planned for three weeks on and started early today sorted above one started an
    hour after it: the list went by the planned day."""
    from ivigapp.reactions.selectors import episodes_with_reports

    user, now = weighed_patient.user, timezone.now()
    early = services.episode_schedule(
        actor=user, patient=weighed_patient, plan=plan, scheduled_start=now + timedelta(days=21)
    )
    services.episode_start(actor=user, episode=early, started_at=now - timedelta(hours=3))
    services.episode_end(actor=user, episode=early, ended_at=now - timedelta(hours=2), status="complete")
    later = services.episode_schedule(
        actor=user, patient=weighed_patient, plan=plan, scheduled_start=now - timedelta(hours=1)
    )
    services.episode_start(actor=user, episode=later, started_at=now - timedelta(hours=1))
    planned = services.episode_schedule(
        actor=user, patient=weighed_patient, plan=plan, scheduled_start=now + timedelta(days=30)
    )
    assert [e.pk for e in episodes_with_reports(weighed_patient)] == [planned.pk, later.pk, early.pk]
