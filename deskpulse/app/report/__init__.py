"""What people read: KPI tables (text, CSV, JSON), the HTML report and its charts, SLAs at risk."""
