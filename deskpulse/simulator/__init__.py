"""The built-in simulated help desk: a seeded account, served with a vendor's exact API shapes.

Used in-process as an httpx transport (tests, `deskpulse demo`) and on 127.0.0.1
(`deskpulse simulate`). It computes the vendor's own metrics by its own timeline replay and
imports nothing from store, connectors or kpi, so it checks them rather than sharing their bugs.
"""

from deskpulse.simulator.faults import Faults, forbidding, with_faults
from deskpulse.simulator.freshdesk import FreshdeskAPI
from deskpulse.simulator.generator import generate
from deskpulse.simulator.intercom import IntercomAPI
from deskpulse.simulator.model import Desk
from deskpulse.simulator.replay import ReplayAPI
from deskpulse.simulator.server import delayed, make_server
from deskpulse.simulator.zendesk import ZendeskAPI

__all__ = ["Desk", "Faults", "FreshdeskAPI", "IntercomAPI", "ReplayAPI", "ZendeskAPI",
           "delayed", "forbidding", "generate", "make_server", "with_faults"]
