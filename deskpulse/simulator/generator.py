"""A seeded, realistic help desk: who writes when, how tickets wander between states.

Each ticket's life is one walk through a small state machine: a customer (or, for proactive
tickets, an agent) opens it; it gets assigned; agents answer in working hours, customers
whenever; tickets wait on the customer (pending), sit on hold, change hands and groups, get
private notes, get solved, are sometimes reopened, are closed by an automation four days
after the solve, are rated, and now and then deleted. Some of each life lies after `end`:
`Desk.advance` reveals it. Same seed, same desk.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from deskpulse.simulator.model import SYSTEM, Action, Desk, Person, Rating, SimTicket

CHANNELS = [("email", 40), ("web", 25), ("chat", 12), ("voice", 8), ("api", 5),
            ("twitter", 5), ("native_messaging", 5)]
PRIORITIES = [("low", 20), ("normal", 55), ("high", 18), ("urgent", 7)]
TYPES = ["question", "incident", "problem", "task"]
GROUP_NAMES = ["Tier 1", "Tier 2", "Billing", "Onboarding", "Escalations", "Partners"]
SUBJECTS = ["Cannot log in", "Invoice question", "Export fails", "Feature request",
            "Refund please", "App crashes on start", "Change my plan", "API returns 500"]
HOUR = 3600.0


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    names, weights = zip(*weighted, strict=True)
    return rng.choices(names, weights)[0]


def generate(seed: int, tickets: int, start: datetime, end: datetime) -> Desk:
    """A desk of `tickets` tickets created between `start` and `end` (= `Desk.now`)."""
    rng = random.Random(seed)
    desk = Desk(people={}, groups={}, tickets={}, now=end, next_id=1000, seed=seed)
    for name in GROUP_NAMES[: 3 + seed % 4]:
        desk.groups[desk.new_id()] = name
    for n in range(max(5, tickets // 60)):
        role = "admin" if n % 10 == 0 else "agent"
        _person(desk, role, f"Agent {n}", start - timedelta(days=30))
    for n in range(max(10, tickets // 3)):
        joined = start + (end - start) * rng.random() * 0.5 - timedelta(days=10)
        _person(desk, "end-user", f"Customer {n}", joined, org=1 + n % 7)
    add_tickets(desk, seed=seed, start=start, end=end, count=tickets)
    return desk


def _person(desk: Desk, role: str, name: str, at: datetime, org: int | None = None) -> None:
    pid = desk.new_id()
    email = f"{name.lower().replace(' ', '.')}@{'desk' if role != 'end-user' else 'example'}.test"
    desk.people[pid] = Person(pid, role, name, email, at, organization_id=org)


def add_tickets(desk: Desk, *, seed: int, start: datetime, end: datetime, count: int) -> None:
    rng = random.Random(seed * 7919 + count)
    span = (end - start).total_seconds()
    agents = [p.id for p in desk.agents()]
    customers = [p for p in desk.customers()]
    for _ in range(count):
        created = (start + timedelta(seconds=rng.random() * span)).replace(microsecond=0)
        customer = rng.choice(customers)
        ticket = _life(desk, rng, created, customer, agents)
        desk.tickets[ticket.id] = ticket


class _Life:
    """Writes one ticket's timeline; each method appends actions and returns the new time."""

    def __init__(self, desk: Desk, rng: random.Random, ticket: SimTicket, agents: list[int]):
        self.desk, self.rng, self.ticket, self.agents = desk, rng, ticket, agents
        self.status = "new"

    def act(self, at: datetime, kind: str, actor: int, value: object = None,
            public: bool = True) -> None:
        at = at.replace(microsecond=0)
        if kind == "status":
            if value == self.status:
                return
            self.status = str(value)
        self.ticket.actions.append(Action(self.desk.new_id(), at, kind, actor, value, public))

    def agent_delay(self, at: datetime) -> datetime:
        later = at + timedelta(seconds=60 + self.rng.expovariate(1 / (2.5 * HOUR)))
        while later.weekday() >= 5 or not 13 <= later.hour < 22:  # agents work 13–22 UTC
            later = (later + timedelta(hours=1)).replace(minute=self.rng.randrange(60))
        return later

    def customer_delay(self, at: datetime) -> datetime:
        return at + timedelta(seconds=120 + self.rng.expovariate(1 / (9 * HOUR)))


