"""deskpulse: the application around the store, connectors and KPIs — config, the sync runner,
the command line and the built-in simulated help desk."""

__version__ = "0.1.0"
__all__ = ["__version__"]
