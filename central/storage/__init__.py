"""Tables, the engine and queries (SQLAlchemy Core; SQLite by default, PostgreSQL by URL)."""
