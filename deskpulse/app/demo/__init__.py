"""The simulated help desk wired to real sources (`demo`, `simulate`) and `record` of real
accounts.
"""
