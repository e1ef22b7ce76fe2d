/**
 * The WebAssembly backend on its own: the embedded module (no imports, fresh with respect
 * to assembly/** + asconfig.json, ABI constants mirrored in TS), every kernel-validated
 * vector line, traps surfacing as InternalError, and the batch forms against the scalar
 * forms (any length, unaligned subarray views, aliasing, chunking past the Wasm buffer).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import type { Backend, PvclockParams } from '../src/backend.js';
import { ArithmeticFaultError, InternalError, KernelRuleError, isKvmclockError } from '../src/errors.js';
import { KernelProfile } from '../src/kernel/profile.js';
import { ClockGuestCheck, HvInvalid, SetTscFlags, WasmStatus, wasmBackend } from '../src/wasm/backend.js';
import { SOURCE_SHA256, WASM_SHA256 } from '../src/wasm/binary.gen.js';
import { wasmSourceHash } from '../src/wasm/codegen.js';
import { batchViews, wasmBytes, wasmExports, wasmImports } from '../src/wasm/instance.js';

const U64_MAX = (1n << 64n) - 1n;

describe('embedded module', () => {
  it('has zero imports', () => {
    expect(wasmImports()).toEqual([]);
  });

  it('is fresh with respect to assembly/** and asconfig.json', () => {
    const current = wasmSourceHash();
    if (current !== SOURCE_SHA256) {
      throw new Error(`src/wasm/binary.gen.ts was built from other sources (${SOURCE_SHA256}, now ${current}): run npm run build:wasm`);
    }
    expect(createHash('sha256').update(wasmBytes()).digest('hex')).toBe(WASM_SHA256);
  });

  it('exports the status codes and setTscKhz flags that src/wasm/backend.ts mirrors', () => {
    const w = wasmExports();
    expect({
      ok: w.STATUS_OK.value,
      div0: w.STATUS_DIV0.value,
      overflow: w.STATUS_OVERFLOW.value,
      de: w.STATUS_DE.value,
      hang: w.STATUS_HANG.value,
      zero: w.STATUS_ZERO.value,
      toolarge: w.STATUS_TOOLARGE.value,
      EINVAL: w.STATUS_EINVAL.value,
      ERANGE: w.STATUS_ERANGE.value,
      nofreq: w.STATUS_NOFREQ.value,
      nomaster: w.STATUS_NOMASTER.value,
      invalid: w.STATUS_INVALID.value,
      nofit: w.STATUS_NOFIT.value,
    }).toEqual(WasmStatus);
    expect({
      ratioWritten: w.SET_TSC_RATIO_WRITTEN.value,
      useScaling: w.SET_TSC_USE_SCALING.value,
      catchup: w.SET_TSC_CATCHUP.value,
      virtualScale: w.SET_TSC_VIRTUAL_SCALE.value,
    }).toEqual(SetTscFlags);
  });

  it('exports the KVM_[GS]ET_CLOCK_GUEST check codes and Hyper-V page reasons that src/wasm/backend.ts mirrors', () => {
    const w = wasmExports();
    expect({
      pads: w.CLOCK_GUEST_PADS.value,
      mul: w.CLOCK_GUEST_MUL.value,
      shift: w.CLOCK_GUEST_SHIFT.value,
      noMaster: w.CLOCK_GUEST_NO_MASTER.value,
      noFreq: w.CLOCK_GUEST_NO_FREQ.value,
      tscBehind: w.CLOCK_GUEST_TSC_BEHIND.value,
    }).toEqual(ClockGuestCheck);
    expect({ unstable: w.HV_INVALID_UNSTABLE.value, mul: w.HV_INVALID_MUL.value }).toEqual(HvInvalid);
  });

  it('uses distinct, non-zero codes: statuses (OK = 0) and the check / reason words after them', () => {
    // A duplicated status would make the wrapper report one kernel failure as another.
    const statuses = Object.values(WasmStatus);
    expect(new Set(statuses).size).toBe(statuses.length);
    expect(WasmStatus.ok).toBe(0);
    for (const group of [ClockGuestCheck, HvInvalid]) {
      const codes = Object.values(group) as number[];
      expect(new Set(codes).size).toBe(codes.length);
      expect(codes.every((c) => c !== 0)).toBe(true);
    }
  });

  it('turns a Wasm trap into InternalError', () => {
    const w = wasmExports();
    // A chunk longer than the batch buffer is a wrapper bug: the module traps (unreachable).
    expect(() => w.pvclockReadBatch(w.batchCapacity() + 1, 0n, 0n, 0, 0)).toThrow(InternalError);
  });
});

// ---------------------------------------------------------------------------
// Vectors

/** Vector inputs: integers, and the `profile` string of the profile-taking commands. */
type In = Record<string, bigint> & { profile?: string };
type Out = Record<string, string>;
const n = (v: bigint): number => Number(v);
const b = (v: bigint): boolean => v !== 0n;
const str = (v: bigint | number | boolean | null): string => (v === null ? '-' : typeof v === 'boolean' ? (v ? '1' : '0') : String(v));

