"""Prints where `make run` serves and an admin key for trying writes.

The key is created once and kept in `.broker-demo-key` (ignored by git), since
the store holds only its hash and could not show it again.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from broker.services.access import authenticate, create_api_key
from broker.services.context import Broker
from broker.settings import get_settings

KEY_FILE = Path(".broker-demo-key")


def main() -> None:
    """Reuse the saved demo key if the store still accepts it, else make one."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default=None)
    args = parser.parse_args()
    settings = get_settings()
    if args.db:
        settings = settings.model_copy(update={"database_url": args.db})
    broker = Broker(settings)
    key = KEY_FILE.read_text().strip() if KEY_FILE.exists() else ""
    try:
        authenticate(broker, key)
    except Exception:
        key = create_api_key(broker, "admin", None)
        KEY_FILE.write_text(key + "\n")
    print(f"broker is starting on http://{settings.host}:{settings.port}/")
    print(f"Admin API key for writes (also in {KEY_FILE}): {key}")


if __name__ == "__main__":
    main()
