/**
 * Every suite by name: one entry per workload folder (dns, vpn, tls… add theirs here), plus hidden
 * test suites over the test-only workloads of workloads/testing/. Keep this file a plain list.
 */
import { STRATEGY_NAMES } from '../allocators/buffer-strategy.js';
import { ALLOCATOR_NAMES } from '../allocators/native-allocators.js';
import { cryptoBackendUnavailable } from '../stack/crypto/backends.js';
import { ARENA_CHOICES, THP_CHOICES } from '../allocators/memory-knobs.js';
import type { PhasePlan, SuiteDefinition, V8FlagSet } from './suite.js';

const DEFAULT_V8 = { label: 'default', flags: [] };

/**
 * Quick plans warm up for {@link QUICK_WARMUP_MS}: the whole warm-up always runs and each fork's
 * series (warm-up + measured phase, ~60 windows) is classified (harness/stats/warmup-class.ts). The
 * old 200 ms cap never let a quick fork warm up and sized its batches on unoptimised code; 500 ms
 * is what the budgets below allow (+0.3 s per child). A quick fork whose series shows no steady
 * segment says so (`warmup.class` no-steady-state, and a warning): its figure is the whole phase.
 */
const QUICK_WARMUP_MS = 500;

/** A quick plan: 2 fixed rounds of a {@link QUICK_WARMUP_MS} warm-up and a short measured phase. */
function quickPlan(sizes: number[], axes: PhasePlan['axes'], durationMs = 300): PhasePlan {
  return { forks: 2, warmupMs: QUICK_WARMUP_MS, durationMs, sizes, axes, v8FlagSets: [DEFAULT_V8] };
}

/**
 * The full plan of the suites that kept 1 s warm-up + 2 s measured forks: adaptive rounds (issue 18)
 * from the 5 forks these plans always had, up to 20, to ±2% or the suite's budget (about 1.5x the
 * minimum rounds' time, so the least precise cells get up to half again).
 */
function fullPlan(sizes: number[], axes: PhasePlan['axes'], budgetMinutes: number, v8FlagSets: V8FlagSet[] = [DEFAULT_V8]): PhasePlan {
  return {
    forks: 5,
    rounds: { minRounds: 5, maxRounds: 20, targetHalfWidth: 0.02, budgetMs: budgetMinutes * 60_000 },
    warmupMs: 1_000,
    durationMs: 2_000,
    sizes,
    axes,
    v8FlagSets,
  };
}

/**
 * The optional `crypto` axis of the vpn and tls suites (`--param crypto=node,native,none`): the
 * crypto backend of stack/crypto/backends.ts; absent, the workloads use `node`. A `native` cell
 * without its built addon is skipped with the build command.
 */
const CRYPTO_CHOICES = ['node', 'native', 'none'];

/**
 * The memory knobs every native-allocator suite takes (`--param thp=off,default,on,hugetlb`, `--param
 * arenas=1,2`; allocators/memory-knobs.ts): optional axes, applied and read back in the child; a
 * knob an allocator does not have is a skipped cell (harness/run/matrix.ts).
 */
const MEMORY_KNOB_CHOICES = { thp: [...THP_CHOICES], arenas: [...ARENA_CHOICES] };
const cryptoCellUnavailable: SuiteDefinition['cellUnavailable'] = (params) =>
  params['crypto'] === undefined ? null : cryptoBackendUnavailable(String(params['crypto']));

/**
 * alloc: the cost of getting a buffer, per strategy × native allocator × buffer size.
 * Quick-mode budget (`--suite alloc --quick`, 2 cores, sequential children so that forks do not
 * disturb each other): 4 strategies × 4 allocators × 3 sizes = 48 cells × 2 forks = 96 children.
 * Each child costs ≈ 0.7 s of start-up (node + tsx + registry + allocator verification; measured:
 * the child with a 0 ms plan takes 0.72 s) + 0.5 s warm-up + 0.15 s baseline warm-up + 0.0625 s
 * no-op baseline (a quarter of the measured phase, min 50 ms) + 0.1 s settling run + 0.25 s measured
 * ≈ 1.76 s → ≈ 170 s on a quiet machine, inside the 3-minute budget with little room for load from elsewhere.
 * Two forks give a degenerate interval (warned about); use the full plan for figures.
 */
