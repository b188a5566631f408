"""Akleao Finance domain and adapters shared by every Cloud Function."""
