# History for backtests and the API's long-range charts. Schemas live in schemas/*.json,
# read by Terraform here and by the local stack (emulators/provision.py) and the tests, so
# the table the archive writes locally is the table production has.

locals {
  # table => partitioning field and clustering; equal to TABLES in common/history.py (tested).
  bigquery_tables = {
    reddit_items = {
      description = "One row per Reddit post or comment (insert id = item id)."
      partition   = "created_at"
      clustering  = ["subreddit"]
    }
    mentions = {
      description = "One row per (item, ticker) mention (insert id = item_id:symbol)."
      partition   = "created_at"
      clustering  = ["symbol", "subreddit"]
    }
  }
}

resource "google_bigquery_dataset" "history" {
  dataset_id    = var.bigquery_dataset
  friendly_name = "Akleao Finance history"
  description   = "Archived Reddit items and ticker mentions, partitioned by day."
  location      = var.bigquery_location

  delete_contents_on_destroy = false

  depends_on = [google_project_service.service]

  #checkov:skip=CKV_GCP_81:Google-managed encryption is enough for public Reddit content; a CMK adds a KMS key to run and pay for.
}

resource "google_bigquery_table" "history" {
  for_each    = local.bigquery_tables
  dataset_id  = google_bigquery_dataset.history.dataset_id
  table_id    = each.key
  description = each.value.description
  schema      = file("${path.module}/schemas/${each.key}.json")
  clustering  = each.value.clustering

  time_partitioning {
    type          = "DAY"
    field         = each.value.partition
    expiration_ms = var.history_retention_days == 0 ? null : var.history_retention_days * 86400000
  }

  require_partition_filter = true
  deletion_protection      = true

  #checkov:skip=CKV_GCP_80:Google-managed encryption is enough for public Reddit content; a CMK adds a KMS key to run and pay for.
}
