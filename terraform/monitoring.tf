# Operating it: log-based metrics from the JSON lines the functions write, alert policies
# that page the on-call address, a budget and a dashboard. Each metric is declared as a
# structured match (function, severity, message pattern; a distribution also names its
# numeric `value` field) that this file turns into a Cloud Logging filter and
# tests/integration/test_log_metrics.py checks against lines the local stack really writes;
# each policy and each chart names the metric it reads (tests/unit/test_terraform_agreement.py).
# What each alert means and what to do: docs/operations.md "Runbook".

locals {
  # the shares of the monthly budget that mail on-call (and the dashboard's Cost tile says)
  budget_alert_percents = [10, 25, 50, 90]
}

locals {
  log_metrics = {
    fetch_runs = {
      description = "fetch runs finished, per subreddit (absent: ingestion stopped)"
      function    = "fetch"
      severity    = "=INFO"
      message     = "^fetched r/"
      labels      = { subreddit = "jsonPayload.subreddit" }
    }
    reddit_retries = {
      description = "Reddit answers retried (429 throttling, 408, 5xx, none: a request cut on the way), per status"
      function    = ""
      severity    = "=WARNING"
      message     = "^reddit answered ([0-9]+|nothing .*), retrying"
      labels      = { status = "jsonPayload.status" }
    }
    # a 429 given up on pauses the instance's Reddit client for what Reddit asked (up to its
    # ten-minute window): one line, then silence, so retries alone never show it
    reddit_gave_up = {
      description = "Reddit answers given up on (429 asking longer than a wait may be, 5xx or none past the retries), per status"
      function    = ""
      severity    = "=WARNING"
      message     = "^reddit answered ([0-9]+|nothing .*), giving up"
      labels      = { status = "jsonPayload.status" }
    }
    listings_refused = {
      description = "listings Reddit refuses (private, quarantined, banned or gone subreddits)"
      function    = "fetch"
      severity    = "=WARNING"
      message     = "refused by Reddit"
      labels      = { subreddit = "jsonPayload.subreddit" }
    }
    # a fetch that waited (queued behind busy instances, or in retry backoff) until dispatch
    # may send its subreddit again is acknowledged unread: the backlog and dead-letter
    # policies never see such messages, so this counts them
    fetch_runs_unread = {
      description = "fetch runs acknowledged unread, too late to read before dispatch sends their subreddit again, per subreddit"
      function    = "fetch"
      severity    = "=WARNING"
      message     = "^fetch of r/.* not read$"
      labels      = { subreddit = "jsonPayload.subreddit" }
    }
    dead_lettered = {
      description = "malformed messages a function dead-lettered, per subscription"
      function    = ""
      severity    = "=ERROR"
      message     = "^malformed message dead-lettered"
      labels      = { subscription = "jsonPayload.subscription" }
    }
    function_errors = {
      description = "error lines of any function, per function"
      function    = ""
      severity    = ">=ERROR"
      message     = ""
      # per Cloud Run service (one per function): its own request log's errors (a 5xx, an
      # instance killed past its memory, "no available instance") carry no jsonPayload, and
      # they count with the function's own lines; other Cloud Run services of the project
      # (the web app, say) are not ours to page about here
      labels   = { service = "resource.labels.service_name", function = "jsonPayload.function" }
      services = "functions"
    }
    alerts_published = {
      description = "detect decisions that published alert events (opened, escalated, reopened, reclassified, resolved), per kind"
      function    = "detect"
      severity    = "=INFO"
      message     = "^detected "
      labels      = { kind = "jsonPayload.kind" }
      extra       = "jsonPayload.published>=1"
    }
    feedback_verdicts = {
      description = "verdicts users give on alerts (the detection-accuracy metric): per kind, rule, verdict and whether it agrees with the kind"
      function    = "api"
      severity    = "=INFO"
      message     = "^feedback recorded"
      labels = {
        kind    = "jsonPayload.kind"
        rule    = "jsonPayload.rule"
        verdict = "jsonPayload.verdict"
        correct = "jsonPayload.correct"
      }
    }
    api_requests = {
      description = "API requests answered, per route (the rule's template, not the path), method and status"
      function    = "api"
      severity    = "=INFO"
      message     = "^served "
      labels = {
        route  = "jsonPayload.route"
        method = "jsonPayload.method"
        status = "jsonPayload.status"
      }
    }
    # Distributions: `value` names the numeric field each line contributes.
    api_latency = {
      description = "milliseconds the api took to answer, per route (the rule's template), method and status"
      function    = "api"
      severity    = "=INFO"
      message     = "^served "
      labels = {
        route  = "jsonPayload.route"
        method = "jsonPayload.method"
        status = "jsonPayload.status"
      }
      value = "jsonPayload.latency_ms"
      scale = 0.9765625 # 1000/1024: its policy's 1000 ms is a bucket edge (see detect_lag)
      unit  = "ms"
    }
    fetch_items = {
      description = "items one fetch run stored (new posts and comments), per subreddit"
      function    = "fetch"
      severity    = "=INFO"
      message     = "^fetched r/"
      labels      = { subreddit = "jsonPayload.subreddit" }
      value       = "jsonPayload.report.stored"
      unit        = "1"
    }
    aggregate_lag = {
      description = "seconds from the data time of a ticker's newest counted mention to the wall clock, per aggregated batch"
      function    = "aggregate"
      severity    = "=INFO"
      message     = "^aggregated "
      labels      = {}
      value       = "jsonPayload.lag_s"
      unit        = "s"
    }
    detect_lag = {
      description = "seconds from the data time of a decided ticker update to the wall clock"
      function    = "detect"
      severity    = "=INFO"
      message     = "^detected "
      labels      = {}
      value       = "jsonPayload.lag_s"
      unit        = "s"
      # buckets doubling from 900/1024 s, so 900 s (its policy's bar) is a bucket edge: a
      # percentile is interpolated within a bucket, and a bar inside one is read loosely
      scale = 0.87890625
    }
  }

  # policy => the metric it watches, how, and the runbook section that explains it
  alert_policies = {
    ingestion_stopped = {
      metric    = "fetch_runs"
      condition = "absent"
      duration  = "1800s"
      threshold = 0
      runbook   = "ingestion-stopped"
    }
    # runs finish but store nothing: no subreddit's mean items per run reached 1 in 30 minutes
    ingestion_stale = {
      metric    = "fetch_items"
      condition = "below"
      duration  = "1800s"
      threshold = 1
      aligner   = "ALIGN_MEAN"
      reducer   = "REDUCE_MAX"
      runbook   = "ingestion-stale"
    }
    # more than two runs in half an hour came too late to read: fetch cannot keep up, or
    # keeps failing until then (counted over the half hour, however they cluster)
    fetch_backlog = {
      metric    = "fetch_runs_unread"
      condition = "above"
      duration  = "0s"
      threshold = 2
      period    = "1800s"
      runbook   = "fetch-backlog"
    }
    dead_letters = {
      metric    = "dead_lettered"
      condition = "above"
      duration  = "0s"
      threshold = 0
      runbook   = "dead-letters"
    }
    # per function: one noisy function pages even while the others are quiet
    function_errors = {
      metric    = "function_errors"
      condition = "above"
      duration  = "300s"
      threshold = 10
      group_by  = ["metric.label.service"]
      runbook   = "function-errors"
    }
    reddit_throttling = {
      metric    = "reddit_retries"
      condition = "above"
      duration  = "900s"
      threshold = 30
      runbook   = "reddit-throttling"
    }
    # Reddit's allowance spent: fetch sends nothing until the pause ends
    reddit_paused = {
      metric    = "reddit_gave_up"
      condition = "above"
      duration  = "0s"
      threshold = 0
      where     = "metric.labels.status=\"429\""
      runbook   = "reddit-paused"
    }
    # the median lag of the decided updates (a distribution), not a count of lines; the bar on
    # one of the metric's bucket edges (its scale)
    detect_lag = {
      metric    = "detect_lag"
      condition = "above"
      duration  = "900s"
      threshold = 900
      aligner   = "ALIGN_PERCENTILE_50"
      reducer   = "REDUCE_MAX"
      runbook   = "detect-lag"
    }
    # the p95 of the alert list (the web app's main page) in ms; `where` narrows the series
    api_latency = {
      metric    = "api_latency"
      condition = "above"
      duration  = "600s"
      threshold = 1000
      aligner   = "ALIGN_PERCENTILE_95"
      reducer   = "REDUCE_MAX"
      where     = "metric.labels.route=\"/v1/alerts\" AND metric.labels.method=\"GET\""
      runbook   = "api-latency"
    }
  }

  log_metric_filters = {
    for name, spec in local.log_metrics : name => join(" AND ", compact([
      "resource.type=\"cloud_run_revision\"",
      spec.function == "" ? "" : "jsonPayload.function=\"${spec.function}\"",
      "severity${spec.severity}",
      spec.message == "" ? "" : "jsonPayload.message=~\"${spec.message}\"",
      lookup(spec, "extra", ""),
      lookup(spec, "services", "") == "functions" ? local.function_services : "",
    ]))
  }
  # the functions' Cloud Run services, by the short names Cloud Logging labels them with (a
  # function's name, "_" made "-": notify-digest); service_config's `service` is the full
  # resource path, which no log line's label equals
  function_services = "resource.labels.service_name=(${join(" OR ", [for name in keys(local.functions) : "\"${replace(name, "_", "-")}\""])})"

  # Each policy's time-series filter: its metric, narrowed by `where` (labels the metric extracts).
  alert_policy_filters = {
    for name, policy in local.alert_policies : name => join(" AND ", compact([
      "metric.type=\"logging.googleapis.com/user/${google_logging_metric.metric[policy.metric].name}\"",
      "resource.type=\"cloud_run_revision\"",
      lookup(policy, "where", ""),
    ]))
  }
}

