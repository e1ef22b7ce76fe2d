/*
 * kvmclock-probe: the native half of `kvmclock probe`. Written for the kvmclock project
 * (not derived from kernel sources). Built on first use by src/probe/native.ts with the
 * system C compiler into a cache directory; Node reads its line-oriented output.
 *
 * It does the two things Node cannot do: read the pvclock record that a KVM host keeps
 * for the guest's vCPU 0 (mapped read-only into every process as the vDSO's
 * [vvar_vclock] page on Linux >= 6.13), and read the TSC next to the kernel clocks.
 *
 * Usage:
 *   kvmclock-probe [--file PATH] record
 *       one consistent read of the record
 *   kvmclock-probe [--file PATH] sample ITERATIONS
 *       the record, then for CLOCK_MONOTONIC_RAW, CLOCK_MONOTONIC and CLOCK_REALTIME the
 *       (TSC before, clock, TSC after) triple with the smallest TSC window out of
 *       ITERATIONS tries each, then the record again, then the kernel's NTP state
 *   kvmclock-probe [--file PATH] watch POLL_US MAX_SECONDS
 *       the record, then one line per change the host makes to it (MAX_SECONDS 0: until
 *       killed, or until its parent exits); a read that meets an update in progress is
 *       retried, never reported torn. SIGINT is ignored: the parent stops it with SIGTERM.
 *
 * --file PATH reads the record from the first 32 bytes of PATH (mapped shared) instead of
 * the vDSO page: the tests use it to play the host. With the environment variable
 * KVMCLOCK_PROBE_TEST_BUMP=1 (file mode only) the reader itself advances the version
 * between its two version reads, i.e. it plays a host that writes during every read.
 *
 * Output lines (decimal integers, space separated):
 *   platform <hypervisor cpuid signature or "-">
 *   page <hex address> <source>
 *   record <version> <tsc_timestamp> <system_time> <tsc_to_system_mul> <tsc_shift> <flags> <retries>
 *   pair <raw|mono|real> <tsc_before> <tsc_after> <sec> <nsec> <tries>
 *   ntp <adjtimex state> <status> <freq> <tick> <offset>
 *   update <tsc> <realtime_sec> <realtime_nsec> <retries> <record fields as in "record">
 *   busy <tsc> <realtime_sec> <realtime_nsec> <retries>   (watch: an update was in progress for a whole read budget)
 *   error <code> <message>     code: platform, nopvclock, odd, changing, usage, io
 * Exit status: 0 success; 2 usage; 3 no pvclock page; 4 version odd; 5 version changing;
 * 6 unsupported platform; 7 I/O error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

typedef uint64_t u64;
typedef uint32_t u32;

#if !defined(__linux__) || !defined(__x86_64__)
int main(void)
{
	printf("error platform kvmclock-probe needs Linux on x86-64\n");
	return 6;
}
#else

#include <cpuid.h>
#include <x86intrin.h>

/* The 32-byte record at the start of the page (layout: see the project's spec, section 3.1). */
struct record {
	u32 version;
	u64 tsc_timestamp;
	u64 system_time;
	u32 mul;
	int8_t shift;
	uint8_t flags;
};

static volatile const unsigned char *page;
static volatile unsigned char *test_bump_page; /* file mode with KVMCLOCK_PROBE_TEST_BUMP */
static sigjmp_buf fault_jump;
static int from_file; /* reading a --file record (survives the longjmp) */

static void on_fault(int sig)
{
	siglongjmp(fault_jump, sig);
}

static int fail(int status, const char *code, const char *msg)
{
	printf("error %s %s\n", code, msg);
	fflush(stdout);
	return status;
}

static inline u64 tsc_ordered(void)
{
	_mm_lfence();
	u64 t = __rdtsc();
	_mm_lfence();
	return t;
}

#define barrier() __asm__ __volatile__("" ::: "memory")

/* Volatile loads: every read really touches the shared page (all offsets are naturally aligned). */
static u32 ld32(size_t off)
{
	return *(volatile const u32 *)(page + off);
}

static u64 ld64(size_t off)
{
	return *(volatile const u64 *)(page + off);
}

/*
 * One attempt: version, fields, version. x86 keeps loads in order, so a compiler barrier
 * between the three steps is enough for the host's odd-write-even protocol.
 * Returns 0 if consistent, 1 if the version was odd, 2 if it changed.
 */
static int read_once(struct record *r)
{
	u32 v1 = ld32(0);
	barrier();
	r->tsc_timestamp = ld64(8);
	r->system_time = ld64(16);
	r->mul = ld32(24);
	r->shift = (int8_t)page[28];
	r->flags = page[29];
	barrier();
	if (test_bump_page != NULL) {
		*(volatile u32 *)test_bump_page += 2;
		barrier();
	}
	u32 v2 = ld32(0);
	r->version = v1;
	if (v1 & 1)
		return 1;
	if (v1 != v2)
		return 2;
	return 0;
}

