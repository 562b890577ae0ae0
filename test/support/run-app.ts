// Runs a fixture application in its own Node process (the same Node as the tests), the way users run it.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const APPS = fileURLToPath(new URL('../fixtures/apps/', import.meta.url));

export interface AppRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves once stdout contains `text` (or matches it). */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function runApp(args: string[], env: Record<string, string>, cwd = ROOT): AppRun {
  const child = spawn(process.execPath, args, {
    cwd,
    // Only what the test sets, plus PATH: the app must not inherit a stray OTEL_* from the test runner.
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exit,
    waitFor(text, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const started = Date.now();
        const poll = setInterval(() => {
          if (typeof text === 'string' ? out.includes(text) : text.test(out)) {
            clearInterval(poll);
            resolve();
          } else if (Date.now() - started > timeoutMs || child.exitCode !== null) {
            clearInterval(poll);
            reject(new Error(`${String(text)} did not appear; stdout: ${out}\nstderr: ${err}`));
          }
        }, 20);
      });
    },
  };
}

/** Fails if the process has not exited within `ms` (a hung app must fail the test, not the run). */
export async function exited(
  run: AppRun,
  ms = 20_000,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      run.child.kill('SIGKILL');
      reject(new Error(`app did not exit within ${ms} ms; stdout: ${run.stdout()}\nstderr: ${run.stderr()}`));
    }, ms);
  });
  try {
    return await Promise.race([run.exit, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
