import type { SourcePosition } from '../errors.js';

/**
 * The contract between the loader (src/manifest) and everything after it (plan, lock, build,
 * watch). The loader turns YAML into ResolvedEntry values; nothing downstream reads YAML.
 */

export type Mode = 'direct' | 'agent';

/**
 * A local file referenced by a manifest. In `request` its place is held by `placeholder`
 * (`reel-asset:sha256:<hex>`), a string the build replaces with the HeyGen asset id once the file
 * is uploaded. Because the placeholder carries the content hash, the fingerprint of the request
 * changes exactly when the bytes do.
 */
export interface LocalAsset {
  placeholder: string;
  /** Absolute path. */
  path: string;
  /** Path relative to the project root, with forward slashes. */
  relPath: string;
  sha256: string;
  size: number;
  /** Where in the manifest the path was written. */
  source: SourcePosition;
}

/** Agent-mode review flow (chat sessions); absent for direct entries. */
export interface AgentReview {
  /** `review: true`: the session is created in chat mode and stops at the storyboard. */
  review: boolean;
  /** Follow-up messages, sent in order, each once. */
  revisions: string[];
  /** `approved: true`: send the approval message and render. */
  approved: boolean;
}

/** Settings that change where reel writes outputs, never what HeyGen renders. */
export interface OutputSettings {
  /** Output file for the video, relative to the project root; default `<out>/<id>.mp4`. */
  file?: string;
}

export interface ResolvedEntry {
  /** Unique across the project, safe as a file name: /^[a-z0-9][a-z0-9._-]*$/. */
  id: string;
  mode: Mode;
  /**
   * The exact body reel sends: `POST /v3/videos` for direct entries, `POST /v3/video-agents` for
   * agent entries, with defaults, templates and `api:` pass-through applied. Local files appear as
   * their LocalAsset placeholder.
   */
  request: Record<string, unknown>;
  assets: LocalAsset[];
  /** The entry's `title`; for agent entries reel metadata only (the agent API has no title). */
  title?: string;
  agent?: AgentReview;
  output: OutputSettings;
  /** Where the entry's key is written (for `each` entries: the template key). */
  source: SourcePosition;
  /**
   * Where each top-level request field got its value (the entry itself, `defaults`, the config
   * or a data row), keyed by request field name, for `reel explain` and editor-style errors.
   */
  fieldSources: Record<string, SourcePosition>;
  /** For entries expanded from `each`: the data file and the 1-based row. */
  origin?: { data: string; row: number };
}

/**
 * An entry marked `draft: true` (e.g. written by `reel eject` before everything was known). It is
 * checked against the schema but never resolved into a request, so nothing can render it.
 */
export interface DraftEntry {
  id: string;
  mode: Mode;
  /** Manifest fields still missing, e.g. `avatar`, `script`; empty when only the marker is left. */
  needs: string[];
  /** Where the entry's key is written. */
  source: SourcePosition;
}

/** A problem found while loading; every problem of a run is reported together. */
export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  /** The entry id the problem belongs to, when there is one. */
  id?: string;
  message: string;
  severity: 'error' | 'warning';
}
