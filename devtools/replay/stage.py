"""The importer's stage: every copy of every item on disk (SQLite), folded into one item per
Reddit id, then subreddits settled and the corpus read out in time order. Memory stays flat
however large the month; the disk holds the stage.

An item keeps beside its JSON what the importer must still know about it and the corpus must
not carry: the fields no copy's source gave (``absent``), what named its subreddit when no
column did (``named``: a thread link, its file, its post), and, while no copy named one, the
files its copies came from (``unnamed_in``).
"""

import itertools
import json
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

# Kept out of the corpus: what the importer marks on an item while staging it.
ABSENT, NAMED, AUTHOR_AGE, AUTHOR_GONE = "_absent", "_named", "_author_created_utc", "_author_gone"
TEXT_CONFLICT = "_text_conflict"  # its copies' texts differ with nothing to say which came first
UNKNOWN = "unknown"  # written for a subreddit nothing named
BY_LINK, BY_FILE, BY_POST = "link", "file", "post"  # what named an item's subreddit when no column did
# The spelling most rows use of the subreddit whose lower case is the parameter (respell
# picks the same way).
_KEPT = "SELECT seen FROM spellings WHERE low = ? ORDER BY n DESC, seen LIMIT 1"
COMMENTS = "id >= 't1_' AND id < 't1`'"  # a range on the key ("`" follows "_"), not a LIKE scan
POSTS = "id >= 't3_' AND id < 't3`'"
Fold = Callable[[list[tuple[float, str]]], dict[str, Any]]


