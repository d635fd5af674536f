"""Form definitions in the form-js JSON schema (Camunda Modeler ``.form`` files) and their server-side checks.

Kept free of any web framework so the engine, the CLI and the tests validate submissions with the
same code the web app uses.
"""

from .errors import FormError, FormRegistryError, FormSchemaError, UnknownForm
from .schema import (
    DISPLAY_TYPES,
    INPUT_TYPES,
    LAYOUT_TYPES,
    MAX_FORM_BYTES,
    FormComponent,
    FormDefinition,
    FormField,
    FormRegistry,
    load_form,
)
from .validation import TEXTAREA_MAX_CHARS, TEXTFIELD_MAX_CHARS, ValidationResult, validate_submission
from .validators import (
    DOMAIN_VALIDATORS,
    DomainValidator,
    is_valid_email,
    is_valid_mobile,
    is_valid_phone,
    is_valid_resident_id,
    is_valid_uscc,
)

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
