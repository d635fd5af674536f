"""Who may see and do what on a case: one policy for the HTML pages, the REST API and the exports.

``cases`` decides access (may this actor see the case, work this task, download this file) and
``projection`` decides what each audience sees of a case (the applicant's own submissions and the
documents served on them; staff everything). Both work on plain facts (the case row's parties and
the worklist rows), never on the workflow: an access check never deserialises a case.
``legal_time`` decides who may move a case's deadline (extension, 特别程序); ``parties`` what only the
applicant in person may do (好差评, signing a 告知承诺书) and who a walk-in applicant is.
"""

from engine.policy.cases import AUDIT_GROUPS
from engine.policy.cases import Audience
from engine.policy.cases import CaseAccess
from engine.policy.cases import CaseParties
from engine.policy.cases import Relation
from engine.policy.cases import TaskParties
from engine.policy.cases import case_access
from engine.policy.cases import department_groups
from engine.policy.cases import may_file_for_others
from engine.policy.cases import sees_every_case
from engine.policy.legal_time import may_ask_for_time
from engine.policy.legal_time import may_decide_extension
from engine.policy.parties import PAPER_SIGNATURE_FIELD
from engine.policy.parties import WALK_IN_PREFIX
from engine.policy.parties import in_person_refusal
from engine.policy.parties import is_walk_in
from engine.policy.parties import signature_problem

__all__ = ["AUDIT_GROUPS", "PAPER_SIGNATURE_FIELD", "WALK_IN_PREFIX", "Audience", "CaseAccess", "CaseParties",
           "Relation", "TaskParties", "case_access", "department_groups", "in_person_refusal", "is_walk_in",
           "may_ask_for_time", "may_decide_extension", "may_file_for_others", "sees_every_case", "signature_problem"]
