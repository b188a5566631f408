# Every Cloud Function (gen2), from one map. Each is an HTTP service fed by its explicit
# push subscription in pubsub.tf (Eventarc-managed subscriptions cannot carry our
# dead-letter and retry policy); functions-framework's @cloud_event decorator accepts the
# push envelope. tests/unit/test_terraform_agreement.py checks this map against main.py's
# entry points and the Settings fields the code reads.

locals {
  # Set for every function; Settings (common/settings.py) reads them by these names.
  common_env = {
    GOOGLE_CLOUD_PROJECT = var.project_id
    LOG_LEVEL            = var.log_level
    # read by no code: changing it starts a new revision of every function, whose instances
    # read each secret's `latest` version (docs/operations.md, rotating a secret)
    SECRETS_REVISION = var.secrets_revision
  }

  # What sending email needs, for notify, notify_digest and the api's test sends: the SMTP
  # relay, the links an email carries, and the key that signs its unsubscribe links (the api
  # also checks them).
  mail_env = {
    APP_URL       = var.frontend_origin
    API_URL       = var.api_url
    SMTP_HOST     = var.smtp_host
    SMTP_PORT     = var.smtp_port
    SMTP_STARTTLS = "true"
    SMTP_USERNAME = var.smtp_username
    SMTP_FROM     = var.smtp_from
  }
  mail_secrets = {
    SMTP_PASSWORD      = "smtp-password"
    NOTIFY_SIGNING_KEY = "notify-signing-key"
  }
  # Secrets mounted at a pinned version rather than `latest`, by variable name.
  secret_versions = {
    NOTIFY_SIGNING_KEY_PREVIOUS = var.notify_signing_key_previous_version
  }

  functions = {
    dispatch = {
      entry_point   = "dispatch"
      memory        = "256M"
      cpu           = null # Cloud Run's default share for the memory
      concurrency   = 1
      timeout       = 60
      max_instances = 2
      min_instances = 0
      public        = false
      env = {
        SUBREDDITS = var.subreddits
      }
      secrets   = {}
      publishes = ["subreddit-fetches", "mentions"] # mentions: silence checks
      firestore = true
      bigquery  = "none"
    }
    fetch = {
      entry_point   = "fetch"
      memory        = "512M"
      cpu           = null # Cloud Run's default share for the memory
      concurrency   = 1
      timeout       = 540
      max_instances = 3 # Reddit allows ~100 requests/minute per OAuth client
      min_instances = 0
      public        = false
      env = {
        REDDIT_USER_AGENT = var.reddit_user_agent
      }
      secrets = {
        REDDIT_CLIENT_ID     = "reddit-client-id"
        REDDIT_CLIENT_SECRET = "reddit-client-secret"
      }
      publishes = ["reddit-items", "mentions"]
      firestore = true
      bigquery  = "none"
    }
    archive = {
      entry_point   = "archive"
      memory        = "256M"
      cpu           = null # Cloud Run's default share for the memory
      concurrency   = 1
      timeout       = 120
      max_instances = 10
      min_instances = 0
      public        = false
      env = {
        BIGQUERY_DATASET = var.bigquery_dataset
      }
      secrets   = {}
      publishes = []
      firestore = true
      bigquery  = "write"
    }
    aggregate = {
      entry_point   = "aggregate"
      memory        = "256M"
      cpu           = null # Cloud Run's default share for the memory
      concurrency   = 1
      timeout       = 120
      max_instances = 20
      min_instances = 0
      public        = false
      env           = {}
      secrets       = {}
      publishes     = ["ticker-updates"]
      firestore     = true
      bigquery      = "none"
    }
    detect = {
      entry_point   = "detect"
      memory        = "256M"
      cpu           = null # Cloud Run's default share for the memory
      concurrency   = 1
      timeout       = 120
      max_instances = 10
      min_instances = 0
      public        = false
      env           = {}
      secrets       = {}
      publishes     = ["alerts"]
      firestore     = true
      bigquery      = "none"
    }
    notify = {
      entry_point   = "notify"
      memory        = "256M"
      cpu           = null # Cloud Run's default share for the memory
      concurrency   = 1
      timeout       = 120
      max_instances = 5
      min_instances = 0
      public        = false
      env           = local.mail_env
      secrets       = local.mail_secrets
      publishes     = []
      firestore     = true
      bigquery      = "none"
    }
    notify_digest = {
      entry_point   = "notify_digest"
      memory        = "256M"
      cpu           = null # Cloud Run's default share for the memory
      concurrency   = 1
      timeout       = 300
      max_instances = 1 # one hourly tick; a second instance would only wait on the first's claims
      min_instances = 0
      public        = false
      env           = local.mail_env
      secrets       = local.mail_secrets
      publishes     = []
      firestore     = true
      bigquery      = "none"
    }
    api = {
      entry_point = "api"
      memory      = "512M"
      # A whole vCPU, the least that serves requests side by side (Cloud Run's rule). The
      # config preview's replay of its default 50 symbols under two configs takes about 16 s
      # of a full core (timed on made-up hours): at 256M's default sixth of a vCPU it would
      # outrun the 60 s timeout. 512M: room for its hours (LOAD_MAX) beside the instance.
      cpu           = "1"
      concurrency   = 8 # THREADS below: the caches, limiter and clients are shared behind locks
      timeout       = 60
      max_instances = 10
      min_instances = var.api_min_instances
      public        = true # the frontend calls it; it checks Better Auth JWTs itself
      # mail: test sends (POST /v1/me/notifications/test) and unsubscribe links
      env = merge(local.mail_env, {
        BIGQUERY_DATASET = var.bigquery_dataset
        AUTH_JWKS_URL    = "${var.frontend_origin}/api/auth/jwks"
        AUTH_ISSUER      = var.frontend_origin
        AUTH_AUDIENCE    = var.frontend_origin
        CORS_ORIGINS     = var.frontend_origin
        # a range past the archive's expiry is answered from Firestore, which keeps it whole
        HISTORY_RETENTION_DAYS = var.history_retention_days
        THREADS                = "8" # functions-framework's request threads: the concurrency above
      })
      # the key the signing key replaced, pinned by version: links mailed before a rotation
      # still unsubscribe (docs/operations.md); by default the current key again
      secrets   = merge(local.mail_secrets, { NOTIFY_SIGNING_KEY_PREVIOUS = "notify-signing-key" })
      publishes = []
      firestore = true
      bigquery  = "read"
    }
  }
}

