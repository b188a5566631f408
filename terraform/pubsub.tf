# Topics and push subscriptions. The local stack (emulators/provision.py) reads these
# locals and resources to provision the Pub/Sub emulator, so this file is the single
# source of truth for names, ordering, acknowledgement deadlines and retry policy.

locals {
  topics = toset([
    "scrape-ticks",
    "subreddit-fetches",
    "reddit-items",
    "mentions",
    "ticker-updates",
    "alerts",
    "digest-ticks",
  ])

  # subscription name => what it carries and which function it pushes to
  subscriptions = {
    "scrape-ticks-dispatch" = {
      topic                = "scrape-ticks"
      function             = "dispatch"
      ack_deadline_seconds = 60
      message_ordering     = false
    }
    "subreddit-fetches-fetch" = {
      topic                = "subreddit-fetches"
      function             = "fetch"
      ack_deadline_seconds = 540
      message_ordering     = false
    }
    "reddit-items-archive" = {
      topic                = "reddit-items"
      function             = "archive"
      ack_deadline_seconds = 120
      message_ordering     = false
    }
    "mentions-aggregate" = {
      topic                = "mentions"
      function             = "aggregate"
      ack_deadline_seconds = 120
      message_ordering     = true # ordering key = ticker: one mailbox per ticker
    }
    "ticker-updates-detect" = {
      topic                = "ticker-updates"
      function             = "detect"
      ack_deadline_seconds = 120
      message_ordering     = true # ordering key = ticker: decided in the order counted
    }
    "alerts-notify" = {
      topic                = "alerts"
      function             = "notify"
      ack_deadline_seconds = 120
      message_ordering     = false
    }
    "digest-ticks-notify-digest" = {
      topic                = "digest-ticks"
      function             = "notify_digest"
      ack_deadline_seconds = 300
      message_ordering     = false
    }
  }
}

resource "google_pubsub_topic" "topic" {
  for_each = local.topics
  name     = each.value

  message_retention_duration = "86400s"

  #checkov:skip=CKV_GCP_83:Google-managed encryption is enough for public Reddit content in transit; a CMK adds a KMS key to run and pay for.
}

resource "google_pubsub_topic" "dead_letter" {
  for_each = local.subscriptions
  name     = "${each.key}-dead-letter"

  #checkov:skip=CKV_GCP_83:Google-managed encryption is enough for public Reddit content in transit; a CMK adds a KMS key to run and pay for.
}

# Dead-lettered messages are kept here until someone inspects or replays them.
resource "google_pubsub_subscription" "dead_letter" {
  for_each = local.subscriptions
  name     = "${each.key}-dead-letter-hold"
  topic    = google_pubsub_topic.dead_letter[each.key].id

  message_retention_duration = var.dead_letter_retention
  ack_deadline_seconds       = 60
  expiration_policy {
    ttl = ""
  }
}

resource "google_pubsub_subscription" "push" {
  for_each = local.subscriptions
  name     = each.key
  topic    = google_pubsub_topic.topic[each.value.topic].id

  ack_deadline_seconds    = each.value.ack_deadline_seconds
  enable_message_ordering = each.value.message_ordering

  push_config {
    push_endpoint = google_cloudfunctions2_function.function[each.value.function].service_config[0].uri
    oidc_token {
      service_account_email = google_service_account.pubsub_pusher.email
    }
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter[each.key].id
    max_delivery_attempts = var.max_delivery_attempts
  }

  # Fixed, not variables: the span of the attempts above, which notify's give-up times and
  # the outages the pipeline rides through are measured against, is this backoff's.
  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  expiration_policy {
    ttl = ""
  }
}
