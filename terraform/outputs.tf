output "api_url" {
  description = "Base URL of the public API (the web app's AKLEAO_API_URL)."
  value       = google_cloudfunctions2_function.function["api"].service_config[0].uri
}

output "topics" {
  description = "Pub/Sub topics of the pipeline."
  value       = sort([for topic in google_pubsub_topic.topic : topic.name])
}

output "dead_letter_topics" {
  description = "Subscription => its dead-letter topic (inspect the -hold subscription to replay)."
  value       = { for name, topic in google_pubsub_topic.dead_letter : name => topic.name }
}

output "bigquery_tables" {
  description = "Fully qualified history tables."
  value       = [for table in google_bigquery_table.history : "${table.project}.${table.dataset_id}.${table.table_id}"]
}

output "function_service_accounts" {
  description = "Function => the service account it runs as."
  value       = { for name, account in google_service_account.function : name => account.email }
}
