import { readFile } from 'node:fs/promises';
import { accountKey, CatalogSource, catalogTtl } from '../catalog/catalog.js';
import { closeMatches } from '../catalog/remote.js';
import { ApiError, UsageError } from '../errors.js';
import { connect, type HeyGenClient } from '../heygen/client.js';
import type { AvatarLook, SessionResource, VoiceInfo } from '../heygen/types.js';
import { openLock, readLock } from '../lock/index.js';
import { loadProject } from '../manifest/index.js';
import { writeFileAtomic } from '../util/atomic.js';
import { apiIdentity, sameApi } from '../util/api.js';
import { readApiEnv, requireApiKey } from '../util/env.js';
import { basename, dirname, relativePath, resolve } from '../util/path.js';
import { type AgentFindings, type Candidate, type Choice, findAgentChoices } from './choices.js';
import { annotateOriginal, ejectedId, ejectedManifest, ejectedPath, type EjectField, removeEntry } from './eject.js';
import { foreignSession } from './transcript.js';
import { confinedWrite } from '../util/confine.js';

/**
 * Everything known about an agent session's choices: the session and its resources read from
 * HeyGen, matched against the account's catalog (`findAgentChoices`). The studio calls this for
 * its candidate list; `reel eject` for the entry it writes. Sends nothing into the session.
 */
export async function readAgentFindings(
  client: HeyGenClient,
  sessionId: string,
  request: Record<string, unknown>,
  catalog: { looks: readonly AvatarLook[]; voices: readonly VoiceInfo[] },
): Promise<AgentFindings & { title?: string }> {
  const got = await client.getSession(sessionId);
  if (got.kind !== 'ok') {
    const detail = got.kind === 'error' ? `${got.code}: ${got.message}` : got.message;
    throw new ApiError(`cannot read agent session ${sessionId}: ${detail}`, got.kind === 'error' ? got.status : undefined);
  }
  const messages = got.value.messages ?? [];
  const resources: SessionResource[] = [];
  for (const rid of new Set(messages.flatMap((m) => m.resource_ids ?? []))) {
    const r = await client.getSessionResource(sessionId, rid);
    if (r.kind === 'ok') resources.push(r.value);
  }
  return findAgentChoices({ request, messages, resources, looks: catalog.looks, voices: catalog.voices });
}

export interface EjectOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
  id: string;
  /** Chosen by a person or a script: wins over anything found (checked against the catalog). */
  avatar?: string;
  voice?: string;
  /** Take the agent entry out of its manifest; its lock record and files are kept. */
  replace?: boolean;
  /** Told before the first request when the API is not HeyGen's production API (see util/env). */
  notice?: (line: string) => void;
  /**
   * Asked for an avatar or voice nothing exposed, with the likeliest candidates; returns the id
   * chosen or undefined to leave it for later (the entry is then a draft). Absent: nothing is asked.
   */
  pick?: (field: 'avatar' | 'voice', candidates: readonly Candidate[]) => Promise<string | undefined>;
}

export interface EjectResult {
  id: string;
  newId: string;
  /** Project-relative paths. */
  file: string;
  original: string;
  choices: Partial<Record<EjectField | 'style', Choice>>;
  /** Fields still missing: the entry was written with `draft: true`. */
  missing: EjectField[];
  candidates: AgentFindings['candidates'];
  notes: string[];
  /** `replace`: the agent entry left the manifest and its lock record is marked `ejected_to`. */
  replaced: boolean;
  /** Without `replace`: whether the original got a comment pointing to the new entry. */
  annotated: boolean;
}

/**
 * `reel eject` as a library call: find what the agent chose, let `pick` (or the options) fill the
 * gaps, and write `<id>-direct` into `<manifest>.ejected.yaml` — complete, or as a draft that
 * validates and never renders. With `replace`, the agent entry leaves its manifest and its lock
 * record is marked `ejected_to` first, so no plan ever removes its files.
 */
