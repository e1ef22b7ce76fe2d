/**
 * Long differential sweep: ≥ 1,000,000 random cases per scalar function of the
 * public API (and ≥ 1,000,000 elements per batch function), wasm vs reference,
 * zero mismatches allowed. Run with `npm run test:exhaustive`.
 *
 * Inputs come from a deterministic xoshiro128** generator (seeded through splitmix32
 * from KVMCLOCK_SEED, see ../helpers/seed.ts) instead of fast-check, for speed. Each
 * integer argument is ~5 % an edge value (0, 1, 2^32±1, 2^48, 2^63±1, 2^64−1, powers
 * of two ±1, …), ~20 % a value of random bit length, the rest uniform; frequencies
 * are log-uniform 1 kHz…10 GHz mixed with typical values; shifts cover their whole
 * domains. The same comparison as the property suite: equal results, or errors of
 * the same class with the same `code`, `value` and `reason` (and, for the upstream-variant and
 * guest-clock-ABI methods, the same argument and message, except for `hang`). Those methods
 * also draw host kHz as u64 (multiples of 2^61, the ·1000 wrap), ratios 0/1/2 and identity ± 4,
 * every kernel profile preset and a few compositions, u8 VMClock shifts including ≥ 128.
 *
 *   KVMCLOCK_EXHAUSTIVE_CASES=<n>   cases per function (default 1,000,000)
 *   KVMCLOCK_SEED=<int>             generator seed
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { KvmclockApi } from '../../src/api.js';
import { KernelProfile } from '../../src/kernel/profile.js';
import { SVM_MAX_RATIO, U32_MAX, U64_MAX, VMX_MAX_RATIO } from '../../src/units.js';
import { EDGE_S32, EDGE_S64, EDGE_U32, EDGE_U64, KERNEL_PROFILE_STRINGS, TYPICAL_KHZ } from '../helpers/arbitraries.js';
import { bothApis, normalize, sameOutcome, show } from '../helpers/backends.js';
import { SEED } from '../helpers/seed.js';

const CASES = (() => {
  const raw = process.env.KVMCLOCK_EXHAUSTIVE_CASES;
  if (raw === undefined || raw === '') return 1_000_000;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`KVMCLOCK_EXHAUSTIVE_CASES must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
})();

const { reference: ref, wasm } = bothApis();
type Method = Exclude<keyof KvmclockApi, 'backend'>;
type ScalarMethod = Exclude<Method, `${string}Batch`>;

// ---------------------------------------------------------------------------
// Deterministic generator

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private readonly w32 = new Uint32Array(2);
  private readonly w64 = new BigUint64Array(this.w32.buffer);
  private readonly i64 = new BigInt64Array(this.w32.buffer);

  constructor(seed: number) {
    // splitmix32 expands the seed into the xoshiro128** state
    let s = seed | 0;
    const sm = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let t = s ^ (s >>> 16);
      t = Math.imul(t, 0x21f0aafd);
      t ^= t >>> 15;
      t = Math.imul(t, 0x735a2d97);
      return (t ^ (t >>> 15)) | 0;
    };
    this.a = sm();
    this.b = sm();
    this.c = sm();
    this.d = sm();
  }

  /** xoshiro128**: a uniform u32. */
  u32raw(): number {
    const r = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r;
  }
  /** Uniform in [0, 1). */
  float(): number {
    return this.u32raw() / 4294967296;
  }
  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.float() * n);
  }
  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number {
    return min + this.below(max - min + 1);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.below(xs.length)];
  }
  /** True with probability p. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** Low `bits` bits of a random word pair, as hi/lo in the scratch words. */
  private fill(bits: number): void {
    const lo = this.u32raw();
    const hi = this.u32raw();
    this.w32[0] = bits >= 32 ? lo : lo % 2 ** bits;
    this.w32[1] = bits <= 32 ? 0 : bits >= 64 ? hi : hi % 2 ** (bits - 32);
  }

  /** u64: 5 % edge, 20 % random bit length, 75 % uniform. */
  u64(): bigint {
    const r = this.below(100);
    if (r < 5) return this.pick(EDGE_U64);
    this.fill(r < 25 ? this.int(0, 64) : 64);
    return this.w64[0];
  }
  /** s64: 5 % edge, 20 % random bit length with a random sign, 75 % uniform. */
  s64(): bigint {
    const r = this.below(100);
    if (r < 5) return this.pick(EDGE_S64);
    if (r < 25) {
      this.fill(this.int(0, 63));
      return this.chance(0.5) ? -this.w64[0] : this.w64[0];
    }
    this.fill(64);
    return this.i64[0];
  }
  /** u32: 5 % edge, 20 % random bit length, 75 % uniform. */
  u32(): number {
    const r = this.below(100);
    if (r < 5) return this.pick(EDGE_U32);
    if (r < 25) {
      const b = this.int(0, 32);
      return b === 32 ? this.u32raw() : this.u32raw() % 2 ** b;
    }
    return this.u32raw();
  }
  /** A pvclock multiplier: half normalised (≥ 2^31, as kvm_get_time_scale makes them), half any u32. */
  mul(): number {
    return this.chance(0.5) ? this.u32() : 0x8000_0000 + (this.u32raw() >>> 1);
  }
  s32(): number {
    const r = this.below(100);
    if (r < 5) return this.pick(EDGE_S32);
    if (r < 40) return this.int(-2_000_000, 2_000_000);
    return this.u32raw() | 0;
  }
  u8(): number {
    return this.chance(0.05) ? this.pick([0, 1, 2, 3, 7, 0xff]) : this.below(256);
  }
  /** s8 shift: uniform over −128..127 half of the time, else the realistic −32..32. */
  s8(): number {
    return this.chance(0.5) ? this.int(-128, 127) : this.int(-32, 32);
  }
  /** frac: 40 % the real ones (32, 48), else uniform 0..63. */
  frac(): number {
    return this.chance(0.4) ? (this.chance(0.5) ? 32 : 48) : this.int(0, 63);
  }
  /** kHz: 10 % typical, 5 % any u32, else log-uniform 1 kHz … 10 GHz. */
  khz(): number {
    const r = this.below(100);
    if (r < 10) return this.pick(TYPICAL_KHZ);
    if (r < 15) return this.u32();
    return Math.max(1, Math.round(10 ** (7 * this.float())));
  }
  /** A ratio for `frac`: default, default ± 3, a real user/host ratio, or any u64. */
  ratio(frac: number): bigint {
    const def = 1n << BigInt(frac);
    const r = this.below(100);
    if (r < 25) return def;
    if (r < 35) return BigInt.asUintN(64, def + BigInt(this.int(-3, 3)));
    if (r < 65) return BigInt.asUintN(64, (def * BigInt(this.khz())) / BigInt(Math.max(1, this.khz())));
    return this.u64();
  }
  maxRatio(): bigint {
    return this.chance(0.75) ? this.pick([VMX_MAX_RATIO, SVM_MAX_RATIO, SVM_MAX_RATIO + 1n, SVM_MAX_RATIO - 1n]) : this.u64();
  }
  /** (frac, max_ratio): VMX, SVM, or random. */
  caps(): [number, bigint] {
    const r = this.below(100);
    if (r < 35) return [48, VMX_MAX_RATIO];
    if (r < 70) return [32, SVM_MAX_RATIO];
    return [this.frac(), this.maxRatio()];
  }
  /** `base` moved by a mostly small signed delta (wrapping). */
  near(base: bigint): bigint {
    const d = this.chance(0.7) ? BigInt(this.int(-(2 ** 31), 2 ** 31)) * BigInt(this.int(0, 2 ** 20)) : this.s64();
    return BigInt.asUintN(64, base + d);
  }
  /** (user, host) kHz: independent, around each other, equal, or with a zero. */
  userHost(): [number, number] {
    const r = this.below(100);
    if (r < 40) return [this.khz(), this.khz()];
    if (r < 80) {
      const h = this.khz();
      return [Math.min(U32_MAX, Math.max(0, h + this.int(-3000, 3000))), h];
    }
    if (r < 90) {
      const h = this.khz();
      return [h, h];
    }
    return this.chance(0.5) ? [0, this.khz()] : [this.khz(), 0];
  }
  hz(): bigint {
    const r = this.below(100);
    if (r < 40) return BigInt(this.khz()) * 1000n;
    if (r < 50) return 1_000_000_000n;
    return this.u64();
  }

  // --- upstream variants and guest clock ABIs ---

  /** host_khz as a u64: 70 % real kHz, 10 % k·2^61 (·1000 ≡ 0) or next to it, 5 % around 2^64/1000, else any u64. */
  hostKhz64(): bigint {
    const r = this.below(100);
    if (r < 70) return BigInt(this.khz());
    if (r < 80) return BigInt.asUintN(64, (BigInt(this.int(0, 7)) << 61n) + BigInt(this.pick([0, 0, 1, -1])));
    if (r < 85) return U64_MAX / 1000n + BigInt(this.int(-2, 2));
    return this.u64();
  }
  /** A ratio as the variant arithmetic sees it: {@link ratio}'s, or 0/1/2, identity ± 4. */
  variantRatio(frac: number): bigint {
    const r = this.below(100);
    if (r < 5) return BigInt(this.int(0, 2));
    if (r < 15) return BigInt.asUintN(64, (1n << BigInt(frac)) + BigInt(this.int(-4, 4)));
    return this.ratio(frac);
  }
  /** A kernel profile: a preset or composition, half as a string, half parsed. */
  profile(): string | KernelProfile {
    const i = this.below(PROFILES.length);
    return this.chance(0.5) ? KERNEL_PROFILE_STRINGS[i] : PROFILES[i];
  }
  bool(p = 0.5): boolean {
    return this.chance(p);
  }
  /** A signed step: mostly small, sometimes any s64. */
  step(): bigint {
    return this.chance(0.75) ? BigInt(this.int(-(2 ** 31), 2 ** 31)) * BigInt(this.int(0, 2 ** 9)) : this.s64();
  }
  /** s16 as s16 or its u16 pattern. */
  s16p(): number {
    return this.chance(0.3) ? this.pick([-37, 37, 0xffdb, 0, -1, 0xffff, 0x7fff, 0x8000, -0x8000]) : this.int(-0x8000, 0xffff);
  }
  /** A VMClock u8 shift: natural 0..63 mostly, any u8 (≥ 128 masked) otherwise. */
  vmShift(): number {
    return this.chance(0.6) ? this.int(0, 63) : this.u8();
  }
}

