from django.db import migrations


def seed_the_tree(apps, schema_editor):
    """The shipped tree (catalogue/data/disease_tree.json): its groups and categories,
    and its place, Chinese name and codes for each disease already held; then every
    trial's disease_names re-derived to include the ancestors of its diseases."""
    from catalogue.disease_tree import DiseaseTree, refresh_trial_disease_names, seed

    Disease = apps.get_model("catalogue", "Disease")
    seed(Disease, place=True)
    tree = DiseaseTree.from_rows(Disease.objects.values_list("id", "name", "parent_id", "kind", "category", "name_zh"))
    refresh_trial_disease_names(tree=tree)


FILL_TARGET_COMBINATIONS = """
    UPDATE catalogue_trial SET target_combination = array_to_string(antigen_names, ' + ')
    WHERE cardinality(antigen_names) >= 2
"""


class Migration(migrations.Migration):
    """Data apart from 0016's schema: the data-version triggers of these updates must
    not be pending when 0016 builds its indexes."""

    dependencies = [
        ("catalogue", "0021_disease_tree"),
    ]

    operations = [
        migrations.RunPython(seed_the_tree, migrations.RunPython.noop),
        migrations.RunSQL(FILL_TARGET_COMBINATIONS, migrations.RunSQL.noop),
    ]
