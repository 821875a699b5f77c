"""Freshdesk v2: streams (declared), list paging, ticket-list windows, settings, JSON
mapping, dead letters mapped again, SLA policy mapping, stats."""