/** Vector fn name → the backend call producing the vector's `out` fields. */
const RUNNERS: Record<string, (be: Backend, i: In) => Out> = {
  mul_u64_u32_shr: (be, i) => ({ r: str(be.mulU64U32Shr(i.a, n(i.mul), n(i.shift))) }),
  mul_u64_u64_shr: (be, i) => ({ r: str(be.mulU64U64Shr(i.a, i.b, n(i.shift))) }),
  mul_s64_u64_shr: (be, i) => ({ r: str(be.mulS64U64Shr(i.a, i.b, n(i.shift))) }),
  mul_u64_u32_div: (be, i) => ({ r: str(be.mulU64U32Div(i.a, n(i.mul), n(i.div))) }),
  mul_u64_u32_div_generic: (be, i) => ({ r: str(be.mulU64U32DivGeneric(i.a, n(i.mul), n(i.div))) }),
  time_scale: (be, i) => {
    const t = be.getTimeScale(i.scaled_hz, i.base_hz);
    return { shift: str(t.shift), mul: str(t.mul) };
  },
  scale_delta: (be, i) => ({ r: str(be.pvclockScaleDelta(i.delta, n(i.mul), n(i.shift))) }),
  pvclock_read: (be, i) => ({ ns: str(be.pvclockRead(i.tsc, i.tsc_timestamp, i.system_time, n(i.mul), n(i.shift))) }),
  pvclock_tsc_khz: (be, i) => ({ khz: str(be.pvclockTscKhz(n(i.mul), n(i.shift))) }),
  guest_read: (be, i) => {
    const g = be.pvclockGuestRead(i.ret, n(i.flags), n(i.valid_flags), i.last_value);
    return { result: str(g.result), new_last_value: str(g.newLastValue) };
  },
  scale_tsc: (be, i) => ({ r: str(be.scaleTsc(i.tsc, i.ratio, n(i.frac))) }),
  tsc_ratio: (be, i) => ({ ratio: str(be.tscRatio(n(i.user_khz), n(i.host_khz), n(i.frac), i.max_ratio)) }),
  l1_offset: (be, i) => ({ offset: str(be.computeL1TscOffset(i.target_tsc, i.host_tsc, i.ratio, n(i.frac))) }),
  read_l1_tsc: (be, i) => ({ guest_tsc: str(be.readL1Tsc(i.host_tsc, i.offset, i.ratio, n(i.frac))) }),
  nested_offset: (be, i) => ({ r: str(be.nestedTscOffset(i.l1_offset, i.l2_offset, i.l2_mult, n(i.frac))) }),
  nested_mult: (be, i) => ({ r: str(be.nestedTscMultiplier(i.l1_mult, i.l2_mult, n(i.frac))) }),
  adjust_tsc_khz: (be, i) => ({ r: str(be.adjustTscKhz(n(i.khz), n(i.ppm))) }),
  max_guest_tsc_khz: (be, i) => ({ r: str(be.maxGuestTscKhz(n(i.host_khz), i.max_ratio, n(i.frac))) }),
  tgt_tsc_khz: (be, i) => ({ r: str(be.tgtTscKhz(n(i.host_khz), i.ratio, n(i.frac), b(i.has_control))) }),
  set_tsc_khz: (be, i) => {
    const s = be.setTscKhz(n(i.user_khz), n(i.host_khz), b(i.has_control), n(i.frac), i.max_ratio, n(i.tol_ppm));
    return {
      rc: str(s.rc),
      ratio: str(s.ratio),
      use_scaling: str(s.useScaling),
      catchup: str(s.catchup),
      vshift: str(s.virtualTscShift),
      vmult: str(s.virtualTscMult),
    };
  },
  calc_mult_shift: (be, i) => {
    const m = be.clocksCalcMultShift(n(i.from), n(i.to), n(i.maxsec));
    return { mult: str(m.mult), shift: str(m.shift) };
  },
  clocksource_register: (be, i) => {
    const c = be.clocksourceRegister(n(i.freq), n(i.scale), i.mask);
    return { mult: str(c.mult), shift: str(c.shift), maxadj: str(c.maxadj), maxsec: str(c.maxsec) };
  },
  raw_ns: (be, i) => ({ ns: str(be.rawNs(i.cycles, i.cycle_last, i.raw_sec, i.xtime_nsec, n(i.mult), n(i.shift))) }),
  kvm_base_ns: (be, i) => ({
    ns: str(be.kvmBaseNs(i.cycles, i.cycle_last, i.raw_sec, i.xtime_nsec, n(i.mult), n(i.shift), i.offs_boot)),
  }),
  cyc2ns: (be, i) => ({ r: str(be.cyc2ns(i.delta, n(i.mult), n(i.shift))) }),
  sync_window: (be, i) => ({
    synchronizing: str(be.syncWindow(i.data, i.last_write, i.elapsed_ns, n(i.vkhz), n(i.vmult), n(i.vshift))),
  }),
  set_clock: (be, i) => ({
    kvmclock_offset: str(
      be.setClock(i.clock, n(i.flags), i.realtime, i.now_real, b(i.use_master), i.master_kernel_ns, i.base_now),
    ),
  }),
  wall_clock: (be, i) => {
    const w = be.wallClock(i.wall_nsec);
    return { sec: str(w.sec), nsec: str(w.nsec), sec_hi: str(w.secHi) };
  },

  // Upstream variants: a PROFILE becomes the flags the Backend takes (as src/api.ts derives them).
  tgt_tsc_hz: (be, i) => ({ hz: str(be.tgtTscHz(i.host_khz, i.ratio, n(i.frac), b(i.has_control))) }),
  master_tsc_scale: (be, i) => {
    const t = be.masterTscScale(i.host_khz, i.ratio, n(i.frac), b(i.has_control));
    return { shift: str(t.shift), mul: str(t.mul) };
  },
  get_kvmclock_k: (be, i) => ({
    clock: str(be.getKvmclock(profile(i).has('c-via-guest-tsc'), i.host_tsc, i.M, i.K, i.kvmclock_offset, i.ratio, n(i.frac), i.host_khz, b(i.has_control))),
  }),
  mclock_mode: (be, i) => {
    const mode = be.mclockMode(profile(i).has('masterclock-offset-tscs'), b(i.matched_tsc), b(i.matched_freq), b(i.tsc_clocksource), b(i.backwards_tsc), b(i.old_kvmclock));
    return { use_master_clock: str(mode.useMasterClock), tsc_stable: str(mode.tscStable) };
  },
  compute_guest_tsc: (be, i) => ({ guest_tsc: str(be.computeGuestTsc(i.this_tsc_write, i.this_tsc_nsec, i.kernel_ns, n(i.vmult), n(i.vshift), b(i.signed))) }),
  tsc_catchup: (be, i) => {
    const p = profile(i);
    const c = be.tscCatchup(p.has('upscale-to-now'), p.has('signed-compute-guest-tsc'), i.this_tsc_write, i.this_tsc_nsec, n(i.vmult), n(i.vshift), i.l1_offset, i.ratio, n(i.frac), i.M, i.K, i.h_now, i.k_now);
    return { l1_offset: str(c.l1Offset), tsc_timestamp: str(c.tscTimestamp) };
  },
  hvclock_to_hz: (be, i) => ({ hz: str(be.hvclockToHz(n(i.mul), n(i.shift))) }),
  set_clock_guest_v6: (be, i) => {
    const record = { tscTimestamp: i.pv_tsc_timestamp, systemTime: i.pv_system_time, mul: n(i.pv_mul), shift: n(i.pv_shift), flags: 0 };
    const r = be.setClockGuestV6(record, b(i.pads_nonzero), b(i.use_master), i.M, i.K, i.l1_offset, i.ratio, n(i.frac), i.host_khz, b(i.has_control));
    return { kvmclock_offset: str(r.kvmclockOffset), guest_tsc: str(r.guestTsc) };
  },
  get_clock_guest_v6: (be, i) => {
    // the command models the v6 series as posted: Hz pvclock, TSC_STABLE only with matched offsets
    const r = be.getClockGuestV6(true, b(i.use_master), i.M, i.K, i.kvmclock_offset, i.l1_offset, i.ratio, n(i.frac), i.host_khz, b(i.has_control), b(i.all_matched_tsc));
    return { tsc_timestamp: str(r.tscTimestamp), system_time: str(r.systemTime), mul: str(r.mul), shift: str(r.shift), flags: str(r.flags) };
  },

  // Guest clock ABIs
  hv_tsc_page: (be, i) => {
    const p = be.hvTscPage(n(i.mul), n(i.shift), i.tsc_timestamp, i.system_time, n(i.flags));
    return { scale: str(p.scale), offset: str(p.offset) };
  },
  hv_ref_read: (be, i) => ({ units: str(be.hvRefRead(i.tsc, i.scale, BigInt.asUintN(64, i.offset))) }),
  hv_ref_msr: (be, i) => ({ units: str(be.hvRefMsr(i.kvmclock_ns)) }),
  xen_tsc_leaf: (be, i) => {
    const l = be.xenTscLeaf(n(i.tgt_tsc_khz));
    return { ecx: str(l.ecx), edx: str(l.edx), eax: str(l.eax) };
  },
  vmclock_read: (be, i) => {
    const t = be.vmclockRead(i.counter, i.counter_value, i.period_frac, n(i.shift), i.time_sec, i.time_frac_sec);
    return { sec: str(t.sec), nsec: str(t.nsec) };
  },
  vmclock_gettime: (be, i) => {
    const tai = (n(i.tai_offset_sec) << 16) >> 16; // the Backend takes the s16 (the API accepts the u16 pattern too)
    const t = be.vmclockGettime(i.counter, i.counter_value, i.period_frac, n(i.shift), i.time_sec, i.time_frac_sec, n(i.time_type), i.flags, tai, n(i.clock_status));
    return { sec: str(t.sec), nsec: str(t.nsec) };
  },
  vmclock_period: (be, i) => {
    const p = be.vmclockPeriod(i.freq_hz);
    return { shift: str(p.shift), period: str(p.period) };
  },
};

