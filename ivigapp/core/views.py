from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.http import require_GET

from ivigapp.core.health import health_report
from ivigapp.patients.roles import ROLE_ADMIN, ROLE_NURSE, ROLE_PATIENT, user_role


@require_GET
def healthz(request):
    report = health_report()
    healthy = all(report.values())
    body = {"status": "ok" if healthy else "unavailable", **{k: "up" if v else "down" for k, v in report.items()}}
    return JsonResponse(body, status=200 if healthy else 503)


@login_required
def home(request):
    role = user_role(request.user)
    if role == ROLE_PATIENT:
        return redirect("/app/")
    if role == ROLE_NURSE:
        return redirect("reactions:queue")
    if role == ROLE_ADMIN:
        return redirect("admin:index")
    return render(request, "core/no_role.html", status=403)


def favicon(request):
    # Resolved per request: the hashed name exists only after collectstatic.
    return redirect(static("icons/icon-192.png"), permanent=True)
