/*
 * Native C baseline for kvmclock's benchmark suite (bench/): the same conversions as the
 * Wasm batch kernels, on the same seeded inputs, in place over one buffer of N u64, timed
 * in this process. Written for this project (not derived from kernel sources); built at
 * bench time by bench/native.ts with the system C compiler:
 *
 *   -DKVMCLOCK_VARIANT=0  "native-c-scalar": the 128-bit multiply form (unsigned __int128), -O3
 *   -DKVMCLOCK_VARIANT=1  "native-c-vector": the same arithmetic in 32-bit halves so that the
 *                         compiler can auto-vectorise it, -O3 -march=native
 *
 * Usage: kvmclock-bench OP N SEED SAMPLES MIN_SAMPLE_NS P1 P2 ... (the op's parameters as
 * decimal integers, a negative shift with its sign; see main). Inputs: N u64 from the
 * xorshift64* generator seeded with SEED (for mul_u64_u64_shr N more for the second operand;
 * for kvm_get_time_scale each becomes 1000 * (1 + x mod 5000000), kHz-valued frequencies).
 * Output, one line each:
 *   check <wrapping sum of the outputs of one pass over fresh inputs> <out[0]> <out[N/2]> <out[N-1]>
 *   sample <ns per conversion>        (SAMPLES lines)
 *   sink <value>                      (defeats dead-code elimination)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef KVMCLOCK_VARIANT
#define KVMCLOCK_VARIANT 0
#endif

typedef uint64_t u64;
typedef uint32_t u32;
typedef unsigned __int128 u128;

/* The op parameters, from the command line. */
static u64 p_tsc_timestamp, p_system_time, p_l1_offset, p_ratio, p_scaled_hz;
static u32 p_mul, p_frac, p_mshift;
static int p_shift;

/* ---- 128-bit multiply form ---------------------------------------------------------- */

static inline u64 scale_delta_u128(u64 delta, u32 mul, int shift)
{
	if (shift < 0)
		delta >>= (-shift) & 63;
	else
		delta <<= shift & 63;
	return (u64)(((u128)delta * mul) >> 32);
}

static inline u64 mul_shr_u128(u64 a, u64 b, unsigned s)
{
	return (u64)(((u128)a * b) >> s);
}

static inline u64 scale_tsc_u128(u64 tsc, u64 ratio, unsigned frac)
{
	return ratio == (1ULL << frac) ? tsc : mul_shr_u128(tsc, ratio, frac);
}

/* ---- 32-bit halves form (what an auto-vectoriser can map to 32x32->64 multiplies) ---- */

static inline u64 mul32hi(u64 d, u32 mul)
{
	return (((d & 0xffffffffu) * mul) >> 32) + (d >> 32) * mul;
}

/* lo64(a*b >> s) for 1 <= s <= 63, from four 32x32 partial products. */
static inline u64 mul_shr_split(u64 a, u64 b, unsigned s)
{
	u64 al = a & 0xffffffffu, ah = a >> 32, bl = b & 0xffffffffu, bh = b >> 32;
	u64 ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
	u64 mid = (ll >> 32) + (lh & 0xffffffffu) + (hl & 0xffffffffu);
	u64 hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
	u64 lo = (mid << 32) | (ll & 0xffffffffu);
	return (lo >> s) | (hi << (64 - s));
}

/* ---- kernels: in place over buf[0..n) ----------------------------------------------- */

#if KVMCLOCK_VARIANT == 0

static void pvclock_read(u64 *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = p_system_time + scale_delta_u128(buf[i] - p_tsc_timestamp, p_mul, p_shift);
}

static void scale_delta(u64 *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = scale_delta_u128(buf[i], p_mul, p_shift);
}

static void scale_tsc(u64 *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = scale_tsc_u128(buf[i], p_ratio, p_frac);
}

static void guest_read_b(u64 *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		u64 g = p_l1_offset + scale_tsc_u128(buf[i], p_ratio, p_frac);
		buf[i] = p_system_time + scale_delta_u128(g - p_tsc_timestamp, p_mul, p_shift);
	}
}

static void mul_u64_u64_shr(u64 *a, const u64 *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		a[i] = mul_shr_u128(a[i], b[i], p_mshift);
}

#else

