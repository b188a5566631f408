# The clock of the pipeline: one tick on scrape-ticks per schedule period; dispatch fans it
# out to the subreddits due at their own pace (ScrapeTick.due_only, common/messages.py; the
# cadence is FETCH_MIN_INTERVAL_S to FETCH_MAX_INTERVAL_S, common/dispatching.py), so the
# period is the shortest interval a busy subreddit may need.

resource "google_cloud_scheduler_job" "scrape_tick" {
  name        = "scrape-tick"
  description = "Publishes a scrape tick; dispatch fans it out to one fetch per subreddit due."
  schedule    = var.scrape_schedule
  time_zone   = "Etc/UTC"
  region      = var.region

  pubsub_target {
    topic_name = google_pubsub_topic.topic["scrape-ticks"].id
    data       = base64encode("{\"due_only\": true}")
  }

  retry_config {
    retry_count = 1
  }

  # Not before every push subscription exists: a message reaches only the subscriptions that
  # existed when it was published, and fetch moves its cursors past what it published.
  depends_on = [google_project_service.service, google_pubsub_subscription.push]
}

# The digests' clock: at minute 5 of every hour (a few minutes' grace for events of the hour
# still being recorded), notify_digest sends each user's digest of the hours that are over.
# The payload "{}" is a valid DigestTick: no hour named, the last ones over are sent.
resource "google_cloud_scheduler_job" "digest_tick" {
  name        = "digest-tick"
  description = "Publishes a digest tick; notify_digest sends each user's hourly digest."
  schedule    = var.digest_schedule
  time_zone   = "Etc/UTC"
  region      = var.region

  pubsub_target {
    topic_name = google_pubsub_topic.topic["digest-ticks"].id
    data       = base64encode("{}")
  }

  retry_config {
    retry_count = 1
  }

  # Not before notify_digest's subscription exists: a tick published earlier reaches none.
  depends_on = [google_project_service.service, google_pubsub_subscription.push]
}
