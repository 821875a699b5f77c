"""Running syncs: the runner, the daemon, the writer lock, progress, logs and `status`."""
