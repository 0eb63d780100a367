import { readFile } from 'node:fs/promises';
import { basename, dirname, relativePath, resolve } from '../util/path.js';
import { agentChoices, annotateOriginal, ejectedId, ejectedManifest, ejectedPath, FILL_HINTS } from '../agent/eject.js';
import { foreignSession } from '../agent/transcript.js';
import { ApiError, UsageError } from '../errors.js';
import { connect } from '../heygen/client.js';
import type { SessionResource } from '../heygen/types.js';
import { readLock } from '../lock/index.js';
import { loadProject } from '../manifest/index.js';
import { writeFileAtomic } from '../util/atomic.js';
import { apiIdentity, sameApi } from '../util/api.js';
import { readApiEnv, requireApiKey } from '../util/env.js';
import type { CommandOptions } from '../cli-options.js';
import type { CommandContext } from './context.js';

type EjectOptions = CommandOptions<'eject'>;

/**
 * `reel eject ID`: pin a completed agent video as a direct entry. Writes `<manifest>.ejected.yaml`
 * next to the entry's manifest with `<id>-direct` (avatar, voice and script where the session or
 * the manifest exposes them, placeholders that fail validation elsewhere), and comments the original
 * entry, which is kept. Sends nothing into the session.
 */
export async function run(options: EjectOptions, ctx: CommandContext): Promise<number> {
  const id = options.id;
  const project = await loadProject(ctx.cwd, { signal: ctx.signal });
  const root = project.root;
  const entry = project.entries.find((e) => e.id === id);
  if (!entry) throw new UsageError(`no manifest entry "${id}"; \`reel plan --verbose\` lists the ids.`);
  if (entry.mode !== 'agent') throw new UsageError(`${id} is a direct entry already; only agent entries can be ejected.`);
  const locked = (await readLock(root)).videos[id];
  if (!locked?.session_id || locked.status !== 'completed') {
    const state = locked ? `it is ${locked.status.replace(/_/g, ' ')} in reel.lock` : 'it was never built';
    throw new UsageError(`${id} has no finished agent video to pin (${state}); run \`reel build\` until it completes, then eject.`);
  }

  const settings = requireApiKey(await readApiEnv(root, ctx.env));
  const api = apiIdentity(settings.baseUrl);
  if (!sameApi(locked.api, api)) {
    throw new UsageError(foreignSession(id, locked.api, api));
  }
  const client = connect(settings, ctx.signal);
  const got = await client.getSession(locked.session_id);
  if (got.kind !== 'ok') {
    const detail = got.kind === 'error' ? `${got.code}: ${got.message}` : got.message;
    throw new ApiError(`cannot read agent session ${locked.session_id} of ${id}: ${detail}`, got.kind === 'error' ? got.status : undefined);
  }
  const resources: SessionResource[] = [];
  const rids = new Set((got.value.messages ?? []).flatMap((m) => m.resource_ids ?? []));
  for (const rid of rids) {
    const r = await client.getSessionResource(locked.session_id, rid);
    if (r.kind === 'ok') resources.push(r.value);
  }
  const choices = agentChoices(entry.request, resources);

  const manifest = resolve(root, entry.source.file);
  const target = ejectedPath(manifest);
  const newId = ejectedId(id);
  if (project.entries.some((e) => e.id === newId)) {
    throw new UsageError(`an entry "${newId}" exists already (${rel(root, target)}?); remove it to eject ${id} again.`);
  }
  const existing = await readFile(target, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  const orientation = typeof entry.request.orientation === 'string' ? entry.request.orientation : undefined;
  let ejected: ReturnType<typeof ejectedManifest>;
  try {
    ejected = ejectedManifest(existing, {
      id, newId, title: entry.title, orientation, choices, from: basename(manifest), sessionId: locked.session_id, videoId: locked.video_id,
    });
  } catch (error) {
    throw new UsageError(`cannot add ${newId} to ${rel(root, target)}: ${(error as Error).message}`, { cause: error });
  }
  const original = await readFile(manifest, 'utf8');
  const pointer = `Pinned as ${newId} in ${relativePath(dirname(manifest), target)} by \`reel eject\`.`;
  let annotated: string | undefined;
  try {
    annotated = annotateOriginal(original, entry.source.line, pointer);
  } catch {
    // The original stays as it is; the ejected file's own comment still names where it came from.
    annotated = undefined;
  }
  await writeFileAtomic(target, ejected.text);
  if (annotated !== undefined && annotated !== original) await writeFileAtomic(manifest, annotated);

  const kept = annotated !== undefined ? 'with a comment pointing to it' : `unchanged (add a comment by hand: ${pointer})`;
  const out: string[] = [`Wrote ${newId} to ${rel(root, target)}; ${id} is kept in ${rel(root, manifest)} ${kept}.`];
  for (const field of ['avatar', 'voice', 'script'] as const) {
    const source = choices.sources[field];
    if (source) out.push(`  ${field}: from ${source}`);
  }
  if (ejected.missing.length > 0) {
    out.push(`Fill in before it validates (now \`null\`, which \`reel validate\` rejects): ${ejected.missing.join(', ')}.`);
    for (const field of ejected.missing) out.push(`  ${field}: ${FILL_HINTS[field]}`);
  } else {
    out.push(`Check it with \`reel plan\`: ${newId} renders as a direct video.`);
  }
  ctx.stdout.write(`${out.join('\n')}\n`);
  return 0;
}

function rel(root: string, path: string): string {
  return relativePath(root, path);
}
