"""Uploads held between a page's preview and its save (the Camunda import), under an expiring token."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from engine.persistence.base import Base
from engine.persistence.base import UtcDateTime


class ImportStagingRecord(Base):
    """Files uploaded to the import page, kept on the server so the preview page carries only a token.

    Only the person who uploaded them may use the token, and only until ``expires_at``; expired rows
    are deleted whenever new files are staged.
    """

    __tablename__ = "import_staging"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    owner: Mapped[str] = mapped_column(String(64))
    #: JSON object file name -> base64 of the file's bytes (a zip is binary).
    files_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
