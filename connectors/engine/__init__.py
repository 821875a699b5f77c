"""What every connector shares: the HTTP engine, pacing by headers, paging guards, validation."""
