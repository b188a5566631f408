terraform {
  required_version = ">= 1.6"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.0"
    }
    archive = {
      source  = "hashicorp/archive"
      version = "~> 2.4"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}

# The budget's alone (monitoring.tf): the Billing Budgets API refuses user credentials
# without a quota project, so its calls are billed to this one. Only there: for every call,
# it would need each API the provider touches enabled here and the caller allowed to use them.
provider "google" {
  alias                 = "billing"
  project               = var.project_id
  region                = var.region
  billing_project       = var.project_id
  user_project_override = true
}
