"""A PNG of an eval result: grouped bars of hit@5 (share of queries with a gold record
in the top 5) and MRR@10 by query type, one bar per configuration."""

from __future__ import annotations

from pathlib import Path

CHART_METRICS = (("hit@5", "hit@5"), ("mrr@10", "MRR@10"))


def write_chart(result: dict, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    configs = list(result["configurations"])
    types: list[str] = []
    for cfg in result["configurations"].values():
        for qtype in cfg["metrics"]:
            if qtype != "ALL" and qtype not in types:
                types.append(qtype)
    types.append("ALL")

    width = 0.8 / max(len(configs), 1)
    fig, axes = plt.subplots(len(CHART_METRICS), 1, figsize=(max(8, 1.3 * len(types) + 2), 7), sharex=True)
    for ax, (metric, label) in zip(axes, CHART_METRICS, strict=True):
        for i, name in enumerate(configs):
            per_type = result["configurations"][name]["metrics"]
            values = [per_type.get(t, {}).get(metric, 0.0) for t in types]
            xs = [j + (i - (len(configs) - 1) / 2) * width for j in range(len(types))]
            suffix = " (default)" if name == result.get("default") else ""
            ax.bar(xs, values, width, label=f"{name}{suffix}")
        ax.set_ylabel(label)
        ax.set_ylim(0, 1)
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=min(len(configs), 4),
                   frameon=False)
    fig.suptitle(f"Retrieval by query type ({Path(result.get('queries', '')).name}, k={result.get('k')})")
    labels = []
    for t in types:
        n = result["configurations"][configs[0]]["metrics"].get(t, {}).get("n") if configs else None
        labels.append(f"{t}\n(n={n})" if n is not None else t)
    axes[-1].set_xticks(range(len(types)))
    axes[-1].set_xticklabels(labels, fontsize=8)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