class Stage:
    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path)
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("CREATE TABLE copies (id TEXT, retrieved REAL, file INTEGER, row TEXT)")
        self.db.execute(
            "CREATE TABLE items (id TEXT PRIMARY KEY, created REAL, unnamed INTEGER, absent TEXT, named TEXT, row TEXT)"
        )
        # The two orders the stage is read in, kept as rows arrive, in this file: sorted at
        # read time, SQLite would spill its sort to the system's temporary directory (which
        # may be memory, and is not the --work-dir the stage was put in for its size).
        self.db.execute("CREATE INDEX copies_by_id ON copies(id)")
        self.db.execute("CREATE INDEX items_by_time ON items(created, id)")
        self.db.execute("CREATE TABLE unnamed_in (file INTEGER, id TEXT)")  # the files of unnamed items' copies
        # indexed as rows come, not after: an index made over a large table sorts it in the
        # system's temporary directory (an export with no subreddit column is every row here)
        self.db.execute("CREATE INDEX unnamed_files ON unnamed_in(id)")
        self.db.execute("CREATE TABLE elsewhere (id TEXT PRIMARY KEY)")  # a copy named a subreddit not kept
        self.db.execute("CREATE TABLE files (file INTEGER PRIMARY KEY, subreddit TEXT)")  # each file's one
        self.db.execute("CREATE TABLE accounts (name TEXT PRIMARY KEY, created REAL)")
        # how often each spelling of a subreddit was seen, by lower case: kept on disk, as a
        # month of every subreddit and profile names millions
        self.db.execute("CREATE TABLE spellings (low TEXT, seen TEXT, n INTEGER, PRIMARY KEY (low, seen))")
        self.db.execute("CREATE TABLE gone (id TEXT PRIMARY KEY)")  # a copy said [deleted]
        self.offered = 0
        self.text_conflicts = 0

    def add(self, item: dict[str, Any], retrieved: float, file: int) -> None:
        self.offered += 1
        account = item.pop(AUTHOR_AGE, None)
        if item.pop(AUTHOR_GONE, False):
            self.db.execute("INSERT OR IGNORE INTO gone VALUES (?)", (item["id"],))
        self.db.execute("INSERT INTO copies VALUES (?, ?, ?, ?)", (item["id"], retrieved, file, json.dumps(item)))
        if item["author"]:
            self.db.execute(
                "INSERT INTO accounts VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET "
                "created=COALESCE(MIN(excluded.created, accounts.created), excluded.created, accounts.created)",
                (item["author"], account),
            )

    def settle(self, fold: Fold) -> int:
        """One item per id from its copies, read in id order (by their index); how many.
        An item no copy named a subreddit for remembers its copies' files."""
        group: list[tuple[float, str]] = []
        files: set[int] = set()
        current = None
        query = self.db.execute("SELECT id, retrieved, file, row FROM copies ORDER BY id")
        for item_id, retrieved, file, row in itertools.chain(query, [(None, 0.0, 0, "")]):  # the end closes the last
            if item_id != current and group:
                self._settle_one(str(current), fold(group), files)
                group, files = [], set()
            current = item_id
            group.append((float(retrieved), row))
            files.add(int(file))
        self.db.execute("DROP TABLE copies")
        return self.count()

    def _settle_one(self, item_id: str, merged: dict[str, Any], files: set[int]) -> None:
        absent = merged.pop(ABSENT, [])
        self.text_conflicts += bool(merged.pop(TEXT_CONFLICT, False))
        unnamed = "subreddit" in absent
        self.db.execute(
            "INSERT INTO items VALUES (?, ?, ?, ?, ?, ?)",
            (
                item_id,
                merged["created_utc"],
                unnamed,
                " ".join(absent),
                merged.pop(NAMED, None),
                json.dumps(merged, ensure_ascii=False),
            ),
        )
        if unnamed:
            self.db.executemany("INSERT INTO unnamed_in VALUES (?, ?)", [(file, item_id) for file in files])

    def _name(self, subreddit: str, how: str, where: str, params: dict[str, object] | None = None) -> int:
        """Give the unnamed items ``where`` selects ``subreddit`` (an SQL expression); the
        permalink the importer made for them names it too."""
        return self.db.execute(
            f"UPDATE items SET unnamed = 0, named = '{how}', row = json_set(row, '$.subreddit', {subreddit}, "  # noqa: S608
            f"'$.permalink', replace(json_extract(row, '$.permalink'), '/r/{UNKNOWN}/', '/r/' || {subreddit} || '/')) "
            f"WHERE unnamed AND {where}",
            params or {},
        ).rowcount

    def elsewhere(self, item_id: str) -> None:
        """A copy of the item named a subreddit the import does not keep."""
        self.db.execute("INSERT OR IGNORE INTO elsewhere VALUES (?)", (item_id,))

    def elsewhere_if_unnamed(self, item_id: str) -> None:
        """:meth:`elsewhere`, for an item staged with no subreddit named (the others need not be
        remembered: nothing guesses theirs)."""
        self.db.execute("INSERT OR IGNORE INTO elsewhere SELECT id FROM items WHERE id = ? AND unnamed", (item_id,))

    def drop_elsewhere(self) -> int:
        """Drop the items no kept copy named a subreddit for that a skipped copy placed
        elsewhere: a guess must not bring them back; how many."""
        return self.db.execute("DELETE FROM items WHERE unnamed AND id IN (SELECT id FROM elsewhere)").rowcount

    def file_subreddits(self, ones: dict[int, str]) -> None:
        """Each file's one subreddit, for the files whose rows that name one name the same."""
        self.db.executemany("INSERT INTO files VALUES (?, ?)", ones.items())

    def name_from_files(self, *, comments: bool) -> int:
        """An unnamed post (or comment) whose copies' files agree on one subreddit is in it."""
        agreed = (
            "(SELECT MIN(f.subreddit) FROM unnamed_in u JOIN files f ON f.file = u.file WHERE u.id = items.id "
            "HAVING COUNT(DISTINCT f.subreddit) = 1)"
        )
        return self._name(agreed, BY_FILE, f"{COMMENTS if comments else POSTS} AND {agreed} IS NOT NULL")

    def name_from_posts(self) -> int:
        """A comment that names no subreddit is in its post's; how many took it."""
        post = (
            "(SELECT json_extract(p.row, '$.subreddit') FROM items p "
            "WHERE p.id = json_extract(items.row, '$.link_id') AND NOT p.unnamed)"
        )
        return self._name(post, BY_POST, f"{COMMENTS} AND {post} IS NOT NULL")

    def spelled(self, subreddit: str) -> None:
        """A kept row named ``subreddit`` so."""
        self.db.execute(
            "INSERT INTO spellings VALUES (?, ?, 1) ON CONFLICT (low, seen) DO UPDATE SET n = n + 1",
            (subreddit.lower(), subreddit),
        )

    def spelling(self, name: str) -> str:
        """The subreddit's spelling most kept rows use (ties: the first in sort order), whatever
        order the inputs come in; one no kept row named (a file's, skipped) as given."""
        kept = self.db.execute(_KEPT, (name.lower(),)).fetchone()
        return str(kept[0]) if kept else name

    def spelled_names(self) -> set[str]:
        """Every subreddit a kept row named, in lower case."""
        return {low for (low,) in self.db.execute("SELECT DISTINCT low FROM spellings")}

    def respell(self) -> None:
        """One spelling per subreddit, in one pass over the items, only where some subreddit
        was spelled two ways."""
        self.db.execute(
            "CREATE TEMP TABLE spelling AS SELECT s.seen AS seen, "
            "(SELECT k.seen FROM spellings k WHERE k.low = s.low ORDER BY k.n DESC, k.seen LIMIT 1) AS kept "
            "FROM spellings s WHERE s.low IN (SELECT low FROM spellings GROUP BY low HAVING COUNT(*) > 1)"
        )
        self.db.execute("DELETE FROM spelling WHERE seen = kept")
        self.db.execute("CREATE INDEX temp.spelling_seen ON spelling(seen)")  # the update looks each item up
        if self.db.execute("SELECT COUNT(*) FROM spelling").fetchone() == (0,):
            return
        self.db.execute(
            "UPDATE items SET row = json_set(row, '$.subreddit', "
            "(SELECT kept FROM spelling WHERE seen = json_extract(items.row, '$.subreddit'))) "
            "WHERE NOT unnamed AND json_extract(row, '$.subreddit') IN (SELECT seen FROM spelling)"
        )

    def keep_subreddits(self, subreddits: frozenset[str]) -> int:
        """Drop the items of other subreddits, or of none; how many."""
        marks = ", ".join("?" * len(subreddits))
        return self.db.execute(
            f"DELETE FROM items WHERE unnamed OR lower(json_extract(row, '$.subreddit')) NOT IN ({marks})",  # noqa: S608
            sorted(subreddits),
        ).rowcount

    def items(self) -> Iterator[str]:
        for (row,) in self.db.execute("SELECT row FROM items ORDER BY created, id"):
            yield row

    def count(self, where: str = "1") -> int:
        return int(self.db.execute(f"SELECT COUNT(*) FROM items WHERE {where}").fetchone()[0])  # noqa: S608

    def absent(self) -> Counter[str]:
        """How many items no copy's source gave each field."""
        found: Counter[str] = Counter()
        for names, unnamed in self.db.execute("SELECT absent, unnamed FROM items WHERE absent != ''"):
            found.update(name for name in names.split() if name != "subreddit" or unnamed)  # named since
        return found

    def named(self) -> Counter[str]:
        """How many items each way named their subreddit, where no column did."""
        # each way counted by a scan of its own: a GROUP BY over every item sorts them in the
        # system's temporary directory
        ways = (BY_LINK, BY_FILE, BY_POST)
        counts = {
            way: self.db.execute("SELECT COUNT(*) FROM items WHERE named = ?", (way,)).fetchone()[0] for way in ways
        }
        return Counter({way: n for way, n in counts.items() if n})

    def span(self) -> tuple[float, float]:
        low, high = self.db.execute("SELECT MIN(created), MAX(created) FROM items").fetchone()
        return float(low or 0.0), float(high or 0.0)

    def accounts(self) -> Iterator[tuple[str, float | None]]:
        """The authors of the items kept (not of a copy merged away), with the earliest age
        any row gave."""
        yield from self.db.execute(
            "SELECT DISTINCT a.name, a.created FROM items i JOIN accounts a "
            "ON a.name = json_extract(i.row, '$.author') ORDER BY a.name"
        )

    def close(self) -> None:
        self.db.close()