const PROFILES = KERNEL_PROFILE_STRINGS.map((t) => KernelProfile.parse(t));
const NS = 1_000_000_000n;
const s64of = (x: bigint): bigint => BigInt.asIntN(64, x);

/** A multiplier converting at about `f` Hz with pvclock shift `shift`, when one fits a u32. */
function mulForShift(f: bigint, shift: number): number | undefined {
  if (f === 0n) return undefined;
  const m = shift <= 32 ? (NS << BigInt(32 - shift)) / f : NS / f >> BigInt(shift - 32);
  return m >= 1n && m <= BigInt(U32_MAX) ? Number(m) : undefined;
}

/** (mul, shift) for a Hyper-V page source record: KVM's own for a kHz, around max_mul, or random. */
function hvMulShift(g: Rng): [number, number] {
  const r = g.below(100);
  if (r < 30) {
    const k = g.khz();
    if (k > 0) {
      const t = ref.getTimeScale(NS, BigInt(k) * 1000n);
      return [t.mul, t.shift];
    }
  }
  const shift = g.s8();
  if (r < 70) {
    const m = BigInt.asUintN(64, 100n << BigInt((32 - shift) & 63)) + BigInt(g.int(-2, 1));
    if (m >= 0n && m <= BigInt(U32_MAX)) return [Number(m), shift];
  }
  return [g.mul(), shift];
}

