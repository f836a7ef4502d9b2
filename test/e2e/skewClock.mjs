// Test-only preload (`node --import`): shifts this process's wall clock by
// CONCORD_TEST_CLOCK_SKEW_SECONDS (Date.now and `new Date()`), as if the
// machine's clock were wrong. The monotonic clock (performance.now) and the
// chain are untouched. Production code has no hook for this.
const skewMs = Number(process.env.CONCORD_TEST_CLOCK_SKEW_SECONDS ?? '0') * 1000;
if (!Number.isFinite(skewMs)) throw new Error('CONCORD_TEST_CLOCK_SKEW_SECONDS must be a number');
const RealDate = globalThis.Date;
const skewedNow = () => RealDate.now() + skewMs;

class SkewedDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(skewedNow());
    else super(...args);
  }

  static now() {
    return skewedNow();
  }
}
globalThis.Date = SkewedDate;
