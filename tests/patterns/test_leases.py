"""Recognising a stale lease: 400 PopReceiptMismatch (Azurite) or 404 MessageNotFound (Azure)."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.storage.queue import QueueClient, StorageErrorCode

from labsupport.patterns.leases import delete_if_still_leased, error_code, is_stale_lease


def http_error(status, code, cls=HttpResponseError):
    error = cls(message="boom")
    error.status_code, error.error_code = status, code
    return error


@pytest.mark.parametrize("status, code", [
    (400, "PopReceiptMismatch"),
    (400, StorageErrorCode.POP_RECEIPT_MISMATCH),
    (404, "MessageNotFound"),
])
def test_both_ways_of_saying_the_pop_receipt_is_stale_are_recognised(status, code):
    assert is_stale_lease(http_error(status, code, ResourceNotFoundError if status == 404
                                     else HttpResponseError))


@pytest.mark.parametrize("error", [
    http_error(404, "QueueNotFound"),
    http_error(400, "OutOfRangeQueryParameterValue"),
    http_error(500, "InternalError"),
    ValueError("not an HTTP error"),
])
def test_other_errors_are_not_a_stale_lease(error):
    assert not is_stale_lease(error)


def test_error_code_is_plain_text_even_for_the_sdk_enum():
    assert error_code(http_error(400, StorageErrorCode.POP_RECEIPT_MISMATCH)) == (
        "PopReceiptMismatch")
    assert error_code(http_error(400, None)) == ""


def test_delete_if_still_leased_says_whether_it_deleted(lab):
    queue = QueueClient(lab.account_url, lab.new_queue_name("leases"), credential=lab.credential)
    queue.create_queue()
    try:
        queue.send_message("A")
        mine = queue.receive_message(visibility_timeout=10)
        newer = queue.update_message(mine, visibility_timeout=10)  # mine is stale now
        assert delete_if_still_leased(queue, mine) is False
        assert delete_if_still_leased(queue, newer) is True
        assert queue.get_queue_properties().approximate_message_count == 0
    finally:
        queue.delete_queue()


def test_delete_if_still_leased_raises_other_errors(lab):
    missing = QueueClient(lab.account_url, lab.new_queue_name("no-such-queue"),
                          credential=lab.credential)
    with pytest.raises(ResourceNotFoundError):
        delete_if_still_leased(missing, "00000000-0000-0000-0000-000000000000", "receipt")
