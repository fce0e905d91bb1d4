/**
 * The `elixirScope.*` settings as data: their names, types, defaults and descriptions, and the
 * rule that turns them into the `InitializationOptions` the language server receives.
 *
 * This module imports nothing from 'vscode' on purpose: `test/clientManifest.test.ts` runs in
 * plain Node and checks that package.json's `contributes.configuration` is exactly
 * `configurationProperties()`, so the manifest and the reader in `settings.ts` cannot drift.
 */
import type { FeatureSet, InitializationOptions } from '../common/lspProtocol';

/** The section every setting lives under (also the language client's id, for `trace.server`). */
export const SETTINGS_SECTION = 'elixirScope';

/** The Marketplace id of ElixirLS, the usual Elixir language server. */
export const ELIXIR_LS_EXTENSION_ID = 'JakeBecker.elixir-ls';

export type FeatureName = keyof FeatureSet;

/** `auto`: on, unless ElixirLS is installed and already provides the feature. */
export type FeatureMode = 'auto' | 'on' | 'off';

export const FEATURE_MODES: readonly FeatureMode[] = ['auto', 'on', 'off'];

export type TraceSetting = 'off' | 'messages' | 'verbose';

interface FeatureDescription {
  /** What the feature shows, for the settings UI. */
  readonly description: string;
  /**
   * Whether ElixirLS answers the same question. Where it does, two answers side by side are
   * noise (every definition twice in a peek, two outlines), so `auto` leaves the field to it.
   * Where ours shows what ElixirLS cannot (node IDs, complexity and callers in the hover, the
   * workspace call hierarchy, caller-count lenses), `auto` keeps ours on beside it.
   */
  readonly elixirLsProvides: boolean;
}

/** One entry per member of `FeatureSet`; the `Record` type makes a missing one a compile error. */
export const FEATURES: Readonly<Record<FeatureName, FeatureDescription>> = {
  hover: {
    description: 'Hover: the node ID, the function\'s complexity and its callers from the code property graph.',
    elixirLsProvides: false,
  },
  definition: {
    description: 'Go to Definition across the workspace call graph (aliases, imports, delegates).',
    elixirLsProvides: true,
  },
  references: {
    description: 'Find All References: every call site of a function, from the linked call graph.',
    elixirLsProvides: true,
  },
  documentSymbols: {
    description: 'Outline and breadcrumbs: modules and function clauses of the file.',
    elixirLsProvides: true,
  },
  workspaceSymbols: {
    description: 'Go to Symbol in Workspace: modules and functions of the whole graph.',
    elixirLsProvides: true,
  },
  callHierarchy: {
    description: 'Call hierarchy: incoming and outgoing calls across the workspace.',
    elixirLsProvides: false,
  },
  codeLens: {
    description: 'Code lenses above each function: callers and cyclomatic complexity.',
    elixirLsProvides: false,
  },
  diagnostics: {
    description: "Diagnostics the graph proves, in the compiler's words: variables bound and never used, clauses an earlier clause always matches (ElixirLS reports the compiler's own warnings, these among them).",
    elixirLsProvides: true,
  },
};

export const FEATURE_NAMES = Object.keys(FEATURES) as FeatureName[];

/** The settings as the client reads them, already validated. */
export interface Settings {
  readonly features: Readonly<Record<FeatureName, FeatureMode>>;
  /** `''` means the server's default, `<workspace>/.elixirscope/cpg.sqlite`. */
  readonly databasePath: string;
  /** `false` keeps the graph in memory only (rebuilt at every start). */
  readonly storeGraph: boolean;
  readonly traceServer: TraceSetting;
}

export const DEFAULT_SETTINGS: Settings = {
  features: Object.fromEntries(FEATURE_NAMES.map((name) => [name, 'auto'])) as Record<FeatureName, FeatureMode>,
  databasePath: '',
  storeGraph: true,
  traceServer: 'off',
};

/** Full setting keys (below `elixirScope.`) whose change requires restarting the server. */
export function restartingSettingKeys(): string[] {
  return [...FEATURE_NAMES.map((name) => `features.${name}`), 'databasePath', 'storeGraph'];
}

/** The feature set the server is started with. */
export function resolveFeatures(features: Settings['features'], elixirLsInstalled: boolean): FeatureSet {
  const entries = FEATURE_NAMES.map((name) => [name, featureEnabled(features[name], FEATURES[name], elixirLsInstalled)]);
  return Object.fromEntries(entries) as Record<FeatureName, boolean>;
}

