/**
 * The manifest loader: reel.config.yaml + videos/**\/*.yaml → ResolvedEntry[] and Diagnostic[].
 * Everything after this module (plan, build, watch) works on resolved entries, never on YAML.
 */
export { loadConfig, defaultConfig, DEFAULT_MANIFEST_GLOBS, type ProjectConfig } from './config.js';
export { CONFIG_FILES } from './names.js';
export { findManifests } from './find.js';
export { loadManifestFile, loadProject, checkProject, noManifestsDiagnostic, type FileResult, type LoadResult, type LoadOptions } from './load.js';
export { FileCache } from './assets.js';
export { getSchema, schemaText } from './schema.js';
export { ID_PATTERN } from './resolve.js';
export type { Diagnostic, DraftEntry, LocalAsset, Mode, ResolvedEntry, AgentReview, OutputSettings } from './types.js';
