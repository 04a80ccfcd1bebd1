"""The API's session authentication: DRF's, handing the view the user itself.

Django's AuthenticationMiddleware sets request.user to a lazy wrapper that loads the user on first
use. Every attribute read through that wrapper then costs two Python calls, and a push reads the
actor's attributes for each of its rows (the role, the entered-by relation). Once DRF has checked
the user, the wrapper has loaded it: the view gets the same user without the wrapper.
"""

from django.utils.functional import LazyObject, empty
from drf_spectacular import authentication as openapi_authentication
from rest_framework import authentication


class SessionAuthentication(authentication.SessionAuthentication):
    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user, auth = result
        if isinstance(user, LazyObject) and user._wrapped is not empty:
            user = user._wrapped
        return user, auth


class SessionScheme(openapi_authentication.SessionScheme):
    """The OpenAPI schema describes it as DRF's session authentication (a cookie)."""

    target_class = SessionAuthentication
