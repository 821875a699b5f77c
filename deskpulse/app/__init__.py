"""The application: command line, config, sync runner and daemon, reports, imports, verify, demo."""
