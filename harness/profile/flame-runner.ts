/**
 * A small process of its own that runs the measured child under @clinic/flame or 0x and renders
 * their HTML flamegraph. It runs apart from the CLI because both tools spawn the target with the
 * calling process's environment and pipe its stdout (where, under them, the child's fd 3 record
 * lands) into the caller's stdout; here that stdout belongs to this wrapper and the CLI reads it.
 *
 * Usage (by ./run-profile.ts only): `node flame-runner.js '<FlameRunnerInput JSON>'`. Writes a
 * {@link FlameRunnerOutput} to `input.resultFile`; exits non-zero when the tool failed.
 */
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface FlameRunnerInput {
  tool: 'flame' | '0x';
  outDir: string;
  /** Stem of the HTML file name (without `.html`). */
  stem: string;
  /** Arguments to node: V8 flags, then the child's entry point. */
  nodeArgs: string[];
  /** The node binary the profiled child runs on (the cell's runtime; this process's own when absent). */
  nodePath?: string;
  resultFile: string;
}

export interface FlameRunnerOutput {
  html: string | null;
  /** The tool's raw data directory, kept beside the HTML. */
  dataDir: string | null;
  error: string | null;
}

const require = createRequire(import.meta.url);

type ZeroEks = (args: Record<string, unknown>) => Promise<string>;

interface ClinicFlameInstance {
  collect(args: string[], cb: (err: Error | null, dir: string) => void): void;
  visualize(dir: string, html: string, cb: (err: Error | null) => void): void;
}
type ClinicFlameClass = new (settings: { dest?: string; name?: string; debug?: boolean }) => ClinicFlameInstance;

async function runZeroEks(input: FlameRunnerInput): Promise<FlameRunnerOutput> {
  const zeroEks = require('0x') as ZeroEks;
  const dataDir = join(input.outDir, `${input.stem}.0x`);
  const written = await zeroEks({
    argv: input.nodeArgs,
    pathToNodeBinary: input.nodePath ?? process.execPath,
    workingDir: input.outDir,
    outputDir: dataDir,
    outputHtml: join(input.outDir, `${input.stem}.html`),
    name: input.stem,
    title: `buflab ${input.stem}`,
    silent: true,
  });
  // 0x answers with a file:// URL.
  const html = written.startsWith('file://') ? fileURLToPath(written) : written;
  return { html, dataDir, error: null };
}

async function runClinicFlame(input: FlameRunnerInput): Promise<FlameRunnerOutput> {
  const ClinicFlame = require('@clinic/flame') as ClinicFlameClass;
  const flame = new ClinicFlame({ dest: input.outDir, name: input.stem });
  const dataDir = await new Promise<string>((resolveDir, reject) => {
    flame.collect([input.nodePath ?? process.execPath, ...input.nodeArgs], (err, dir) => (err ? reject(err) : resolveDir(dir)));
  });
  const html = join(input.outDir, `${input.stem}.html`);
  await new Promise<void>((done, reject) => {
    flame.visualize(dataDir, html, (err) => (err ? reject(err) : done()));
  });
  makeOffline(html);
  return { html, dataDir, error: null };
}

/**
 * Clinic's page fetches its brand fonts from https://clinicjs.org at load time; offline (CI, an
 * archived report) that request fails and the page logs an error. Point the font loader at an empty
 * stylesheet instead: the page then falls back to local fonts after its 2 s font timeout.
 */
function makeOffline(html: string): void {
  const remote = "const styleSheetUrl = 'https://clinicjs.org/assets/css/fonts.css'";
  const text = readFileSync(html, 'utf8');
  if (!text.includes(remote)) return; // another @clinic/flame version: nothing known to rewrite
  writeFileSync(html, text.replace(remote, "const styleSheetUrl = 'data:text/css,'"));
}

async function main(): Promise<void> {
  const raw = process.argv[2];
  if (raw === undefined) throw new Error('flame-runner: expected one JSON argument (run it through npm run profile)');
  const input = JSON.parse(raw) as FlameRunnerInput;
  mkdirSync(input.outDir, { recursive: true });
  let output: FlameRunnerOutput;
  try {
    output = input.tool === '0x' ? await runZeroEks(input) : await runClinicFlame(input);
    if (output.html === null || !existsSync(output.html)) output = { ...output, error: `${input.tool} wrote no HTML file` };
  } catch (e) {
    output = { html: null, dataDir: null, error: e instanceof Error ? e.stack ?? e.message : String(e) };
  }
  const tmp = `${input.resultFile}.tmp`;
  writeFileSync(tmp, JSON.stringify(output, null, 2) + '\n');
  renameSync(tmp, input.resultFile);
  process.exitCode = output.error === null ? 0 : 1;
}

main().catch((e: unknown) => {
  process.stderr.write(`flame-runner: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exitCode = 1;
});
