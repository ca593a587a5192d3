"""Azurite clears expired messages without rebuilding its indexes when none expired
(patches/azurite+3.35.0.patch, "rebuilt indexes").

Before every Get, Peek, Update and Delete Message, Azurite 3.35.0 removes the queue's expired
messages with one lokijs batch remove; lokijs rebuilds every binary index of the collection
(a sort of all stored messages) on each batch remove, even of no documents. The patch skips
the remove when nothing expired. These tests drive Azurite's own metadata store in Node
(in memory) and count lokijs's full index rebuilds: what the code did, not how fast.
"""

from __future__ import annotations

import json
import subprocess

from localcloud.azurite import find_azurite, find_node

SCRIPT = r"""
const path = require("path");
const dist = process.cwd();  // Azurite's dist/src
const { default: Store } = require(path.join(dist, "queue", "persistence",
                                             "LokiQueueMetadataStore.js"));
const Loki = require(require.resolve("lokijs", { paths: [dist] }));
let rebuilds = 0;
const ensureAll = Loki.Collection.prototype.ensureAllIndexes;
Loki.Collection.prototype.ensureAllIndexes = function (force) {
  if (force) rebuilds += 1;
  return ensureAll.call(this, force);
};
const message = (id, expiresInMs) => ({
  accountName: "acct", queueName: "q", messageId: id, popReceipt: "r",
  insertionTime: new Date(), expirationTime: new Date(Date.now() + expiresInMs),
  timeNextVisible: new Date(), dequeueCount: 0,
  persistency: { id: "e", offset: 0, count: 1 },
});
(async () => {
  const store = new Store("unused.json", true);
  await store.init();
  await store.createQueue({ accountName: "acct", name: "q" });
  for (let i = 0; i < 5; i++) await store.insertMessage(message(`live-${i}`, 3600000));
  const counts = {};
  rebuilds = 0;
  await store.peekMessages("acct", "q", 32);
  counts.nothing_expired = rebuilds;
  await store.insertMessage(message("old", -1000));
  rebuilds = 0;
  const left = await store.peekMessages("acct", "q", 32);
  counts.one_expired = rebuilds;
  counts.left = left.map((m) => m.messageId).sort();
  console.log(JSON.stringify(counts));
  await store.close();
})().catch((error) => { console.error(error); process.exit(1); });
"""


def _run() -> dict:
    done = subprocess.run([find_node(), "-e", SCRIPT], cwd=find_azurite().parent,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_read_with_nothing_expired_rebuilds_no_index():
    assert _run()["nothing_expired"] == 0


def test_expired_messages_are_still_removed_before_a_read():
    counts = _run()
    assert counts["one_expired"] >= 1  # a real removal still updates the indexes
    assert counts["left"] == [f"live-{i}" for i in range(5)]