resource "google_logging_metric" "metric" {
  for_each    = local.log_metrics
  name        = "akleao/${each.key}"
  description = each.value.description
  filter      = local.log_metric_filters[each.key]

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = lookup(each.value, "value", "") == "" ? "INT64" : "DISTRIBUTION"
    unit        = lookup(each.value, "unit", "1")

    dynamic "labels" {
      for_each = each.value.labels
      content {
        key        = labels.key
        value_type = "STRING"
      }
    }
  }

  label_extractors = { for key, field in each.value.labels : key => "EXTRACT(${field})" }
  value_extractor  = lookup(each.value, "value", "") == "" ? null : "EXTRACT(${lookup(each.value, "value", "")})"

  dynamic "bucket_options" {
    for_each = lookup(each.value, "value", "") == "" ? [] : [1]
    content {
      exponential_buckets { # scale x 1, 2, 4, ... 2^23 (about 97 days at 1 s): a second to a stalled replay
        num_finite_buckets = 24
        growth_factor      = 2
        scale              = lookup(each.value, "scale", 1)
      }
    }
  }
}

resource "google_monitoring_notification_channel" "oncall" {
  display_name = "Akleao on-call"
  type         = "email"
  labels = {
    email_address = var.alert_email
  }
}

resource "google_monitoring_alert_policy" "log_metric" {
  for_each     = local.alert_policies
  display_name = "Akleao: ${replace(each.key, "_", " ")}"
  combiner     = "OR"

  conditions {
    display_name = "${each.value.metric} ${each.value.condition} ${each.value.threshold}"

    dynamic "condition_threshold" {
      for_each = contains(["above", "below"], each.value.condition) ? [1] : []
      content {
        filter          = local.alert_policy_filters[each.key]
        comparison      = each.value.condition == "below" ? "COMPARISON_LT" : "COMPARISON_GT"
        threshold_value = each.value.threshold
        duration        = each.value.duration
        aggregations {
          alignment_period     = lookup(each.value, "period", "300s")
          per_series_aligner   = lookup(each.value, "aligner", "ALIGN_SUM")
          cross_series_reducer = lookup(each.value, "reducer", "REDUCE_SUM")
          group_by_fields      = lookup(each.value, "group_by", [])
        }
      }
    }

    dynamic "condition_absent" {
      for_each = each.value.condition == "absent" ? [1] : []
      content {
        filter   = local.alert_policy_filters[each.key]
        duration = each.value.duration
        aggregations {
          alignment_period     = "300s"
          per_series_aligner   = "ALIGN_SUM"
          cross_series_reducer = "REDUCE_SUM"
        }
      }
    }
  }

  notification_channels = [google_monitoring_notification_channel.oncall.id]

  documentation {
    content   = "Runbook: docs/operations.md#${each.value.runbook}"
    mime_type = "text/markdown"
  }
}

