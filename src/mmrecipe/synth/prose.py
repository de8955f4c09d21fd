"""Body text for synthetic documents: a small context-free grammar per document type.

Word salad ("the value of market would during policy") teaches an OCR model nothing about how
text reads and a reviewer rejects it on sight. Shipping a corpus of real prose was weighed:
public-domain novels do not read like an invoice or meeting minutes, and the documents here are
business pages. So each document type has a grammar of sentences such pages really hold, whose
slots are filled from the page's own fields (the customer named in the header is the one the
body thanks; the total is the one it asks to pay), plus shared phrases for dates, amounts,
people, places and goods. Every expansion is a grammatical English sentence by construction;
the variety comes from the alternatives at each symbol (tens of thousands of sentences per type).

:func:`sentences` is the entry point; ``{symbol}`` in a rule expands recursively.
"""

from __future__ import annotations

import random
import re

from mmrecipe.synth.vocab import FIRST_NAMES, LAST_NAMES

_SHARED: dict[str, tuple[str, ...]] = {
    "person": ("{first} {last}", "Ms. {last}", "Mr. {last}", "Dr. {last}"),
    "first": FIRST_NAMES,
    "last": LAST_NAMES,
    "city": (
        "Rotterdam",
        "Lyon",
        "Denver",
        "Osaka",
        "Porto",
        "Gdansk",
        "Leeds",
        "Tucson",
        "Hamburg",
        "Valencia",
        "Turin",
        "Halifax",
        "Brno",
        "Aarhus",
        "Cork",
    ),
    "weekday": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"),
    "month": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "day": tuple(str(d) for d in range(1, 29)),
    "date": ("{day} {month}", "{month} {day}", "{weekday}, {day} {month}"),
    "few": ("two", "three", "four", "five", "six", "seven", "ten", "twelve"),
    "count": tuple(str(n) for n in (12, 20, 24, 36, 40, 48, 60, 75, 120, 150, 200, 250)),
    "percent": tuple(f"{n}%" for n in (2, 3, 4, 5, 6, 8, 10, 12, 15, 18, 20, 25)),
    "amount": ("${d3}.{c2}", "${d1},{d3}.{c2}", "${d2}.{c2}"),
    "d1": tuple(str(n) for n in range(1, 10)),
    "d2": tuple(str(n) for n in range(10, 100)),
    "d3": tuple(f"{n:03d}" for n in range(100, 1000, 7)),
    "c2": tuple(f"{n:02d}" for n in range(0, 100, 5)),
    "goods": (
        "office chairs",
        "laptop stands",
        "printer cartridges",
        "steel brackets",
        "glass panels",
        "packing crates",
        "LED panels",
        "safety helmets",
        "cable reels",
        "desk lamps",
        "water filters",
        "paper rolls",
        "spare valves",
        "solar modules",
    ),
    "service": (
        "annual maintenance",
        "network installation",
        "window cleaning",
        "software support",
        "equipment hire",
        "translation",
        "catering",
        "consulting",
        "data backup",
    ),
    "team": ("sales", "finance", "logistics", "design", "support", "research", "operations"),
    "topic": (
        "the new supplier contract",
        "the spring product launch",
        "the office move",
        "the training schedule",
        "the customer survey results",
        "the budget for next year",
        "the warehouse inventory",
        "the website redesign",
        "the safety audit",
    ),
    "quarter": ("first", "second", "third", "fourth"),
    "trend": ("rose", "fell", "grew", "declined", "recovered"),
    "metric": ("revenue", "operating costs", "online sales", "export volume", "net margin"),
    "carrier": ("road freight", "rail freight", "express courier", "sea freight", "air cargo"),
}

