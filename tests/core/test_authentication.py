"""The API's session authentication hands views the user itself, not Django's lazy wrapper."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.utils.functional import SimpleLazyObject
from rest_framework.request import Request

from ivigapp.core.authentication import SessionAuthentication

pytestmark = pytest.mark.django_db


def api_request(user) -> Request:
    """A DRF request as AuthenticationMiddleware leaves it: request.user loads on first use."""
    django_request = RequestFactory().get("/api/v1/me/")
    django_request.user = SimpleLazyObject(lambda: user)
    return Request(django_request, authenticators=[SessionAuthentication()])


def test_a_signed_in_user_comes_unwrapped(patient):
    # With DRF's own SessionAuthentication this is the SimpleLazyObject around the user.
    request = api_request(patient.user)
    assert request.user is patient.user
    assert request._request.user is patient.user  # what middleware sees after the view


def test_anonymous_and_inactive_users_are_not_authenticated(patient):
    assert not api_request(AnonymousUser()).user.is_authenticated
    patient.user.is_active = False
    assert not api_request(patient.user).user.is_authenticated


def test_the_api_answers_as_before_for_the_signed_in_user(client, patient):
    client.force_login(patient.user)
    body = client.get("/api/v1/me/").json()
    assert body["id"] == str(patient.pk)
