// Result registers: functions with several outputs (or a status plus a value) leave
// them here, so nothing is allocated per call. JS reads them through the exported
// globals; AssemblyScript modules write them through the inline setters below.

/** First 64-bit result. */
export let res0: u64 = 0;
/** Second 64-bit result. */
export let res1: u64 = 0;
/** 32-bit results (u32 or signed, as documented by each writer). */
export let resI0: i32 = 0;
export let resI1: i32 = 0;
export let resI2: i32 = 0;
export let resI3: i32 = 0;

// @ts-ignore: decorator
@inline export function setRes0(v: u64): void { res0 = v; }
// @ts-ignore: decorator
@inline export function setRes1(v: u64): void { res1 = v; }
// @ts-ignore: decorator
@inline export function setResI0(v: i32): void { resI0 = v; }
// @ts-ignore: decorator
@inline export function setResI1(v: i32): void { resI1 = v; }
// @ts-ignore: decorator
@inline export function setResI2(v: i32): void { resI2 = v; }
// @ts-ignore: decorator
@inline export function setResI3(v: i32): void { resI3 = v; }
