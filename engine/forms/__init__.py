"""Form definitions in the form-js JSON schema (Camunda Modeler ``.form`` files) and their server-side checks.

Kept free of any web framework so the engine, the CLI and the tests validate submissions with the
same code the web app uses. ``model`` holds what a loaded form is, ``loader`` reads and checks the
form-js JSON, ``registry`` holds a version's forms by key, ``validation`` checks a submission against a
form and ``validators`` the domain formats (统一社会信用代码, 身份证号, phone numbers …).
"""

from .errors import FormError
from .errors import FormRegistryError
from .errors import FormSchemaError
from .errors import UnknownForm
from .loader import load_form
from .model import DISPLAY_TYPES
from .model import INPUT_TYPES
from .model import LAYOUT_TYPES
from .model import MAX_FORM_BYTES
from .model import FormComponent
from .model import FormDefinition
from .model import FormField
from .registry import FormRegistry
from .validation import TEXTAREA_MAX_CHARS
from .validation import TEXTFIELD_MAX_CHARS
from .validation import ValidationResult
from .validation import validate_submission
from .validators import DOMAIN_VALIDATORS
from .validators import DomainValidator
from .validators import is_valid_email
from .validators import is_valid_mobile
from .validators import is_valid_phone
from .validators import is_valid_resident_id
from .validators import is_valid_uscc

__all__ = [
    "DISPLAY_TYPES",
    "DOMAIN_VALIDATORS",
    "INPUT_TYPES",
    "LAYOUT_TYPES",
    "MAX_FORM_BYTES",
    "TEXTAREA_MAX_CHARS",
    "TEXTFIELD_MAX_CHARS",
    "DomainValidator",
    "FormComponent",
    "FormDefinition",
    "FormError",
    "FormField",
    "FormRegistry",
    "FormRegistryError",
    "FormSchemaError",
    "UnknownForm",
    "ValidationResult",
    "is_valid_email",
    "is_valid_mobile",
    "is_valid_phone",
    "is_valid_resident_id",
    "is_valid_uscc",
    "load_form",
    "validate_submission",
]