static u64 now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000u + (u64)ts.tv_nsec;
}

/*
 * Retry for up to budget_ns. Returns 0 with *r consistent, or the reason of the last
 * failed attempt (1 odd, 2 changing). *retries counts failed attempts.
 */
static int read_record(struct record *r, u64 budget_ns, u32 *retries)
{
	u64 start = now_ns();
	u32 failed = 0;
	int why;
	for (;;) {
		why = read_once(r);
		if (why == 0)
			break;
		failed++;
		if (now_ns() - start > budget_ns)
			break;
		if ((failed & 63) == 0) {
			struct timespec pause = { 0, 20000 };
			nanosleep(&pause, NULL);
		} else {
			_mm_pause();
		}
	}
	*retries = failed;
	return why;
}

static void print_record(const char *tag, const struct record *r, u32 retries)
{
	printf("%s %u %llu %llu %u %d %u %u\n", tag, r->version, (unsigned long long)r->tsc_timestamp,
	       (unsigned long long)r->system_time, r->mul, r->shift, r->flags, retries);
}

/* Read the record for a one-shot command, turning failures into their error lines. */
static int record_or_fail(struct record *r)
{
	u32 retries;
	int why = read_record(r, 200000000u, &retries);
	if (why == 1)
		return fail(4, "odd", "the pvclock record's version stayed odd for 200 ms (the host is in the middle of an update that never finishes)");
	if (why == 2)
		return fail(5, "changing", "the pvclock record's version changed during every read for 200 ms");
	if (r->version == 0 && r->mul == 0)
		return fail(3, "nopvclock", "the pvclock page is empty (version 0, mul 0): kvm-clock is not set up for vCPU 0");
	print_record("record", r, retries);
	return 0;
}

static const char *clock_tag(clockid_t id)
{
	return id == CLOCK_MONOTONIC_RAW ? "raw" : id == CLOCK_MONOTONIC ? "mono" : "real";
}

/* The (TSC, clock, TSC) triple with the narrowest TSC window out of `tries`. */
static void best_pair(clockid_t id, unsigned tries)
{
	u64 best_lo = 0, best_hi = 0, best_w = UINT64_MAX;
	struct timespec best_ts = { 0, 0 }, ts;
	for (unsigned i = 0; i < tries; i++) {
		u64 lo = tsc_ordered();
		clock_gettime(id, &ts);
		u64 hi = tsc_ordered();
		if (hi - lo < best_w) {
			best_w = hi - lo;
			best_lo = lo;
			best_hi = hi;
			best_ts = ts;
		}
	}
	printf("pair %s %llu %llu %lld %ld %u\n", clock_tag(id), (unsigned long long)best_lo, (unsigned long long)best_hi,
	       (long long)best_ts.tv_sec, best_ts.tv_nsec, tries);
}

static void print_ntp(void)
{
	struct timex tx;
	memset(&tx, 0, sizeof tx);
	int state = adjtimex(&tx);
	printf("ntp %d %d %ld %ld %ld\n", state, tx.status, tx.freq, tx.tick, tx.offset);
}

static const char *hypervisor_signature(char out[13])
{
	unsigned a, b, c, d;
	__cpuid(1, a, b, c, d);
	if (!(c & (1u << 31)))
		return "-";
	__cpuid(0x40000000, a, b, c, d);
	memcpy(out, &b, 4);
	memcpy(out + 4, &c, 4);
	memcpy(out + 8, &d, 4);
	out[12] = 0;
	for (int i = 0; i < 12 && out[i] != 0; i++)
		if (out[i] == ' ' || out[i] < 33 || out[i] > 126)
			out[i] = '_';
	return out[0] ? out : "-";
}

/* The start address of the [vvar_vclock] mapping, 0 if there is none; *vvar set if a [vvar] exists. */
static unsigned long find_vclock_page(int *vvar)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	unsigned long addr = 0;
	*vvar = 0;
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof line, f) != NULL) {
		unsigned long lo, hi;
		if (strstr(line, "[vvar_vclock]") != NULL && sscanf(line, "%lx-%lx", &lo, &hi) == 2)
			addr = lo;
		else if (strstr(line, "[vvar]") != NULL)
			*vvar = 1;
	}
	fclose(f);
	return addr;
}

static int usage(void)
{
	return fail(2, "usage", "kvmclock-probe [--file PATH] record | sample ITERATIONS | watch POLL_US MAX_SECONDS");
}

static int parse_uint(const char *s, unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != 0 || s[0] == '-')
		return -1;
	*out = v;
	return 0;
}