const alloc: SuiteDefinition = {
  name: 'alloc',
  workload: 'alloc',
  description: 'allocate, fill and drop one buffer per operation: strategy x native allocator x buffer size',
  sizeMeaning: 'buffer bytes',
  // The live set (buffers kept alive in the workload's ring, default 1024) is an optional axis:
  // the allocator effect depends on it (`--param ring=1,1024`; README "Results").
  axisChoices: { ring: [1, 16, 256, 1024, 4096], ...MEMORY_KNOB_CHOICES },
  strategies: [...STRATEGY_NAMES, 'string'],
  allocators: [...ALLOCATOR_NAMES],
  // 256 cells x 5 rounds x ~4 s a fork is ~85 min; the budget allows a third more.
  // A bigger young generation changes how often scavenges run: the GC side of the strategy question.
  full: fullPlan([16, 64, 256, 1024, 1500, 4096, 16384, 65536], {}, 120, [DEFAULT_V8, { label: 'semi16', flags: ['--max-semi-space-size=16'] }]),
  quick: quickPlan([64, 1500, 16384], {}, 250),
};

/**
 * vpn (the flagship): one inner packet through an OpenVPN data channel client -> server over
 * UDP/IPv4/Ethernet in memory, per strategy x native allocator x inner packet size x cipher.
 * Quick-mode budget: 3 strategies x 4 allocators x 2 sizes x 2 ciphers = 48 cells x 2 forks = 96
 * children of ~0.5 s start-up + 0.5 s warm-up + ~0.2 s baseline + 0.3 s measured ~= 1.5 s each ->
 * ~145 s, inside the 3-minute budget on 2 cores.
 */
const vpn: SuiteDefinition = {
  name: 'vpn',
  workload: 'vpn',
  openLoop: true,
  axisChoices: { inner: ['udp', 'tcp'], crypto: CRYPTO_CHOICES, ...MEMORY_KNOB_CHOICES },
  cellUnavailable: cryptoCellUnavailable,
  description: 'OpenVPN data channel tunnel in memory: strategy x native allocator x inner packet size x cipher',
  sizeMeaning: 'inner packet bytes (IPv4 header included)',
  strategies: [...STRATEGY_NAMES],
  allocators: [...ALLOCATOR_NAMES],
  // Full plan (issue 18): adaptive rounds within a 37-minute budget (the whole default run, 180
  // cells with four allocators, must end within 40 minutes, report included: the last group
  // overruns the budget by ~0.5 min and the report of a full run takes ~0.9 min). Forks are short
  // because the variance that matters is between processes (a bare AES-GCM loop varies 21% across
  // processes): more, shorter forks narrow an interval faster than longer ones (README "Where the
  // variance comes from": each fork's figure recomputed from the first 1, 2, 3, 4 turns of its
  // measured phase gave strategy-ratio half-widths of 6.1%, 6.1%, 5.9%, 5.3% in the 2026-12-04 20:30
  // run: a phase 4× as long narrowed them by a seventh, so a longer one cannot pay for the rounds
  // it costs). Why 7 rounds at least: the bootstrap interval of a median is lumpy at
  // 5 forks (half-width 12.5% at σ = 11.6%, the spread measured on a quiet VM) and settles from 7
  // (8.3%; 10 forks: 8.1%). A fork costs ~1.07 s of a time-sliced group's wall time (traced
  // 2026-12-04: workload set-up and timer calibration ~35 ms, the baseline loop's warm-up ~40 ms, warm-up 300 ms, GC
  // and baseline ~75 ms, settling run 100 ms, measured 400 ms, teardown ~40 ms, plus its share of
  // the group's concurrent start), so a round of 180 cells is ~3.2 min and the budget holds ~11.
  // Why a 300 ms warm-up (400 ms until 2026-12-04): over the 1,584 forks of a default run with
  // 400 ms, the final steady segment began at p50 110 ms and p75 180 ms of the warm-up, and 2% of
  // forks began it between 300 and 400 ms; on 12 cells (1400 B, aes-256-gcm, 10 rounds, runs
  // A B A B and B C B C) 300 ms gave as many forks a steady segment as 400 ms (no-steady-state
  // 15–36 of 120 against 31–34), the same cell medians within ±3% and the same allocator ratios,
  // at 1.07 s per fork against 1.33 s (with the shorter baseline-loop warm-up and baseline of
  // harness/child/measure-cell.ts). 200 ms (0.97 s per fork) looked no worse in two runs; 300 ms
  // keeps a margin over the p90 of where warm-up ends. Trade-off table: README "How precise a run is".
  full: {
    forks: 5,
    rounds: { minRounds: 7, maxRounds: 30, targetHalfWidth: 0.02, budgetMs: 37 * 60_000 },
    warmupMs: 300,
    durationMs: 400,
    sizes: [64, 512, 1400],
    axes: { cipher: ['aes-256-gcm', 'aes-128-gcm', 'chacha20-poly1305', 'aes-256-cbc-hmac', 'none'], inner: ['udp'] },
    v8FlagSets: [DEFAULT_V8],
  },
  quick: quickPlan([64, 1400], { cipher: ['aes-256-gcm', 'none'], inner: ['udp'] }),
};

