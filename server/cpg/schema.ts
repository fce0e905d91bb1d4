/**
 * The code property graph's storage schema, defined once: each layer says what it holds, which
 * layers it stands on, and its tables. The SQL (`CREATE TABLE`, indexes, inserts) and the
 * TypeScript row types are both derived from these definitions, so the two cannot drift apart.
 *
 * Granularity is chosen for the work the graph has to do: facts that queries search across the
 * workspace (modules, functions, call sites, OTP facts) are rows with indexes; the per-function
 * graphs (CFG, DFG), which are only ever read one function at a time, are one JSON row per
 * clause, written when first asked for rather than by indexing. Every row carries the `file_id`
 * of the file it came from, so a file's facts can be replaced without touching any other file's
 * (ARCHITECTURE.md, "editing one function never invalidates facts about other files"); rows
 * inside a function also carry the clause ID, so an edit inside one clause rewrites only that
 * clause's rows.
 */

/** Bump when a table changes shape: a stored graph with another version is rebuilt from scratch. */
export const SCHEMA_VERSION = 3;

type ColumnType = 'integer' | 'text' | 'real' | 'blob';

interface ColumnSpec {
  readonly type: ColumnType;
  readonly nullable?: boolean;
}

interface TableSpec {
  readonly columns: Readonly<Record<string, ColumnSpec>>;
  /** Column lists to index, e.g. `['module', 'name', 'arity']`. */
  readonly indexes?: readonly (readonly string[])[];
  /** Rows that belong to one clause name it in this column (absent for file-level tables). */
  readonly clauseColumn?: string;
}

interface LayerSpec {
  readonly description: string;
  readonly dependsOn: readonly LayerName[];
  readonly tables: Readonly<Record<string, TableSpec>>;
}

const integer = { type: 'integer' } as const;
const text = { type: 'text' } as const;
const blob = { type: 'blob' } as const;
const nullableInteger = { type: 'integer', nullable: true } as const;
const nullableText = { type: 'text', nullable: true } as const;

export type LayerName = 'files' | 'ast' | 'cfg' | 'dataflow' | 'callGraph' | 'otp';

export const LAYERS = {
  files: {
    description: 'The analysed source files: path, content hash and parse status. Everything else hangs off a file id.',
    dependsOn: [],
    tables: {
      files: {
        columns: {
          id: integer,
          path: text,
          hash: text,
          bytes: integer,
          lines: integer,
          /** 1 when the file parsed without syntax errors. */
          parse_ok: integer,
          /** The first syntax error or read failure, as `line:column: message`. */
          error: nullableText,
        },
        indexes: [['path']],
      },
    },
  },
  ast: {
    description: 'Modules and function clauses found in each file, with their node IDs and positions.',
    dependsOn: ['files'],
    tables: {
      modules: {
        columns: {
          file_id: integer,
          name: text,
          kind: text,
          line: integer,
          column: integer,
          end_line: nullableInteger,
          parent: nullableText,
          dynamic: integer,
        },
        indexes: [['file_id'], ['name']],
      },
      functions: {
        columns: {
          file_id: integer,
          /** The clause ID, `Mod.fun/2#1`. */
          id: text,
          /** The function ID, `Mod.fun/2`. */
          function: text,
          module: text,
          name: nullableText,
          arity: nullableInteger,
          /** Every arity the clause can be called with (default arguments), as a JSON array. */
          arities: text,
          clause: integer,
          kind: text,
          line: integer,
          column: integer,
          end_line: nullableInteger,
          /** Cyclomatic complexity of the clause (from the CFG layer). */
          complexity: integer,
          /** Node paths of the clause's parameters, in order, as a JSON array of dotted paths. */
          params: text,
          /** Hash of every row the clause contributes, so an edit can tell which clauses changed. */
          fingerprint: text,
        },
        indexes: [['file_id'], ['id'], ['function'], ['module']],
        clauseColumn: 'id',
      },
    },
  },
  cfg: {
    description:
      'Control-flow graph of each clause (`ControlFlowGraph` in graph.ts), in the compact JSON of graphCodec.ts, as UTF-8 bytes; built for a whole file when one of its clauses is first asked for (clauseGraphStore.ts).',
    dependsOn: ['ast'],
    tables: {
      control_flow: {
        columns: { file_id: integer, clause: text, graph: blob },
        indexes: [['file_id'], ['clause']],
        clauseColumn: 'clause',
      },
    },
  },
  dataflow: {
    description:
      'Data-flow graph of each clause (`DataFlowGraph` in graph.ts): definitions, uses and their edges, in the compact JSON of graphCodec.ts, as UTF-8 bytes; built with the control-flow graphs.',
    dependsOn: ['ast', 'cfg'],
    tables: {
      data_flow: {
        columns: { file_id: integer, clause: text, graph: blob },
        indexes: [['file_id'], ['clause']],
        clauseColumn: 'clause',
      },
    },
  },
  callGraph: {
    description: 'Every call site with its target as written and resolved in the file; imports are linked at query time.',
    dependsOn: ['ast'],
    tables: {
      calls: {
        columns: {
          file_id: integer,
          /** Calling clause ID. */
          caller: text,
          /** Calling function ID (the clause ID without `#n`), for function-level queries. */
          caller_function: text,
          /** Node path of the call inside the caller, dot-separated. */
          path: text,
          kind: text,
          module: nullableText,
          name: nullableText,
          arity: integer,
          /** Import candidates as a JSON array, for `imported` calls. */
          candidates: nullableText,
          line: integer,
          column: integer,
          /** Bit set: 1 piped, 2 capture, 4 delegate, 8 in quote. */
          flags: integer,
        },
        indexes: [['file_id'], ['caller'], ['caller_function'], ['module', 'name', 'arity'], ['name', 'arity']],
        clauseColumn: 'caller',
      },
    },
  },
  otp: {
    description: 'The process layer: behaviours used, their callbacks, message sends and receive sites.',
    dependsOn: ['ast', 'callGraph'],
    tables: {
      otp_behaviours: {
        columns: { file_id: integer, module: text, behaviour: text, via: text, line: integer, column: integer },
        indexes: [['file_id'], ['behaviour']],
      },
      otp_callbacks: {
        columns: { file_id: integer, clause: text, behaviour: text, callback: text },
        indexes: [['file_id'], ['clause']],
        clauseColumn: 'clause',
      },
      message_sends: {
        columns: {
          file_id: integer,
          caller: text,
          path: text,
          kind: text,
          via: text,
          target_module: nullableText,
          target: text,
          message: text,
          line: integer,
          column: integer,
        },
        indexes: [['file_id'], ['caller'], ['target_module']],
        clauseColumn: 'caller',
      },
      receive_sites: {
        columns: {
          file_id: integer,
          clause: text,
          path: text,
          patterns: text,
          has_after: integer,
          line: integer,
          column: integer,
        },
        indexes: [['file_id'], ['clause']],
        clauseColumn: 'clause',
      },
    },
  },
} as const satisfies Record<LayerName, LayerSpec>;

