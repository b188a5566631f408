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
  # the Billing Budgets API (the budget in monitoring.tf) refuses user credentials without a
  # quota project: bill the calls to this one
  billing_project       = var.project_id
  user_project_override = true
}