/**
 * dns: one authoritative query and its answer through DNS/UDP/IPv4/Ethernet on both sides in memory
 * (client and server stacks), per strategy x native allocator x TXT size x query mix. The size axis
 * only changes the TXT share of the mix (all of `txt-only`, 5% of `mixed`, none of `a-only`).
 * Quick-mode budget: 3 strategies x 4 allocators x 1 size x 2 mixes = 24 cells x 2 forks = 48
 * children of ~0.7 s start-up + ~0.5 s zone load and self-check + 0.5 s warm-up + 0.3 s measured
 * ~= 2 s each -> ~95 s on 2 cores.
 */
const dns: SuiteDefinition = {
  name: 'dns',
  workload: 'dns',
  axisChoices: { ...MEMORY_KNOB_CHOICES },
  openLoop: true,
  description: 'authoritative DNS over UDP/IPv4/Ethernet in memory: strategy x native allocator x TXT size x query mix',
  sizeMeaning: 'TXT record rdata bytes in the generated zone (answer size of the TXT share of the mix; client EDNS 1232)',
  strategies: [...STRATEGY_NAMES],
  allocators: [...ALLOCATOR_NAMES],
  // 108 cells x 5 rounds x ~4 s is ~36 min; budget about 1.5x that.
  full: fullPlan([64, 512, 1024], { mix: ['a-only', 'mixed', 'txt-only'] }, 55),
  quick: quickPlan([512], { mix: ['a-only', 'mixed'] }),
};

/**
 * tls: a TLS 1.3 client, a TLS-terminating proxy and an echo backend over TCP/IPv4/Ethernet in
 * memory (workloads/tls-proxy), per strategy x native allocator x record size x cipher suite x op
 * (`request`: one round trip on an open connection; `connection`: TCP + TLS handshakes, one round
 * trip, close). Quick-mode budget: 3 strategies x 4 allocators x 1 size x 2 ciphers x op=request =
 * 24 cells x 2 forks = 48 children of ~2.3 s each (measured at a 0.2 s warm-up: start-up, set-up,
 * 0.2 s warm-up, 0.3 s measured, the off-heap audit, ~2 s; +0.3 s for the 0.5 s warm-up) -> ~110 s
 * on 2 cores.
 */
