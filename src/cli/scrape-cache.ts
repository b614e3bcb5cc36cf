// One scan per moment for --serve: scrapes that arrive while a scan runs wait for that scan (single
// flight), and a result younger than the minimum interval answers the next scrapes too.

export interface ScrapeResult {
  body: string;
  /** performance.now() when the scan behind `body` finished. */
  finishedAt: number;
}

export class ScrapeCache {
  #latest: ScrapeResult | null = null;
  #inFlight: Promise<ScrapeResult> | null = null;
  #scans = 0;

  constructor(
    /** Scans and renders; may reject (the scrape answers 503 and the next one tries again). */
    private readonly produce: () => Promise<string>,
    private readonly minIntervalMs: number,
  ) {}

  /** How many scans ran (the tests' and the benchmark's measure of shared work). */
  get scans(): number {
    return this.#scans;
  }

  /** The latest result if it is younger than the minimum interval, else the running scan, else a new one. */
  current(): Promise<ScrapeResult> {
    const latest = this.#latest;
    if (latest !== null && performance.now() - latest.finishedAt < this.minIntervalMs) return Promise.resolve(latest);
    if (this.#inFlight !== null) return this.#inFlight;
    this.#scans++;
    const running = this.produce().then(
      (body) => {
        this.#latest = { body, finishedAt: performance.now() };
        return this.#latest;
      },
    ).finally(() => {
      this.#inFlight = null;
    });
    this.#inFlight = running;
    return running;
  }
}
