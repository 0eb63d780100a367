/**
 * Every command and flag of reel, declared once. From this table come the commander program
 * (src/main.ts), the README's command reference (`npm run docs`), each command's options type
 * (`CommandOptions<'plan'>`) and the defaults (`withDefaults`), so a renamed flag is one edit here
 * that the compiler then checks in every command. src/main.ts maps each name to its module.
 */
import { EMULATOR_DEFAULTS, EMULATOR_PORT } from './emulator/defaults.js';
import { DEFAULT_BEHAVIOURS } from './emulator/behaviours.js';

/** `reel studio`'s default port; `--port 0` picks a free one. */
export const STUDIO_PORT = 4020;

export interface OptionSpec {
  /** Commander flag syntax, e.g. `--port <n>` or `--json`. */
  readonly flags: string;
  readonly description: string;
  /** Parse the raw string: `int` and `number` reject anything that is not one. */
  readonly parse?: 'int' | 'number' | 'list';
  readonly default?: string | number | boolean;
}

export interface CommandSpec {
  readonly name: string;
  readonly description: string;
  /** Positional arguments in commander syntax, e.g. `<id>` or `[files...]`. */
  readonly args?: readonly string[];
  readonly options: readonly OptionSpec[];
}

const json = { flags: '--json', description: 'machine-readable output on stdout' } as const satisfies OptionSpec;
const target = {
  flags: '-t, --target <id-or-glob>',
  description: 'only entries whose id matches (repeatable)',
  parse: 'list',
} as const satisfies OptionSpec;
const refresh = { flags: '--refresh', description: 'ignore the cached listing and ask HeyGen again' } as const satisfies OptionSpec;
const shard = {
  flags: '--shard <k/n>',
  description: 'only shard K of N (entries split deterministically by id)',
} as const satisfies OptionSpec;

