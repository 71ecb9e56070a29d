"""The user store: engine and migrations, the typed models, sign-up and log-in under
concurrency, the SQLite fast path and the data files."""
