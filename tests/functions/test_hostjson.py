"""host.json: the documented defaults, and one sentence for each kind of bad setting."""

from __future__ import annotations

import json
import re

import pytest

from labsupport.functions import HostJsonError, format_timespan, parse_timespan, queue_settings


def queues(**settings) -> dict:
    return {"version": "2.0", "extensions": {"queues": settings}}


def test_defaults_are_the_documented_ones():
    settings = queue_settings(queues())
    assert (settings.batch_size, settings.new_batch_threshold, settings.max_polling_interval,
            settings.visibility_timeout, settings.max_dequeue_count,
            settings.message_encoding) == (16, 8, 60.0, 0.0, 5, "base64")
    assert settings.max_concurrent == 24
    assert settings.threshold_is_default


def test_new_batch_threshold_defaults_to_n_times_half_the_batch():
    assert queue_settings(queues(batchSize=4)).new_batch_threshold == 2
    assert queue_settings(queues(batchSize=4), vcpus=4).new_batch_threshold == 8
    assert queue_settings(queues(batchSize=5)).new_batch_threshold == 2  # integer division
    explicit = queue_settings(queues(batchSize=4, newBatchThreshold=0), vcpus=4)
    assert (explicit.new_batch_threshold, explicit.threshold_is_default) == (0, False)


def test_names_ignore_case_and_numbers_may_be_strings_as_in_net_configuration():
    settings = queue_settings(queues(BatchSize="4", MAXDEQUEUECOUNT=3, messageEncoding="None"))
    assert (settings.batch_size, settings.max_dequeue_count, settings.message_encoding) == (
        4, 3, "none")


def test_reads_json_text_and_paths(tmp_path):
    text = json.dumps(queues(batchSize=2))
    path = tmp_path / "host.json"
    path.write_text(text)
    assert queue_settings(text).batch_size == queue_settings(path).batch_size == 2
    assert queue_settings(str(path)).batch_size == 2


@pytest.mark.parametrize(("bad", "sentence"), [
    (queues(batchSize=64), "batchSize must be a whole number from 1 to 32, not 64"),
    (queues(batchSize=0), "batchSize must be a whole number from 1 to 32, not 0"),
    (queues(batchSize=True), "batchSize must be a whole number from 1 to 32, not true"),
    (queues(maxDequeueCount=0), "maxDequeueCount must be a whole number of at least 1, not 0"),
    (queues(newBatchThreshold=-1), "newBatchThreshold must be a whole number of at least 0"),
    (queues(maxPollingInterval="00:00:00.050"),
     "maxPollingInterval must be a time span (hh:mm:ss, e.g. \"00:00:02\") of at least "
     "00:00:00.100"),
    (queues(maxPollingInterval=2000), "maxPollingInterval must be a time span"),
    (queues(visibilityTimeout="8.00:00:00"),
     "visibilityTimeout must be a time span (hh:mm:ss, e.g. \"00:00:30\") from 00:00:00 to "
     "7.00:00:00"),
    (queues(messageEncoding="utf8"), "messageEncoding must be \"base64\" or \"none\""),
    (queues(maxDequeueCounts=3), "has no setting \"maxDequeueCounts\" (did you mean "
                                 "maxDequeueCount?)"),
    (queues(retries=3), "has no setting \"retries\"; the queue extension's settings are "
                        "batchSize, newBatchThreshold, maxPollingInterval, visibilityTimeout, "
                        "maxDequeueCount and messageEncoding"),
    ({"version": "2.0", "queues": {"batchSize": 4}}, "Functions 1.x layout"),
    ({"extensions": {}}, "\"version\" must be \"2.0\""),
    ("{not json", "host.json is not valid JSON"),
    ({"version": "2.0", "extensions": {"queues": [1]}}, "extensions.queues must be an object"),
])
def test_a_bad_setting_gets_one_sentence_with_its_range(bad, sentence):
    with pytest.raises(HostJsonError) as raised:
        queue_settings(bad)
    message = str(raised.value)
    assert sentence in message
    assert not re.search(r"[.!?] [A-Z]", message) and message.endswith("."), "one sentence"


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(HostJsonError, match="Cannot read .*missing.json"):
        queue_settings(tmp_path / "missing.json")


def test_errors_cite_the_documentation():
    with pytest.raises(HostJsonError, match=r"learn\.microsoft\.com/azure/azure-functions/"
                                            r"functions-bindings-storage-queue#host-json"):
        queue_settings(queues(batchSize=33))


@pytest.mark.parametrize(("text", "seconds"), [
    ("00:00:02", 2.0), ("00:01:00", 60.0), ("00:00:00.100", 0.1), ("1.00:00:00", 86400.0),
    ("7.00:00:00", 604800.0), ("01:02:03.5", 3723.5),
])
def test_timespans_round_trip(text, seconds):
    assert parse_timespan(text) == seconds
    assert parse_timespan(format_timespan(seconds)) == seconds


@pytest.mark.parametrize("text", ["2000", "2", "00:60:00", "1:2", "", "soon"])
def test_timespans_need_hours_minutes_seconds(text):
    with pytest.raises(ValueError):
        parse_timespan(text)


def test_vcpus_must_be_positive():
    with pytest.raises(ValueError, match="vcpus"):
        queue_settings(queues(), vcpus=0)
