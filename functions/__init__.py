"""One package per Cloud Function; each ``main.py`` is a thin adapter over ``common``."""