# API answers 5xx on more than 1 % of requests over 5 minutes (Cloud Run's own request count),
# once there are enough of them for a share to mean something: at a few requests, one 5xx is
# already past 1 %.
resource "google_monitoring_alert_policy" "api_errors" {
  display_name = "Akleao: API 5xx above 1 %"
  combiner     = "AND"

  conditions {
    display_name = "api requests > 50 in 5 minutes"
    condition_threshold {
      filter          = "metric.type=\"run.googleapis.com/request_count\" AND resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"api\""
      comparison      = "COMPARISON_GT"
      threshold_value = 50
      duration        = "300s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  conditions {
    display_name = "api 5xx / all requests > 0.01"
    condition_threshold {
      filter             = "metric.type=\"run.googleapis.com/request_count\" AND resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"api\" AND metric.labels.response_code_class=\"5xx\""
      denominator_filter = "metric.type=\"run.googleapis.com/request_count\" AND resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"api\""
      comparison         = "COMPARISON_GT"
      threshold_value    = 0.01
      duration           = "300s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }
      denominator_aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  notification_channels = [google_monitoring_notification_channel.oncall.id]

  documentation {
    content   = "Runbook: docs/operations.md#api-errors"
    mime_type = "text/markdown"
  }
}

# Policies on Pub/Sub's own subscription metrics, one resource for them all:
# - held: messages wait in a dead-letter hold: a function failed on them through every
#   delivery attempt (an outage longer than the retries, or a bug), or dead-lettered them as
#   malformed. Nothing replays them by itself, so they page until someone does (or drops them).
# - backlog / notify_backlog: messages wait unacknowledged: a function failing on them
#   (BigQuery down for archive, a bug) or unable to keep up. Pub/Sub retries for hours before
#   it dead-letters (20 attempts, backoff to 600 s), so this pages long before the hold does.
#   fetch acknowledges its messages unread about 420 s after dispatch sent them (its reading
#   stops 90 s before dispatch's 540 s hold), so its subscription rarely reaches either:
#   fetch_backlog and ingestion_stopped watch fetch instead.
#   Notify's subscriptions have a bar of their own: an alert event waits while any one user's
#   webhook fails (until it is disabled, an hour at least), which is that user's, not the
#   on-call's.
locals {
  notify_subscriptions = [for name, sub in local.subscriptions : name if contains(["notify", "notify_digest"], sub.function)]
  notify_one_of        = "resource.labels.subscription_id=one_of(${join(", ", [for name in local.notify_subscriptions : "\"${name}\""])})"
  hold                 = "resource.labels.subscription_id=ends_with(\"-dead-letter-hold\")"
  subscription_policies = {
    held = {
      title     = "messages held in a dead-letter subscription"
      condition = "undelivered messages in a -dead-letter-hold subscription > 0"
      metric    = "num_undelivered_messages"
      where     = [local.hold]
      threshold = 0
      duration  = "0s"
      runbook   = "held-messages"
    }
    backlog = {
      title     = "a subscription's oldest message waits over 15 minutes"
      condition = "oldest unacknowledged message > 900 s"
      metric    = "oldest_unacked_message_age"
      where     = ["NOT ${local.hold}", "NOT ${local.notify_one_of}"]
      threshold = 900
      duration  = "600s"
      runbook   = "backlog"
    }
    notify_backlog = {
      title     = "a notify subscription's oldest message waits over 2 hours"
      condition = "oldest unacknowledged message > 7200 s"
      metric    = "oldest_unacked_message_age"
      where     = [local.notify_one_of]
      threshold = 7200
      duration  = "600s"
      runbook   = "backlog"
    }
  }
}

