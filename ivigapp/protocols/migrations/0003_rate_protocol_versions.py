"""Rate protocols in signed-off versions. The protocols already stored are the ones in use: each
becomes version 1, published (it had no author or approval: it predates sign-off). A new row is a
draft."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("protocols", "0002_content"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="rateprotocol",
            options={
                "ordering": ["product", "indication", "infusion_type", "-version"],
                "verbose_name": "rate protocol",
                "verbose_name_plural": "rate protocols",
            },
        ),
        migrations.RemoveConstraint(
            model_name="rateprotocol",
            name="one_protocol_per_use",
        ),
        migrations.AddField(
            model_name="rateprotocol",
            name="approved_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="rateprotocol",
            name="approved_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="rateprotocol",
            name="author",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="rateprotocol",
            name="published_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="rateprotocol",
            name="status",
            field=models.CharField(
                choices=[
                    ("draft", "Draft"),
                    ("in_review", "In review"),
                    ("approved", "Approved"),
                    ("published", "Published"),
                    ("retired", "Retired"),
                ],
                default="published",
                max_length=16,
            ),
        ),
        migrations.AlterField(
            model_name="rateprotocol",
            name="status",
            field=models.CharField(
                choices=[
                    ("draft", "Draft"),
                    ("in_review", "In review"),
                    ("approved", "Approved"),
                    ("published", "Published"),
                    ("retired", "Retired"),
                ],
                default="draft",
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="rateprotocol",
            name="version",
            field=models.PositiveIntegerField(default=1),
        ),
        migrations.AddConstraint(
            model_name="rateprotocol",
            constraint=models.UniqueConstraint(
                fields=("product", "indication", "infusion_type", "version"), name="one_protocol_version_per_use"
            ),
        ),
        migrations.AddConstraint(
            model_name="rateprotocol",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "published")),
                fields=("product", "indication", "infusion_type"),
                name="one_published_protocol_per_use",
            ),
        ),
    ]
