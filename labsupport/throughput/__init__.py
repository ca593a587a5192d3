"""Lesson 10's throughput, the lesson side: its modes, the floor, and the harness that times them.

* :mod:`.modes` — the ways of sending and consuming lesson 10 writes in its cells (their
  tested copy): ``send_one_at_a_time``, ``send_all``, ``consume_one_by_one``,
  ``consume_pages``, ``consume_concurrently``.
* :mod:`.rawqueue` — *the floor*: the same requests from a minimal raw HTTP client.
* :mod:`.measure` — :func:`~.measure.measure` times modes side by side (fresh queues, warm
  clients, requests and requests in flight counted on the wire, CPU time), optionally
  through ``lab.azure_like_network()``; :class:`~.measure.Results` holds what it found.

The benchmark (``python -m labsupport.bench throughput``) builds its long runs, report and
CSV on these; nothing here imports the benchmark.
"""
