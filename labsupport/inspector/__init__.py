"""The queue inspector: ``labsupport.inspect(queue, poison)`` beside a lesson's cells.

Three parts, each importable alone: :mod:`.model` (what state each message is in, from
the wire and the inspector's refreshes; pure), :mod:`.live` (the refresh loop and the
widget's controller; ``inspect``) and :mod:`.view` (the HTML the widget shows).
Importing this package loads none of them.
"""
