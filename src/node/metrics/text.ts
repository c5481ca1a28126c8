/**
 * The Prometheus text exposition format (version 0.0.4), written by hand:
 * `# HELP` and `# TYPE` once per family, then its samples; label values
 * escaped (backslash, double quote, newline). `promtool check metrics`
 * reads the result clean (test/e2e/metrics.e2e.test.ts).
 */

export type Labels = Readonly<Record<string, string>>;

/** A histogram's state: cumulative bucket counts for each bound (seconds), plus sum and count. */
export interface HistogramData {
  bounds: readonly number[];
  /** counts[i] = observations ≤ bounds[i] (cumulative). */
  counts: number[];
  sum: number;
  count: number;
}

function escape(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function labelText(labels: Labels): string {
  const keys = Object.keys(labels);
  return keys.length === 0 ? "" : `{${keys.map((k) => `${k}="${escape(labels[k]!)}"`).join(",")}}`;
}

/** A number as Prometheus writes it (+Inf, -Inf, NaN spelled out). */
function num(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return String(n);
}

/** Collects families and renders them in the order they were added. */
export class Exposition {
  private readonly out: string[] = [];

  private head(name: string, type: string, help: string): void {
    this.out.push(`# HELP ${name} ${help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`, `# TYPE ${name} ${type}`);
  }

  /** A gauge or counter family (a counter's name ends in _total). Families with no samples still say what they are. */
  family(name: string, type: "gauge" | "counter", help: string, samples: Iterable<[Labels, number]>): this {
    this.head(name, type, help);
    for (const [labels, value] of samples) this.out.push(`${name}${labelText(labels)} ${num(value)}`);
    return this;
  }

  /** A histogram family: `_bucket` per bound and +Inf, `_sum`, `_count`, per label set. */
  histogram(name: string, help: string, series: Iterable<[Labels, HistogramData]>): this {
    this.head(name, "histogram", help);
    for (const [labels, h] of series) {
      h.bounds.forEach((b, i) => this.out.push(`${name}_bucket${labelText({ ...labels, le: num(b) })} ${h.counts[i] ?? 0}`));
      this.out.push(`${name}_bucket${labelText({ ...labels, le: "+Inf" })} ${h.count}`);
      this.out.push(`${name}_sum${labelText(labels)} ${num(h.sum)}`, `${name}_count${labelText(labels)} ${h.count}`);
    }
    return this;
  }

  text(): string {
    return `${this.out.join("\n")}\n`;
  }
}

/** A histogram kept in memory (podman call latency), by label set. */
export class Histograms {
  private readonly series = new Map<string, { labels: Labels; data: HistogramData }>();
  constructor(readonly bounds: readonly number[]) {}

  observe(labels: Labels, value: number): void {
    const key = JSON.stringify(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { labels: { ...labels }, data: { bounds: this.bounds, counts: this.bounds.map(() => 0), sum: 0, count: 0 } };
      this.series.set(key, s);
    }
    this.bounds.forEach((b, i) => {
      if (value <= b) s.data.counts[i]!++;
    });
    s.data.sum += value;
    s.data.count++;
  }

  entries(): [Labels, HistogramData][] {
    return [...this.series.values()].sort((a, b) => JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels))).map((s) => [s.labels, s.data]);
  }
}
