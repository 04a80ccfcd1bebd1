"""The three roles, as Django groups. A user holds at most one of them."""

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db import connection

ROLE_PATIENT = "patient"
ROLE_NURSE = "nurse"
ROLE_ADMIN = "clinical_admin"
STAFF_ROLES = {ROLE_NURSE, ROLE_ADMIN}
# Not a role of its own: nurses in this group also receive escalations of overdue alerts.
GROUP_ON_CALL = "on_call"

# Model permissions each group holds, as "app_label.codename". Administrators manage accounts,
# care teams and enrolment data in the Django admin; clinical rows stay behind the access module.
ROLE_PERMISSIONS = {
    ROLE_PATIENT: [],
    ROLE_NURSE: ["patients.view_patient", "patients.view_careassignment"],
    ROLE_ADMIN: [
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
        "patients.view_patient",
        "patients.add_patient",
        "patients.change_patient",
        "patients.view_careassignment",
        "patients.add_careassignment",
        "patients.change_careassignment",
        "patients.view_region",
        "patients.add_region",
        "patients.change_region",
        "audit.view_auditevent",
        "protocols.view_product",
        "protocols.add_product",
        "protocols.change_product",
        "protocols.view_rateprotocol",
        "protocols.add_rateprotocol",
        "protocols.change_rateprotocol",
        "protocols.view_triageruleset",
        "protocols.add_triageruleset",
        "protocols.change_triageruleset",  # a draft, by its author (the admin refuses the rest)
        "reminders.view_reminderplan",
        "reminders.add_reminderplan",
        "reminders.change_reminderplan",
        "protocols.view_contentitem",
        "protocols.add_contentitem",
        "protocols.change_contentitem",
        "protocols.view_contentversion",
        "protocols.add_contentversion",
        "protocols.change_contentversion",
        "protocols.view_contenttranslation",
        "protocols.change_contenttranslation",
        "reactions.view_plan",
        "reactions.add_plan",
        "reactions.change_plan",
    ],
}


def user_role(user) -> str | None:
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    cached = getattr(user, "_ivig_role", "unset")
    if cached != "unset":
        return cached
    if user.is_superuser:
        role = ROLE_ADMIN
    else:
        names = _group_names(user)
        role = next((r for r in (ROLE_ADMIN, ROLE_NURSE, ROLE_PATIENT) if r in names), None)
    user._ivig_role = role
    return role


def _group_names(user) -> set[str]:
    """The names of the user's groups. Every request asks (the session policy, the API): in plain
    SQL, since compiling the ORM query would cost more than running it."""
    qn = connection.ops.quote_name
    model = get_user_model()
    link = model.groups.through._meta
    user_column = link.get_field(model._meta.model_name).column
    group_column = link.get_field("group").column
    sql = (
        f"SELECT g.{qn('name')} FROM {qn(Group._meta.db_table)} g JOIN {qn(link.db_table)} l"  # noqa: S608 (model tables)
        f" ON l.{qn(group_column)} = g.{qn(Group._meta.pk.column)} WHERE l.{qn(user_column)} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk])
        return {name for (name,) in cursor.fetchall()}


def is_staff_role(user) -> bool:
    return user_role(user) in STAFF_ROLES


def roles_ensure() -> None:
    """Creates the groups and gives them exactly their permissions (idempotent)."""
    # Permissions of apps migrated after this one may not exist yet: make them first.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    Group.objects.get_or_create(name=GROUP_ON_CALL)
    for name, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".")
            wanted.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(wanted)
