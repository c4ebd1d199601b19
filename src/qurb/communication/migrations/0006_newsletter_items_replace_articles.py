"""An edition's items (0005 made them from its articles) and its subject in three languages
replace the article list and the single subject."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("communication", "0005_newsletters_by_area")]

    operations = [
        # With a default first, so that reversing this migration can add the column back to
        # a table that has rows (0005 reversed then fills it).
        migrations.AlterField(
            model_name="newsletter",
            name="subject",
            field=models.CharField(blank=True, default="", max_length=200),
        ),
        migrations.RemoveField(model_name="newsletter", name="articles"),
        migrations.RemoveField(model_name="newsletter", name="subject"),
    ]
