/** The lockfile: reading (no lock taken), and writing through a LockStore that holds the write lock. */
export * from './types.js';
export { LOCKFILE_NAME, readLock, serializeLock } from './file.js';
export { MUTEX_NAME } from './mutex.js';
export { type LockStore, openLock } from './store.js';