/**
 * The options sent in `initialize`. A relative `databasePath` is resolved against the first
 * workspace folder here, so the server never has to guess what it was relative to.
 */
export function initializationOptions(
  settings: Settings,
  elixirLsInstalled: boolean,
  resolvePath: (path: string) => string,
): InitializationOptions {
  const features = resolveFeatures(settings.features, elixirLsInstalled);
  if (!settings.storeGraph) return { features, databasePath: null };
  if (settings.databasePath === '') return { features };
  return { features, databasePath: resolvePath(settings.databasePath) };
}

/** Reads raw values (as `WorkspaceConfiguration.get` returns them) into `Settings`; bad values fall back to defaults. */
export function readSettings(get: (key: string) => unknown): Settings {
  const features = Object.fromEntries(
    FEATURE_NAMES.map((name) => {
      const value = get(`features.${name}`);
      return [name, FEATURE_MODES.includes(value as FeatureMode) ? value : DEFAULT_SETTINGS.features[name]];
    }),
  ) as Record<FeatureName, FeatureMode>;
  const databasePath = get('databasePath');
  const storeGraph = get('storeGraph');
  const trace = get('trace.server');
  return {
    features,
    databasePath: typeof databasePath === 'string' ? databasePath.trim() : DEFAULT_SETTINGS.databasePath,
    storeGraph: typeof storeGraph === 'boolean' ? storeGraph : DEFAULT_SETTINGS.storeGraph,
    traceServer: trace === 'messages' || trace === 'verbose' || trace === 'off' ? trace : DEFAULT_SETTINGS.traceServer,
  };
}

/** JSON-schema properties exactly as package.json's `contributes.configuration.properties` must hold them. */
export function configurationProperties(): Record<string, Record<string, unknown>> {
  const properties: Record<string, Record<string, unknown>> = {};
  FEATURE_NAMES.forEach((name, index) => {
    const feature = FEATURES[name];
    properties[`${SETTINGS_SECTION}.features.${name}`] = {
      type: 'string',
      enum: [...FEATURE_MODES],
      enumDescriptions: [
        feature.elixirLsProvides
          ? 'On, unless ElixirLS is installed: it provides this feature already.'
          : 'On, also beside ElixirLS: it shows what ElixirLS does not.',
        'Always on.',
        'Always off.',
      ],
      default: DEFAULT_SETTINGS.features[name],
      scope: 'window',
      order: index,
      markdownDescription: feature.description,
    };
  });
  properties[`${SETTINGS_SECTION}.storeGraph`] = {
    type: 'boolean',
    default: DEFAULT_SETTINGS.storeGraph,
    scope: 'window',
    order: 20,
    markdownDescription:
      'Keep the code property graph on disk between sessions, so that only changed files are analysed at start. ' +
      'Off: the graph lives in memory and is rebuilt at every start.',
  };
  properties[`${SETTINGS_SECTION}.databasePath`] = {
    type: 'string',
    default: DEFAULT_SETTINGS.databasePath,
    // A workspace could otherwise point this at any file the user can write; restricted mode
    // ignores the workspace's value (see `capabilities.untrustedWorkspaces`), and machine-overridable
    // keeps it out of settings sync, where a path from another machine makes no sense.
    scope: 'machine-overridable',
    order: 21,
    markdownDescription:
      'Where the graph is stored when `#elixirScope.storeGraph#` is on. Empty: `.elixirscope/cpg.sqlite` in the workspace folder. ' +
      'A relative path is taken from the first workspace folder. Used only with a single workspace folder.',
  };
  properties[`${SETTINGS_SECTION}.trace.server`] = {
    type: 'string',
    enum: ['off', 'messages', 'verbose'],
    default: DEFAULT_SETTINGS.traceServer,
    scope: 'window',
    order: 30,
    markdownDescription:
      'How much of the traffic with the language server to log in the ElixirScope output, ' +
      'once its log level is Trace (**Developer: Set Log Level…**).',
  };
  return properties;
}

function featureEnabled(mode: FeatureMode, feature: FeatureDescription, elixirLsInstalled: boolean): boolean {
  switch (mode) {
    case 'on':
      return true;
    case 'off':
      return false;
    case 'auto':
      return !(elixirLsInstalled && feature.elixirLsProvides);
  }
}