/** The kernel profile a vector names. */
function profile(i: In): KernelProfile {
  if (i.profile === undefined) throw new Error('vector without a profile');
  return KernelProfile.parse(i.profile);
}

/**
 * Vector functions that are not a Backend primitive: `abc`, `abc_k` and `mclock_step_k`
 * compose them in the clock model (src/model/definitions.ts); test/kernel-vectors.test.ts
 * runs them on both backends.
 */
const NOT_BACKEND = new Set(['abc', 'abc_k', 'mclock_step_k']);

/** Error codes by class: modelled CPU faults vs kernel rules. */
const FAULT_CODES = new Set(['div0', 'overflow', 'de']);

function runVector(fn: string, input: In): Out {
  const runner = RUNNERS[fn];
  if (runner === undefined) throw new Error(`no Backend method mapped for vector fn "${fn}"`);
  try {
    return runner(wasmBackend, input);
  } catch (e) {
    if (!isKvmclockError(e) || e.code === 'internal' || e.code === 'type' || e.code === 'range') throw e;
    const expectedClass = FAULT_CODES.has(e.code) ? ArithmeticFaultError : KernelRuleError;
    if (!(e instanceof expectedClass)) return { error: `${e.code} thrown as ${e.name}` };
    if (e.message.length === 0) return { error: `${e.code} without a message` };
    const value = e instanceof KernelRuleError ? e.value : undefined;
    const reason = e instanceof KernelRuleError ? e.reason : undefined;
    if (reason !== undefined) return { error: e.code, reason };
    return value === undefined ? { error: e.code } : { error: e.code, value: String(value) };
  }
}

