"""Form definitions in the form-js JSON schema (Camunda Modeler ``.form`` files) and their server-side checks.

Kept free of any web framework so the engine, the CLI and the tests validate submissions with the
same code the web app uses.
"""

from .errors import FormError
from .errors import FormRegistryError
from .errors import FormSchemaError
from .errors import UnknownForm
from .schema import DISPLAY_TYPES
from .schema import INPUT_TYPES
from .schema import LAYOUT_TYPES
from .schema import MAX_FORM_BYTES
from .schema import FormComponent
from .schema import FormDefinition
from .schema import FormField
from .schema import FormRegistry
from .schema import load_form
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
