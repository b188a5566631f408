# Reddit OAuth credentials, the SMTP password and the key that signs unsubscribe links.
# Terraform creates the secrets, never their values: add a version by hand
# (docs/operations.md) so the credentials never enter the state file.

locals {
  secrets = toset([
    "reddit-client-id",
    "reddit-client-secret",
    "smtp-password",
    "notify-signing-key",
  ])
}

resource "google_secret_manager_secret" "secret" {
  for_each  = local.secrets
  secret_id = each.value

  replication {
    auto {}
  }

  depends_on = [google_project_service.service]
}