const FIXTURES = new URL('./fixtures/', import.meta.url);
const fixtureFiles = readdirSync(FIXTURES).filter((f) => f.endsWith('.jsonl')).sort();

describe('kernel-validated vectors', () => {
  it('has fixtures', () => {
    expect(fixtureFiles.length).toBeGreaterThan(0);
  });

  for (const file of fixtureFiles) {
    it(file, () => {
      const lines = readFileSync(new URL(file, FIXTURES), 'utf8').split('\n').filter((l) => l.length > 0);
      const mismatches: string[] = [];
      let checked = 0;
      for (const [index, line] of lines.entries()) {
        const vector = JSON.parse(line) as { fn: string; in: Record<string, string>; out: Out };
        if (NOT_BACKEND.has(vector.fn)) continue;
        const input = Object.fromEntries(Object.entries(vector.in).map(([k, v]) => [k, k === 'profile' ? v : BigInt(v)])) as In;
        let actual: Out;
        try {
          actual = runVector(vector.fn, input);
        } catch (e) {
          actual = { thrown: String(e) };
        }
        checked++;
        if (JSON.stringify(actual) !== JSON.stringify(vector.out)) {
          mismatches.push(`${file}:${index + 1} ${vector.fn} ${JSON.stringify(vector.in)}: expected ${JSON.stringify(vector.out)}, got ${JSON.stringify(actual)}`);
        }
      }
      expect(mismatches.slice(0, 10)).toEqual([]);
      expect(mismatches.length).toBe(0);
      if (!lines.every((l) => NOT_BACKEND.has((JSON.parse(l) as { fn: string }).fn))) expect(checked).toBeGreaterThan(0);
    });
  }
});

