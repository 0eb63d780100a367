import type { RunReport, WatchSnapshot } from './engine.js';

/** Where a reporter writes: a process stream or anything with `write`. */
export interface TextSink {
  write(text: string): unknown;
}

/** A terminal: its size, and the `resize` event when it has one. */
export interface TerminalSink extends TextSink {
  columns?: number;
  rows?: number;
  on?(event: 'resize', listener: () => void): unknown;
  off?(event: 'resize', listener: () => void): unknown;
}

/** What `--build` reports about its renders, one event at a time. */
export type WatchBuildEvent =
  | { kind: 'start'; ids: string[] }
  | { kind: 'progress'; id: string; state: string; detail?: string }
  | { kind: 'done'; ok: boolean; summary: string }
  | { kind: 'stale'; ids: string[] }
  | { kind: 'unavailable'; message: string };

/** The lifecycle hooks of a watch session; `reel watch` picks the TTY screen or plain lines. */
export interface WatchReporter {
  /** A run finished: what changed (`report`) and the whole current view (`snapshot`). */
  onRun(report: RunReport, snapshot: WatchSnapshot, at: Date): void;
  /** A run failed for a reason outside the manifests (e.g. an unreadable lock); watching goes on. */
  onError(message: string, at: Date): void;
  onBuild(event: WatchBuildEvent, at: Date): void;
  /** Leave the terminal as it was found. */
  close(): void;
}
