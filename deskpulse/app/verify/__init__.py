"""`deskpulse verify`: deskpulse's facts and SLA clock against the vendor's own figures."""
