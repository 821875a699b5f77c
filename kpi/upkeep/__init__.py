"""Keeping KPI tables current: the refresh of changed tickets, day rollups, sorted values, contact
gaps.
"""
