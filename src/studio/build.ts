import { type ApplyBuildOptions, type ApplyBuildResult, applyBuild, buildOutcome } from '../build/apply.js';
import { describeEvent } from '../build/describe.js';
import type { BuildReporter } from '../build/reporter.js';
import { confirmationOf } from './confirm.js';
import type { StudioBuild } from './server.js';

export interface StudioBuildSite {
  cwd: string;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
  targets?: string[];
  /** `reel studio --emulator`'s emulator: the build renders there, so its sessions stay reviewable. */
  emulator?: { url: string; apiKey: string };
  /** Whether the page may build at all. */
  allowed: boolean;
}

function summary(result: ApplyBuildResult): string {
  switch (result.kind) {
    case 'applied': {
      const counts = Object.entries(result.counts)
        .map(([k, n]) => `${n} ${k}`)
        .join(', ');
      return result.interrupted ? `interrupted (${counts || 'nothing finished'}); reel.lock keeps every submission` : `done: ${counts || 'nothing to do'}`;
    }
    case 'up-to-date':
      return 'nothing to build: everything is up to date';
    case 'declined':
      return 'the plan changed since you confirmed it: nothing was sent; check the plan and build again';
    case 'over-budget':
      return `refused: ${result.reason}`;
    case 'invalid':
      return `the manifests have ${result.errors} ${result.errors === 1 ? 'error' : 'errors'}: fix them first; nothing was sent`;
    case 'interrupted':
      return 'interrupted; reel.lock keeps every submission';
    case 'planned':
      return 'planned only';
  }
}

/**
 * The studio's Build button: `applyBuild` itself (never the CLI), with the plan the person confirmed
 * checked against the one the build makes under its own guards, and progress as page events.
 */
export function studioBuild(site: StudioBuildSite, run: (options: ApplyBuildOptions) => Promise<ApplyBuildResult> = applyBuild): StudioBuild {
  let running = false;
  return {
    allowed: site.allowed,
    running: () => running,
    async start(emit, confirmed) {
      if (running) throw new Error('a build is already running');
      running = true;
      const reporter: BuildReporter = {
        event: (event) => {
          const d = describeEvent(event);
          emit({ kind: 'progress', ...(d.id ? { id: d.id } : { id: 'build' }), state: d.state, ...(d.detail ? { detail: d.detail } : {}) });
        },
        note: (message) => emit({ kind: 'note', message }),
        problem: (message) => emit({ kind: 'note', message }),
        done: () => {},
        close: () => {},
      };
      try {
        emit({ kind: 'start', ids: [] });
        const result = await run({
          cwd: site.cwd,
          env: site.env,
          signal: site.signal,
          reporter,
          // The same guards as `reel build`; what the person confirmed (what it bills, at what price,
          // what it removes) must be what is sent. Removals beyond the guard only on their explicit allow.
          confirm: async (plan) => confirmationOf(plan).digest === confirmed.digest,
          ...(confirmed.allowRemovals ? { allowRemovals: true } : {}),
          ...(site.targets ? { targets: site.targets } : {}),
          ...(site.emulator ? { emulator: site.emulator } : {}),
        });
        emit({ kind: 'done', ok: buildOutcome(result) === 'ok', summary: summary(result) });
      } finally {
        running = false;
      }
    },
  };
}
