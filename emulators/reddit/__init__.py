"""The local Reddit: a replay corpus served through the part of Reddit's API asyncpraw uses."""
