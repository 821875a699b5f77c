"""`deskpulse import`: CSV rows checked against one model per kind, written all or nothing."""