// ---------------------------------------------------------------------------
// Batch forms against scalar forms

/** Deterministic xorshift64* generator, so a failure reproduces from the seed alone. */
function rng(seed: bigint): () => bigint {
  let s = seed;
  return () => {
    s ^= s >> 12n;
    s ^= BigInt.asUintN(64, s << 25n);
    s ^= s >> 27n;
    return BigInt.asUintN(64, s * 0x2545f4914f6cdd1dn);
  };
}

const EDGE_U64 = [0n, 1n, 2n, (1n << 32n) - 1n, 1n << 32n, 1n << 48n, (1n << 63n) - 1n, 1n << 63n, U64_MAX - 1n, U64_MAX];

function makeGen(seed: bigint) {
  const next = rng(seed);
  const u64 = (): bigint => {
    const r = next();
    return r % 4n === 0n ? EDGE_U64[Number(r >> 8n) % EDGE_U64.length] : next();
  };
  const int = (min: number, max: number): number => min + Number(next() % BigInt(max - min + 1));
  return { u64, int };
}

/**
 * A view of `len` elements at a random element offset inside a larger backing array, so
 * byteOffset is not a multiple of the Wasm buffer size (nor of anything else useful).
 */
function view(len: number, offset: number, fill: () => bigint): BigUint64Array {
  const backing = new BigUint64Array(len + offset + 3);
  for (let i = 0; i < backing.length; i++) backing[i] = fill();
  return backing.subarray(offset, offset + len);
}

const capacity = batchViews().capacity;
const SMALL_LENGTHS = Array.from({ length: 18 }, (_, i) => i);
const LARGE_LENGTHS = [capacity - 1, capacity, capacity + 1, 2 * capacity + 5, 3 * capacity];