/* The shift direction, the identity ratio and frac 0 are decided outside the loops. */
static void pvclock_read(u64 *buf, size_t n)
{
	u64 t = p_tsc_timestamp, s = p_system_time;
	u32 mul = p_mul;
	if (p_shift < 0) {
		unsigned c = (-p_shift) & 63;
		for (size_t i = 0; i < n; i++)
			buf[i] = s + mul32hi((buf[i] - t) >> c, mul);
	} else {
		unsigned c = p_shift & 63;
		for (size_t i = 0; i < n; i++)
			buf[i] = s + mul32hi((buf[i] - t) << c, mul);
	}
}

static void scale_delta(u64 *buf, size_t n)
{
	u32 mul = p_mul;
	if (p_shift < 0) {
		unsigned c = (-p_shift) & 63;
		for (size_t i = 0; i < n; i++)
			buf[i] = mul32hi(buf[i] >> c, mul);
	} else {
		unsigned c = p_shift & 63;
		for (size_t i = 0; i < n; i++)
			buf[i] = mul32hi(buf[i] << c, mul);
	}
}

static void scale_tsc(u64 *buf, size_t n)
{
	u64 r = p_ratio;
	unsigned f = p_frac;
	if (r == (1ULL << f))
		return;
	if (f == 0) {
		for (size_t i = 0; i < n; i++)
			buf[i] *= r;
		return;
	}
	for (size_t i = 0; i < n; i++)
		buf[i] = mul_shr_split(buf[i], r, f);
}

static void guest_read_b(u64 *buf, size_t n)
{
	u64 r = p_ratio, off = p_l1_offset, t = p_tsc_timestamp, s = p_system_time;
	unsigned f = p_frac;
	u32 mul = p_mul;
	if (r == (1ULL << f) || f == 0) {
		for (size_t i = 0; i < n; i++) {
			u64 g = off + scale_tsc_u128(buf[i], r, f);
			buf[i] = s + scale_delta_u128(g - t, mul, p_shift);
		}
		return;
	}
	if (p_shift < 0) {
		unsigned c = (-p_shift) & 63;
		for (size_t i = 0; i < n; i++)
			buf[i] = s + mul32hi((off + mul_shr_split(buf[i], r, f) - t) >> c, mul);
	} else {
		unsigned c = p_shift & 63;
		for (size_t i = 0; i < n; i++)
			buf[i] = s + mul32hi((off + mul_shr_split(buf[i], r, f) - t) << c, mul);
	}
}

static void mul_u64_u64_shr(u64 *a, const u64 *b, size_t n)
{
	unsigned s = p_mshift;
	if (s == 0 || s >= 64) {
		for (size_t i = 0; i < n; i++)
			a[i] = mul_shr_u128(a[i], b[i], s);
		return;
	}
	for (size_t i = 0; i < n; i++)
		a[i] = mul_shr_split(a[i], b[i], s);
}

#endif

/* kvm_get_time_scale in the four-phase form; packs (u8)shift << 32 | mul, ~0 for a hang. */
static u64 time_scale(u64 scaled, u64 base)
{
	u64 limit = scaled << 1, t = base, s = scaled;
	int shift = 0;
	while (t >= (1ULL << 32) || t > limit) {
		t >>= 1;
		shift--;
	}
	if (t == 0)
		return ~0ULL;
	while (s >= (1ULL << 32)) {
		s >>= 1;
		shift++;
	}
	while (t <= s && t < (1ULL << 31)) {
		t <<= 1;
		shift++;
	}
	if (t <= s) {
		s >>= 1;
		shift++;
	}
	return ((u64)(uint8_t)shift << 32) | ((s << 32) / t);
}

/* Not in place: the results are no frequencies, and the loop counts depend on the input. */
static const u64 *p_bases;
static void kvm_get_time_scale(u64 *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = time_scale(p_scaled_hz, p_bases[i]);
}

/* ---- driver --------------------------------------------------------------------------- */

