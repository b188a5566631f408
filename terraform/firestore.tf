# Firestore (native mode): the database, a composite index for every composite query the
# code runs (registered in common/adapters/firestore.py COMPOSITE_INDEXES, which the code
# builds its queries through), and TTL policies on documents that only need to live a while.

locals {
  # name => collection and ordered fields; equal to COMPOSITE_INDEXES in code (tested).
  # Equality filters on several fields combined with one sort use index merging, so one
  # index per (equality field, sort field) covers every combination the API offers.
  firestore_indexes = {
    # GET /v1/alerts: newest first (updated_at, then alert_id as tiebreak for cursors)
    "alerts-newest" = {
      collection = "alerts"
      fields = [
        { field = "updated_at", order = "DESCENDING" },
        { field = "alert_id", order = "DESCENDING" },
      ]
    }
    "alerts-symbol-newest" = {
      collection = "alerts"
      fields = [
        { field = "symbol", order = "ASCENDING" },
        { field = "updated_at", order = "DESCENDING" },
        { field = "alert_id", order = "DESCENDING" },
      ]
    }
    "alerts-status-newest" = {
      collection = "alerts"
      fields = [
        { field = "status", order = "ASCENDING" },
        { field = "updated_at", order = "DESCENDING" },
        { field = "alert_id", order = "DESCENDING" },
      ]
    }
    "alerts-kind-newest" = {
      collection = "alerts"
      fields = [
        { field = "kind", order = "ASCENDING" },
        { field = "updated_at", order = "DESCENDING" },
        { field = "alert_id", order = "DESCENDING" },
      ]
    }
    # detect: organic alerts opened in a day (the alert budget), one count query an hour
    "alerts-opened-kind" = {
      collection = "alerts"
      fields = [
        { field = "opened_kind", order = "ASCENDING" },
        { field = "opened_at", order = "ASCENDING" },
      ]
    }
    # notify_digest: digests still open, or closed and unsettled, from before the hours a tick looks back on
    "digests-open-hour" = {
      collection = "digests"
      fields = [
        { field = "status", order = "ASCENDING" },
        { field = "hour", order = "ASCENDING" },
      ]
    }
  }

  # collection => timestamp field after which Firestore deletes the document; equal to
  # TTL_FIELDS in code (tested).
  firestore_ttl = {
    authors          = "expires_at" # written by no function (account facts are in cursors/): what is there expires
    archived         = "expires_at" # archive idempotency markers: outlive Pub/Sub redelivery
    archive_attempts = "expires_at" # archive: messages worked on, so a redelivery checks BigQuery first
    seen             = "expires_at" # aggregate's per-item markers (tickers/*/seen), of buckets that do not name their items
    ratelimits       = "expires_at" # api rate-limit windows: one document per caller per minute
    deliveries       = "expires_at" # notify idempotency records: outlive Pub/Sub redelivery
    sent             = "expires_at" # notify hourly counters per user (users/*/sent)
    digests          = "expires_at" # notify hourly digests per user, once sent or abandoned
    digest_entries   = "expires_at" # their events (digests/*/digest_entries)
    runs             = "expires_at" # dispatch idempotency: one per scheduler tick, outlives its redelivery
    deleted_users    = "expires_at" # api: deleted accounts, outliving the tokens issued before
  }

  # name => collection group and field never queried and too wide to index (one entry per
  # key or element); equal to UNINDEXED_FIELDS in code (tested).
  firestore_unindexed = {
    "hours-items"             = { collection = "hours", field = "items" }   # aggregate's record of what each hour counted
    "hours-authors"           = { collection = "hours", field = "authors" } # a bucket's distinct authors:
    "hours-hll"               = { collection = "hours", field = "hll" }     # names, then sketch registers
    "days-authors"            = { collection = "days", field = "authors" }
    "days-hll"                = { collection = "days", field = "hll" }
    "posts-items"             = { collection = "posts", field = "items" }          # fetch's items, per subreddit and hour
    "archived-ids"            = { collection = "archived", field = "ids" }         # archive's record, one JSON string per group
    "cursors-recent-posts"    = { collection = "cursors", field = "recent_posts" } # fetch's cursor maps
    "cursors-comments-ahead"  = { collection = "cursors", field = "tree_comments_ahead" }
    "cursors-community"       = { collection = "cursors", field = "community" }
    "cursors-authors"         = { collection = "cursors", field = "authors" }
    "cursors-comments-listed" = { collection = "cursors", field = "comments_listed" }
    "state-before"            = { collection = "state", field = "before" } # detect's alert before a data hour
  }
}

resource "google_firestore_database" "default" {
  name        = "(default)"
  location_id = var.firestore_location
  type        = "FIRESTORE_NATIVE"

  # The emulator's mode (it locks what a transaction reads): the transactions of notify,
  # dispatch and the api run in production as the integration tests run them.
  concurrency_mode                  = "PESSIMISTIC"
  point_in_time_recovery_enablement = "POINT_IN_TIME_RECOVERY_ENABLED"
  delete_protection_state           = "DELETE_PROTECTION_ENABLED"
  deletion_policy                   = "ABANDON"

  depends_on = [google_project_service.service]
}

resource "google_firestore_index" "composite" {
  for_each   = local.firestore_indexes
  database   = google_firestore_database.default.name
  collection = each.value.collection

  dynamic "fields" {
    for_each = each.value.fields
    content {
      field_path   = fields.value.field
      order        = fields.value.order == "CONTAINS" ? null : fields.value.order
      array_config = fields.value.order == "CONTAINS" ? "CONTAINS" : null
    }
  }
}

resource "google_firestore_field" "ttl" {
  for_each   = local.firestore_ttl
  database   = google_firestore_database.default.name
  collection = each.key
  field      = each.value

  ttl_config {}

  # No single-field indexes on an expiry timestamp nobody queries (avoids write hotspots).
  index_config {}
}

resource "google_firestore_field" "unindexed" {
  for_each   = local.firestore_unindexed
  database   = google_firestore_database.default.name
  collection = each.value.collection
  field      = each.value.field

  # Maps of thousands of keys and long strings nobody queries: indexing them would cost
  # every write thousands of index entries and can pass the per-document entry limit.
  index_config {}
}
