/** The lockfile: reading (no lock taken), and writing through a LockStore that holds the write lock. */
export * from './types.js';
export { LOCKFILE_NAME, lockPath, parseLock, readLock, serializeLock } from './file.js';
export { MUTEX_NAME, type MutexHolder, currentHolder, describe as describeHolder } from './mutex.js';
export { FLUSH_INTERVAL_MS, type LockStore, type OpenLockOptions, openLock } from './store.js';
