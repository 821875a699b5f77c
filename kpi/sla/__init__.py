"""The SLA clock: targets (config or vendor policies), instances per ticket, and SLA figures."""
