"""流程设计: designers edit a matter's files as a draft, check and deploy them, compare versions and
move running cases to a newer version when that is safe; Camunda Modeler 7 bundles can be imported.

A draft is the matter's files (main BPMN, ``matter.toml``, ``forms/<key>.form`` …) as edited, kept in
``definition_drafts`` until deployed. Deploying goes through ``deploy_files``: a new version is stored
and running cases keep the version they started on. Moving a case to a newer version is a separate,
explicit step (``plan_migration`` / ``migrate_cases``) that uses SpiffWorkflow's spec diff and refuses
whenever work already done, or work waiting for someone, would change underneath the case.

One module per concern: ``drafts`` (and ``limits``), ``forms``, ``checks``, ``versions``, ``diff``,
``migration``, ``camunda_import``, ``staging`` (the import page's uploads); ``views`` holds what the
pages show. The names below are the designer's use cases, for the web views and the tests.
"""

from engine.services.design.camunda_import import build_matter_toml
from engine.services.design.camunda_import import import_camunda_bundle
from engine.services.design.camunda_import import prepare_camunda_import
from engine.services.design.checks import check_bundle
from engine.services.design.common import VersionNotFound
from engine.services.design.create import create_matter
from engine.services.design.diff import diff_files
from engine.services.design.diff import diff_versions
from engine.services.design.drafts import deploy_draft
from engine.services.design.drafts import discard_draft
from engine.services.design.drafts import main_bpmn_name
from engine.services.design.drafts import open_draft
from engine.services.design.drafts import save_draft
from engine.services.design.drafts import validate_draft
from engine.services.design.forms import check_form
from engine.services.design.forms import open_form
from engine.services.design.forms import save_form
from engine.services.design.limits import LIMIT_LABELS
from engine.services.design.limits import limits_of
from engine.services.design.limits import set_limits
from engine.services.design.migration import migrate_cases
from engine.services.design.migration import plan_migration
from engine.services.design.staging import drop_upload
from engine.services.design.staging import stage_upload
from engine.services.design.staging import staged_upload
from engine.services.design.versions import designer_overview
from engine.services.design.versions import matter_versions
from engine.services.design.views import DesignerMatter
from engine.services.design.views import DraftView
from engine.services.design.views import FormCheck
from engine.services.design.views import MigrationPlan
from engine.services.design.views import VersionDiff

__all__ = [
    "LIMIT_LABELS", "DesignerMatter", "DraftView", "FormCheck", "MigrationPlan", "VersionDiff", "VersionNotFound",
    "build_matter_toml", "check_bundle", "check_form", "create_matter", "deploy_draft", "designer_overview",
    "diff_files", "diff_versions", "discard_draft", "import_camunda_bundle", "limits_of", "main_bpmn_name",
    "matter_versions", "migrate_cases", "open_draft", "open_form", "plan_migration", "prepare_camunda_import",
    "save_draft", "save_form", "set_limits", "stage_upload", "staged_upload", "drop_upload", "validate_draft",
]