/** A VMClock (period, shift): the exact pair for a frequency, or random. */
function vmPeriodShift(g: Rng): [bigint, number] {
  if (g.chance(0.5)) {
    const f = g.hz();
    if (f >= 2n) {
      const p = ref.vmclockPeriod(f);
      return [p.period, g.chance(0.9) ? p.shift : g.vmShift()];
    }
  }
  return [g.u64(), g.vmShift()];
}

function vmReadArgs(g: Rng): unknown[] {
  const cv = g.u64();
  const [p, sh] = vmPeriodShift(g);
  return [g.chance(0.8) ? g.near(cv) : g.u64(), cv, p, sh, g.u64(), g.chance(0.2) ? g.pick([0n, 1n << 63n, U64_MAX]) : g.u64()];
}

// ---------------------------------------------------------------------------
// Argument generators, one per scalar method

const GEN: Record<ScalarMethod, (g: Rng) => unknown[]> = {
  mulU64U32Shr: (g) => [g.u64(), g.u32(), g.int(0, 127)],
  mulU64U64Shr: (g) => [g.u64(), g.u64(), g.int(0, 127)],
  mulS64U64Shr: (g) => [g.s64(), g.u64(), g.int(0, 127)],
  mulU64U32Div: (g) => [g.u64(), g.u32(), g.u32()],
  mulU64U32DivGeneric: (g) => [g.u64(), g.u32(), g.u32()],
  getTimeScale: (g) => {
    const r = g.below(100);
    if (r < 25) return [1_000_000_000n, BigInt(g.khz()) * 1000n];
    if (r < 50) return [BigInt(g.khz()) * 1000n, 1_000_000_000n];
    if (r < 60) {
      const x = g.u64() >> BigInt(g.int(0, 63));
      return [x, BigInt.asUintN(64, x + BigInt(g.int(-2, 2)))];
    }
    return [g.hz(), g.hz()];
  },
  pvclockScaleDelta: (g) => [g.u64(), g.mul(), g.s8()],
  pvclockRead: (g) => {
    const ts = g.u64();
    return [g.chance(0.8) ? g.near(ts) : g.u64(), ts, g.u64(), g.mul(), g.s8()];
  },
  pvclockTscKhz: (g) => [g.mul(), g.s8()],
  pvclockGuestRead: (g) => {
    const ret = g.u64();
    return [ret, g.u8(), g.u8(), g.chance(0.5) ? g.near(ret) : g.u64()];
  },
  scaleTsc: (g) => {
    const f = g.frac();
    return [g.u64(), g.ratio(f), f];
  },
  tscRatio: (g) => {
    const [u, h] = g.userHost();
    const [f, m] = g.caps();
    return [u, h, f, m];
  },
  computeL1TscOffset: (g) => {
    const f = g.frac();
    return [g.u64(), g.u64(), g.ratio(f), f];
  },
  readL1Tsc: (g) => {
    const f = g.frac();
    return [g.u64(), g.u64(), g.ratio(f), f];
  },
  nestedTscOffset: (g) => {
    const f = g.frac();
    return [g.u64(), g.u64(), g.ratio(f), f];
  },
  nestedTscMultiplier: (g) => {
    const f = g.frac();
    return [g.ratio(f), g.ratio(f), f];
  },
  adjustTscKhz: (g) => [g.khz(), g.s32()],
  maxGuestTscKhz: (g) => {
    const [f, m] = g.caps();
    return [g.khz(), m, f];
  },
  tgtTscKhz: (g) => {
    const f = g.frac();
    return [g.khz(), g.ratio(f), f, g.chance(0.5)];
  },
  setTscKhz: (g) => {
    const [u, h] = g.userHost();
    const [f, m] = g.caps();
    const tol = g.chance(0.3) ? 250 : g.chance(0.6) ? g.int(0, 100_000) : g.u32();
    return [u, h, g.chance(0.7), f, m, tol];
  },
  clocksCalcMultShift: (g) =>
    g.chance(0.5) ? [g.u32(), g.u32(), g.u32()] : [g.khz(), g.pick([1_000_000, 1_000_000_000]), g.pick([600_000, 600, 1, 0, 4_294_967, U32_MAX, g.u32()])],
  clocksourceRegister: (g) => [
    g.chance(0.5) ? g.khz() : g.u32(),
    g.chance(0.7) ? g.pick([1, 1000, 1_000_000, 1_000_000_000]) : Math.max(1, g.u32()),
    g.chance(0.5) ? g.pick([U64_MAX, 0xffff_ffffn, 0xff_ffffn, (1n << 56n) - 1n, 0n, 1n]) : g.u64(),
  ],
  clocksourceKhz: (g) => [g.khz()],
  rawNs: (g) => {
    const last = g.u64();
    return [g.chance(0.8) ? g.near(last) : g.u64(), last, g.u64(), g.u64(), g.u32(), g.int(0, 63)];
  },
  kvmBaseNs: (g) => {
    const last = g.u64();
    return [g.chance(0.8) ? g.near(last) : g.u64(), last, g.u64(), g.u64(), g.u32(), g.int(0, 63), g.s64()];
  },
  cyc2ns: (g) => [g.u64(), g.u32(), g.int(0, 63)],
  syncWindow: (g) => {
    const last = g.u64();
    return [g.chance(0.7) ? g.near(last) : g.u64(), last, g.u64(), g.khz(), g.mul(), g.s8()];
  },
  setClock: (g) => {
    const rt = g.u64();
    const flags = g.chance(0.8) ? g.pick([0, 2, 4, 6, 8, 10, 12, 14]) : g.u32();
    return [g.u64(), flags, rt, g.chance(0.7) ? g.near(rt) : g.u64(), g.chance(0.5), g.u64(), g.u64()];
  },
  wallClock: (g) => [g.u64()],

  tgtTscHz: (g) => {
    const f = g.frac();
    return [g.hostKhz64(), g.variantRatio(f), f, g.bool()];
  },
  masterTscScale: (g) => {
    const f = g.frac();
    return [g.hostKhz64(), g.variantRatio(f), f, g.bool()];
  },
  getKvmclock: (g) => {
    const f = g.frac();
    const m = g.u64();
    return [g.profile(), g.chance(0.8) ? g.near(m) : g.u64(), m, g.s64(), g.s64(), g.variantRatio(f), f, g.hostKhz64(), g.bool()];
  },
  mclockMode: (g) => [g.profile(), g.bool(), g.bool(), g.bool(), g.bool(), g.bool()],
  computeGuestTsc: (g) => {
    const nsec = g.u64();
    return [g.u64(), nsec, s64of(nsec + g.step()), g.mul(), g.s8(), g.bool()];
  },
  tscCatchup: (g) => {
    const f = g.frac();
    const nsec = g.u64();
    const m = g.u64();
    const k = s64of(nsec + g.step());
    return [g.profile(), g.u64(), nsec, g.mul(), g.s8(), g.u64(), g.variantRatio(f), f, m, k, g.chance(0.8) ? g.near(m) : g.u64(), s64of(k + g.step())];
  },
  hvclockToHz: (g) => {
    if (g.chance(0.3)) {
      const t = ref.getTimeScale(NS, BigInt(Math.max(1, g.khz())) * 1000n);
      return [t.mul, t.shift];
    }
    const z = g.int(0, 31);
    return [g.chance(0.3) ? ((2 * g.int(0, 0xffff) + 1) * 2 ** z) % 2 ** 32 : g.u32(), g.s8()];
  },
  setClockGuestV6: (g) => {
    const host = g.hostKhz64();
    const frac = g.frac();
    const ratio = g.variantRatio(frac);
    const ctl = g.bool();
    let c = BigInt.asUintN(64, host * 1000n);
    if (ctl) c = ref.scaleTsc(c, ratio, frac);
    const want = BigInt.asUintN(64, c + (g.chance(0.8) ? BigInt(g.int(-1100, 1100)) : g.s64()));
    let shift = g.chance(0.85) ? g.int(-32, 32) : g.s8();
    let mul = g.mul();
    const mode = g.below(100);
    if (mode < 40 && want >= 1n && want < 1n << 63n) ({ mul, shift } = ref.getTimeScale(NS, want));
    else if (mode < 85) mul = mulForShift(want, shift) ?? mul;
    const m = g.u64();
    const l1 = g.u64();
    const guest = ref.readL1Tsc(m, l1, ratio, frac);
    const ts = g.chance(0.8) ? BigInt.asUintN(64, guest + BigInt(g.int(-3, 1))) : g.u64();
    const record = g.chance(0.5) ? { tscTimestamp: ts, systemTime: g.u64(), mul, shift } : { tscTimestamp: ts, systemTime: g.u64(), mul, shift, flags: g.u8() };
    return [record, g.bool(0.1), g.bool(0.9), m, g.s64(), l1, ratio, frac, host, ctl];
  },
  getClockGuestV6: (g) => {
    if (g.chance(0.05)) {
      // a scaled kHz whose ·1000 wraps to 0: the kHz-based pvclock hangs in kvm_get_time_scale
      const e = g.int(0, 3);
      return [g.profile(), true, g.u64(), g.s64(), g.s64(), g.u64(), (BigInt(g.int(1, 7)) << 61n) >> BigInt(e), 0, 1n << BigInt(e), true, g.bool()];
    }
    const f = g.frac();
    return [g.profile(), g.bool(0.9), g.u64(), g.s64(), g.s64(), g.u64(), g.variantRatio(f), f, g.hostKhz64(), g.bool(), g.bool()];
  },
  hvTscPage: (g) => {
    const [m, sh] = hvMulShift(g);
    return [m, sh, g.u64(), g.u64(), g.chance(0.7) ? g.pick([1, 0, 3, 2, 0xff]) : g.u8()];
  },
  hvRefRead: (g) => {
    if (g.chance(0.5)) {
      const [m, sh] = hvMulShift(g);
      const t = g.u64();
      try {
        const page = ref.hvTscPage(m, sh, t, g.u64(), 1);
        return [g.near(t), page.scale, page.offset];
      } catch {
        // an invalid page: fall through to random words
      }
    }
    return [g.u64(), g.u64(), g.chance(0.5) ? g.s64() : g.u64()];
  },
  hvRefMsr: (g) => [g.u64()],
  xenTscLeaf: (g) => [g.chance(0.05) ? g.pick([0, 1, 10_000, 10_001, U32_MAX]) : g.khz()],
  vmclockRead: (g) => vmReadArgs(g),
  vmclockGettime: (g) => [
    ...vmReadArgs(g),
    g.chance(0.8) ? g.pick([0, 1, 0, 1, 0, 1, 2, 3, 4]) : g.u8(),
    g.chance(0.8) ? g.pick([1n, 1n, 0x81n, 0n, 0x3fen]) : g.u64(),
    g.s16p(),
    g.chance(0.8) ? g.int(0, 4) : g.u8(),
  ],
  vmclockPeriod: (g) => {
    const r = g.below(100);
    if (r < 5) return [g.pick([0n, 1n, 2n, 3n, U64_MAX])];
    if (r < 20) return [BigInt.asUintN(64, (1n << BigInt(g.int(1, 64))) + BigInt(g.int(-1, 1)))];
    return [g.hz()];
  },
};

