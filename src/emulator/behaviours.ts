/**
 * Switches for the ways the live HeyGen API may behave where its contract is unconfirmed or was
 * found to differ (API.md §2.6–2.8, §6). Each has the default the public evidence supports; tests
 * flip them to prove reel is safe under every plausible answer.
 */

export interface Behaviours {
  /**
   * `POST /v3/video-agents` answers with the session's `video_id` at once (HeyGen's CLI and skills
   * rely on it, API.md §2.7). The id reads `pending` until the agent starts rendering it — which a
   * chat session does only after approval. Default true.
   */
  agentVideoAtCreate: boolean;
  /**
   * `GET /v3/videos/statuses` answers `not_found` for a video younger than this many seconds (its
   * read model lags behind, API.md §2.6); `GET /v3/videos/{id}` knows it at once. Default 0.
   */
  statusLagSeconds: number;
  /** `GET /v3/videos/statuses` answers 500 to every request (a new endpoint that keeps failing). Default false. */
  statusesFailing: boolean;
  /** `GET /v3/video-agents` leaves out sessions younger than this many seconds. Default 0. */
  sessionListLagSeconds: number;
  /**
   * A 4xx answer (other than 409 in progress and 429) is stored under its Idempotency-Key and replayed
   * for 24 h like a success (unconfirmed, API.md §6). Default true.
   */
  replayErrors: boolean;
  /**
   * Chat sessions show their storyboard and go on to render without waiting for an approval ("auto-
   * proceeds on confirmations", API.md §2.8); revisions after a render also render at once. Default false.
   */
  chatAutoProceed: boolean;
  /**
   * Seconds HeyGen's clock is ahead of this machine's (negative: behind). Every time the emulator
   * shows — `created_at`, `completed_at`, the `Date` header, URL expiry — reads the skewed clock;
   * durations (render times, the 24 h replay window) are unchanged. A laptop without NTP, a CI
   * runner with a bad clock or a VM after suspend sees HeyGen this way. Default 0.
   */
  clockSkewSeconds: number;
  /**
   * Answers carry a `Date` header (HTTP-date, whole seconds) from the emulator's clock. The
   * contract does not promise one, so reel must be safe without it. Default true.
   */
  dateHeader: boolean;
}

export const DEFAULT_BEHAVIOURS: Behaviours = {
  agentVideoAtCreate: true,
  statusLagSeconds: 0,
  statusesFailing: false,
  sessionListLagSeconds: 0,
  replayErrors: true,
  chatAutoProceed: false,
  clockSkewSeconds: 0,
  dateHeader: true,
};

/** Validated behaviours with defaults filled in; throws RangeError on a negative lag or a skew that is not a number. */
export function behaviours(given: Partial<Behaviours> = {}): Behaviours {
  const out = { ...DEFAULT_BEHAVIOURS, ...given };
  for (const key of ['statusLagSeconds', 'sessionListLagSeconds'] as const) {
    if (!Number.isFinite(out[key]) || out[key] < 0) throw new RangeError(`${key} must be a non-negative number, got ${out[key]}`);
  }
  if (!Number.isFinite(out.clockSkewSeconds)) throw new RangeError(`clockSkewSeconds must be a number of seconds, got ${out.clockSkewSeconds}`);
  return out;
}
