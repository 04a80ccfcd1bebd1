from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from ivigapp.core import views as core_views

admin.site.site_header = "ivigapp administration"
admin.site.site_title = "ivigapp"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("favicon.ico", core_views.favicon),
    path("accounts/", include("ivigapp.accounts.urls")),
    path("patients/", include("ivigapp.patients.urls")),
    path("content/", include("ivigapp.protocols.content.urls")),
    path("nurse/", include("ivigapp.reactions.urls")),
    path("api/", include("ivigapp.api")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("", include("ivigapp.patientapp.urls")),
    path("", include("pwa.urls")),
]
