"""Business hours: seconds inside a schedule, which schedule times a ticket, synced vendor
schedules.
"""
