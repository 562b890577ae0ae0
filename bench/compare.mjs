// `--compare <git ref>`: an earlier build of zdx-otel as one more line of the same run, so a change to the
// request path is measured against what it replaces, side by side, with the same workers, OpenTelemetry
// packages and machine state. The ref is exported with `git archive` into .cache/bench-compare/<commit>/ and
// built there with the project's own node_modules (once per commit); the current bench/worker.mjs is copied
// next to that build, so only zdx-otel differs between the two lines.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** @returns {{ dir: string, commit: string } | { notRunnable: string }} */
export function prepareCompare(ref, { log = () => {} } = {}) {
  let commit;
  try {
    commit = execFileSync('git', ['rev-parse', '--short=12', '--verify', `${ref}^{commit}`], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  } catch {
    return { notRunnable: `--compare ${ref}: not a commit in this repository` };
  }
  const base = join(root, '.cache', 'bench-compare', commit);
  const source = join(base, 'source');
  const line = join(base, 'line');
  const marker = join(base, 'built');
  if (!existsSync(marker)) {
    log(`building ${ref} (${commit}) into .cache/bench-compare/${commit}/`);
    rmSync(base, { recursive: true, force: true });
    mkdirSync(source, { recursive: true });
    try {
      const tar = execFileSync('git', ['archive', '--format=tar', commit], { cwd: root, maxBuffer: 256 << 20 });
      execFileSync('tar', ['-x', '-C', source], { input: tar });
      // The build needs only the toolchain (TypeScript); the project's node_modules serves both builds.
      symlinkSync(join(root, 'node_modules'), join(source, 'node_modules'), 'dir');
      execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: source, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      const why = `${error.stderr ?? ''}`.split('\n').find((l) => l.trim()) ?? error.message;
      return { notRunnable: `--compare ${ref}: its build failed: ${why.trim().replaceAll(root, '')}` };
    }
    writeFileSync(marker, `${commit}\n`);
  }
  // The line: the current worker beside the ref's build as node_modules/zdx-otel. Everything else the worker
  // imports resolves further up, to the project's node_modules: the same OpenTelemetry packages as the 3.x line.
  rmSync(line, { recursive: true, force: true });
  const target = join(line, 'node_modules', 'zdx-otel');
  mkdirSync(target, { recursive: true });
  cpSync(join(source, 'dist'), join(target, 'dist'), { recursive: true });
  cpSync(join(source, 'package.json'), join(target, 'package.json'));
  writeFileSync(
    join(line, 'package.json'),
    `${JSON.stringify({ name: 'bench-compare', private: true, type: 'module' })}\n`,
  );
  cpSync(join(root, 'bench', 'worker.mjs'), join(line, 'worker.mjs'));
  return { dir: line, commit };
}
