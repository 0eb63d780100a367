// Part of `npm run build` (after tsc): the studio's page (HTML, CSS, plain JS) goes next to the
// compiled server, dist/studio/page/, so the package serves it offline.
import { cpSync } from 'node:fs';

cpSync(new URL('../src/studio/page/', import.meta.url), new URL('../dist/studio/page/', import.meta.url), { recursive: true });
