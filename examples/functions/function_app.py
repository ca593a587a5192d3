"""Order intake: an Azure Functions app in the Python v2 programming model.

``process_order`` runs for each message in the ``orders`` queue (a queue trigger) and
writes one shipment request to the ``shipments`` queue (a queue output binding). Both
bindings use the connection ``QueueStorage``, an identity-based connection: the app
setting ``QueueStorage__queueServiceUri`` names the queue endpoint, and the app signs in
with its managed identity (locally: your developer identity). No key anywhere.

An order that cannot be shipped raises: the host retries it and, after
``maxDequeueCount`` tries (host.json), moves it to ``orders-poison``.

Deploy unchanged with Azure Functions Core Tools: ``func azure functionapp publish <app>``.
"""

import json
import logging

import azure.functions as func

app = func.FunctionApp()


@app.function_name(name="process_order")
@app.queue_trigger(arg_name="msg", queue_name="orders", connection="QueueStorage")
@app.queue_output(arg_name="shipments", queue_name="shipments", connection="QueueStorage")
def process_order(msg: func.QueueMessage, shipments: func.Out[str]) -> None:
    """Turn an order into a shipment request; raise for an order that cannot be shipped."""
    order = json.loads(msg.get_body().decode("utf-8"))  # the host has decoded base64 already
    quantity = int(order["quantity"])  # "lots" raises ValueError: retried, then poisoned
    if quantity < 1:
        raise ValueError(f"order {order['order_id']}: quantity must be at least 1, not {quantity}")
    logging.info("order %s (dequeue count %s): shipping %d x %s",
                 order["order_id"], msg.dequeue_count, quantity, order["item"])
    shipments.set(json.dumps({"order_id": order["order_id"], "item": order["item"],
                              "quantity": quantity}))