const tls: SuiteDefinition = {
  name: 'tls',
  workload: 'tls-proxy',
  description: 'TLS 1.3 proxy over TCP/IPv4/Ethernet in memory: strategy x native allocator x record size x cipher suite x op',
  axisChoices: { crypto: CRYPTO_CHOICES, ...MEMORY_KNOB_CHOICES },
  cellUnavailable: cryptoCellUnavailable,
  sizeMeaning: 'application payload bytes per request (one TLS record each way)',
  strategies: [...STRATEGY_NAMES],
  allocators: [...ALLOCATOR_NAMES],
  // 288 cells x 5 rounds x ~4 s is ~96 min; budget about 1.5x that.
  full: fullPlan([256, 1024, 4096, 16384], { cipher: ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'], op: ['request', 'connection'] }, 150),
  // `connection` (~3 ms/op: key exchange, signature, certificate checks) is left out of quick mode:
  // the child's off-heap audit runs up to 2,000 extra ops, 6-16 s per fork (measured).
  quick: quickPlan([1024], { cipher: ['TLS_AES_128_GCM_SHA256', 'TLS_CHACHA20_POLY1305_SHA256'], op: ['request'] }),
};

/**
 * firewall: one packet offered to a stateful firewall (rules, SNAT/DNAT connection table) that
 * forwards it between two in-memory links (workloads/firewall), per strategy x native allocator x
 * packet size x rule-set size. Quick-mode budget: 3 strategies x 4 allocators x 2 sizes x 2 rule
 * sets = 48 cells x 2 forks = 96 children of ~1.5 s (start-up, 0.5 s warm-up, baseline, 0.3 s
 * measured) -> ~145 s on 2 cores, as vpn's.
 */
const firewall: SuiteDefinition = {
  name: 'firewall',
  workload: 'firewall',
  axisChoices: { ...MEMORY_KNOB_CHOICES },
  description: 'stateful IPv4 firewall forwarding between two in-memory links: strategy x native allocator x packet size x rule-set size',
  sizeMeaning: 'IPv4 packet bytes offered per op (header included)',
  strategies: [...STRATEGY_NAMES],
  allocators: [...ALLOCATOR_NAMES],
  // 144 cells x 5 rounds x ~4 s is ~48 min; budget about 1.5x that.
  full: fullPlan([64, 512, 1400], { rules: [8, 64, 512, 4096] }, 70),
  quick: quickPlan([64, 1400], { rules: [8, 1024] }),
};

/**
 * storage: one iteration of the Mirage paper's database benchmark (insert, update, delete, then
 * every live record read back and checked) in SQLite through sql.js (workloads/storage), per
 * strategy x native allocator x record payload size. An op is slow (0.3 ms at 64 B, ~2 ms at
 * 4 KiB with 32 live records, measured), so the quick plan has two sizes: 3 strategies x 4
 * allocators x 2 sizes = 24 cells x 2 forks = 48 children of ~2 s (start-up with sql.js's
 * WebAssembly compile, 0.5 s warm-up, baseline, 0.3 s measured) -> ~100 s on 2 cores.
 */
const storage: SuiteDefinition = {
  name: 'storage',
  workload: 'storage',
  axisChoices: { ...MEMORY_KNOB_CHOICES },
  description: 'insert/update/delete records in SQLite (sql.js), every record checked per iteration: strategy x native allocator x record size',
  sizeMeaning: 'record payload bytes (plus a 16-byte header); two records written per op',
  strategies: [...STRATEGY_NAMES],
  allocators: [...ALLOCATOR_NAMES],
  // 48 cells x 5 rounds x ~5 s is ~20 min; budget about 1.5x that.
  full: fullPlan([64, 1024, 16384, 65536], { records: [32] }, 30),
  quick: quickPlan([64, 4096], { records: [32] }),
};

/**
 * alloc-mt: the allocation loop in N worker threads at once (workloads/alloc-mt), 256 buffers per op
 * split over the threads, per strategy x native allocator x buffer size x threads. Wall time is the
 * figure: the effect is allocator contention between threads, which the main thread's CPU time and
 * instruction counts cannot see (callgrind serialises threads). On 2 cores, threads=2 is the most
 * that can run in parallel; threads=4 shows oversubscription, not more parallelism.
 * `--param handoff=transfer` (uint8array only) hands every buffer to the next thread, so that one
 * thread frees what another allocated. Quick-mode budget: 3 strategies x 4 allocators x 1 size x
 * 2 thread counts = 24 cells x 2 forks = 48 children of ~2 s (start-up and the workers' start,
 * 0.5 s warm-up, baseline, 0.3 s measured) -> ~100 s on 2 cores; 130 s measured on the busy VM.
 */
const allocMt: SuiteDefinition = {
  name: 'alloc-mt',
  workload: 'alloc-mt',
  description: 'the allocation loop in N worker threads at once: strategy x native allocator x buffer size x threads',
  sizeMeaning: 'buffer bytes (256 buffers per op over all threads)',
  axisChoices: { handoff: ['none', 'transfer'], ...MEMORY_KNOB_CHOICES },
  // A transferred buffer must own its ArrayBuffer: pooled and one-big-struct hand out views into slabs.
  cellUnavailable: (params, cell) =>
    params['handoff'] === 'transfer' && cell !== undefined && cell.strategy !== 'uint8array'
      ? { code: 'E_HANDOFF_NEEDS_UINT8ARRAY', message: `handoff=transfer moves each buffer's ArrayBuffer to another thread; ${cell.strategy} hands out views into shared slabs: run it with --strategy uint8array` }
      : null,
  strategies: [...STRATEGY_NAMES],
  allocators: [...ALLOCATOR_NAMES],
  // 3 x 4 x 3 x 3 = 108 cells x 5 rounds x ~4 s is ~36 min; budget about 1.5x that.
  full: fullPlan([64, 1500, 16384], { threads: [1, 2, 4] }, 55),
  quick: quickPlan([1500], { threads: [1, 2] }),
};

/** Test-only plans: tiny and fast; the test workloads accept the placeholder strategy `none`. */
function testPlan(sizes: number[]): SuiteDefinition['full'] {
  return { forks: 1, warmupMs: 50, durationMs: 100, sizes, axes: {}, v8FlagSets: [DEFAULT_V8] };
}

const testNoop: SuiteDefinition = {
  name: 'test-noop',
  workload: 'noop',
  description: 'test only: the no-op workload',
  sizeMeaning: 'ignored',
  strategies: ['none'],
  allocators: ['glibc'],
  full: testPlan([16, 64]),
  quick: testPlan([16, 64]),
  hidden: true,
};

/** A crashing, a hanging and a healthy workload in one run: the parent must keep going. */
const testCrash: SuiteDefinition = {
  name: 'test-crash',
  workload: 'noop',
  workloads: ['noop', 'crash', 'hang'],
  description: 'test only: noop completes, crash crashes, hang exceeds its time limit',
  sizeMeaning: 'ignored',
  strategies: ['none'],
  allocators: ['glibc'],
  full: testPlan([16]),
  quick: testPlan([16]),
  childTimeoutMs: 8_000,
  hidden: true,
};

/** Long-running noop cells: for interrupting a run with SIGINT. */
const testSlow: SuiteDefinition = {
  name: 'test-slow',
  workload: 'noop',
  description: 'test only: noop cells that measure for 2 s each',
  sizeMeaning: 'ignored',
  strategies: ['none'],
  allocators: ['glibc'],
  full: { forks: 3, warmupMs: 50, durationMs: 2_000, sizes: [16, 64, 256], axes: {}, v8FlagSets: [DEFAULT_V8] },
  quick: { forks: 3, warmupMs: 50, durationMs: 2_000, sizes: [16, 64, 256], axes: {}, v8FlagSets: [DEFAULT_V8] },
  hidden: true,
};

/** A calibrated loop whose cost doubles with `work`: for A/A runs and checking the harness sees 2x. */
const testScaled: SuiteDefinition = {
  name: 'test-scaled',
  workload: 'scaled',
  description: 'test only: an integer loop of `work` iterations per op',
  sizeMeaning: 'payload bytes credited per op',
  strategies: ['none'],
  allocators: ['glibc'],
  full: { forks: 3, warmupMs: 100, durationMs: 300, sizes: [64], axes: { work: [100, 200] }, v8FlagSets: [DEFAULT_V8] },
  quick: { forks: 3, warmupMs: 100, durationMs: 300, sizes: [64], axes: { work: [100, 200] }, v8FlagSets: [DEFAULT_V8] },
  hidden: true,
};

export const SUITES: readonly SuiteDefinition[] = [alloc, vpn, dns, tls, firewall, storage, allocMt, testNoop, testCrash, testSlow, testScaled];

export function findSuite(name: string, suites: readonly SuiteDefinition[] = SUITES): SuiteDefinition | undefined {
  return suites.find((s) => s.name === name);
}
