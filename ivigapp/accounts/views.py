import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from ivigapp.accounts.middleware import SESSION_AUTH_AT
from ivigapp.patients.roles import ROLE_PATIENT, is_staff_role, user_role


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.get_user()
        self.request.session[SESSION_AUTH_AT] = time.time()
        if is_staff_role(user):
            self.request.session.set_expiry(settings.STAFF_IDLE_SECONDS)
        else:
            self.request.session.set_expiry(settings.PATIENT_SESSION_SECONDS)
        if user_role(user) == ROLE_PATIENT:
            # The patient's own language wins over whatever the browser last chose.
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                user.patient.language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite="Lax",
                secure=not settings.DEBUG,
            )
        return response


class LogoutView(auth_views.LogoutView):
    """Signs out and tells the browser to drop everything this site stored."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        response["Clear-Site-Data"] = '"cache", "cookies", "storage"'
        return response


class ActivateView(auth_views.PasswordResetConfirmView):
    """First password for an enrolled patient, from the one-time link in the activation email."""

    template_name = "accounts/activate.html"
    success_url = reverse_lazy("accounts:login")
    post_reset_login = False

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password is set. Sign in to start."))
        return response