type Layers = typeof LAYERS;
type TablesOf<L extends LayerName> = Layers[L]['tables'];
type AllTables = { [L in LayerName]: TablesOf<L> }[LayerName];
type UnionToIntersection<U> = (U extends unknown ? (value: U) => void : never) extends (value: infer I) => void ? I : never;
type TableSpecs = UnionToIntersection<AllTables>;

export type TableName = keyof TableSpecs & string;

type ValueOf<C> = C extends { type: 'integer' | 'real' } ? number : C extends { type: 'blob' } ? Uint8Array : string;
type ColumnValue<C> = C extends { nullable: true } ? ValueOf<C> | null : ValueOf<C>;

/** The row type of a table, derived from its column specs. */
export type Row<T extends TableName> = TableSpecs[T] extends { columns: infer Columns }
  ? { -readonly [K in keyof Columns]: ColumnValue<Columns[K]> }
  : never;

/** Rows of one file, table by table, as the passes produce them (without `file_id`). */
export type FileRows = { [T in Exclude<TableName, 'files'>]: Omit<Row<T>, 'file_id'>[] };

/** The tables of the per-clause graphs, which are built when first asked for (`clauseGraphStore.ts`). */
export type ClauseGraphTableName = 'control_flow' | 'data_flow';
export type ClauseGraphRows = Pick<FileRows, ClauseGraphTableName>;

export interface TableDefinition {
  readonly name: TableName;
  readonly layer: LayerName;
  readonly columns: readonly string[];
  readonly clauseColumn: string | null;
  readonly createSql: string;
  readonly indexes: readonly { readonly name: string; readonly createSql: string }[];
}

/** Every table in dependency order (a layer's tables after those of the layers it depends on). */
export const TABLES: readonly TableDefinition[] = layerOrder().flatMap((layer) =>
  Object.entries(LAYERS[layer].tables as Record<string, TableSpec>).map(([name, spec]) => tableDefinition(layer, name as TableName, spec)),
);

/** Tables that hold rows of one file (all but `files`), in dependency order. */
export const FILE_TABLES: readonly TableDefinition[] = TABLES.filter((table) => table.name !== 'files');

export function createSchemaSql(): string[] {
  return [
    'CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)',
    ...TABLES.flatMap((table) => [table.createSql, ...table.indexes.map((index) => index.createSql)]),
  ];
}

function tableDefinition(layer: LayerName, name: TableName, spec: TableSpec): TableDefinition {
  const columns = Object.keys(spec.columns);
  const columnSql = Object.entries(spec.columns).map(([column, columnSpec]) => {
    const type = columnSpec.type.toUpperCase();
    if (name === 'files' && column === 'id') return `"${column}" INTEGER PRIMARY KEY`;
    return `"${column}" ${type}${columnSpec.nullable ? '' : ' NOT NULL'}`;
  });
  const uniquePath = name === 'files' ? ', UNIQUE ("path")' : '';
  return {
    name,
    layer,
    columns,
    clauseColumn: spec.clauseColumn ?? null,
    createSql: `CREATE TABLE "${name}" (${columnSql.join(', ')}${uniquePath})`,
    indexes: (spec.indexes ?? []).map((indexColumns) => {
      const indexName = `${name}_${indexColumns.join('_')}`;
      return { name: indexName, createSql: `CREATE INDEX "${indexName}" ON "${name}" (${indexColumns.map((column) => `"${column}"`).join(', ')})` };
    }),
  };
}

function layerOrder(): LayerName[] {
  const ordered: LayerName[] = [];
  const visit = (layer: LayerName, trail: readonly LayerName[]) => {
    if (ordered.includes(layer)) return;
    if (trail.includes(layer)) throw new Error(`schema layers depend on each other in a cycle: ${[...trail, layer].join(' → ')}`);
    for (const dependency of LAYERS[layer].dependsOn as readonly LayerName[]) visit(dependency, [...trail, layer]);
    ordered.push(layer);
  };
  for (const layer of Object.keys(LAYERS) as LayerName[]) visit(layer, []);
  return ordered;
}