# One archive for every function: main.py re-exports each entry point. `make tf-source`
# stages main.py, functions/, common/ and requirements.txt into .build/source; the object
# is named by the archive's content hash, so a code change is a new object and a redeploy.
data "archive_file" "source" {
  type        = "zip"
  source_dir  = "${path.module}/.build/source"
  output_path = "${path.module}/.build/source.zip"
}

resource "google_storage_bucket" "source" {
  name     = "${var.project_id}-akleao-functions-source"
  location = var.region

  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true

  versioning {
    enabled = true
  }

  # Each build is an object of its own (named by its hash), so it never gets newer versions:
  # archives are deleted by age. A function keeps its built image; a plan that finds its
  # archive gone uploads it again.
  lifecycle_rule {
    condition {
      age = 90
    }
    action {
      type = "Delete"
    }
  }

  #checkov:skip=CKV_GCP_62:Access logs of a bucket holding only our own build archives add cost, not insight; Cloud Audit Logs record access.
}

resource "google_storage_bucket_object" "source" {
  name   = "source-${data.archive_file.source.output_md5}.zip"
  bucket = google_storage_bucket.source.name
  source = data.archive_file.source.output_path
}

resource "google_cloudfunctions2_function" "function" {
  for_each = local.functions
  name     = each.key
  location = var.region

  build_config {
    runtime     = "python311"
    entry_point = each.value.entry_point
    # Built by an account that can read the archive, push the image and write build logs,
    # not the default compute account (Editor on the whole project where its grants remain).
    service_account   = google_service_account.build.id
    docker_repository = google_artifact_registry_repository.functions.id
    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    available_memory                 = each.value.memory
    timeout_seconds                  = each.value.timeout
    max_instance_count               = each.value.max_instances
    min_instance_count               = each.value.min_instances
    available_cpu                    = each.value.cpu
    max_instance_request_concurrency = each.value.concurrency
    service_account_email            = google_service_account.function[each.key].email
    ingress_settings                 = each.value.public ? "ALLOW_ALL" : "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision   = true
    environment_variables            = merge(local.common_env, each.value.env)

    dynamic "secret_environment_variables" {
      for_each = each.value.secrets
      content {
        key        = secret_environment_variables.key
        project_id = var.project_id
        secret     = google_secret_manager_secret.secret[secret_environment_variables.value].secret_id
        version    = lookup(local.secret_versions, secret_environment_variables.key, "latest")
      }
    }
  }

  depends_on = [
    google_project_service.service,
    google_secret_manager_secret_iam_member.function,
    google_storage_bucket_iam_member.build_reads_source, # a build started before its grants fails
    google_project_iam_member.build_reads_staged_source,
    google_artifact_registry_repository_iam_member.build_pushes,
    google_project_iam_member.build_logs,
    google_firestore_index.composite, # the api and detect query through them: a missing index fails every such query
  ]

  #checkov:skip=CKV_GCP_124:Only the api (public = true) allows all ingress: browsers call it and it verifies a Better Auth JWT on every request; every other function is ALLOW_INTERNAL_ONLY.
}

# The functions' images: every deploy pushes one per function, so old ones are deleted
# (the last few kept for a rollback) instead of piling up in gcf-artifacts at storage cost.
resource "google_artifact_registry_repository" "functions" {
  repository_id = "akleao-functions"
  location      = var.region
  format        = "DOCKER"
  description   = "Cloud Functions images built from the source archive"

  cleanup_policy_dry_run = false
  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = 5
    }
  }
  cleanup_policies {
    id     = "delete-old"
    action = "DELETE"
    condition {
      tag_state  = "ANY"
      older_than = "2592000s" # 30 days
    }
  }

  depends_on = [google_project_service.service]

  #checkov:skip=CKV_GCP_84:Images built from our own source hold no data of users; Google-managed encryption applies, as for the source bucket.
}
