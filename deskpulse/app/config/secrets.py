"""Secrets kept out of what deskpulse stores and prints."""

from __future__ import annotations


def secret_values(settings: object) -> list[str]:
    """Every SecretStr value in the settings, to scrub from error text as a last defence."""
    values = []
    for name in getattr(type(settings), "model_fields", {}):
        value = getattr(settings, name, None)
        getter = getattr(value, "get_secret_value", None)
        if getter is not None and getter():
            values.append(getter())
    return values


def scrub(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return text
