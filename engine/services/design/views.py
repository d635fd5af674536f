"""What the designer's pages show: drafts, versions, diffs, migration plans and form checks."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import datetime

from engine.definitions.catalog import FORMS_PREFIX
from engine.definitions.catalog import METADATA_FILE
from engine.forms import FormDefinition
from engine.services.design.common import read_toml


@dataclass(frozen=True)
class DraftView:
    """A matter's files as the designer edits them (a saved draft, or the newest version's files)."""

    matter_code: str
    files: dict[str, str]
    main_bpmn: str
    base_version: int | None
    latest_version: int | None
    saved: bool
    updated_at: datetime | None
    updated_by: str
    limits: dict[str, int]
    form_keys: tuple[str, ...]

    @property
    def bpmn_xml(self) -> str:
        return self.files.get(self.main_bpmn, "")

    @property
    def matter_toml(self) -> str:
        return self.files.get(METADATA_FILE, "")

    @property
    def outdated(self) -> bool:
        """A newer version was deployed after this draft was opened."""
        return self.saved and self.base_version != self.latest_version

    def form_text(self, key: str) -> str | None:
        return self.files.get(f"{FORMS_PREFIX}{key}.form")

    @property
    def matter_name(self) -> str:
        """The matter's name from the draft's ``matter.toml`` (titles say 食品经营许可, not food_business)."""
        name = read_toml(self.matter_toml).get("name")
        return name if isinstance(name, str) and name.strip() else self.matter_code


@dataclass(frozen=True)
class VersionInfo:
    version: int
    definition_id: int
    name: str
    deployed_at: datetime
    deployed_by: str
    running_cases: int


@dataclass(frozen=True)
class DesignerMatter:
    code: str
    name: str
    department: str
    versions: tuple[VersionInfo, ...]
    draft_updated_at: datetime | None = None
    draft_updated_by: str = ""

    @property
    def latest(self) -> VersionInfo:
        return self.versions[-1]


@dataclass(frozen=True)
class ElementChange:
    element_id: str
    name: str
    kind: str
    file: str
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class KeyChange:
    key: str
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class VersionDiff:
    matter_code: str
    from_version: int
    to_version: int
    added: tuple[ElementChange, ...]
    removed: tuple[ElementChange, ...]
    changed: tuple[ElementChange, ...]
    metadata_changes: tuple[KeyChange, ...]
    forms_added: tuple[str, ...]
    forms_removed: tuple[str, ...]
    forms_changed: tuple[str, ...]
    other_files_changed: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.metadata_changes or self.forms_added
                    or self.forms_removed or self.forms_changed or self.other_files_changed)


@dataclass(frozen=True)
class MigrationPlan:
    """Whether one running case can move to the target version, and why (in Chinese)."""

    case_id: int
    case_number: str
    title: str
    from_version: int
    to_version: int
    can_migrate: bool
    reasons: tuple[str, ...]
    waiting_on: tuple[str, ...] = ()
    migrated: bool = False


@dataclass(frozen=True)
class FormCheck:
    """A form schema as the server understands it: the parsed form, or the problems found."""

    form: FormDefinition | None
    errors: tuple[str, ...] = field(default_factory=tuple)
