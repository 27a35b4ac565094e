"""The generation library: every image pixref makes or imports, logged and searchable.

Torch-free. SQLite (WAL, foreign keys, migrations) in the data home with images as
content-addressed files beside it; FTS5 search with a plain-scan fallback.

Recording API for the generation stages::

    with open_library() as lib:
        entry = lib.add(png_bytes, params=params, kind=Kind.generation,
                        parents={parent_id: Relation.img2img})
"""

from pixref.library._compare import (
    Change,
    Diff,
    diff,
    flatten,
    format_word_diff,
    similar,
    word_diff,
)
from pixref.library._entry import Entry, Kind, Relation, loras_of
from pixref.library._errors import EntryNotFound, LibraryError
from pixref.library._export import export_entries, export_name, manifest, manifest_files
from pixref.library._import import ImportReport, find_images, import_folders
from pixref.library._library import MAX_ID, CheckReport, Library, open_library, parse_id
from pixref.library._lineage import LineageNode, lineage
from pixref.library._outputs import (
    SavedOutputs,
    log_outputs,
    next_counter,
    output_paths,
    save_outputs,
)
from pixref.library._query import ORDERS, Query, Range, parse_query, parse_range, parse_size
from pixref.library._recall import Recall, recall, txt2img_command, unsupported_flags
from pixref.library._record import find_image, record_derived, record_generation

__all__ = [
    "MAX_ID",
    "ORDERS",
    "Change",
    "CheckReport",
    "Diff",
    "Entry",
    "EntryNotFound",
    "ImportReport",
    "Kind",
    "Library",
    "LibraryError",
    "LineageNode",
    "Query",
    "Range",
    "Recall",
    "Relation",
    "SavedOutputs",
    "diff",
    "export_entries",
    "export_name",
    "find_image",
    "find_images",
    "flatten",
    "format_word_diff",
    "import_folders",
    "lineage",
    "log_outputs",
    "loras_of",
    "manifest",
    "manifest_files",
    "next_counter",
    "open_library",
    "output_paths",
    "parse_id",
    "parse_query",
    "parse_range",
    "parse_size",
    "recall",
    "record_derived",
    "record_generation",
    "save_outputs",
    "similar",
    "txt2img_command",
    "unsupported_flags",
    "word_diff",
]
