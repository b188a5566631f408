variable "project_id" {
  type        = string
  description = "Google Cloud project that hosts Akleao Finance."
}

variable "region" {
  type        = string
  description = "Region for Cloud Functions, Cloud Scheduler and the BigQuery dataset."
  default     = "us-central1"
}

# A malformed message is dead-lettered by the function at once; these attempts are for the
# failures that may pass (Firestore, BigQuery or Pub/Sub unavailable). With the backoff of
# pubsub.tf (10 s doubling to 600 s) 20 attempts span about two and a half hours: an outage
# shorter than that delays messages instead of moving them to the dead-letter hold.
variable "max_delivery_attempts" {
  type        = number
  description = "Deliveries of one message before Pub/Sub moves it to the subscription's dead-letter topic (19 to 50)."
  default     = 20

  # Fewer than 19 end before notify disables a webhook that never answers (2 hours) or gives
  # a failing delivery up (1.5 hours): one user's dead webhook would send every alert event
  # to the hold. Pub/Sub accepts up to 100; past 50, retrying plus the longest hold could
  # outlast the idempotency records (8 days) that make a replay from the hold safe.
  validation {
    condition     = var.max_delivery_attempts >= 19 && var.max_delivery_attempts <= 50
    error_message = "19 to 50 delivery attempts: fewer end before notify gives a failing webhook up; more could outlive the idempotency records of a message then held."
  }
}

variable "dead_letter_retention" {
  type        = string
  description = "How long dead-lettered messages are kept for inspection and replay (at most 7 days)."
  default     = "604800s"

  # The functions' idempotency records (archived/, archive_attempts/, deliveries/, runs/...)
  # expire after 8 days (REDELIVERY_TTL): a message replayed from the hold later than that
  # would be taken as new, its rows archived twice, its alerts sent again.
  validation {
    condition     = try(endswith(var.dead_letter_retention, "s") && tonumber(trimsuffix(var.dead_letter_retention, "s")) <= 604800 && tonumber(trimsuffix(var.dead_letter_retention, "s")) >= 600, false)
    error_message = "From 600s (Pub/Sub's least) to 604800s (7 days): idempotency records expire after 8 days, and a later replay would be processed as new."
  }
}

variable "scrape_schedule" {
  type        = string
  description = "Cron schedule (UTC) of the scrape tick on scrape-ticks: every minute; each subreddit is fetched when due at its pace (FETCH_MIN_INTERVAL_S to FETCH_MAX_INTERVAL_S)."
  default     = "* * * * *"
}

variable "digest_schedule" {
  type        = string
  description = "Cron schedule (UTC) of the digest tick on digest-ticks: hourly, a few minutes after the hour."
  default     = "5 * * * *"
}

variable "subreddits" {
  type        = string
  description = "Comma-separated subreddits dispatch fans out to (SUBREDDITS)."
  default     = "wallstreetbets,stocks,investing,StockMarket,pennystocks,Daytrading,options"

  # What Settings reads (common/fields.py's Subreddit, comma separated): refused at plan time,
  # not by every tick after the apply (tests/unit/test_terraform_agreement.py holds them equal).
  validation {
    condition     = can(regex("^[\\s,]*[A-Za-z0-9][A-Za-z0-9_]{0,63}(\\s*,[\\s,]*[A-Za-z0-9][A-Za-z0-9_]{0,63})*[\\s,]*$", var.subreddits))
    error_message = "Subreddit names (letters, digits or _, no r/), comma separated."
  }
}

variable "reddit_user_agent" {
  type        = string
  description = "User agent fetch sends to Reddit, as Reddit's API rules ask: platform:app:version (by /u/you)."
  default     = "gcp:akleao-finance:1.0 (by /u/akleao)"
}

