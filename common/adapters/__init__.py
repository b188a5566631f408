"""Thin typed wrappers over Google Cloud clients: one file per service, created lazily."""
