# Least privilege: one service account per function, holding only what that function
# does (functions.tf: firestore, publishes, bigquery, secrets). Pub/Sub pushes with its
# own identity, which may invoke the private functions and nothing else; only the API
# is public.

locals {
  # function => the subscription that pushes to it (api has none)
  subscription_of = { for name, sub in local.subscriptions : sub.function => name }

  # (function, topic) pairs: declared outputs plus the function's own dead-letter topic,
  # where common.entrypoint sends malformed messages and archive sends rejected rows.
  publisher_grants = { for pair in flatten([
    for fn, spec in local.functions : [for topic in spec.publishes : { function = fn, topic = topic }]
  ]) : "${pair.function}:${pair.topic}" => pair }
  dead_letter_grants = { for fn, sub in local.subscription_of : fn => sub if contains(keys(local.functions), fn) }

  # distinct: a function may mount one secret twice (the api: the signing key and the one it replaced)
  secret_grants = { for pair in distinct(flatten([
    for fn, spec in local.functions : [for env, secret in spec.secrets : { function = fn, secret = secret }]
  ])) : "${pair.function}:${pair.secret}" => pair }

  bigquery_roles = {
    write = google_project_iam_custom_role.history_writer.name # insertAll into the history tables
    read  = "roles/bigquery.dataViewer"                        # queries for long-range history
  }

  pubsub_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}

resource "google_service_account" "function" {
  for_each = local.functions
  # An account id is [a-z][-a-z0-9]{4,28}[a-z0-9]: no underscore, which a function name may hold.
  account_id   = "fn-${replace(each.key, "_", "-")}"
  display_name = "Cloud Function ${each.key}"
}

# Cloud Build runs the functions' builds as this account: it reads the source archive,
# pushes the images and writes the build's logs, and can do nothing else.
resource "google_service_account" "build" {
  account_id   = "fn-builder"
  display_name = "Cloud Functions builds"
}

resource "google_storage_bucket_iam_member" "build_reads_source" {
  bucket = google_storage_bucket.source.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.build.member
}

# Cloud Functions copies the archive into its own bucket, gcf-v2-sources-<number>-<region>,
# and the build fetches it from there. That bucket appears with the first deploy, so the grant
# is the project's, held to that bucket by a condition.
resource "google_project_iam_member" "build_reads_staged_source" {
  project = var.project_id
  role    = "roles/storage.objectViewer"
  member  = google_service_account.build.member
  condition {
    title      = "gcf-v2-sources only"
    expression = "resource.name.startsWith(\"projects/_/buckets/gcf-v2-sources-${data.google_project.this.number}-${var.region}\")"
  }
}

resource "google_artifact_registry_repository_iam_member" "build_pushes" {
  location   = google_artifact_registry_repository.functions.location
  repository = google_artifact_registry_repository.functions.name
  role       = "roles/artifactregistry.writer"
  member     = google_service_account.build.member
}

resource "google_project_iam_member" "build_logs" {
  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = google_service_account.build.member
}

resource "google_service_account" "pubsub_pusher" {
  account_id   = "pubsub-pusher"
  display_name = "Pub/Sub push subscriptions (OIDC identity that invokes the functions)"
}

resource "google_project_iam_member" "firestore_user" {
  for_each = { for fn, spec in local.functions : fn => spec if spec.firestore }
  project  = var.project_id
  role     = "roles/datastore.user"
  member   = google_service_account.function[each.key].member
}

resource "google_pubsub_topic_iam_member" "publisher" {
  for_each = local.publisher_grants
  topic    = google_pubsub_topic.topic[each.value.topic].name
  role     = "roles/pubsub.publisher"
  member   = google_service_account.function[each.value.function].member
}

resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  for_each = local.dead_letter_grants
  topic    = google_pubsub_topic.dead_letter[each.value].name
  role     = "roles/pubsub.publisher"
  member   = google_service_account.function[each.key].member
}

# archive streams rows in and reads back which are in already (common/adapters/bigquery.py):
# dataEditor would also let its account delete or alter the history tables, which
# deletion_protection guards against Terraform only, not against the API. A deleted custom
# role's id is taken for 37 days (Terraform undeletes it within the first 7): a project torn
# down and set up again in between needs another role_id.
resource "google_project_iam_custom_role" "history_writer" {
  role_id     = "akleaoHistoryWriter"
  title       = "Akleao history writer"
  description = "Stream rows into the history tables and read them: no table deletes or schema changes"
  # streaming inserts need the dataset's and the table's metadata besides updateData (BigQuery's
  # "Use the legacy streaming API", required permissions); getData reads back what is in
  permissions = ["bigquery.datasets.get", "bigquery.tables.get", "bigquery.tables.getData", "bigquery.tables.updateData"]
}

resource "google_bigquery_dataset_iam_member" "function" {
  for_each   = { for fn, spec in local.functions : fn => spec if spec.bigquery != "none" }
  dataset_id = google_bigquery_dataset.history.dataset_id
  role       = local.bigquery_roles[each.value.bigquery]
  member     = google_service_account.function[each.key].member

  # a changed role is granted before the old one goes: archive is never left without either
  lifecycle {
    create_before_destroy = true
  }
}

# Queries run as jobs billed to the project. Readers query history; the writer (archive) queries
# which of a redelivered batch's rows are in already (common/adapters/bigquery.stored_row_ids).
resource "google_project_iam_member" "bigquery_job_user" {
  for_each = { for fn, spec in local.functions : fn => spec if spec.bigquery != "none" }
  project  = var.project_id
  role     = "roles/bigquery.jobUser"
  member   = google_service_account.function[each.key].member
}

resource "google_secret_manager_secret_iam_member" "function" {
  for_each  = local.secret_grants
  secret_id = google_secret_manager_secret.secret[each.value.secret].id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.function[each.value.function].member
}

# Pub/Sub push (OIDC as pubsub-pusher) may invoke each private function.
resource "google_cloud_run_v2_service_iam_member" "pusher_invoker" {
  for_each = { for fn, spec in local.functions : fn => spec if !spec.public }
  location = var.region
  name     = google_cloudfunctions2_function.function[each.key].service_config[0].service
  role     = "roles/run.invoker"
  member   = google_service_account.pubsub_pusher.member
}

# The API is public by design: the frontend calls it and it verifies Better Auth JWTs.
resource "google_cloud_run_v2_service_iam_member" "public_invoker" {
  for_each = { for fn, spec in local.functions : fn => spec if spec.public }
  location = var.region
  name     = google_cloudfunctions2_function.function[each.key].service_config[0].service
  role     = "roles/run.invoker"
  member   = "allUsers"
}

# The Pub/Sub service agent mints the pusher's OIDC tokens, moves messages to dead-letter
# topics and acknowledges them on the source subscription.
resource "google_service_account_iam_member" "pubsub_token_creator" {
  service_account_id = google_service_account.pubsub_pusher.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_agent
}

resource "google_pubsub_topic_iam_member" "agent_dead_letter_publisher" {
  for_each = local.subscriptions
  topic    = google_pubsub_topic.dead_letter[each.key].name
  role     = "roles/pubsub.publisher"
  member   = local.pubsub_agent
}

resource "google_pubsub_subscription_iam_member" "agent_subscriber" {
  for_each     = local.subscriptions
  subscription = google_pubsub_subscription.push[each.key].name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_agent
}