/** The methods compared on their whole outcome (argument and message too, except for `hang`). */
const NEW_METHODS = new Set<string>([
  'tgtTscHz',
  'masterTscScale',
  'getKvmclock',
  'mclockMode',
  'computeGuestTsc',
  'tscCatchup',
  'hvclockToHz',
  'setClockGuestV6',
  'getClockGuestV6',
  'hvTscPage',
  'hvRefRead',
  'hvRefMsr',
  'xenTscLeaf',
  'vmclockRead',
  'vmclockGettime',
  'vmclockPeriod',
]);

// ---------------------------------------------------------------------------
// Comparison

interface Mismatch {
  readonly args: unknown[];
  readonly reference: unknown;
  readonly wasm: unknown;
}

function errShape(e: unknown, whole = false): unknown {
  if (e instanceof Error) {
    const r = e as Error & { code?: unknown; value?: unknown; reason?: unknown; argument?: unknown };
    const message = r.code === undefined || (whole && r.code !== 'hang') ? { message: e.message } : {};
    return { error: e.constructor.name, code: r.code, value: r.value, reason: r.reason, ...(whole ? { argument: r.argument } : {}), ...message };
  }
  return { error: 'non-Error', value: e };
}

/** One case on both backends; returns null when they agree. */
function compare(m: Method, args: unknown[]): Mismatch | null {
  const fr = ref[m] as (...a: unknown[]) => unknown;
  const fw = wasm[m] as (...a: unknown[]) => unknown;
  let r: unknown;
  let w: unknown;
  let re: unknown = null;
  let we: unknown = null;
  let rThrew = false;
  let wThrew = false;
  try {
    r = fr(...args);
  } catch (e) {
    rThrew = true;
    re = e;
  }
  try {
    w = fw(...args);
  } catch (e) {
    wThrew = true;
    we = e;
  }
  if (rThrew || wThrew) {
    const whole = NEW_METHODS.has(m);
    const a = rThrew ? errShape(re, whole) : normalize(r);
    const b = wThrew ? errShape(we, whole) : normalize(w);
    return rThrew === wThrew && sameOutcome(a, b) ? null : { args, reference: a, wasm: b };
  }
  if (typeof r !== 'object' || r === null) return Object.is(r, w) ? null : { args, reference: r, wasm: w };
  const a = normalize(r);
  const b = normalize(w);
  return sameOutcome(a, b) ? null : { args, reference: a, wasm: b };
}

