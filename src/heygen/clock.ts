/**
 * HeyGen's time, as its answers tell it. reel compares HeyGen's timestamps (`created_at`) and
 * HeyGen's windows (the 24 h Idempotency-Key replay) only with HeyGen's own clock, never with this
 * machine's, which may be off by hours: a laptop without NTP, a CI runner with a bad clock, a VM
 * after suspend. The lock records HeyGen's time of a submit next to the local one
 * (`submitted_at_heygen`), so a build resumed on another machine reads the same instant.
 */
export class HeyGenClock {
  /** HeyGen's time minus this machine's, from the latest answer that said; undefined until one did. */
  private offsetMs: number | undefined;

  constructor(private readonly localNow: () => number = Date.now) {}

  /**
   * Notes an answer's `Date` header (RFC 9110 HTTP-date, whole seconds), received now. The contract
   * does not promise one: without it (or when unreadable) nothing changes. The latest answer wins,
   * so a clock that is corrected during a run is followed.
   */
  observe(date: string | null): void {
    if (date === null) return;
    const at = Date.parse(date);
    if (Number.isNaN(at)) return;
    // Truncated to the second: HeyGen's time was in [at, at + 1 s) when it answered. The middle of
    // that second is as good a guess as any; the error (≤ 1 s plus the answer's travel) is far
    // inside the slack reel allows when comparing (CLOCK_SLACK_SECONDS in build/adopt.ts).
    this.offsetMs = at + 500 - this.localNow();
  }

  /** HeyGen's time now, in ms since the epoch; undefined while no answer has told it. */
  now(): number | undefined {
    return this.offsetMs === undefined ? undefined : this.localNow() + this.offsetMs;
  }
}