export const COMMANDS = [
  {
    name: 'init',
    description: 'scaffold videos/, reel.config.yaml, .gitignore and .gitattributes (the reel.lock merge driver)',
    options: [
      { flags: '--force', description: 'overwrite files that already exist' },
      { flags: '--ci <provider>', description: 'also write the CI workflow: `github` (.github/workflows/videos.yml)' },
      { flags: '--git-config', description: "set the reel.lock merge driver in this clone's git config (otherwise the line is printed)" },
    ],
  },
  {
    name: 'validate',
    description: 'check every manifest against the schema and HeyGen limits',
    options: [json, { flags: '--remote', description: 'also check avatar, voice and style ids against the account' }],
  },
  {
    name: 'schema',
    description: 'print the JSON Schema of manifests',
    options: [],
  },
  {
    name: 'plan',
    description: 'show what a build would render, update, resume or remove, and why',
    options: [
      json,
      { flags: '--markdown', description: 'markdown for a pull-request comment' },
      { flags: '-v, --verbose', description: 'also list unchanged entries' },
      target,
      shard,
      { flags: '--detailed-exitcode', description: 'exit 0 when nothing changes, 2 when something does' },
      { flags: '--emulator', description: 'plan as `reel build --emulator` would (against what the built-in emulator rendered)' },
      { flags: '--max-videos <n>', description: 'exit 1 if more than N videos would render (with --shares: the whole build, every shard)', parse: 'int' },
      { flags: '--max-seconds <s>', description: 'exit 1 if more than S seconds of video would render', parse: 'number' },
      { flags: '--shares <n>', description: 'split the build into N shards and hand each its share of the budget (a `matrix` step output in GitHub Actions)', parse: 'int' },
    ],
  },
  {
    name: 'explain',
    description: 'explain why an entry is in the plan: changed fields, digests and their sources',
    args: ['<id>'],
    options: [json],
  },
  {
    name: 'show',
    description: 'show the exact request an entry sends, and what changed in its words since the last render',
    args: ['<id>'],
    options: [json],
  },
  {
    name: 'build',
    description: 'render what changed through HeyGen, wait, download and update reel.lock',
    options: [
      { flags: '-y, --yes', description: 'do not ask for confirmation' },
      { flags: '--dry-run', description: 'print the plan and send nothing' },
      target,
      shard,
      { flags: '--max-videos <n>', description: 'refuse to start if more than N videos would render', parse: 'int' },
      { flags: '--max-seconds <s>', description: 'refuse to start if more than S seconds of video would render', parse: 'number' },
      { flags: '--max-cost <amount>', description: 'refuse to start if the estimated cost is higher (dollars, or credits with `pricing: {unit: credits}`)', parse: 'number' },
      { flags: '--allow-removals', description: 'apply a plan that removes more than 5 videos or 20 % of reel.lock' },
      {
        flags: '-c, --concurrency <n>',
        description: "jobs in flight at once (default: `concurrency` in reel.config.yaml or 10, the whole account's limit; with --shard K/N, its share)",
        parse: 'int',
      },
      { flags: '-o, --out <dir>', description: 'output directory (default `out`, or `out` in reel.config.yaml)' },
      { flags: '--no-download', description: 'do not download finished videos' },
      { flags: '--retry-failed', description: 'render entries that failed before again' },
      { flags: '--prune', description: 'also delete the HeyGen videos of removed entries' },
      { flags: '--deadline <minutes>', description: 'wait at most this long for each render before leaving it unconfirmed (default 90, agents 180)', parse: 'number' },
      { flags: '--recreate-unconfirmed', description: 'create agent sessions anew whose earlier create could not be confirmed (may pay twice)' },
      { flags: '--json', description: 'NDJSON events on stdout' },
      { flags: '--emulator', description: 'build against the built-in HeyGen emulator (no key needed)' },
    ],
  },
  {
    name: 'watch',
    description: 're-plan on every save; with --build, also render what changed',
    options: [
      { flags: '--build', description: 'render changed entries after a quiet period (costs money)' },
      target,
      { flags: '--max-videos <n>', description: 'with --build: at most N videos in the whole session (default 10)', parse: 'int' },
      { flags: '--max-seconds <s>', description: 'with --build: at most S estimated seconds of video in the whole session', parse: 'number' },
      { flags: '--max-cost <amount>', description: 'with --build: at most this estimated cost in the whole session', parse: 'number' },
    ],
  },
  {
    name: 'studio',
    description: 'a local web page: live plan, exact requests, text diffs, players, Listen, storyboard review',
    options: [
      { flags: '-p, --port <n>', description: 'port on 127.0.0.1 (0 picks a free one)', parse: 'int', default: STUDIO_PORT },
      { flags: '--open', description: 'open the page in the default browser' },
      { flags: '--emulator', description: 'against the built-in HeyGen emulator (Listen, review and Build cost nothing)' },
      target,
      { flags: '--allow-build', description: 'let the page build (always allowed with --emulator)' },
    ],
  },
  {
    name: 'status',
    description: 'compare reel.lock with HeyGen and with the files in out/',
    options: [json],
  },
  {
    name: 'cost',
    description: 'what the renders recorded in reel.lock cost, by manifest file, month and mode',
    options: [json, { flags: '--markdown', description: 'markdown tables for a pull request or job summary' }],
  },
  {
    name: 'doctor',
    description: "check reel's assumptions about the HeyGen API with your key, using only calls that cannot be billed",
    options: [json],
  },
  {
    name: 'lock',
    description: 'merge the reel.lock files of a sharded build: reel lock merge FILES…',
    args: ['<action>', '<files...>'],
    options: [json, { flags: '--driver', description: "run as git's merge driver for reel.lock: FILES are %O %A %B [%P] (set up by `reel init`)" }],
  },
  {
    name: 'l10n',
    description: "localization: `reel l10n pull ID` writes HeyGen's proofread subtitles of a translate locale to its `proofread:` file for review",
    args: ['<action>', '<id>'],
    options: [
      json,
      { flags: '--force', description: 'replace a proofread file that already exists (it may hold corrections)' },
      { flags: '--timeout <minutes>', description: 'give up waiting for the proofread after this long (default 45)', parse: 'number' },
    ],
  },
  {
    name: 'review',
    description: "print an agent session's conversation and storyboard",
    args: ['<id>'],
    options: [json],
  },
  {
    name: 'eject',
    description: 'pin a completed agent video as a direct entry (avatar, voice and script the agent chose)',
    args: ['<id>'],
    options: [
      { flags: '--avatar <id>', description: "avatar look id to use when the agent's is not exposed (or to override it)" },
      { flags: '--voice <id>', description: "voice id to use when the agent's is not exposed (or to override it)" },
      { flags: '--replace', description: 'take the agent entry out of its manifest (its lock record, video and files are kept)' },
    ],
  },
  {
    name: 'emulator',
    description: 'run a local HeyGen v3 emulator',
    options: [
      { flags: '-p, --port <n>', description: 'port to listen on (0 picks a free one)', parse: 'int', default: EMULATOR_PORT },
      { flags: '--api-key <key>', description: 'accept only this key (default: any non-empty key)' },
      { flags: '--render-seconds <s>', description: 'time a render takes', parse: 'number', default: EMULATOR_DEFAULTS.renderSeconds },
      { flags: '--concurrency-limit <n>', description: 'unfinished jobs allowed per key', parse: 'int', default: EMULATOR_DEFAULTS.concurrencyLimit },
      { flags: '--url-ttl <s>', description: 'lifetime of download URLs in seconds', parse: 'number', default: EMULATOR_DEFAULTS.urlTtl },
      { flags: '--fault-rate <r>', description: 'share of requests and renders that fail (0-1)', parse: 'number', default: EMULATOR_DEFAULTS.faultRate },
      { flags: '--seed <n>', description: 'seed for fault injection', parse: 'int', default: EMULATOR_DEFAULTS.seed },
      { flags: '--catalog <file>', description: 'JSON file replacing the built-in avatars, voices and styles' },
      { flags: '--agent-resources <level>', description: 'what agent sessions tell about their avatar, voice and script: ids, no-ids (preview URLs only) or hidden', default: 'ids' },
      { flags: '--remote-webhooks', description: 'also deliver callback_url webhooks to hosts other than this machine' },
      { flags: '--no-agent-video-at-create', description: 'agent creates answer video_id: null (HeyGen answers an id at once)' },
      { flags: '--status-lag <s>', description: 'bulk statuses answer not_found for videos younger than S seconds', parse: 'number', default: DEFAULT_BEHAVIOURS.statusLagSeconds },
      { flags: '--statuses-failing', description: 'GET /v3/videos/statuses answers 500 to every request' },
      { flags: '--session-list-lag <s>', description: 'GET /v3/video-agents leaves out sessions younger than S seconds', parse: 'number', default: DEFAULT_BEHAVIOURS.sessionListLagSeconds },
      { flags: '--no-replay-errors', description: 'do not replay 4xx answers under an Idempotency-Key (only successes)' },
      { flags: '--chat-auto-proceed', description: 'chat sessions render without waiting for approval' },
      { flags: '--clock-skew <s>', description: "run HeyGen's clock S seconds ahead of this machine's (negative: behind)", parse: 'number', default: DEFAULT_BEHAVIOURS.clockSkewSeconds },
      { flags: '--no-date-header', description: 'answer without a Date header (the contract does not promise one)' },
    ],
  },
  {
    name: 'avatars',
    description: 'list the avatar looks of the account',
    options: [json, { flags: '--gender <g>', description: 'filter by gender' }, { flags: '--search <text>', description: 'filter by name or id' }, refresh],
  },
  {
    name: 'voices',
    description: 'list the voices of the account',
    options: [
      json,
      { flags: '--gender <g>', description: 'filter by gender' },
      { flags: '--language <lang>', description: 'filter by language' },
      { flags: '--search <text>', description: 'filter by name or id' },
      refresh,
    ],
  },
  {
    name: 'styles',
    description: 'list the video-agent styles of the account',
    options: [json, { flags: '--search <text>', description: 'filter by name, id or tag' }, refresh],
  },
] as const satisfies readonly CommandSpec[];

