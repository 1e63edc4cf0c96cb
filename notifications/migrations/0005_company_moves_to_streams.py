# Company now lives in streams (streams/migrations/0004): the foreign keys point there and the
# model leaves this app's state. The table, its rows and its constraints stay as they are.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0004_backfill_deadlines_time_zone"),
        ("streams", "0004_company_moves_to_streams"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="clientlistentry",
                    name="company",
                    field=models.ForeignKey(
                        db_column="company_number",
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="entries",
                        to="streams.company",
                    ),
                ),
                migrations.AlterField(
                    model_name="clientlist",
                    name="companies",
                    field=models.ManyToManyField(
                        related_name="client_lists", through="notifications.ClientListEntry", to="streams.company"
                    ),
                ),
                migrations.AlterField(
                    model_name="notification",
                    name="company",
                    field=models.ForeignKey(
                        db_column="company_number",
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="notifications",
                        to="streams.company",
                    ),
                ),
                migrations.AlterField(
                    model_name="deadlinereminder",
                    name="company",
                    field=models.ForeignKey(
                        db_column="company_number",
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="deadline_reminders",
                        to="streams.company",
                    ),
                ),
                migrations.DeleteModel(name="Company"),
            ],
        ),
        migrations.CreateModel(
            name="OperationsOverview",
            fields=[],
            options={
                "verbose_name": "operations overview",
                "verbose_name_plural": "operations overview",
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("streams.streamstate",),
        ),
    ]