def _life(desk: Desk, rng: random.Random, created: datetime, customer: Person,
          agents: list[int]) -> SimTicket:
    proactive = rng.random() < 0.08
    agent = rng.choice(agents)
    ticket = SimTicket(
        id=desk.new_id(), subject=rng.choice(SUBJECTS), channel=_pick(rng, CHANNELS),
        type=rng.choice(TYPES), requester=customer.id,
        submitter=agent if proactive else customer.id,
        organization_id=customer.organization_id,
        tags=rng.sample(["vip", "mobile", "billing", "bug", "how-to"], rng.randrange(3)),
    )
    life = _Life(desk, rng, ticket, agents)
    group = rng.choice(list(desk.groups))
    initial = {"status": "pending" if proactive else "new", "priority": _pick(rng, PRIORITIES),
               "assignee": agent if proactive else None, "group": group if proactive else None}
    life.status = initial["status"]
    life.ticket.actions.append(Action(desk.new_id(), created, "create", ticket.submitter, initial))
    opener = agent if proactive else customer.id
    life.act(created, "comment", opener, f"{ticket.subject}: please help", public=True)
    now = created
    if not proactive:
        now = created + timedelta(minutes=rng.randrange(2, 90))
        life.act(now, "assignee", SYSTEM, agent)
        life.act(now, "group", SYSTEM, group)
        life.act(now, "status", SYSTEM, "open")
    now = _conversation(life, now, customer.id, agent, proactive)
    _aftermath(life, now, customer.id)
    return ticket


def _conversation(life: _Life, now: datetime, customer: int, agent: int,
                  proactive: bool) -> datetime:
    rng = life.rng
    if proactive:
        now = life.customer_delay(now)
        life.act(now, "comment", customer, "Thanks, one more question")
        life.act(now, "status", customer, "open")
    if rng.random() < 0.04:  # solved without a reply, then the customer reopens it
        now = life.agent_delay(now)
        life.act(now, "status", agent, "solved")
        now = life.customer_delay(now)
        life.act(now, "comment", customer, "This is not solved")
        life.act(now, "status", customer, "open")
    for _cycle in range(1 + int(rng.expovariate(0.9))):
        now = life.agent_delay(now)
        if rng.random() < 0.25:
            life.act(now, "comment", agent, "internal: checking logs", public=False)
            now += timedelta(minutes=rng.randrange(1, 120))
        if rng.random() < 0.08:
            agent = rng.choice(life.agents)
            life.act(now, "assignee", agent, agent)
            if rng.random() < 0.5:
                life.act(now, "group", agent, rng.choice(list(life.desk.groups)))
        if rng.random() < 0.07:
            life.act(now, "status", agent, "hold")
            now += timedelta(hours=rng.uniform(1, 30))
            life.act(now, "status", agent, "open")
        if rng.random() < 0.05:
            life.act(now, "priority", agent, "urgent")
        life.act(now, "comment", agent, "Here is what to do")
        life.act(now, "status", agent, "pending" if rng.random() < 0.45 else "solved")
        if life.status == "solved" and rng.random() > 0.12:
            return now
        now = life.customer_delay(now)
        life.act(now, "comment", customer, "Still not working")
        life.act(now, "status", customer, "open")
    now = life.agent_delay(now)
    life.act(now, "comment", agent, "Fixed now")
    life.act(now, "status", agent, "solved")
    return now


def _aftermath(life: _Life, solved: datetime, customer: int) -> None:
    rng, ticket = life.rng, life.ticket
    roll = rng.random()
    if roll < 0.55:
        score = rng.choices(["good", "bad", "offered"], [60, 12, 28])[0]
        at = (solved + timedelta(hours=rng.uniform(1, 48))).replace(microsecond=0)
        comment = {"good": "Great help", "bad": "Too slow"}.get(score) if rng.random() < 0.4 \
            else None
        ticket.rating = Rating(life.desk.new_id(), score, comment, at, at)
    if rng.random() < 0.01:
        ticket.deleted_at = (solved + timedelta(hours=rng.uniform(1, 100))).replace(microsecond=0)
        return
    life.act(solved + timedelta(days=4), "status", SYSTEM, "closed")
