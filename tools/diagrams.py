"""Generate the lab's diagrams as SVG (``python tools/diagrams.py``).

images/architecture.svg       notebooks → labsupport → local cloud or Azure
images/resource-hierarchy.svg subscription → resource group → storage account → queue
"""

from __future__ import annotations

import sys
from html import escape
from pathlib import Path

IMAGES = Path(__file__).resolve().parents[1] / "images"
FONT = "font-family='Segoe UI, Helvetica, Arial, sans-serif'"
BLUE, GREEN, GREY, ORANGE = "#0078d4", "#107c10", "#605e5c", "#ca5010"


def box(x, y, w, h, title, lines=(), color=BLUE, fill="#ffffff"):
    parts = [
        f"<rect x='{x}' y='{y}' width='{w}' height='{h}' rx='8' fill='{fill}' "
        f"stroke='{color}' stroke-width='2'/>",
        f"<text x='{x + w / 2}' y='{y + (22 if lines or h > 60 else h / 2 + 5)}' "
        f"text-anchor='middle' {FONT} font-size='15' "
        f"font-weight='600' fill='{color}'>{escape(title)}</text>",
    ]
    for i, line in enumerate(lines):
        parts.append(
            f"<text x='{x + w / 2}' y='{y + 42 + 17 * i}' text-anchor='middle' {FONT} "
            f"font-size='12' fill='#323130'>{escape(line)}</text>"
        )
    return "\n".join(parts)


def arrow(x1, y1, x2, y2, label="", color=GREY):
    mid_x, mid_y = (x1 + x2) / 2, (y1 + y2) / 2
    text = (
        f"<text x='{mid_x + 6}' y='{mid_y - 4}' {FONT} font-size='11' fill='{color}'>"
        f"{escape(label)}</text>" if label else ""
    )
    return (
        f"<line x1='{x1}' y1='{y1}' x2='{x2}' y2='{y2}' stroke='{color}' stroke-width='2' "
        f"marker-end='url(#arrow)'/>{text}"
    )


def svg(width, height, body, title):
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
        f"viewBox='0 0 {width} {height}' role='img'>\n<title>{escape(title)}</title>\n"
        "<defs><marker id='arrow' viewBox='0 0 10 10' refX='9' refY='5' markerWidth='7' "
        f"markerHeight='7' orient='auto-start-reverse'><path d='M0,0 L10,5 L0,10 z' "
        f"fill='{GREY}'/></marker></defs>\n"
        f"<rect width='{width}' height='{height}' fill='#faf9f8'/>\n{body}\n</svg>\n"
    )


def architecture() -> str:
    parts = [
        box(250, 20, 300, 62, "Notebooks 00–11", ["the lesson: Azure SDK calls you can copy"]),
        box(250, 120, 300, 78, "labsupport", ["connect() · wire, trace, timelines, inspector",
                                              "checks · patterns · API, Functions model"], GREY),
        arrow(400, 82, 400, 118),
        box(40, 250, 330, 190, "Local cloud (default, offline)", [], GREEN, "#f3faf3"),
        box(60, 290, 290, 44, "Azurite: queue + blob (HTTPS)", [], GREEN),
        box(60, 342, 290, 44, "Management plane (ARM REST API)", [], GREEN),
        box(60, 394, 290, 40, "Managed-identity token endpoint", [], GREEN),
        box(430, 250, 330, 190, "Azure (LAB_BACKEND=azure)", [], ORANGE, "#fdf6f2"),
        box(450, 290, 290, 44, "<account>.queue.core.windows.net", [], ORANGE),
        box(450, 342, 290, 44, "management.azure.com", [], ORANGE),
        box(450, 394, 290, 40, "Entra ID: az login, managed identity", [], ORANGE),
        arrow(330, 198, 205, 248, "same SDK calls"),
        arrow(470, 198, 595, 248, "same SDK calls"),
    ]
    return svg(800, 460, "\n".join(parts), "queue lab architecture")


def hierarchy() -> str:
    levels = [
        ("Subscription", "billing and access boundary", GREY),
        ("Resource group  rg-<prefix>", "tagged purpose=queue-lab · deleted by notebook 12", BLUE),
        ("Storage account  <prefix><8 hex>", "StorageV2 · Standard_LRS · keys, endpoints", BLUE),
        ("Queue  <topic>-<6 hex>", "one per notebook run · metadata", GREEN),
        ("Messages", "≤ 64 KiB each · TTL · visibility timeout · dequeue count", GREEN),
    ]
    parts = []
    for i, (title, line, color) in enumerate(levels):
        x, y = 20 + 40 * i, 20 + 80 * i
        parts.append(box(x, y, 460, 56, title, [line], color))
        if i:
            parts.append(arrow(x - 20, y - 24, x - 20, y + 28))
    return svg(680, 420, "\n".join(parts), "Azure Storage Queues resource hierarchy")


def main() -> int:
    IMAGES.mkdir(exist_ok=True)
    (IMAGES / "architecture.svg").write_text(architecture(), encoding="utf-8")
    (IMAGES / "resource-hierarchy.svg").write_text(hierarchy(), encoding="utf-8")
    print("wrote images/architecture.svg and images/resource-hierarchy.svg")
    return 0


if __name__ == "__main__":
    sys.exit(main())