export type CommandName = (typeof COMMANDS)[number]['name'];

type Spec<N extends CommandName> = Extract<(typeof COMMANDS)[number], { name: N }>;
type OptionsIn<N extends CommandName> = Spec<N>['options'][number];

type Camel<S extends string> = S extends `${infer Head}-${infer Tail}` ? `${Head}${Capitalize<Camel<Tail>>}` : S;
/** `-t, --target <id-or-glob>` → `target`, `--dry-run` → `dry-run`. */
type LongFlag<F extends string> = F extends `${string}--${infer Rest}` ? (Rest extends `${infer Name} ${string}` ? Name : Rest) : never;
/** The property commander stores a flag under: camelCase, and `--no-download` under `download`. */
// Distributes over F: for a command with `options: []`, F is never and so is the key. (Checked
// as a whole, never matched `no-${string}` and gave `string`, an index signature of undefined
// that refused every positional argument of a flag-less command.)
type OptionKey<F extends string> = F extends string ? (LongFlag<F> extends `no-${infer Name}` ? Camel<Name> : Camel<LongFlag<F>>) : never;
type OptionValue<O extends OptionSpec> = O extends { parse: 'list' } ? string[] : O extends { parse: 'int' | 'number' } ? number : O['flags'] extends `${string}<${string}` ? string : boolean;

