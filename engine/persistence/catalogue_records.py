"""ORM records of the 事项库: entries, their immutable versions, and the files entries refer to.

An entry's content is stored whole, as JSON, in each version row: a version never changes, so a
case that started on version 3 reads exactly what version 3 said, whatever was edited since. The
columns beside the JSON are copies of what lists and look-ups filter by. Only ``engine/persistence``
may import this module (``records.py`` imports it, so the tables are always registered).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from engine.persistence.base import Base
from engine.persistence.base import UtcDateTime


class CatalogueEntryRecord(Base):
    """One matter of the catalogue: its code and which version is current."""

    __tablename__ = "catalogue_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    #: Newest version number and its row (no foreign key: the version row refers back to this one).
    current_version: Mapped[int] = mapped_column(Integer)
    current_version_id: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    implementation_code: Mapped[str] = mapped_column(String(31), index=True)
    organ_code: Mapped[str] = mapped_column(String(32), index=True)
    #: The deployed matter whose diagram runs the entry (``general_permit`` for the pattern).
    process: Mapped[str] = mapped_column(String(64), index=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CatalogueVersionRecord(Base):
    """One version of an entry, never changed after it was written."""

    __tablename__ = "catalogue_versions"
    __table_args__ = (UniqueConstraint("entry_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("catalogue_entries.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    #: The ``CatalogueEntry`` as JSON (sorted keys), and its SHA-256.
    content_json: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(64))
    #: Why this version exists: 页面编辑, 导入 file name, 由 matter.toml 生成, …
    note: Mapped[str] = mapped_column(String(200), default="")


class CatalogueFileRecord(Base):
    """A file entries refer to (空白表格, 示例样表, 结果样本), stored once by SHA-256, public."""

    __tablename__ = "catalogue_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    uploaded_by: Mapped[str] = mapped_column(String(64))
