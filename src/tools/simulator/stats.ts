/*
 * Counts of what the simulator answered, per endpoint and status: the ground truth that telemetry from the
 * client side (spans, `zdx.api.requests`) can be compared against in tests, benchmarks and the demo.
 */

/** A status code, `reset` (connection reset instead of an answer). */
export type StatsOutcome = number | 'reset';

export interface SimulatorStats {
  /** Requests answered or reset so far, including those Node could not parse. */
  readonly requests: number;
  /** Outcome (`"200"`, `"429"`, `"reset"`) → count. */
  readonly byStatus: Readonly<Record<string, number>>;
  /**
   * `"METHOD /v1/template"` → outcome → count. Requests matching no catalog endpoint and method (404, 405,
   * 414, 501) are under `unmatched`; requests rejected while parsing
   * (431, 400, 408, 417) under `unparsed`.
   */
  readonly byEndpoint: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

export class StatsRecorder {
  private requests = 0;
  private readonly byStatus = new Map<string, number>();
  private readonly byEndpoint = new Map<string, Map<string, number>>();

  record(endpoint: string, outcome: StatsOutcome): void {
    const status = String(outcome);
    this.requests++;
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
    let counts = this.byEndpoint.get(endpoint);
    if (counts === undefined) this.byEndpoint.set(endpoint, (counts = new Map()));
    counts.set(status, (counts.get(status) ?? 0) + 1);
  }

  snapshot(): SimulatorStats {
    return {
      requests: this.requests,
      byStatus: Object.fromEntries(this.byStatus),
      byEndpoint: Object.fromEntries([...this.byEndpoint].map(([k, v]) => [k, Object.fromEntries(v)])),
    };
  }
}