moved {
  from = google_monitoring_alert_policy.held_messages
  to   = google_monitoring_alert_policy.subscription["held"]
}

resource "google_monitoring_alert_policy" "subscription" {
  for_each     = local.subscription_policies
  display_name = "Akleao: ${each.value.title}"
  combiner     = "OR"

  conditions {
    display_name = each.value.condition
    condition_threshold {
      filter = join(" AND ", concat([
        "metric.type=\"pubsub.googleapis.com/subscription/${each.value.metric}\"",
        "resource.type=\"pubsub_subscription\"",
      ], each.value.where))
      comparison      = "COMPARISON_GT"
      threshold_value = each.value.threshold
      duration        = each.value.duration
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_MAX"
        cross_series_reducer = "REDUCE_MAX"
        group_by_fields      = ["resource.label.subscription_id"]
      }
    }
  }

  notification_channels = [google_monitoring_notification_channel.oncall.id]

  documentation {
    content   = "Runbook: docs/operations.md#${each.value.runbook}"
    mime_type = "text/markdown"
  }
}

# A scheduler job's attempt failed: its retry may still have published the tick (fetch_runs
# says whether ingestion went on).
# Cloud Scheduler writes these lines itself (one per attempt, severity ERROR when it failed),
# not our code, so this policy matches the log directly instead of a log-based metric; the
# job ids are the jobs of scheduler.tf.
locals {
  scheduler_jobs = [google_cloud_scheduler_job.scrape_tick.name, google_cloud_scheduler_job.digest_tick.name]
}

