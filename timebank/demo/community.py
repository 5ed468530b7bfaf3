"""The demo time bank's community life beside its ledger: what members say they offer
and would like help with, the offers and requests on the notice board, and a few
conversations, so that a first visit to the demo finds a bank in use.

Written through the ledger's services (profiles, listings, messages), in a fixed order
and with fixed words, so the demo is the same every time. Nothing here changes a
balance.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.community import listings, messages, profiles
from timebank.ledger.models import Category, Membership

# name: (what I can offer, what I would like help with, when I am free, area)
PROFILES: dict[str, tuple[str, str, str, str]] = {
    "Jo Bennett": (
        "Baking, a friendly chat, lifts to the shops on Saturdays.",
        "Someone to show me how to use video calls with my grandchildren.",
        "Weekday evenings and Saturday mornings",
        "Riverside",
    ),
    "Tariq Hussain": (
        "Fixing bikes, putting up shelves, help with phones and laptops.",
        "Practising my English conversation.",
        "Weekends",
        "Hillside",
    ),
    "Maureen Clarke": (
        "Knitting lessons, a cup of tea and a listening ear.",
        "A lift to the hospital now and then.",
        "Most afternoons",
        "Riverside",
    ),
    "Wei Chen": (
        "Cooking lessons, help with forms in Mandarin or English.",
        "Help in the garden: I do not know where to start.",
        "Weekday mornings",
        "Old Town",
    ),
    "Derek Shaw": (
        "Gardening, pruning fruit trees, lifts in my van.",
        "Help setting up online banking.",
        "Any day, please ring first",
        "Riverside",
    ),
    "Lakshmi Patel": (
        "Homework help for children, reading with young children.",
        "Someone to walk with in the park for company.",
        "After 4 pm on weekdays",
        "Hillside",
    ),
    "Graham Turner": (
        "Reading letters and forms with people, help with housing paperwork.",
        "Help changing light bulbs and small jobs up a ladder.",
        "Tuesdays and Thursdays",
        "Old Town",
    ),
    "Zainab Osman": (
        "Planting and weeding, tidying up gardens, dog walking.",
        "Help writing a CV.",
        "Weekends",
        "Riverside",
    ),
    "Dorothy Evans": (
        "Stories about Riverside in the old days for the history group.",
        "Shopping brought round, and company on a short walk.",
        "Mornings",
        "Riverside",
    ),
    "Kevin O'Brien": (
        "Painting and decorating, flat-pack furniture.",
        "",
        "Saturdays",
        "Hillside",
    ),
}


@dataclass(frozen=True)
class DemoListing:
    author: str
    kind: str  # "offer" or "request"
    category: str  # a category slug
    title: str
    description: str
    paused: bool = False


LISTINGS = [
    DemoListing(
        "Jo Bennett",
        "offer",
        "neighbourhood",
        "Home-made cakes for your event",
        "I can bake for a coffee morning, a birthday or a community lunch. Ask me a week ahead.",
    ),
    DemoListing(
        "Jo Bennett",
        "request",
        "digital",
        "Show me how to make video calls",
        "My grandchildren live far away. I have a tablet but do not know how to call them.",
    ),
    DemoListing(
        "Tariq Hussain",
        "offer",
        "practical",
        "Bike repairs and small jobs",
        "Punctures, brakes, gears, and shelves or curtain rails put up. I bring my own tools.",
    ),
    DemoListing(
        "Tariq Hussain",
        "offer",
        "digital",
        "Help with phones, tablets and laptops",
        "Setting up email, video calls, photos, or just making the text bigger.",
    ),
    DemoListing(
        "Maureen Clarke",
        "offer",
        "learning",
        "Learn to knit",
        "Beginners welcome. I have spare needles and wool. At my home or the library.",
    ),
    DemoListing(
        "Maureen Clarke",
        "request",
        "transport",
        "Lift to Riverside Hospital",
        "I have an appointment every few weeks and the bus takes two changes.",
    ),
    DemoListing(
        "Wei Chen",
        "request",
        "gardening",
        "Help to get my garden started",
        "A small back garden that has been left for years. I would like to grow vegetables.",
    ),
    DemoListing(
        "Wei Chen",
        "offer",
        "learning",
        "Chinese cooking lessons",
        "Dumplings, noodles and simple family dishes. We cook together and share the food.",
    ),
    DemoListing(
        "Derek Shaw",
        "offer",
        "gardening",
        "Pruning and winter jobs in the garden",
        "Fruit trees, hedges and clearing leaves. I can take garden waste away in my van.",
    ),
    DemoListing(
        "Lakshmi Patel",
        "offer",
        "children",
        "Reading with young children",
        "I read with children aged 4 to 8 after school. Parents or carers stay with us.",
    ),
    DemoListing(
        "Graham Turner",
        "offer",
        "admin",
        "Help with letters and forms",
        "Council, housing and benefits letters: we read them together and work out what to do.",
    ),
    DemoListing(
        "Graham Turner",
        "request",
        "practical",
        "Someone to change light bulbs",
        "The ceiling lights in my hall and kitchen are too high for me now.",
    ),
    DemoListing(
        "Zainab Osman",
        "request",
        "admin",
        "Help writing my CV",
        "I am looking for work in a nursery and need a CV and a covering letter.",
    ),
    DemoListing(
        "Dorothy Evans",
        "request",
        "care",
        "Company for a short walk",
        "I would like someone to walk to the park with me on a dry morning.",
    ),
    DemoListing(
        "Kevin O'Brien",
        "offer",
        "practical",
        "Painting and decorating",
        "One room at a time. You buy the paint, I bring brushes and dust sheets.",
        paused=True,
    ),
]

# (listing title, [(who speaks, what they say), ...]): the first speaker writes about
# the listing to its author.
CONVERSATIONS = [
    (
        "Help with phones, tablets and laptops",
        [
            ("Jo Bennett", "Hello Tariq, could you show me how to make video calls on my tablet?"),
            ("Tariq Hussain", "Of course. Would Saturday at 11 at the library suit you?"),
            ("Jo Bennett", "Saturday is perfect. Thank you!"),
        ],
    ),
    (
        "Home-made cakes for your event",
        [
            (
                "Lakshmi Patel",
                "Hello Jo, our reading group has a coffee morning on the 14th."
                " Could you bake something?",
            ),
        ],
    ),
    (
        "Lift to Riverside Hospital",
        [
            ("Derek Shaw", "Hello Maureen, I can drive you next time. When is it?"),
            ("Maureen Clarke", "That is kind. It is Wednesday at 10, I will be ready at 9.15."),
        ],
    ),
]


def fill_community(session: Session, members: Mapping[str, Membership]) -> None:
    """Profiles, listings and conversations for the demo bank's active ``members``
    (by name). Flushes; the caller commits."""
    bank_id = next(iter(members.values())).time_bank_id
    category_ids = dict(
        session.execute(
            sa.select(Category.slug, Category.id).where(Category.time_bank_id == bank_id)
        ).all()
    )
    for name, (offers, needs, availability, area) in PROFILES.items():
        member = members[name]
        profiles.update_profile(
            session,
            actor=member,
            offers_text=offers,
            needs_text=needs,
            availability=availability,
            area=area,
            contact_preference="messages",
            email_notifications=member.email_notifications,
            consent_reporting=member.consent_reporting,
            consent_research=member.consent_research,
        )
    posted = {}
    for item in LISTINGS:
        author = members[item.author]
        listing = listings.post_listing(
            session,
            actor=author,
            kind=item.kind,
            title=item.title,
            description=item.description,
            category_id=category_ids[item.category],
        )
        if item.paused:
            listings.pause_listing(session, actor=author, listing_id=listing.id)
        posted[item.title] = (listing, author)
    for title, lines in CONVERSATIONS:
        listing, author = posted[title]
        (writer, first_words), *rest = lines
        thread = messages.start_thread(
            session,
            members[writer],
            author,
            listing.title,
            first_words,
            listing=listing,
        )
        # Each reply counts as reading what came before it, so only the last message
        # is left unread, by the person it was written to.
        for speaker, words in rest:
            messages.reply(session, members[speaker], thread.id, words)
