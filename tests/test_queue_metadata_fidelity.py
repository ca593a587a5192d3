"""Fidelity: queue metadata and queue names as lesson 03 teaches them, measured on Azurite.

Where Azurite differs from Azure the test pins what Azurite does and says so; lesson 03
carries the matching "Azurite vs Azure" callout (docs/AZURE_DIFFERENCES.md).
"""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError

from labsupport.patterns.error_codes import error_code


def metadata(queue) -> dict[str, str]:
    return queue.get_queue_properties().metadata


def test_set_queue_metadata_replaces_the_whole_set_and_an_empty_dict_clears_it(queue):
    # Set Queue Metadata: "Each call to this operation replaces all existing metadata".
    queue.set_queue_metadata({"lesson": "03", "owner": "you"})
    queue.set_queue_metadata({"status": "draining"})
    assert metadata(queue) == {"status": "draining"}
    queue.set_queue_metadata({**metadata(queue), "owner": "you"})
    assert metadata(queue) == {"status": "draining", "owner": "you"}
    queue.set_queue_metadata({})
    assert metadata(queue) == {}


def test_metadata_names_keep_their_case(queue):
    queue.set_queue_metadata({"Owner": "you"})
    assert metadata(queue) == {"Owner": "you"}


@pytest.mark.parametrize("name", ["1abc", "bad-key"])
def test_azurite_accepts_metadata_names_that_are_not_csharp_identifiers(queue, name):
    # Azure requires C# identifiers and refuses others with 400 InvalidMetadata;
    # Azurite 3.35 stores any name an HTTP header can carry.
    queue.set_queue_metadata({name: "x"})
    assert metadata(queue) == {name: "x"}


def test_azurite_stores_a_value_outside_ascii_that_the_sdk_sends_as_latin_1(queue):
    # Azure's metadata is ASCII; the Python SDK (http.client) sends a header value as
    # Latin-1 bytes, and Azurite stores and returns them.
    queue.set_queue_metadata({"city": "Zürich"})
    assert metadata(queue) == {"city": "Zürich"}


def test_a_value_beyond_latin_1_never_leaves_the_client(queue):
    with pytest.raises(UnicodeEncodeError):
        queue.set_queue_metadata({"price": "5 €"})


def test_azurite_takes_a_pipe_in_a_queue_name(service, lab):
    # Azure takes letters, digits and hyphens only; Azurite 3.35's name check is the
    # pattern ^[0-9|a-z|-]*$, whose character class lets "|" through.
    name = lab.new_queue_name("pipe").replace("-", "|", 1)
    service.create_queue(name)
    try:
        assert [q.name for q in service.list_queues(name_starts_with="pipe|")] == [name]
    finally:
        service.delete_queue(name)


@pytest.mark.parametrize("name, code", [
    ("ab", "OutOfRangeInput"), ("n" * 64, "OutOfRangeInput"),
    ("Orders", "InvalidResourceName"), ("or--ders", "InvalidResourceName"),
    ("-orders", "InvalidResourceName"), ("orders-", "InvalidResourceName"),
    ("or_ders", "InvalidResourceName"), ("ordérs", "InvalidResourceName"),
])
def test_an_invalid_queue_name_is_refused_with_400(service, name, code):
    with pytest.raises(HttpResponseError) as caught:
        service.create_queue(name)
    assert (caught.value.status_code, error_code(caught.value)) == (400, code)
