"""Every branch of the access module, through the pages and API that use it."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from ivigapp.audit.models import AuditEvent
from ivigapp.patients import services
from ivigapp.patients.access import patients_for
from ivigapp.patients.models import CareAssignment

pytestmark = pytest.mark.django_db


def detail_url(patient):
    return reverse("reactions:patient", args=[patient.pk])


def api_url(patient_id):
    return reverse("api-patient-detail", args=[str(patient_id)])


def test_it_shows_a_patient_only_themself(patient, other_patient):
    assert list(patients_for(patient.user)) == [patient]


def test_it_shows_a_nurse_their_current_patients(nurse, patient, other_patient):
    assert list(patients_for(nurse)) == [patient]


def test_it_shows_an_administrator_no_patients(admin_user, patient, other_patient):
    assert list(patients_for(admin_user)) == []


def test_it_shows_anonymous_and_roleless_users_no_patients(patient):
    from django.contrib.auth.models import AnonymousUser

    roleless = get_user_model().objects.create_user("nobody")
    assert list(patients_for(AnonymousUser())) == []
    assert list(patients_for(roleless)) == []


def test_it_ignores_assignments_that_ended_or_have_not_started(admin_user, nurse, other_patient):
    now = timezone.now()
    CareAssignment.objects.create(
        nurse=nurse, patient=other_patient, starts_at=now - timedelta(days=9), ends_at=now - timedelta(days=1)
    )
    CareAssignment.objects.create(nurse=nurse, patient=other_patient, starts_at=now + timedelta(days=1))
    assert list(patients_for(nurse)) == []


def test_it_ignores_inactive_users(nurse, patient):
    nurse.is_active = False
    nurse.save()
    assert list(patients_for(nurse)) == []


def test_assigned_nurse_reads_and_the_read_is_audited(client, nurse, patient):
    client.force_login(nurse)
    response = client.get(detail_url(patient))
    assert response.status_code == 200
    assert patient.display_name in response.content.decode()
    event = AuditEvent.objects.get(action="patient.view")
    assert (event.actor_id, event.role, event.patient_id, event.outcome) == (nurse.pk, "nurse", patient.pk, "ok")
    assert event.request_id == response["X-Request-ID"]


def test_unassigned_nurse_gets_404_and_the_denial_is_audited(client, other_nurse, patient):
    client.force_login(other_nurse)
    response = client.get(detail_url(patient))
    assert response.status_code == 404
    event = AuditEvent.objects.get(action="patient.view")
    assert (event.actor_id, event.patient_id, event.outcome) == (other_nurse.pk, patient.pk, "denied")


def test_a_patient_cannot_open_another_patient(client, patient, other_patient):
    client.force_login(patient.user)
    assert client.get(detail_url(other_patient)).status_code == 404
    assert client.get(api_url(other_patient.pk)).status_code == 404
    assert AuditEvent.objects.filter(actor_id=patient.user.pk, outcome="denied").count() == 2


def test_a_patient_reading_themself_is_not_a_staff_read(client, patient):
    client.force_login(patient.user)
    assert client.get(api_url(patient.pk)).status_code == 200
    assert not AuditEvent.objects.filter(action="patient.view").exists()


def test_administrators_get_404_for_patient_data(client, admin_user, patient):
    client.force_login(admin_user)
    assert client.get(detail_url(patient)).status_code == 404
    assert client.get(api_url(patient.pk)).status_code == 404
    assert client.get(reverse("api-patient-list")).json() == []


def test_a_malformed_id_is_a_404_not_a_500(client, nurse, patient):
    client.force_login(nurse)
    response = client.get(api_url("not-a-uuid"))
    assert response.status_code == 404
    event = AuditEvent.objects.get(outcome="denied")
    assert event.patient_id is None and event.object_ids == ["not-a-uuid"]


def test_anonymous_users_are_sent_to_sign_in(client, patient):
    response = client.get(detail_url(patient))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.get(api_url(patient.pk)).status_code == 403


def test_reassignment_counts_from_the_very_next_request(client, admin_user, nurse, other_nurse, patient):
    client.force_login(nurse)
    assert client.get(detail_url(patient)).status_code == 200
    assignment = CareAssignment.objects.get(nurse=nurse, patient=patient)
    services.care_team_end(actor=admin_user, assignment=assignment)
    services.care_team_assign(actor=admin_user, nurse=other_nurse, patient=patient)
    # Same session, no re-login.
    assert client.get(detail_url(patient)).status_code == 404
    assert client.get(reverse("api-patient-list")).json() == []
    client.force_login(other_nurse)
    assert client.get(detail_url(patient)).status_code == 200


def test_the_nurse_list_shows_only_assigned_patients_and_audits_each(client, nurse, patient, other_patient):
    client.force_login(nurse)
    response = client.get(reverse("reactions:patients"))
    body = response.content.decode()
    assert patient.display_name in body and other_patient.display_name not in body
    assert list(AuditEvent.objects.filter(action="patient.list").values_list("patient_id", flat=True)) == [patient.pk]


def test_the_patient_list_takes_the_same_queries_for_1_and_20_patients(
    client, django_assert_num_queries, admin_user, nurse, region
):
    from tests.conftest import make_patient

    client.force_login(nurse)

    def add(n):
        for i in range(n):
            p = make_patient(f"p{CareAssignment.objects.count()}x{i}", region, admin_user)
            services.care_team_assign(actor=admin_user, nurse=nurse, patient=p)

    add(1)
    # 1 session, 2 user, 3 user's groups (role), 4 patients with region and risk profile,
    # 5 audit bulk insert, 6-8 savepoint, session expiry refresh (staff idle window), release
    with django_assert_num_queries(8):
        client.get(reverse("reactions:patients"))
    add(19)
    with django_assert_num_queries(8):
        assert client.get(reverse("reactions:patients")).status_code == 200


def test_patient_pages_are_never_cached(client, nurse, patient):
    client.force_login(nurse)
    assert client.get(detail_url(patient))["Cache-Control"] == "no-store"
    assert client.get(api_url(patient.pk))["Cache-Control"] == "no-store"