resource "google_monitoring_alert_policy" "scheduler_failures" {
  display_name = "Akleao: scheduler job failures"
  combiner     = "OR"

  conditions {
    display_name = "a scheduler job attempt failed"
    condition_matched_log {
      filter           = "resource.type=\"cloud_scheduler_job\" AND resource.labels.job_id=(${join(" OR ", [for job in local.scheduler_jobs : "\"${job}\""])}) AND severity>=ERROR"
      label_extractors = { job = "EXTRACT(resource.labels.job_id)" }
    }
  }

  alert_strategy {
    notification_rate_limit {
      period = "3600s" # one mail an hour while a job keeps failing
    }
    auto_close = "1800s"
  }

  notification_channels = [google_monitoring_notification_channel.oncall.id]

  documentation {
    content   = "Runbook: docs/operations.md#scheduler-failures"
    mime_type = "text/markdown"
  }
}

# A cost spike: the month's spend (actual and forecast) against daily_budget_usd x 30.
resource "google_billing_budget" "monthly" {
  provider        = google.billing
  billing_account = var.billing_account
  depends_on      = [google_project_service.service] # its API, billed to this project
  display_name    = "Akleao monthly"

  budget_filter {
    projects = ["projects/${data.google_project.this.number}"]
  }

  amount {
    specified_amount {
      # no currency_code: the Budgets API takes only the billing account's own, so a fixed "USD"
      # fails to create on an account billed in any other (the amount is in that currency)
      units = tostring(var.daily_budget_usd * 30)
    }
  }

  # low rules too: the measured bill is far below the budget, so a runaway crosses these first
  dynamic "threshold_rules" {
    for_each = local.budget_alert_percents
    content {
      threshold_percent = threshold_rules.value / 100
    }
  }
  threshold_rules {
    threshold_percent = 1.0
    spend_basis       = "FORECASTED_SPEND"
  }

  all_updates_rule {
    monitoring_notification_channels = [google_monitoring_notification_channel.oncall.id]
    disable_default_iam_recipients   = false
  }
}

