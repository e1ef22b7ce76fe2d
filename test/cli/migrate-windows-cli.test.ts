/**
 * `kvmclock migrate --guest windows` through the built CLI (bin/kvmclock.js → dist/; build
 * with `npx tsc -p tsconfig.build.json` first): the Linux default and `--guest linux` print
 * exactly what they printed before (the README's table), the Windows tables for the README's
 * realistic case, the BROKEN page without a destination master clock, the JSON fields, the
 * charts, and bad --guest values refused with the option named.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli as run, tempDir } from '../hardening/cli.js';

const REALISTIC = ['migrate', '--src-khz', '2800000', '--dst-khz', '3000000', '--guest-khz', '2000000', '--vcpus', '4', '--uptime', '7d', '--downtime', '200ms', '--sync-error', '30us'];

/** The README's output block for the realistic case (the output before `--guest` existed). */
function readmeBlock(): string {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const start = readme.indexOf(`$ npx kvmclock ${REALISTIC.join(' ')}\n`);
  expect(start).toBeGreaterThan(0);
  const body = readme.slice(readme.indexOf('\n', start) + 1);
  return body.slice(0, body.indexOf('```'));
}

/** The rows of the table that follows a header line starting with `header`, split on runs of two spaces. */
function tableAfter(text: string, header: string): string[][] {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l.startsWith(header));
  expect(i).toBeGreaterThan(-1);
  const rows: string[][] = [];
  for (let k = i + 2; k < lines.length && lines[k].trim() !== ''; k++) rows.push(lines[k].trim().split(/ {2,}/));
  return rows;
}

