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

    Example (made-up values; measured results are in README.md and BENCHMARKS.md):

    >>> rows = {"model": {"R@1,IoU=0.5": 12.346, "mIoU": 6.7}, "prior": {"R@1,IoU=0.5": 1.0}}
    >>> print(results_table(rows))
    | method | R@1,IoU=0.5 | mIoU |
    | --- | ---: | ---: |
    | model | 12.35 | 6.70 |
    | prior | 1.00 | - |
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
