/**
 * The profiler's agent inside the measured child. `npm run profile` preloads it into the compiled
 * child (`node --import …/dist/harness/profile/child-agent.js …/dist/harness/child/main.js`) with
 * {@link PROFILE_AGENT_ENV} set; it does nothing when that variable is absent.
 *
 * Scope: the agent starts its instrument as soon as it loads, and restarts it (dropping what it
 * gathered) when the child announces its measured phase through ./measured-phase.ts; it stops at the
 * end of the phase. So the artifact covers exactly the measured phase when the child calls the hook,
 * and the whole process (start-up, warm-up, baseline and measurement) when it does not — the result
 * says which (`scope`), and the CLI warns loudly in the second case.
 *
 * Instruments: `cpu` — V8's CPU profiler through node:inspector (Profiler.start/stop) → .cpuprofile;
 * `heap` — V8's sampling heap profiler (HeapProfiler.startSampling/stopSampling) keeping samples of
 * objects already collected, so the profile counts everything allocated, not only what survived →
 * .heapprofile; `malloc` — snapshots of the malloc-count shim's counters.
 */
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onMeasuredPhase, type MeasuredPhaseEvent } from '../child/measured-phase.js';
import { diffCounts, MallocCounterReader, type MallocCounts } from './malloc-counters.js';
import { agentResultPath, PROFILE_AGENT_ENV, type AgentConfig, type AgentResult } from './agent-protocol.js';

/** Starts the agent when the environment asks for it (called at import time below). */
function main(): void {
  const raw = process.env[PROFILE_AGENT_ENV];
  if (raw === undefined || raw === '') return;
  // The child's own children (dpkg…) must not profile themselves over the same files.
  delete process.env[PROFILE_AGENT_ENV];
  const config = JSON.parse(raw) as AgentConfig;
  const agent = new Agent(config);
  agent.begin();
  const unsubscribe = onMeasuredPhase((event) => agent.onPhase(event));
  process.on('exit', () => {
    unsubscribe();
    agent.finish();
  });
}

class Agent {
  private readonly session = new Session();
  private scope: AgentResult['scope'] = 'whole-process';
  private state: 'idle' | 'running' | 'done' = 'idle';
  private startedMs = 0;
  private elapsedMs = 0;
  private ops: number | null = null;
  private artifact: string | null = null;
  private reader: MallocCounterReader | null = null;
  private before: MallocCounts | null = null;
  private after: MallocCounts | null = null;
  private error: string | null = null;

  constructor(private readonly config: AgentConfig) {}

  begin(): void {
    try {
      if (this.config.tool === 'malloc') {
        if (this.config.mallocCountFile === undefined) throw new Error('malloc tool without mallocCountFile');
        this.reader = new MallocCounterReader(this.config.mallocCountFile);
      } else {
        this.session.connect();
        if (this.config.tool === 'cpu') {
          this.post('Profiler.enable');
          this.post('Profiler.setSamplingInterval', { interval: this.config.cpuSamplingIntervalUs });
        } else {
          this.post('HeapProfiler.enable');
        }
      }
      this.start();
    } catch (e) {
      this.fail(e);
    }
  }

  onPhase(event: MeasuredPhaseEvent): void {
    if (this.error !== null || this.state === 'done') return;
    try {
      if (event.phase === 'start') {
        if (this.scope !== 'whole-process') return; // a second start: keep the first phase
        this.stop(false); // drop start-up and warm-up
        this.scope = 'unterminated';
        this.start();
      } else if (this.scope === 'unterminated') {
        this.ops = event.ops;
        this.scope = 'measured-phase';
        this.stop(true);
      }
    } catch (e) {
      this.fail(e);
    }
  }

  finish(): void {
    try {
      if (this.error === null && this.state === 'running') this.stop(true);
    } catch (e) {
      this.fail(e);
    }
    const result: AgentResult = {
      tool: this.config.tool,
      scope: this.scope,
      ops: this.ops,
      elapsedMs: this.elapsedMs,
      artifact: this.artifact,
      malloc: this.before && this.after ? { before: this.before, after: this.after, delta: diffCounts(this.after, this.before) } : null,
      error: this.error,
    };
    writeFileSync(agentResultPath(this.config), JSON.stringify(result, null, 2) + '\n');
  }

  private start(): void {
    this.startedMs = performance.now();
    this.state = 'running';
    switch (this.config.tool) {
      case 'cpu':
        this.post('Profiler.start');
        break;
      case 'heap':
        this.post('HeapProfiler.startSampling', {
          samplingInterval: this.config.heapSamplingIntervalBytes,
          // Without these V8 reports only objects still alive at stop: we want everything allocated.
          includeObjectsCollectedByMajorGC: true,
          includeObjectsCollectedByMinorGC: true,
        });
        break;
      case 'malloc':
        this.before = this.reader!.read();
        break;
    }
  }

  private stop(keep: boolean): void {
    // Read the counters first: nothing the agent does after the phase may count in it.
    const after = this.config.tool === 'malloc' ? this.reader!.read() : null;
    this.elapsedMs = performance.now() - this.startedMs;
    this.state = keep ? 'done' : 'idle';
    switch (this.config.tool) {
      case 'cpu': {
        const { profile } = this.post('Profiler.stop') as { profile: unknown };
        if (keep) this.artifact = this.write('cpuprofile', profile);
        break;
      }
      case 'heap': {
        const { profile } = this.post('HeapProfiler.stopSampling') as { profile: unknown };
        if (keep) this.artifact = this.write('heapprofile', profile);
        break;
      }
      case 'malloc':
        if (keep) this.after = after;
        break;
    }
  }

  private write(ext: string, data: unknown): string {
    const path = join(this.config.outDir, `${this.config.stem}.${ext}`);
    writeFileSync(path, JSON.stringify(data));
    return path;
  }

  /** node:inspector calls its callback synchronously for a session on the main thread. */
  private post(method: string, params?: object): unknown {
    let out: unknown;
    let failure: Error | null = null;
    this.session.post(method, params ?? {}, (err, result) => {
      failure = err ?? null;
      out = result;
    });
    if (failure !== null) throw failure;
    return out;
  }

  private fail(e: unknown): void {
    this.error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    this.state = 'done';
    process.stderr.write(`buflab profile agent: ${this.error}\n`);
  }
}

main();
