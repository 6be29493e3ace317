"""The `curators` group: can change trials and vocabularies, but not users."""

from django.db import migrations

PERMISSIONS = {
    "trial": ("view", "change"),
    "doselevel": ("view", "add", "change", "delete"),
    "site": ("view", "add", "change", "delete"),
    "antigen": ("view", "add", "change", "delete"),
    "disease": ("view", "add", "change", "delete"),
    "sourcedocument": ("view",),
    "trialchange": ("view",),
}


def create_group(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; the group needs them now.
    app_config = apps.get_app_config("catalogue")
    app_config.models_module = True  # historical app configs lack it; create_permissions needs it set
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="curators")
    codenames = [f"{action}_{model}" for model, actions in PERMISSIONS.items() for action in actions]
    group.permissions.set(Permission.objects.filter(content_type__app_label="catalogue", codename__in=codenames))


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="curators").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