_GRAMMARS: dict[str, dict[str, tuple[str, ...]]] = {
    "Invoice": {
        "s": (
            "Thank you for your order of {count} {goods}.",
            "Please pay the total of {total} by {due}.",
            "Payment is due within {few} weeks of the invoice date.",
            "This invoice covers {service} for the period ending {date}.",
            "A late fee of {percent} applies to payments received after the due date.",
            "Please quote the invoice number on every payment.",
            "Goods remain our property until the invoice is paid in full.",
            "Questions about this invoice can be sent to our {team} team.",
            "We thank {customer} for the continued business.",
            "Bank transfers should reach our account within {few} working days.",
        ),
    },
    "Quarterly Report": {
        "s": (
            "In the {quarter} quarter, {metric} {trend} by {percent} compared with last year.",
            "The {team} team completed {few} projects ahead of schedule.",
            "Demand in {city} remained strong throughout the quarter.",
            "Higher shipping costs reduced the margin on {goods}.",
            "We expect {metric} to stabilise in the coming months.",
            "The board approved a budget of {amount} for new equipment.",
            "Staff turnover in the {team} department was lower than planned.",
            "A new office in {city} opened on {date}.",
            "Sales of {goods} accounted for {percent} of the total.",
        ),
    },
    "Meeting Minutes": {
        "s": (
            "The meeting opened at {hour} with {few} members present.",
            "{person} presented an update on {topic}.",
            "The group agreed to review {topic} again on {date}.",
            "{person} asked for a clearer timeline for the {team} team.",
            "The minutes of the previous meeting were approved without changes.",
            "It was decided that {person} will contact the supplier in {city}.",
            "No objections were raised to the proposal on {topic}.",
            "The next meeting will take place on {date} at {hour}.",
            "The meeting closed at {hour}.",
        ),
        "hour": ("9:00", "9:30", "10:00", "11:15", "13:00", "14:30", "15:45", "16:00"),
    },
    "Shipping Notice": {
        "s": (
            "Your order of {count} {goods} left our warehouse in {city} on {date}.",
            "The parcel travels by {carrier} and should arrive within {few} days.",
            "Please check the goods for damage when they arrive.",
            "The delivery for {customer} will be made on {date}.",
            "Someone must be present to sign for the delivery.",
            "If the delivery window does not suit you, please call our {team} desk.",
            "Damaged items can be returned within {few} weeks at no cost.",
            "The shipment was split into {few} boxes to reduce its weight.",
        ),
    },
    "Account Statement": {
        "s": (
            "This statement lists all transactions up to {date}.",
            "The closing balance of your account is {amount}.",
            "A payment of {amount} was received on {date}.",
            "Interest of {percent} was applied to the outstanding balance.",
            "Please report any unknown transactions within {few} days.",
            "Your next statement will be issued at the end of {month}.",
            "Standing orders are shown with their next payment date.",
            "The total of {total} is due on {due}.",
        ),
    },
    "Project Update": {
        "s": (
            "The project is on schedule and within its budget of {amount}.",
            "The {team} team finished the first phase on {date}.",
            "Testing of the {goods} began in {city} this week.",
            "{person} will lead the next phase of the work.",
            "One supplier delayed the delivery of {goods} by {few} days.",
            "The steering group meets again on {date} to review progress.",
            "Work on {topic} will start once the plans are signed off.",
            "Costs so far are {percent} below the original estimate.",
        ),
    },
    "Service Order": {
        "s": (
            "This order confirms {service} for {customer}.",
            "Our technician will arrive on {date} between {hour} and noon.",
            "The agreed price of {total} includes parts and labour.",
            "Please make sure the site is accessible on the day of the visit.",
            "Any extra work will be quoted before it begins.",
            "The order can be cancelled free of charge until {few} days before the visit.",
            "A report on the work will be sent to {person} afterwards.",
        ),
        "hour": ("8:00", "8:30", "9:00", "9:30", "10:00"),
    },
}

DOCUMENT_TYPES = tuple(_GRAMMARS)
_SYMBOL = re.compile(r"\{(\w+)\}")


def sentences(
    rng: random.Random, doc_type: str, n: int, fields: dict[str, str] | None = None
) -> list[str]:
    """``n`` sentences such a document holds, each from a different rule while the grammar has
    enough (no page repeats a sentence frame); slots named after the page's fields use them."""
    grammar = {**_SHARED, **_GRAMMARS[doc_type], **_field_rules(fields or {})}
    rules = list(grammar["s"])
    order: list[str] = []
    while len(order) < n:
        order += rng.sample(rules, min(len(rules), n - len(order)))
    out = []
    for rule in order:
        text = _expand(rng, rule, grammar, depth=0)
        out.append(text[0].upper() + text[1:])
    return out


def _field_rules(fields: dict[str, str]) -> dict[str, tuple[str, ...]]:
    """Slots the body shares with the page's header, so body and fields agree."""
    return {
        "customer": (fields.get("Customer") or "{person}",),
        "total": (fields.get("Total") or "{amount}",),
        "due": (fields.get("Due Date") or "{date}",),
    }


def _expand(rng: random.Random, text: str, grammar: dict[str, tuple[str, ...]], depth: int) -> str:
    if depth > 8:
        raise ValueError(f"grammar recursion too deep at {text!r}")

    def sub(m: re.Match[str]) -> str:
        return _expand(rng, rng.choice(grammar[m.group(1)]), grammar, depth + 1)

    return _SYMBOL.sub(sub, text)
