import type { BuildEvent } from './events.js';

/** `1.2s`, `42s`, `3:05` — short enough for a table column. */
export function formatDuration(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, '0')}`;
}

/** A build event in words: a progress cell (`id`, `state`, `detail`) and the log line. */
export interface EventDescription {
  /** The entry the event concerns; absent for events about the whole build. */
  id?: string;
  /** Where the job now is: `submitting`, `processing`, `completed`… */
  state: string;
  /** What goes with the state: a video id, a file, a message. */
  detail?: string;
  /** The sentence for a log (the plain log, the TTY scrollback); absent when a log skips the event. */
  sentence?: string;
}

/**
 * The one description of the build's event stream, shared by the CLI's plain log and TTY view and by
 * `reel watch --build`.
 */
export function describeEvent(event: BuildEvent): EventDescription {
  switch (event.type) {
    case 'start':
      return {
        state: 'started',
        sentence: `build: ${event.renders} to render, ${event.resumes} to resume, ${event.removals} to remove (concurrency ${event.concurrency})`,
      };
    case 'upload':
      return { id: event.id, state: 'uploaded', detail: event.file, sentence: `${event.id}: ${event.reused ? 'reusing' : 'uploaded'} ${event.file} as asset ${event.asset_id}` };
    case 'submit':
      return { id: event.id, state: 'submitting' };
    case 'submitted': {
      const what = event.video_id ? `video ${event.video_id}` : `agent session ${event.session_id}`;
      const how = event.adopted === 'title' ? ' (found by its title tag: not created again)' : event.adopted === 'session' ? ' (found among recent agent sessions: not created again)' : '';
      return { id: event.id, state: 'submitted', detail: event.video_id ?? event.session_id ?? '', sentence: `${event.id}: submitted, ${what}${how}` };
    }
    case 'resume':
      return { id: event.id, state: 'resuming', sentence: `${event.id}: resuming ${event.video_id ? `video ${event.video_id}` : `agent session ${event.session_id}`}` };
    case 'status':
      return { id: event.id, state: event.status, sentence: `${event.id}: ${event.status}` };
    case 'rendered':
      return { id: event.id, state: 'rendered', sentence: `${event.id}: rendered${event.duration !== undefined ? ` (${event.duration.toFixed(1)} s of video)` : ''}` };
    case 'downloaded':
      return { id: event.id, state: 'downloaded', detail: event.file, sentence: `${event.id}: downloaded ${event.file} (${event.size} bytes)` };
    case 'warning':
      return { ...(event.id ? { id: event.id } : {}), state: 'warning', detail: event.message, sentence: `${event.id ? `${event.id}: ` : ''}warning: ${event.message}` };
    case 'result': {
      const j = event.job;
      const tail = j.message ? `: ${j.code ? `${j.code}: ` : ''}${j.message}` : '';
      return { id: j.id, state: j.result, ...(j.message ? { detail: j.message } : {}), sentence: `${j.id}: ${j.result} after ${formatDuration(j.ms)}${tail}` };
    }
  }
}
