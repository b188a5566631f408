variable "project_id" {
  type        = string
  description = "Google Cloud project that hosts Akleao Finance."
}

variable "region" {
  type        = string
  description = "Region for Cloud Functions, Cloud Scheduler and the BigQuery dataset."
  default     = "us-central1"
}

variable "max_delivery_attempts" {
  type        = number
  description = "Deliveries of one message before Pub/Sub moves it to the subscription's dead-letter topic (5 to 100)."
  default     = 5

  validation {
    condition     = var.max_delivery_attempts >= 5 && var.max_delivery_attempts <= 100
    error_message = "Pub/Sub accepts 5 to 100 delivery attempts."
  }
}

variable "retry_minimum_backoff" {
  type        = string
  description = "Shortest wait before Pub/Sub redelivers a message a function failed on."
  default     = "10s"
}

variable "retry_maximum_backoff" {
  type        = string
  description = "Longest wait before Pub/Sub redelivers a message a function failed on."
  default     = "600s"
}

variable "dead_letter_retention" {
  type        = string
  description = "How long dead-lettered messages are kept for inspection and replay."
  default     = "604800s"
}
