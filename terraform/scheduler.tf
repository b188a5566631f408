# The clock of the pipeline: one tick on scrape-ticks per schedule period; dispatch fans
# it out. The payload "{}" is a valid ScrapeTick (common/messages.py): every field optional.

resource "google_cloud_scheduler_job" "scrape_tick" {
  name        = "scrape-tick"
  description = "Publishes a scrape tick; dispatch fans it out to one fetch per subreddit."
  schedule    = var.scrape_schedule
  time_zone   = "Etc/UTC"
  region      = var.region

  pubsub_target {
    topic_name = google_pubsub_topic.topic["scrape-ticks"].id
    data       = base64encode("{}")
  }

  retry_config {
    retry_count = 1
  }

  depends_on = [google_project_service.service]
}
