/** The roles a column (CSV/TSV) or key (JSONL) can play in a pair. */
export const PAIR_ROLES = ['queryId', 'query', 'docId', 'document', 'score', 'rank', 'label'] as const;
export type PairRole = (typeof PAIR_ROLES)[number];

export const REQUIRED_ROLES: readonly PairRole[] = ['queryId', 'query', 'docId', 'document'];

/**
 * Header names accepted for each role, compared after `normalizeHeaderName` (case-insensitive; spaces and
 * dashes count as underscores, so "Query ID" and "query-id" match "query_id").
 */
export const ROLE_ALIASES: Readonly<Record<PairRole, readonly string[]>> = {
  queryId: ['query_id', 'qid', 'queryid', 'topic', 'topic_id', 'topicid'],
  query: ['query', 'query_text', 'querytext', 'question'],
  docId: ['doc_id', 'docid', 'docno', 'pid', 'passage_id', 'document_id'],
  document: ['document', 'text', 'passage', 'doc', 'doc_text', 'contents', 'body'],
  score: ['score', 'bm25', 'bm25_score', 'retrieval_score'],
  rank: ['rank'],
  label: ['label', 'relevance', 'rel'],
};

/** The name each role is reported under when it is missing ("query_id", "doc_id", ...). */
export const ROLE_NAMES: Readonly<Record<PairRole, string>> = {
  queryId: 'query_id',
  query: 'query',
  docId: 'doc_id',
  document: 'document',
  score: 'score',
  rank: 'rank',
  label: 'label',
};

export function normalizeHeaderName(name: string): string {
  return name.trim().toLowerCase().replace(/[\s-]+/g, '_');
}

/** Where each role's value is: its index among the header's columns and the column's name as written. */
export type ColumnMap = Partial<Record<PairRole, { index: number; name: string }>>;

export type ColumnProblem =
  | { code: 'ERR_INPUT_MISSING_COLUMN'; field: string; reason: string }
  | { code: 'ERR_INPUT_AMBIGUOUS_COLUMN'; field: string; reason: string };

const describe = (names: readonly string[], i: number): string => `"${names[i] ?? ''}" (column ${i + 1})`;

/**
 * Maps header names to roles: explicit `columns` first (exact name, else the one case-insensitive match),
 * then the aliases among the columns no explicit mapping took. Returns the map, or the first problem:
 * a required role with no column (ERR_INPUT_MISSING_COLUMN, listing the header and the accepted names), or
 * two columns matching one role (ERR_INPUT_AMBIGUOUS_COLUMN, naming both).
 */
export function resolveColumns(names: readonly string[], explicit: Partial<Record<PairRole, string>>): ColumnMap | ColumnProblem {
  const map: ColumnMap = {};
  const taken = new Set<number>();
  const normalized = names.map(normalizeHeaderName);
  for (const role of PAIR_ROLES) {
    const wanted = explicit[role];
    if (wanted === undefined) continue;
    let index = names.indexOf(wanted);
    if (index < 0) {
      const matches = normalized.flatMap((n, i) => (n === normalizeHeaderName(wanted) ? [i] : []));
      const [first, second] = matches;
      if (second !== undefined && first !== undefined) {
        return {
          code: 'ERR_INPUT_AMBIGUOUS_COLUMN',
          field: wanted,
          reason: `columns.${role} = "${wanted}" matches both ${describe(names, first)} and ${describe(names, second)}`,
        };
      }
      if (first === undefined) {
        return {
          code: 'ERR_INPUT_MISSING_COLUMN',
          field: wanted,
          reason: `column "${wanted}" (given for ${role}) is not in the header; found: ${names.map((n) => JSON.stringify(n)).join(', ')}`,
        };
      }
      index = first;
    }
    map[role] = { index, name: names[index] ?? wanted };
    taken.add(index);
  }
  for (const role of PAIR_ROLES) {
    if (map[role] !== undefined) continue;
    const aliases = ROLE_ALIASES[role];
    const matches = normalized.flatMap((n, i) => (!taken.has(i) && aliases.includes(n) ? [i] : []));
    const [first, second] = matches;
    if (first !== undefined && second !== undefined) {
      return {
        code: 'ERR_INPUT_AMBIGUOUS_COLUMN',
        field: names[second] ?? '',
        reason: `two columns could be ${ROLE_NAMES[role]}: ${describe(names, first)} and ${describe(names, second)}; pass the columns option to choose`,
      };
    }
    if (first !== undefined) {
      map[role] = { index: first, name: names[first] ?? '' };
      taken.add(first);
    }
  }
  for (const role of REQUIRED_ROLES) {
    if (map[role] === undefined) {
      return {
        code: 'ERR_INPUT_MISSING_COLUMN',
        field: ROLE_NAMES[role],
        reason:
          `required column ${ROLE_NAMES[role]} not found; found: ${names.map((n) => JSON.stringify(n)).join(', ') || '(nothing)'}; ` +
          `accepted names: ${ROLE_ALIASES[role].join(', ')} (or pass columns.${role})`,
      };
    }
  }
  return map;
}

export function isColumnProblem(value: ColumnMap | ColumnProblem): value is ColumnProblem {
  return typeof (value as { code?: unknown }).code === 'string';
}
