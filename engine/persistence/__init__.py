"""The one module family that touches the database (SQLAlchemy 2, typed models)."""
