"""A small book that is not Twilio, to prove the registry and runtime general.

A library of books: add books, find them with filters, count them, lend one to
a borrower, and notify borrowers (asynchronously, to exercise concurrent loops).
It imports nothing of the Twilio book: its phone numbers are a kind it adds.
docs/writing-a-book.md shows it, all but ``notify`` and the docstrings' examples;
tests/test_docs_book.py checks that the page's code is this code, and runs it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any

from procedures import Choices, Concept, Context, Filter, Kind, Registry, core, holds


class PhoneKind(Kind):
    """Phone numbers: + and 8 to 15 digits, spaced out as people like ("+1 (415) 555-0100")."""

    def fit(self, value: Any) -> Any:
        number = re.sub(r"[\s().-]", "", value)
        if not re.fullmatch(r"\+[0-9]{8,15}", number):
            raise ValueError(f"{value!r} is not a possible phone number: write + and its 8 to 15 digits")
        return number


Phone = Annotated[str, PhoneKind("phone number", refines=Kind.TEXT)]


class LibraryBook(Concept):
    english = "library book"
    key = "isbn"  # names a book in what a run did (its journal)

    title: str
    author: str
    year: int | None = None
    isbn: str
    status: Annotated[str, Choices("available", "borrowed", "lost")] = "available"
    borrower_phone: Phone | None = None
    date_borrowed: dt.datetime | None = None
    price: Decimal | None = None
    tags: tuple[str, ...] = ()


class Shelf:
    """The library's books, and what was sent to borrowers: a session's resource."""

    def __init__(self) -> None:
        self.books: dict[str, LibraryBook] = {}
        self.notices: list[tuple[str, str]] = []
        self.running = 0
        self.most_running = 0


books = Registry().merge(core)


@books.procedure("to add a *library* book")
def add_book(
    title: str,
    author: str,
    isbn: str,
    context: Context,
    year: int | None = None,
    price: Decimal | None = None,
) -> str:
    """Puts a book on the shelf.

    Input Concepts:
        the title: The book's title.
        the author: Who wrote it.
        the isbn: Its ISBN, which names it on the shelf.
        the year: When it was published.
        the price: What it cost.

    Output Concepts:
        the answer: The ISBN of the book.

    Examples:
        add a library book where
          the title is "Dune"
          the author is "Frank Herbert"
          the isbn is "9780441013593"
    """
    shelf = context.resource(Shelf)
    shelf.books[isbn] = LibraryBook(title=title, author=author, isbn=isbn, year=year, price=price)
    return isbn


@books.procedure("to find some (books)")
def find_books(filter: Filter[LibraryBook] | None, limit: int | None, context: Context) -> list[LibraryBook]:
    """Finds the books on the shelf that match a filter, by title.

    Output Concepts:
        the books: The books found.

    Examples:
        find some books whose author contains "herbert"
    """
    shelf = sorted(context.resource(Shelf).books.values(), key=lambda book: book.title)
    found = [book for book in shelf if filter is None or holds(filter, book, LibraryBook, context.timezone)]
    return found[:limit]


@books.procedure("to count some (books)")
def count_books(filter: Filter[LibraryBook] | None, context: Context) -> int:
    """Counts the books on the shelf that match a filter: "books" names what it
    counts, and the number is the answer.

    Output Concepts:
        the answer: How many books match.

    Examples:
        count some books whose author contains "herbert"
    """
    return len(find_books(filter, None, context))


@books.procedure("to lend a book")
def lend_book(book: LibraryBook, borrower_phone: Phone, context: Context) -> LibraryBook:
    """Lends a book to a borrower.

    Input Concepts:
        the borrower phone: The borrower's phone number.

    Examples:
        add a library book where
          the title is "Emma"
          the author is "Jane Austen"
          the isbn is "1"
        find a book whose title is "Emma"
        lend the book where the borrower phone is "+14155550100"
    """
    lent = book.model_copy(
        update={"status": "borrowed", "borrower_phone": borrower_phone, "date_borrowed": context.now}
    )
    context.resource(Shelf).books[book.isbn] = lent
    return lent


@books.procedure("to notify a borrower")
async def notify(borrower_phone: Phone, message: str, context: Context) -> str:
    """Sends a notice to a borrower (slowly: it waits a little, as a network would).

    Input Concepts:
        the borrower phone: Who to notify.
        the message: What to tell them.

    Examples:
        notify a borrower where
          the borrower phone is "+14155550100"
          the message is "Your book is due."
    """
    shelf = context.resource(Shelf)
    shelf.running += 1
    shelf.most_running = max(shelf.most_running, shelf.running)
    try:
        await asyncio.sleep(0.01)
        if message == "fail":
            raise RuntimeError("the notice could not be delivered")
        shelf.notices.append((borrower_phone, message))
    finally:
        shelf.running -= 1
    return f"notified {borrower_phone}"
