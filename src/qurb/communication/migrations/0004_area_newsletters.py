"""The newsletter by area: the areas whose editions a subscriber receives (none: the national
edition, so every existing subscriber keeps receiving it), an edition's area, its subject in three languages, its period and its items (a draft
staff edit before sending it), and the publication of the yearly reports. The existing rows
are carried over in 0005; 0006 then drops the single subject and the article list."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import qurb.core.models


class Migration(migrations.Migration):
    dependencies = [
        ("areas", "0002_place_windows"),
        ("communication", "0003_deliveries_sent_once"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="NewsletterArea",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "area",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="areas.area",
                    ),
                ),
                (
                    "subscriber",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="editions",
                        to="communication.newslettersubscriber",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["area", "subscriber"], name="newsletter_area_readers")
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("subscriber", "area"), name="newsletter_one_area"
                    ),
                ],
            },
        ),
        migrations.AlterModelOptions(
            name="newsletter",
            options={"ordering": ["-created_at", "-pk"]},
        ),
        migrations.AddField(
            model_name="newsletter",
            name="area",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="areas.area",
            ),
        ),
        migrations.AddField(
            model_name="newsletter",
            name="queued_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="newsletter",
            name="since",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="newsletter",
            name="until",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="newsletter",
            name="subject_ar",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="newsletter",
            name="subject_fr",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="newsletter",
            name="subject_en",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddIndex(
            model_name="newsletter",
            index=models.Index(fields=["area", "queued_at"], name="newsletter_area_editions"),
        ),
        migrations.CreateModel(
            name="NewsletterItem",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("position", models.PositiveSmallIntegerField(default=0)),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("article", "News"),
                            ("message", "Message from the district team"),
                            ("meeting", "Meeting with residents"),
                            ("priority", "Priority"),
                            ("note", "Note"),
                        ],
                        default="note",
                        max_length=10,
                    ),
                ),
                ("source", models.CharField(blank=True, max_length=60)),
                ("title_ar", models.CharField(blank=True, max_length=200)),
                ("title_fr", models.CharField(blank=True, max_length=200)),
                ("title_en", models.CharField(blank=True, max_length=200)),
                ("body_ar", models.TextField(blank=True)),
                ("body_fr", models.TextField(blank=True)),
                ("body_en", models.TextField(blank=True)),
                ("link", models.CharField(blank=True, max_length=300)),
                (
                    "newsletter",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="items",
                        to="communication.newsletter",
                    ),
                ),
            ],
            options={
                "ordering": ["position", "pk"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("source", ""), _negated=True),
                        fields=("newsletter", "source"),
                        name="newsletter_item_once",
                    )
                ],
            },
            bases=(qurb.core.models.Multilingual, models.Model),
        ),
        migrations.CreateModel(
            name="YearlyReportPublication",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("year", models.PositiveSmallIntegerField()),
                ("published_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "area",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="areas.area",
                    ),
                ),
                (
                    "published_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("area", "year"), name="yearly_report_published_once"
                    )
                ],
            },
        ),
    ]
