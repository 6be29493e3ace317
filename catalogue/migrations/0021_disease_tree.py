import django.contrib.postgres.fields
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0020_sites_as_data"),
    ]

    operations = [
        migrations.AddField(
            model_name="disease",
            name="codes",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(max_length=40), blank=True, default=list, size=None
            ),
        ),
        migrations.AddField(
            model_name="disease",
            name="kind",
            field=models.CharField(
                choices=[("category", "Category"), ("group", "Disease group"), ("disease", "Disease")],
                default="disease",
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="disease",
            name="name_zh",
            field=models.CharField(blank=True, max_length=100, verbose_name="Chinese name"),
        ),
        migrations.AddField(
            model_name="disease",
            name="parent",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="children",
                to="catalogue.disease",
            ),
        ),
        migrations.AddField(
            model_name="trial",
            name="target_combination",
            field=models.CharField(blank=True, editable=False, max_length=400, null=True),
        ),
        migrations.AddIndex(
            model_name="trial",
            index=models.Index(fields=["target_combination"], name="trial_target_combination_idx"),
        ),
    ]
