from django.urls import path

from ivigapp.protocols.content import views

app_name = "content"

urlpatterns = [
    path("status/", views.content_status, name="status"),
    path("compare/<int:old_id>/<int:new_id>/", views.content_compare, name="compare"),
    path("read/<str:key>/", views.content_read, name="read"),
]
