"""The authenticated HTTP API the frontend calls (Better Auth JWTs)."""
