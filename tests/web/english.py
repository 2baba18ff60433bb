"""English left on a French page: what a reader sees, checked word by word.

A page's visible text and the attributes read to people (placeholder, title,
aria-label, alt, the value of a button) are taken out of its HTML; proper
nouns and format names are removed; what remains is searched for common
English words and phrases of a web interface, whole words only. A French
page has none of them; an English one has dozens (``test_french.py`` checks
both).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html.parser import HTMLParser

# Elements whose text is not read as such: code, data, scripts.
_SKIPPED = {"script", "style", "template", "code", "pre", "kbd", "samp", "svg"}
_VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
_READ_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")
_BUTTON_INPUTS = {"submit", "button", "reset"}

# Names that stay as they are in French: software, standards, formats,
# companies, and the words that only occur inside them.
PROPER_NOUNS = (
    "Open Data Commons Open Database License (ODbL)",
    "Open Database License",
    "Open Data Commons",
    "Creative Commons",
    "Open Licence",
    "Open Government Licence",
    "Table Schema",
    "Data Package",
    "Schema.org",
    "Markdown",
    "DataTables",
    "DataStore",
    "CKAN",
    "API",
    "DCAT-AP",
    "DCAT",
    "CSV",
    "GeoJSON",
    "JSON",
    "Facebook",
    "GitHub",
    "Opendatasoft",
    "SPARQL",
    "Turtle",
    "RDF/XML",
    "JSON-LD",
)

# Commands quoted in French text, typed as they are.
COMMANDS = ("ckan clean activities",)

# Whole words and phrases of English interface text (matched without regard
# to case). Words that are French as well ("Description", "Source", "Format",
# "Date", "Public", "Configuration", "Image", "Navigation", "Type", "Page",
# "Version", "Contact", "Actions", "Total", "Notes", "Email"…) are left out:
# a French page may use them.
ENGLISH = (
    # grammar words: never French
    "the",
    "and",
    "you",
    "your",
    "this",
    "these",
    "those",
    "there",
    "here",
    "with",
    "without",
    "from",
    "which",
    "what",
    "when",
    "where",
    "will",
    "would",
    "should",
    "could",
    "cannot",
    "can't",
    "don't",
    "doesn't",
    "isn't",
    "have",
    "has",
    "been",
    "was",
    "were",
    "are",
    "is",
    "of",
    "to",
    "for",
    "by",
    "at",
    "it",
    "its",
    "not",
    "yet",
    "all",
    "any",
    "more",
    "other",
    "some",
    "only",
    "please",
    "click",
    "about",
    "yes",
    # interface words
    "Add",
    "Edit",
    "Delete",
    "Deleted",
    "Remove",
    "Save",
    "Update",
    "Updated",
    "Create",
    "Created",
    "Cancel",
    "Submit",
    "Search",
    "Filter",
    "Filters",
    "Clear",
    "Show",
    "Hide",
    "View",
    "Views",
    "Home",
    "Login",
    "Log in",
    "Log out",
    "Logout",
    "Sign in",
    "Sign up",
    "Register",
    "Password",
    "Username",
    "Settings",
    "Profile",
    "Dashboard",
    "Account",
    "Member",
    "Members",
    "Followers",
    "Follow",
    "Unfollow",
    "Activity",
    "Activities",
    "Stream",
    "Dataset",
    "Datasets",
    "Organization",
    "Organizations",
    "Group",
    "Groups",
    "Resource",
    "Resources",
    "Tags",
    "License",
    "Licenses",
    "Private",
    "Draft",
    "Pending",
    "Error",
    "Errors",
    "Warning",
    "Success",
    "Finished",
    "Running",
    "New",
    "Last",
    "Next",
    "Previous",
    "Newer",
    "Older",
    "Loading",
    "Upload",
    "Download",
    "Link",
    "Name",
    "Title",
    "Size",
    "Modified",
    "Publish",
    "Published",
    "Unpublish",
    "Harvest",
    "Harvests",
    "Harvester",
    "Reharvest",
    "Job",
    "Jobs",
    "Sysadmin",
    "Sysadmins",
    "Editor",
    "Trash",
    "Custom",
    "Promote",
    "Revoke",
    "Token",
    "Tokens",
    "Copy",
    "Toggle",
    "Skip",
    "Breadcrumb",
    "Close",
    "Open",
    "Navigate",
    "Manage",
    "Collaborators",
    "Showing",
    "Results",
    "found",
    "Relevance",
    "Ascending",
    "Descending",
    "Popular",
    "Preview",
    "Field",
    "Value",
    "Key",
    "Author",
    "Maintainer",
    "Homepage",
    "Optional",
    "Required",
    "Role",
    "Roles",
    "Owner",
    "Visibility",
    "Status",
    "Frequency",
    "Never",
    "Always",
    "Daily",
    "Weekly",
    "Monthly",
    "Manual",
    "Data",
    "Columns",
    "Rows",
    "Files",
    "Report",
    "Tabs",
    "Changes",
    "Expand",
    "Collapse",
    "Help",
    "Welcome",
    "Today",
    "Yesterday",
    "ago",
    "January",
    "February",
    "March",
    "April",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)

# English texts that are French words too elsewhere ("5 Go"): English when
# they are a whole text, as on a button.
ENGLISH_TEXTS = ("Go",)

_ENGLISH_RE = re.compile(
    r"(?<![\w'’-])("
    + "|".join(
        re.escape(w).replace(r"\ ", r"\s+")
        for w in sorted(ENGLISH, key=len, reverse=True)
    )
    + r")(?![\w'’-])",
    re.IGNORECASE,
)
# A date in the English order with French month names ("décembre 6, 2026").
_ENGLISH_DATE_RE = re.compile(
    r"\b(?:janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre"
    r"|novembre|décembre) \d{1,2}, \d{4}"
)
# Addresses and identifiers are not words to translate.
_NOT_WORDS_RE = re.compile(
    r"(?:https?://|www\.)\S+"  # addresses
    r"|\S+@\S+"  # e-mail addresses
    r"|\S*\w[/_.]\w\S*"  # paths, file names, config keys, identifiers
    r"|(?<!\S)/\S*"  # paths from the root: /dataset/
    r"|<[\w-]+>"  # placeholders of an address: /dataset/<dataset>
    r"|\{[^{}]*\"\s*:[^{}]*\}"  # JSON objects: examples of configuration
)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._skip: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag not in _VOID and (self._skip or tag in _SKIPPED):
            self._skip.append(tag)
        if self._skip and tag not in _VOID:
            return
        for name in _READ_ATTRIBUTES:
            if values.get(name):
                self.texts.append(values[name] or "")
        if tag == "input" and (values.get("type") or "") in _BUTTON_INPUTS:
            self.texts.append(values.get("value") or "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self._skip:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if self._skip and tag in self._skip:
            # close up to the matching element (HTML forgives unclosed tags)
            while self._skip and self._skip.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.texts.append(data)


def read_texts(html: str) -> list[str]:
    """The pieces of text a reader of ``html`` sees or hears, in order."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return [" ".join(t.split()) for t in reader.texts if t.strip()]


def english_words(html: str, allowed: Iterable[str] = ()) -> list[tuple[str, str]]:
    """``(word, the text it is in)`` for each English word read on the page.

    ``allowed``: names to leave out besides :data:`PROPER_NOUNS` (the titles
    of the licences, the test's own content).
    """
    names = sorted({*PROPER_NOUNS, *COMMANDS, *allowed} - {""}, key=len, reverse=True)
    # whole names only: "API" is not taken out of "OpenAPI"
    names_re = re.compile(
        r"(?<!\w)(?:" + "|".join(re.escape(n) for n in names) + r")(?!\w)"
    )
    found = []
    for text in read_texts(html):
        cleaned = names_re.sub(" ", text)
        cleaned = _NOT_WORDS_RE.sub(" ", cleaned)
        for match in _ENGLISH_RE.finditer(cleaned):
            found.append((match.group(1), text))
        if text in ENGLISH_TEXTS:
            found.append((text, text))
        for match in _ENGLISH_DATE_RE.finditer(text):
            found.append((match.group(0), text))
    return found
