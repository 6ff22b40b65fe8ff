"""Scale-out ingest on NATS JetStream: front-ends publish sealed batches, one writer stores.

``trustlpr serve --role ingest --bus nats://…`` front-ends check cameras and publish each
accepted batch (``BusPublisher``); ``--role writer`` consumes them into the node's pipeline
(``BusWriter``), once each (``BusLedger``), while it holds the writer lease (``WriterLease``:
one active writer, the others standing by). Every message is sealed under the day's bus key
(``BusCipher``); the purge erases a destroyed day's messages (``erase_days``). Wired in
``runtime.py``; see docs/scale.md.
"""

from .config import BusConfig
from .envelope import Batch, BusCipher, decode, encode
from .lease import WriterLease
from .ledger import BusLedger
from .publisher import BusPublisher
from .purge import erase_days
from .writer import BusWriter

__all__ = [
    "Batch",
    "BusCipher",
    "BusConfig",
    "BusLedger",
    "BusPublisher",
    "BusWriter",
    "WriterLease",
    "decode",
    "encode",
    "erase_days",
]
