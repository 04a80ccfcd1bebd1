"""Admin pages for signed-off clinical content: submit, approve (by someone other than the author)
and publish are actions (SignOffActions). For content kept as one JSON document per version
(triage rule sets, reminder plans), a new version is written as JSON, starting from the version in
use, and saved as a draft through its service; its author may edit it while it is a draft, and
every other version is only read (SignedOffAdmin)."""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ivigapp.core.admin import adopt
from ivigapp.protocols.models import ApprovalStatus
from ivigapp.protocols.services import signoff_approve, signoff_publish, signoff_submit


class DocumentForm(forms.ModelForm):
    """Subclasses give Meta.model (with `fields = []`), `document_attr`, `starting_point()` and
    `check(document)`."""

    document_attr = ""
    document = forms.CharField(widget=forms.Textarea(attrs={"rows": 30, "cols": 100}), label=_("JSON"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A draft being edited shows its own JSON; a new version starts from the one in use.
        source = getattr(self.instance, self.document_attr) if self.instance.pk else self.starting_point()
        self.fields["document"].initial = json.dumps(source, indent=1, ensure_ascii=False)

    def starting_point(self):
        raise NotImplementedError

    def check(self, document) -> None:
        raise NotImplementedError

    def clean_document(self):
        try:
            document = json.loads(self.cleaned_data["document"])
        except json.JSONDecodeError as error:
            raise ValidationError(_("This is not valid JSON: %(error)s") % {"error": error}) from None
        try:
            self.check(document)
        except ValidationError as error:
            raise ValidationError([m for ms in error.message_dict.values() for m in ms]) from None
        return document


class SignOffActions(admin.ModelAdmin):
    """Submit, approve (by someone other than the author) and publish as admin actions; a version
    is never deleted. Subclasses may give `publish_service`."""

    actions = ["submit", "approve", "publish"]

    def has_delete_permission(self, request, obj=None):
        return False

    @staticmethod
    def editable(request, obj) -> bool:
        """A draft, by its author (so a typo is fixed in place, not by drafting another version)."""
        return obj.status == ApprovalStatus.DRAFT and obj.author_id == request.user.pk

    def has_change_permission(self, request, obj=None):
        # Every other version is only read; the services refuse the rest (draft_locked).
        return (obj is None or self.editable(request, obj)) and super().has_change_permission(request, obj)

    def version_label(self, obj) -> str:
        return f"{obj._meta.verbose_name} v{obj.version}"  # "triage rule set v2", not "v2"

    def _run(self, request, queryset, service, done):
        for version in queryset:
            try:
                service(actor=request.user, obj=version)
            except ValidationError as error:
                outcome, level = "; ".join(error.messages), messages.ERROR
            else:
                outcome, level = done, messages.SUCCESS
            self.message_user(request, f"{self.version_label(version)}: {outcome}", level)

    @admin.action(description=_("Submit for review"))
    def submit(self, request, queryset):
        self._run(request, queryset, signoff_submit, _("submitted for review"))

    @admin.action(description=_("Approve (a different person from the author)"))
    def approve(self, request, queryset):
        self._run(request, queryset, signoff_approve, _("approved"))

    @admin.action(description=_("Publish"))
    def publish(self, request, queryset):
        self._run(request, queryset, self.publish_service, _("published"))

    def publish_service(self, *, actor, obj):
        return signoff_publish(actor=actor, obj=obj, others=self.model.objects.all())


class SignedOffAdmin(SignOffActions):
    """Subclasses give `form`, `document_attr` (the model field holding the JSON), `draft()` and
    `update()`."""

    document_attr = ""
    list_display = ["version", "status", "author", "approved_by", "published_at"]
    list_select_related = ["author", "approved_by"]
    readonly_fields = ["version", "status", "author", "approved_by", "approved_at", "published_at", "document_shown"]

    def draft(self, request, document):
        raise NotImplementedError

    def update(self, request, obj, document):
        raise NotImplementedError

    def get_readonly_fields(self, request, obj=None):
        # A new version is only its document: the service gives it its version, status and author
        # on saving. An existing one is read as indented JSON, unless its author edits the draft.
        if obj is None:
            return []
        fields = super().get_readonly_fields(request, obj)
        return [f for f in fields if f != "document_shown"] if self.editable(request, obj) else fields

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is None:
            return fields
        if self.editable(request, obj):
            return [f for f in fields if f != "document_shown"]
        return [f for f in fields if f != "document"]

    @admin.display(description=_("JSON"))
    def document_shown(self, obj):
        document = getattr(obj, self.document_attr)
        return format_html('<pre class="document-json">{}</pre>', json.dumps(document, indent=1, ensure_ascii=False))

    def save_model(self, request, obj, form, change):
        document = form.cleaned_data["document"]
        adopt(obj, self.update(request, obj, document) if change else self.draft(request, document))
