"""Create the Terraform-defined BigQuery dataset and tables in bqemulator.

Schemas come from terraform/schemas/*.json, the files Terraform deploys, so the table the
archive writes locally is the table production has.
"""

from common.adapters.bigquery import bigquery, get_client
from common.settings import Settings
from emulators import tfmodel


def provision_bigquery(host: str, project: str) -> None:
    model = tfmodel.load()
    client = get_client(Settings(project_id=project, bigquery_emulator_host=host))
    client.create_dataset(model.bigquery_dataset, exists_ok=True)
    for table in model.bigquery_tables.values():
        created = bigquery.Table(
            f"{project}.{model.bigquery_dataset}.{table.name}",
            schema=[bigquery.SchemaField.from_api_repr(field) for field in table.schema],
        )
        created.time_partitioning = bigquery.TimePartitioning(
            type_=bigquery.TimePartitioningType.DAY, field=table.partition_field
        )
        created.clustering_fields = list(table.clustering)
        client.create_table(created, exists_ok=True)
