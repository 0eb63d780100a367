/**
 * Every command and flag of reel, declared once. src/cli.ts builds the commander program from this
 * table and the README's command reference is checked against it, so help text, parsing and docs
 * cannot drift apart. Each command's implementation lives in src/commands/<module>.ts and exports
 * `run(options, ctx)`.
 */

export interface OptionSpec {
  /** Commander flag syntax, e.g. `--port <n>` or `--json`. */
  flags: string;
  description: string;
  /** Parse the raw string: `int` and `number` reject anything that is not one. */
  parse?: 'int' | 'number' | 'list';
  default?: string | number | boolean;
}

export interface CommandSpec {
  name: string;
  /** Module under src/commands/ that implements it. */
  module: string;
  description: string;
  /** Positional arguments in commander syntax, e.g. `<id>` or `[files...]`. */
  args?: string[];
  options: OptionSpec[];
}

const json: OptionSpec = { flags: '--json', description: 'machine-readable output on stdout' };
const target: OptionSpec = {
  flags: '-t, --target <id-or-glob>',
  description: 'only entries whose id matches (repeatable)',
  parse: 'list',
};
const refresh: OptionSpec = { flags: '--refresh', description: 'ignore the cached listing and ask HeyGen again' };
const shard: OptionSpec = {
  flags: '--shard <k/n>',
  description: 'only shard K of N (entries split deterministically by id)',
};

export const COMMANDS: CommandSpec[] = [
  {
    name: 'init',
    module: 'init',
    description: 'scaffold videos/, reel.config.yaml and .gitignore entries for out/, .reel/ and .env',
    options: [{ flags: '--force', description: 'overwrite files that already exist' }],
  },
  {
    name: 'validate',
    module: 'validate',
    description: 'check every manifest against the schema and HeyGen limits',
    options: [
      json,
      { flags: '--remote', description: 'also check avatar, voice and style ids against the account' },
    ],
  },
  {
    name: 'schema',
    module: 'schema',
    description: 'print the JSON Schema of manifests',
    options: [],
  },
  {
    name: 'plan',
    module: 'plan',
    description: 'show what a build would render, update, resume or remove, and why',
    options: [
      json,
      { flags: '--markdown', description: 'markdown for a pull-request comment' },
      { flags: '-v, --verbose', description: 'also list unchanged entries' },
      target,
      shard,
      { flags: '--detailed-exitcode', description: 'exit 0 when nothing changes, 2 when something does' },
      { flags: '--emulator', description: 'plan as `reel build --emulator` would (against what the built-in emulator rendered)' },
    ],
  },
  {
    name: 'explain',
    module: 'explain',
    description: 'explain why an entry is in the plan: changed fields, digests and their sources',
    args: ['<id>'],
    options: [json],
  },
  {
    name: 'build',
    module: 'build',
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
      { flags: '-c, --concurrency <n>', description: 'jobs in flight at once (default 10, or `concurrency` in reel.config.yaml)', parse: 'int' },
      { flags: '-o, --out <dir>', description: 'output directory (default `out`, or `out` in reel.config.yaml)' },
      { flags: '--no-download', description: 'do not download finished videos' },
      { flags: '--retry-failed', description: 'render entries that failed before again' },
      { flags: '--prune', description: 'also delete the HeyGen videos of removed entries' },
      { flags: '--json', description: 'NDJSON events on stdout' },
      { flags: '--emulator', description: 'build against the built-in HeyGen emulator (no key needed)' },
    ],
  },
  {
    name: 'watch',
    module: 'watch',
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
    name: 'status',
    module: 'status',
    description: 'compare reel.lock with HeyGen and with the files in out/',
    options: [json],
  },
  {
    name: 'cost',
    module: 'cost',
    description: 'what the renders recorded in reel.lock cost, by manifest file, month and mode',
    options: [json, { flags: '--markdown', description: 'markdown tables for a pull request or job summary' }],
  },
  {
    name: 'lock',
    module: 'lock',
    description: 'merge the reel.lock files of a sharded build: reel lock merge FILES…',
    args: ['<action>', '<files...>'],
    options: [json],
  },
  {
    name: 'review',
    module: 'review',
    description: "print an agent session's conversation and storyboard",
    args: ['<id>'],
    options: [json],
  },
  {
    name: 'eject',
    module: 'eject',
    description: 'turn a completed agent entry into a pinned direct entry',
    args: ['<id>'],
    options: [],
  },
  {
    name: 'emulator',
    module: 'emulator',
    description: 'run a local HeyGen v3 emulator',
    options: [
      { flags: '-p, --port <n>', description: 'port to listen on (0 picks a free one)', parse: 'int', default: 4010 },
      { flags: '--api-key <key>', description: 'accept only this key (default: any non-empty key)' },
      { flags: '--render-seconds <s>', description: 'time a render takes', parse: 'number', default: 2 },
      { flags: '--concurrency-limit <n>', description: 'unfinished jobs allowed per key', parse: 'int', default: 10 },
      { flags: '--url-ttl <s>', description: 'lifetime of download URLs in seconds', parse: 'number', default: 600 },
      { flags: '--fault-rate <r>', description: 'share of requests and renders that fail (0-1)', parse: 'number', default: 0 },
      { flags: '--seed <n>', description: 'seed for fault injection', parse: 'int', default: 1 },
      { flags: '--catalog <file>', description: 'JSON file replacing the built-in avatars, voices and styles' },
      { flags: '--remote-webhooks', description: 'also deliver callback_url webhooks to hosts other than this machine' },
    ],
  },
  {
    name: 'avatars',
    module: 'catalog',
    description: 'list the avatar looks of the account',
    options: [json, { flags: '--gender <g>', description: 'filter by gender' }, { flags: '--search <text>', description: 'filter by name or id' }, refresh],
  },
  {
    name: 'voices',
    module: 'catalog',
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
    module: 'catalog',
    description: 'list the video-agent styles of the account',
    options: [json, { flags: '--search <text>', description: 'filter by name, id or tag' }, refresh],
  },
];
