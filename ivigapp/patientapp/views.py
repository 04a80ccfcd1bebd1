"""The installable patient app: its HTML shell and its service worker.

Neither carries patient data, so both are served without a session: the shell is precached by
the service worker and the app itself finds out from the API whether the session is still valid.
"""

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_safe


@require_safe
@ensure_csrf_cookie
def shell(request):
    response = render(
        request,
        "patientapp/shell.html",
        {
            "csrf_cookie_name": settings.CSRF_COOKIE_NAME,
            "language_cookie_name": settings.LANGUAGE_COOKIE_NAME,
        },
    )
    # No patient data in it: a revalidated copy may be kept (the service worker precaches it).
    response["Cache-Control"] = "no-cache"
    return response


@require_safe
def service_worker(request):
    """The Workbox-built worker (tools/build-sw.mjs writes it into the data folder)."""
    path = settings.DATA_DIR / "sw.js"
    try:
        body = path.read_bytes()
    except FileNotFoundError:
        raise Http404("The service worker has not been built (make setup).") from None
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/"
    return response