/* xorshift64*: the same sequence as bench/inputs.ts. */
static u64 rng_state;
static u64 next_u64(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static u64 arg_u64(char **argv, int i) { return strtoull(argv[i], NULL, 10); }

int main(int argc, char **argv)
{
	if (argc < 6) {
		fprintf(stderr, "usage: %s OP N SEED SAMPLES MIN_SAMPLE_NS PARAMS...\n", argv[0]);
		return 2;
	}
	const char *op = argv[1];
	size_t n = (size_t)arg_u64(argv, 2);
	u64 seed = arg_u64(argv, 3);
	int samples = atoi(argv[4]);
	double min_ns = (double)arg_u64(argv, 5);
	int need = 0;
	void (*kernel)(u64 *, size_t) = NULL;

	if (!strcmp(op, "pvclock_read") || !strcmp(op, "scale_delta") || !strcmp(op, "guest_read_b")) {
		/* tsc_timestamp system_time mul shift [l1_offset ratio frac] */
		need = !strcmp(op, "guest_read_b") ? 13 : 10;
		if (argc < need) goto bad;
		p_tsc_timestamp = arg_u64(argv, 6);
		p_system_time = arg_u64(argv, 7);
		p_mul = (u32)arg_u64(argv, 8);
		p_shift = atoi(argv[9]);
		if (need == 13) {
			p_l1_offset = arg_u64(argv, 10);
			p_ratio = arg_u64(argv, 11);
			p_frac = (u32)arg_u64(argv, 12);
		}
		kernel = !strcmp(op, "pvclock_read") ? pvclock_read : !strcmp(op, "scale_delta") ? scale_delta : guest_read_b;
	} else if (!strcmp(op, "scale_tsc")) {
		if (argc < 8) goto bad;
		p_ratio = arg_u64(argv, 6);
		p_frac = (u32)arg_u64(argv, 7);
		kernel = scale_tsc;
	} else if (!strcmp(op, "mul_u64_u64_shr")) {
		if (argc < 7) goto bad;
		p_mshift = (u32)arg_u64(argv, 6);
	} else if (!strcmp(op, "kvm_get_time_scale")) {
		if (argc < 7) goto bad;
		p_scaled_hz = arg_u64(argv, 6);
		kernel = kvm_get_time_scale;
	} else {
		goto bad;
	}

	u64 *in = malloc(n * sizeof(u64)), *buf = aligned_alloc(64, ((n * 8 + 63) / 64) * 64);
	u64 *b = malloc(n * sizeof(u64));
	if (!in || !buf || !b)
		return 3;
	rng_state = seed;
	for (size_t i = 0; i < n; i++)
		in[i] = next_u64();
	if (kernel == kvm_get_time_scale) /* base frequencies of 1 kHz .. 5 GHz in whole kHz */
		for (size_t i = 0; i < n; i++)
			in[i] = 1000 * (1 + in[i] % 5000000);
	for (size_t i = 0; i < n; i++)
		b[i] = next_u64();
	p_bases = in;

	/* Correctness pass on fresh inputs: the JS side compares these with the reference. */
	memcpy(buf, in, n * sizeof(u64));
	if (kernel)
		kernel(buf, n);
	else
		mul_u64_u64_shr(buf, b, n);
	u64 sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += buf[i];
	printf("check %llu %llu %llu %llu\n", (unsigned long long)sum, (unsigned long long)buf[0],
	       (unsigned long long)buf[n / 2], (unsigned long long)buf[n - 1]);

	/* Timed samples: the kernel again and again over the same buffer, in place, as the Wasm
	 * kernels run over their buffer; each sample lasts at least min_ns. */
	u64 sink = 0;
	long reps = 1;
	for (int k = 0; k < samples; k++) {
		double t0, t;
		for (;;) {
			memcpy(buf, in, n * sizeof(u64));
			t0 = now_ns();
			for (long r = 0; r < reps; r++) {
				if (kernel)
					kernel(buf, n);
				else
					mul_u64_u64_shr(buf, b, n);
				sink ^= buf[r & (n - 1)];
			}
			t = now_ns() - t0;
			if (t >= min_ns)
				break;
			reps = (long)(reps * (t > 0 ? 1.2 * min_ns / t : 10)) + 1;
		}
		printf("sample %.6f\n", t / ((double)reps * (double)n));
	}
	printf("sink %llu\n", (unsigned long long)sink);
	return 0;
bad:
	fprintf(stderr, "bad arguments for op %s\n", op);
	return 2;
}
