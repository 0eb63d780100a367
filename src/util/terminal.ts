/**
 * What the terminal and the environment allow: colour, and whether a person is watching (CI). Every
 * reporter asks here, so `NO_COLOR`, `FORCE_COLOR`, `TERM=dumb` and `CI` mean the same everywhere.
 */

/** `CI` set to anything but `false` or `0`, as CI services do. */
export function isCI(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.CI) && env.CI !== 'false' && env.CI !== '0';
}

/** Running as a GitHub Actions step: workflow commands and the job summary are understood. */
export function inGithubActions(env: NodeJS.ProcessEnv): boolean {
  return env.GITHUB_ACTIONS === 'true';
}

/**
 * ANSI colour on `stream`: `FORCE_COLOR` (other than `0`/`false`) turns it on and `FORCE_COLOR=0`
 * off; otherwise colour needs a TTY, no `NO_COLOR` (https://no-color.org) and a `TERM` other than
 * `dumb`.
 */
export function useColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return force !== '0' && force !== 'false';
  if (env.NO_COLOR) return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}