describe.concurrent('migrate --guest', () => {
  it('the default and --guest linux print the README table unchanged; --json is the same with and without it', async () => {
    const [plain, linux, jsonPlain, jsonLinux] = await Promise.all([run(REALISTIC), run([...REALISTIC, '--guest', 'linux']), run([...REALISTIC, '--json']), run([...REALISTIC, '--json', '--guest', 'linux'])]);
    for (const r of [plain, linux, jsonPlain, jsonLinux]) expect([r.status, r.stderr]).toEqual([0, '']);
    expect(plain.stdout).toBe(readmeBlock());
    expect(linux.stdout).toBe(plain.stdout);
    expect(jsonLinux.stdout).toBe(jsonPlain.stdout);
    expect(jsonPlain.stdout).not.toMatch(/"windows"|"vmclock"|"guest"/);
  });

  it('--guest windows: the README table first, then H per method, the rounding table and VMClock', async () => {
    const r = await run([...REALISTIC, '--guest', 'windows']);
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout.startsWith(readmeBlock())).toBe(true);
    expect(r.stdout).toContain('last H read before the pause 6,048,003,021,910; ideal H at resume 6,048,005,021,911');
    expect(tableAfter(r.stdout, 'method  H step at resume (units)')).toEqual([
      ['M0', '-3,023,500', '-302,350,000', '-5,023,501', '-502,350,100', 'SET', 'page', '0', '3,023,500'],
      ['M1', '-1,023,300', '-102,330,000', '-3,023,301', '-302,330,100', 'SET', 'page', '0', '1,023,300'],
      ['M2', '-1,023,300', '-102,330,000', '-3,023,301', '-302,330,100', 'SET', 'page', '0', '1,023,300'],
      ['M3', '+2,000,301', '+200,030,100', '+300', '+30,000', 'SET', 'page', '0', '0'],
      ['M4', '+2,000,001', '+200,000,100', '0', '0', 'SET', 'page', '0', '0'],
      ['M5', '-3,023,500', '-302,350,000', '-5,023,501', '-502,350,100', 'SET', 'page', '0', '3,023,500'],
    ]);
    const rounding = tableAfter(r.stdout, 'method  restore');
    expect(rounding.filter((row) => row[0] === 'M0')).toEqual([
      ['M0', 'exact', '0', '-302,350,056', '-3,023,500', '0', '0'],
      ['M0', 'down', '-20', '-302,350,076', '-3,023,500', '-20', '0'],
      ['M0', 'up', '+80', '-302,349,976', '-3,023,499', '+80', '+1'],
    ]);
    expect(rounding.map((row) => row[0])).toEqual(['M0', 'M0', 'M0', 'M1', 'M1', 'M1', 'M2', 'M2', 'M2', 'M5', 'M5', 'M5']);
    expect(r.stdout).toContain('never below the exact restore (B and H, every method above): up;');
    expect(r.stdout).toContain('counter_period_shift 30, counter_period_frac_sec 9,903,520,314,283,042,199');
    expect(tableAfter(r.stdout, 'method  counter disrupted').map((row) => row.slice(0, 6))).toEqual([
      ['M0', 'yes', '-199,940,001', 'unchanged: guest not told', '+30,000', '1 → 2'],
      ['M1', 'yes', '-199,940,001', 'unchanged: guest not told', '+30,000', '1 → 2'],
      ['M2', 'yes', '+29,998', 'unchanged: guest not told', '+30,000', '1 → 2'],
      ['M3', 'yes', '+29,999', 'unchanged: guest not told', '+30,000', '1 → 2'],
      ['M4', 'no', '-1', 'unchanged', '0', 'unchanged'],
      ['M5', 'yes', '-199,940,001', 'unchanged: guest not told', '+30,000', '1 → 2'],
    ]);
  });

  it('--guest windows --dst-no-masterclock: BROKEN pages, H from the MSR on A (M4 stays on the source host: SET)', async () => {
    const r = await run([...REALISTIC, '--guest', 'windows', '--dst-no-masterclock']);
    expect([r.status, r.stderr]).toEqual([0, '']);
    const rows = tableAfter(r.stdout, 'method  H step at resume (units)');
    expect(rows.map((row) => [row[0], row[5], row[6]])).toEqual([
      ['M0', 'BROKEN (no TSC_STABLE)', 'MSR ⌊A/100⌋'],
      ['M1', 'BROKEN (no TSC_STABLE)', 'MSR ⌊A/100⌋'],
      ['M2', 'BROKEN (no TSC_STABLE)', 'MSR ⌊A/100⌋'],
      ['M3', 'BROKEN (no TSC_STABLE)', 'MSR ⌊A/100⌋'],
      ['M4', 'SET', 'page'],
      ['M5', 'BROKEN (no TSC_STABLE)', 'MSR ⌊A/100⌋'],
    ]);
    // M3 fell back to KVM_SET_CLOCK: it joins the rounding comparison.
    expect(tableAfter(r.stdout, 'method  restore').map((row) => row[0])).toContain('M3');
  });

  it('--guest windows --json: the Linux fields unchanged, the Windows and VMClock fields added', async () => {
    const [linux, windows] = await Promise.all([run([...REALISTIC, '--json']), run([...REALISTIC, '--json', '--guest', 'windows'])]);
    const l = JSON.parse(linux.stdout);
    const w = JSON.parse(windows.stdout);
    expect(w.config).toEqual({ ...l.config, guest: 'windows' });
    expect(w.ideal).toEqual(l.ideal);
    w.results.forEach((m: Record<string, unknown>, i: number) => {
      const { windows: _w, vmclock: _v, operations: _o, ...rest } = m;
      const { operations: _lo, ...linuxRest } = l.results[i];
      expect(rest).toEqual(linuxRest);
    });
    expect(w.results[3].windows).toMatchObject({ resumeUnits: '6048005022211', stepUnits: '2000301', errorUnits: '300', source: 'page', page: { status: 'set' } });
    expect(w.results[0].vmclock).toMatchObject({ counterDisrupted: true, carried: { errorNs: '-199940001', markerChanged: false }, repopulated: { errorNs: '30000', markerChanged: true } });
    expect(w.windows).toMatchObject({ lastReadUnits: '6048003021910', idealUnits: '6048005021911', neverBackwards: ['exact', 'up'] });
    expect(w.windows.rounding[0]).toMatchObject({ method: 'm0', savedClockNs: '604799999831020' });
    expect(w.vmclock).toMatchObject({ counterHz: '2000000000', page: { counterPeriodShift: 30, disruptionMarker: '1' } });
  });

  it('--guest windows --plot adds the H charts; without it they are not drawn', async () => {
    const withWindows = tempDir('kvmclock-windows-plot-');
    const linuxOnly = tempDir('kvmclock-linux-plot-');
    try {
      const [w, l] = await Promise.all([
        run([...REALISTIC, '--guest', 'windows', '--method', 'm0,m3', '--plot', withWindows.dir]),
        run([...REALISTIC, '--method', 'm0,m3', '--plot', linuxOnly.dir]),
      ]);
      expect([w.status, l.status]).toEqual([0, 0]);
      expect(readdirSync(withWindows.dir).sort()).toEqual(['index.html', 'migration-clock-error.svg', 'migration-error-at-resume.svg', 'windows-reference-error.svg', 'windows-reference-step.svg']);
      expect(readdirSync(linuxOnly.dir).sort()).toEqual(['index.html', 'migration-clock-error.svg', 'migration-error-at-resume.svg']);
      const step = readFileSync(`${withWindows.dir}/windows-reference-step.svg`, 'utf8');
      expect(step).toContain('H step at resume (ms)');
      expect(step).toContain('M0 pause: TSC values + KVM_SET_CLOCK');
    } finally {
      withWindows.remove();
      linuxOnly.remove();
    }
  });

  it('--kernel with --guest windows: one Windows table per profile', async () => {
    const r = await run([...REALISTIC, '--guest', 'windows', '--kernel', '6.18,clocks-v6', '--method', 'm0']);
    expect(r.status).toBe(0);
    expect(r.stdout.match(/^Windows guest: clock H/gm)).toHaveLength(2);
    const [base, v6] = r.stdout.split(/^kernel clocks-v6/m).map((part) => tableAfter(part, 'method  H step at resume (units)')[0][1]);
    expect([base, v6]).toEqual(['-3,023,500', '+100']); // clocks-v6's KVM_GET_CLOCK follows the guest TSC: no C − B step
  });

  it.each([
    [['--guest', 'solaris'], '--guest expected linux or windows, got "solaris"'],
    [['--guest', 'xen'], '--guest xen does not apply to migrate'],
    [['--guest'], '--guest'],
  ])('%j is refused with the option named', async (args, message) => {
    const r = await run(['migrate', ...args]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe('');
  });
});
