"""The columnar table the readers fill and the rules read.

Readers append rows to a ``ChunkBuilder`` (in worker processes for big files); a
``TableBuilder`` merges the chunks into one ``RecordTable`` (numpy columns, a ``StringPool``
per text column, each distinct reason classified once); ``dedupe`` drops rows repeated from an
earlier file.
"""

from .chunk import ChunkBuilder, ChunkData
from .columns import RecordTable
from .merge import TableBuilder, dedupe, table_from_records
from .pool import StringPool

__all__ = [
    "ChunkBuilder",
    "ChunkData",
    "RecordTable",
    "StringPool",
    "TableBuilder",
    "dedupe",
    "table_from_records",
]
