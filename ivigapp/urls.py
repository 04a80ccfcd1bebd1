from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog

from ivigapp.core import views as core_views

admin.site.site_header = "ivigapp administration"
admin.site.site_title = "ivigapp"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("favicon.ico", RedirectView.as_view(url=static("icons/icon-192.png"), permanent=True)),
    path("accounts/", include("ivigapp.accounts.urls")),
    path("patients/", include("ivigapp.patients.urls")),
    path("api/", include("ivigapp.api")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("", include("pwa.urls")),
]