type ArgsIn<S extends CommandSpec> = S extends { args: readonly (infer A extends string)[] } ? A : never;
type ArgKey<A extends string> = A extends `${'<' | '['}${infer Name}${'>' | ']'}` ? (Name extends `${infer Many}...` ? Many : Name) : never;
type ArgValue<A extends string> = A extends `${string}...${string}` ? string[] : string;

/**
 * What `run` of command(s) `N` receives: every flag under commander's name for it, optional (a test
 * or another front end passes only what it needs), and the positional arguments, required when the
 * syntax says `<…>`. `command` is the name it was invoked as (one module serves avatars, voices and
 * styles).
 */
export type CommandOptions<N extends CommandName> = SpecOptions<Spec<N>> & { command?: N };

/** CommandOptions of one spec of the table, by its shape (tests check shapes no command has yet). */
export type SpecOptions<S extends CommandSpec> = {
  [O in S['options'][number] as OptionKey<O['flags']>]?: OptionValue<O>;
} & {
  [A in ArgsIn<S> as A extends `<${string}` ? ArgKey<A> : never]: ArgValue<A>;
} & {
  [A in ArgsIn<S> as A extends `[${string}` ? ArgKey<A> : never]?: ArgValue<A>;
};

/** The flags of `N` that have a default in the table, with their types. */
export type OptionDefaults<N extends CommandName> = {
  [O in OptionsIn<N> as O extends { default: unknown } ? OptionKey<O['flags']> : never]: OptionValue<O>;
};

/** The property name commander uses for `flags` (the runtime twin of OptionKey). */
export function optionKey(flags: string): string {
  const long = /--([\w-]+)/.exec(flags)?.[1] ?? '';
  return long.replace(/^no-/, '').replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
}

/** `options` with the table's defaults filled in where a value is missing (as commander does). */
export function withDefaults<N extends CommandName>(name: N, options: CommandOptions<N>): CommandOptions<N> & OptionDefaults<N> {
  const out: Record<string, unknown> = { ...options };
  const spec = COMMANDS.find((c) => c.name === name);
  for (const option of (spec?.options ?? []) as readonly OptionSpec[]) {
    const key = optionKey(option.flags);
    if (option.default !== undefined && out[key] === undefined) out[key] = option.default;
  }
  return out as CommandOptions<N> & OptionDefaults<N>;
}
