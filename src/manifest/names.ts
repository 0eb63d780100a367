/**
 * Names of the project's config file, at the root (the first that exists wins). A module of its own
 * so that the manifest cache and the watch can know them without loading the config parser.
 */
export const CONFIG_FILES = ['reel.config.yaml', 'reel.config.yml'] as const;