export async function ejectAgentEntry(options: EjectOptions): Promise<EjectResult> {
  const { id } = options;
  const project = await loadProject(options.cwd, { signal: options.signal });
  const root = project.root;
  const entry = project.entries.find((e) => e.id === id);
  if (!entry) throw new UsageError(`no manifest entry "${id}"; \`reel plan --verbose\` lists the ids.`);
  if (entry.mode !== 'agent') throw new UsageError(`${id} is a direct entry already; only agent entries can be ejected.`);
  const locked = (await readLock(root)).videos[id];
  if (!locked?.session_id || locked.status !== 'completed') {
    const state = locked ? `it is ${locked.status.replace(/_/g, ' ')} in reel.lock` : 'it was never built';
    throw new UsageError(`${id} has no finished agent video to pin (${state}); run \`reel build\` until it completes, then eject.`);
  }
  const newId = ejectedId(id);
  const manifest = resolve(root, entry.source.file);
  const target = ejectedPath(manifest);
  if (project.entries.some((e) => e.id === newId) || project.drafts.some((d) => d.id === newId)) {
    throw new UsageError(`an entry "${newId}" exists already (${relativePath(root, target)}?); remove it to eject ${id} again.`);
  }

  const settings = requireApiKey(await readApiEnv(root, options.env));
  if (settings.notice) options.notice?.(settings.notice);
  const api = apiIdentity(settings.baseUrl);
  if (!sameApi(locked.api, api)) throw new UsageError(foreignSession(id, locked.api, api));
  const client = connect(settings, options.signal);
  const catalog = new CatalogSource({ root, client, account: accountKey(settings.baseUrl, settings.apiKey), ttlMs: catalogTtl(options.env) });
  const [looks, voices, styles] = await Promise.all([catalog.get('avatars'), catalog.get('voices'), catalog.get('styles').catch(() => undefined)]);
  const findings = await readAgentFindings(client, locked.session_id, entry.request, { looks: looks.items, voices: voices.items });
  const choices: EjectResult['choices'] = { ...findings.choices };
  if (choices.style && !choices.style.name) {
    const name = styles?.items.find((s) => s.style_id === choices.style!.value)?.name;
    if (name) choices.style = { ...choices.style, name };
  }

  const given = (field: 'avatar' | 'voice', value: string | undefined, flag: string): void => {
    if (value === undefined) return;
    const named = field === 'avatar' ? looks.items.map((l) => ({ id: l.id, name: l.name })) : voices.items.map((v) => ({ id: v.voice_id, name: v.name }));
    const hit = named.find((n) => n.id === value);
    if (!hit) {
      const close = closeMatches(value, named);
      throw new UsageError(
        `${flag} ${value}: this account has no such ${field === 'avatar' ? 'avatar look' : 'voice'}${close.length > 0 ? `; did you mean ${close.join(' or ')}?` : `; \`reel ${field}s\` lists them`}`,
      );
    }
    choices[field] = { value, name: hit.name, source: `${flag} (given to reel eject)` };
  };
  given('avatar', options.avatar, '--avatar');
  given('voice', options.voice, '--voice');
  for (const field of ['avatar', 'voice'] as const) {
    if (choices[field] || !options.pick) continue;
    const list = findings.candidates[field];
    if (list.length === 0) continue;
    const picked = await options.pick(field, list);
    const hit = picked === undefined ? undefined : list.find((c) => c.id === picked);
    if (hit) choices[field] = { value: hit.id, name: hit.name, source: 'picked from the catalog at eject' };
  }

  const existing = await readFile(target, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  const orientation = typeof entry.request.orientation === 'string' ? entry.request.orientation : undefined;
  let ejected: ReturnType<typeof ejectedManifest>;
  try {
    ejected = ejectedManifest(existing, {
      id,
      newId,
      title: entry.title,
      orientation,
      choices,
      candidates: findings.candidates,
      from: basename(manifest),
      sessionId: locked.session_id,
      videoId: locked.video_id,
    });
  } catch (error) {
    throw new UsageError(`cannot add ${newId} to ${relativePath(root, target)}: ${(error as Error).message}`, { cause: error });
  }

  const original = await readFile(manifest, 'utf8');
  let edited: string | undefined;
  if (options.replace) {
    try {
      edited = removeEntry(original, entry.source.line);
    } catch (error) {
      throw new UsageError(`cannot take ${id} out of ${relativePath(root, manifest)} (${(error as Error).message}); nothing was written; eject without --replace and delete the entry by hand.`, {
        cause: error,
      });
    }
  } else {
    const pointer = `Pinned as ${newId} in ${relativePath(dirname(manifest), target)} by \`reel eject\`.`;
    try {
      edited = annotateOriginal(original, entry.source.line, pointer);
    } catch {
      // The original stays as it is; the ejected file's own comment still names where it came from.
      edited = undefined;
    }
  }

  // Both files must really be inside the project (a symlinked folder could lead elsewhere).
  await confinedWrite(root, target);
  await confinedWrite(root, manifest);
  await writeFileAtomic(target, ejected.text);
  if (options.replace) await retain(root, id, newId);
  if (edited !== undefined && edited !== original) await writeFileAtomic(manifest, edited);
  return {
    id,
    newId,
    file: relativePath(root, target),
    original: relativePath(root, manifest),
    choices,
    missing: ejected.missing,
    candidates: findings.candidates,
    notes: findings.notes,
    replaced: options.replace === true,
    annotated: !options.replace && edited !== undefined && edited !== original,
  };
}

/**
 * Marks the agent entry's record `ejected_to` under the write lock, before the entry leaves the
 * manifest: a crash in between leaves an entry planned as usual, never a record planned for removal.
 */
async function retain(root: string, id: string, newId: string): Promise<void> {
  const store = await openLock(root, { wait: true, timeoutMs: 10_000 });
  try {
    const record = store.data.videos[id];
    if (record) store.set(id, { ...record, ejected_to: newId, updated_at: new Date().toISOString() });
    await store.commit();
  } finally {
    await store.close();
  }
}
