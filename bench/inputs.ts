/** Seeded benchmark inputs: the xorshift64* sequence that bench/native/kvmclock-bench.c also generates. */

/** N u64 from xorshift64* seeded with `seed` (then the next N for a second operand). */
export function xorshiftInputs(seed: bigint, n: number, arrays = 1): BigUint64Array[] {
  let s = seed;
  const out: BigUint64Array[] = [];
  for (let k = 0; k < arrays; k++) {
    const a = new BigUint64Array(n);
    for (let i = 0; i < n; i++) {
      s ^= s >> 12n;
      s = BigInt.asUintN(64, s ^ (s << 25n));
      s ^= s >> 27n;
      a[i] = BigInt.asUintN(64, s * 0x2545f4914f6cdd1dn);
    }
    out.push(a);
  }
  return out;
}

/** kvm_get_time_scale inputs: each u64 x becomes 1000·(1 + x mod 5,000,000) Hz (whole kHz up to 5 GHz). */
export function baseFrequencies(x: BigUint64Array): BigUint64Array {
  return x.map((v) => 1000n * (1n + (v % 5_000_000n)));
}
