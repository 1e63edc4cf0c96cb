# Company moves from notifications to streams (what CH told us belongs with the CH side). The
# table keeps its name: only Django's state changes here, no row is touched.

import django.db.models.deletion  # noqa: F401
import streams.fields
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("streams", "0003_operations_overview"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Company",
                    fields=[
                        ("company_number", streams.fields.CompanyNumberField(primary_key=True, serialize=False)),
                        ("name", models.CharField(blank=True, max_length=300)),
                        ("status", models.CharField(blank=True, max_length=50)),
                        ("profile", models.JSONField(blank=True, null=True)),
                        ("profile_timepoint", models.BigIntegerField(blank=True, null=True)),
                        (
                            "recent_filings",
                            models.JSONField(blank=True, help_text="the newest filing-history items", null=True),
                        ),
                        ("backfilled_at", models.DateTimeField(blank=True, null=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                    ],
                    options={
                        "db_table": "notifications_company",
                        "verbose_name_plural": "companies",
                        "ordering": ["company_number"],
                    },
                ),
            ],
        ),
        # The operator page's proxy moves to the admin of what it reports (notifications).
        migrations.DeleteModel(name="OperationsOverview"),
    ]