static int cmd_watch(unsigned long poll_us, unsigned long max_seconds)
{
	struct record last, cur;
	int status = record_or_fail(&last);
	if (status != 0)
		return status;
	fflush(stdout);
	/* Node owns Ctrl-C (it stops us with SIGTERM); if it goes away, so do we. */
	signal(SIGINT, SIG_IGN);
	pid_t parent = getppid();
	u64 start = now_ns();
	struct timespec pause = { (time_t)(poll_us / 1000000u), (long)(poll_us % 1000000u) * 1000 };
	for (;;) {
		if (max_seconds != 0 && now_ns() - start >= (u64)max_seconds * 1000000000u)
			break;
		if (getppid() != parent)
			break;
		nanosleep(&pause, NULL);
		u32 retries;
		int why = read_record(&cur, 50000000u, &retries);
		struct timespec rt;
		if (why != 0) {
			/* An update still in progress after 50 ms: say so, keep watching. */
			u64 t = tsc_ordered();
			clock_gettime(CLOCK_REALTIME, &rt);
			printf("busy %llu %lld %ld %u\n", (unsigned long long)t, (long long)rt.tv_sec, rt.tv_nsec, retries);
			fflush(stdout);
			continue;
		}
		if (cur.version == last.version && cur.tsc_timestamp == last.tsc_timestamp && cur.system_time == last.system_time &&
		    cur.mul == last.mul && cur.shift == last.shift && cur.flags == last.flags)
			continue;
		u64 t = tsc_ordered();
		clock_gettime(CLOCK_REALTIME, &rt);
		printf("update %llu %lld %ld %u %u %llu %llu %u %d %u\n", (unsigned long long)t, (long long)rt.tv_sec, rt.tv_nsec,
		       retries, cur.version, (unsigned long long)cur.tsc_timestamp, (unsigned long long)cur.system_time, cur.mul,
		       cur.shift, cur.flags);
		fflush(stdout);
		last = cur;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *file = NULL;
	int argi = 1;
	if (argi + 1 < argc && strcmp(argv[argi], "--file") == 0) {
		file = argv[argi + 1];
		argi += 2;
	}
	if (argi >= argc)
		return usage();
	const char *cmd = argv[argi++];
	unsigned long a1 = 0, a2 = 0;
	if (strcmp(cmd, "record") == 0) {
		if (argi != argc)
			return usage();
	} else if (strcmp(cmd, "sample") == 0) {
		if (argi + 1 != argc || parse_uint(argv[argi], &a1) != 0 || a1 == 0 || a1 > 100000000u)
			return usage();
	} else if (strcmp(cmd, "watch") == 0) {
		if (argi + 2 != argc || parse_uint(argv[argi], &a1) != 0 || parse_uint(argv[argi + 1], &a2) != 0 || a1 == 0 || a1 > 10000000u)
			return usage();
	} else {
		return usage();
	}

	char sig[13];
	printf("platform %s\n", hypervisor_signature(sig));

	if (file != NULL) {
		int fd = open(file, getenv("KVMCLOCK_PROBE_TEST_BUMP") ? O_RDWR : O_RDONLY);
		if (fd < 0)
			return fail(7, "io", "cannot open the record file");
		void *m = mmap(NULL, 4096, getenv("KVMCLOCK_PROBE_TEST_BUMP") ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
		close(fd);
		if (m == MAP_FAILED)
			return fail(7, "io", "cannot map the record file");
		page = m;
		from_file = 1;
		if (getenv("KVMCLOCK_PROBE_TEST_BUMP"))
			test_bump_page = m;
		printf("page %lx file\n", (unsigned long)m);
	} else {
		int has_vvar;
		unsigned long addr = find_vclock_page(&has_vvar);
		if (addr == 0)
			return fail(3, "nopvclock",
				    has_vvar ? "this process has a [vvar] mapping but no [vvar_vclock] page: the kernel is older than 6.13 (not supported) or exposes no vDSO clock page"
					     : "this process has no [vvar_vclock] mapping: no vDSO clock page");
		page = (volatile const unsigned char *)addr;
		printf("page %lx vvar_vclock\n", addr);
	}

	/* A clock page the kernel does not populate faults (SIGBUS) when touched: report it, at any read. */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_fault;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	if (sigsetjmp(fault_jump, 1) != 0)
		return fail(3, "nopvclock",
			    from_file ? "the record file's page faults when read (an empty file?)"
					 : "the [vvar_vclock] page faults when read: the kernel does not expose a pvclock page to user space (not a KVM guest, kvm-clock without the TSC-stable bit, or kvm-clock never used as a vDSO clock)");
	(void)ld32(0);

	setvbuf(stdout, NULL, _IOLBF, 0);
	struct record r;
	if (strcmp(cmd, "record") == 0)
		return record_or_fail(&r);
	if (strcmp(cmd, "sample") == 0) {
		int status = record_or_fail(&r);
		if (status != 0)
			return status;
		best_pair(CLOCK_MONOTONIC_RAW, (unsigned)a1);
		best_pair(CLOCK_MONOTONIC, (unsigned)a1);
		best_pair(CLOCK_REALTIME, (unsigned)a1);
		status = record_or_fail(&r);
		if (status != 0)
			return status;
		print_ntp();
		return 0;
	}
	return cmd_watch(a1, a2);
}
#endif
