"""Intercom: streams (declared), JSON mapping, the vendor's own conversation statistics."""
