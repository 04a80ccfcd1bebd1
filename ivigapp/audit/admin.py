from django.contrib import admin

from ivigapp.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "actor_username", "role", "action", "outcome", "patient_id", "request_id"]
    list_filter = ["outcome", "role", "action"]
    search_fields = ["actor_username", "=patient_id", "=request_id"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
