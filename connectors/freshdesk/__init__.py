"""Freshdesk v2: streams (declared), JSON mapping, SLA policy mapping, ticket-list windows,
stats."""
