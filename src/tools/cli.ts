#!/usr/bin/env node
/* The `zdx-otel` command: `demo` and `simulate`. */
import { DEMO_USAGE, parseDemoArgs, runDemo } from './demo/run.js';
import { runSimulate, SIMULATE_USAGE } from './simulate-command.js';

const USAGE = `Usage: zdx-otel <command> [options]

Commands:
  demo       run the simulator and an instrumented ZDX client, with a live table of zdx-otel's metrics
  simulate   run the ZDX API simulator

Run \`zdx-otel <command> --help\` for a command's options.

${DEMO_USAGE}

${SIMULATE_USAGE}`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'demo': {
      const options = parseDemoArgs(rest);
      if (options === 'help') {
        process.stdout.write(`${DEMO_USAGE}\n`);
        return 0;
      }
      return runDemo(options);
    }
    case 'simulate':
      return runSimulate(rest);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 1 : 0;
    default:
      process.stderr.write(`zdx-otel: unknown command ${JSON.stringify(command)}\n\n${USAGE}\n`);
      return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`zdx-otel: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
