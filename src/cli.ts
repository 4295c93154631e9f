#!/usr/bin/env node
/** The `express-backstage` command: a thin entry; each command lives in src/cli/<command>.ts. */
import { createInterface } from 'node:readline/promises';
import { runCli } from './cli/run';

export { runCli };

/** In a terminal, commands may ask (init: "Write backstage.js?"); in a pipe or CI they go by their flags. */
async function askInTerminal(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}

if (require.main === module) {
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  runCli(process.argv.slice(2), console.log, interactive ? { ask: askInTerminal } : {}).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exitCode = 1;
    },
  );
}