const summary: string[] = [];

function report(name: string, cases: number, mismatches: number, ms: number, errors: Map<string, number>): void {
  const errs = [...errors].map(([k, v]) => `${k} ${v}`).join(', ');
  const line = `${name.padEnd(36)} ${String(cases).padStart(9)} cases  ${String(mismatches).padStart(3)} mismatches  ${(ms / 1000).toFixed(1).padStart(6)} s${errs ? `  (errors: ${errs})` : ''}`;
  summary.push(line);
  console.log(`[exhaustive] ${line}`);
}

afterAll(() => {
  console.log(`[exhaustive] seed ${SEED}, ${CASES} cases per function\n${summary.join('\n')}`);
});

describe(`wasm ≡ reference, ${CASES} random cases per scalar function`, () => {
  it('covers every scalar method of the API', () => {
    const scalar = Object.keys(ref)
      .filter((k) => typeof (ref as unknown as Record<string, unknown>)[k] === 'function' && !k.endsWith('Batch'))
      .sort();
    expect(Object.keys(GEN).sort()).toEqual(scalar);
  });

  for (const [m, gen] of Object.entries(GEN) as [ScalarMethod, (g: Rng) => unknown[]][]) {
    it(m, () => {
      const g = new Rng(SEED ^ hash(m));
      const found: Mismatch[] = [];
      let mismatches = 0;
      const errors = new Map<string, number>();
      const t0 = performance.now();
      for (let i = 0; i < CASES; i++) {
        const args = gen(g);
        const d = compare(m, args);
        if (d !== null) {
          mismatches++;
          if (found.length < 10) found.push(d);
        } else if (i % 64 === 0) {
          // sample the error mix (cheaply) for the printed summary
          try {
            (ref[m] as (...a: unknown[]) => unknown)(...args);
          } catch (e) {
            const c = String((e as { code?: unknown }).code);
            errors.set(c, (errors.get(c) ?? 0) + 64);
          }
        }
      }
      report(m, CASES, mismatches, performance.now() - t0, errors);
      expect(mismatches, `${m}: first mismatches:\n${found.map((f) => show(f)).join('\n')}`).toBe(0);
    });
  }
});