# The operations dashboard. Each chart reads a metric defined above (`metric`: a key of
# log_metrics) or a built-in one (`builtin`: a Cloud Run or Pub/Sub metric type); the
# agreement test checks both (tests/unit/test_terraform_agreement.py).
locals {
  dashboard_charts = [
    { title = "Ingestion: fetch runs per subreddit", metric = "fetch_runs", builtin = "", where = "", aligner = "ALIGN_SUM", reducer = "REDUCE_SUM", group_by = ["metric.label.subreddit"], period = "600s" },
    { title = "Ingestion: items stored per run (mean), per subreddit", metric = "fetch_items", builtin = "", where = "", aligner = "ALIGN_MEAN", reducer = "REDUCE_MEAN", group_by = ["metric.label.subreddit"], period = "600s" },
    { title = "Ingestion: Reddit answers retried, per status", metric = "reddit_retries", builtin = "", where = "", aligner = "ALIGN_SUM", reducer = "REDUCE_SUM", group_by = ["metric.label.status"], period = "300s" },
    { title = "Ingestion: Reddit answers given up on, per status", metric = "reddit_gave_up", builtin = "", where = "", aligner = "ALIGN_SUM", reducer = "REDUCE_SUM", group_by = ["metric.label.status"], period = "300s" },
    { title = "Ingestion: listings Reddit refuses, per subreddit", metric = "listings_refused", builtin = "", where = "", aligner = "ALIGN_SUM", reducer = "REDUCE_SUM", group_by = ["metric.label.subreddit"], period = "600s" },
    { title = "Ingestion: fetch runs left unread (too late), per subreddit", metric = "fetch_runs_unread", builtin = "", where = "", aligner = "ALIGN_SUM", reducer = "REDUCE_SUM", group_by = ["metric.label.subreddit"], period = "600s" },
    { title = "Lag: aggregate, p95 (s)", metric = "aggregate_lag", builtin = "", where = "", aligner = "ALIGN_PERCENTILE_95", reducer = "REDUCE_MAX", group_by = [], period = "300s" },
    { title = "Lag: detect, median (s), as the detect-lag policy reads it", metric = "detect_lag", builtin = "", where = "", aligner = "ALIGN_PERCENTILE_50", reducer = "REDUCE_MAX", group_by = [], period = "300s" },
    { title = "Backlog: messages not yet acknowledged, per push subscription (the runbook's before-a-deploy check; dead-letter holds apart)", metric = "", builtin = "pubsub.googleapis.com/subscription/num_undelivered_messages", where = "resource.type=\"pubsub_subscription\" AND NOT resource.labels.subscription_id=monitoring.regex.full_match(\".*-dead-letter-hold\")", aligner = "ALIGN_MAX", reducer = "REDUCE_SUM", group_by = ["resource.label.subscription_id"], period = "300s" },
    { title = "Lag: oldest unacked message, per subscription (s)", metric = "", builtin = "pubsub.googleapis.com/subscription/oldest_unacked_message_age", where = "resource.type=\"pubsub_subscription\"", aligner = "ALIGN_MAX", reducer = "REDUCE_MAX", group_by = ["resource.label.subscription_id"], period = "300s" },
    { title = "API: requests per response class", metric = "", builtin = "run.googleapis.com/request_count", where = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"api\"", aligner = "ALIGN_SUM", reducer = "REDUCE_SUM", group_by = ["metric.label.response_code_class"], period = "300s" },
    { title = "API: latency p95, all routes, as Cloud Run measures it (ms)", metric = "", builtin = "run.googleapis.com/request_latencies", where = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"api\"", aligner = "ALIGN_PERCENTILE_95", reducer = "REDUCE_MAX", group_by = [], period = "300s" },
    { title = "API: requests per route and status", metric = "api_requests", builtin = "", where = "", aligner = "ALIGN_SUM", reducer = "REDUCE_SUM", group_by = ["metric.label.route", "metric.label.status"], period = "300s" },
    { title = "API: latency p95 per route (ms; the api-latency policy reads GET /v1/alerts)", metric = "api_latency", builtin = "", where = "", aligner = "ALIGN_PERCENTILE_95", reducer = "REDUCE_MAX", group_by = ["metric.label.route", "metric.label.method"], period = "300s" },
    { title = "Cost: Firestore document reads per hour (whole database)", metric = "", builtin = "firestore.googleapis.com/document/read_count", where = "resource.type=\"firestore_instance\"", aligner = "ALIGN_SUM", reducer = "REDUCE_SUM", group_by = [], period = "3600s" },
    { title = "Cost: Firestore document writes per hour (whole database)", metric = "", builtin = "firestore.googleapis.com/document/write_count", where = "resource.type=\"firestore_instance\"", aligner = "ALIGN_SUM", reducer = "REDUCE_SUM", group_by = [], period = "3600s" },
    { title = "Alert events published, per kind", metric = "alerts_published", builtin = "", where = "", aligner = "ALIGN_SUM", reducer = "REDUCE_SUM", group_by = ["metric.label.kind"], period = "3600s" },
    { title = "Dead letters: malformed messages, per subscription", metric = "dead_lettered", builtin = "", where = "", aligner = "ALIGN_SUM", reducer = "REDUCE_SUM", group_by = ["metric.label.subscription"], period = "300s" },
    { title = "Dead letters: messages held", metric = "", builtin = "pubsub.googleapis.com/subscription/num_undelivered_messages", where = "resource.type=\"pubsub_subscription\" AND resource.labels.subscription_id=monitoring.regex.full_match(\".*-dead-letter-hold\")", aligner = "ALIGN_MAX", reducer = "REDUCE_SUM", group_by = ["resource.label.subscription_id"], period = "300s" },
    { title = "Errors: error lines per function (its Cloud Run service)", metric = "function_errors", builtin = "", where = "", aligner = "ALIGN_SUM", reducer = "REDUCE_SUM", group_by = ["metric.label.service"], period = "300s" },
    { title = "Feedback: verdicts per kind and verdict", metric = "feedback_verdicts", builtin = "", where = "", aligner = "ALIGN_SUM", reducer = "REDUCE_SUM", group_by = ["metric.label.kind", "metric.label.verdict"], period = "86400s" },
  ]

  # Ratio charts: `numerator` narrows the metric's lines to those counted above the line.
  dashboard_ratios = [
    { title = "API: share of requests answered 5xx (the api-errors policy's figure)", metric = "", builtin = "run.googleapis.com/request_count", where = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"api\"", numerator = "metric.labels.response_code_class=\"5xx\"", group_by = [], period = "300s" },
    { title = "Feedback: precision per kind (verdicts agreeing with the kind / all; per day)", metric = "feedback_verdicts", builtin = "", where = "", numerator = "metric.labels.correct=\"true\"", group_by = ["metric.label.kind"], period = "86400s" },
  ]

  # Each chart's filter, the charts' then the ratios' (a ratio's numerator narrows it further).
  chart_filters = [
    for chart in concat(local.dashboard_charts, local.dashboard_ratios) : join(" AND ", compact([
      chart.metric == "" ? "metric.type=\"${chart.builtin}\"" : "metric.type=\"logging.googleapis.com/user/${google_logging_metric.metric[chart.metric].name}\" AND resource.type=\"cloud_run_revision\"",
      chart.where,
    ]))
  ]

  dashboard_tiles = concat(
    [for i, chart in local.dashboard_charts : {
      title = chart.title
      xyChart = {
        dataSets = [{
          plotType = "LINE"
          timeSeriesQuery = {
            timeSeriesFilter = {
              filter = local.chart_filters[i]
              aggregation = {
                alignmentPeriod    = chart.period
                perSeriesAligner   = chart.aligner
                crossSeriesReducer = chart.reducer
                groupByFields      = chart.group_by
              }
            }
          }
        }]
      }
    }],
    [for i, chart in local.dashboard_ratios : {
      title = chart.title
      xyChart = {
        dataSets = [{
          plotType = "LINE"
          timeSeriesQuery = {
            timeSeriesFilterRatio = {
              numerator = {
                filter      = "${local.chart_filters[length(local.dashboard_charts) + i]} AND ${chart.numerator}"
                aggregation = { alignmentPeriod = chart.period, perSeriesAligner = "ALIGN_SUM", crossSeriesReducer = "REDUCE_SUM", groupByFields = chart.group_by }
              }
              denominator = {
                filter      = local.chart_filters[length(local.dashboard_charts) + i]
                aggregation = { alignmentPeriod = chart.period, perSeriesAligner = "ALIGN_SUM", crossSeriesReducer = "REDUCE_SUM", groupByFields = chart.group_by }
              }
            }
          }
        }]
      }
    }],
    [{
      title = "Cost"
      text = {
        format  = "MARKDOWN"
        content = "Spend is in Billing, not in Monitoring: the budget **Akleao monthly** (30 × ${var.daily_budget_usd} USD) mails the on-call address at ${join(" %, ", [for p in local.budget_alert_percents : tostring(p)])} % of it and at a forecast over it. The usual driver: Firestore operations per item (docs/operations.md, \"What it costs\")."
      }
    }],
  )
}

resource "google_monitoring_dashboard" "operations" {
  dashboard_json = jsonencode({
    displayName = "Akleao operations"
    mosaicLayout = {
      columns = 12
      tiles = [for i, widget in local.dashboard_tiles : {
        xPos   = (i % 2) * 6
        yPos   = floor(i / 2) * 4
        width  = 6
        height = 4
        widget = widget
      }]
    }
  })
}

# Cloud Run writes a line of its own for every request the api serves, with the whole URL:
# an unsubscribe link's token (it unsubscribes whoever holds it) would be kept in the logs.
# The api's own request line says the same with the token redacted (common/log.py
# SECRET_PARAMS), so the platform's lines for that path are not kept.
resource "google_logging_project_exclusion" "api_secret_urls" {
  name        = "api-secret-urls"
  description = "Cloud Run's request lines for api URLs that carry a credential in their query (the unsubscribe token); the api logs them redacted"
  filter = join(" AND ", [
    "resource.type=\"cloud_run_revision\"",
    "resource.labels.service_name=\"${google_cloudfunctions2_function.function["api"].name}\"",
    "log_id(\"run.googleapis.com/requests\")",
    "httpRequest.requestUrl:\"/v1/unsubscribe?\"",
  ])
}
