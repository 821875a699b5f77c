"""Zendesk Support: streams (declared), their paging styles, settings, JSON mapping, dead
letters mapped again, SLA policy mapping, the vendor's own metrics."""
