declare module 'dynalite' {
  import type { Server } from 'node:net';
  /** A local DynamoDB; `listen` like a net.Server. */
  export default function dynalite(options?: { createTableMs?: number; deleteTableMs?: number; path?: string }): Server;
}
