import type { Readable, Writable } from "node:stream";

/** Where deploy talks to the user and which environment it reads; tests swap all three. */
export interface DeployIo {
  input: Readable;
  output: Writable;
  env: NodeJS.ProcessEnv;
}

export const processIo = (): DeployIo => ({ input: process.stdin, output: process.stdout, env: process.env });
