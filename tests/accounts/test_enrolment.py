import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction

from ivigapp.audit.models import AuditEvent
from ivigapp.patients import services
from ivigapp.patients.access import patients_for

pytestmark = pytest.mark.django_db


def enrol(admin_user, region, **extra):
    fields = dict(
        actor=admin_user,
        username="newpatient",
        email="new@example.org",
        display_name="New Patient",
        region=region,
        care_model="self_infusing",
        indication="PID",
        language="es",
        timezone_name="Europe/Madrid",
    )
    fields.update(extra)
    return services.patient_enrol(**fields)


def activation_path():
    return re.search(r"http://[^/]+(/accounts/activate/\S+/)", mail.outbox[-1].body).group(1)


def test_enrolment_emails_a_one_time_link_that_sets_the_first_password(
    client, admin_user, region, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        patient = enrol(admin_user, region)
    assert not patient.user.has_usable_password()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new@example.org"]
    assert "newpatient" in message.body and "CIDP" not in message.body and "PID" not in message.subject
    assert "contraseña" in message.body, "the email is in the patient's language"
    path = activation_path()
    form_page = client.get(path, follow=True)
    assert form_page.context["validlink"]
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-long-new-passphrase", "new_password2": "a-long-new-passphrase"},
    )
    assert response.status_code == 302
    patient.user.refresh_from_db()
    assert patient.user.check_password("a-long-new-passphrase")
    # The same link cannot be used twice.
    assert client.get(path, follow=True).context["validlink"] is False
    assert AuditEvent.objects.filter(action="patient.enrol", patient_id=patient.pk, actor_id=admin_user.pk).exists()


def test_a_rolled_back_enrolment_leaves_nothing_and_sends_nothing(
    admin_user, region, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            enrol(admin_user, region)
            raise RuntimeError("the caller failed after enrolling")
    assert mail.outbox == []
    assert not patients_for(admin_user).exists()
    from ivigapp.patients.models import Patient

    assert not Patient.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("timezone_name", "Mars/Olympus_Mons"), ("care_model", "teleport"), ("indication", "BACKACHE")],
)
def test_enrolment_refuses_bad_values_field_by_field(admin_user, region, field, value):
    with pytest.raises(ValidationError) as caught:
        enrol(admin_user, region, **{field: value})
    expected = {"timezone_name": "timezone"}.get(field, field)
    assert expected in caught.value.message_dict
    from ivigapp.patients.models import Patient

    assert not Patient.objects.exists()


def test_enrolment_refuses_a_taken_username(admin_user, region, patient):
    with pytest.raises(ValidationError) as caught:
        enrol(admin_user, region, username="PATIENT")
    assert "username" in caught.value.message_dict


def test_only_nurses_join_care_teams(admin_user, patient):
    with pytest.raises(ValidationError):
        services.care_team_assign(actor=admin_user, nurse=admin_user, patient=patient)


def test_password_reset_sends_a_link_that_works(client, patient):
    response = client.post("/accounts/password-reset/", {"email": "patient@example.org"})
    assert response.status_code == 302
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+/)", mail.outbox[-1].body).group(1)
    page = client.get(link, follow=True)
    assert page.context["validlink"]
