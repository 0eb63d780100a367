// Status polls per second the emulator sustains: `reel emulator` runs in its own process (as in
// reel's own benchmarks) and this process polls GET /v3/videos/{id} and GET /v3/videos/statuses
// over keep-alive connections. Target: over 2,000 requests a second on this machine.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const TARGET = 2000;
const SECONDS = 4;
const CONNECTIONS = 16;
const root = fileURLToPath(new URL('..', import.meta.url));

const child = spawn(process.execPath, ['dist/cli.js', 'emulator', '--port', '0', '--render-seconds', '3600', '--concurrency-limit', '1000'], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'ignore'],
});
const [line] = await once(createInterface({ input: child.stdout }), 'line');
const base = new URL(line.split(' ').at(-1));
const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
const headers = { 'x-api-key': 'bench', 'content-type': 'application/json' };

function call(method, path, body) {
  return new Promise((resolve, reject) => {
    const req = request({ host: base.hostname, port: base.port, method, path, agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const ids = [];
for (let i = 0; i < 100; i += 1) {
  const body = JSON.stringify({ type: 'avatar', avatar_id: 'Daisy-inskirt-20220818', voice_id: '2d5b0e6cf36f460aa7fc47e3eee4ba54', script: `Video number ${i}.` });
  const res = await call('POST', '/v3/videos', body);
  ids.push(JSON.parse(res.body).data.video_id);
}

async function measure(label, pathOf) {
  let count = 0;
  let errors = 0;
  const deadline = Date.now() + SECONDS * 1000;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async (_, worker) => {
      let i = worker;
      while (Date.now() < deadline) {
        const res = await call('GET', pathOf(i));
        if (res.status === 200) count += 1;
        else errors += 1;
        i += CONNECTIONS;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const rate = count / seconds;
  console.log(`${label}: ${Math.round(rate)} req/s (${count} in ${seconds.toFixed(1)} s, ${errors} errors, ${CONNECTIONS} connections)`);
  return rate;
}

const single = await measure('GET /v3/videos/{id}', (i) => `/v3/videos/${ids[i % ids.length]}`);
const bulk = await measure('GET /v3/videos/statuses (100 ids)', () => `/v3/videos/statuses?video_ids=${ids.join(',')}`);
agent.destroy();
child.kill('SIGTERM');
await once(child, 'exit');

const met = single > TARGET;
console.log(`${met ? 'target met' : 'target MISSED'}: status polls ${Math.round(single)} req/s (target > ${TARGET})`);
console.log(`(bulk status requests: ${Math.round(bulk)} req/s = ${Math.round(bulk * 100)} video statuses/s)`);
process.exitCode = met ? 0 : 1;
