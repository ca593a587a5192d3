"""process_order's user code, unit-tested the way Microsoft's Python guide shows it.

``process_order.build().get_user_function()`` is the plain function; it gets an
``azure.functions.QueueMessage`` built from a message that really went through the queue
(id, dequeue count, body) and an ``azure.functions.Out`` for the output binding.
"""

from __future__ import annotations

import json

import azure.functions as func
import pytest

from labsupport.functions import OutputBinding, UndecodableMessage, trigger_message


def received(queue, **kwargs):
    """The next message, received with a plain client (the text as stored)."""
    return next(iter(queue.receive_messages(max_messages=1, messages_per_page=1, **kwargs)))


def test_an_order_becomes_one_shipment_request(function_app, trigger_queues, base64_producer):
    orders = trigger_queues[0]
    base64_producer.send_message(json.dumps({"order_id": "order-1", "item": "book",
                                             "quantity": 2}))
    message = received(orders)
    msg = trigger_message(message)
    shipments = OutputBinding()

    function_app.process_order.build().get_user_function()(msg, shipments)

    assert isinstance(msg, func.QueueMessage)
    assert (msg.id, msg.dequeue_count) == (message.id, 1)
    assert json.loads(shipments.get()) == {"order_id": "order-1", "item": "book", "quantity": 2}


def test_an_order_that_fails_fails_on_every_attempt(function_app, trigger_queues,
                                                     base64_producer):
    orders = trigger_queues[0]
    base64_producer.send_message(json.dumps({"order_id": "order-F", "item": "lamp",
                                             "quantity": "lots"}))
    user = function_app.process_order.build().get_user_function()
    counts = []
    for _ in range(3):
        message = received(orders)
        counts.append(message.dequeue_count)
        shipments = OutputBinding()
        with pytest.raises(ValueError, match="lots"):
            user(trigger_message(message), shipments)
        assert shipments.get() is None, "a failed invocation writes no output"
        orders.update_message(message.id, message.pop_receipt, visibility_timeout=0)
    assert counts == [1, 2, 3]


def test_a_quantity_below_one_is_refused(function_app):
    msg = func.QueueMessage(body=json.dumps({"order_id": "order-0", "item": "pen",
                                             "quantity": 0}).encode())
    with pytest.raises(ValueError, match="at least 1"):
        function_app.process_order.build().get_user_function()(msg, OutputBinding())


def test_plain_text_cannot_become_a_trigger_message(trigger_queues):
    orders = trigger_queues[0]
    orders.send_message("order-42 shipped")  # the Python SDK's default: no encoding
    message = received(orders)
    with pytest.raises(UndecodableMessage, match="TextBase64EncodePolicy"):
        trigger_message(message)
    assert trigger_message(message, "none").get_body() == b"order-42 shipped"


def test_the_decorated_function_can_also_be_called_directly(function_app):
    """azure-functions >= 1.21: the decorated function calls the user code."""
    shipments = OutputBinding()
    body = b'{"order_id": "o", "item": "x", "quantity": 1}'
    function_app.process_order(func.QueueMessage(body=body), shipments)
    assert json.loads(shipments.get())["order_id"] == "o"