variable "log_level" {
  type        = string
  description = "Python log level of every function. The log-based metrics count INFO lines (runs, alerts, lags, API requests): above INFO the alerting goes blind."
  default     = "INFO"
  validation {
    condition     = contains(["DEBUG", "INFO"], var.log_level)
    error_message = "log_level must be DEBUG or INFO: the log-based metrics and their alert policies count INFO lines."
  }
}

variable "secrets_revision" {
  type        = string
  description = "Change it (a date will do) after adding a secret version: every function starts a new revision, which reads the new version, with no outage."
  default     = "1"
}

variable "notify_signing_key_previous_version" {
  type        = string
  description = "The notify-signing-key version a rotation replaced (its number): the api still accepts unsubscribe links it signed. \"latest\" (the default) accepts the current key only."
  default     = "latest"

  validation {
    condition     = can(regex("^(latest|[1-9][0-9]*)$", var.notify_signing_key_previous_version))
    error_message = "notify_signing_key_previous_version must be \"latest\" or a version number."
  }
}

variable "api_min_instances" {
  type        = number
  description = "Warm API instances (0 = scale to zero; 1 removes cold starts for about $10/month)."
  default     = 0
}

variable "firestore_location" {
  type        = string
  description = "Firestore location (multi-region nam5/eur3 or a region); fixed once created."
  default     = "nam5"
}

variable "bigquery_location" {
  type        = string
  description = "Location of the BigQuery history dataset."
  default     = "US"
}

variable "bigquery_dataset" {
  type        = string
  description = "BigQuery dataset holding the history tables (BIGQUERY_DATASET)."
  default     = "akleao"
}

variable "history_retention_days" {
  type        = number
  description = "Days of BigQuery history kept per partition; 0 keeps everything (HISTORY_RETENTION_DAYS: the api answers longer ranges from Firestore)."
  default     = 0
  nullable    = false
  validation {
    condition     = var.history_retention_days >= 0 && floor(var.history_retention_days) == var.history_retention_days
    error_message = "history_retention_days is a whole number of days, 0 for no expiry."
  }
}

variable "frontend_origin" {
  type        = string
  description = "Origin of the frontend running Better Auth (https://app.example.com): the API's JWT issuer and audience, JWKS host and only CORS origin."

  validation {
    condition     = can(regex("^https?://[^/]+$", var.frontend_origin))
    error_message = "An origin: scheme and host, no path or trailing slash."
  }
}

variable "api_url" {
  type        = string
  description = "Public URL of the API as users reach it (its custom domain, or the api function's URL once deployed): emails' one-click unsubscribe (List-Unsubscribe) points there."

  validation {
    condition     = can(regex("^https://[^/]+(/.*)?$", var.api_url))
    error_message = "An https URL."
  }
}

variable "smtp_host" {
  type        = string
  description = "SMTP relay notify sends email through (STARTTLS on smtp_port); its password is the smtp-password secret."
}

variable "smtp_port" {
  type        = string
  description = "SMTP relay port (submission with STARTTLS)."
  default     = "587"

  validation {
    condition     = can(regex("^([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$", var.smtp_port))
    error_message = "A TCP port number, 1 to 65535."
  }
}

variable "smtp_username" {
  type        = string
  description = "SMTP relay user name."
}

variable "smtp_from" {
  type        = string
  description = "From address of alert emails (a domain with SPF/DKIM for the relay)."
}

variable "alert_email" {
  type        = string
  description = "Where alert policies and the budget page (the on-call address)."
}

variable "billing_account" {
  type        = string
  description = "Billing account id (XXXXXX-XXXXXX-XXXXXX) the budget watches."
}

variable "daily_budget_usd" {
  type        = number
  description = "Spend per day that counts as a cost spike, in the billing account's currency (USD for most); the monthly budget is 30 times it."
  default     = 100

  validation {
    condition     = var.daily_budget_usd > 0 && floor(var.daily_budget_usd * 30) == var.daily_budget_usd * 30
    error_message = "Above 0, and 30 times it a whole number: the monthly budget is written in whole units, and a fraction fails at apply."
  }
}