// ---------------------------------------------------------------------------
// Batch forms: ≥ CASES elements each, random lengths, random odd-offset views, aliasing

interface BatchRun {
  readonly params: unknown[];
  call(api: KvmclockApi, a: BigUint64Array, b: BigUint64Array, out: BigUint64Array | undefined): BigUint64Array;
}

const BATCH_GEN: Record<Extract<Method, `${string}Batch`>, (g: Rng) => BatchRun> = {
  pvclockReadBatch: (g) => {
    const p = { tscTimestamp: g.u64(), systemTime: g.u64(), mul: g.mul(), shift: g.s8() };
    return { params: [p], call: (api, a, _b, o) => api.pvclockReadBatch(a, p, o) };
  },
  pvclockScaleDeltaBatch: (g) => {
    const mul = g.mul();
    const shift = g.s8();
    return { params: [mul, shift], call: (api, a, _b, o) => api.pvclockScaleDeltaBatch(a, mul, shift, o) };
  },
  scaleTscBatch: (g) => {
    const f = g.frac();
    const r = g.ratio(f);
    return { params: [r, f], call: (api, a, _b, o) => api.scaleTscBatch(a, r, f, o) };
  },
  readL1TscBatch: (g) => {
    const f = g.frac();
    const r = g.ratio(f);
    const off = g.u64();
    return { params: [off, r, f], call: (api, a, _b, o) => api.readL1TscBatch(a, off, r, f, o) };
  },
  mulU64U64ShrBatch: (g) => {
    const s = g.int(0, 127);
    return { params: [s], call: (api, a, b, o) => api.mulU64U64ShrBatch(a, b, s, o) };
  },
  guestKvmclockBatch: (g) => {
    const f = g.frac();
    const r = g.ratio(f);
    const off = g.u64();
    const p = { tscTimestamp: g.u64(), systemTime: g.u64(), mul: g.mul(), shift: g.s8() };
    return { params: [off, r, f, p], call: (api, a, _b, o) => api.guestKvmclockBatch(a, off, r, f, p, o) };
  },
};

