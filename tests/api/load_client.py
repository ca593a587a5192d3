"""A second process that loads the queue API: producers send, consumers receive and delete.

    python tests/api/load_client.py BASE_URL --messages 1200 --deadline 240 \
        --token-file .lab/secrets/queue-api-8000.token

Loopback only, bounded in count (``--messages``) and time (``--deadline``). Prints one JSON
line: how many messages were sent, received-and-deleted, the requests made, and every
unexpected answer (there should be none).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from urllib.parse import urlsplit

import httpx


async def run(base_url: str, messages: int, concurrency: int, deadline: float,
              headers: dict[str, str]) -> dict:
    if urlsplit(base_url).hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("the load client only targets loopback addresses")
    stats = {"sent": 0, "received": 0, "requests": 0, "errors": [], "sent_ids": [],
             "received_ids": []}
    stop_at = time.monotonic() + deadline
    to_send = iter(range(messages))
    producers_done = asyncio.Event()

    def note(answer: httpx.Response, expected: tuple[int, ...]) -> bool:
        stats["requests"] += 1
        if answer.status_code not in expected:
            stats["errors"].append(f"{answer.request.method} {answer.request.url.path} -> "
                                   f"{answer.status_code} {answer.text[:200]}")
            return False
        return True

    async def produce(client: httpx.AsyncClient) -> None:
        for n in to_send:
            if time.monotonic() > stop_at:
                return
            answer = await client.post("/queue/messages", json={"n": n})
            if note(answer, (201,)):
                stats["sent"] += 1
                stats["sent_ids"].append(n)

    async def consume(client: httpx.AsyncClient) -> None:
        while time.monotonic() < stop_at:
            answer = await client.get("/queue/messages",
                                      params={"max_messages": 32, "visibility_timeout": 120})
            if not note(answer, (200,)):
                continue
            batch = answer.json()
            if not batch:
                if producers_done.is_set() or stats["received"] >= messages // 2:
                    return
                await asyncio.sleep(0.05)
                continue
            for message in batch:
                deleted = await client.delete(f"/queue/messages/{message['id']}",
                                              params={"pop_receipt": message["pop_receipt"]})
                if note(deleted, (204,)):
                    stats["received"] += 1
                    stats["received_ids"].append(message["content"]["n"])
            if stats["received"] >= messages // 2:
                return  # leave the rest in the queue: the test counts what remains

    limits = httpx.Limits(max_connections=concurrency * 2)
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30.0,
                                 limits=limits) as client:
        producers = [asyncio.create_task(produce(client)) for _ in range(concurrency)]
        consumers = [asyncio.create_task(consume(client)) for _ in range(concurrency // 2 or 1)]
        await asyncio.gather(*producers)
        producers_done.set()
        await asyncio.gather(*consumers)
    stats["timed_out"] = time.monotonic() > stop_at
    return stats


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("base_url")
    parser.add_argument("--messages", type=int, default=1200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--deadline", type=float, default=240.0)
    parser.add_argument("--token-file", help="the service's bearer token file (0600)")
    args = parser.parse_args()
    headers = {}
    if args.token_file:
        with open(args.token_file) as handle:
            headers["Authorization"] = f"Bearer {handle.read().strip()}"
    started = time.monotonic()
    stats = asyncio.run(run(args.base_url, args.messages, args.concurrency, args.deadline,
                            headers))
    stats["seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(stats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
