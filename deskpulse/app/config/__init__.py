"""deskpulse.toml: the file, its [kpi] and [[sla]] sections, and durations as people write them."""
