"""Figures a lesson may type in its prose: documented constants, each with its source.

tests/test_prose_figures.py fails on any time, rate, ratio or percentage in a lesson's
markdown that a run should print instead — unless it is one of these. An entry matches a
figure only inside one of its *phrases* (regular expressions over a sentence's prose:
code spans read as …, links as their text, no ``*``), so "30 s" is waved through as the
default visibility timeout, never as a time some run took. Add an entry only for a value
Microsoft (or the source code of the Azure component) states; cite that page.
"""

from __future__ import annotations

from dataclasses import dataclass

GET_MESSAGES = "https://learn.microsoft.com/rest/api/storageservices/get-messages"
PUT_MESSAGE = "https://learn.microsoft.com/rest/api/storageservices/put-message"
SCALE_TARGETS = "https://learn.microsoft.com/azure/storage/queues/scalability-targets"
FUNCTIONS_HOST_JSON = ("https://learn.microsoft.com/azure/azure-functions/"
                       "functions-bindings-storage-queue#host-json")
FUNCTIONS_TRIGGER = ("https://learn.microsoft.com/azure/azure-functions/"
                     "functions-bindings-storage-queue-trigger")


@dataclass(frozen=True)
class Constant:
    figure: str  # as the prose writes it, for people
    meaning: str
    source: str  # the page (or source file) that states it
    phrases: tuple[str, ...]  # regexes; the figure must lie inside a match


CONSTANTS = (
    Constant("7 days", "the default time to live of a message", PUT_MESSAGE, (
        r"(?:default|unless you say otherwise|unless you set|[Ww]ithout it)[^.;]{0,80}?\b7 days",
        r"\b7 days\b[^.;]{0,20}?(?:by default|unless you)",
        r"default time to live[^.;]{0,80}?\b7 days",
    )),
    Constant("7 days", "the longest time to live before API version 2017-07-29", PUT_MESSAGE, (
        r"before that, 7 days was also the maximum",
    )),
    Constant("30 s", "the default visibility timeout of a receive", GET_MESSAGES, (
        r"default 30 s\b",
    )),
    Constant("7 days; 0 s / 1 s", "the range of a visibility timeout: 0 s–7 days on send and "
             "update, 1 s–7 days on receive", GET_MESSAGES, (
        r"visibility timeout[^.;]{0,40}?(?:at most|≤|up to) 7 days",
        r"0 s\s*[–-]\s*7 days on send and update, 1 s\s*[–-]\s*7 days on receive",
        r"default 30 s; 1 s\s*[–-]\s*7 days",
        r"[Ww]ork that takes longer than 7 days needs heartbeats",
    )),
    Constant("2,000 / 20,000 messages per second", "the scale targets of one queue and of one "
             "storage account (1 KiB messages)", SCALE_TARGETS, (
        r"scale targets \(2,000 messages/s per queue, 20,000 per account\)",
        r"2,000 messages per second for one queue",
        r"20,000 messages per second for a storage account",
        r"targets? 2,000 messages/s(?: per queue)?",
        r"[Bb]eyond ~?2,000 messages/s, use several queues",
        r"[Bb]eyond 20,000 messages/s, spread the queues over several storage accounts",
    )),
    Constant("up to 30 minutes", "how long a new Azure role assignment may take to apply",
             "https://learn.microsoft.com/azure/storage/queues/assign-azure-role-data-access", (
        r"(?:role assignment|new assignment)[^.]{0,60}?up to 30 minutes",
    )),
    Constant("up to 30 seconds", "how long a new or changed stored access policy may take to "
             "apply", "https://learn.microsoft.com/rest/api/storageservices/set-queue-acl", (
        r"up to 30 seconds to apply a new or changed policy",
    )),
    Constant("15 minutes in the past", "a SAS start time that allows for clock skew",
             "https://learn.microsoft.com/azure/storage/common/storage-sas-overview"
             "#best-practices-when-using-sas", (
        r"set it 15 minutes in the past",
    )),
    Constant("10 minutes", "the lease the Functions host takes on a message while the "
             "function runs (peek-lock)", FUNCTIONS_TRIGGER + "#peek-lock", (
        r"leased for 10 minutes while the function runs",
    )),
    Constant("5 minutes", "when the Functions host renews the lease of a running function",
             FUNCTIONS_TRIGGER + "#peek-lock", (
        r"renewing the lease of a function that runs longer than 5 minutes",
    )),
    Constant("100 ms and 1 minute", "the shortest polling interval of the Functions queue "
             "trigger and the default maxPollingInterval",
             FUNCTIONS_TRIGGER + "#polling-algorithm", (
        r"back-off from 100 ms up to",
        r"\| 1 minute(?= \(2 s locally\))",
        r"up to … \(1 minute\)",
        r"the cap defaults to one minute",
    )),
    Constant("100 ms", "what the Functions queue trigger waits after a poll that found a "
             "message", FUNCTIONS_TRIGGER + "#polling-algorithm", (
        r"found messages the host waits 100 ms",
    )),
    Constant("2 s", "maxPollingInterval of a Functions host in development (func start)",
             "https://github.com/Azure/azure-sdk-for-net/blob/main/sdk/storage/"
             "Microsoft.Azure.WebJobs.Extensions.Storage.Queues/src/"
             "StorageQueuesWebJobsBuilderExtensions.cs", (
        r"1 minute \(2 s locally\)",
        r"uses … = 2 s, what … uses on your machine",
    )),
    Constant("less than 15 minutes", "the recovery point objective of geo-redundant storage: "
             "typical, with no SLA on replication time",
             "https://learn.microsoft.com/azure/storage/common/storage-redundancy", (
        r"RPO of less than 15 minutes",
        r"typically by less than 15 minutes",
    )),
)
