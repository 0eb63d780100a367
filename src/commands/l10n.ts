import { existsSync } from 'node:fs';
import { displayPath, resolve } from '../util/path.js';
import { pause } from '../build/poller.js';
import { ApiError, UsageError } from '../errors.js';
import { connect, type HeyGenClient } from '../heygen/client.js';
import { readLock } from '../lock/index.js';
import { loadProject, type ResolvedEntry } from '../manifest/index.js';
import { localeId } from '../manifest/resolve.js';
import { writeFileAtomic } from '../util/atomic.js';
import { apiIdentity, recordedApi, sameApi } from '../util/api.js';
import { isLocalUrl, readApiEnv, requireApiKey } from '../util/env.js';
import { srtCues } from '../util/srt.js';
import type { CommandOptions } from '../cli-options.js';
import type { CommandContext } from './context.js';

type L10nOptions = CommandOptions<'l10n'>;

/** HeyGen's skills: SRT extraction takes minutes; more than 30 is stuck. */
export const DEFAULT_PROOFREAD_TIMEOUT_MINUTES = 45;
/** Proofread rate of the oldest pricing copy (now Enterprise-only, API.md §13), for the notice. */
const PROOFREAD_USD_PER_SECOND = 0.0083;

/** `welcome@de-DE`, `welcome.de-DE` and `welcome.de-de` all name the locale `welcome.de-de`. */
export function normalizeLocaleId(id: string): string {
  const at = id.lastIndexOf('@');
  return at > 0 ? localeId(id.slice(0, at), id.slice(at + 1)) : id.toLowerCase();
}

/**
 * `reel l10n pull ID`: make a HeyGen proofread of a `translate` locale's rendered source and write
 * its target-language SRT to the locale's `proofread:` path, for a person to correct in a pull
 * request. The next build sends the corrected file with the translation (docs/localization.md).
 */
export async function run(options: L10nOptions, ctx: CommandContext): Promise<number> {
  if (options.action !== 'pull') throw new UsageError(`unknown action "${options.action}"; use \`reel l10n pull <id>\``);
  const root = ctx.cwd;
  const id = normalizeLocaleId(options.id);
  const project = await loadProject(root, { signal: ctx.signal });
  const entry = project.entries.find((e) => e.id === id);
  if (!entry) {
    const locales = project.entries.filter((e) => e.locale?.strategy === 'translate').map((e) => e.id);
    throw new UsageError(`no locale "${id}" in the manifests${locales.length > 0 ? `; translate locales: ${locales.join(', ')}` : ''}.`);
  }
  if (entry.mode !== 'translate' || !entry.locale) throw new UsageError(`${id} is not a \`translate\` locale; proofreads review HeyGen's translated subtitles.`);
  const proofread = entry.locale.proofread;
  if (!proofread) {
    throw new UsageError(`locale ${id} has no \`proofread:\` file; add e.g. \`proofread: l10n/${id}.srt\` to it (relative to the manifest) and run this again.`);
  }
  const other = project.diagnostics.filter((d) => d.severity === 'error' && d.id !== id);
  if (other.length > 0) throw new UsageError(`the manifests have ${other.length} error${other.length === 1 ? '' : 's'}; run \`reel validate\` and fix them first.`);
  const dest = resolve(root, proofread);
  if (existsSync(dest) && !options.force) {
    throw new UsageError(`${proofread} exists and may hold a reviewer's corrections; pass --force to replace it with a fresh proofread.`);
  }

  const lock = await readLock(root);
  const sourceId = entry.locale.source;
  const source = lock.videos[sourceId];
  if (source?.status !== 'completed' || !source.video_id || source.fingerprint !== entry.locale.sourceFingerprint) {
    throw new UsageError(`the source ${sourceId} is not rendered at its current version; run \`reel build -t ${sourceId}\` first (a proofread transcribes the rendered video).`);
  }
  const settings = requireApiKey(await readApiEnv(root, ctx.env));
  const api = apiIdentity(settings.baseUrl);
  if (!sameApi(source.api, api)) {
    throw new UsageError(`${sourceId} was rendered by ${recordedApi(source.api)}, but this command talks to ${api}.`);
  }
  const client = connect(settings, ctx.signal);
  const seconds = source.duration ?? entry.locale.sourceSeconds ?? 0;
  if (!options.json) {
    ctx.stderr.write(
      `reel: proofreading ~${Math.round(seconds)} s of ${sourceId} into ${String((entry.request['output_languages'] as unknown[])[0])} (HeyGen bills proofreads on Enterprise plans, about $${(seconds * PROOFREAD_USD_PER_SECOND).toFixed(2)})\n`,
    );
  }
  const proofreadId = await createProofread(client, entry, source.video_id);
  const minutes = options.timeout ?? DEFAULT_PROOFREAD_TIMEOUT_MINUTES;
  await waitForProofread(client, proofreadId, minutes * 60_000, isLocalUrl(settings.baseUrl) ? 100 : 30_000, ctx.signal);
  const srt = await client.getProofreadSrt(proofreadId);
  if (srt.kind !== 'ok') throw failure(`cannot read the subtitles of proofread ${proofreadId}`, srt);
  const response = await fetch(srt.value.srt_url, { signal: ctx.signal });
  if (!response.ok) throw new ApiError(`downloading the subtitles of proofread ${proofreadId} failed: HTTP ${response.status}`);
  const text = await response.text();
  const cues = srtCues(text);
  if (!cues) throw new ApiError(`HeyGen's subtitles for proofread ${proofreadId} are not a valid SRT file; ${proofread} was left as it was.`);
  await writeFileAtomic(dest, text.endsWith('\n') ? text : `${text}\n`);
  const shown = displayPath(dest, root);
  if (options.json) {
    ctx.stdout.write(`${JSON.stringify({ id, proofread_id: proofreadId, file: shown, cues: cues.length })}\n`);
  } else {
    ctx.stdout.write(
      `Wrote ${shown} (${cues.length} cues) from HeyGen proofread ${proofreadId}.\n` +
        `Next: correct the text (never the timecodes) and commit it in a pull request; the next \`reel build\` translates ${id} with it.\n`,
    );
  }
  return 0;
}

