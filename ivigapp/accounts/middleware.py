import time

from django.conf import settings
from django.contrib.auth import logout

from ivigapp.patients.roles import is_staff_role

# Requests the app makes on its own (polling, background sync) send this header; they must
# not count as activity, or an unattended screen would keep a staff session alive forever.
BACKGROUND_HEADER = "X-Ivig-Background"
SESSION_AUTH_AT = "ivig_auth_at"


class SessionPolicyMiddleware:
    """Staff sessions end after STAFF_IDLE_SECONDS without foreground activity and after
    STAFF_ABSOLUTE_SECONDS in all. The idle limit is the session's own expiry, so the server
    enforces it even if the browser keeps the cookie."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and is_staff_role(user):
            started = request.session.setdefault(SESSION_AUTH_AT, time.time())
            if time.time() - started > settings.STAFF_ABSOLUTE_SECONDS:
                logout(request)
            elif request.headers.get(BACKGROUND_HEADER) != "1":
                request.session.set_expiry(settings.STAFF_IDLE_SECONDS)
        return self.get_response(request)
