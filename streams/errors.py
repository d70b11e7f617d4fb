"""Vigie's exception hierarchy.

One root, :class:`VigieError`. Bad *input* raises an :class:`InputError` subclass: the worker
turns it into a dead-letter record carrying the class name and message as its reason and keeps
going. Anything else (a broker or Redis that does not answer) is an infrastructure failure and
propagates.
"""

from __future__ import annotations


class VigieError(Exception):
    """Root of every error Vigie raises on purpose."""


class ConfigurationError(VigieError):
    """Raised when a setting is missing or malformed."""


class InputError(VigieError):
    """Raised when one input event cannot be processed; it is dead-lettered, never fatal."""


class DecodeError(InputError):
    """Raised when bytes are not a valid Avro single-object encoded record."""


class UnknownSchemaError(DecodeError):
    """Raised when the fingerprint of a record matches no schema version kept in ``schemas/``."""


class ValidationError(InputError):
    """Raised when a record decodes but breaks a domain rule (unknown ROME, negative salary...)."""


class MappingError(InputError):
    """Raised when a raw France Travail offer record cannot be mapped to OfferPosted."""


class SchemaCompatibilityError(VigieError):
    """Raised by ``vigie schemas check`` when a schema change would break existing readers."""


class ServiceUnavailableError(VigieError):
    """Raised when Kafka or Redis cannot be reached within the configured time."""


class CredentialsError(ConfigurationError):
    """Raised when Kafka or Redis refuses Vigie's credentials, or its certificate is untrusted."""
