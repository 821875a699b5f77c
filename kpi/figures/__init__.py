"""KPI figures for a range, read from the maintained tables: summary, shares, tags, business
inputs.
"""
