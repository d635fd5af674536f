"""Process definitions: loading, checking and versioning the matters in ``processes/``."""
