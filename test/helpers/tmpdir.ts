/** Each worker's temp folder is the run's (see ./global-setup.ts). */
import { inject } from 'vitest';

process.env.TMPDIR = inject('tmpRoot');
