/** A real local DynamoDB (dynalite) on 127.0.0.1 with the state table, for integration tests. */
import { createStateTableOn, type LocalStateTable, startStateTable } from '../../local/harness/state-table';

/** A running dynalite with one table and a client for it. */
export interface LocalDynamo extends LocalStateTable {
  /** Creates another empty state table (one per test keeps tests apart); returns its name. */
  createTable(name: string): Promise<string>;
}

/** Starts dynalite on a free port and creates the state table (partition key `id`, string). */
export async function startDynalite(tableName = 'riderapp-rollback-state'): Promise<LocalDynamo> {
  const table = await startStateTable(tableName);
  return { ...table, createTable: (name) => createStateTableOn(table.client, name) };
}