describe(`wasm ≡ reference, ≥ ${CASES} elements per batch function`, () => {
  for (const [m, mk] of Object.entries(BATCH_GEN) as [Method, (g: Rng) => BatchRun][]) {
    it(m, () => {
      const g = new Rng(SEED ^ hash(m));
      let elements = 0;
      let calls = 0;
      let mismatches = 0;
      const found: string[] = [];
      const t0 = performance.now();
      while (elements < CASES) {
        const run = mk(g);
        const len = g.chance(0.1) ? g.int(0, 40) : g.int(0, 20_000);
        const xs = Array.from({ length: len }, () => g.u64());
        const ys = Array.from({ length: len + g.int(0, 2) }, () => g.u64());
        const offset = g.chance(0.5) ? 0 : 2 * g.int(0, 8) + 1;
        const mode = g.pick(['default', 'alias', 'separate'] as const);
        const one = (api: KvmclockApi): bigint[] => {
          const backing = new BigUint64Array(offset + len + 1);
          const a = backing.subarray(offset, offset + len);
          a.set(xs);
          const b = BigUint64Array.from(ys);
          const out = mode === 'alias' ? a : mode === 'separate' ? new BigUint64Array(len + 1) : undefined;
          return Array.from(run.call(api, a, b, out));
        };
        const r = one(ref);
        const w = one(wasm);
        calls++;
        elements += len;
        for (let i = 0; i < Math.max(r.length, w.length); i++) {
          if (r[i] !== w[i]) {
            mismatches++;
            if (found.length < 10) found.push(show({ params: run.params, mode, offset, len, index: i, input: [xs[i], ys[i]], reference: r[i], wasm: w[i] }));
          }
        }
      }
      report(`${m} (${calls} calls)`, elements, mismatches, performance.now() - t0, new Map());
      expect(mismatches, `${m}: first mismatches:\n${found.join('\n')}`).toBe(0);
    });
  }
});

function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h | 0;
}
