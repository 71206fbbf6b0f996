"""A results table: one row per method, one column per metric, Markdown."""

from __future__ import annotations


def results_table(rows: dict[str, dict[str, float]], digits: int = 2) -> str:
    """Formats metric dicts (e.g. from ``evaluate_predictions``) as a Markdown table.

    Args:
        rows: method name → {metric name: value}; the columns are the metrics of the
            first row, in its order. A metric a row lacks is shown as "-".
        digits: decimals shown.

    Returns:
        The table, one line per row, readable as plain text too.

    Example:
    >>> print(results_table({"CLEAR": {"R@1,IoU=0.5": 30.27, "mIoU": 28.1}}))
    | method | R@1,IoU=0.5 | mIoU |
    | --- | ---: | ---: |
    | CLEAR | 30.27 | 28.10 |
    """
    if not rows:
        raise ValueError("results_table needs at least one row")
    columns = list(next(iter(rows.values())))
    lines = [
        "| method | " + " | ".join(columns) + " |",
        "| --- | " + " | ".join("---:" for _ in columns) + " |",
    ]
    for name, metrics in rows.items():
        cells = [
            f"{metrics[column]:.{digits}f}" if column in metrics else "-" for column in columns
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
