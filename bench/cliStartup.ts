/**
 * CLI start-up benchmark: the wall time of `concord` runs that do little
 * (`--version`, a usage error of `fund`, `task create --help`) with the CLI
 * loading only the command it runs (ours), beside the baseline of loading
 * every command first (what the CLI did before: `concord --help` still does,
 * since it lists every command's summary). Each case runs `reps` times in
 * alternation; the table shows medians and the ratio ours / baseline.
 * Prints `uptime` at start and end.
 * Run: node bin/run.mjs bench/cliStartup.ts [reps=5]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const reps = Number(process.argv[2] ?? 5);
const cases: { name: string; args: string[] }[] = [
  { name: 'concord --version', args: ['--version'] },
  { name: 'concord fund 0x12 (usage error)', args: ['fund', '0x12'] },
  { name: 'concord task create --help', args: ['task', 'create', '--help'] },
];

// The baseline entry: the same CLI, every command loaded before it runs (the former eager import list).
// It lives beside this file for the run (so it resolves the project's packages), then is removed.
const eager = join(root, 'bench', `.cli-eager-${process.pid}.mjs`);
writeFileSync(
  eager,
  [
    "import { register } from 'tsx/esm/api';",
    'register();',
    `await import(${JSON.stringify(join(root, 'src/polyfill.ts'))});`,
    `const { commands } = await import(${JSON.stringify(join(root, 'src/cli/commands/index.ts'))});`,
    'await Promise.all(commands.map((c) => c.load()));',
    `const { main } = await import(${JSON.stringify(join(root, 'src/cli/main.ts'))});`,
    'process.exitCode = await main(process.argv.slice(2));',
  ].join('\n'),
);

/** Wall time of one run; throws when the run crashed (a usage error exits 2, which is expected). */
function timeRun(entry: string, args: string[]): number {
  const t0 = performance.now();
  const run = spawnSync(process.execPath, [entry, ...args], { cwd: root, encoding: 'utf8' });
  const elapsed = performance.now() - t0;
  if (run.status !== 0 && run.status !== 2) throw new Error(`${entry} ${args.join(' ')}: ${run.stderr}`);
  return elapsed;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

console.log(`uptime: ${execFileSync('uptime', { encoding: 'utf8' }).trim()}`);
console.log(`| case | ours (ms) | baseline: every command loaded (ms) | ratio |`);
console.log('|---|---|---|---|');
try {
  for (const c of cases) {
    const ours: number[] = [];
    const base: number[] = [];
    timeRun(join(root, 'bin/concord.mjs'), c.args); // warm the transform cache
    for (let i = 0; i < reps; i++) {
      ours.push(timeRun(join(root, 'bin/concord.mjs'), c.args));
      base.push(timeRun(eager, c.args));
    }
    const [a, b] = [median(ours), median(base)];
    console.log(`| ${c.name} | ${a.toFixed(0)} | ${b.toFixed(0)} | ${(a / b).toFixed(2)} |`);
  }
} finally {
  rmSync(eager, { force: true });
}
console.log(`uptime: ${execFileSync('uptime', { encoding: 'utf8' }).trim()}`);