interface BatchCase {
  readonly name: string;
  readonly run: (input: BigUint64Array, out: BigUint64Array, gen: ReturnType<typeof makeGen>) => (x: bigint, i: number) => bigint;
}

const BATCH_CASES: BatchCase[] = [
  {
    name: 'pvclockReadBatch',
    run: (input, out, gen) => {
      const p: PvclockParams = { tscTimestamp: gen.u64(), systemTime: gen.u64(), mul: gen.int(0, 0xffff_ffff), shift: gen.int(-128, 127) };
      wasmBackend.pvclockReadBatch(input, p, out);
      return (x) => wasmBackend.pvclockRead(x, p.tscTimestamp, p.systemTime, p.mul, p.shift);
    },
  },
  {
    name: 'pvclockScaleDeltaBatch',
    run: (input, out, gen) => {
      const mul = gen.int(0, 0xffff_ffff);
      const shift = gen.int(-128, 127);
      wasmBackend.pvclockScaleDeltaBatch(input, mul, shift, out);
      return (x) => wasmBackend.pvclockScaleDelta(x, mul, shift);
    },
  },
  {
    name: 'scaleTscBatch',
    run: (input, out, gen) => {
      const frac = [32, 48, gen.int(0, 63)][gen.int(0, 2)];
      const ratio = gen.int(0, 3) === 0 ? 1n << BigInt(frac) : gen.u64();
      wasmBackend.scaleTscBatch(input, ratio, frac, out);
      return (x) => wasmBackend.scaleTsc(x, ratio, frac);
    },
  },
  {
    name: 'readL1TscBatch',
    run: (input, out, gen) => {
      const frac = [32, 48, gen.int(0, 63)][gen.int(0, 2)];
      const ratio = gen.int(0, 3) === 0 ? 1n << BigInt(frac) : gen.u64();
      const offset = gen.u64();
      wasmBackend.readL1TscBatch(input, offset, ratio, frac, out);
      return (x) => wasmBackend.readL1Tsc(x, offset, ratio, frac);
    },
  },
  {
    name: 'mulU64U64ShrBatch',
    run: (input, out, gen) => {
      const other = view(input.length, gen.int(0, 9), gen.u64);
      const copy = other.slice();
      const shift = gen.int(0, 127);
      wasmBackend.mulU64U64ShrBatch(input, other, shift, out);
      expect(other).toEqual(copy); // the second operand is read only
      return (x, i) => wasmBackend.mulU64U64Shr(x, copy[i], shift);
    },
  },
];

describe('batch forms equal the scalar forms', () => {
  for (const [caseIndex, batch] of BATCH_CASES.entries()) {
    it(`${batch.name}: lengths 0..17 and around the buffer capacity, unaligned views, aliasing`, () => {
      const gen = makeGen(0x9e3779b97f4a7c15n + BigInt(caseIndex));
      for (const len of [...SMALL_LENGTHS, ...LARGE_LENGTHS]) {
        for (const aliased of [false, true]) {
          const input = view(len, gen.int(1, 11), gen.u64);
          const original = input.slice();
          const out = aliased ? input : view(len, gen.int(0, 7), gen.u64);
          const scalar = batch.run(input, out, gen);
          if (!aliased) expect(input).toEqual(original);
          for (let i = 0; i < len; i++) {
            const expected = scalar(original[i], i);
            if (out[i] !== expected) {
              throw new Error(`${batch.name} len ${len} aliased ${aliased} index ${i}: input ${original[i]}, batch ${out[i]}, scalar ${expected}`);
            }
          }
        }
      }
    });
  }

  it('leaves elements of out beyond the input length untouched', () => {
    const out = new BigUint64Array(10).fill(7n);
    wasmBackend.pvclockScaleDeltaBatch(new BigUint64Array([1n, 2n, 3n]), 0xffff_ffff, 0, out);
    expect(Array.from(out.subarray(3))).toEqual(Array(7).fill(7n));
  });
});
