from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode


@shared_task(name="ivigapp.accounts.tasks.activation_email_send", ignore_result=True)
def activation_email_send(user_id: int) -> None:
    """Emails a one-time link to set a first password (the token dies once a password is set)."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).select_related("patient").first()
    if user is None or not user.email or user.has_usable_password():
        return
    language = getattr(getattr(user, "patient", None), "language", settings.LANGUAGE_CODE)
    path = reverse(
        "accounts:activate",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    with translation.override(language):
        context = {"url": settings.SITE_URL + path, "username": user.get_username()}
        subject = render_to_string("accounts/activation_subject.txt", context).strip()
        body = render_to_string("accounts/activation_email.txt", context)
    send_mail(subject, body, None, [user.email])
