"""Zendesk Support: streams (declared), JSON mapping, SLA policy mapping, the vendor's own
metrics."""
