"""Admin for clinical content. Every change goes through services: the admin only collects input."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Max, Q
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from ivigapp.core.admin import adopt
from ivigapp.protocols.content import services
from ivigapp.protocols.content.models import (
    ContentItem,
    ContentTranslation,
    ContentVersion,
    TranslationStatus,
    translated_languages,
)
from ivigapp.protocols.content.render import clean_text
from ivigapp.protocols.models import ApprovalStatus


def _report(modeladmin, request, objects, service, done, as_name="version"):
    for obj in objects:
        try:
            service(actor=request.user, **{as_name: obj})
        except ValidationError as error:
            modeladmin.message_user(request, f"{obj}: {'; '.join(error.messages)}", messages.ERROR)
        else:
            modeladmin.message_user(request, f"{obj}: {done}", messages.SUCCESS)


class ContentItemForm(forms.ModelForm):
    class Meta:
        model = ContentItem
        fields = ["key", "kind", "essential", "text_format"]


class VersionInline(admin.TabularInline):
    model = ContentVersion
    fields = ["number", "status", "urgent", "title", "author", "approved_by", "published_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ContentItem)
class ContentItemAdmin(admin.ModelAdmin):
    form = ContentItemForm
    list_display = ["key", "kind", "essential", "published_version"]
    list_filter = ["kind", "essential"]
    search_fields = ["key", "versions__title"]
    inlines = [VersionInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(published=Max("versions__number", filter=Q(versions__status=ApprovalStatus.PUBLISHED)))
        )

    @admin.display(description=_("published version"), ordering="published")
    def published_version(self, obj):
        return obj.published or "-"

    def get_readonly_fields(self, request, obj=None):
        return ["key"] if obj else []

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            services.content_item_update(
                actor=request.user,
                item=obj,
                kind=data["kind"],
                essential=data["essential"],
                text_format=data["text_format"],
            )
        else:
            created = services.content_item_create(
                actor=request.user,
                key=data["key"],
                kind=data["kind"],
                essential=data["essential"],
                text_format=data["text_format"],
            )
            adopt(obj, created)


class StoredText(forms.CharField):
    """Text compared as it is stored. A browser sends a textarea's line breaks as CRLF and the
    services store LF, so every multi-line translation on the page read as changed: saving one
    language sent them all back to draft, under the name of whoever pressed Save."""

    def to_python(self, value):
        return clean_text(super().to_python(value))


class TranslationForm(forms.ModelForm):
    class Meta:
        model = ContentTranslation
        fields = ["language", "title", "body"]
        field_classes = {"title": StoredText, "body": StoredText}
        widgets = {"body": forms.Textarea(attrs={"rows": 6, "cols": 80})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "language" in self.fields:
            self.fields["language"].choices = [
                c for c in self.fields["language"].choices if c[0] in translated_languages()
            ]

    def clean(self):
        data = super().clean()
        version = self.instance.version if self.instance.version_id else None
        if version is None or not self.has_changed():
            return data
        if not (data.get("title") or "").strip():
            self.add_error("title", _("Write the translated title, or leave this language unchanged."))
        if not (data.get("body") or "").strip():
            self.add_error("body", _("Write the translated text, or leave this language unchanged."))
        if self.errors:
            return data
        for field in ("title", "body"):
            try:
                services.placeholders_check(
                    source=getattr(version, field), translation=data.get(field) or "", field=field
                )
            except ValidationError as error:
                self.add_error(field, error.message_dict[field])
        return data


class TranslationInline(admin.StackedInline):
    model = ContentTranslation
    form = TranslationForm
    fields = ["language", "status", "needs_clinical_review", "title", "body", "translated_by", "reviewed_by"]
    readonly_fields = ["status", "needs_clinical_review", "translated_by", "reviewed_by"]
    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "language"]

    def get_max_num(self, request, obj=None, **kwargs):
        return len(translated_languages())

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status == ApprovalStatus.RETIRED:
            return False
        return super().has_change_permission(request, obj)


class VersionForm(forms.ModelForm):
    class Meta:
        model = ContentVersion
        fields = ["item", "title", "body", "urgent", "note"]
        field_classes = {"title": StoredText, "body": StoredText}
        widgets = {"body": forms.Textarea(attrs={"rows": 10, "cols": 80})}


@admin.register(ContentVersion)
class ContentVersionAdmin(admin.ModelAdmin):
    """New versions start as drafts. Submit, approve (by someone else), publish and retire are actions."""

    form = VersionForm
    list_display = ["item", "number", "status", "urgent", "title", "author", "approved_by", "published_at"]
    list_filter = ["status", "urgent", "item__kind"]
    search_fields = ["item__key", "title"]
    list_select_related = ["item", "author", "approved_by"]
    inlines = [TranslationInline]
    actions = ["submit", "approve", "return_to_draft", "publish", "retire", "compare"]
    readonly_base = [
        "number",
        "status",
        "author",
        "approved_by",
        "created_at",
        "submitted_at",
        "approved_at",
        "published_at",
        "retired_at",
        "compare_link",
    ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        if obj.status == ApprovalStatus.DRAFT:
            return ["item", *self.readonly_base]
        return ["item", "title", "body", "urgent", "note", *self.readonly_base]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("compare"))
    def compare_link(self, obj):
        previous = obj.item.versions.filter(number__lt=obj.number).order_by("-number").first()
        if previous is None:
            return "-"
        url = reverse("content:compare", args=[previous.pk, obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Compare with version %(n)s") % {"n": previous.number})

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            created = services.content_version_draft(
                actor=request.user,
                item=data["item"],
                title=data["title"],
                body=data["body"],
                urgent=data["urgent"],
                note=data["note"],
            )
            adopt(obj, created)
        elif obj.status == ApprovalStatus.DRAFT and form.has_changed():
            services.content_version_update(
                actor=request.user,
                version=obj,
                title=data["title"],
                body=data["body"],
                urgent=data["urgent"],
                note=data["note"],
            )

    def save_formset(self, request, form, formset, change):
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.forms:
            if not inline_form.has_changed():
                continue
            translation = inline_form.instance
            saved = services.translation_save(
                actor=request.user,
                version=form.instance,
                language=translation.language,
                title=inline_form.cleaned_data["title"],
                body=inline_form.cleaned_data["body"],
            )
            formset.changed_objects.append((saved, inline_form.changed_data))
            if form.instance.status == ApprovalStatus.PUBLISHED and saved.status == TranslationStatus.DRAFT:
                messages.warning(
                    request,
                    _(
                        "Patients reading %(language)s see the text in %(source)s until this translation is"
                        " reviewed by another administrator."
                    )
                    % {
                        "language": saved.get_language_display(),
                        "source": get_language_info(settings.LANGUAGE_CODE)["name_translated"],
                    },
                )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            self.message_user(request, "; ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    @admin.action(description=_("Submit for review"))
    def submit(self, request, queryset):
        _report(self, request, queryset, services.content_version_submit, _("submitted for review"))

    @admin.action(description=_("Approve (a different person from the author)"))
    def approve(self, request, queryset):
        _report(self, request, queryset, services.content_version_approve, _("approved"))

    @admin.action(description=_("Send back to draft"))
    def return_to_draft(self, request, queryset):
        _report(self, request, queryset, services.content_version_return, _("sent back to draft"))

    @admin.action(description=_("Publish (retires the previously published version)"))
    def publish(self, request, queryset):
        _report(self, request, queryset, services.content_version_publish, _("published"))

    @admin.action(description=_("Retire (withdraw without a replacement)"))
    def retire(self, request, queryset):
        _report(self, request, queryset, services.content_version_retire, _("retired"))

    @admin.action(description=_("Compare the two selected versions side by side"))
    def compare(self, request, queryset):
        versions = list(queryset.order_by("number")[:3])
        if len(versions) != 2 or versions[0].item_id != versions[1].item_id:
            self.message_user(request, _("Select exactly two versions of the same item."), messages.ERROR)
            return None
        return HttpResponseRedirect(reverse("content:compare", args=[versions[0].pk, versions[1].pk]))


@admin.register(ContentTranslation)
class ContentTranslationAdmin(admin.ModelAdmin):
    """Translations are written on their version's page; here they are listed and reviewed."""

    list_display = [
        "version",
        "language",
        "status",
        "needs_clinical_review",
        "translated_by",
        "reviewed_by",
        "updated_at",
    ]
    list_filter = ["status", "language", "needs_clinical_review", "version__item__kind"]
    search_fields = ["version__item__key", "title"]
    list_select_related = ["version__item", "translated_by", "reviewed_by"]
    actions = ["review"]
    readonly_fields = [
        "version",
        "language",
        "status",
        "title",
        "body",
        "needs_clinical_review",
        "translated_by",
        "reviewed_by",
        "reviewed_at",
        "updated_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Mark reviewed (clinically checked, by someone other than the translator)"))
    def review(self, request, queryset):
        _report(self, request, queryset, services.translation_review, _("reviewed"), as_name="translation")