function failure(what: string, outcome: { kind: 'error'; status: number; code: string; message: string } | { kind: 'ambiguous'; message: string }): ApiError {
  const detail = outcome.kind === 'error' ? `${outcome.code}: ${outcome.message}` : outcome.message;
  return new ApiError(`${what}: ${detail}`, outcome.kind === 'error' ? outcome.status : undefined);
}

async function createProofread(client: HeyGenClient, entry: ResolvedEntry, sourceVideoId: string): Promise<string> {
  const video = await client.getVideo(sourceVideoId);
  if (video.kind !== 'ok') throw failure(`cannot read source video ${sourceVideoId}`, video);
  if (!video.value.video_url) throw new ApiError(`source video ${sourceVideoId} has no download URL yet`);
  const r = entry.request;
  const body: Record<string, unknown> = {
    video: { type: 'url', url: video.value.video_url },
    output_languages: r['output_languages'],
    // The title also names HeyGen's SRT files (API.md §2.19).
    title: entry.id,
    mode: r['mode'],
  };
  if (r['speaker_num'] !== undefined) body['speaker_num'] = r['speaker_num'];
  if (r['brand_glossary_id'] !== undefined) body['brand_glossary_id'] = r['brand_glossary_id'];
  // Idempotency is UNCONFIRMED for proofreads: a key per source render and language makes a retried
  // pull replay rather than start a second session where it is honoured.
  const key = `reel-proofread-${entry.locale?.sourceFingerprint?.slice(0, 32) ?? ''}-${entry.id}`.slice(0, 255).replace(/[^A-Za-z0-9_\-:.]/g, '_');
  const created = await client.createProofreads(body, key);
  if (created.kind !== 'ok') throw failure(`HeyGen refused the proofread of ${entry.id}`, created);
  const id = created.value.proofread_ids[0];
  if (!id) throw new ApiError(`HeyGen returned no proofread id for ${entry.id}`);
  return id;
}

async function waitForProofread(client: HeyGenClient, id: string, deadlineMs: number, intervalMs: number, signal: AbortSignal): Promise<void> {
  const started = Date.now();
  for (;;) {
    const got = await client.getProofread(id);
    if (got.kind === 'ok') {
      if (got.value.status === 'completed') return;
      if (got.value.status === 'failed') throw new ApiError(`proofread ${id} failed: ${got.value.failure_message ?? 'no reason given'}`);
    } else if (got.kind === 'error' && got.status !== 429 && got.status < 500) {
      throw failure(`cannot read proofread ${id}`, got);
    }
    if (Date.now() - started > deadlineMs) {
      throw new ApiError(`proofread ${id} is still not done after ${Math.round(deadlineMs / 60_000)} min; run \`reel l10n pull\` again later (the same proofread is reused where HeyGen replays it)`);
    }
    await pause(intervalMs, signal);
  }
}
